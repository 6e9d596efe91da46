"""Run the bundled discovery playbook through ansible-runner and collect each host's raw output.

Ansible comes with planner (ansible-core and ansible-runner). The playbook uses only ``ansible.builtin`` modules,
Windows included, so no collection is needed and nothing is fetched from Galaxy at run time. Connection settings
come from the user's inventory. Results are read from runner events (never templated back into Ansible), hosts are
reported as they progress, and an unreachable or failing host is recorded while the others go on.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner.discovery.merge import merge
from planner.discovery.models import GuestDiscovery, RawGuest, RawSample
from planner.errors import ExecutionError, InputError

PLAYBOOK_DIR = Path(__file__).resolve().parent / "playbooks"
PLAYBOOK = PLAYBOOK_DIR / "discover.yml"
TASK_PREFIX = "Planner: "
SECTION_TASKS = {"identity", "packages", "units", "crontabs", "datadirs"}
WINDOWS_TASKS = {"windows identity": "identity", "windows services": "services", "windows iis sites": "iis"}
LINUX_TASK_COUNT = 6  # connection + identity, packages, units, crontabs, datadirs; samples come on top
MAX_ERROR = 300

ProgressCallback = Callable[[str, str, str], None]
"""``progress(host, step, status)``; status is ok | failed | skipped | unreachable | sample."""


@dataclass
class DiscoveryOptions:
    inventory: str
    limit: str | None = None
    forks: int = 10
    samples: int = 1
    interval: float = 0.0
    task_timeout: int = 60
    become: bool = False
    keep_artifacts: Path | None = None

    def steps_per_host(self) -> int:
        return LINUX_TASK_COUNT + self.samples


@dataclass
class DiscoveryRun:
    guests: list[GuestDiscovery]
    raw: list[RawGuest]
    rc: int
    status: str
    seconds: float
    log_tail: str = ""
    per_host_seconds: dict[str, float] = field(default_factory=dict)


class _Collector:
    """Builds ``RawGuest`` objects from runner events (called from runner's thread)."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self.guests: dict[str, RawGuest] = {}
        self.progress = progress
        self.lock = threading.Lock()

    def guest(self, host: str) -> RawGuest:
        raw = self.guests.get(host)
        if raw is None:
            raw = self.guests[host] = RawGuest(host=host, started=datetime.now(UTC))
        return raw

    def __call__(self, event: dict[str, Any]) -> bool:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        host = data.get("host")
        task = str(data.get("task") or "")
        if not host or not kind.startswith("runner_"):
            return False
        step = task.removeprefix(TASK_PREFIX)
        res = data.get("res") or {}
        with self.lock:
            raw = self.guest(host)
            raw.finished = datetime.now(UTC)
            status = self._handle(raw, kind, step, res)
        if status and self.progress is not None:
            self.progress(host, step, status)
        return False  # nothing of it needs to go to disk

    def _handle(self, raw: RawGuest, kind: str, step: str, res: dict[str, Any]) -> str | None:
        if kind == "runner_on_unreachable":
            raw.unreachable = True
            raw.errors.append(f"unreachable: {_message(res)}")
            return "unreachable"
        if kind == "runner_on_failed" and "results" in res:
            return None  # a loop's summary ("One or more items failed"): each failed item was recorded already
        if kind in {"runner_on_failed", "runner_item_on_failed"}:
            raw.errors.append(f"{step}: {_message(res)}")
            return "failed"
        if kind == "runner_on_skipped":
            return "skipped"
        if kind == "runner_item_on_ok":
            if step in {"sample", "windows sockets"}:
                raw.samples.append(RawSample(received=datetime.now(UTC), text=str(res.get("stdout") or "")))
                return "sample"
            return None
        if kind != "runner_on_ok" or "results" in res:
            return None  # a loop's summary: its items were handled one by one
        if step == "connection":
            msg = res.get("msg") or {}
            if isinstance(msg, dict):
                reached = msg.get("reached")
                raw.reached_address = str(reached) if reached else None
                extra = msg.get("extra") or []
                raw.extra_addresses = [str(item) for item in extra] if isinstance(extra, list) else [str(extra)]
                raw.planner_vm = str(msg.get("vm") or "") or None
        elif step in SECTION_TASKS:
            raw.sections[step] = str(res.get("stdout") or "")
        elif step in WINDOWS_TASKS:
            raw.windows[WINDOWS_TASKS[step]] = str(res.get("stdout") or "")
        return "ok"


def _message(res: dict[str, Any]) -> str:
    text = res.get("msg") or res.get("stderr") or res.get("module_stderr") or "failed"
    text = " ".join(str(text).split())
    return text[:MAX_ERROR]


def run_discovery(options: DiscoveryOptions, progress: ProgressCallback | None = None) -> DiscoveryRun:
    """Run discovery on the inventory's hosts; one ``GuestDiscovery`` per host that took part."""
    import ansible_runner

    if shutil.which("ansible-playbook") is None:
        raise ExecutionError("ansible-playbook is not on PATH.",
                             hint="planner depends on ansible-core; reinstall planner into this environment.")
    inventory = options.inventory
    if not Path(inventory).exists() and "," not in inventory:
        raise InputError(f"inventory {inventory} does not exist.",
                         hint="Give an Ansible inventory file or directory (`planner discover inventory` writes one).")
    if Path(inventory).exists():
        inventory = str(Path(inventory).resolve())
    work = Path(tempfile.mkdtemp(prefix="planner-discover-"))
    collector = _Collector(progress)
    extravars = {"planner_samples": options.samples, "planner_interval": options.interval,
                 "planner_task_timeout": options.task_timeout, "planner_become": options.become}
    envvars = {
        "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_GATHERING": "explicit", "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
        "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "0",
    }
    started = time.monotonic()
    try:
        result = ansible_runner.run(
            private_data_dir=str(work), project_dir=str(PLAYBOOK_DIR), playbook=str(PLAYBOOK), inventory=inventory,
            limit=options.limit, forks=options.forks, extravars=extravars, envvars=envvars,
            event_handler=collector, quiet=True, suppress_env_files=True,
        )
        seconds = time.monotonic() - started
        log_tail = _tail(result)
        if not collector.guests:
            raise ExecutionError(f"ansible-playbook ran no host (status {result.status}, rc {result.rc}): {log_tail}",
                                 hint="Check the inventory and --limit.")
        raws = [collector.guests[host] for host in sorted(collector.guests)]
        guests = [merge(raw) for raw in raws]
        per_host = {guest.host: guest.duration_seconds or 0.0 for guest in guests}
        return DiscoveryRun(guests, raws, int(result.rc or 0), str(result.status), seconds, log_tail, per_host)
    finally:
        if options.keep_artifacts is not None:
            shutil.copytree(work, options.keep_artifacts, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def _tail(result: Any, lines: int = 15) -> str:
    try:
        text = result.stdout.read()
    except Exception:  # the runner's output file may be gone already
        return ""
    return "\n".join(str(text).strip().splitlines()[-lines:])
