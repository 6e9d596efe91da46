"""A full disk gets one clean message naming the cause (issue 12, item 6): no tracebacks after it, and the store's
"disk I/O error" said as what it is."""

from __future__ import annotations

import errno
import gc
import sqlite3
import sys
from pathlib import Path

import pytest

from planner.audit.export import write_workbook
from planner.errors import StoreError
from planner.resources import example_estate_path
from planner.sources.snapshot_file import read_snapshot_file
from planner.store import Store, snapshots


def test_a_workbook_that_cannot_be_written_leaves_no_traceback_behind(monkeypatch):
    """/dev/full fails every write with ENOSPC, as a full disk does; openpyxl's abandoned row streams used to print
    an "Exception ignored … I/O operation on closed file" block per sheet when collected."""
    ignored: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    code = None
    try:
        write_workbook(read_snapshot_file(example_estate_path()), Path("/dev/full"))
    except OSError as exc:
        code = exc.errno
    assert code == errno.ENOSPC
    gc.collect()  # the workbook is garbage now (the exception and its frames are gone)
    assert ignored == []


def test_a_store_on_a_full_device_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshots, "_free_bytes", lambda path: 4096)
    error = snapshots.store_failure("open", tmp_path / "p.db", sqlite3.OperationalError("disk I/O error"))
    assert str(error.message) == (f"cannot open the snapshot store {tmp_path / 'p.db'}: no space left on the device "
                                  "holding it (4,096 bytes free); nothing was changed.")
    assert error.hint == "Free some space there and run the command again."


def test_sqlite_full_is_named_whatever_the_free_space_and_other_errors_pass_through(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshots, "_free_bytes", lambda path: 10 << 30)
    full = snapshots.store_failure("write to", tmp_path, sqlite3.OperationalError("database or disk is full"))
    assert "no space left on the device holding it" in full.message
    other = snapshots.store_failure("read", tmp_path, sqlite3.OperationalError("disk I/O error"), hint="h")
    assert other.message == f"cannot read the snapshot store {tmp_path}: disk I/O error." and other.hint == "h"


def test_opening_a_store_the_device_cannot_hold_is_a_store_error(tmp_path, monkeypatch):
    """Through Store.open: the error raised when SQLite cannot write carries the cause."""
    monkeypatch.setattr(snapshots, "_free_bytes", lambda path: 0)

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(snapshots.sqlite3, "connect", refuse)
    with pytest.raises(StoreError, match="no space left on the device holding it"):
        Store.open(tmp_path / "p.db")
