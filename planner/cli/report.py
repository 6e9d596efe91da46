"""`planner report`: the migration plan of a snapshot as one self-contained HTML page (docs/report.md)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from planner import fileio
from planner.cli.common import (
    SNAPSHOT_COMMAND,
    console,
    count,
    dump_json,
    err_console,
    names_a_file,
    open_store,
    options,
    safe,
)
from planner.cli.policies import expect_policy
from planner.cli.progress import activity
from planner.errors import NotFoundError, UsageError

REPORT_FORMAT_VERSION = 1
HTML_SUFFIXES = (".html", ".htm")
SNAPSHOT_HELP = ("Snapshot: an id from `inventory list`, `latest` (default), `-1` for the one before, `example` "
                 "for the bundled example estate, or a snapshot JSON or RVTools file.")


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


def _check_output(output: Path) -> None:
    if output.suffix and output.suffix.lower() not in HTML_SUFFIXES:
        raise UsageError(f"-o {output.name}: planner report writes an HTML page; give a file ending in .html.")


def build_plan(snapshot: str | None, policy: Path | None, waves_policy: Path | None) -> tuple[dict[str, Any],
                                                                                                 str | None]:
    """The plan (and its graph picture) of the snapshot named, built by planner.plan without artifacts."""
    from planner.plan import build_plan_for_report

    if snapshot != "example" and names_a_file(snapshot):
        if not Path(str(snapshot)).exists():
            raise NotFoundError(f"{snapshot} does not exist.", hint="Name a stored snapshot or an existing file.")
        return build_plan_for_report(None, snapshot, policy_path=policy, waves_policy_path=waves_policy)
    if snapshot is None and not _has_snapshots():
        err_console.print(safe("note: no snapshot in the store yet: this is the report of the bundled example "
                               "estate (`planner inventory collect` or `import` adds yours)."))
        snapshot = "example"
    if snapshot == "example":
        return build_plan_for_report(None, "example", policy_path=policy, waves_policy_path=waves_policy)
    with open_store() as store:
        return build_plan_for_report(store, snapshot, policy_path=policy, waves_policy_path=waves_policy)


def _has_snapshots() -> bool:
    if not options.db_path.exists():
        return False
    with open_store() as store:
        return bool(store.list())


def summary_document(plan: dict[str, Any], output: Path, size: int) -> dict[str, Any]:
    """What `--format json` prints after writing the page."""
    snapshot = plan["source"].get("snapshot")
    snapshot_id = int(snapshot[1:]) if isinstance(snapshot, str) and snapshot[1:].isdigit() else None
    summary = plan["summary"]
    return {"kind": "planner-report", "format_version": REPORT_FORMAT_VERSION, "output": str(output),
            "bytes": size, "snapshot": snapshot or plan["source"].get("label"), "snapshot_id": snapshot_id,
            "vms": summary.get("vms"), "waves": summary.get("waves"), "risks": len(plan.get("risks") or []),
            "dependencies_known": bool(plan["dependencies"].get("known"))}


def report_command(
    snapshot: Annotated[str | None, typer.Argument(help=SNAPSHOT_HELP, show_default=False)] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write (e.g. report.html).",
                                         show_default=False)] = ...,  # type: ignore[assignment]
    policy: Annotated[Path | None, typer.Option(
        "--policy", help="Assessment policy YAML (like examples/policy.yaml).", show_default=False)] = None,
    waves_policy: Annotated[Path | None, typer.Option(
        "--waves-policy", help="Wave policy YAML (like examples/waves.yaml).", show_default=False)] = None,
    fmt: Annotated[SummaryFormat, typer.Option(
        "--format", "-f", help="text: one line on what was written; json: the same as a document.")
    ] = SummaryFormat.text,
) -> None:
    """Write the migration plan of a snapshot as one self-contained HTML page: summary, dependency picture,
    waves, findings, risks and a sortable, filterable table of every VM. It loads nothing from the network."""
    from planner.report import render_report

    _check_output(output)
    expect_policy(policy, "assessment", "planner report --policy")
    expect_policy(waves_policy, "wave", "planner report --waves-policy")
    with activity("building the plan"):
        plan, graph_svg = build_plan(snapshot, policy, waves_policy)
    with activity("writing the report"):
        page = render_report(plan, graph_svg=graph_svg)
        fileio.write_text(output, page)
    size = len(page.encode("utf-8"))
    if fmt is SummaryFormat.json:
        console.file.write(dump_json(summary_document(plan, output, size)))
        console.file.flush()
        return
    summary = plan["summary"]
    console.print(safe(f"wrote {output} ({size / 1e6:.1f} MB): {count(int(summary.get('vms') or 0), 'VM')} in "
                       f"{count(int(summary.get('waves') or 0), 'wave')}, "
                       f"{count(len(plan.get('risks') or []), 'risk')}."))


def register(app: typer.Typer) -> None:
    """Add `planner report` to the root command."""
    app.command("report", context_settings=SNAPSHOT_COMMAND)(report_command)
