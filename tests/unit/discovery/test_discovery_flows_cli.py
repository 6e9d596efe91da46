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


def test_missing_columns(tmp_path):
    with pytest.raises(InputError, match="lacks the column"):
        read_flows(write(tmp_path, "src_ip,dst_ip\n192.0.2.1,192.0.2.2\n"))


def test_flows_are_stored_with_the_snapshot(tmp_path):
    with Store.open(tmp_path / "db.sqlite") as store:
        snapshot_id = store.save(Estate(collected_at=datetime.now(UTC)), origin="test").id
        save_flows(store, snapshot_id, "flows.csv", read_flows(EXAMPLE).records)
        assert len(load_flows(store, snapshot_id)) == 60


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
                          "terminated"]
    assert collector.guests["gone"].unreachable
    assert ("h", "sample", "sample") in seen and ("gone", "connection", "unreachable") in seen


def run_cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    return int(exited.value.code or 0)


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
    assert "skipped 1 bad rows" in capsys.readouterr().err
    assert run_cli("--db", db, "waves", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format_version"] == 1
    assert [wave["vms"] for wave in document["waves"]] == [["db"], ["app"], ["web"]]
    assert run_cli("--db", db, "waves", "--max-vms", "1", "--pin", "broken") == 3
    assert run_cli("--db", db, "graph", "--format", "dot", "-o", str(tmp_path / "g.dot")) == 0
    assert "digraph planner" in (tmp_path / "g.dot").read_text()
    assert run_cli("--db", db, "discover", "inventory", "-o", str(tmp_path / "inv.yml")) == 0
    assert "planner_vm: !unsafe 'web'" in (tmp_path / "inv.yml").read_text()
