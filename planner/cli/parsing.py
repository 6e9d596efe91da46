"""Command-line parsing rules shared by every command.

* An argument that starts with ``-`` is an option, everywhere, except a negative number, which is a snapshot
  offset (``-1`` is the snapshot before the latest). Commands that take a SNAPSHOT argument parse with
  ``ignore_unknown_options`` so ``-1`` reaches them; :func:`strict_options` checks those commands' arguments
  first, so a mistyped option is "No such option", never a snapshot name.
* The global options (``--db``, ``--debug``) are accepted wherever the user puts them: :func:`hoist_global_options`
  moves them before the subcommand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from planner.errors import UsageError

NEGATIVE_NUMBER = re.compile(r"-\d+")
"""`-1`, `-12`: a snapshot offset, never an option."""

GLOBAL_VALUE_OPTIONS = ("--db",)
GLOBAL_FLAGS = ("--debug",)


def hoist_global_options(argv: list[str]) -> list[str]:
    """``argv`` with the root command's options moved to the front, wherever they were (up to ``--``)."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            rest.extend(argv[index:])
            break
        if arg in GLOBAL_FLAGS or arg.startswith(tuple(f"{name}=" for name in GLOBAL_VALUE_OPTIONS)):
            front.append(arg)
        elif arg in GLOBAL_VALUE_OPTIONS:
            if index + 1 == len(argv):
                raise UsageError(f"{arg} needs a value: {arg} FILE.")
            front.extend(argv[index:index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return front + rest


def _probe_args(args: list[str]) -> list[str]:
    """The arguments with snapshot offsets replaced by a neutral word, for a parse that rejects unknown options."""
    return ["0" if NEGATIVE_NUMBER.fullmatch(arg) else arg for arg in args]


def strict_options(command: Any) -> None:
    """Make a command that ignores unknown options (to read `-1`) reject them again, with click's own message
    ("No such option: --polcy (Possible options: --policy)")."""
    original: Callable[[Any, list[str]], list[str]] = command.parse_args

    def parse_args(ctx: Any, args: list[str]) -> list[str]:
        if ctx.ignore_unknown_options and not ctx.resilient_parsing:
            probe = type(ctx)(command, info_name=ctx.info_name, parent=ctx.parent, ignore_unknown_options=False)
            command.make_parser(probe).parse_args(args=_probe_args(list(args)))
        return original(ctx, args)

    command.parse_args = parse_args
