"""Output of an assessment: the JSON contract, CSV, markdown, and the grouped table (view data + rendering).

Every VM name, annotation or other guest-supplied string is untrusted: markdown cells are escaped by
``md_cell`` (pipes, newlines, HTML, markdown punctuation), CSV cells by ``csv_cell`` (formula injection),
and the table is plain text (no markup is ever interpreted) of ``plain_cell`` text (no control characters).
"""

from __future__ import annotations

import html
import io
import json
import re
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rich.cells import cell_len

from planner.assess.base import Severity
from planner.assess.engine import FORMAT_VERSION, Assessment, VmAssessment
from planner.assess.fit import Fit, Strategy
from planner.spreadsheet import CsvWriter, csv_cell
from planner.text import UNPRINTABLE, escape_invisible, printable


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


FIT_ORDER = (Fit.EXCELLENT, Fit.GOOD, Fit.MODERATE, Fit.POOR, Fit.NONE, Fit.UNKNOWN)
_SEVERITY_DESC = sorted(Severity, key=lambda s: -s.rank)


DOCUMENT_VERSION = 2
"""Version of the `planner assess --format json` document (1 was a bare list of the VM objects)."""


def json_summary(assessment: Assessment) -> dict[str, Any]:
    """The totals a reader of the JSON document needs without walking every VM."""
    workloads = [a for a in assessment.vms if not a.template]
    return {
        "vms": len(workloads), "template_count": len(assessment.vms) - len(workloads),
        "by_fit": {fit.value: count for fit, count in assessment.by_fit().items()},
        "by_strategy": {strategy.value: count for strategy, count in assessment.by_strategy().items()},
        "reclaimable": assessment.reclaimable(),
        "vsphere_only": assessment.vsphere_only(),
        "rules": len(assessment.rules),
    }


def to_json(assessment: Assessment) -> str:
    """The documented contract: ``{"format_version": 2, "summary": {...}, "vms": [...]}``, one VM object per line
    (each carries its own ``format_version``).

    One VM per line: readable, diff-friendly, and fast (the C encoder; ``indent`` would force the slow one).
    """
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    head = f'{{"format_version": {DOCUMENT_VERSION}, "summary": {encode(json_summary(assessment))}, "vms": ['
    if not assessment.vms:
        return escape_invisible(head + "]}\n")
    return escape_invisible(head + "\n" + ",\n".join(encode(a.as_dict()) for a in assessment.vms) + "\n]}\n")


def severity_counts(result: VmAssessment) -> dict[str, int]:
    counts = dict.fromkeys((s.value for s in Severity), 0)
    for finding in result.findings:
        counts[finding.severity.value] += 1
    return counts


def rule_summary(result: VmAssessment, min_severity: Severity = Severity.LOW) -> str:
    """'POR005 blocker, ISO001 high' for findings at or above ``min_severity``, worst first."""
    chosen = sorted((f for f in result.findings if f.severity.rank >= min_severity.rank),
                    key=lambda f: (-f.severity.rank, f.rule))
    return ", ".join(dict.fromkeys(f"{f.rule} {f.severity.value}" for f in chosen))


CSV_COLUMNS = ("vm", "source", "cluster", "power_state", "os_family", "template", "fit", "score", "strategy",
               "cpu_request_cores", "cpu_limit_cores", "memory_request_mib", "memory_limit_mib",
               "reclaimable_vcpu", "reclaimable_memory_gib", "blocker", "high", "medium", "low", "info", "rules")


def csv_rows(assessment: Assessment) -> Iterator[list[Any]]:
    """The values of each VM's row under ``CSV_COLUMNS`` (the CSV and the plan's xlsx sheet)."""
    for result in assessment.vms:
        sizing = result.sizing
        counts = severity_counts(result)
        yield [result.vm, result.source, result.cluster, result.power_state, result.os_family.value,
               result.template, result.fit.value, result.score, result.strategy.value,
               sizing.cpu_request_cores, sizing.cpu_limit_cores, sizing.memory_request_mib, sizing.memory_limit_mib,
               sizing.reclaimable_vcpu, sizing.reclaimable_memory_gib,
               *(counts[s] for s in ("blocker", "high", "medium", "low", "info")),
               ";".join(dict.fromkeys(f.rule for f in result.findings))]


def to_csv(assessment: Assessment) -> str:
    """One row per VM; ``rules`` lists the rule ids that fired, separated by ';'."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(assessment):
        writer.writerow(row)
    return buffer.getvalue()


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def plain_cell(text: Any) -> str:
    """Untrusted text made safe for a terminal table: control characters, escape sequences, line breaks and
    bidi overrides are shown as ``\\xNN``/``\\uNNNN`` escapes instead of acting on the terminal or the layout."""
    return printable(text)


def md_cell(text: Any) -> str:
    """Untrusted text made safe inside a markdown table cell: one line, no HTML, no markup, no pipes."""
    value = "" if text is None else str(text)
    value = UNPRINTABLE.sub(" ", value)  # controls, line breaks, bidi and zero-width marks: planner.text's set
    value = html.escape(value, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", value)


@dataclass(frozen=True, slots=True)
class TableRow:
    vm: str
    score: int
    strategy: str
    findings: str
    cpu_request: float
    memory_request_mib: int


@dataclass(frozen=True, slots=True)
class FitGroup:
    fit: Fit | None
    """None for the group of excluded VMs (templates): not workloads, so not counted under any fit."""
    count: int
    rows: list[TableRow]

    @property
    def title(self) -> str:
        return f"{self.fit.value if self.fit else 'excluded (templates)'} ({self.count})"


def _rows(members: list[VmAssessment]) -> list[TableRow]:
    return [TableRow(r.vm, r.score, r.strategy.value, rule_summary(r), r.sizing.cpu_request_cores,
                     r.sizing.memory_request_mib) for r in sorted(members, key=lambda r: (-r.score, r.vm))]


def table_view(assessment: Assessment) -> list[FitGroup]:
    """Workloads grouped by fit (best first) with counts, rows by score then name; excluded VMs last."""
    groups: dict[Fit, list[VmAssessment]] = {fit: [] for fit in FIT_ORDER}
    excluded = []
    for result in assessment.vms:
        if result.strategy is Strategy.EXCLUDE:
            excluded.append(result)
        else:
            groups[result.fit].append(result)
    view = [FitGroup(fit, len(groups[fit]), _rows(groups[fit])) for fit in FIT_ORDER if groups[fit]]
    if excluded:
        view.append(FitGroup(None, len(excluded), _rows(excluded)))
    return view


def _summary_lines(assessment: Assessment) -> list[str]:
    reclaim = assessment.reclaimable()
    workloads = Counter(r.fit for r in assessment.vms if r.strategy is not Strategy.EXCLUDE)
    fits = ", ".join(f"{fit.value} {workloads[fit]}" for fit in FIT_ORDER if workloads[fit])
    strategies = ", ".join(f"{s.value} {count}" for s, count in assessment.by_strategy().items())
    excluded = len(assessment.vms) - sum(workloads.values())
    fits += f"; {excluded} excluded (templates)" if excluded else ""
    lines = [f"{len(assessment.vms)} VMs — fit: {fits or '-'}", f"strategy: {strategies or '-'}",
             f"reclaimable if the {reclaim['vms']} containerize/refactor VMs move: {reclaim['vcpu']:g} vCPU, "
             f"{reclaim['memory_gib']:g} GiB memory"]
    alone = assessment.vsphere_only()
    if alone:
        lines.append(f"{alone} of {sum(workloads.values())} workloads assessed from vSphere data alone (fit at most "
                     "good): run `planner discover run`")
    return lines


def to_markdown(assessment: Assessment) -> str:
    lines = ["# Containerization assessment", "", *(f"- {line}" for line in _summary_lines(assessment)), ""]
    for group in table_view(assessment):
        lines += [f"## {group.title}", "",
                  "| VM | score | strategy | findings (low and above) | CPU request | memory request MiB |",
                  "|---|---:|---|---|---:|---:|"]
        lines += [f"| {md_cell(r.vm)} | {r.score} | {r.strategy} | {md_cell(r.findings) or '-'} | "
                  f"{r.cpu_request:g} | {r.memory_request_mib} |" for r in group.rows]
        lines.append("")
    return "\n".join(lines)


_TABLE_COLUMNS = (("VM", "<"), ("score", ">"), ("strategy", "<"), ("findings", "<"), ("CPU req", ">"),
                  ("mem req MiB", ">"))


def _cells(text: str) -> int:
    """Terminal cells of a sanitised cell: its length when ASCII (nearly always, and far cheaper to know)."""
    return len(text) if text.isascii() else cell_len(text)


def _pad(text: str, width: int, align: str) -> str:
    gap = " " * max(0, width - _cells(text))
    return gap + text if align == ">" else text + gap


def _pack(items: list[str], width: int) -> list[str]:
    """``items`` joined with ", " into lines of at most ``width`` cells, never splitting an item."""
    lines: list[str] = []
    for item in items:
        if lines and _cells(lines[-1]) + 2 + _cells(item) <= width:
            lines[-1] += ", " + item
        else:
            if lines:
                lines[-1] += ","
            lines.append(item)
    return lines


def to_table(assessment: Assessment, width: int = 140) -> str:
    """Plain-text tables, one per fit group with its count, then the totals.

    Hand-aligned rather than drawn with rich: rich measures every cell several times, which took ~20 s for a
    50,000-VM estate (the issue's scale) where this takes well under a second. The findings column wraps at
    rule boundaries to keep lines within ``width`` when it can; VM names are never cut.
    """
    out: list[str] = []
    for group in table_view(assessment):
        rows = [(plain_cell(r.vm), str(r.score), r.strategy, r.findings or "-", f"{r.cpu_request:g}",
                 str(r.memory_request_mib)) for r in group.rows]
        widths = [max([_cells(header)] + [_cells(row[i]) for row in rows])
                  for i, (header, _) in enumerate(_TABLE_COLUMNS)]
        others = sum(w for i, w in enumerate(widths) if i != 3) + 2 * (len(widths) - 1)
        widths[3] = max(len("findings"), min(widths[3], width - others))
        out += [group.title,
                "  ".join(_pad(h, w, a) for (h, a), w in zip(_TABLE_COLUMNS, widths, strict=True)).rstrip(),
                "  ".join("-" * w for w in widths)]
        for row in rows:
            chunks = _pack(row[3].split(", "), widths[3] - 1)  # room for the comma that ends a wrapped line
            for number, chunk in enumerate(chunks):
                cells = [*row[:3], chunk, *row[4:]] if number == 0 else ["", "", "", chunk, "", ""]
                out.append("  ".join(_pad(c, w, a) for c, w, (_, a) in zip(cells, widths, _TABLE_COLUMNS,
                                                                             strict=True)).rstrip())
        out.append("")
    out += [wrapped for line in _summary_lines(assessment)
            for wrapped in textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False) or [""]]
    return "\n".join(out) + "\n"


_NATURAL = 10_000
"""No limit: a table piped without COLUMNS, or written to a file, is never squeezed."""


def render(assessment: Assessment, fmt: ReportFormat | str, width: int | None = None) -> str:
    """The assessment as text in one of the formats."""
    match ReportFormat(fmt):
        case ReportFormat.json:
            return to_json(assessment)
        case ReportFormat.csv:
            return to_csv(assessment)
        case ReportFormat.markdown:
            return to_markdown(assessment)
        case ReportFormat.table:
            return to_table(assessment, width or _NATURAL)


__all__ = ["DOCUMENT_VERSION", "FORMAT_VERSION", "FitGroup", "ReportFormat", "TableRow", "csv_cell", "json_summary",
           "md_cell", "plain_cell", "render", "table_view", "to_csv", "to_json", "to_markdown", "to_table"]
