"""`planner graph` and `planner waves`: the dependency graph, move groups and migration waves."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from planner.analysis import SnapshotAnalysis, analyse_snapshot
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
    strategy_names,
)
from planner.cli.output import OutputFormats
from planner.cli.policies import expect_policy
from planner.cli.progress import activity
from planner.cli.tables import Column, available_width, fit_table, print_table, render_text
from planner.discovery.flows import read_flows
from planner.errors import InputError, UsageError
from planner.graph import Analysis
from planner.graph.export import annotate, render_svg, to_dot, to_graphml, to_node_link
from planner.graph.policy import STAY_BEHIND_STRATEGIES, LayeredSettings, WaveSettings
from planner.graph.report import waves_document
from planner.memory import keep_until_exit
from planner.store.parts import GRAPH
from planner.text import escape_invisible_xml, markup


class GraphFormat(StrEnum):
    json = "json"
    graphml = "graphml"
    dot = "dot"
    svg = "svg"


SnapshotArg = Annotated[str | None, typer.Argument(help=snapshot_arg_help(), show_default=False)]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")]
FlowsOpt = Annotated[list[Path] | None, typer.Option("--flows", help="Also use this flow CSV (repeatable).")]
TogetherOpt = Annotated[list[str] | None, typer.Option(
    "--together", metavar="VM,VM...", help="Comma-separated VM names that move together (repeatable).")]
TogetherTagOpt = Annotated[list[str] | None, typer.Option(
    "--together-tag", metavar="CATEGORY", help="VMs sharing a tag of this category move together (repeatable; "
    "default move-group unless the policy names categories; '' drops the categories named before it).",
    show_default=False)]
MaxVmsOpt = Annotated[int | None, typer.Option("--max-vms", min=1, help="At most this many VMs per wave.")]
MaxCpuOpt = Annotated[int | None, typer.Option("--max-vcpu", min=1, help="At most this many vCPUs per wave.")]
PinOpt = Annotated[list[str] | None, typer.Option("--pin", metavar="VM=WAVE",
                                                  help="Put the VM's group in that wave (repeatable).")]
ExcludeOpt = Annotated[list[str] | None, typer.Option("--exclude", metavar="VM",
                                                      help="A VM that stays behind (repeatable).")]
FlipOpt = Annotated[bool | None, typer.Option(
    "--consumers-first/--providers-first", help="Move consumers before their providers, or providers first "
    "(default: the policy's order, else providers first).", show_default=False)]
IncludeOpt = Annotated[list[str] | None, typer.Option(
    "--include-strategy", help="Plan the VMs of these assessed strategies too (keep-vm, retire, exclude, or all; "
    "comma-separated, repeatable). By default they stay behind.", show_default=False)]
PolicyOpt = Annotated[Path | None, typer.Option(
    "--policy", help="Wave policy YAML (examples/waves.yaml): options given here override its single values and add "
    "to its lists.", show_default=False)]


def _pins(values: list[str]) -> dict[str, int]:
    pins = {}
    for value in values:
        name, sep, wave = value.rpartition("=")
        if not sep or not name or not wave.strip().isdigit():
            raise InputError(f"--pin {value!r} is not VM=WAVE (e.g. --pin db-01=2).")
        if int(wave) < 1:
            raise UsageError(f"--pin {value}: waves count from 1 (e.g. --pin {name}=1).")
        pins[name] = int(wave)
    return pins


def _strategies(values: list[str]) -> list[str]:
    return strategy_names(values, STAY_BEHIND_STRATEGIES)


def _settings(policy: Path | None, together: list[str] | None, together_tag: list[str] | None,
              max_vms: int | None, max_vcpu: int | None, pin: list[str] | None, exclude: list[str] | None,
              consumers_first: bool | None, include: list[str] | None) -> LayeredSettings:
    """The wave policy file (if any) and the command-line options, kept apart until VM names are checked."""
    command_line = WaveSettings(
        consumers_first=consumers_first, max_vms=max_vms, max_vcpu=max_vcpu, pins=_pins(pin or []),
        exclude=list(exclude or []), tag_categories=together_tag, include_strategies=_strategies(include or []),
        together=[[name.strip() for name in item.split(",") if name.strip()] for item in together or []])
    return LayeredSettings.load(policy, command_line)


GRAPH_OUTPUT = OutputFormats("planner graph", {".json": "json", ".graphml": "graphml", ".dot": "dot", ".gv": "dot",
                                                ".svg": "svg"}, default="json")
WAVES_OUTPUT = OutputFormats("planner waves", {".json": "json", ".txt": "table", ".text": "table"}, default="table")


def _analysis(snapshot: str | None, flow_files: list[Path], settings: LayeredSettings) -> SnapshotAnalysis:
    """The library's analysis of the snapshot named; its notes and warnings go to stderr."""
    estate, label, snapshot_id = load_snapshot(snapshot, GRAPH)
    extra = [record for path in flow_files for record in read_flows(path, edges=True).records]
    if snapshot_id is None:
        outcome = analyse_snapshot(estate, label=label, settings=settings, extra_flows=extra)
    else:
        with open_store() as store:
            outcome = analyse_snapshot(estate, label=label, store=store, snapshot_id=snapshot_id, settings=settings,
                                       extra_flows=extra)
    for note in outcome.notes:
        err_console.print(f"note: {markup(note)}", soft_wrap=True)
    for warning in outcome.warnings:
        err_console.print(f"[yellow]warning:[/] {markup(warning)}", soft_wrap=True)
    return outcome


def graph_command(
    snapshot: SnapshotArg = None,
    fmt: Annotated[GraphFormat | None, typer.Option(
        "--format", "-f", help="Output format (default: from -o's extension, else json).", show_default=False)] = None,
    output: OutputOpt = None,
    flows: FlowsOpt = None,
    together: TogetherOpt = None,
    together_tag: TogetherTagOpt = None,
    max_vms: MaxVmsOpt = None,
    max_vcpu: MaxCpuOpt = None,
    pin: PinOpt = None,
    exclude: ExcludeOpt = None,
    consumers_first: FlipOpt = None,
    include_strategy: IncludeOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Export the dependency graph (VMs, grouped externals, client -> server edges) with groups and waves."""
    chosen = GraphFormat(GRAPH_OUTPUT.choose(fmt, output))
    expect_policy(policy, "wave", "graph")
    settings = _settings(policy, together, together_tag, max_vms, max_vcpu, pin, exclude, consumers_first,
                         include_strategy)
    with activity("analysing dependencies"):
        outcome = _analysis(snapshot, flows or [], settings)
    keep_until_exit(outcome)
    result = outcome.analysis
    graph = annotate(result.graph, group_of=result.groups.group_of, wave_of=result.plan.wave_of, fits=outcome.fits)
    if chosen is GraphFormat.json:
        emit(dump_json(to_node_link(graph)), output)
    elif chosen is GraphFormat.graphml:
        emit(escape_invisible_xml(to_graphml(graph)), output)
    else:
        dot_text = to_dot(graph, title=f"planner — dependencies of snapshot {outcome.label}")
        text = dot_text if chosen is GraphFormat.dot else render_svg(dot_text, node_count=graph.number_of_nodes())
        emit(text, output)


def waves_command(
    snapshot: SnapshotArg = None,
    fmt: Annotated[TableOrJson | None, typer.Option(
        "--format", "-f", help="Output format (default: json for -o *.json, else table).", show_default=False)] = None,
    output: OutputOpt = None,
    flows: FlowsOpt = None,
    together: TogetherOpt = None,
    together_tag: TogetherTagOpt = None,
    max_vms: MaxVmsOpt = None,
    max_vcpu: MaxCpuOpt = None,
    pin: PinOpt = None,
    exclude: ExcludeOpt = None,
    consumers_first: FlipOpt = None,
    include_strategy: IncludeOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Plan migration waves: providers before consumers, move groups kept together, caps, pins and exclusions."""
    chosen = TableOrJson(WAVES_OUTPUT.choose(fmt, output))
    expect_policy(policy, "wave", "waves")
    settings = _settings(policy, together, together_tag, max_vms, max_vcpu, pin, exclude, consumers_first,
                         include_strategy)
    with activity("analysing dependencies"):
        outcome = _analysis(snapshot, flows or [], settings)
    keep_until_exit(outcome)
    result, label = outcome.analysis, outcome.label
    document = waves_document(result, snapshot=label, snapshot_id=outcome.snapshot_id, options=settings.describe(),
                              assessment=outcome.assessed,
                              discovery=outcome.evidence.document())
    if chosen is TableOrJson.json:
        emit(dump_json(document), output)
        return
    rows = [(Text.assemble(str(wave.number), (" (over cap)", "red") if wave.over_cap else ""), str(len(wave.vms)),
             str(wave.num_cpu), str(len(wave.groups)),
             ", ".join(wave.vms[:12]) + (f" … +{len(wave.vms) - 12}" if len(wave.vms) > 12 else ""))
            for wave in result.plan.waves]
    table = fit_table(WAVE_COLUMNS, rows, available_width(console) if output is None else None,
                      title=f"Waves of snapshot {label}")
    risks = result.plan.risks
    permanent = sum(1 for risk in risks if risk.kind == "permanent")
    summary = (f"{len(result.groups.groups)} move groups; {len(risks)} cutover risks ({permanent} permanent); "
               f"staying behind: {_staying_text(result)}. `--format json` lists them all.")
    if output is None:
        print_table(console, table)
        console.print(summary)
        return
    emit(render_text([table, summary]), output)


WAVE_COLUMNS = (Column("wave", "right", identifier=True), Column("VMs", "right"), Column("vCPU", "right"),
                Column("groups", "right", drop_rank=1), Column("members"))


def _staying_text(result: Analysis) -> str:
    """``17 — keep-vm 12: a, b…; exclude 1: c; held back with an excluded VM 1: d`` (rich markup escaped)."""
    by_reason: dict[str, list[str]] = {}
    for each in result.plan.staying:
        label = {"strategy": f"strategy {each.strategy}", "exclude": "--exclude",
                 "move-group": "held back with an excluded VM"}.get(each.reason, each.reason)
        by_reason.setdefault(label, []).append(each.vm)
    if not by_reason:
        return "none"
    parts = [f"{label} ({len(vms)}): " + ", ".join(vms[:12]) + (f" … +{len(vms) - 12}" if len(vms) > 12 else "")
             for label, vms in sorted(by_reason.items())]
    count = len(result.plan.staying)
    return markup(f"{count} VM{'' if count == 1 else 's'} — " + "; ".join(parts))


def register(app: typer.Typer) -> None:
    """Add `graph` and `waves` to the root command."""
    app.command("graph", context_settings=SNAPSHOT_COMMAND)(graph_command)
    app.command("waves", context_settings=SNAPSHOT_COMMAND)(waves_command)
