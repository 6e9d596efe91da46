"""`planner inventory collect`: read vCenters into a new snapshot."""

from __future__ import annotations

import getpass
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from planner.cli.common import TableOrJson, count, dump_json, emit, err_console, open_store, safe, vm_count, warn
from planner.errors import UsageError
from planner.text import markup

if TYPE_CHECKING:
    from planner.models import Estate
    from planner.sources.vcenter import ConnectionFlags
    from planner.sources.vcenter.collect import Progress as ProgressCallback
    from planner.sources.vcenter.settings import ServerSettings
    from planner.store import SnapshotInfo


def _prompt() -> Callable[[str], str] | None:
    if not sys.stdin.isatty():
        return None
    return lambda text: getpass.getpass(text)


@contextmanager
def _progress() -> Iterator[ProgressCallback | None]:
    """A live count of objects retrieved per server on a terminal; nothing otherwise."""
    if not err_console.is_terminal:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} objects"),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}
        lock = threading.Lock()  # pages arrive from several threads

        def update(server: str, kind: str, count: int) -> None:
            with lock:
                if server not in tasks:
                    tasks[server] = bar.add_task(markup(server), total=None)
                bar.update(tasks[server], advance=count, description=f"{markup(server)}: {kind}")

        yield update


def store_collected(servers: list[ServerSettings], *, page_size: int = 1000, parser: str = "auto",
                    label: str | None = None) -> tuple[SnapshotInfo, Estate, list[str]]:
    """Collect the vCenters (a live count on a terminal) into a new snapshot; warnings are shown and returned."""
    from planner.sources.vcenter import collect

    for settings in servers:
        if not settings.verify_tls:
            warn(f"TLS certificate verification is off for {settings.address}.")
    with open_store(create=True) as store:  # opened first: a bad --db fails before a long collect, not after
        with _progress() as progress:
            estate, warnings = collect(servers, page_size=page_size, progress=progress, parser=parser)
        for warning in warnings:
            warn(warning)
        info = store.save(estate, origin="vcenter:" + ",".join(s.address for s in servers), label=label)
        return info, estate, warnings


def servers_from_flags(flags: ConnectionFlags) -> list[ServerSettings]:
    """The vCenters of the connection flags and the environment (a password prompt on a terminal)."""
    from planner.sources.vcenter import resolve_servers
    from planner.sources.vcenter.settings import current_env

    return resolve_servers(flags, current_env(), _prompt())


class Parser(StrEnum):
    """Values of --parser."""

    auto = "auto"
    stream = "stream"
    pyvmomi = "pyvmomi"


def collect_command(
    server: Annotated[list[str] | None, typer.Option("--server", "-s", help="vCenter host name or URL; repeat "
                                                     "for several. Else VMWARE_HOST, GOVC_URL or VSPHERE_SERVER.")]
    = None,
    port: Annotated[int | None, typer.Option(help="HTTPS port (default 443, or VMWARE_PORT / the URL's port).",
                                             min=1, max=65535)] = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="User name (else VMWARE_USER, GOVC_USERNAME, "
                                             "VSPHERE_USER).")] = None,
    password_file: Annotated[Path | None, typer.Option(help="Read the password from this file's first line (else "
                                                       "VMWARE_PASSWORD, GOVC_PASSWORD, VSPHERE_PASSWORD, or a "
                                                       "prompt).")] = None,
    insecure: Annotated[bool | None, typer.Option("--insecure/--verify", help="Skip TLS certificate verification "
                                                  "(default: verify; env VMWARE_VALIDATE_CERTS=false, "
                                                  "GOVC_INSECURE=1, VSPHERE_ALLOW_UNVERIFIED_SSL=true).",
                                                  show_default=False)] = None,
    ca_file: Annotated[Path | None, typer.Option(help="PEM bundle of CAs to trust for the vCenter certificate.")]
    = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML file listing vCenters (see "
                                                "docs/collect.md); replaces the connection flags.")] = None,
    label: Annotated[str | None, typer.Option(help="A label for the snapshot.")] = None,
    page_size: Annotated[int, typer.Option(help="Objects per PropertyCollector page.", min=1, max=100_000)] = 1000,
    fmt: Annotated[TableOrJson, typer.Option("--format", "-f", help="Output format of the result line.")]
    = TableOrJson.table,
    parser: Annotated[Parser, typer.Option(help="How API answers are read: the fast stream parser, falling back "
                                           "to pyVmomi's with a warning for what it does not know (auto), or "
                                           "only one of them.")] = Parser.auto,
) -> None:
    """Collect one or more vCenters into a new snapshot (all or nothing)."""
    from planner.sources.vcenter import ConnectionFlags, load_config_file, resolve_servers  # pyVmomi: slow
    from planner.sources.vcenter.settings import current_env

    env = current_env()
    if config is not None:
        given = [name for name, value in (("--server", server), ("--port", port), ("--user", user),
                                          ("--password-file", password_file), ("--insecure/--verify", insecure),
                                          ("--ca-file", ca_file)) if value]
        if given:
            raise UsageError(f"--config lists the vCenters with their settings; it cannot be combined with "
                             f"{', '.join(given)}.")
        servers = load_config_file(config, env, _prompt())
    else:
        flags = ConnectionFlags(servers=server or [], port=port, user=user, password_file=password_file,
                                insecure=insecure, ca_file=ca_file)
        servers = resolve_servers(flags, env, _prompt())
    info, estate, warnings = store_collected(servers, page_size=page_size, parser=parser.value, label=label)
    if fmt is TableOrJson.json:
        emit(dump_json({"format_version": 1, "snapshot": info.as_dict(), "warnings": warnings}), None)
    else:
        stored = vm_count(info.vm_count - info.template_count, info.template_count)
        err_console.print(safe(f"stored snapshot {info.id}: {stored}, {count(len(estate.hosts), 'host')} from "
                                  f"{', '.join(s.address for s in servers)}"))


def register(app: typer.Typer) -> None:
    """Add the `collect` command to the inventory group."""
    app.command("collect")(collect_command)
