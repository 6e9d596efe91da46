"""The per-VM table's data, embedded once in the page as compact JSON (docs/report.md, "Table data").

Each VM is one array (``ROW_FIELDS``); text repeated across VMs (fit, strategy, cluster, folder, rule titles,
remediation...) is stored once in ``texts`` and referenced by index, which keeps a 50,000-VM page small. All
text is made visible-safe here (``planner.report.safety.text``) and reaches the page only as ``textContent``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.report.safety import long_text, relative_href, text

ROW_FIELDS = ("display", "key", "name", "cluster", "folder", "power", "os", "fit", "score", "strategy", "wave",
              "group", "cpu", "memory_mib", "disk_gib", "sizing", "stacks", "findings", "artifacts", "annotation",
              "tags", "worst", "effort")
"""Positions in a row; the script (templates/report/report.js) reads the same order from the data's ``fields``."""
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "blocker": 4}


class Texts:
    """A string table: each distinct text once, referenced by its index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.values: list[str] = []
        self._seen: dict[tuple[Any, bool], int] = {}

    def ref(self, value: Any, *, lines: bool = False) -> int:
        """The index of ``value`` shown as ``text`` (``long_text`` with ``lines``)."""
        key = (value, lines)
        found = self._seen.get(key)
        if found is None:
            shown = long_text(value) if lines else text(value)
            found = self.index.get(shown)
            if found is None:
                found = self.index[shown] = len(self.values)
                self.values.append(shown)
            self._seen[key] = found
        return found


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _sizing(sizing: Mapping[str, Any] | None, texts: Texts) -> list[Any] | None:
    if not sizing:
        return None
    requests, limits = sizing.get("requests") or {}, sizing.get("limits") or {}
    reclaimable, basis = sizing.get("reclaimable") or {}, sizing.get("basis") or {}
    return [_number(requests.get("cpu_cores")), _number(requests.get("memory_mib")),
            _number(limits.get("cpu_cores")), _number(limits.get("memory_mib")),
            _number(reclaimable.get("vcpu")), _number(reclaimable.get("memory_gib")),
            texts.ref(basis.get("cpu")), texts.ref(basis.get("memory"))]


def _findings(findings: list[Mapping[str, Any]], texts: Texts) -> list[list[Any]]:
    ordered = sorted(findings, key=lambda f: (-SEVERITY_RANK.get(str(f.get("severity")), -1), str(f.get("rule"))))
    return [[texts.ref(f.get("rule")), texts.ref(f.get("criterion")), texts.ref(f.get("severity")),
             texts.ref(f.get("title")), long_text(f.get("evidence")), texts.ref(f.get("remediation"), lines=True)]
            for f in ordered]


def _tags(tags: Any) -> list[str]:
    if isinstance(tags, Mapping):
        return [text(f"{key}: {value}") for key, value in sorted(tags.items(), key=lambda item: str(item[0]))]
    return [text(tag) for tag in tags] if isinstance(tags, list) else []


def _worst(findings: list[Mapping[str, Any]]) -> int:
    return max((SEVERITY_RANK.get(str(f.get("severity")), -1) for f in findings), default=-1)


def row(vm: Mapping[str, Any], texts: Texts) -> list[Any]:
    """One VM as the table's row array (``ROW_FIELDS`` order)."""
    findings = list(vm.get("findings") or [])
    stacks = [[texts.ref(s.get("stack")), text(s.get("image")), texts.ref(s.get("confidence"))]
              for s in vm.get("stacks") or []]
    artifacts = [[text(path), relative_href(path)] for path in vm.get("artifacts") or []]
    name = vm.get("name")
    return [text(vm.get("display") or name or vm.get("key")), text(vm.get("key")),
            text(name) if name != vm.get("display") else None,
            texts.ref(vm.get("cluster")), texts.ref(vm.get("folder")), texts.ref(vm.get("power_state")),
            texts.ref(vm.get("guest_os")), texts.ref(vm.get("fit") or "unknown"), _number(vm.get("score")),
            texts.ref(vm.get("strategy")), _number(vm.get("wave")), texts.ref(vm.get("move_group")),
            _number(vm.get("num_cpu")), _number(vm.get("memory_mib")), _number(vm.get("disk_gib")),
            _sizing(vm.get("sizing"), texts), stacks, _findings(findings, texts), artifacts,
            long_text(vm.get("annotation")) or None, _tags(vm.get("tags")), _worst(findings),
            _number(vm.get("effort_person_days"))]


def table_data(vms: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Everything the page's script needs to list, sort, filter and expand the VMs."""
    texts = Texts()
    texts.ref("")  # index 0 is the empty text (a missing cluster, folder, group...)
    rows = [row(vm, texts) for vm in vms]
    return {"fields": list(ROW_FIELDS), "severities": list(SEVERITY_RANK), "texts": texts.values, "vms": rows}
