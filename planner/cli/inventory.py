"""`planner inventory`: collect, import, list, show, export and diff estate snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from planner.audit.export import ExportFormat, export_estate
from planner.audit.summary import EstateSummary, summarize
from planner.cli.common import (
    SNAPSHOT_COMMAND,
    TableOrJson,
    console,
    count,
    dump_json,
    emit,
    err_console,
    load_snapshot,
    open_store,
    options,
    safe,
    snapshot_arg_help,
    vm_count,
    warn,
)
from planner.cli.output import OutputFormats
from planner.cli.progress import activity
from planner.cli.tables import Column, available_width, fit_table, print_table
from planner.errors import InputError
from planner.memory import keep_until_exit
from planner.sources import load_estate_file
from planner.store.file_import import prepare_snapshot_file
from planner.store.parts import LISTING, NONE
from planner.text import escape_invisible, printable

app = typer.Typer(help="Audit: collect, import, list, show, export and diff estate snapshots.", no_args_is_help=True)

SnapshotArg = Annotated[str | None, typer.Argument(help=snapshot_arg_help(), show_default=False)]
FormatOpt = Annotated[TableOrJson, typer.Option("--format", "-f", help="Output format.")]


@app.command("list")
def list_snapshots(fmt: FormatOpt = TableOrJson.table) -> None:
    """List the stored snapshots, oldest first."""
    path = options.db_path
    snapshots = []
    if path.is_file():
        with open_store() as store:
            snapshots = store.list()
    if fmt is TableOrJson.json:
        emit(dump_json({"format_version": 1, "snapshots": [s.as_dict() for s in snapshots]}), None)
    if not snapshots:
        where = "no snapshots yet" if path.is_file() else f"there is no snapshot store at {path} yet"
        err_console.print(safe(f"{where}: run `planner inventory collect` or `planner inventory import` (or check "
                               "--db / PLANNER_DB)."))
        return
    if fmt is TableOrJson.table:
        rows = [(str(info.id), info.collected_at.strftime("%Y-%m-%d %H:%M:%S"), info.origin, ", ".join(info.sources),
                 str(info.vm_count - info.template_count), str(info.template_count or "-"), info.label or "")
                for info in snapshots]
        print_table(console, fit_table(LIST_COLUMNS, rows, available_width(console)))


LIST_COLUMNS = (Column("id", "right", identifier=True), Column("collected at (UTC)"),
                Column("origin", drop_rank=3), Column("sources", drop_rank=2), Column("VMs", "right"),
                Column("templates", "right", drop_rank=1), Column("label", identifier=True))


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(title.split(" ")[-1])
    table.add_column("VMs", justify="right")
    for key, value in counts.items():
        table.add_row(safe(key), str(value))
    return table


def _print_summary(summary: EstateSummary, label: str) -> None:
    console.print(Text.assemble((f"Snapshot {printable(label)}", "bold"),
                                f" — sources: {printable(', '.join(summary.sources)) or '-'}; "
                                f"collected {summary.collected_at}"))
    console.print(f"{vm_count(summary.vms, summary.templates)}, {count(summary.hosts, 'host')}, "
                  f"{count(summary.clusters, 'cluster')}, {count(summary.datastores, 'datastore')}, "
                  f"{count(summary.networks, 'network')}; "
                  f"{summary.total_vcpu} vCPU, {summary.total_memory_gib} GiB memory, "
                  f"{summary.total_provisioned_gib} GiB provisioned disk")
    console.print(_counts_table("VMs by power state", summary.by_power_state))
    console.print(_counts_table("VMs by OS family", summary.by_os_family))
    console.print(_counts_table("VMs by cluster", summary.by_cluster))
    rows = [(row["name"], str(row["num_cpu"] or "-"), str(row["memory_gib"]), str(row["provisioned_gib"]),
             row["cluster"] or "-", row["power_state"] or "-") for row in summary.largest]
    print_table(console, fit_table(LARGEST_COLUMNS, rows, available_width(console), title="Largest VMs"))


LARGEST_COLUMNS = (Column("VM", identifier=True), Column("vCPU", "right"), Column("memory GiB", "right"),
                   Column("disk GiB", "right"), Column("cluster", drop_rank=1), Column("power", drop_rank=2))


@app.command("show", context_settings=SNAPSHOT_COMMAND)
def show(
    snapshot: SnapshotArg = None,
    fmt: FormatOpt = TableOrJson.table,
    top: Annotated[int, typer.Option(help="How many of the largest VMs to list.", min=0)] = 10,
) -> None:
    """Summarise a snapshot: counts by power state, OS family and cluster; the largest VMs."""
    estate, label, snapshot_id = load_snapshot(snapshot, NONE)  # from the store: the disks follow, chunk by chunk
    if snapshot_id is None:
        summary = summarize(estate, top=top)
    else:
        with open_store() as store:
            stored = store.vm_parts(snapshot_id, LISTING)
        sizes = [vm.provisioned_bytes for chunk in stored.in_turn(estate.vms) for vm in chunk]
        summary = summarize(estate, top=top, provisioned=sizes)
    if fmt is TableOrJson.json:
        emit(dump_json({"format_version": 1, "snapshot": label, "snapshot_id": snapshot_id, **summary.as_dict()}),
             None)
    else:
        _print_summary(summary, label)


EXPORT_OUTPUT = OutputFormats("planner inventory export", {".json": "json", ".csv": "csv", ".xlsx": "xlsx"},
                              default="json", file_only=frozenset({"xlsx"}))


@app.command("export", context_settings=SNAPSHOT_COMMAND)
def export(
    snapshot: SnapshotArg = None,
    fmt: Annotated[ExportFormat | None, typer.Option("--format", "-f", help="json: the full snapshot; csv: one row "
                                                     "per VM; xlsx: an audit workbook, one sheet per collection. "
                                                     "Default: from the -o extension, else json.",
                                                     show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (stdout for json/csv if "
                                                 "omitted).")] = None,
) -> None:
    """Export a snapshot as JSON, CSV or an xlsx workbook."""
    chosen = ExportFormat(EXPORT_OUTPUT.choose(fmt, output))
    estate = load_snapshot(snapshot).estate
    if output is None:
        from planner.audit.export import to_csv

        if chosen is ExportFormat.json:
            emit(escape_invisible(estate.model_dump_json(indent=2)) + "\n", None)  # same JSON, terminal-safe
        else:
            emit(to_csv(estate), None)
        return
    with activity(f"writing {output.name}"):
        export_estate(estate, chosen, output)
    templates = sum(1 for vm in estate.vms if vm.template)
    err_console.print(safe(f"wrote {output} ({chosen.value}): {vm_count(len(estate.vms) - templates, templates)}"))


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A planner snapshot JSON, or an RVTools export (.xlsx, a folder of "
                                         "RVTools_tab*.csv files, or a .zip of them).")],
    label: Annotated[str | None, typer.Option(help="A label for the snapshot.")] = None,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Store a snapshot even if it holds no VM.")]
    = False,
    fmt: FormatOpt = TableOrJson.table,
) -> None:
    """Import a snapshot file or an RVTools export into the store."""
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        warn(message)

    with activity(f"reading {path.name}"):
        prepared = prepare_snapshot_file(path)  # a snapshot file a chunk of VMs at a time, when it reads plainly
        estate = prepared.estate if prepared is not None else load_estate_file(path, on_warning=note)
    keep_until_exit(estate, prepared)
    vms = prepared.vm_count if prepared is not None else len(estate.vms)
    if not vms and not allow_empty:
        raise InputError(f"{path} holds no VM; nothing was stored.",
                         hint="Check that it is the right export, or pass --allow-empty to store it anyway.")
    origin = f"import:{path.name}"
    with open_store(create=True) as store, activity(f"storing {vm_count(vms, 0)}"):
        if prepared is None:
            info = store.save(estate, origin=origin, label=label)
        else:
            info = store.save_parts(estate, prepared.rows, vm_count=prepared.vm_count,
                                    template_count=prepared.template_count, origin=origin, label=label)
    if fmt is TableOrJson.json:
        emit(dump_json({"format_version": 1, "snapshot": info.as_dict(), "warnings": warnings}), None)
    else:
        stored = vm_count(info.vm_count - info.template_count, info.template_count)
        err_console.print(safe(f"stored snapshot {info.id}: {stored} from {path}"))


def _register_commands() -> None:
    """`collect` and `diff` live in their own modules to keep this one small."""
    from planner.cli import inventory_collect, inventory_diff

    inventory_collect.register(app)
    inventory_diff.register(app)


_register_commands()


def register(root: typer.Typer) -> None:
    """Add `inventory` to the root command."""
    root.add_typer(app, name="inventory")
