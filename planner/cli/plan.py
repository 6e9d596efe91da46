"""`planner plan`: the migration plan of an estate, the report and every artifact, in one folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.cli.common import SNAPSHOT_COMMAND, console, count, dump_json, err_console, safe
from planner.cli.plan_source import Connection, plan_from_source
from planner.cli.policies import expect_policy
from planner.cli.progress import state
from planner.memory import keep_until_exit


class PlanFormat(StrEnum):
    text = "text"
    json = "json"


SOURCE_HELP = ("What to plan: a snapshot id from `inventory list`, `latest` (default; the bundled example estate "
               "when the store is empty), `-1`, `example`, a snapshot JSON or RVTools file, or `vcenter` (the "
               "vCenter of the VMWARE_*/GOVC_*/VSPHERE_* environment).")
STAGES = 7


@contextmanager
def stages() -> Iterator[Callable[[str], None]]:
    """One progress line across the stages on a terminal (``[3/6] generating artifacts 0:00:04``); silent when
    stderr is piped or the output is JSON."""
    if state.quiet or not err_console.is_terminal:
        yield lambda _text: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        done = [0]

        def step(text: str) -> None:
            done[0] += 1
            bar.update(task, description=f"[{min(done[0], STAGES)}/{STAGES}] {text}")

        yield step


def summary_lines(plan: dict[str, Any], output: Path, kept: list[str], added: list[str]) -> list[str]:
    """The short summary at the end: what moves, in how many waves, what comes back, where everything is."""
    summary = plan["summary"]
    strategies = summary["by_strategy"]
    moving = strategies["containerize"] + strategies["refactor"]
    lines = [f"plan of {plan['source']['label']}: {count(summary['vms'], 'VM')}, {moving} to move "
             f"({strategies['containerize']} containerize, {strategies['refactor']} refactor), "
             f"{strategies['keep-vm']} stay on VMs, {strategies['retire']} to retire",
             f"{count(summary['waves'], 'wave')}, {count(summary['move_groups'], 'move group')}; "
             f"dependencies {'known' if plan['dependencies']['known'] else 'unknown'}: {plan['dependencies']['note']}",
             f"reclaimable: {summary['reclaimable']['vcpu']:g} vCPU, {summary['reclaimable']['memory_gib']:g} GiB; "
             f"effort about {summary['effort']['person_days']:g} person-days; "
             f"{count(len(plan['risks']), 'risk')}",
             f"{count(summary['images'], 'image')} generated; wrote {output}/ (plan.json"
             + (", report.html" if (output / "report.html").is_file() else "") + ", artifacts/ ...)"]
    if kept:
        lines.append(f"kept {count(len(kept), 'file')} you edited (not overwritten; --force replaces them): "
                     + ", ".join(kept[:10]) + (" ..." if len(kept) > 10 else ""))
    if added:
        lines.append(f"kept {count(len(added), 'file')} you added: " + ", ".join(added[:10])
                     + (" ..." if len(added) > 10 else ""))
    return lines


def plan_command(
    source: Annotated[str | None, typer.Argument(help=SOURCE_HELP, show_default=False)] = None,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="DIR", help="The plan folder (plan.json, "
                                         "plan.yaml, report.html, assessment.xlsx/.csv, artifacts/).",
                                         show_default=False)] = ...,  # type: ignore[assignment]
    policy: Annotated[Path | None, typer.Option("--policy", help="Assessment policy YAML (examples/policy.yaml).",
                                                show_default=False)] = None,
    waves_policy: Annotated[Path | None, typer.Option("--waves-policy", help="Wave policy YAML "
                                                      "(examples/waves.yaml).", show_default=False)] = None,
    base_images: Annotated[Path | None, typer.Option("--base-images", help="Base-image policy YAML: maps logical "
                                                     "images to your registry (docs/generate.md).",
                                                     show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace DIR even if planner did not make it, and "
                                        "overwrite files edited since the last run.")] = False,
    fmt: Annotated[PlanFormat, typer.Option("--format", "-f", help="text: a short summary; json: the summary as "
                                            "JSON.")] = PlanFormat.text,
    server: Annotated[list[str] | None, typer.Option("--server", "-s", help="Collect this vCenter first (repeatable; "
                                                     "as `inventory collect`).", show_default=False)] = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="vCenter user (else the environment).",
                                             show_default=False)] = None,
    password_file: Annotated[Path | None, typer.Option(help="Read the vCenter password from this file's first line.",
                                                       show_default=False)] = None,
    insecure: Annotated[bool | None, typer.Option("--insecure/--verify", help="Skip TLS certificate verification "
                                                  "(default: verify).", show_default=False)] = None,
    ca_file: Annotated[Path | None, typer.Option(help="PEM bundle of CAs to trust for the vCenter certificate.",
                                                 show_default=False)] = None,
    capture: Annotated[bool | None, typer.Option(
        "--capture/--no-capture", help="Fetch the guests' configs and application files into the image folders "
        "through Ansible (read-only; default: when -i is given). Without -i, with the inventory and settings "
        "discovery ran with.", show_default=False)] = None,
    inventory: Annotated[str | None, typer.Option(
        "--inventory", "-i", help="Ansible inventory for the capture (default: the one discovery ran with).",
        show_default=False)] = None,
) -> None:
    """Plan the migration of an estate: assessment, dependencies, move groups and waves, sizing, effort and risks,
    a report and the starter artifacts (Dockerfiles, compose, Kubernetes, Ansible), written safely into one folder.
    """
    from planner.cli.generate import capture_hook_for
    from planner.generate_policy import load_base_image_policy
    from planner.graph.policy import LayeredSettings, WaveSettings
    from planner.plan import graph_svg
    from planner.plan.output import SafeOutput
    from planner.plan.writer import WriteOptions, write_plan

    expect_policy(policy, "assessment", "plan --policy")
    expect_policy(waves_policy, "wave", "plan --waves-policy")
    images_policy = load_base_image_policy(base_images)
    settings = LayeredSettings.load(waves_policy, WaveSettings())
    out = SafeOutput(output, force=force)
    out.check()  # a folder planner did not make is refused before any work
    capture_hook = capture_hook_for(capture, inventory, None if source in (None, "vcenter") else source)
    connection = Connection(list(server or []), user, password_file, insecure, ca_file, vcenter=source == "vcenter")
    with stages() as step:
        step("assessing, mapping dependencies, planning waves")
        build = plan_from_source(None if source == "vcenter" else source, connection, policy=policy,
                                 settings=settings)
        keep_until_exit(build)  # a console run ends without freeing it (planner.memory)
        step("drawing the dependency graph")
        svg = graph_svg(build)
        with out:
            notes = write_plan(build, out.staging, WriteOptions(
                policy=images_policy, policy_origin=str(base_images) if base_images else "the default base-image "
                "policy", graph_svg=svg, capture=capture_hook), step)
            step("moving the plan into place")
    for note in [*build.notes, *notes]:
        err_console.print(safe(f"note: {note}"))
    kept, added = out.outcome.kept_edited, out.outcome.kept_added
    if fmt is PlanFormat.json:
        console.file.write(dump_json({"format_version": 1, "output": str(output), "source": build.plan["source"],
                                      "summary": build.plan["summary"], "dependencies": build.plan["dependencies"],
                                      "kept_edited": kept, "kept_added": added, "notes": [*build.notes, *notes]}))
        console.file.flush()
        return
    for line in summary_lines(build.plan, output, kept, added):
        console.print(safe(line))


def register(app: typer.Typer) -> None:
    """Add `planner plan` to the root command."""
    app.command("plan", context_settings=SNAPSHOT_COMMAND)(plan_command)
