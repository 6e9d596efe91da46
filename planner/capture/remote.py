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

from planner.capture.select import EXCLUDES, Selection, Skipped
from planner.discovery.runner import resolve_inventory
from planner.errors import ExecutionError

LIBRARY = Path(__file__).resolve().parent / "library"
TASK_PREFIX = "Planner: "
MAX_ERROR = 300

PLAYBOOK = [{
    "name": "Planner capture (reads only; one temp file per guest, removed at the end)",
    "hosts": "all",
    "gather_facts": False,
    "become": "{{ planner_become | bool }}",
    "vars_files": ["capture_vars.yml"],
    "tasks": [
        {"name": "Planner: skip hosts with nothing to capture", "ansible.builtin.meta": "end_host",
         "when": "inventory_hostname not in planner_capture"},
        {"name": "Planner: archive", "planner_capture_archive": {"spec": "{{ planner_capture[inventory_hostname] }}"},
         "register": "planner_archive"},
        {"name": "Planner: transfer", "block": [
            {"name": "Planner: fetch", "ansible.builtin.fetch": {
                "src": "{{ planner_archive.tmp }}", "dest": "{{ planner_dest[inventory_hostname] }}", "flat": True}},
        ], "always": [
            {"name": "Planner: clean up", "ansible.builtin.file": {"path": "{{ planner_archive.tmp }}",
                                                                    "state": "absent"},
             "when": "(planner_archive.tmp | default('', true) | string | length) > 0"},
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
    """What one guest sent: the archive on this machine (or None) and what the guest skipped or why it failed."""

    host: str
    archive: Path | None = None
    size: int = 0
    files: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    error: str | None = None


class _Events:
    """Collects per-host results from runner events (runner calls this from its own thread)."""

    def __init__(self, progress: Callable[[str, str, str], None] | None) -> None:
        self.hosts: dict[str, HostCapture] = {}
        self.progress = progress
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> bool:
        kind = str(event.get("event", ""))
        data = event.get("event_data") or {}
        host, task = data.get("host"), str(data.get("task") or "").removeprefix(TASK_PREFIX)
        if not host or kind not in {"runner_on_ok", "runner_on_failed", "runner_on_unreachable"}:
            return False
        res = data.get("res") or {}
        with self.lock:
            item = self.hosts.setdefault(host, HostCapture(host))
            if kind == "runner_on_unreachable":
                item.error = f"unreachable: {_message(res)}"
            elif kind == "runner_on_failed" and item.error is None:
                item.error = f"{task}: {_message(res)}"
            if task == "archive" and isinstance(res, dict):
                item.size, item.files = int(res.get("size") or 0), int(res.get("files") or 0)
                item.skipped = [Skipped(str(path), str(reason)) for path, reason in res.get("left_out") or []]
        if self.progress is not None:
            self.progress(host, task, "failed" if kind != "runner_on_ok" else "ok")
        return False


def _message(res: dict[str, Any]) -> str:
    text = res.get("msg") or res.get("stderr") or res.get("module_stderr") or "failed"
    return " ".join(str(text).split())[:MAX_ERROR]


def fetch_archives(selections: dict[str, Selection], inventory: str | dict[str, Any], workdir: Path, *,
                   cap_bytes: int, become: bool = False, forks: int = 10, timeout: int = 600,
                   progress: Callable[[str, str, str], None] | None = None) -> dict[str, HostCapture]:
    """Archive each host's selection on the guest and fetch it to ``workdir``; one ``HostCapture`` per host.

    An unreachable or failing host is recorded and the others go on; raises ``ExecutionError`` only when
    Ansible itself cannot run."""
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
    dests = {host: str((workdir / f"host-{index}.tar").resolve()) for index, host in enumerate(sorted(selections))}
    excludes = [[pattern, reason] for pattern, reason in EXCLUDES]
    variables = {
        "planner_capture": {host: {"paths": sel.paths, "data_paths": sel.data_paths, "cap": cap_bytes,
                                   "excludes": excludes + [[p, "excluded by option"] for p in sel.excludes]}
                            for host, sel in selections.items()},
        "planner_dest": dests,
        "planner_become": become,
    }
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
    for host in selections:
        item = events.hosts.get(host) or HostCapture(host, error="not in the inventory (or never reached)")
        archive = Path(dests[host])
        if item.error is None and archive.is_file():
            item.archive = archive
        elif item.error is None:
            item.error = "the guest's archive did not arrive"
        results[host] = item
    return results
