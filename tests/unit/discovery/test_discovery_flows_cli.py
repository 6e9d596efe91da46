"""Flow CSV import (errors with line numbers, --skip-bad), storage, the runner's event handling, and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from planner.cli import main
from planner.discovery.flows import read_flows
from planner.discovery.runner import _Collector
from planner.discovery.storage import load_flows, save_flows
from planner.errors import InputError
from planner.models import Estate, PowerState, Vm
from planner.store import Store
from tests.support.cli import run_planner

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "flows.csv"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "flows.csv"
    path.write_text(text)
    return path


def test_example_file_parses():
    result = read_flows(EXAMPLE)
    assert len(result.records) == 60 and result.skipped == 0
    assert result.records[0].first_seen == datetime(2026, 11, 2, 8, tzinfo=UTC)


def test_aliases_protocol_numbers_and_epoch_times(tmp_path):
    path = write(tmp_path, "Source_IP,Destination_IP,Port,Proto,Octets,first_seen\n"
                           "192.0.2.1,192.0.2.2,53,17,100,1700000000\n")
    [record] = read_flows(path).records
    assert (record.protocol, record.dst_port, record.bytes) == ("udp", 53, 100)
    assert record.first_seen == datetime.fromtimestamp(1700000000, tz=UTC)


def test_bad_rows_name_their_line_or_are_skipped(tmp_path):
    path = write(tmp_path, "src_ip,dst_ip,dst_port\n192.0.2.1,192.0.2.2,80\n192.0.2.1,not-an-ip,80\n"
                           "192.0.2.1,192.0.2.2,99999\n\n192.0.2.3,192.0.2.2,443\n")
    with pytest.raises(InputError, match="line 3: dst_ip 'not-an-ip' is not an IP address"):
        read_flows(path)
    result = read_flows(path, skip_bad=True)
    assert len(result.records) == 2 and result.skipped == 2
    assert result.problems[1].startswith("line 4: dst_port 99999 is out of range")


def test_misaligned_and_undecodable_rows_name_their_line(tmp_path):
    """A row with more or fewer fields than the header (an unquoted comma) is not silently cut; bytes that are not
    UTF-8 are reported on their own row, not where the decoder's buffer ended."""
    rows = [f"192.0.2.{i % 200 + 1},192.0.2.2,80" for i in range(3000)]
    rows[2000] = "192.0.2.1,192.0.2.2,80,extra"
    rows[2500] = "192.0.2.1,192.0.2.2"
    body = ("src_ip,dst_ip,dst_port\n" + "\n".join(rows) + "\n").encode()
    bad = body.replace(b"192.0.2.2,80\n", b"192.0.2.2,8\xff0\n", 1)  # row 1 (line 2): not UTF-8
    path = tmp_path / "flows.csv"
    path.write_bytes(bad)
    with pytest.raises(InputError, match=r"line 2: is not valid UTF-8"):
        read_flows(path)
    path.write_bytes(body)
    with pytest.raises(InputError, match=r"line 2002: has 4 fields; the header has 3"):
        read_flows(path)
    result = read_flows(path, skip_bad=True)
    assert result.skipped == 2 and len(result.records) == 2998
    assert result.problems == ["line 2002: has 4 fields; the header has 3", "line 2502: has 2 fields; the header has 3"]


def test_a_bad_row_stores_nothing(tmp_path, capsys):
    db = tmp_path / "planner.db"
    with Store.open(db) as store:
        snapshot_id = store.save(Estate(collected_at=datetime.now(UTC), vms=[]), origin="test").id
    path = write(tmp_path, "src_ip,dst_ip,dst_port\n192.0.2.1,192.0.2.2,80\n192.0.2.1,192.0.2.2,http\n")
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(db), "discover", "import-flows", str(path)])
    assert exited.value.code != 0 and "line 3" in capsys.readouterr().err
    with Store.open(db) as store:
        assert store.documents(snapshot_id, "flows") == {}


def test_missing_columns(tmp_path):
    with pytest.raises(InputError, match="lacks the column"):
        read_flows(write(tmp_path, "src_ip,dst_ip\n192.0.2.1,192.0.2.2\n"))


def test_flows_are_stored_with_the_snapshot(tmp_path):
    with Store.open(tmp_path / "db.sqlite") as store:
        snapshot_id = store.save(Estate(collected_at=datetime.now(UTC)), origin="test").id
        save_flows(store, snapshot_id, "flows.csv", read_flows(EXAMPLE).records)
        stored = load_flows(store, snapshot_id)
        assert len(stored) == 59 and sum(record.count for record in stored) == 60  # one row per edge


def test_collector_turns_events_into_raw_guests():
    seen = []
    collector = _Collector(lambda host, step, status: seen.append((host, step, status)))
    events = [
        {"event": "runner_on_ok", "event_data": {"host": "h", "task": "Planner: connection",
                                                 "res": {"msg": {"reached": "192.0.2.1", "extra": [], "vm": "vm-h"}}}},
        {"event": "runner_on_ok", "event_data": {"host": "h", "task": "Planner: identity",
                                                 "res": {"stdout": "@@planner:uname@@\nLinux\n"}}},
        {"event": "runner_item_on_ok", "event_data": {"host": "h", "task": "Planner: sample",
                                                      "res": {"stdout": "@@planner:time@@\n1\n"}}},
        {"event": "runner_on_ok", "event_data": {"host": "h", "task": "Planner: sample", "res": {"results": []}}},
        {"event": "runner_on_failed", "event_data": {"host": "h", "task": "Planner: packages",
                                                     "res": {"msg": "The command action failed to execute in the "
                                                                    "expected time frame (5) and was terminated"}}},
        {"event": "runner_item_on_failed", "event_data": {"host": "h", "task": "Planner: sample",
                                                          "res": {"msg": "sample 2 timed out"}}},
        {"event": "runner_on_failed", "event_data": {"host": "h", "task": "Planner: sample",
                                                     "res": {"msg": "One or more items failed", "results": []}}},
        {"event": "runner_on_unreachable", "event_data": {"host": "gone", "task": "Planner: connection",
                                                          "res": {"msg": "ssh: connect to host: refused"}}},
        {"event": "playbook_on_stats", "event_data": {}},
    ]
    for event in events:
        assert collector(event) is False
    raw = collector.guests["h"]
    assert (raw.reached_address, raw.planner_vm) == ("192.0.2.1", "vm-h")
    assert raw.sections["identity"].startswith("@@planner:uname@@") and len(raw.samples) == 1
    assert raw.errors == ["packages: The command action failed to execute in the expected time frame (5) and was "
                          "terminated", "sample: sample 2 timed out"]  # the loop's summary adds nothing
    assert collector.guests["gone"].unreachable
    assert ("h", "sample", "sample") in seen and ("gone", "connection", "unreachable") in seen


def run_cli(*args: str) -> int:
    return run_planner(list(args))


def test_cli_import_flows_then_waves(tmp_path, capsys):
    db = str(tmp_path / "planner.db")
    vms = [Vm(name=n, source="vc", power_state=PowerState.ON, num_cpu=2, guest_ips=[ip])
           for n, ip in (("web", "192.0.2.10"), ("app", "192.0.2.20"), ("db", "192.0.2.30"))]
    with Store.open(Path(db)) as store:
        store.save(Estate(collected_at=datetime.now(UTC), vms=vms), origin="test")
    flows = write(tmp_path, "src_ip,src_port,dst_ip,dst_port\n192.0.2.10,40000,192.0.2.20,8080\n"
                            "192.0.2.20,41000,192.0.2.30,5432\n192.0.2.30,5432,192.0.2.20,41000\nbad,1,2,3\n")
    assert run_cli("--db", db, "discover", "import-flows", str(flows)) == 3
    assert "line 5" in capsys.readouterr().err
    assert run_cli("--db", db, "discover", "import-flows", str(flows), "--skip-bad") == 0
    assert "skipped 1 bad row\n" in capsys.readouterr().err
    assert run_cli("--db", db, "waves", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format_version"] == 1
    assert [wave["vms"] for wave in document["waves"]] == [["db"], ["app"], ["web"]]
    assert run_cli("--db", db, "waves", "--max-vms", "1", "--pin", "broken") == 3
    table = tmp_path / "waves.txt"
    assert run_cli("--db", db, "waves", "--exclude", "web", "-o", str(table)) == 0
    assert "3 move groups; 2 cutover risks (1 permanent); staying behind: 1 VM — --exclude (1): web." in \
        table.read_text()
    assert run_cli("--db", db, "graph", "--format", "dot", "-o", str(tmp_path / "g.dot")) == 0
    assert "digraph planner" in (tmp_path / "g.dot").read_text()
    assert run_cli("--db", db, "discover", "inventory", "-o", str(tmp_path / "inv.yml")) == 0
    assert "planner_vm: !unsafe 'web'" in (tmp_path / "inv.yml").read_text()


def test_a_snapshot_file_named_like_a_stored_id_uses_no_stored_data(tmp_path, capsys, monkeypatch):
    """`planner graph '#1.json'` is a file: it must neither crash on the name nor borrow snapshot #1's flows."""
    db = str(tmp_path / "planner.db")
    estate = Estate(collected_at=datetime.now(UTC), vms=[
        Vm(name=n, source="vc", power_state=PowerState.ON, num_cpu=2, guest_ips=[ip])
        for n, ip in (("web", "192.0.2.10"), ("app", "192.0.2.20"))])
    with Store.open(Path(db)) as store:
        snapshot_id = store.save(estate, origin="test").id
        save_flows(store, snapshot_id, "f.csv", read_flows(write(tmp_path, "src_ip,dst_ip,dst_port\n"
                                                                            "192.0.2.10,192.0.2.20,8080\n")).records)
    monkeypatch.chdir(tmp_path)
    Path(f"#{snapshot_id}.json").write_text(estate.model_dump_json())
    capsys.readouterr()
    assert run_cli("--db", db, "graph", f"#{snapshot_id}.json", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["links"] == []
    assert run_cli("--db", db, "graph", str(snapshot_id), "--format", "json") == 0
    assert len(json.loads(capsys.readouterr().out)["links"]) == 1
