"""Snapshot history in SQLite."""

from planner.store.snapshots import SnapshotInfo, Store, default_db_path

__all__ = ["SnapshotInfo", "Store", "default_db_path"]
