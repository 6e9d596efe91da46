"""SQLite schema of the snapshot store and its migrations (tracked in PRAGMA user_version)."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable

MIGRATIONS: tuple[str, ...] = (
    # 1: snapshots, each a compressed estate document plus the columns listings need
    """
    CREATE TABLE snapshots (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at     TEXT NOT NULL,
        collected_at   TEXT NOT NULL,
        label          TEXT,
        origin         TEXT NOT NULL,
        sources        TEXT NOT NULL,
        vm_count       INTEGER NOT NULL,
        schema_version INTEGER NOT NULL,
        estate         BLOB NOT NULL
    );
    CREATE TABLE documents (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,
        name        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        body        BLOB NOT NULL,
        PRIMARY KEY (snapshot_id, kind, name)
    );
    """,
    # 2: an estate in parts (planner.store.parts), so commands read only what they need; ``estate`` stays empty
    # for a snapshot stored in parts (those stored before keep their whole document there)
    """
    CREATE TABLE snapshot_parts (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
        part        TEXT NOT NULL,
        body        BLOB NOT NULL,
        PRIMARY KEY (snapshot_id, part)
    );
    """,
    # 3: templates counted apart, so listings say "41 VMs (+2 templates)" like import does (filled by _backfill_3)
    """
    ALTER TABLE snapshots ADD COLUMN template_count INTEGER NOT NULL DEFAULT 0;
    """,
)
"""Each entry moves the schema one version up. Append; never edit a released entry."""


def _backfill_3(conn: sqlite3.Connection) -> None:
    """Count the templates of snapshots stored before version 3 (whole, or in parts: then the ``base`` part)."""
    for snapshot_id, blob in conn.execute("SELECT id, estate FROM snapshots").fetchall():
        if not blob:
            row = conn.execute("SELECT body FROM snapshot_parts WHERE snapshot_id = ? AND part = 'base'",
                               (snapshot_id,)).fetchone()
            blob = row[0] if row else None
        vms = json.loads(zlib.decompress(blob)).get("vms", []) if blob else []
        templates = sum(1 for vm in vms if vm.get("template"))
        conn.execute("UPDATE snapshots SET template_count = ? WHERE id = ?", (templates, snapshot_id))


_BACKFILLS: dict[int, Callable[[sqlite3.Connection], None]] = {3: _backfill_3}

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database to SCHEMA_VERSION, each step in its own transaction."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"store schema version {current} is newer than this planner understands ({SCHEMA_VERSION})"
        )
    for version in range(current, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[version].split(";"):
                if statement.strip():
                    conn.execute(statement)
            if version + 1 in _BACKFILLS:
                _BACKFILLS[version + 1](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
