"""Shared CLI plumbing: global options, consoles, snapshot resolution, output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from rich.console import Console
from rich.text import Text

from planner import fileio
from planner.memory import keep_until_exit
from planner.models import Estate
from planner.resources import example_estate_path
from planner.sources import load_estate_file
from planner.store import Store, default_db_path
from planner.store.parts import ALL
from planner.text import escape_invisible, printable


def _stdout_width() -> int | None:
    """A terminal decides its own width; piped output gets `COLUMNS`, else room enough never to cut or fold data.
    Tables take their room from planner.cli.tables.available_width at print time."""
    columns = os.environ.get("COLUMNS", "")
    return None if sys.stdout.isatty() else int(columns) if columns.isdigit() and int(columns) else PIPED_WIDTH


PIPED_WIDTH = 240
console = Console(highlight=False, width=_stdout_width())
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # messages are never hard-wrapped


@dataclass
class GlobalOptions:
    db: Path | None = None
    debug: bool = False

    @property
    def db_path(self) -> Path:
        return self.db.expanduser() if self.db else default_db_path()


options = GlobalOptions()


SNAPSHOT_COMMAND = {"ignore_unknown_options": True}
"""Context settings of commands taking a SNAPSHOT argument, so `-1` (the snapshot before the latest) is an
argument, not an option."""


class TableOrJson(StrEnum):
    table = "table"
    json = "json"


def open_store(*, create: bool = False) -> Store:
    """The store --db or PLANNER_DB names. Only commands that add snapshots pass `create=True`: a read-only
    command never makes an empty store from a mistyped path, it says there is none."""
    return Store.open(options.db_path, create=create)


def count(number: int, word: str, plural: str | None = None) -> str:
    """``1 VM``, ``2 VMs``, ``0 hosts``: a number with its noun in the right number."""
    return f"{number} {word if number == 1 else plural or word + 's'}"


def vm_count(vms: int, templates: int) -> str:
    """``41 VMs (+2 templates)``: VMs and templates counted apart, as everywhere in planner's messages."""
    return count(vms, "VM") + (f" (+{count(templates, 'template')})" if templates else "")


def snapshot_arg_help(default: str | None = "latest") -> str:
    """The SNAPSHOT argument's help; `default=None` for a required one."""
    latest = "`latest` (default)" if default == "latest" else "`latest`"
    return (f"Snapshot: an id from `inventory list`, {latest}, `-1` for the one before, `example` for the "
            "bundled example estate, or a snapshot or RVTools file.")


def safe(value: object) -> Text:
    """Untrusted text for a rich table cell or message: never read as markup, unprintable characters escaped."""
    return Text(printable(value))


def warn(message: str) -> None:
    """One warning line on stderr; the text is shown as is, never read as markup."""
    err_console.print(Text.assemble("warning: ", printable(message)))


SNAPSHOT_FILE_SUFFIXES = (".json", ".xlsx", ".csv", ".zip")


class LoadedSnapshot(NamedTuple):
    """An estate the user named, a short label for it, and its store id (None for a file or the example)."""

    estate: Estate
    label: str
    snapshot_id: int | None


def names_a_file(ref: str | None) -> bool:
    """Whether a SNAPSHOT argument names a file (or the bundled example) rather than a stored snapshot."""
    if ref == "example":
        return True
    return ref not in (None, "latest") and (Path(ref).exists() or ref.endswith(SNAPSHOT_FILE_SUFFIXES))


def load_snapshot(ref: str | None, parts: Iterable[str] = ALL) -> LoadedSnapshot:
    """The estate a user names: `#3`-labelled from the store, or labelled by its file name. From the store, only
    the VM fields of ``parts`` are read (``planner.store.parts``); files are read whole."""
    from planner.cli.progress import activity

    if ref == "example":
        loaded = LoadedSnapshot(load_estate_file(example_estate_path()), "example", None)
    elif ref is not None and names_a_file(ref):
        candidate = Path(ref)
        with activity(f"reading {candidate.name}"):
            loaded = LoadedSnapshot(load_estate_file(candidate, on_warning=warn), candidate.name, None)
    else:
        with open_store() as store:
            snapshot_id = store.resolve(ref)
            with activity(f"loading snapshot #{snapshot_id}"):
                loaded = LoadedSnapshot(store.load(snapshot_id, parts), f"#{snapshot_id}", snapshot_id)
    keep_until_exit(loaded.estate)  # a console run ends without freeing it (planner.memory)
    return loaded


LARGE_JSON_ITEMS = 5000
"""A JSON output whose top-level lists and objects hold more items than this is written one item per line."""
_compact = json.JSONEncoder(ensure_ascii=False, default=str, separators=(", ", ": ")).encode


def dump_json(data: Any) -> str:
    """JSON output, indented; controls, bidi marks and lone surrogates as ``\\uNNNN`` escapes. A large one (a
    50,000-VM graph) has each item of its top-level lists on one line, written by the C encoder: Python's indenting
    encoder took twice as long."""
    if isinstance(data, dict) and sum(len(value) for value in data.values()
                                      if isinstance(value, list | dict)) > LARGE_JSON_ITEMS:
        return escape_invisible(_indented(data, 0)) + "\n"
    return escape_invisible(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n"


def _indented(value: Any, level: int) -> str:
    if level >= 2 or not value or not isinstance(value, dict | list | tuple):
        return _compact(value)
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return _compact(value)
        items = [f"{inner}{_compact(key)}: {_indented(item, level + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    return "[\n" + ",\n".join(f"{inner}{_indented(item, level + 1)}" for item in value) + f"\n{pad}]"


def emit(text: str, output: Path | None) -> None:
    """Write to a file atomically, or to stdout."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        fileio.write_text(output, text)
        err_console.print(safe(f"wrote {output}"))


def strategy_names(values: list[str], allowed: tuple[str, ...]) -> list[str]:
    """``--include-strategy`` values (comma-separated, repeatable) checked against ``allowed`` or ``all``."""
    from planner.errors import UsageError

    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    choices = [*allowed, "all"]
    for name in names:
        if name not in choices:
            raise UsageError(f"--include-strategy {name}: not one of {', '.join(choices)}.")
    return names
