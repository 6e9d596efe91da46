"""`planner inventory`: collect, import, list, show, export and diff estate snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from planner.audit.export import ExportFormat, export_estate
from planner.audit.summary import EstateSummary, summarize
from planner.cli.common import (
    SNAPSHOT_COMMAND,
    TableOrJson,
    console,
    dump_json,
    emit,
    err_console,
    load_snapshot,
    open_store,
    snapshot_arg_help,
    warn,
)
from planner.errors import InputError
from planner.sources import load_estate_file

app = typer.Typer(help="Audit: collect, import, list, show, export and diff estate snapshots.", no_args_is_help=True)

SnapshotArg = Annotated[str | None, typer.Argument(help=snapshot_arg_help(), show_default=False)]
FormatOpt = Annotated[TableOrJson, typer.Option("--format", "-f", help="Output format.")]


@app.command("list")
def list_snapshots(fmt: FormatOpt = TableOrJson.table) -> None:
    """List the stored snapshots, oldest first."""
    with open_store() as store:
        snapshots = store.list()
    if fmt is TableOrJson.json:
        emit(dump_json({"format_version": 1, "snapshots": [s.as_dict() for s in snapshots]}), None)
        return
    if not snapshots:
        err_console.print("no snapshots yet: run `planner inventory collect` or `planner inventory import`.")
        return
    table = Table("id", "collected at (UTC)", "origin", "sources", "VMs", "label")
    for info in snapshots:
        table.add_row(str(info.id), info.collected_at.strftime("%Y-%m-%d %H:%M:%S"), info.origin,
                      ", ".join(info.sources), str(info.vm_count), info.label or "")
    console.print(table)


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(title.split(" ")[-1])
    table.add_column("VMs", justify="right")
    for key, value in counts.items():
        table.add_row(key, str(value))
    return table


def _print_summary(summary: EstateSummary, label: str) -> None:
    console.print(f"[bold]Snapshot {label}[/] — sources: {', '.join(summary.sources) or '-'}; "
                  f"collected {summary.collected_at}")
    console.print(f"{summary.vms} VMs (+{summary.templates} templates), {summary.hosts} hosts, "
                  f"{summary.clusters} clusters, {summary.datastores} datastores, {summary.networks} networks; "
                  f"{summary.total_vcpu} vCPU, {summary.total_memory_gib} GiB memory, "
                  f"{summary.total_provisioned_gib} GiB provisioned disk")
    console.print(_counts_table("VMs by power state", summary.by_power_state))
    console.print(_counts_table("VMs by OS family", summary.by_os_family))
    console.print(_counts_table("VMs by cluster", summary.by_cluster))
    largest = Table("VM", "vCPU", "memory GiB", "disk GiB", "cluster", "power", title="Largest VMs",
                    title_justify="left")
    for row in summary.largest:
        largest.add_row(row["name"], str(row["num_cpu"] or "-"), str(row["memory_gib"]), str(row["provisioned_gib"]),
                        row["cluster"] or "-", row["power_state"] or "-")
    console.print(largest)


@app.command("show", context_settings=SNAPSHOT_COMMAND)
def show(
    snapshot: SnapshotArg = None,
    fmt: FormatOpt = TableOrJson.table,
    top: Annotated[int, typer.Option(help="How many of the largest VMs to list.", min=0)] = 10,
) -> None:
    """Summarise a snapshot: counts by power state, OS family and cluster; the largest VMs."""
    estate, label = load_snapshot(snapshot)
    summary = summarize(estate, top=top)
    if fmt is TableOrJson.json:
        emit(dump_json({"format_version": 1, "snapshot": label, **summary.as_dict()}), None)
    else:
        _print_summary(summary, label)


@app.command("export", context_settings=SNAPSHOT_COMMAND)
def export(
    snapshot: SnapshotArg = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="json: the full snapshot; csv: one row per "
                                              "VM; xlsx: an audit workbook, one sheet per collection.")]
    = ExportFormat.json,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (stdout for json/csv if "
                                                 "omitted).")] = None,
) -> None:
    """Export a snapshot as JSON, CSV or an xlsx workbook."""
    estate, _label = load_snapshot(snapshot)
    if output is None:
        if fmt is ExportFormat.xlsx:
            raise InputError("xlsx export needs an output file: add -o FILE.xlsx.")
        from planner.audit.export import to_csv

        emit(estate.model_dump_json(indent=2) + "\n" if fmt is ExportFormat.json else to_csv(estate), None)
        return
    export_estate(estate, fmt, output)
    err_console.print(f"wrote {output} ({len(estate.vms)} VMs, {fmt.value})")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A planner snapshot JSON, or an RVTools export (.xlsx, a folder of "
                                         "RVTools_tab*.csv files, or a .zip of them).")],
    label: Annotated[str | None, typer.Option(help="A label for the snapshot.")] = None,
    fmt: FormatOpt = TableOrJson.table,
) -> None:
    """Import a snapshot file or an RVTools export into the store."""
    estate = load_estate_file(path, on_warning=warn)
    with open_store() as store:
        info = store.save(estate, origin=f"import:{path.name}", label=label)
    if fmt is TableOrJson.json:
        emit(dump_json({"format_version": 1, "snapshot": info.as_dict()}), None)
    else:
        err_console.print(f"stored snapshot {info.id}: {info.vm_count} VMs from {path}")


def _register_commands() -> None:
    """`collect` and `diff` live in their own modules to keep this one small."""
    from planner.cli import inventory_collect, inventory_diff

    inventory_collect.register(app)
    inventory_diff.register(app)


_register_commands()
