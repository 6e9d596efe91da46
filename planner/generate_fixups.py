"""Config edits that make an image start without what capture never brings (secrets such as TLS keys)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from planner.generate_files import inside_context
from planner.models.generation import ContextFile

_SSL_ON = re.compile(r"^([ \t]*)ssl[ \t]*=[ \t]*'?(?:on|true|yes|1)'?[ \t]*(?:#[^\n]*)?$", re.IGNORECASE | re.MULTILINE)
_SSL_FILE = re.compile(r"^[ \t]*(ssl_(?:cert|key)_file)[ \t]*=[ \t]*'?([^'\s#]*)'?", re.IGNORECASE | re.MULTILINE)
SSL_OFF = "ssl = off  # planner: the key/cert files it named are not in the image (see DECISIONS.md)"


def postgres_ssl(text: str, present: Callable[[str], bool]) -> tuple[str, list[str]]:
    """``ssl = on`` becomes ``ssl = off`` when an absolute ``ssl_cert_file``/``ssl_key_file`` it names is not
    present (PostgreSQL refuses to start without them); returns the text and the files that were absent.
    Relative names live in the data directory, which the data sync brings: those are left alone."""
    absent = [path for _, path in _SSL_FILE.findall(text) if path.startswith("/") and not present(path)]
    if not absent or not _SSL_ON.search(text):
        return text, []
    return _SSL_ON.sub(lambda m: m.group(1) + SSL_OFF, text), absent


def fix_postgres_ssl(root: Path, files: list[ContextFile]) -> tuple[list[ContextFile], list[str]]:
    """Apply :func:`postgres_ssl` to every ``postgresql.conf`` in the context; the updated records and TODOs."""

    def present(path: str) -> bool:
        found = inside_context(root, path)
        return found is not None and found[0].is_file()

    result, todos = [], []
    for record in files:
        target = inside_context(root, record.path) if record.path.endswith("/postgresql.conf") else None
        if target is None or not target[0].is_file():
            result.append(record)
            continue
        text = target[0].read_text(encoding="utf-8", errors="replace")
        new, absent = postgres_ssl(text, present)
        if not absent:
            result.append(record)
            continue
        data = new.encode("utf-8")
        target[0].write_bytes(data)
        result.append(record.model_copy(update={"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}))
        todos.append(f"{record.path}: ssl turned off, because {', '.join(map(repr, absent))} (a secret, never "
                     "captured) is not in the image; supply the key and certificate at run time and turn ssl back on")
    return result, todos
