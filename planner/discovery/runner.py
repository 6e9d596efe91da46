"""Run the bundled discovery playbook through ansible-runner and collect each host's raw output.

Ansible comes with planner (ansible-core and ansible-runner). The playbook uses only ``ansible.builtin`` modules,
Windows included, so no collection is needed and nothing is fetched from Galaxy at run time. Connection settings
come from the user's inventory. Results are read from runner events (never templated back into Ansible), hosts are
reported as they progress, and an unreachable or failing host is recorded while the others go on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner.discovery.merge import merge
from planner.discovery.raw import RawGuest, RawSample
from planner.errors import ExecutionError, InputError, NotFoundError
from planner.models.discovery import GuestDiscovery

PLAYBOOK_DIR = Path(__file__).resolve().parent / "playbooks"
PLAYBOOK = PLAYBOOK_DIR / "discover.yml"
TASK_PREFIX = "Planner: "
SECTION_TASKS = {"identity", "packages", "units", "crontabs", "datadirs", "services", "appfacts"}
WINDOWS_TASKS = {"windows identity": "identity", "windows services": "services", "windows iis sites": "iis"}
LINUX_TASK_COUNT = 8  # connection + identity, packages, units, crontabs, datadirs, services, appfacts; + samples
MAX_ERROR = 300
INVENTORY_TIMEOUT = 300  # seconds for `ansible-inventory --list` (dynamic inventories may query a server)

ProgressCallback = Callable[[str, str, str], None]
"""``progress(host, step, status)``; status is ok | failed | skipped | unreachable | sample."""


@dataclass
class DiscoveryOptions:
    inventory: str | dict[str, Any]
    """``-i`` as the user gave it, or what ``resolve_inventory`` made of it."""
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
    if isinstance(inventory, str):
        inventory = resolve_inventory(inventory)
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


def resolve_inventory(text: str) -> str | dict[str, Any]:
    """What ansible-runner gets for ``-i TEXT``: an existing file or directory (absolute path), or the inventory
    of a comma-separated host list (``host1,host2,``, ``host:port``) as Ansible itself reads it.

    Raises ``NotFoundError`` for a path that does not exist, ``InputError`` when Ansible cannot read it as an
    inventory or it lists no host.
    """
    path = Path(text).expanduser()
    if path.exists():
        _ansible_inventory(str(path.resolve()), text)
        return str(path.resolve())
    if "," not in text:
        raise NotFoundError(f"inventory {text} does not exist.",
                            hint="Give an Ansible inventory file or directory (`planner discover inventory` writes "
                                 "one), or a comma-separated host list such as `host1,host2,`.")
    listed = _ansible_inventory(text, text)
    hostvars = listed.get("_meta", {}).get("hostvars", {})
    hosts = {str(host): dict(hostvars.get(host) or {}) for host in listed.get("ungrouped", {}).get("hosts", [])}
    return {"all": {"hosts": hosts}}


def _ansible_inventory(source: str, shown: str) -> dict[str, Any]:
    """``ansible-inventory --list`` of the source: Ansible's own reading of it, or a one-sentence InputError."""
    binary = shutil.which("ansible-inventory")
    if binary is None:
        raise ExecutionError("ansible-inventory is not on PATH.",
                             hint="planner depends on ansible-core; reinstall planner into this environment.")
    env = {**os.environ, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1", "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_DEPRECATION_WARNINGS": "0"}
    try:
        proc = subprocess.run([binary, "-i", source, "--list"], capture_output=True, text=True, env=env,
                              check=False, timeout=INVENTORY_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ExecutionError(f"ansible-inventory did not read {shown} within {INVENTORY_TIMEOUT} s.",
                             hint="Check the inventory's plugins or scripts (they may wait for a server).") from None
    listed: dict[str, Any] = {}
    if proc.returncode == 0:
        try:
            listed = json.loads(proc.stdout)
        except ValueError:
            listed = {}
    if proc.returncode != 0 or not listed:
        reasons = [line.split("Failed to parse inventory:", 1)[1].strip() for line in proc.stderr.splitlines()
                   if line.startswith("Failed to parse inventory:")]
        reason = f" ({reasons[0]})" if reasons else ""
        raise InputError(f"{shown} is not an Ansible inventory{reason}.",
                         hint="Give an INI or YAML inventory file, a directory of them, or a comma-separated host "
                              "list such as `host1,host2,` (`planner discover inventory` writes a YAML one).")
    if not listed.get("_meta", {}).get("hostvars") and not _any_host(listed):
        raise InputError(f"inventory {shown} lists no host.",
                         hint="Add hosts to it (`planner discover inventory` writes one from a snapshot).")
    return listed


def _any_host(listed: dict[str, Any]) -> bool:
    return any(isinstance(group, dict) and group.get("hosts") for name, group in listed.items() if name != "_meta")


def _tail(result: Any, lines: int = 15) -> str:
    try:
        text = result.stdout.read()
    except Exception:  # the runner's output file may be gone already
        return ""
    return "\n".join(str(text).strip().splitlines()[-lines:])
