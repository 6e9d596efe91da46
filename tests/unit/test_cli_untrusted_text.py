"""VM names, cluster names, labels and paths are shown literally: never as rich markup, never as terminal escapes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from planner.models import Estate, PowerState, Source, SourceKind, Vm
from tests.support.cli import run_planner


def hostile_estate() -> Estate:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Estate(collected_at=now, sources=[Source(name="[i]vc[/i]", kind=SourceKind.FILE, collected_at=now)],
                  vms=[Vm(name="[bold red]evil[/] vm", source="vc", cluster="[link=http://x]c[/link]",
                          power_state=PowerState.ON, num_cpu=64, memory_mib=1024),
                       Vm(name="db\x1b[31mred", source="vc", power_state=PowerState.ON, num_cpu=32,
                          memory_mib=512)])


def test_show_list_and_messages_are_literal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tmp_path / "[red]weird.json"
    snapshot.write_text(hostile_estate().model_dump_json())
    db = str(tmp_path / "p.db")
    assert run_planner(["--db", db, "inventory", "import", str(snapshot), "--label", "[blink]lbl"]) == 0
    assert run_planner(["--db", db, "inventory", "show", "--top", "5"]) == 0
    assert run_planner(["--db", db, "inventory", "list"]) == 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    for literal in ("[bold red]evil[/] vm", "[link=http://x]c[/link]", "[blink]lbl", "[red]weird.json", "[i]vc[/i]",
                    "db\\x1b[31mred"):
        assert literal in text, literal
    assert "\x1b" not in text


def test_piped_tables_are_not_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Output that is not a terminal gets room enough: long sources and origins are printed whole."""
    long_name = "vcenter-" + "x" * 70 + ".example.test"
    now = datetime(2026, 1, 1, tzinfo=UTC)
    estate = Estate(collected_at=now, sources=[Source(name=long_name, kind=SourceKind.FILE, collected_at=now)])
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(estate.model_dump_json())
    db = str(tmp_path / "p.db")
    assert run_planner(["--db", db, "inventory", "import", str(snapshot)]) == 3  # no VM: refused
    assert run_planner(["--db", db, "inventory", "import", str(snapshot), "--allow-empty"]) == 0
    assert run_planner(["--db", db, "inventory", "list"]) == 0
    assert long_name in capsys.readouterr().out


def test_export_format_follows_the_extension(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    example = "example"
    assert run_planner(["inventory", "export", example, "-o", str(tmp_path / "audit.xlsx")]) == 0
    assert "vms" in load_workbook(tmp_path / "audit.xlsx").sheetnames
    assert run_planner(["inventory", "export", example, "-o", str(tmp_path / "vms.csv")]) == 0
    assert (tmp_path / "vms.csv").read_text().startswith("name,")
    assert run_planner(["inventory", "export", example, "-f", "json", "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "-f json contradicts -o x.xlsx" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


def test_unknown_extension_needs_a_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_planner(["inventory", "export", "example", "-o", str(tmp_path / "estate.pdf")]) == 2
    assert "-o estate.pdf: planner inventory export cannot write .pdf files" in capsys.readouterr().err
    assert run_planner(["inventory", "export", "example", "-f", "json", "-o", str(tmp_path / "estate.pdf")]) == 0
    assert run_planner(["inventory", "export", "example", "-o", str(tmp_path / "estate")]) == 0
