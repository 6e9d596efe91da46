"""The `planner` command: a thin layer over the library. Errors map to exit codes here, and only here."""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from planner import __version__, memory
from planner.cli import progress
from planner.cli.common import err_console, options
from planner.cli.help import prepare
from planner.cli.parsing import hoist_global_options
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


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planner {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: Annotated[Path | None, typer.Option("--db", envvar="PLANNER_DB", help="Snapshot store (SQLite file); "
                                            "before or after the subcommand.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    options.db = db
    options.debug = debug


COMMANDS = {"inventory": "planner.cli.inventory", "assess": "planner.cli.assess", "graph": "planner.cli.graph",
            "waves": "planner.cli.graph", "discover": "planner.cli.discover",
            "generate": "planner.cli.generate", "verify": "planner.cli.verify", "plan": "planner.cli.plan",
            "report": "planner.cli.report"}
"""Top-level command -> the module that registers it (``register(app)``). Only the module of the command being run
is imported: the others' imports (pyVmomi, networkx, the rules, ...) are most of a command's start-up time."""
_registered: set[str] = set()
_VALUE_OPTIONS = {"--db"}


def _command_name(argv: list[str]) -> str | None:
    """The top-level command in ``argv`` (the first word that is not a root option or its value)."""
    words = iter(argv)
    for word in words:
        if word in _VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def register_commands(argv: list[str] | None = None) -> None:
    """Register the command ``argv`` runs, or every command (help, an unknown or no command). A module is missing
    only in a partial install of later stages; then its commands are not offered."""
    name = _command_name(sys.argv[1:] if argv is None else argv)
    if name is None and "--version" in (sys.argv[1:] if argv is None else argv):
        return
    modules = [COMMANDS[name]] if name in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module_name in modules:
        if module_name in _registered:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(app)
        _registered.add(module_name)


def build_command() -> typer.core.TyperGroup:
    """The click command tree of `planner`, with the house rules of planner.cli.help applied."""
    command = typer.main.get_command(app)
    prepare(command)
    return command  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    if argv is None:
        memory.allow_fast_exit()
    try:
        args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
        progress.state.quiet = progress.quiet_for(args)
        register_commands(args)
        # an Exit's code comes back as the return value
        code = build_command().main(args=args, prog_name="planner", standalone_mode=False)
        if isinstance(code, int) and code:
            if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into Exit(130)
                err_console.print("interrupted; nothing partial was stored.")
            sys.exit(code)
        if memory.holding():  # a console run kept large results: the process ends without freeing them
            memory.exit_now(0)
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
        if hasattr(exc, "message"):  # typer's coercion says "Value error, 'x' is not one of ..."
            exc.message = str(exc.message).replace("Value error, ", "")
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
