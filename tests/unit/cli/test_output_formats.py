"""Item 2 of issue 12: one rule for every command with -o — the format follows the extension; an extension the
command cannot write, or -f contradicting it, is exit 2 worded the same everywhere; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.conftest import Run

UNWRITABLE = [
    (("graph", "example"), "g.png", "planner graph", "svg (.svg)"),
    (("assess", "example"), "a.xlsx", "planner assess", "csv (.csv)"),
    (("waves", "example"), "w.csv", "planner waves", "table (.txt, .text)"),
    (("inventory", "diff", "example", "example"), "diff.csv", "planner inventory diff", "json (.json)"),
    (("inventory", "export", "example"), "estate.png", "planner inventory export", "xlsx (.xlsx)"),
    (("discover", "inventory", "example"), "hosts.txt", "planner discover inventory", "yaml (.yaml, .yml)"),
]


@pytest.mark.parametrize(("args", "name", "command", "listed"), UNWRITABLE)
def test_an_extension_the_command_cannot_write_is_exit_2(run: Run, tmp_path: Path, args: tuple[str, ...],
                                                         name: str, command: str, listed: str) -> None:
    code, out, err = run(*args, "-o", str(tmp_path / name))
    suffix = Path(name).suffix
    assert code == 2 and not out
    assert f"error: -o {name}: {command} cannot write {suffix} files; it writes " in err and listed in err
    assert not (tmp_path / name).exists()


CONTRADICTIONS = [
    (("graph", "example"), "json", "g.svg", "svg"),
    (("assess", "example"), "csv", "a.json", "json"),
    (("waves", "example"), "json", "w.txt", "table"),
    (("inventory", "diff", "example", "example"), "table", "d.json", "json"),
    (("inventory", "export", "example"), "csv", "e.xlsx", "xlsx"),
    (("discover", "inventory", "example"), "json", "h.yml", "yaml"),
]


@pytest.mark.parametrize(("args", "fmt", "name", "implied"), CONTRADICTIONS)
def test_a_contradicting_format_is_worded_the_same_everywhere(run: Run, tmp_path: Path, args: tuple[str, ...],
                                                              fmt: str, name: str, implied: str) -> None:
    code, _, err = run(*args, "-f", fmt, "-o", str(tmp_path / name))
    assert code == 2
    assert (f"error: -f {fmt} contradicts -o {name}, which names the {implied} format; drop -f or change the "
            "extension.") in err
    assert not list(tmp_path.glob(name))


def test_the_extension_picks_the_format(run: Run, tmp_path: Path) -> None:
    assert run("inventory", "diff", "example", "example", "-o", str(tmp_path / "d.json"))[0] == 0
    assert (tmp_path / "d.json").read_text().startswith("{")
    assert run("waves", "example", "-o", str(tmp_path / "w.txt"))[0] == 0
    assert "Waves of snapshot" in (tmp_path / "w.txt").read_text()
    assert run("discover", "inventory", "example", "-o", str(tmp_path / "h.json"))[0] == 0
    assert (tmp_path / "h.json").read_text().startswith("{")
    assert run("waves", "example", "-f", "json", "-o", str(tmp_path / "plan.out"))[0] == 0  # explicit -f wins
