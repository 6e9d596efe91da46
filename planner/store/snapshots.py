"""The snapshot store: dated estate snapshots in one SQLite file.

Every write is one transaction: a failure leaves earlier snapshots as they were and no partial one.
"""

from __future__ import annotations

import builtins
import json
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from planner.errors import NotFoundError, StoreError
from planner.memory import bulk_objects
from planner.models import Estate, Vm
from planner.store import parts as _parts
from planner.store.parts import ALL, BASE, PARTS, dump_parts, fill_parts, load_parts, split_name, unknown_parts
from planner.store.schema import migrate


@dataclass(frozen=True)
class SnapshotInfo:
    """A stored snapshot's listing row."""

    id: int
    created_at: datetime
    collected_at: datetime
    label: str | None
    origin: str
    sources: list[str]
    vm_count: int
    schema_version: int
    template_count: int = 0
    """Templates among `vm_count` (which counts every VM object, templates included)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "collected_at": self.collected_at.isoformat(),
            "label": self.label,
            "origin": self.origin,
            "sources": self.sources,
            "vm_count": self.vm_count,
            "template_count": self.template_count,
            "schema_version": self.schema_version,
        }


def default_db_path() -> Path:
    """`PLANNER_DB` if set, else planner.db under the user's XDG data directory."""
    env = os.environ.get("PLANNER_DB")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("planner")) / "planner.db"


def _encode(document: str) -> bytes:
    return zlib.compress(document.encode("utf-8"), 3)


def _decode(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


@dataclass(frozen=True)
class StoredParts:
    """Compressed chunks of a snapshot's VM parts (``Store.vm_parts``), read a range of VMs at a time."""

    path: Path
    snapshot_id: int
    bodies: dict[str, bytes]
    parts: frozenset[str]

    def fill(self, vms: builtins.list[Vm], start: int, stop: int) -> None:
        """Give ``vms[start:stop]`` (a ``base`` load of the snapshot) their fields of these parts, in place."""
        try:
            with bulk_objects():
                fill_parts(vms, _Decoded(self.bodies), self.parts, start, stop)
        except (zlib.error, ValueError, UnicodeDecodeError) as exc:  # ValidationError is a ValueError
            raise StoreError(f"snapshot {self.snapshot_id} in {self.path} is unreadable: {exc}") from exc


    def in_turn(self, vms: builtins.list[Vm]) -> Iterator[builtins.list[Vm]]:
        """Each stored chunk of ``vms`` filled with these parts, one at a time: the parts' fields go back to their
        defaults when the caller asks for the next, so no more than one chunk's worth is ever held."""
        emptied = {name: _default_maker(name) for part in self.parts for name in PARTS[part]}
        size = _parts.CHUNK_VMS
        for start in range(0, len(vms), size):
            chunk = vms[start:start + size]
            self.fill(vms, start, start + len(chunk))
            yield chunk
            for vm in chunk:
                vm.__dict__.update({name: make() for name, make in emptied.items()})


def _default_maker(field: str) -> Callable[[], Any]:
    """What makes a fresh default of a VM field (``FieldInfo.get_default`` inspects the factory on every call)."""
    info = Vm.model_fields[field]
    if info.default_factory is not None:
        return info.default_factory  # type: ignore[return-value]
    return lambda: info.default


class _Decoded(Mapping[str, str]):
    """Stored chunks by name, each decompressed only when read."""

    def __init__(self, bodies: Mapping[str, bytes]) -> None:
        self._bodies = bodies

    def __getitem__(self, name: str) -> str:
        return _decode(self._bodies[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._bodies)

    def __len__(self) -> int:
        return len(self._bodies)


_LIST_SQL = ("SELECT id, created_at, collected_at, label, origin, sources, vm_count, schema_version, template_count "
             "FROM snapshots ORDER BY id")
_INFO_SQL = ("SELECT id, created_at, collected_at, label, origin, sources, vm_count, schema_version, template_count "
             "FROM snapshots WHERE id = ?")


FULL_BELOW_BYTES = 1 << 20
"""Below this much free space on the store's device, a SQLite I/O error is reported as a full disk."""


def store_failure(action: str, path: Path, exc: BaseException, *, hint: str | None = None) -> StoreError:
    """The error for a failed store operation; a full device is named as the cause (SQLite says only "disk I/O
    error" when it cannot create its journal)."""
    free = _free_bytes(path)
    if "full" in str(exc) or (free is not None and free < FULL_BELOW_BYTES):
        where = f"{free:,} bytes free" if free is not None else "the device is full"
        return StoreError(f"cannot {action} the snapshot store {path}: no space left on the device holding it "
                          f"({where}); nothing was changed.", hint="Free some space there and run the command again.")
    return StoreError(f"cannot {action} the snapshot store {path}: {exc}.", hint=hint)


def _free_bytes(path: Path) -> int | None:
    folder = next((p for p in (path, *path.parents) if p.exists()), None)
    try:
        stats = os.statvfs(folder if folder is not None else ".")
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


class Store:
    """Open with `Store.open(path)`; use as a context manager to close it."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    def open(cls, path: Path | None = None, *, create: bool = True) -> Store:
        """Open the store at `path`; with `create=False` a store that does not exist is an error, never made."""
        path = path or default_db_path()
        if not create and not path.is_file():
            raise NotFoundError(f"there is no snapshot store at {path}.",
                                hint="Import or collect a snapshot first (`planner inventory import FILE`), or "
                                     "check the path given by --db or PLANNER_DB.")
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path if create else f"{path.resolve().as_uri()}?mode=rw", isolation_level=None,
                                   timeout=30, uri=not create)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn)
        except (sqlite3.Error, OSError, RuntimeError) as exc:
            newer = isinstance(exc, RuntimeError)
            raise store_failure("open", path, exc, hint="Upgrade planner to read it." if newer else
                                "Check the path given by --db or PLANNER_DB.") from exc
        return cls(path, conn)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise store_failure("write to", self.path, exc) from exc
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise store_failure("write to", self.path, exc) from exc

    def save(self, estate: Estate, *, origin: str, label: str | None = None) -> SnapshotInfo:
        """Store one snapshot atomically (its listing row and its parts, ``planner.store.parts``) and return its
        listing row."""
        parts = [(name, zlib.compress(data, 3)) for name, data in dump_parts(estate)]
        return self.save_parts(estate, parts, vm_count=len(estate.vms),
                               template_count=sum(1 for vm in estate.vms if vm.template), origin=origin, label=label)

    def save_parts(self, estate: Estate, parts: builtins.list[tuple[str, bytes]], *, vm_count: int,
                   template_count: int, origin: str, label: str | None = None) -> SnapshotInfo:
        """Store one snapshot from its compressed parts, already made (``planner.store.file_import``: a large file
        a chunk at a time); ``estate`` gives the listing facts (its VMs are not read)."""
        created = datetime.now(UTC)
        sources = [source.name for source in estate.sources]
        with self._transaction() as conn:
            try:
                cursor = conn.execute(
                    "INSERT INTO snapshots (created_at, collected_at, label, origin, sources, vm_count,"
                    " schema_version, estate, template_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (created.isoformat(), estate.collected_at.isoformat(), label, origin, json.dumps(sources),
                     vm_count, estate.schema_version, b"", template_count),
                )
                snapshot_id = cursor.lastrowid
                conn.executemany("INSERT INTO snapshot_parts (snapshot_id, part, body) VALUES (?, ?, ?)",
                                 [(snapshot_id, name, body) for name, body in parts])
            except sqlite3.Error as exc:
                raise store_failure("write to", self.path, exc) from exc
        assert snapshot_id is not None
        return self.info(snapshot_id)

    def _row_to_info(self, row: tuple) -> SnapshotInfo:
        return SnapshotInfo(
            id=row[0], created_at=datetime.fromisoformat(row[1]), collected_at=datetime.fromisoformat(row[2]),
            label=row[3], origin=row[4], sources=json.loads(row[5]), vm_count=row[6], schema_version=row[7],
            template_count=row[8],
        )

    def list(self) -> list[SnapshotInfo]:
        """All snapshots, oldest first."""
        rows = self._query(_LIST_SQL)
        return [self._row_to_info(row) for row in rows]

    def info(self, snapshot_id: int) -> SnapshotInfo:
        rows = self._query(_INFO_SQL, (snapshot_id,))
        if not rows:
            raise NotFoundError(f"snapshot {snapshot_id} is not in the store {self.path}.",
                                hint="`planner inventory list` shows the stored snapshots.")
        return self._row_to_info(rows[0])

    def latest_id(self) -> int:
        rows = self._query("SELECT max(id) FROM snapshots")
        if not rows or rows[0][0] is None:
            raise NotFoundError(f"the snapshot store {self.path} holds no snapshot yet.",
                                hint="Run `planner inventory collect` or `planner inventory import` first.")
        return int(rows[0][0])

    def resolve(self, ref: str | int | None) -> int:
        """A snapshot id from an id, `latest`, or a negative offset (`-1` is the one before the latest)."""
        if ref is None or ref == "latest":
            return self.latest_id()
        try:
            number = int(ref)
        except ValueError:
            raise NotFoundError(f"'{ref}' is neither a snapshot id, 'latest', nor an existing file.") from None
        if number < 0:
            ids = [row[0] for row in self._query("SELECT id FROM snapshots ORDER BY id DESC")]
            if -number >= len(ids):
                raise NotFoundError(f"there is no snapshot {number} back from the latest in {self.path}.")
            return int(ids[-number])
        return self.info(number).id

    def load(self, snapshot_id: int, parts: Iterable[str] = ALL) -> Estate:
        """The stored estate, with the VM fields of the ``parts`` asked for (``planner.store.parts``: all by
        default; the others keep their defaults). Snapshots stored whole are read whole."""
        wanted = set(parts)
        if unknown := unknown_parts(wanted):
            raise ValueError(f"unknown estate parts {sorted(unknown)}")
        names = [BASE, *sorted(wanted)]
        rows = self._part_rows(snapshot_id, names)
        with bulk_objects():
            return self._load(snapshot_id, rows, names, wanted)

    def vm_parts(self, snapshot_id: int, parts: Iterable[str] = ALL) -> StoredParts:
        """The ``parts`` of a stored snapshot, still compressed, for `StoredParts.fill` to read a range of VMs from
        later: one query now and no store access then, so a forked worker can fill its own share."""
        wanted = set(parts)
        if unknown := unknown_parts(wanted):
            raise ValueError(f"unknown estate parts {sorted(unknown)}")
        return StoredParts(self.path, snapshot_id, dict(self._part_rows(snapshot_id, wanted)), frozenset(wanted))

    def _part_rows(self, snapshot_id: int, names: Iterable[str]) -> builtins.list[tuple]:
        """(stored name, compressed body) of every chunk of the parts ``names``."""
        wanted = set(names)
        return [row for row in self._query("SELECT part, body FROM snapshot_parts WHERE snapshot_id = ?",
                                           (snapshot_id,)) if split_name(row[0])[0] in wanted]

    def _load(self, snapshot_id: int, rows: builtins.list[tuple], names: builtins.list[str],
              wanted: set[str]) -> Estate:
        try:
            if rows:
                texts = {name: _decode(body) for name, body in rows}
                missing = [name for name in names if name not in texts]
                if missing:
                    raise ValueError(f"its part(s) {', '.join(missing)} are missing")
                return load_parts(texts, wanted)
            whole = self._query("SELECT estate FROM snapshots WHERE id = ?", (snapshot_id,))
            if not whole:
                self.info(snapshot_id)
            return Estate.model_validate_json(_decode(whole[0][0]))
        except (zlib.error, ValueError, UnicodeDecodeError) as exc:  # ValidationError is a ValueError
            raise StoreError(f"snapshot {snapshot_id} in {self.path} is unreadable: {exc}") from exc

    def save_document(self, snapshot_id: int, kind: str, name: str, body: str) -> None:
        """Attach a JSON document (discovery facts, flows, ...) to a snapshot, replacing one of the same name."""
        self.save_documents(snapshot_id, kind, {name: body})

    def save_documents(self, snapshot_id: int, kind: str, documents: Mapping[str, str]) -> None:
        """Attach several documents in one transaction: all of them are stored, or none."""
        self.save_document_sets(snapshot_id, {kind: documents})

    def save_document_sets(self, snapshot_id: int, sets: Mapping[str, Mapping[str, str]]) -> None:
        """Attach documents of several kinds (kind -> name -> body) in one transaction: all are stored, or none."""
        self.info(snapshot_id)
        now = datetime.now(UTC).isoformat()
        rows = [(snapshot_id, kind, name, now, _encode(body)) for kind, documents in sets.items()
                for name, body in documents.items()]
        with self._transaction() as conn:
            try:
                conn.executemany("INSERT OR REPLACE INTO documents (snapshot_id, kind, name, created_at, body) "
                                 "VALUES (?, ?, ?, ?, ?)", rows)
            except sqlite3.Error as exc:
                raise store_failure("write to", self.path, exc) from exc

    def delete_documents(self, snapshot_id: int, kind: str, names: builtins.list[str]) -> None:
        """Remove documents of a snapshot by name, in one transaction (names not stored are ignored)."""
        with self._transaction() as conn:
            try:
                conn.executemany("DELETE FROM documents WHERE snapshot_id = ? AND kind = ? AND name = ?",
                                 [(snapshot_id, kind, name) for name in names])
            except sqlite3.Error as exc:
                raise store_failure("write to", self.path, exc) from exc

    def documents(self, snapshot_id: int, kind: str) -> dict[str, str]:
        rows = self._query("SELECT name, body FROM documents WHERE snapshot_id = ? AND kind = ? ORDER BY name",
                           (snapshot_id, kind))
        documents = {}
        for name, body in rows:
            try:
                documents[name] = _decode(body)
            except (zlib.error, UnicodeDecodeError, TypeError) as exc:
                raise StoreError(f"the {kind} document {name!r} of snapshot {snapshot_id} in {self.path} is "
                                 f"unreadable: {exc}.",
                                 hint="The store file is damaged: restore it from a backup, or store that "
                                      "snapshot's data again (e.g. rerun `planner discover run`).") from exc
        return documents

    def snapshots_with(self, kind: str, *, up_to: int) -> builtins.list[int]:
        """Ids of the snapshots (at most ``up_to``, newest first) that hold documents of ``kind``."""
        rows = self._query("SELECT DISTINCT snapshot_id FROM documents WHERE kind = ? AND snapshot_id <= ? "
                           "ORDER BY snapshot_id DESC", (kind, up_to))
        return [int(row[0]) for row in rows]

    def _query(self, sql: str, params: tuple = ()) -> builtins.list[tuple]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise store_failure("read", self.path, exc) from exc
