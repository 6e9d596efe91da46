"""Tables that fit: the terminal's width, or ``COLUMNS`` when piped, else their natural width (never squeezed).

A command declares its columns with :class:`Column` and passes rows of plain strings or rich ``Text`` (a string
is never read as markup). :func:`fit_table` then

1. drops columns with no value in any row (empty or ``-``);
2. while the table is wider than the room, drops the droppable column of the highest ``drop_rank``;
3. lets the remaining columns wrap at spaces and fold a long word, never cutting it with an ellipsis;
   identifier columns (VM names, ids) get the room of their longest value first so they are not folded either.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text

from planner.text import printable

Cell = str | Text


@dataclass(frozen=True)
class Column:
    """One table column: its header, alignment, whether it holds identifiers, and how readily it is dropped."""

    header: str
    justify: JustifyMethod = "left"
    identifier: bool = False
    drop_rank: int = 0
    """0: always shown (if it has values); higher ranks are dropped first when the table does not fit."""


def _text(cell: Cell) -> Text:
    return cell if isinstance(cell, Text) else Text(printable(cell))


def _is_empty(cell: Cell) -> bool:
    return _text(cell).plain.strip() in ("", "-")


def available_width(console: Console) -> int | None:
    """The terminal's width; `COLUMNS` when not a terminal; None (natural width) for a pipe or file without it."""
    if console.is_terminal:
        return console.width
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else None


def _natural_width(widths: list[int]) -> int:
    """A rich box table's width for these content widths (one space of padding each side, one border)."""
    return sum(widths) + 3 * len(widths) + 1


def fit_table(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int | None = None, *,
              title: str | Text | None = None) -> Table:
    """A rich table of `rows` within `width` columns (None: no limit), as described in the module docstring."""
    cells = [[_text(cell) for cell in row] for row in rows]
    keep = [i for i, _ in enumerate(columns) if not rows or any(not _is_empty(row[i]) for row in cells)]
    widths = {i: max([len(columns[i].header)] + [row[i].cell_len for row in cells]) for i in keep}
    while width is not None and _natural_width([widths[i] for i in keep]) > width:
        droppable = [i for i in keep if columns[i].drop_rank > 0]
        if not droppable:
            break
        keep.remove(max(droppable, key=lambda i: (columns[i].drop_rank, i)))
    table = Table(title=_text(title) if title is not None else None, title_justify="left")
    for i in keep:
        column = columns[i]
        longest = widths[i]
        room = longest if width is None else min(longest, max(8, width // 3))
        table.add_column(column.header, justify=column.justify, overflow="fold",
                         min_width=room if column.identifier else None)
    for row in cells:
        table.add_row(*(row[i] for i in keep))
    return table


def table_width(table: Table, width: int | None) -> int | None:
    """The width to print `table` at: `width`, or its natural width when there is no limit."""
    if width is not None:
        return width
    measure = Console(file=io.StringIO(), width=10_000)
    return measure.measure(table).maximum


def print_table(console: Console, table: Table) -> None:
    """Print a fitted table on `console` at the room :func:`available_width` gives."""
    console.print(table, width=table_width(table, available_width(console)))


def render_text(renderables: Sequence[RenderableType], width: int | None = None) -> str:
    """Renderables as plain text (no colour) for a file: at `width`, or each at its natural width."""
    buffer = io.StringIO()
    out = Console(file=buffer, width=10_000, highlight=False, color_system=None, force_terminal=False)
    for item in renderables:
        out.print(item, width=table_width(item, width) if isinstance(item, Table) else width or 10_000,
                  soft_wrap=not isinstance(item, Table))
    return buffer.getvalue()
