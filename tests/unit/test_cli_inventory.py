"""`planner inventory import|list|show|export|diff` end to end through `planner.cli.main`, store in tmp_path."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from planner.audit.diff import diff_estates
from planner.cli import main
from planner.cli.inventory_diff import render_table
from planner.models import Estate
from planner.resources import example_estate_path
from planner.store import parts
from tests.unit.rvtools.builders import csv_bytes, export_tables, sample_estate, write_export, write_xlsx


class Cli:
    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(["--db", str(self.db), *args])
        out, err = self.capsys.readouterr()
        return int(exited.value.code or 0), out, " ".join(err.split())  # rich wraps long paths

    def stored(self) -> list[dict[str, object]]:
        code, out, _ = self("inventory", "list", "--format", "json")
        assert code == 0
        return json.loads(out)["snapshots"]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path / "planner.db", capsys)


def test_import_every_shape_then_list_and_show(cli: Cli, tmp_path: Path) -> None:
    estate = sample_estate()
    xlsx = write_export(estate, tmp_path / "rvtools.xlsx")
    folder = write_export(estate, tmp_path / "csv", shape="csv", delimiter=";", bom=True, version=3)
    archive = write_export(estate, tmp_path / "rvtools.zip", shape="zip")

    code, _, err = cli("inventory", "import", str(xlsx), "--label", "q1")
    assert code == 0 and "stored snapshot 1: 2 VMs (+1 template)" in err and "warning" not in err
    code, out, _ = cli("inventory", "import", str(folder), "--format", "json")
    assert code == 0 and json.loads(out)["snapshot"]["vm_count"] == 3
    assert cli("inventory", "import", str(archive))[0] == 0

    listed = cli.stored()
    assert [(s["id"], s["vm_count"], s["label"]) for s in listed] == [(1, 3, "q1"), (2, 3, None), (3, 3, None)]
    assert listed[0]["origin"] == "import:rvtools.xlsx" and listed[0]["sources"] == ["vcenter01.example.test"]

    code, out, _ = cli("inventory", "show", "1", "--format", "json")
    summary = json.loads(out)
    assert code == 0 and (summary["vms"], summary["templates"], summary["hosts"]) == (2, 1, 2)
    assert summary["by_os_family"] == {"linux": 1, "windows": 1}
    code, out, _ = cli("inventory", "show")
    assert code == 0 and "2 VMs (+1 template), 2 hosts" in out


def test_import_warns_about_missing_optional_tabs(cli: Cli, tmp_path: Path) -> None:
    path = write_export(sample_estate(), tmp_path / "thin.xlsx", tabs=["vInfo", "vDisk"])
    code, _, err = cli("inventory", "import", str(path))
    assert code == 0
    assert "warning: optional RVTools tabs missing, left empty: vCPU" in err and "vDisk (" not in err
    assert len(cli.stored()) == 1


def test_export_json_csv_xlsx_and_reimport_the_json(cli: Cli, tmp_path: Path) -> None:
    cli("inventory", "import", str(write_export(sample_estate(), tmp_path / "rvtools.xlsx")))

    code, out, _ = cli("inventory", "export", "latest", "--format", "json")
    assert code == 0 and [vm["name"] for vm in json.loads(out)["vms"]] == ["web-01", "db-01", "tpl-rhel9"]
    code, out, _ = cli("inventory", "export", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("name,source,") and len(out.splitlines()) == 4
    assert cli("inventory", "export", "--format", "json", "-o", str(tmp_path / "estate.json"))[0] == 0
    code, _, err = cli("inventory", "export", "--format", "xlsx", "-o", str(tmp_path / "audit.xlsx"))
    assert code == 0 and "(xlsx): 2 VMs (+1 template)" in err
    assert load_workbook(tmp_path / "audit.xlsx").sheetnames[:4] == ["vms", "disks", "partitions", "nics"]
    code, _, err = cli("inventory", "export", "--format", "xlsx")
    assert code == 2 and "-f xlsx writes a file: add -o FILE.xlsx." in err

    code, _, _ = cli("inventory", "import", str(tmp_path / "estate.json"))
    assert code == 0 and len(cli.stored()) == 2
    code, out, _ = cli("inventory", "diff", "1", "2", "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["unchanged"] == 3


def test_import_json_with_another_schema_version_is_refused(cli: Cli, tmp_path: Path) -> None:
    document = json.loads(sample_estate().model_dump_json())
    document["schema_version"] = 99
    path = tmp_path / "future.json"
    path.write_text(json.dumps(document))
    code, _, err = cli("inventory", "import", str(path))
    assert code == 3 and "snapshot schema version 99 is not supported" in err
    assert cli.stored() == []


def _changed(estate: Estate) -> Estate:
    after = estate.model_copy(deep=True)
    after.vms[0].name = "web-01-new"
    after.vms[1].memory_mib = 65536
    after.vms.pop()
    return after


def test_diff_snapshots_by_id_offset_and_file(cli: Cli, tmp_path: Path) -> None:
    before = sample_estate()
    first = write_export(before, tmp_path / "q1.xlsx")
    second = write_export(_changed(before), tmp_path / "q2.xlsx")
    cli("inventory", "import", str(first))
    cli("inventory", "import", str(second))

    code, out, _ = cli("inventory", "diff", "-1", "latest", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["format_version"] == 1
    assert document["before"]["snapshot"] == "#1" and document["after"]["snapshot"] == "#2"
    assert document["summary"] == {"added": 0, "removed": 1, "renamed": 1, "changed": 1, "unchanged": 1}
    assert document["changed"][0]["changes"] == [{"field": "memory_mib", "before": 131072, "after": 65536}]

    code, out, _ = cli("inventory", "diff", str(first), str(second))
    assert code == 0
    assert "Snapshot q1.xlsx -> q2.xlsx: 0 added, 1 removed, 1 renamed, 1 changed, 1 unchanged" in out
    assert re.search(r"web-01\s+│\s+web-01-new\s+│\s+instance_uuid", out)
    assert re.search(r"db-01\s+│\s+memory_mib\s+│\s+131072\s+│\s+65536", out)

    target = tmp_path / "diff.json"
    code, out, err = cli("inventory", "diff", "1", "2", "--format", "json", "-o", str(target))
    assert code == 0 and out == "" and f"wrote {target}" in err
    assert json.loads(target.read_text())["summary"]["removed"] == 1


def test_diff_table_shows_untrusted_names_as_written_and_never_runs_them() -> None:
    before = sample_estate()
    after = before.model_copy(deep=True)
    after.vms[0].name = "[bold red]web[/] \\"  # rich markup, and a trailing backslash markup escaping doubles
    after.vms[1].host = "[/]"  # a bare closing tag: rich would raise MarkupError
    after.vms[2].name = "tpl\x1b]0;pwned\x07\x1b[2J\u202egpj.exe"  # set the window title, clear the screen, bidi
    after.vms[2].memory_mib = 1

    table = render_table(diff_estates(before, after))

    assert re.search(r"web-01\s+│\s+\[bold red\]web\[/\] \\\s+│", table)  # literal, one backslash
    assert re.search(r"host\s+│\s+esx02\.example\.test\s+│\s+\[/\]", table)
    assert "tpl\\x1b]0;pwned\\x07\\x1b[2J\\u202egpj.exe" in table
    assert not any(ch in table for ch in "\x1b\x07\u202e")


def test_diff_of_unknown_snapshot_is_not_found(cli: Cli) -> None:
    code, _, err = cli("inventory", "diff", "7", "latest")
    assert code == 4 and "error:" in err


def _bad_number_workbook(path: Path) -> Path:
    header, rows = export_tables(sample_estate(), tabs=["vInfo"])["vInfo"]
    table = [list(row) for row in rows]
    table[0][header.index("Memory")] = "lots"
    return write_xlsx({"vInfo": (header, table)}, path)


def _missing_column_folder(path: Path) -> Path:
    path.mkdir()
    (path / "RVTools_tabvInfo.csv").write_text("Name;CPUs\nweb;2\n")
    return path


def _damaged_zip(path: Path) -> Path:
    header, rows = export_tables(sample_estate(), tabs=["vInfo"])["vInfo"]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("RVTools_tabvInfo.csv", csv_bytes(header, rows))
    raw = path.read_bytes()
    at = raw.index(b"web-01")
    path.write_bytes(raw[:at] + b"WEB-01" + raw[at + 6:])  # bad CRC
    return path


def _infinite_number_folder(path: Path) -> Path:
    path.mkdir()
    (path / "RVTools_tabvInfo.csv").write_text("VM;CPUs\nweb;2\ndb;inf\n")
    return path


BAD_INPUTS = [
    pytest.param(lambda p: (p / "x.xlsx").write_text("plain text") and p / "x.xlsx", 3, "not a readable xlsx workbook",
                 id="not-xlsx"),
    pytest.param(lambda p: write_xlsx(export_tables(sample_estate(), tabs=["vHost"]), p / "no-vinfo.xlsx"), 3,
                 "the required tab vInfo is missing (tabs found: vHost)", id="missing-vinfo"),
    pytest.param(lambda p: _missing_column_folder(p / "csv"), 3, "tab vInfo, row 1: required column 'VM' is missing",
                 id="missing-column"),
    pytest.param(lambda p: _bad_number_workbook(p / "bad.xlsx"), 3,
                 "bad.xlsx, tab vInfo, row 2, column 'Memory': 'lots' is not a number.", id="bad-number"),
    pytest.param(lambda p: _damaged_zip(p / "bad-crc.zip"), 3,
                 "bad-crc.zip:RVTools_tabvInfo.csv, tab vInfo: the file is damaged or not readable", id="damaged-zip"),
    pytest.param(lambda p: _infinite_number_folder(p / "inf"), 3,
                 "RVTools_tabvInfo.csv, tab vInfo, row 3, column 'CPUs': 'inf' is not a finite number.",
                 id="infinite-number"),
    pytest.param(lambda p: p / "absent.xlsx", 4, "absent.xlsx does not exist", id="missing-file"),
]


@pytest.mark.parametrize(("make", "exit_code", "message"), BAD_INPUTS)
def test_bad_input_exits_with_a_clear_message_and_stores_nothing(cli: Cli, tmp_path: Path, make: object,
                                                                 exit_code: int, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    code, out, err = cli("inventory", "import", str(path))
    assert code == exit_code
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err and out == ""
    assert cli.stored() == []


def test_show_of_a_stored_snapshot_reads_its_disks_chunk_by_chunk_and_sums_them_all(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example's 45 VMs stored in chunks of 10: the summary equals the one of the file, read whole."""
    monkeypatch.setattr(parts, "CHUNK_VMS", 10)
    assert cli("inventory", "import", str(example_estate_path()))[0] == 0
    stored, from_file = (json.loads(cli("inventory", "show", ref, "--top", "50", "-f", "json")[1])
                         for ref in ("latest", "example"))
    for summary in (stored, from_file):
        summary.pop("snapshot"), summary.pop("snapshot_id")
    assert stored == from_file
    assert stored["total_provisioned_gib"] > 0 and len(stored["largest"]) == stored["vms"]
