"""`planner verify DIR`: build, run and probe the images `planner generate` wrote (Docker SDK, local engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from planner.cli.common import TableOrJson, console, dump_json, emit, err_console, safe
from planner.errors import VerificationFailed
from planner.execute.verify import VerifyReport, verify
from planner.text import printable


def _progress(image: str, message: str) -> None:
    err_console.print(Text.assemble((printable(image), "bold"), ": ", printable(message)))


def _table(report: VerifyReport) -> None:
    table = Table("image", "stack", "result", "build s", "size MB", "address", "reason")
    for image in report.images:
        size = f"{image.image_size / 1e6:.0f}" if image.image_size else ""
        table.add_row(safe(image.name), safe(image.stack),
                      Text(image.status, style="green" if image.status == "pass" else "bold red"),
                      f"{image.build_seconds:.1f}" if image.build_seconds is not None else "", size,
                      safe(image.address or ""), safe(image.reason))
    console.print(table)
    for image in report.failed:
        if image.log_tail:
            console.print(Text.assemble((f"{printable(image.name)} log tail:", "bold"), "\n",
                                        printable(image.log_tail)))


def command(
    directory: Annotated[Path, typer.Argument(help="The folder `planner generate -o DIR` wrote.")],
    vm: Annotated[list[str] | None, typer.Option("--vm", help="Only this VM's (or image's) images (repeatable).")]
    = None,
    compare: Annotated[bool, typer.Option("--compare", help="Send the same probe to the original guest; a "
                                          "different answer is a failure.")] = False,
    output_format: Annotated[TableOrJson, typer.Option("--format", "-f", help="table or json.")] = TableOrJson.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here (default: stdout).")]
    = None,
) -> None:
    """Build each image, run it on a free loopback address (move groups together), probe it; exit 11 on failure."""
    report = verify(directory, vms=vm or None, compare=compare, progress=_progress)
    if output_format is TableOrJson.json:
        emit(dump_json(report.document()), output)
    else:
        _table(report)
    if report.failed:
        names = ", ".join(image.name for image in report.failed)
        raise VerificationFailed(f"{len(report.failed)} of {len(report.images)} images failed verification: "
                                 f"{names}.")


def register(root: typer.Typer) -> None:
    """Add `verify` to the root command."""
    root.command("verify")(command)
