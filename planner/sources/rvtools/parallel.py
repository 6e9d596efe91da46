"""Read the per-VM tabs of a large workbook in worker processes while the main process reads vInfo.

openpyxl's read-only parser spends most of an import in XML parsing, one core per sheet. For a large xlsx file
each optional VM tab is parsed in a worker (openpyxl read-only, row by row, like the main path); the worker keeps
only the columns the tab's mapper uses and returns those rows, with their spreadsheet row numbers, so values are
still converted, and errors still reported, by the same code in the main process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from planner.sources.rvtools.columns import Column, Columns
from planner.sources.rvtools.reader import Export, Tab, WorkbookExport
from planner.sources.rvtools.vminfo import SERVER_KEYS, JoinKeys
from planner.sources.rvtools.vmtabs import VM_TABS

PARALLEL_MIN_BYTES = 4 * 1024**2
"""Smaller workbooks are read in one process: starting workers would cost more than it saves."""
MAX_WORKERS = 4

Projected = tuple[str, str, list[str], list[tuple[int, tuple[Any, ...]]]]


class _RecordingColumns(Columns):
    """Columns that remember which of them a mapper looked up."""

    def __init__(self, tab: Tab) -> None:
        super().__init__(tab)
        self.used: set[int] = set()

    def find(self, *keys: str) -> Column | None:
        column = super().find(*keys)
        if column is not None:
            self.used.add(column.index)
        return column


_OPEN: dict[str, WorkbookExport] = {}
"""The workbook a worker process has open (workers read several tabs; the shared strings are parsed once)."""


def read_projected(path: str, name: str) -> Projected | None:
    """(tab, origin, header, rows) of one tab, restricted to the columns its mapper uses (runs in a worker)."""
    export = _OPEN.get(path)
    if export is None:
        for other in _OPEN.values():
            other.close()
        _OPEN.clear()
        export = _OPEN[path] = WorkbookExport(Path(path), path)
    tab = export.open(name)
    if tab is None:
        return None
    columns = _RecordingColumns(tab)
    JoinKeys.of(columns)
    columns.find(*SERVER_KEYS)
    VM_TABS[tab.name][0](columns)
    keep = sorted(columns.used)
    header = [tab.header[index] for index in keep]
    rows = [(number, tuple(row[index] if index < len(row) else None for index in keep)) for number, row in tab.rows]
    return tab.name, tab.origin, header, rows


def worker_count(export: Export, path: Path) -> int:
    """How many workers to use for this export: 0 for small workbooks, CSV, in-memory xlsx or one CPU."""
    cpus = os.cpu_count() or 1
    if not isinstance(export, WorkbookExport) or not path.is_file() or cpus < 2:
        return 0
    try:
        big = path.stat().st_size >= PARALLEL_MIN_BYTES
    except OSError:
        return 0
    return min(cpus, MAX_WORKERS) if big else 0


class Prefetch:
    """Tabs being read in workers; `take(name)` waits for one and returns it as a Tab."""

    def __init__(self, path: Path, names: Iterable[str], workers: int) -> None:
        self._executor: Executor | None = None
        self._futures: dict[str, Future[Projected | None]] = {}
        if workers <= 0:
            return
        try:
            self._executor = ProcessPoolExecutor(max_workers=workers,
                                                 mp_context=multiprocessing.get_context("spawn"))
            for name in names:
                self._futures[name] = self._executor.submit(read_projected, str(path), name)
        except (OSError, RuntimeError):  # no processes here (sandbox, frozen app): read in this process
            self.close()
            self._futures.clear()

    def has(self, name: str) -> bool:
        return name in self._futures

    def take(self, name: str, fallback: Callable[[], Tab | None]) -> Tab | None:
        """The tab read by a worker; `fallback()` reads it here if the worker process could not run."""
        try:
            result = self._futures.pop(name).result()
        except (BrokenProcessPool, OSError):
            return fallback()
        if result is None:
            return None
        tab, origin, header, rows = result
        return Tab(tab, origin, header, iter(rows), None)

    def close(self) -> None:
        if self._executor is not None:
            for future in self._futures.values():
                future.cancel()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def present(export: Export, names: Sequence[str]) -> list[str]:
    """The tabs of `names` the export has, in the order given."""
    have = {name.lower() for name in export.tab_names()}
    return [name for name in names if name.lower() in have]
