"""The `planner` command: a thin layer over the library. Errors map to exit codes here, and only here."""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from planner import __version__
from planner.cli import inventory
from planner.cli.common import err_console, options
from planner.errors import PlannerError
from planner.text import printable

EXIT_INTERRUPTED = 130


def _click_types(name: str) -> tuple[type[BaseException], ...]:
    """`name` from click and from the copy of click that newer typer versions vendor, whichever exist."""
    found: list[type[BaseException]] = []
    for module_name in ("click.exceptions", "typer._click.exceptions", "typer.exceptions"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        candidate = getattr(module, name, None)
        if isinstance(candidate, type) and candidate not in found:
            found.append(candidate)
    return tuple(found)


_USAGE_ERRORS = _click_types("ClickException")
_EXITS = _click_types("Exit")
_ABORTS = _click_types("Abort")

app = typer.Typer(
    name="planner",
    help="Audit a vSphere estate, map its dependencies, assess containerization fit and plan the move.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(inventory.app, name="inventory")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planner {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: Annotated[Path | None, typer.Option("--db", envvar="PLANNER_DB", help="Snapshot store (SQLite file).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
) -> None:
    options.db = db
    options.debug = debug


def _register_optional() -> None:
    """Commands of later stages register themselves when their module is present."""
    for module_name, attribute in (("planner.cli.assess", "register"), ("planner.cli.graph", "register"),
                                   ("planner.cli.discover", "register"), ("planner.cli.generate", "register"),
                                   ("planner.cli.verify", "register")):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        getattr(module, attribute)(app)


_register_optional()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        code = app(args=argv, standalone_mode=False)  # an Exit's code comes back as the return value
        if isinstance(code, int) and code:
            if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into Exit(130)
                err_console.print("interrupted; nothing partial was stored.")
            sys.exit(code)
    except PlannerError as exc:
        if options.debug:
            traceback.print_exc()
        err_console.print(Text.assemble(("error:", "bold red"), " ", printable(str(exc))))
        sys.exit(exc.exit_code)
    except _EXITS as exc:
        sys.exit(getattr(exc, "exit_code", 0))
    except _ABORTS:
        err_console.print("aborted.")
        sys.exit(EXIT_INTERRUPTED)
    except _USAGE_ERRORS as exc:
        exc.show()  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing partial was stored.")
        sys.exit(EXIT_INTERRUPTED)
    except Exception:
        if options.debug:
            traceback.print_exc()
        else:
            err_console.print("[bold red]internal error[/] (a bug in planner); run again with --debug for the "
                              "traceback and report it.")
        sys.exit(1)
    sys.exit(0)
