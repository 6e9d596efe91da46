"""Item 3 of issue 12: tables fit the terminal, or COLUMNS when piped; empty and low-value columns go first;
identifiers are never cut."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from planner.cli.tables import Column, fit_table, render_text
from tests.unit.cli.conftest import Run

COLUMNS = (Column("VM", identifier=True), Column("notes"), Column("cluster", drop_rank=1),
           Column("host", drop_rank=2), Column("empty", drop_rank=0))
LONG_NAME = "app-very-long-identifier-name-01.corp.example.test"
ROWS = [(LONG_NAME, "a few words of notes that can wrap", "cluster-01", "esx-host-17.example.test", "-"),
        ("db-01", "-", "cluster-02", "esx-host-18.example.test", "")]


def _headers(text: str) -> str:
    return text.splitlines()[1]


def test_empty_columns_are_dropped_and_the_rest_kept_when_there_is_room() -> None:
    text = render_text([fit_table(COLUMNS, ROWS, None)])
    assert "empty" not in text and "cluster" in text and "host" in text


def test_low_value_columns_go_first_and_identifiers_stay_whole() -> None:
    text = render_text([fit_table(COLUMNS, ROWS, 110)], 110)
    assert "host" not in _headers(text) and "cluster" in _headers(text)
    assert all(len(line) <= 110 for line in text.splitlines())
    assert LONG_NAME in text.replace("│", "").replace(" ", "") or LONG_NAME in text
    assert "…" not in text
    narrow = render_text([fit_table(COLUMNS, ROWS, 50)], 50)
    assert "cluster" not in _headers(narrow) and all(len(line) <= 50 for line in narrow.splitlines())
    assert "…" not in narrow  # folded, never cut
    assert LONG_NAME in "".join(line.split("│")[1].strip() for line in narrow.splitlines() if line.count("│") > 1)


def test_cells_are_never_markup() -> None:
    out = io.StringIO()
    Console(file=out, width=80).print(fit_table((Column("VM"),), [("[red]x[/red]",)], 80))
    assert "[red]x[/red]" in out.getvalue()


@pytest.mark.parametrize("args", [("assess", "example"), ("waves", "example"), ("inventory", "list"),
                                  ("inventory", "show", "example"), ("inventory", "diff", "1", "example")],
                         ids=" ".join)
def test_piped_output_honours_columns(example_store: Run, monkeypatch: pytest.MonkeyPatch,
                                      args: tuple[str, ...]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = example_store(*args)
    assert code == 0 and out.strip()
    too_wide = [line for line in out.splitlines() if len(line) > 80 and ("│" in line or args[0] == "assess")]
    assert not too_wide


def test_piped_output_without_columns_is_never_squeezed(example_store: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    code, out, _ = example_store("inventory", "list")
    assert code == 0 and "import:estate.json" in out and "vcenter.example.test" in out
