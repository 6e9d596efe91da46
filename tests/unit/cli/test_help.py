"""Item 4 of issue 12: every command's --help fits 80 columns, with word metavars and examples."""

from __future__ import annotations

import re

import pytest

from planner.cli import build_command, register_commands


def _paths(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*path, name))


register_commands([])  # every command (they register lazily: only the one being run)
COMMANDS = list(_paths(build_command()))
assert len(COMMANDS) >= 19, COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "planner")
def test_help_at_80_columns(run, monkeypatch: pytest.MonkeyPatch, path: tuple[str, ...]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = _raw_help(run, path)
    lines = out.splitlines()
    assert lines[0].startswith(f"Usage: planner {' '.join(path)}".rstrip())
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide
    for bad in ("<bool>", "list[", "int range", "<path>", "<str>", "<int>", "…", "[snapshot]", "x>=", "x<="):
        assert bad not in out, bad
    assert "Examples:" in out and "  planner" in out.split("Examples:")[1]
    for metavar in re.findall(r"--[\w-]+ ([^\s,]+)", out.split("Options:")[-1].split("Examples:")[0]):
        assert metavar.isupper() or metavar.startswith("[") or "=" in metavar or metavar.startswith("/"), metavar


def _raw_help(run, path):
    import pytest as _pytest

    from planner.cli import main

    run.capsys.readouterr()
    with _pytest.raises(SystemExit):
        main([*path, "--help"])
    return run.capsys.readouterr().out


def test_diff_before_is_required_and_not_latest_by_default(run) -> None:
    out = _raw_help(run, ("inventory", "diff"))
    assert "Usage: planner inventory diff [OPTIONS] BEFORE [AFTER]" in out
    before = out.split("BEFORE ", 2)[2].split("AFTER")[0]
    assert "latest (default)" not in before and "default" not in before


def test_folder_options_say_dir(run) -> None:
    """`generate -o` and `--templates` name folders, so their metavar is DIR, not FILE."""
    out = _raw_help(run, ("generate",))
    assert "-o, --output DIR" in out and "--templates DIR" in out and "--base-images FILE" in out
