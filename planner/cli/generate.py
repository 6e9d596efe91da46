"""`planner generate`: starter Dockerfiles, one image folder per detected stack, and generate.json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planner.analysis import gather_evidence
from planner.automation.inputs import existing_index
from planner.cli.common import (
    SNAPSHOT_COMMAND,
    TableOrJson,
    console,
    count,
    dump_json,
    err_console,
    load_snapshot,
    names_a_file,
    open_store,
    safe,
    snapshot_arg_help,
    strategy_names,
)
from planner.cli.generate_automation import Artifact, chosen, write_artifacts
from planner.cli.progress import activity
from planner.discovery.settings import RunSettings, remembered_settings
from planner.errors import NotFoundError, UsageError
from planner.generate import STAY_STRATEGIES, CaptureHook, GenerateOptions, GenerateResult, generate
from planner.generate_policy import load_base_image_policy
from planner.graph import graph_from_sources
from planner.graph.report import strategies_by_node
from planner.models.discovery import FlowRecord, GuestDiscovery

ASSESSMENT_KIND = "assessment"


def _strategies(values: list[str]) -> list[str]:
    return strategy_names(values, STAY_STRATEGIES)


def run_generate(snapshot: str | None, output: Path, *, vms: list[str], include: list[str], base_images: Path | None,
                 templates: Path | None, capture: CaptureHook | None = None) -> GenerateResult:
    """Load the snapshot with its discovery facts and stored assessment, then generate (capture is a hook)."""
    policy = load_base_image_policy(base_images)  # a bad policy fails before any work
    estate, label, snapshot_id = load_snapshot(snapshot)
    guests: list[GuestDiscovery] = []
    flows: list[FlowRecord] = []
    strategies: dict[str, str] = {}
    if snapshot_id is not None:
        with open_store() as store:
            evidence = gather_evidence(estate, store, snapshot_id)  # facts carried forward from earlier snapshots
            guests, flows = evidence.guests, evidence.flows
            assessments = store.documents(snapshot_id, ASSESSMENT_KIND)
        for note in evidence.notes():
            err_console.print(safe(f"note: {note}"))
        strategies = strategies_by_node(graph_from_sources(estate, guests, flows), assessments)
    options = GenerateOptions(output=output, vms=vms, include_strategies=_strategies(include), policy=policy,
                              policy_origin=str(base_images) if base_images else "the default base-image policy",
                              templates=templates, capture=capture)
    if not guests and not vms:
        err_console.print(safe(f"note: snapshot {label} has no discovery facts: nothing to detect. Run `planner "
                               "discover`, or name VMs with --vm for OS-level starters."))
    return generate(estate, guests, options, snapshot=snapshot_id if snapshot_id is not None else label,
                    strategies=strategies, flows=flows)


def summary(result: GenerateResult) -> str:
    images = result.images
    starters = sum(1 for image in images if image["stack"] == "starter")
    vms = len({image["vm"] for image in images})
    text = f"generated {count(len(images), 'image folder')} for {count(vms, 'VM')} in {result.path.parent}"
    if starters:
        text += f" ({count(starters, 'OS-level starter')} with TODOs)"
    if result.skipped:
        text += f"; {count(len(result.skipped), 'VM')} left out by strategy"
    todos = sum(len(image["todos"]) for image in images)
    return text + f"; {count(todos, 'TODO')} in the DECISIONS.md files. Index: {result.path}"


def remembered_run(snapshot: str | None) -> RunSettings | None:
    """The settings the latest discovery of a stored snapshot ran with (none for a file or the example)."""
    if snapshot == "example" or (snapshot is not None and names_a_file(snapshot)):
        return None
    with open_store() as store:
        return remembered_settings(store, store.resolve(snapshot))


def capture_inventory(capture: bool | None, inventory: str | None, snapshot: str | None) -> str | None:
    """The inventory to capture with: ``-i``, else (with ``--capture``) the one discovery ran with; ``None`` for no
    capture. Capture is on by default only when ``-i`` is given."""
    if capture is False or (capture is None and inventory is None):
        return None
    if inventory is not None:
        return inventory
    remembered = remembered_run(snapshot)
    if remembered is None:
        raise UsageError("--capture needs -i INVENTORY: no discovery run with this snapshot (or an earlier one) "
                         "remembered its inventory; run `planner discover run -i INVENTORY` or give -i.")
    if "," not in remembered.inventory and not Path(remembered.inventory).exists():
        raise NotFoundError(f"the inventory discovery ran with (snapshot #{remembered.snapshot_id}), "
                            f"{remembered.inventory}, does not exist any more.",
                            hint="Give the inventory to capture with: -i INVENTORY.")
    return remembered.inventory


def capture_option(inventory: str | None, become: bool = False) -> CaptureHook | None:
    """The capture hook reaching the guests with ``inventory`` (``None``: no capture)."""
    if inventory is None:
        return None
    from planner.capture.hook import capture_hook
    from planner.discovery.runner import resolve_inventory

    def progress(host: str, step: str, status: str) -> None:
        if status != "ok":
            err_console.print(safe(f"capture {host}: {step} {status}"))

    return capture_hook(resolve_inventory(inventory), become=become, progress=progress)


def capture_hook_for(capture: bool | None, inventory: str | None, snapshot: str | None) -> CaptureHook | None:
    """The capture hook `--capture`/`-i` ask for (None: offline), with the become setting discovery ran with when
    its inventory is reused; a bad -i, or nothing to capture with, fails here, before any work."""
    chosen = capture_inventory(capture, inventory, snapshot)
    if chosen is None:
        return None
    remembered = remembered_run(snapshot) if inventory is None else None
    return capture_option(chosen, remembered.become if remembered else False)


def generate_command(
    snapshot: Annotated[str | None, typer.Argument(help=snapshot_arg_help(), show_default=False)] = None,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="DIR",
                                         help="Output folder (images/ and generate.json).",
                                         show_default=False)] = ...,  # type: ignore[assignment]
    vm: Annotated[list[str] | None, typer.Option(
        "--vm", metavar="VM", help="Only this VM (repeatable); a named VM is generated whatever its strategy, and "
        "without discovery facts it gets an OS-level starter.", show_default=False)] = None,
    base_images: Annotated[Path | None, typer.Option(
        "--base-images", help="Base-image policy YAML: maps logical images to your registry (docs/generate.md).",
        show_default=False)] = None,
    include_strategy: Annotated[list[str] | None, typer.Option(
        "--include-strategy", help="Also generate for VMs of these assessed strategies (keep-vm, retire, exclude, "
        "refactor, investigate, or all; comma-separated, repeatable).", show_default=False)] = None,
    templates: Annotated[Path | None, typer.Option(
        "--templates", metavar="DIR",
        help="Directory of templates that override planner's own (same relative names).", show_default=False)] = None,
    fmt: Annotated[TableOrJson, typer.Option("--format", "-f", help="table: a summary line; json: generate.json.")
                   ] = TableOrJson.table,
    capture: Annotated[bool | None, typer.Option(
        "--capture/--no-capture", help="Fetch the configs and application files from the guests through Ansible "
        "(read-only; default: when -i is given). Without -i, with the inventory and settings discovery ran with.",
        show_default=False)] = None,
    inventory: Annotated[str | None, typer.Option(
        "--inventory", "-i", help="Ansible inventory for the capture (default: the one discovery ran with).",
        show_default=False)] = None,
    only: Annotated[list[Artifact] | None, typer.Option(
        "--only", help="Write only these artifacts (repeatable): images, ansible, compose, kubernetes; without "
        "images, the existing generate.json is used.", show_default=False)] = None,
) -> None:
    """Detect the stacks each VM runs and write a starter image folder per stack (Dockerfile, .dockerignore,
    context/, MANIFEST.json, DECISIONS.md) plus generate.json."""
    parts = chosen(only)
    if "images" not in parts:
        with activity("writing " + ", ".join(sorted(parts))):
            write_artifacts(snapshot, output, existing_index(output), parts, templates, inventory)
        console.print(safe(f"wrote {', '.join(sorted(parts))} in {output}"))
        return
    hook = capture_hook_for(capture, inventory, snapshot)
    with activity("generating image folders"):
        result = run_generate(snapshot, output, vms=list(vm or []), include=list(include_strategy or []),
                              base_images=base_images, templates=templates,
                              capture=hook)
        write_artifacts(snapshot, output, result.document, parts, templates, inventory)
    if fmt is TableOrJson.json:
        console.file.write(dump_json(result.document))
        console.file.flush()
    else:
        console.print(safe(summary(result)))


def register(app: typer.Typer) -> None:
    """Add `planner generate` to the root command."""
    app.command("generate", context_settings=SNAPSHOT_COMMAND)(generate_command)
