"""`planner discover`: guest discovery with Ansible, a starter inventory, and flow imports."""

from __future__ import annotations

import io
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from planner.cli.common import (
    SNAPSHOT_COMMAND,
    TableOrJson,
    console,
    dump_json,
    emit,
    err_console,
    load_snapshot,
    names_a_file,
    open_store,
    snapshot_arg_help,
)
from planner.cli.flow_imports import place_flows
from planner.cli.output import OutputFormats
from planner.cli.tables import available_width
from planner.discovery.flows import read_flows
from planner.discovery.inventory import build_inventory, inventory_yaml
from planner.discovery.runner import DiscoveryOptions, resolve_inventory, run_discovery
from planner.discovery.settings import run_settings
from planner.discovery.storage import FLOWS_KIND, REACHED, SavedGuests, save_flows, save_guests
from planner.errors import ExecutionError, InputError, NotFoundError
from planner.graph.matching import match_guests
from planner.memory import keep_until_exit
from planner.models import Estate
from planner.models.discovery import DISCOVERY_FORMAT_VERSION, GuestDiscovery
from planner.store.parts import GRAPH
from planner.text import markup

app = typer.Typer(help="Discover guests with Ansible, write a starter inventory, import flows.", no_args_is_help=True)

SnapshotArg = Annotated[str | None, typer.Argument(
    metavar="SNAPSHOT", show_default=False,
    help="Stored snapshot: an id from `inventory list`, `latest` (default) or `-1` for the one before.")]
SnapshotAlias = Annotated[str | None, typer.Option(
    "--snapshot", "-s", hidden=True, help="The same as the SNAPSHOT argument (older form, still accepted).")]
FormatOpt = Annotated[TableOrJson, typer.Option("--format", "-f", help="Output format.")]


class InventoryFormat(StrEnum):
    yaml = "yaml"
    json = "json"


RUN_OUTPUT = OutputFormats("planner discover run", {".json": "json", ".txt": "table"}, default="table")
INVENTORY_OUTPUT = OutputFormats("planner discover inventory", {".yaml": "yaml", ".yml": "yaml", ".json": "json"},
                                 default="yaml")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _stored_id(ref: str | None) -> int:
    """The id of the stored snapshot ``ref`` names (its estate is not loaded: flows need only the id)."""
    if names_a_file(ref):
        _stored_snapshot(ref)  # the one message for a snapshot file
    with open_store() as store:
        try:
            return store.resolve(ref)
        except NotFoundError:
            if ref not in (None, "latest"):
                raise
    raise NotFoundError("the store holds no snapshot to import flows into.",
                        hint="Import or collect a snapshot first (`planner inventory import` / `collect`).")


def _one_snapshot(argument: str | None, alias: str | None) -> str | None:
    if argument is not None and alias is not None and argument != alias:
        raise InputError(f"two snapshots given: {argument} and --snapshot {alias}.", hint="Give one.")
    return argument if argument is not None else alias


def _stored_snapshot(ref: str | None) -> tuple[int, Estate] | None:
    """The stored snapshot results are attached to, with its estate; None when the store holds none and the user
    named none (results are then only printed). A snapshot *file* cannot hold stored data."""
    if names_a_file(ref):
        raise InputError(f"{ref} is a snapshot file: discovery results and flows are stored with a snapshot in the "
                         "store, not in a file.",
                         hint="Import it first (`planner inventory import FILE`), then give its id or `latest`.")
    try:
        loaded = load_snapshot(ref, GRAPH)  # what matching guests to VMs reads
    except NotFoundError:
        if ref not in (None, "latest"):
            raise
        return None
    assert loaded.snapshot_id is not None  # files were refused above
    return loaded.snapshot_id, loaded.estate


class _HostProgress:
    """One progress row per host, fed by ansible-runner events."""

    def __init__(self, progress: Progress, steps: int) -> None:
        self.progress = progress
        self.steps = steps
        self.rows: dict[str, TaskID] = {}

    def __call__(self, host: str, step: str, status: str) -> None:
        row = self.rows.get(host)
        if row is None:
            row = self.rows[host] = self.progress.add_task(markup(host), total=self.steps)
        if status == "unreachable":
            self.progress.update(row, description=f"[red]{markup(host)} unreachable", completed=self.steps)
            return
        if step.startswith("windows") and status == "skipped":
            return
        colour = "yellow" if status == "failed" else "green"
        self.progress.update(row, advance=1, description=f"[{colour}]{markup(host)}[/] {markup(step)}")


@app.command("run", context_settings=SNAPSHOT_COMMAND)
def run(
    inventory: Annotated[str, typer.Option("--inventory", "-i", help="Ansible inventory: a file, a directory, or a "
                                           "comma-separated host list (`host1,host2,`; one host needs the comma).")],
    snapshot: SnapshotArg = None,
    snapshot_alias: SnapshotAlias = None,
    limit: Annotated[str | None, typer.Option("--limit", "-l", metavar="PATTERN",
                                              help="Ansible host pattern to limit to.")] = None,
    forks: Annotated[int, typer.Option("--forks", min=1, help="Hosts in parallel.")] = 10,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Connection samples per host.")] = 3,
    interval: Annotated[float, typer.Option("--interval", min=0, help="Seconds between samples.")] = 5.0,
    timeout: Annotated[int, typer.Option("--timeout", min=1, help="Seconds per task per host.")] = 60,
    become: Annotated[bool, typer.Option("--become/--no-become", help="Use the inventory's become method (root "
                                         "sees every socket's process).")] = False,
    fmt: Annotated[TableOrJson | None, typer.Option("--format", "-f", help="Output format (default: from the -o "
                                                    "extension, else table).", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the output here.")] = None,
) -> None:
    """Discover guests over Ansible (read-only) and store the facts with a stored snapshot (default: latest)."""
    fmt = TableOrJson(RUN_OUTPUT.choose(fmt, output))
    stored = _stored_snapshot(_one_snapshot(snapshot, snapshot_alias))
    target, estate = stored if stored is not None else (None, None)
    options = DiscoveryOptions(inventory=resolve_inventory(inventory), limit=limit, forks=forks, samples=samples,
                               interval=interval, task_timeout=timeout, become=become)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=False) as progress:
        result = run_discovery(options, _HostProgress(progress, options.steps_per_host()))
    report = match_guests(estate, result.guests) if estate is not None else None
    reached = [guest for guest in result.guests if guest.status in REACHED]
    saved = SavedGuests()
    if target is None:
        err_console.print("[yellow]warning:[/] the store holds no snapshot: results are not stored or matched "
                          "(import or collect a snapshot first).")
    elif not reached:
        err_console.print(f"nothing stored: no host could be discovered; snapshot #{target} keeps any discovery "
                          "it had.")
    else:
        with open_store() as store:
            saved = save_guests(store, target, result.guests, run_settings(options.inventory, limit, become))
        err_console.print(f"stored discovery of {_plural(len(saved.stored), 'host')} with snapshot #{target}")
        for host, last_seen in saved.kept_earlier.items():
            when = f" (last seen {last_seen:%Y-%m-%d %H:%M:%S} UTC)" if last_seen else ""
            err_console.print(f"[yellow]{markup(host)}:[/] not discovered this time; its facts from an earlier "
                              f"run{when} are kept and the failure is recorded separately.", soft_wrap=True)
    for line in report.ambiguities if report else []:
        err_console.print(f"[yellow]ambiguous:[/] {markup(line)}", soft_wrap=True)
    if fmt is TableOrJson.json:
        emit(dump_json({
            "format_version": DISCOVERY_FORMAT_VERSION, "snapshot": f"#{target}" if target else None,
            "snapshot_id": target,
            "wall_seconds": round(result.seconds, 3), "stored": saved.stored,
            "kept_earlier": {host: seen.isoformat() if seen else None for host, seen in saved.kept_earlier.items()},
            "guests": [guest.model_dump(mode="json") for guest in result.guests],
            "unmatched": report.unmatched if report else [], "ambiguities": report.ambiguities if report else [],
        }), output)
        _fail_if_none_reached(result.guests)
        return
    table = Table("host", "status", "VM", "matched by", "processes", "listeners", "connections", "samples", "s")
    for column in table.columns:
        column.overflow = "fold"  # never cut a host name or status with an ellipsis
    for guest in result.guests:
        colour = {"ok": "green", "partial": "yellow"}.get(guest.status.value, "red")
        status = guest.status.value + (" (earlier facts kept)" if guest.host in saved.kept_earlier else "")
        table.add_row(markup(guest.host), f"[{colour}]{status}[/]", markup(guest.vm or "-"),
                      guest.matched_by or "-", str(len(guest.processes)), str(len(guest.listeners)),
                      str(len(guest.connections)), str(guest.samples), f"{guest.duration_seconds or 0:.1f}")
    counts = Counter(guest.status.value for guest in result.guests)
    summary = (f"{_plural(len(result.guests), 'host')} in {result.seconds:.1f} s: "
               + ", ".join(f"{counts[status]} {status}" for status in ("ok", "partial", "unreachable", "failed")
                           if counts[status]))
    if output is not None:
        text = Console(file=io.StringIO(), width=_NO_LIMIT, highlight=False, no_color=True)
        text.print(table, width=_table_width(text, table))
        text.print(summary)
        emit(cast(io.StringIO, text.file).getvalue(), output)
    else:
        console.print(table, width=available_width(console) or _table_width(console, table))
        console.print(summary)
    for guest in result.guests:
        for error in guest.errors:
            err_console.print(f"[yellow]{markup(guest.host)}:[/] {markup(error)}", soft_wrap=True)
    _fail_if_none_reached(result.guests)


_NO_LIMIT = 10_000


def _table_width(target: Console, table: Table) -> int:
    """The table's natural width: piped or written to a file, a table is never squeezed to 80 columns."""
    return Measurement.get(target, target.options.update_width(_NO_LIMIT), table).maximum


def _fail_if_none_reached(guests: list[GuestDiscovery]) -> None:
    """Exit 10 when no host could be discovered at all (their errors were printed or written)."""
    if guests and not any(guest.status in REACHED for guest in guests):
        raise ExecutionError("the host could not be discovered." if len(guests) == 1
                             else f"none of the {len(guests)} hosts could be discovered.",
                             hint="Check the connection settings in the inventory (see the errors above).")


@app.command("inventory", context_settings=SNAPSHOT_COMMAND)
def inventory(
    snapshot: Annotated[str | None, typer.Argument(help=snapshot_arg_help(), show_default=False)] = None,
    fmt: Annotated[InventoryFormat | None, typer.Option("--format", "-f", help="yaml: an Ansible inventory; json: "
                                                        "the same data with format_version and the VMs lacking an "
                                                        "IP (default: from the -o extension, else yaml).",
                                                        show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the inventory here.")] = None,
) -> None:
    """Write an Ansible inventory (YAML) of the snapshot's powered-on VMs to start discovery from."""
    chosen = InventoryFormat(INVENTORY_OUTPUT.choose(fmt, output))
    estate, label, snapshot_id = load_snapshot(snapshot)
    if chosen is InventoryFormat.json:
        data, skipped = build_inventory(estate)
        emit(dump_json({"format_version": DISCOVERY_FORMAT_VERSION, "snapshot": label, "snapshot_id": snapshot_id,
                        "inventory": data,
                        "no_guest_ip": skipped}), output)
    else:
        text, skipped = inventory_yaml(estate)
        emit(text, output)
    if skipped:
        err_console.print(f"[yellow]{_plural(len(skipped), 'powered-on VM')} without a guest IP[/] (set "
                          f"ansible_host yourself): {markup(', '.join(skipped[:10]))}"
                          f"{' ...' if len(skipped) > 10 else ''}", soft_wrap=True)


@app.command("import-flows", context_settings=SNAPSHOT_COMMAND)
def import_flows(
    path: Annotated[Path, typer.Argument(help="Flow CSV: src_ip, dst_ip, dst_port [, src_port, protocol, bytes, "
                                         "packets, first_seen, last_seen].")],
    snapshot: SnapshotArg = None,
    snapshot_alias: SnapshotAlias = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Skip bad rows (counted) instead of failing.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the flows imported earlier from a file of the "
                                          "same name (default: keep them and add these).")] = False,
    fmt: FormatOpt = TableOrJson.table,
) -> None:
    """Import flows (NetFlow or network-insight exports) into a stored snapshot (default: latest)."""
    ref = _one_snapshot(snapshot, snapshot_alias)
    result = read_flows(path, skip_bad=skip_bad, edges=True)
    keep_until_exit(result)
    if not result.records:
        raise InputError(f"{path} holds no usable flow.")
    target = _stored_id(ref)
    with open_store() as store:
        placed = place_flows(store.documents(target, FLOWS_KIND), path.name, result.records, replace=replace,
                             aggregated=True)  # read_flows(edges=True): one record per edge already
        if placed.name is not None:
            save_flows(store, target, placed.name, result.records, aggregated=True)
            store.delete_documents(target, FLOWS_KIND, list(placed.superseded))  # after: a failure loses nothing
    if fmt is TableOrJson.json:
        emit(dump_json({"format_version": DISCOVERY_FORMAT_VERSION, "snapshot": f"#{target}", "snapshot_id": target,
                        "source": path.name, "stored_as": placed.name, "replaced": placed.replaced,
                        "flows": result.rows, "skipped": result.skipped, "problems": result.problems}), None)
    else:
        err_console.print(f"imported {_plural(result.rows, 'flow')} from {markup(path.name)} into snapshot "
                          f"#{target}{markup(placed.note)}"
                          + (f"; skipped {_plural(result.skipped, 'bad row')}" if result.skipped else ""),
                          soft_wrap=True)
    for problem in result.problems:
        err_console.print(f"  skipped {markup(problem)}", soft_wrap=True)


def register(root: typer.Typer) -> None:
    """Add `discover` to the root command."""
    root.add_typer(app, name="discover")
