"""`planner discover`: guest discovery with Ansible, a starter inventory, and flow imports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from planner.cli.common import TableOrJson, console, dump_json, emit, err_console, load_snapshot, open_store
from planner.discovery.flows import read_flows
from planner.discovery.inventory import inventory_yaml
from planner.discovery.models import DISCOVERY_FORMAT_VERSION, GuestDiscovery
from planner.discovery.runner import DiscoveryOptions, run_discovery
from planner.discovery.storage import save_flows, save_guests
from planner.errors import ExecutionError, InputError, NotFoundError
from planner.graph.matching import match_guests

app = typer.Typer(help="Discover guests with Ansible, write a starter inventory, import flows.", no_args_is_help=True)

SnapshotOpt = Annotated[str | None, typer.Option(
    "--snapshot", "-s", help="Stored snapshot to enrich: an id, `latest` (default) or -1.")]


class _HostProgress:
    """One progress row per host, fed by ansible-runner events."""

    def __init__(self, progress: Progress, steps: int) -> None:
        self.progress = progress
        self.steps = steps
        self.rows: dict[str, TaskID] = {}

    def __call__(self, host: str, step: str, status: str) -> None:
        row = self.rows.get(host)
        if row is None:
            row = self.rows[host] = self.progress.add_task(escape(host), total=self.steps)
        if status == "unreachable":
            self.progress.update(row, description=f"[red]{escape(host)} unreachable", completed=self.steps)
            return
        if step.startswith("windows") and status == "skipped":
            return
        colour = "yellow" if status == "failed" else "green"
        self.progress.update(row, advance=1, description=f"[{colour}]{escape(host)}[/] {escape(step)}")


def _store_target(ref: str | None) -> int | None:
    """The stored snapshot to attach results to, or None when the store has none (results are then only printed)."""
    with open_store() as store:
        try:
            return store.resolve(ref)
        except NotFoundError:
            if ref not in (None, "latest"):
                raise
            return None


@app.command("run")
def run(
    inventory: Annotated[str, typer.Option("--inventory", "-i", help="Ansible inventory (file, directory, or "
                                           "comma-separated hosts).")],
    snapshot: SnapshotOpt = None,
    limit: Annotated[str | None, typer.Option("--limit", "-l", help="Ansible host pattern to limit to.")] = None,
    forks: Annotated[int, typer.Option("--forks", "-f", min=1, help="Hosts in parallel.")] = 10,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Connection samples per host.")] = 3,
    interval: Annotated[float, typer.Option("--interval", min=0, help="Seconds between samples.")] = 5.0,
    timeout: Annotated[int, typer.Option("--timeout", min=1, help="Seconds per task per host.")] = 60,
    become: Annotated[bool, typer.Option("--become/--no-become", help="Use the inventory's become method (root "
                                         "sees every socket's process).")] = False,
    fmt: Annotated[TableOrJson, typer.Option("--format", help="Output format.")] = TableOrJson.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the output here.")] = None,
) -> None:
    """Discover guests over Ansible (read-only) and store the facts with the snapshot."""
    target = _store_target(snapshot)
    estate = None
    if target is not None:
        with open_store() as store:
            estate = store.load(target)
    options = DiscoveryOptions(inventory=inventory, limit=limit, forks=forks, samples=samples, interval=interval,
                               task_timeout=timeout, become=become)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=False) as progress:
        result = run_discovery(options, _HostProgress(progress, options.steps_per_host()))
    report = match_guests(estate, result.guests) if estate is not None else None
    if target is not None:
        with open_store() as store:
            save_guests(store, target, result.guests)
        err_console.print(f"stored discovery of {len(result.guests)} hosts with snapshot #{target}")
    else:
        err_console.print("[yellow]warning:[/] the store holds no snapshot: results are not stored or matched "
                          "(import or collect a snapshot first).")
    for line in report.ambiguities if report else []:
        err_console.print(f"[yellow]ambiguous:[/] {escape(line)}", soft_wrap=True)
    if fmt is TableOrJson.json:
        emit(dump_json({
            "format_version": DISCOVERY_FORMAT_VERSION, "snapshot": f"#{target}" if target else None,
            "wall_seconds": round(result.seconds, 3),
            "guests": [guest.model_dump(mode="json") for guest in result.guests],
            "unmatched": report.unmatched if report else [], "ambiguities": report.ambiguities if report else [],
        }), output)
        _fail_if_none_reached(result.guests)
        return
    table = Table("host", "status", "VM", "matched by", "processes", "listeners", "connections", "samples", "s")
    for guest in result.guests:
        colour = {"ok": "green", "partial": "yellow"}.get(guest.status.value, "red")
        table.add_row(escape(guest.host), f"[{colour}]{guest.status.value}[/]", escape(guest.vm or "-"),
                      guest.matched_by or "-", str(len(guest.processes)), str(len(guest.listeners)),
                      str(len(guest.connections)), str(guest.samples), f"{guest.duration_seconds or 0:.1f}")
    console.print(table)
    for guest in result.guests:
        for error in guest.errors:
            err_console.print(f"[yellow]{escape(guest.host)}:[/] {escape(error)}", soft_wrap=True)
    console.print(f"{len(result.guests)} hosts in {result.seconds:.1f} s")
    _fail_if_none_reached(result.guests)


def _fail_if_none_reached(guests: list[GuestDiscovery]) -> None:
    """Exit 10 when no host could be discovered at all (their errors were printed or written)."""
    if guests and not any(guest.status.value in {"ok", "partial"} for guest in guests):
        raise ExecutionError(f"none of the {len(guests)} hosts could be discovered.",
                             hint="Check the connection settings in the inventory (see the errors above).")


@app.command("inventory")
def inventory(
    snapshot: Annotated[str | None, typer.Argument(help="Snapshot (id, latest, -1, or a file).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the inventory here.")] = None,
) -> None:
    """Write an Ansible inventory (YAML) of the snapshot's powered-on VMs to start discovery from."""
    estate, _label = load_snapshot(snapshot)
    text, skipped = inventory_yaml(estate)
    emit(text, output)
    if skipped:
        err_console.print(f"[yellow]{len(skipped)} powered-on VMs have no guest IP[/] (set ansible_host yourself): "
                          f"{escape(', '.join(skipped[:10]))}{' ...' if len(skipped) > 10 else ''}", soft_wrap=True)


@app.command("import-flows")
def import_flows(
    path: Annotated[Path, typer.Argument(help="Flow CSV: src_ip, dst_ip, dst_port [, src_port, protocol, bytes, "
                                         "packets, first_seen, last_seen].")],
    snapshot: SnapshotOpt = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Skip bad rows (counted) instead of failing.")] = False,
) -> None:
    """Import flows (NetFlow or network-insight exports) into a stored snapshot."""
    result = read_flows(path, skip_bad=skip_bad)
    with open_store() as store:
        target = store.resolve(snapshot)
        if not result.records:
            raise InputError(f"{path} holds no usable flow.")
        save_flows(store, target, path.name, result.records)
    err_console.print(f"imported {len(result.records)} flows from {escape(path.name)} into snapshot #{target}"
                      + (f"; skipped {result.skipped} bad rows" if result.skipped else ""))
    for problem in result.problems:
        err_console.print(f"  skipped {escape(problem)}")


def register(root: typer.Typer) -> None:
    """Add `discover` to the root command."""
    root.add_typer(app, name="discover")
