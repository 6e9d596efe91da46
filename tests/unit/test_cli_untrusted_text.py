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


# Every command that prints: ESC, CSI (C1), bidi and zero-width marks and markup from VM names, guest output, file
# names and warnings are shown escaped, never raw, in tables, messages, progress and JSON alike.

HOSTILE = "\x1b]0;t\x07\x9b2J\u202egnp.exe\u2066\u200b[bold]"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u200b")


def assert_no_raw_controls(text: str, markup: str = "[bold]") -> None:
    leaked = [hex(ord(char)) for char in RAW_CONTROLS if char in text]
    assert not leaked, leaked
    assert "gnp.exe" in text and markup in text  # the hostile names were shown, escaped, markup literal


def hostile_store(tmp_path: Path) -> tuple[str, Path]:
    """A store whose snapshot has two hostile VM names, and a hostile-named flow file between them."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    estate = Estate(collected_at=now, sources=[Source(name=f"vc{HOSTILE}", kind=SourceKind.FILE, collected_at=now)],
                    vms=[Vm(name=f"web{HOSTILE}", source="vc", cluster=f"c{HOSTILE}", power_state=PowerState.ON,
                            num_cpu=2, memory_mib=1024, guest_ips=["192.0.2.10"], annotation=HOSTILE),
                         Vm(name=f"db{HOSTILE}", source="vc", power_state=PowerState.ON, num_cpu=2, memory_mib=512,
                            guest_ips=["192.0.2.11"])])
    snapshot = tmp_path / f"estate{HOSTILE}.json"
    snapshot.write_text(estate.model_dump_json())
    db = str(tmp_path / "p.db")
    assert run_planner(["--db", db, "inventory", "import", str(snapshot)]) == 0
    return db, snapshot


@pytest.mark.parametrize("command", [
    ["inventory", "show"], ["inventory", "list"], ["inventory", "diff", "latest", "FILE"],
    ["inventory", "export", "latest", "-f", "json"],
    ["discover", "inventory"], ["discover", "inventory", "-f", "json"],
    ["graph", "-f", "json"], ["graph", "-f", "dot"], ["graph", "-f", "graphml"],
    ["waves"], ["waves", "-f", "json"], ["waves", "FILE"],
    ["waves", "--together", f"web{HOSTILE},db{HOSTILE}", "--exclude", f"web{HOSTILE}"],
    ["assess"], ["assess", "-f", "json"], ["assess", "-f", "markdown"],
    ["plan", "FILE", "-o", "OUT"], ["plan", "FILE", "-o", "OUT", "-f", "json"],
])
def test_every_command_shows_hostile_text_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  command: list[str]) -> None:
    db, snapshot = hostile_store(tmp_path)
    capsys.readouterr()
    argv = [str(snapshot) if part == "FILE" else str(tmp_path / "out") if part == "OUT" else part
            for part in command]
    assert run_planner(["--db", db, *argv]) == 0
    captured = capsys.readouterr()
    assert_no_raw_controls(captured.out + captured.err, "\\[bold\\]" if "markdown" in argv else "[bold]")


def test_discover_run_and_flow_import_show_guest_text_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.cli import discover as discover_cli
    from planner.discovery.merge import merge
    from planner.discovery.raw import RawGuest
    from planner.discovery.runner import DiscoveryRun

    db, _ = hostile_store(tmp_path)
    failed = merge(RawGuest(host=f"h{HOSTILE}", started=datetime.now(UTC), unreachable=True,
                            errors=[f"unreachable: {HOSTILE}"]))

    def run_discovery(options, progress=None):  # the runner's events and result, with hostile guest text
        progress(f"h{HOSTILE}", f"step{HOSTILE}", "ok")
        progress(f"h{HOSTILE}", "", "unreachable")
        return DiscoveryRun([failed], [], 4, "failed", 0.5)

    monkeypatch.setattr(discover_cli, "resolve_inventory", lambda text: {"all": {"hosts": {}}})
    monkeypatch.setattr(discover_cli, "run_discovery", run_discovery)
    for fmt in ("table", "json"):
        capsys.readouterr()
        assert run_planner(["--db", db, "discover", "run", "-i", "x,", "-f", fmt]) == 10
        captured = capsys.readouterr()
        assert_no_raw_controls(captured.out + captured.err)
    flows = tmp_path / f"flows{HOSTILE}.csv"
    flows.write_text(f"src_ip,dst_ip,dst_port\n192.0.2.10,192.0.2.11,5432\n{HOSTILE},192.0.2.11,80\n")
    for fmt in ("table", "json"):
        capsys.readouterr()
        assert run_planner(["--db", db, "discover", "import-flows", str(flows), "--skip-bad", "-f", fmt]) == 0
        captured = capsys.readouterr()
        assert_no_raw_controls(captured.out + captured.err)


def test_escaped_yaml_and_json_read_back_as_the_original_names(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
    db, _ = hostile_store(tmp_path)
    capsys.readouterr()
    assert run_planner(["--db", db, "discover", "inventory"]) == 0
    hosts = yaml.load(capsys.readouterr().out, Loader=Loader)["all"]["hosts"]
    assert {host["planner_vm"] for host in hosts.values()} == {f"web{HOSTILE}", f"db{HOSTILE}"}
    assert run_planner(["--db", db, "waves", "-f", "json"]) == 0
    waves = json.loads(capsys.readouterr().out)["waves"]
    assert {vm for wave in waves for vm in wave["vms"]} == {f"web{HOSTILE}", f"db{HOSTILE}"}
    assert run_planner(["--db", db, "graph", "-f", "graphml"]) == 0
    import networkx as nx

    graph = nx.parse_graphml(capsys.readouterr().out)  # the references read back as the marks themselves
    names = [str(data.get("name", node)) for node, data in graph.nodes(data=True)]
    assert sum("\x9b2J\u202egnp.exe\u2066\u200b[bold]" in name for name in names) == 2, names


@pytest.mark.parametrize("char", ["\x1b", "\x85", "\x9b", "\u061c", "\u200e", "\u202e", "\u2060", "\u2067", "\ufeff",
                                  "\ud800"])
def test_printable_escapes_controls_bidi_zero_width_and_surrogates(char: str) -> None:
    from planner.text import escape_invisible, markup, printable

    shown = printable(f"a{char}b")
    assert char not in shown and shown.startswith("a\\") and shown.endswith("b")
    assert markup(f"[x]{char}") == "\\[x]" + printable(char)
    shown.encode("utf-8")  # a lone surrogate would not even reach the terminal
    if char != "\x1b":  # json.dumps escapes C0 itself
        assert char not in escape_invisible(f'"{char}"')
