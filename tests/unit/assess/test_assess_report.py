"""Outputs: the JSON contract, CSV, markdown escaping, the grouped table, sizing."""

from __future__ import annotations

import csv
import io
import json

from planner.assess import FORMAT_VERSION, assess_estate, render
from planner.assess.report import DOCUMENT_VERSION, csv_cell, md_cell, plain_cell, rule_summary, table_view, to_table
from planner.models import Estate
from tests.unit.assess.conftest import key_of, make_estate, make_facts, make_vm

HOSTILE = "evil | <script>alert(1)</script>\n# [link](javascript:x) *bold* =cmd()"


def _estate() -> Estate:
    return make_estate([
        make_vm(),
        make_vm(name="db01", devices={"pci": [{"label": "PCI 0", "kind": "passthrough"}]}),
        make_vm(name=HOSTILE, annotation="PCI scope | x\n<b>y</b>"),
        make_vm(name="tpl", template=True, power_state="poweredOff"),
        make_vm(name="off", power_state="poweredOff"),
    ])


def test_json_is_a_versioned_document_with_a_summary_and_the_vms() -> None:
    document = json.loads(render(assess_estate(_estate()), "json"))
    assert document["format_version"] == DOCUMENT_VERSION == 2
    summary = document["summary"]
    assert (summary["vms"], summary["template_count"]) == (4, 1)
    assert summary["by_strategy"]["keep-vm"] == 1 and summary["by_strategy"]["exclude"] == 1
    assert sum(summary["by_fit"].values()) == 5 and set(summary["reclaimable"]) == {"vms", "vcpu", "memory_gib"}
    data = document["vms"]
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
    document = json.loads(render(assess_estate(make_estate([])), "json"))
    assert document["vms"] == [] and document["summary"]["vms"] == 0


def test_csv_rows_and_formula_injection() -> None:
    text = render(assess_estate(_estate()), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5
    assert rows[1]["rules"] == "ARC007;POR005" and rows[1]["blocker"] == "1"
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
    fits = [g.fit.value for g in groups if g.fit is not None]
    assert fits == sorted(fits, key=["excellent", "good", "moderate", "poor", "none", "unknown"].index)
    text = render(assessment, "table")
    for group in groups:
        assert group.title in text
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
    facts = {key_of(make_vm()): make_facts({"memory_used_mib": 1000, "cpu_used_cores": 0.5})}
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


TERMINAL_HOSTILE = "ops\x1b]0;owned\x07\x1b[2J-box\nfake-vm  100 containerize\u202eevil[red]x[/red]"


def test_table_neutralises_terminal_escapes_and_line_breaks() -> None:
    text = render(assess_estate(make_estate([make_vm(name=TERMINAL_HOSTILE)])), "table")
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b]0;owned\\x07\\x1b[2J-box\\nfake-vm" in text, "shown as visible escapes, on one line"
    assert "[red]x[/red]" in text
    row = next(line for line in text.splitlines() if "ops" in line)
    assert "fake-vm" in row, "a newline in a VM name must not start a new (fake) row"
    assert plain_cell("plain name-01") == "plain name-01"


def test_markdown_and_csv_cover_c1_controls_separators_and_padded_formulas() -> None:
    assert md_cell("a\x85b\u2028c\u202ed") == "a b c d"
    assert csv_cell("  =HYPERLINK(1)") == "'  =HYPERLINK(1)"
    assert csv_cell("\n=1") == "'\n=1" and csv_cell("\uff1dSUM(A1)") == "'\uff1dSUM(A1)"
    assert csv_cell("web 01") == "web 01"


def test_all_zero_quickstats_of_a_running_vm_are_no_data_not_zero_use() -> None:
    # A running 64 GiB VM whose quickStats are all 0 (stats not collected) was sized at 0.1 core / 128 MiB.
    vm = make_vm(memory_mib=65536, num_cpu=8, usage={"cpu_mhz": 0, "guest_memory_mib": 0, "host_memory_mib": 0})
    result = assess_estate(make_estate([vm])).vms[0]
    s = result.sizing
    assert (s.cpu_request_cores, s.memory_request_mib) == (8.0, 65536)
    assert (s.cpu_basis, s.memory_basis) == ("allocation", "allocation")
    assert s.reclaimable_vcpu == 0 and s.reclaimable_memory_gib == 0
    rules = {f.rule for f in result.findings}
    assert "RES009" in rules and "RES007" not in rules and "RES008" not in rules


def test_sizing_memory_falls_back_to_consumed_when_active_is_zero() -> None:
    vm = make_vm(memory_mib=8192, usage={"cpu_mhz": 240, "guest_memory_mib": 0, "host_memory_mib": 4096})
    s = assess_estate(make_estate([vm])).vms[0].sizing
    assert (s.memory_request_mib, s.memory_basis) == (5120, "quickstats")
    assert s.cpu_basis == "quickstats" and s.cpu_request_cores == 0.15


def test_sizing_never_negative_or_above_allocation() -> None:
    vms = [make_vm(name="neg", usage={"cpu_mhz": -50, "guest_memory_mib": -1, "host_memory_mib": None}),
           make_vm(name="hot", num_cpu=2, memory_mib=2048, usage={"cpu_mhz": 99999, "guest_memory_mib": 99999}),
           make_vm(name="facts0")]
    facts = {key_of(vms[2]): make_facts({"memory_used_mib": 0, "cpu_used_cores": 0.0})}
    for result in assess_estate(make_estate(vms), facts=facts).vms:
        s = result.sizing
        assert 0 < s.cpu_request_cores <= s.cpu_limit_cores <= (s.allocated_vcpu or 1e9), result.vm
        assert 0 < s.memory_request_mib <= s.memory_limit_mib <= (s.allocated_memory_mib or 1e9), result.vm
        assert s.reclaimable_vcpu >= 0 and s.reclaimable_memory_gib >= 0
    by = {r.vm: r.sizing for r in assess_estate(make_estate(vms), facts=facts).vms}
    assert by["neg"].cpu_basis == by["neg"].memory_basis == "allocation"
    assert by["facts0"].memory_basis == "quickstats", "0 MiB used from discovery is a failed read, not a fact"


def test_table_wraps_findings_at_rule_boundaries_within_the_width() -> None:
    noisy = make_vm(name="noisy", num_cpu=64, memory_mib=1048576, cpu_reservation_mhz=1000,
                    memory_reservation_mib=1024, secure_boot=True, latency_sensitivity="high", cpu_affinity=[0, 1],
                    devices={"usb_devices": [{"label": "USB 1"}],
                             "parallel_ports": [{"label": "LPT1", "backing": "device"}]})
    text = to_table(assess_estate(make_estate([noisy, make_vm()])), width=100)
    lines = text.splitlines()
    assert all(len(line) <= 100 for line in lines), [line for line in lines if len(line) > 100]
    findings = rule_summary(assess_estate(make_estate([noisy])).vms[0]).split(", ")
    assert len(findings) > 6
    body = "\n".join(lines)
    for item in findings:
        assert item in body, f"{item!r} was split across lines"


def test_templates_are_listed_apart_not_counted_under_a_fit() -> None:
    from planner.models import Estate
    from planner.resources import example_estate_path

    example = Estate.model_validate_json(example_estate_path().read_text())
    assessment = assess_estate(example)
    groups = table_view(assessment)
    assert groups[-1].fit is None and groups[-1].title.startswith("excluded (templates)")
    assert {row.strategy for row in groups[-1].rows} == {"exclude"}
    assert all(row.strategy != "exclude" for group in groups[:-1] for row in group.rows)
    text = render(assessment, "table")
    templates = sum(1 for vm in example.vms if vm.template)
    assert f"{templates} excluded (templates)" in text
