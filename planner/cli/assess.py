"""`planner assess`: containerization fit, score, strategy and sizing per VM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from planner.analysis import assess_snapshot
from planner.assess import ASSESSMENT_DOCUMENT_KIND, ReportFormat
from planner.cli.common import (
    SNAPSHOT_COMMAND,
    console,
    count,
    emit,
    err_console,
    load_snapshot,
    open_store,
    snapshot_arg_help,
)
from planner.cli.output import OutputFormats
from planner.cli.policies import expect_policy
from planner.cli.progress import activity
from planner.cli.tables import available_width
from planner.memory import keep_until_exit
from planner.store.parts import NONE
from planner.text import printable

ASSESS_OUTPUT = OutputFormats("planner assess", {".json": "json", ".csv": "csv", ".md": "markdown",
                                                  ".markdown": "markdown", ".txt": "table"}, default="table")


def assess(
    snapshot: Annotated[str | None, typer.Argument(help=snapshot_arg_help(), show_default=False)] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Assessment policy YAML; without it the defaults "
                                                "apply (shown, commented, in the project's examples/policy.yaml).",
                                                show_default=False)] = None,
    fmt: Annotated[ReportFormat | None, typer.Option("--format", "-f", help="Output format (default: from the -o "
                                                     "extension — .json .csv .md — else table).",
                                                     show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.",
                                                show_default=False)] = None,
) -> None:
    """Assess each VM's fitness for containers: findings, fit, score, strategy and right-sizing.

    For a stored snapshot, guest facts from `planner discover` (stored with it, or carried from an earlier snapshot
    of the same VM) are used, and the verdicts are kept with it.
    """
    chosen = ReportFormat(ASSESS_OUTPUT.choose(fmt, output))
    expect_policy(policy, "assessment", "assess")  # a format/extension clash or wrong policy fails before any work
    # from the store, the base alone: each assessing worker reads its own VMs' details (StoredParts.fill)
    estate, _label, snapshot_id = load_snapshot(snapshot, parts=NONE)
    width = available_width(console) if output is None else None
    with activity(f"assessing {count(len(estate.vms), 'VM')}"):
        if snapshot_id is None:
            assessed = assess_snapshot(estate, policy=policy, fmt=chosen, width=width)
        else:
            with open_store() as store:
                assessed = assess_snapshot(estate, policy=policy, fmt=chosen, store=store, snapshot_id=snapshot_id,
                                           width=width, stored_parts=store.vm_parts(snapshot_id))
    for note in assessed.notes:
        err_console.print(Text.assemble("note: ", printable(note)), soft_wrap=True)
    result = assessed.output
    keep_until_exit(estate, assessed)
    emit(result.text, output)
    if snapshot_id is not None:
        with open_store() as store:
            store.save_document(snapshot_id, ASSESSMENT_DOCUMENT_KIND, "latest", result.summary)


def register(app: typer.Typer) -> None:
    """Add `planner assess` to the root command."""
    app.command("assess", context_settings=SNAPSHOT_COMMAND)(assess)
