"""The migration plan: `build_plan` (the plan document, planner/plan/schema.json) and `build_plan_for_report` (the
plan and its dependency-graph picture, without generating artifacts), used by `planner plan` and `planner report`.
See docs/plan.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.errors import NotFoundError
from planner.graph.policy import LayeredSettings, WaveSettings
from planner.plan.build import PLAN_KIND, PLAN_VERSION, PlanBuild, PlanSource, build_plan
from planner.store import Store

SCHEMA_PATH = Path(__file__).with_name("schema.json")
RVTOOLS_SUFFIXES = (".xlsx", ".csv", ".zip")
"""Source files read as RVTools exports (a folder of RVTools CSVs too); other files are snapshot JSON."""


def graph_svg(build: PlanBuild) -> str | None:
    """The dependency graph as SVG (Graphviz ``dot``), or None when Graphviz is missing or fails, or the graph is
    too large to read as a picture."""
    from planner.errors import PlannerError
    from planner.graph.export import SVG_MAX_NODES, annotate, render_svg, to_dot

    result = build.analysis.analysis
    graph = result.graph
    if graph.number_of_nodes() > SVG_MAX_NODES:
        return None
    annotate(graph, group_of=result.groups.group_of, wave_of=result.plan.wave_of, fits=build.analysis.fits)
    try:
        return render_svg(to_dot(graph, title=build.plan["source"]["label"]), node_count=graph.number_of_nodes())
    except PlannerError:
        return None


def build_for_ref(store: Store | None, snapshot_ref: str | None, *, policy_path: Path | None = None,
                  waves_policy_path: Path | None = None) -> PlanBuild:
    """The plan of a stored snapshot (``latest``, an id, ``-1``), of a snapshot or RVTools file, or of ``example``
    (the bundled example estate with its recorded discovery; also what ``latest`` means without a store or with an
    empty one)."""
    from planner.plan.example import example_estate, example_guests
    from planner.sources import load_estate_file

    settings = LayeredSettings.load(waves_policy_path, WaveSettings())
    latest = snapshot_ref in (None, "latest")
    if snapshot_ref == "example" or (latest and (store is None or not store.list())):
        estate = example_estate()
        source = PlanSource("example", "example estate", None, estate.collected_at)
        return build_plan(estate, source, policy_path=policy_path, settings=settings,
                          recorded=example_guests(estate))
    if snapshot_ref is not None and Path(snapshot_ref).exists():
        path = Path(snapshot_ref)
        estate = load_estate_file(path)
        kind = "rvtools" if path.is_dir() or path.suffix.lower() in RVTOOLS_SUFFIXES else "snapshot-json"
        return build_plan(estate, PlanSource(kind, path.name, None, estate.collected_at), policy_path=policy_path,
                          settings=settings)
    if store is None:
        raise NotFoundError(f"'{snapshot_ref}' is neither `example` nor an existing file, and there is no store.")
    snapshot_id = store.resolve(snapshot_ref)
    estate = store.load(snapshot_id)
    source = PlanSource("store", f"snapshot #{snapshot_id}", f"#{snapshot_id}", estate.collected_at)
    return build_plan(estate, source, store=store, snapshot_id=snapshot_id, policy_path=policy_path,
                      settings=settings)


def build_plan_for_report(store: Store | None, snapshot_ref: str | None, *, policy_path: Path | None = None,
                          waves_policy_path: Path | None = None) -> tuple[dict[str, Any], str | None]:
    """``(plan, graph_svg or None)`` for `planner report`: the plan of a snapshot without generating artifacts."""
    build = build_for_ref(store, snapshot_ref, policy_path=policy_path, waves_policy_path=waves_policy_path)
    return build.plan, graph_svg(build)


__all__ = ["PLAN_KIND", "PLAN_VERSION", "RVTOOLS_SUFFIXES", "SCHEMA_PATH", "PlanBuild", "PlanSource",
           "build_for_ref", "build_plan", "build_plan_for_report", "graph_svg"]
