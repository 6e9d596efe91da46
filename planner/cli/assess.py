"""`planner assess`: containerization fit, score, strategy and sizing per VM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from planner.analysis import assess_snapshot
from planner.assess import ASSESSMENT_DOCUMENT_KIND, ReportFormat
from planner.cli.common import SNAPSHOT_COMMAND, emit, err_console, load_snapshot, open_store, snapshot_arg_help
from planner.errors import UsageError
from planner.text import printable

_BY_SUFFIX = {".json": ReportFormat.json, ".csv": ReportFormat.csv, ".md": ReportFormat.markdown,
              ".markdown": ReportFormat.markdown, ".txt": ReportFormat.table}


def _report_format(fmt: ReportFormat | None, output: Path | None) -> ReportFormat:
    """The format asked for, else the one the output file's extension names, else the table; never a mismatch."""
    by_suffix = _BY_SUFFIX.get(output.suffix.lower()) if output else None
    if fmt is not None and by_suffix is not None and fmt is not by_suffix:
        raise UsageError(f"--format {fmt.value} does not match the output file {output}; change one of them.")
    return fmt or by_suffix or ReportFormat.table


def assess(
    snapshot: Annotated[str | None, typer.Argument(help=snapshot_arg_help(), show_default=False)] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML; without it the built-in defaults "
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
    chosen = _report_format(fmt, output)  # a format/extension clash fails before any work
    estate, _label, snapshot_id = load_snapshot(snapshot)
    if snapshot_id is None:
        assessed = assess_snapshot(estate, policy=policy, fmt=chosen)
    else:
        with open_store() as store:
            assessed = assess_snapshot(estate, policy=policy, fmt=chosen, store=store, snapshot_id=snapshot_id)
    for note in assessed.notes:
        err_console.print(Text.assemble("note: ", printable(note)), soft_wrap=True)
    result = assessed.output
    emit(result.text, output)
    if snapshot_id is not None:
        with open_store() as store:
            store.save_document(snapshot_id, ASSESSMENT_DOCUMENT_KIND, "latest", result.summary)


def register(app: typer.Typer) -> None:
    """Add `planner assess` to the root command."""
    app.command("assess", context_settings=SNAPSHOT_COMMAND)(assess)
