"""report.html in headless Chromium: summary numbers are the plan's, graph and table are there, sorting,
filtering and paging work, hostile text stays text, and no request leaves the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner.report import render_report
from planner.report.safety import text
from tests.support.plan_factory import HOSTILE, make_plan

pytestmark = pytest.mark.browser
VMS = 1234
DASH = "\u2013"  # the pager puts an en dash between the first and last row
SCORE_COLUMN = 4  # expand, VM, fit, score: nth-child is 1-based


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return make_plan(VMS)


@pytest.fixture(scope="module")
def report_file(plan: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(plan), encoding="utf-8")
    return path


def assert_self_contained(opened: Any) -> None:
    assert opened.requests == [opened.url], opened.requests
    assert opened.errors == [] and opened.violations() == []
    assert opened.page.evaluate("window.__pwned") is None


def column(page: Any, index: int) -> list[str]:
    return page.locator(f"#vm-rows > tr:not(.detail) > td:nth-child({index})").all_inner_texts()


def test_summary_graph_and_table(open_page: Any, plan: dict[str, Any], report_file: Path) -> None:
    opened = open_page(report_file)
    page = opened.page
    summary = plan["summary"]
    shown = {element.get_attribute("data-summary"): (json.loads(element.get_attribute("data-value")),
                                                     element.inner_text())
             for element in page.locator("[data-summary]").all()}
    assert shown["vms"] == (summary["vms"], f"{summary['vms']:,}")
    assert shown["waves"] == (summary["waves"], str(summary["waves"]))
    assert shown["reclaimable.vcpu"][0] == summary["reclaimable"]["vcpu"]
    assert shown["reclaimable.memory_gib"][0] == summary["reclaimable"]["memory_gib"]
    assert shown["effort.person_days"][0] == summary["effort"]["person_days"]
    for fit, count in summary["by_fit"].items():
        assert page.locator(f'#chart-fit [data-count="{fit}"]').inner_text() == str(count)
    assert page.locator("#graph-picture svg").count() == 1
    assert page.locator("#graph-picture svg rect").count() > 10
    assert page.locator("#waves-timeline rect").count() == len(plan["waves"])
    assert page.locator("#findings-chart rect").count() > 5
    assert page.locator("#vm-rows > tr").count() == 100  # one page in the DOM, not 1,234 rows
    assert page.locator("#page-info").inner_text() == f"rows 1{DASH}100 of {VMS:,}"
    screenshot = report_file.parent / "report.png"
    page.screenshot(path=str(screenshot), full_page=False)
    print(f"screenshot: {screenshot}")
    assert_self_contained(opened)


def test_sorting_filtering_and_paging(open_page: Any, plan: dict[str, Any], report_file: Path) -> None:
    opened = open_page(report_file)
    page = opened.page
    page.click('th[data-sort="score"]')
    scores = [int(value) for value in column(page, SCORE_COLUMN)]
    assert scores == sorted(vm["score"] for vm in plan["vms"])[:100]
    page.click('th[data-sort="score"]')
    assert page.get_attribute('th[data-sort="score"]', "aria-sort") == "descending"
    scores = [int(value) for value in column(page, SCORE_COLUMN)]
    assert scores == sorted((vm["score"] for vm in plan["vms"]), reverse=True)[:100]

    page.select_option("#f-fit", "good")
    good = [vm for vm in plan["vms"] if vm["fit"] == "good"]
    assert page.get_attribute("#vm-table", "data-matching") == str(len(good))
    assert set(column(page, 3)) == {"good"}
    page.select_option("#f-strategy", "containerize")
    both = [vm for vm in good if vm["strategy"] == "containerize"]
    assert page.get_attribute("#vm-table", "data-matching") == str(len(both))
    page.select_option("#f-fit", "")
    page.select_option("#f-strategy", "")
    page.fill("#f-text", "vm00012")
    page.wait_for_selector('#vm-table[data-matching="10"]')  # the strict CSP forbids wait_for_function's eval
    assert sorted(column(page, 2)) == [f"vm{n:06d}" for n in range(120, 130)]
    page.fill("#f-text", "")
    page.wait_for_selector(f'#vm-table[data-matching="{VMS}"]')

    page.click('th[data-sort="display"]')  # back to names, ascending (it was the score column)
    assert page.is_disabled("#prev")
    page.click("#next")
    assert page.locator("#page-info").inner_text() == f"rows 101{DASH}200 of {VMS:,}"
    names = sorted(text(vm["display"]) for vm in plan["vms"])
    assert column(page, 2) == names[100:200]
    page.select_option("#page-size", "500")
    assert page.locator("#page-info").inner_text() == f"rows 1{DASH}500 of {VMS:,}"
    page.click("#next")
    page.click("#next")
    assert page.locator("#vm-rows > tr").count() == VMS - 1000 and page.is_disabled("#next")
    assert_self_contained(opened)


def test_hostile_text_shows_as_text_and_nothing_runs(open_page: Any, plan: dict[str, Any],
                                                     report_file: Path) -> None:
    opened = open_page(report_file)
    page = opened.page
    hostile = plan["vms"][0]
    assert page.title() == f"Migration plan: {text(HOSTILE)}"
    first = page.locator("#vm-rows > tr").first
    assert first.locator("td.name").inner_text() == text(hostile["display"])
    first.locator("button.expand").click()
    detail = page.locator("#vm-rows > tr.detail")
    assert detail.count() == 1
    evidence = detail.locator("table td.text").all_text_contents()
    assert text(HOSTILE) in evidence
    assert text(HOSTILE) in detail.locator(".pre").inner_text()  # the annotation
    assert text(f"app:{HOSTILE}") in detail.locator("li").all_text_contents()  # a tag
    assert page.locator("#vm-rows img, #vm-rows script, #vm-rows iframe").count() == 0
    links = detail.locator("a")
    assert links.count() == len([path for path in hostile["artifacts"] if "<" not in path and ":" not in path])
    assert "javascript:alert(document.domain)" in detail.inner_text()  # shown, not linked
    assert page.locator("body img").count() == 0
    assert_self_contained(opened)


def test_artifact_links_are_relative(open_page: Any, tmp_path: Path) -> None:
    plan = make_plan(5, hostile=False)
    vm = next(vm for vm in plan["vms"] if vm["artifacts"])
    path = tmp_path / "report.html"
    path.write_text(render_report(plan), encoding="utf-8")
    opened = open_page(path)
    page = opened.page
    page.locator(f'#vm-rows > tr[data-key="{vm["key"]}"] button.expand').click()
    hrefs = page.locator("#vm-rows > tr.detail a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == vm["artifacts"]
    resolved = page.locator("#vm-rows > tr.detail a").first.evaluate("a => a.href")
    assert resolved == (tmp_path / vm["artifacts"][0]).as_uri()
    assert_self_contained(opened)


def test_a_graphviz_picture_with_hostile_names_is_drawn_as_text(open_page: Any, tmp_path: Path) -> None:
    import shutil

    import networkx as nx

    from planner.graph.export import annotate, render_svg, to_dot
    from tests.support.components import require

    if shutil.which("dot") is None:
        require("graphviz", "`dot` is not on PATH (apt-get install graphviz)")
    plan = make_plan(20)
    graph = nx.DiGraph()
    for vm in plan["vms"]:
        graph.add_node(vm["key"], kind="vm", name=vm["display"], num_cpu=vm["num_cpu"])
    first, second = plan["vms"][0]["key"], plan["vms"][1]["key"]
    graph.add_edge(first, second, ports=["tcp/443"], client_processes=[HOSTILE])
    svg = render_svg(to_dot(annotate(graph, fits={vm["key"]: vm["fit"] for vm in plan["vms"]})))
    path = tmp_path / "report.html"
    path.write_text(render_report(plan, graph_svg=svg), encoding="utf-8")
    opened = open_page(path)
    picture = opened.page.locator('#graph-picture[data-kind="svg"] svg')
    assert picture.count() == 1 and picture.locator("g.node").count() >= 20 and picture.locator("g.edge").count() == 1
    assert any("<script>window.__pwned=1</script>" in t for t in picture.locator("text").all_text_contents())
    assert picture.bounding_box()["width"] > 100
    assert_self_contained(opened)
