"""Spread a pure, CPU-bound map over the machine's cores with forked workers.

`forked_map(function, items)` splits `items` into contiguous slices, forks one child per slice but the first,
computes the first slice itself and reads each child's results back (pickled into an unlinked temporary file, so
a child never waits on a full pipe). The children share the parent's memory copy-on-write: nothing is sent to
them, which is why this beats a process pool when the input is a large estate already in memory.

Anything unusual falls back to doing the work in this process, never to a wrong or partial answer: no `fork`
(Windows), one usable core, too few items, a child that fails or is killed (its slice is recomputed here).
``PLANNER_WORKERS`` (a positive integer) caps the number of processes; 1 turns forking off.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import tempfile
import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

WORKERS_ENV = "PLANNER_WORKERS"
MIN_PER_WORKER = 5000
"""Below this many items per process, forking costs more than it saves."""


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class _Hooks:
    """What `forked_map` was given besides the function: how results travel, what runs before a share."""

    pack: Callable[[Any], Any]
    unpack: Callable[[Any], Any]
    prepare: Callable[[int, int], None] | None


@dataclass(frozen=True)
class _Share:
    """``items[start:stop]``: what one process computes."""

    items: Sequence[Any]
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def compute(self, function: Callable[[Any], Any], hooks: _Hooks) -> list[Any]:
        if hooks.prepare is not None:
            hooks.prepare(self.start, self.stop)
        return [function(item) for item in self.items[self.start:self.stop]]


def worker_count(items: int, min_per_worker: int | None = None) -> int:
    """How many processes `forked_map` uses for `items` items (1: no fork)."""
    if not hasattr(os, "fork"):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    if wanted.isdigit() and int(wanted) >= 1:
        cores = min(cores, int(wanted))
    per_worker = MIN_PER_WORKER if min_per_worker is None else min_per_worker
    return max(1, min(cores, items // max(1, per_worker)))


def forked_map(function: Callable[[T], R], items: Sequence[T], *, min_per_worker: int | None = None,
               pack: Callable[[R], Any] = _same, unpack: Callable[[Any], R] = _same,
               prepare: Callable[[int, int], None] | None = None) -> list[R]:
    """``[function(item) for item in items]``, in order, computed by up to `worker_count` processes.

    `function` must be pure (what a child changes is lost with it). A child sends ``pack(result)`` for each
    result, and the parent rebuilds it with ``unpack``: plain tuples pickle several times faster than objects.
    ``prepare(start, stop)`` runs first in whichever process computes ``items[start:stop]`` (e.g. to read only
    that share's data).
    """
    hooks = _Hooks(pack, unpack, prepare)
    workers = worker_count(len(items), min_per_worker)
    bounds = [len(items) * index // workers for index in range(workers + 1)]
    shares = [_Share(items, bounds[i], bounds[i + 1]) for i in range(workers)]
    if workers == 1:
        return shares[0].compute(function, hooks)
    with ExitStack() as files:
        outputs = [files.enter_context(tempfile.TemporaryFile()) for _ in shares[1:]]
        children = [_fork(function, share, hooks, output) for share, output in zip(shares[1:], outputs, strict=True)]
        try:
            results = shares[0].compute(function, hooks)
            for pid, output, share in zip(children, outputs, shares[1:], strict=True):
                results.extend(_collect(pid, output, function, share, hooks))
        finally:
            for pid in children:
                _reap(pid)
    return results


def _fork(function: Callable[[T], R], share: _Share, hooks: _Hooks, output: IO[bytes]) -> int:
    """Start a child computing `share` into `output`; its pid, or 0 when it could not be forked."""
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking with threads (a progress spinner): the child only computes,
            # pickles and leaves with os._exit, taking no lock another thread may hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError as exc:
        log.debug("could not fork a worker (%s); computing its share here", exc)
        return 0
    if pid == 0:  # the child: never returns
        status = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            pickle.dump([hooks.pack(result) for result in share.compute(function, hooks)], output,
                        protocol=pickle.HIGHEST_PROTOCOL)
            output.flush()
            status = 0
        finally:
            os._exit(status)
    return pid


def _collect(pid: int, output: IO[bytes], function: Callable[[T], R], share: _Share, hooks: _Hooks
             ) -> list[R]:
    """The child's results, or `share` computed here when the child did not deliver them."""
    if pid:
        _pid, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            output.seek(0)
            try:
                packed = pickle.load(output)  # noqa: S301 -- our own child wrote it, just now
                if len(packed) == len(share):
                    return [hooks.unpack(value) for value in packed]
            except (pickle.UnpicklingError, EOFError, ValueError) as exc:
                log.debug("a worker's results were unreadable (%s)", exc)
        log.debug("worker %d ended with status %s; computing its share here", pid, status)
    return share.compute(function, hooks)


def _reap(pid: int) -> None:
    """Make sure a child is gone (the parent was interrupted or failed before collecting it)."""
    if not pid:
        return
    try:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:  # already collected
        pass
