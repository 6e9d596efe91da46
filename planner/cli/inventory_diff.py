"""`planner inventory diff A B`: VMs added, removed, renamed and changed between two snapshots."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from planner.audit.diff import EstateDiff, diff_estates
from planner.cli.common import SNAPSHOT_COMMAND, TableOrJson, dump_json, emit, load_snapshot, snapshot_arg_help
from planner.cli.output import OutputFormats
from planner.text import printable

DIFF_OUTPUT = OutputFormats("planner inventory diff", {".json": "json", ".txt": "table"}, default="table")


def plain(value: Any) -> Text:
    """Untrusted text (VM names, host names, labels) as a table cell: never read as rich markup, and
    unprintable characters shown as `\\xNN` / `\\uNNNN` escapes."""
    return Text(printable(value))


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def render_table(diff: EstateDiff, width: int = 120) -> str:
    """The human-readable diff, as text (rich tables without colour)."""
    buffer = io.StringIO()
    out = Console(file=buffer, width=width, highlight=False, color_system=None, force_terminal=False)
    summary = diff.summary()
    out.print(plain(f"Snapshot {diff.before_label} -> {diff.after_label}: "
                    + ", ".join(f"{value} {key}" for key, value in summary.items())))
    for title, vms in (("Added", diff.added), ("Removed", diff.removed)):
        if vms:
            table = Table("VM", "source", "cluster", "host", "power", title=f"{title} VMs", title_justify="left")
            for vm in vms:
                table.add_row(plain(vm.name), plain(vm.source), plain(vm.cluster or "-"), plain(vm.host or "-"),
                              vm.power_state.value if vm.power_state else "-")
            out.print(table)
    if diff.renamed:
        table = Table("before", "after", "matched on", title="Renamed VMs", title_justify="left")
        for match in diff.renamed:
            table.add_row(plain(match.before.name), plain(match.after.name), match.matched_on)
        out.print(table)
    if diff.changed:
        table = Table("VM", "field", "before", "after", title="Changed VMs", title_justify="left")
        for match in diff.changed:
            for index, change in enumerate(match.changes):
                table.add_row(plain(match.after.name) if index == 0 else "", plain(change.field),
                              plain(_short(change.before)), plain(_short(change.after)))
        out.print(table)
    return buffer.getvalue()


def register(app: typer.Typer) -> None:
    """Add the `diff` command to the inventory group."""

    @app.command("diff", context_settings=SNAPSHOT_COMMAND)
    def diff(
        before: Annotated[str, typer.Argument(help="The older snapshot. " + snapshot_arg_help(default=None))],
        after: Annotated[str, typer.Argument(help="The newer snapshot (same forms).")] = "latest",
        fmt: Annotated[TableOrJson | None, typer.Option("--format", "-f", help="Output format (default: from the -o "
                                                        "extension, else table).", show_default=False)] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (stdout if omitted).")]
        = None,
    ) -> None:
        """Compare two snapshots: VMs added, removed, renamed (same UUID) and changed, field by field."""
        chosen = TableOrJson(DIFF_OUTPUT.choose(fmt, output))
        old, old_label, _ = load_snapshot(before)
        new, new_label, _ = load_snapshot(after)
        result = diff_estates(old, new, before_label=old_label, after_label=new_label)
        if chosen is TableOrJson.json:
            emit(dump_json(result.as_dict()), output)
        else:
            emit(render_table(result), output)
