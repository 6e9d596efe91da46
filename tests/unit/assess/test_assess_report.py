"""Outputs: the JSON contract, CSV, markdown escaping, the grouped table, sizing."""

from __future__ import annotations

import csv
import io
import json

from planner.assess import FORMAT_VERSION, assess_estate, render
from planner.assess.report import csv_cell, md_cell, table_view
from planner.models import Estate
from tests.unit.assess.conftest import make_estate, make_facts, make_vm

HOSTILE = "evil | <script>alert(1)</script>\n# [link](javascript:x) *bold* =cmd()"


def _estate() -> Estate:
    return make_estate([
        make_vm(),
        make_vm(name="db01", devices={"pci": [{"label": "PCI 0", "kind": "passthrough"}]}),
        make_vm(name=HOSTILE, annotation="PCI scope | x\n<b>y</b>"),
        make_vm(name="tpl", template=True, power_state="poweredOff"),
        make_vm(name="off", power_state="poweredOff"),
    ])


def test_json_is_a_list_with_the_contract() -> None:
    data = json.loads(render(assess_estate(_estate()), "json"))
    assert isinstance(data, list) and len(data) == 5
    assert [item["vm"] for item in data] == ["app01", "db01", HOSTILE, "tpl", "off"], "exact names, estate order"
    for item in data:
        assert item["format_version"] == FORMAT_VERSION
        assert {"vm", "fit", "score", "strategy", "sizing", "findings"} <= set(item)
        assert set(item["sizing"]) == {"requests", "limits", "allocated", "reclaimable", "basis"}
        assert set(item["sizing"]["requests"]) == {"cpu_cores", "memory_mib"}
        for finding in item["findings"]:
            assert {"rule", "criterion", "severity", "message", "evidence", "remediation"} <= set(finding)
    by_name = {item["vm"]: item for item in data}
    assert by_name["db01"]["strategy"] == "keep-vm" and by_name["db01"]["fit"] == "none"
    assert by_name["tpl"]["strategy"] == "exclude"
    assert by_name["off"]["strategy"] == "retire"


def test_empty_estate_json() -> None:
    assert json.loads(render(assess_estate(make_estate([])), "json")) == []


def test_csv_rows_and_formula_injection() -> None:
    text = render(assess_estate(_estate()), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5
    assert rows[1]["rules"] == "POR005" and rows[1]["blocker"] == "1"
    assert rows[2]["vm"] == HOSTILE  # starts with 'e': kept verbatim; newlines survive CSV quoting
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_cell("-1") == "'-1" and csv_cell(-1) == -1


def test_markdown_escapes_untrusted_text() -> None:
    text = render(assess_estate(_estate()), "markdown")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "evil \\| " in text
    assert "\\[link\\]\\(javascript:x\\)" in text
    row = next(line for line in text.splitlines() if line.startswith("| evil"))
    assert row.count(" | ") == 5 and "\n" not in row
    assert md_cell("a\r\nb\x00c") == "a b c"


def test_table_groups_by_fit_with_counts() -> None:
    assessment = assess_estate(_estate())
    groups = table_view(assessment)
    assert sum(g.count for g in groups) == 5
    assert [g.fit.value for g in groups] == sorted([g.fit.value for g in groups], key=[
        "excellent", "good", "moderate", "poor", "none", "unknown"].index)
    text = render(assessment, "table")
    for group in groups:
        assert f"{group.fit.value} ({group.count})" in text
    assert "[link]" in text, "rich markup in VM names is printed literally, not interpreted"
    assert "reclaimable if the" in text


def test_sizing_from_quickstats() -> None:
    result = assess_estate(make_estate([make_vm()])).vms[0]
    s = result.sizing
    # 4000 MHz on 2400 MHz cores = 1.667 cores; +30% = 2.1667 -> 2.2 (0.05 steps)
    assert (s.cpu_request_cores, s.cpu_limit_cores) == (2.2, 4.0)
    # 4096 MiB active + 25% = 5120 MiB; limit x1.5 capped at 8192
    assert (s.memory_request_mib, s.memory_limit_mib) == (5120, 7680)
    assert (s.reclaimable_vcpu, s.reclaimable_memory_gib) == (1.8, 3.0)
    assert (s.cpu_basis, s.memory_basis) == ("quickstats", "quickstats")


def test_sizing_prefers_discovery_and_falls_back_to_allocation() -> None:
    facts = {"app01": make_facts({"memory_used_mib": 1000, "cpu_used_cores": 0.5})}
    s = assess_estate(make_estate([make_vm()]), facts=facts).vms[0].sizing
    assert (s.cpu_request_cores, s.memory_request_mib, s.cpu_basis, s.memory_basis) == (0.65, 1264, "discovery",
                                                                                         "discovery")
    off = assess_estate(make_estate([make_vm(power_state="poweredOff")])).vms[0].sizing
    assert (off.cpu_request_cores, off.memory_request_mib, off.reclaimable_vcpu) == (4.0, 8192, 0.0)
    assert off.cpu_basis == off.memory_basis == "allocation"


def test_sizing_respects_minimums_and_totals() -> None:
    vm = make_vm(usage={"cpu_mhz": 1, "guest_memory_mib": 1})
    assessment = assess_estate(make_estate([vm, make_vm(name="b")]))
    s = assessment.vms[0].sizing
    assert (s.cpu_request_cores, s.memory_request_mib) == (0.1, 128)
    totals = assessment.reclaimable()
    moving = [a for a in assessment.vms if a.strategy.value in ("containerize", "refactor")]
    assert totals["vms"] == len(moving)
    assert totals["vcpu"] == round(sum(a.sizing.reclaimable_vcpu for a in moving), 2)
