"""`planner inventory diff A B`: VMs added, removed, renamed and changed between two snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import RenderableType
from rich.text import Text

from planner.audit.diff import EstateDiff, diff_estates
from planner.cli.common import (
    SNAPSHOT_COMMAND,
    TableOrJson,
    console,
    dump_json,
    emit,
    load_snapshot,
    snapshot_arg_help,
    warn,
)
from planner.cli.output import OutputFormats
from planner.cli.progress import activity
from planner.cli.tables import Column, available_width, fit_table, render_text
from planner.models import Estate
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


VM_COLUMNS = (Column("VM", identifier=True), Column("source", drop_rank=3), Column("cluster", drop_rank=1),
              Column("host", drop_rank=2), Column("power"))
RENAMED_COLUMNS = (Column("before", identifier=True), Column("after", identifier=True), Column("matched on"))
CHANGED_COLUMNS = (Column("VM", identifier=True), Column("field", identifier=True), Column("before"),
                   Column("after"))


def render_table(diff: EstateDiff, width: int | None = None) -> str:
    """The human-readable diff, as text (rich tables without colour) within `width` (None: natural width)."""
    summary = diff.summary()
    parts: list[RenderableType] = [plain(f"Snapshot {diff.before_label} -> {diff.after_label}: "
                                         + ", ".join(f"{value} {key}" for key, value in summary.items()))]
    for title, vms in (("Added", diff.added), ("Removed", diff.removed)):
        if vms:
            rows: list[tuple[str, ...]] = [(vm.name, vm.source, vm.cluster or "-", vm.host or "-",
                     vm.power_state.value if vm.power_state else "-") for vm in vms]
            parts.append(fit_table(VM_COLUMNS, rows, width, title=f"{title} VMs"))
    if diff.renamed:
        rows = [(match.before.name, match.after.name, match.matched_on) for match in diff.renamed]
        parts.append(fit_table(RENAMED_COLUMNS, rows, width, title="Renamed VMs"))
    if diff.changed:
        rows = [(match.after.name if index == 0 else "", change.field, _short(change.before), _short(change.after))
                for match in diff.changed for index, change in enumerate(match.changes)]
        parts.append(fit_table(CHANGED_COLUMNS, rows, width, title="Changed VMs"))
    return render_text(parts, width)


def _warn_if_backwards(old: Estate, old_label: str, old_id: int | None, new: Estate, new_label: str,
                       new_id: int | None) -> None:
    """A diff from a newer snapshot to an older one shows every change reversed: say so."""
    by_id = old_id is not None and new_id is not None and old_id > new_id
    if by_id or old.collected_at > new.collected_at:
        warn(f"BEFORE ({old_label}, collected {old.collected_at:%Y-%m-%d %H:%M}) is newer than AFTER ({new_label}, "
             f"collected {new.collected_at:%Y-%m-%d %H:%M}): changes are shown from newer to older; swap the two to "
             "see what changed since.")


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
        old, old_label, old_id = load_snapshot(before)
        new, new_label, new_id = load_snapshot(after)
        _warn_if_backwards(old, old_label, old_id, new, new_label, new_id)
        with activity("comparing the snapshots"):
            result = diff_estates(old, new, before_label=old_label, after_label=new_label)
        if chosen is TableOrJson.json:
            document = result.as_dict()
            document["before"]["snapshot_id"], document["after"]["snapshot_id"] = old_id, new_id
            emit(dump_json(document), output)
        else:
            emit(render_table(result, available_width(console) if output is None else None), output)
