"""One rule for every command with ``-o``: the output format follows the file's extension.

A command declares what it writes with :class:`OutputFormats` and calls :meth:`OutputFormats.choose` before any
work: ``-f`` alone picks the format; ``-o FILE`` alone picks it by FILE's extension (no extension: the
default); an extension the command cannot write without ``-f``, or a ``-f`` that contradicts ``-o``'s extension,
is a usage error (exit 2) worded the same everywhere and naming the formats the command can write. ``-f`` with an
extension the command does not know (``-f json -o estate.out``) is the user's explicit choice and is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from planner.errors import UsageError


def _value(fmt: object) -> str:
    return str(fmt.value) if isinstance(fmt, Enum) else str(fmt)


@dataclass(frozen=True)
class OutputFormats:
    """What a command can write: extension (with its dot) -> format, the default, formats needing a file."""

    command: str
    by_extension: Mapping[str, str]
    default: str
    file_only: frozenset[str] = field(default_factory=frozenset)

    def describe(self) -> str:
        """``json (.json), table (.txt, .text)``: the formats with the extensions that select them."""
        names: dict[str, list[str]] = {}
        for extension, fmt in self.by_extension.items():
            names.setdefault(fmt, []).append(extension)
        return ", ".join(f"{fmt} ({', '.join(extensions)})" for fmt, extensions in names.items())

    def choose(self, given: object | None, output: Path | None) -> str:
        """The format to write: ``-f`` (`given`), else ``-o``'s extension, else the default."""
        chosen = _value(given) if given is not None else None
        suffix = output.suffix.lower() if output is not None else ""
        implied = self.by_extension.get(suffix)
        if output is not None and suffix and implied is None and chosen is None:
            raise UsageError(f"-o {output.name}: {self.command} cannot write {suffix} files; it writes "
                             f"{self.describe()}; or give -f.")
        if chosen is not None and implied is not None and chosen != implied:
            raise UsageError(f"-f {chosen} contradicts -o {output.name if output else ''}, which names the "
                             f"{implied} format; drop -f or change the extension.")
        result = chosen or implied or self.default
        if result in self.file_only and output is None:
            extension = next((ext for ext, fmt in self.by_extension.items() if fmt == result), "")
            raise UsageError(f"-f {result} writes a file: add -o FILE{extension}.")
        return result
