"""The snapshot store: atomic saves, listing, resolution, migrations, corrupt files."""

from __future__ import annotations

import sqlite3
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from planner.errors import NotFoundError, StoreError
from planner.models import Estate, Source, SourceKind, Vm
from planner.store import Store
from planner.store.schema import SCHEMA_VERSION


def estate(*names: str) -> Estate:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return Estate(collected_at=now, sources=[Source(name="vc", kind=SourceKind.VCENTER, collected_at=now)],
                  vms=[Vm(name=n, source="vc") for n in names])


def test_save_list_load_roundtrip(tmp_path: Path) -> None:
    with Store.open(tmp_path / "sub" / "p.db") as store:
        first = store.save(estate("a", "b"), origin="test", label="q1")
        second = store.save(estate("c"), origin="test")
        assert [s.id for s in store.list()] == [first.id, second.id]
        assert store.list()[0].vm_count == 2 and store.list()[0].label == "q1"
        assert store.load(first.id) == estate("a", "b")
        assert store.resolve(None) == second.id == store.resolve("latest")
        assert store.resolve("-1") == first.id
        assert store.resolve(str(first.id)) == first.id


def test_unknown_snapshot_and_empty_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p.db") as store:
        with pytest.raises(NotFoundError, match="no snapshot yet"):
            store.resolve(None)
        store.save(estate("a"), origin="t")
        with pytest.raises(NotFoundError, match="snapshot 99"):
            store.resolve("99")
        with pytest.raises(NotFoundError, match="-5"):
            store.resolve("-5")


def test_failed_save_leaves_store_untouched_and_usable(tmp_path: Path) -> None:
    """The write fails inside the transaction (a trigger aborts it after the row went in)."""
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        store.save(estate("a"), origin="t")
        conn = sqlite3.connect(path)
        conn.execute("CREATE TRIGGER refuse AFTER INSERT ON snapshots WHEN NEW.label = 'boom' "
                     "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
        conn.commit()
        conn.close()
        with pytest.raises(StoreError, match="disk on fire"):
            store.save(estate("b", "c"), origin="t", label="boom")
        assert [s.vm_count for s in store.list()] == [1]
        store.save(estate("d"), origin="t")  # no transaction was left open
    with Store.open(path) as store:
        assert [s.vm_count for s in store.list()] == [1, 1]


def test_migrations_are_recorded(tmp_path: Path) -> None:
    Store.open(tmp_path / "p.db").close()
    conn = sqlite3.connect(tmp_path / "p.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this planner"):
        Store.open(tmp_path / "p.db")


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=str(path)):
        Store.open(path)


def test_documents_attach_to_snapshots(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p.db") as store:
        info = store.save(estate("a"), origin="t")
        store.save_document(info.id, "facts", "web1", '{"x": 1}')
        store.save_document(info.id, "facts", "web1", '{"x": 2}')
        assert store.documents(info.id, "facts") == {"web1": '{"x": 2}'}
        with pytest.raises(NotFoundError):
            store.save_document(42, "facts", "a", "{}")


def test_several_documents_are_one_transaction(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        info = store.save(estate("a"), origin="t")
        conn = sqlite3.connect(path)
        conn.execute("CREATE TRIGGER refuse AFTER INSERT ON documents WHEN NEW.name = 'bad' "
                     "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        conn.commit()
        conn.close()
        with pytest.raises(StoreError, match="refused"):
            store.save_documents(info.id, "discovery", {"good": "{}", "bad": "{}"})
        assert store.documents(info.id, "discovery") == {}
        store.save_documents(info.id, "discovery", {"good": "{}", "also": "{}"})
        assert set(store.documents(info.id, "discovery")) == {"good", "also"}


@pytest.mark.parametrize("body", [b"not zlib at all", zlib.compress(b"\xff\xfe latin-1 \xe9")],
                         ids=["not-compressed", "not-utf8"])
def test_a_corrupt_document_is_a_store_error_naming_it(tmp_path: Path, body: bytes,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.cli import run_planner

    db = tmp_path / "p.db"
    with Store.open(db) as store:
        info = store.save(estate("web"), origin="test")
        store.save_document(info.id, "discovery", "web", '{"host": "web"}')
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE documents SET body = ? WHERE name = 'web'", (body,))
    with Store.open(db) as store, pytest.raises(StoreError) as caught:
        store.documents(info.id, "discovery")
    assert f"the discovery document 'web' of snapshot {info.id} in {db} is unreadable" in str(caught.value)
    assert run_planner(["--db", str(db), "waves"]) == 9  # a command reading it: exit 9, one line, no traceback
    err = capsys.readouterr().err
    assert "unreadable" in err and "internal error" not in err and "Traceback" not in err
