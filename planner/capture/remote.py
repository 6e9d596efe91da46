"""Fetch capture archives from guests through ansible-runner, with discovery's connection settings.

One generated play over the inventory: per host a guest-side module (``library/planner_capture_archive.py``)
archives the selected paths into one temp file outside the application's folders, ``ansible.builtin.fetch``
brings it here, and the temp file is removed whatever happens. Untrusted paths travel in a vars file as
``!unsafe`` strings (Ansible never templates them) and reach the guest as JSON, never through a shell.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planner.capture.select import EXCLUDES, SKIP_PREFIXES, Selection, Skipped
from planner.discovery.runner import resolve_inventory
from planner.errors import ExecutionError

LIBRARY = Path(__file__).resolve().parent / "library"
TASK_PREFIX = "Planner: "
MAX_ERROR = 300

_HAS_TMP = "(item.tmp | default('', true) | string | length) > 0"
PLAYBOOK = [{
    "name": "Planner capture (reads only; one temp file per image, removed at the end)",
    "hosts": "all",
    "gather_facts": False,
    "become": "{{ planner_become | bool }}",
    "vars_files": ["capture_vars.yml"],
    "tasks": [
        {"name": "Planner: skip hosts with nothing to capture", "ansible.builtin.meta": "end_host",
         "when": "inventory_hostname not in planner_capture"},
        {"name": "Planner: transfer", "block": [
            {"name": "Planner: archive", "planner_capture_archive": {"spec": "{{ item.spec }}"},
             "loop": "{{ planner_capture[inventory_hostname] }}", "loop_control": {"label": "{{ item.key }}"},
             "register": "planner_archive", "ignore_errors": True},
            {"name": "Planner: fetch", "ansible.builtin.fetch": {
                "src": "{{ item.tmp }}", "dest": "{{ item.item.dest }}", "flat": True},
             "loop": "{{ planner_archive.results }}", "loop_control": {"label": "{{ item.item.key }}"},
             "when": _HAS_TMP},
        ], "always": [
            {"name": "Planner: clean up", "ansible.builtin.file": {"path": "{{ item.tmp }}", "state": "absent"},
             "loop": "{{ planner_archive.results | default([]) }}", "loop_control": {"label": "{{ item.item.key }}"},
             "when": _HAS_TMP},
        ]},
    ],
}]


class Unsafe(str):
    """A string Ansible must not template (dumped with the ``!unsafe`` tag)."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Unsafe, lambda dumper, value: dumper.represent_scalar("!unsafe", str(value)))


def _unsafe(value: Any) -> Any:
    if isinstance(value, str):
        return Unsafe(value)
    if isinstance(value, dict):
        return {key: _unsafe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_unsafe(item) for item in value]
    return value


@dataclass
class HostCapture:
    """What one image's archive brought: the file here (or None), and what the guest skipped or why it failed."""

    host: str
    archive: Path | None = None
    size: int = 0
    files: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    error: str | None = None


def _key(res: dict[str, Any]) -> str | None:
    item = res.get("item")
    if isinstance(item, dict) and isinstance(item.get("item"), dict):
        item = item["item"]
    return str(item["key"]) if isinstance(item, dict) and "key" in item else None


class _Events:
    """Collects per-image results from runner events (runner calls this from its own thread)."""

    def __init__(self, progress: Callable[[str, str, str], None] | None) -> None:
        self.jobs: dict[str, HostCapture] = {}
        self.hosts: dict[str, str] = {}
        self.progress = progress
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> bool:
        kind = str(event.get("event", ""))
        data = event.get("event_data") or {}
        host, task = data.get("host"), str(data.get("task") or "").removeprefix(TASK_PREFIX)
        res = data.get("res") or {}
        if not host or not isinstance(res, dict):
            return False
        with self.lock:
            if kind == "runner_on_unreachable":
                self.hosts[host] = f"unreachable: {_message(res)}"
            elif kind == "runner_on_failed" and not res.get("results") and host not in self.hosts:
                self.hosts[host] = f"{task}: {_message(res)}"
            elif kind in {"runner_item_on_ok", "runner_item_on_failed"} and (key := _key(res)) is not None:
                job = self.jobs.setdefault(key, HostCapture(host))
                if kind == "runner_item_on_failed" and job.error is None:
                    job.error = f"{task}: {_message(res)}"
                if task == "archive":
                    job.size, job.files = int(res.get("size") or 0), int(res.get("files") or 0)
                    job.skipped = [Skipped(str(path), str(why)) for path, why in res.get("left_out") or []]
            else:
                return False
        if self.progress is not None:
            self.progress(host, task, "ok" if kind.endswith("_ok") else "failed")
        return False


def _message(res: dict[str, Any]) -> str:
    text = res.get("msg") or res.get("stderr") or res.get("module_stderr") or "failed"
    return " ".join(str(text).split())[:MAX_ERROR]


def fetch_archives(jobs: dict[str, tuple[str, Selection]], inventory: str | dict[str, Any], workdir: Path, *,
                   cap_bytes: int, become: bool = False, forks: int = 10, timeout: int = 600,
                   progress: Callable[[str, str, str], None] | None = None) -> dict[str, HostCapture]:
    """Archive each job's selection (``key -> (host, selection)``, one per image) on its guest and fetch it to
    ``workdir``; one ``HostCapture`` per key. An unreachable or failing host fails its jobs and the others go
    on; raises ``ExecutionError`` only when Ansible itself cannot run."""
    import ansible_runner

    if shutil.which("ansible-playbook") is None:
        raise ExecutionError("ansible-playbook is not on PATH.",
                             hint="planner depends on ansible-core; reinstall planner into this environment.")
    if isinstance(inventory, str):
        inventory = resolve_inventory(inventory)
    private = Path(tempfile.mkdtemp(prefix="planner-capture-"))
    project = private / "project"
    project.mkdir()
    workdir.mkdir(parents=True, exist_ok=True)
    dests = {key: str((workdir / f"image-{index}.tar").resolve()) for index, key in enumerate(sorted(jobs))}
    excludes = [[pattern, reason] for pattern, reason in EXCLUDES]
    per_host: dict[str, list[dict[str, Any]]] = {}
    for key, (host, sel) in sorted(jobs.items()):
        per_host.setdefault(host, []).append({"key": key, "dest": dests[key], "spec": {
            "paths": sel.paths, "data_paths": sel.data_paths, "cap": cap_bytes,
            "never": [prefix for prefix, _why in SKIP_PREFIXES],
            "excludes": excludes + [[p, "excluded by option"] for p in sel.excludes]}})
    variables = {"planner_capture": per_host, "planner_become": become}
    (project / "capture_vars.yml").write_text(yaml.dump(_unsafe(variables), Dumper=_Dumper, sort_keys=True))
    (project / "capture.yml").write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    events = _Events(progress)
    envvars = {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_DEPRECATION_WARNINGS": "0",
               "ANSIBLE_GATHERING": "explicit", "ANSIBLE_LOCAL_TEMP": str(private / "tmp"),
               "ANSIBLE_LIBRARY": str(LIBRARY), "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "0"}
    try:
        ansible_runner.run(private_data_dir=str(private), project_dir=str(project), playbook="capture.yml",
                           inventory=inventory, forks=forks, envvars=envvars, event_handler=events, quiet=True,
                           suppress_env_files=True, timeout=timeout)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    results = {}
    for key, (host, _sel) in jobs.items():
        job = events.jobs.get(key) or HostCapture(host)
        job.error = job.error or events.hosts.get(host)
        archive = Path(dests[key])
        if job.error is None and archive.is_file():
            job.archive = archive
        elif job.error is None:
            job.error = "the guest's archive did not arrive (is the host in the inventory?)"
        results[key] = job
    return results
