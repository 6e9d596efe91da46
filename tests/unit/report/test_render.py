"""render_report: hostile plan text is only ever text, the data island is escaped, the page is self-contained and
the same plan gives the same bytes."""

from __future__ import annotations

import copy
import json
import re

import pytest

from planner.errors import InputError
from planner.report import render_report
from planner.report.safety import text
from planner.report.table import ROW_FIELDS
from tests.support.plan_factory import HOSTILE, make_plan
from tests.unit.report.pagehtml import Page

F = {name: index for index, name in enumerate(ROW_FIELDS)}


@pytest.fixture(scope="module")
def plan():
    return make_plan(120)


@pytest.fixture(scope="module")
def html(plan):
    return render_report(plan)


def test_hostile_text_renders_as_text(plan, html):
    page = Page(html)
    assert [tag for tag, _ in page.tags if tag in {"img", "iframe", "object", "embed", "base", "form"}] == []
    assert [tag for tag, attrs in page.tags if any(name.startswith("on") for name in attrs)] == []
    scripts = page.scripts
    assert [attrs.get("type") for attrs, _ in scripts] == ["application/json", None]
    assert "__pwned" not in scripts[1][1]
    shown = text(HOSTILE)
    assert shown in page.text  # the source label, wave reason, risk detail: visible, literally
    assert "\\u202e" in shown and "\u202e" not in page.text  # the RTL override is shown as an escape, not applied
    assert "\u2028" not in html and "\u2029" not in html
    assert "{{ 7*7 }}" in page.text and "49" not in re.findall(r"\d+", shown)  # no template ran on plan text


def test_hostile_title_and_attributes_stay_inside_their_quotes(html):
    page = Page(html)
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and "<" not in title.group(1)
    allowed = {"class", "id", "data-summary", "data-value", "data-count", "data-known", "data-kind", "data-sort",
               "aria-sort", "aria-label", "aria-hidden", "aria-live", "role", "href", "type", "value", "selected",
               "placeholder", "autocomplete", "lang", "charset", "http-equiv", "content", "name", "viewbox", "width",
               "height", "x", "y", "d", "fill", "text-anchor", "dy", "rx", "x1", "y1", "x2", "y2", "stroke-width",
               "marker-end", "refx", "refy", "markerwidth", "markerheight", "orient"}
    assert {name for _, attrs in page.tags for name in attrs} - allowed == set()


def test_json_island_is_escaped_and_reads_back(plan, html):
    body = html.split('<script type="application/json" id="plan-data">', 1)[1].split("</script>", 1)[0]
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in body
    data = json.loads(body)
    rows = {row[F["key"]]: row for row in data["vms"]}
    hostile = plan["vms"][0]
    row = rows[hostile["key"]]
    assert row[F["display"]] == text(hostile["display"])
    assert row[F["annotation"]] == text(HOSTILE)
    assert row[F["tags"]] == [text(f"app:{HOSTILE}"), "env:prod"]
    evidence = [finding[4] for finding in row[F["findings"]]]
    assert text(HOSTILE) in evidence
    assert all(path[1] is None for path in row[F["artifacts"]])  # hostile or javascript: paths are never links


def test_island_round_trips_lone_surrogates_and_separators():
    plan = make_plan(3, hostile=False)
    plan["vms"][0]["display"] = "a\ud800b\u2028c</script>"
    page = Page(render_report(plan))
    names = [row[0] for row in page.island()["vms"]]
    assert text("a\ud800b\u2028c</script>") in names


def test_output_is_deterministic(plan, html):
    again = render_report(copy.deepcopy(plan))
    assert again == html


def test_summary_numbers_are_the_plans(plan, html):
    page = Page(html)
    values = {attrs["data-summary"]: json.loads(attrs["data-value"] or "null")
              for _, attrs in page.with_attr("data-summary")}
    summary = plan["summary"]
    strategies = summary["by_strategy"]
    assert values == {"vms": summary["vms"], "moving": strategies["containerize"] + strategies["refactor"],
                      "reclaimable.vcpu": summary["reclaimable"]["vcpu"],
                      "reclaimable.memory_gib": summary["reclaimable"]["memory_gib"], "waves": summary["waves"],
                      "images": summary["images"], "effort.person_days": summary["effort"]["person_days"]}
    counts = {attrs["data-count"]: None for _, attrs in page.with_attr("data-count")}
    assert set(summary["by_fit"]) <= set(counts)


def test_nothing_is_loaded_from_anywhere(html):
    page = Page(html)
    csp = next(attrs["content"] for tag, attrs in page.tags if attrs.get("http-equiv") == "Content-Security-Policy")
    assert csp and "default-src 'none'" in csp and "unsafe-inline" not in csp and "http" not in csp
    for tag, attrs in page.tags:
        for name in ("src", "srcset", "xlink:href", "action", "formaction", "poster", "data"):
            assert name not in attrs, (tag, name)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith("#"), href
    assert not re.search(r"@import|url\((?!#)", html)
    assert "//" not in re.sub(r'"(?:[^"\\]|\\.)*"', "", html.split("<style>")[1].split("</style>")[0])


def test_a_graph_of_few_vms_is_shown_and_a_large_plan_gets_the_wave_picture(plan):
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="50pt" viewBox="0 0 100 50">'
           '<g class="node"><title>n0</title><text x="1" y="2">web-01</text></g></svg>')
    page = Page(render_report(plan, graph_svg=svg))
    kinds = [attrs.get("data-kind") for _, attrs in page.with_attr("data-kind")]
    assert kinds == ["svg"] and "web-01" in page.text
    big = make_plan(2001, hostile=False)
    page = Page(render_report(big, graph_svg=svg))
    assert [attrs.get("data-kind") for _, attrs in page.with_attr("data-kind")] == ["overview"]
    assert "web-01" not in page.text and "2,001 VMs a picture of every VM would be unreadable" in page.text


def test_an_unreadable_graph_picture_is_left_out_with_a_note(plan):
    page = Page(render_report(plan, graph_svg="<svg><g></svg>"))
    assert [attrs.get("data-kind") for _, attrs in page.with_attr("data-kind")] == ["overview"]
    assert "The dependency graph picture was left out: the graph picture is not well-formed XML" in page.text


def test_dependencies_unknown_is_said(plan):
    unknown = make_plan(10, hostile=False, dependencies_known=False)
    page = Page(render_report(unknown))
    assert "Dependencies unknown" in page.text
    assert "no discovery or flow data: grouped by application tag" in page.text


def test_an_empty_plan_renders():
    plan = make_plan(1, hostile=False)
    plan["vms"][0].update(strategy="keep-vm", wave=None, move_group=None, findings=[], stacks=[], artifacts=[])
    plan.update(waves=[], move_groups=[], risks=[])
    page = Page(render_report(plan))
    assert "The plan has no waves" in page.text and "The plan lists no risks" in page.text


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "planner-graph"}, "not a planner plan"),
    ({"version": 2}, "plan version 2 is not one this planner renders"),
    ({"summary": None}, None),
])
def test_not_a_plan_is_one_clear_error(change, message):
    plan = make_plan(2, hostile=False)
    if change == {"summary": None}:
        del plan["summary"]
        message = "the plan has no 'summary'"
    else:
        plan.update(change)
    with pytest.raises(InputError, match=re.escape(message)):
        render_report(plan)


def test_risks_and_waves_are_capped_with_counts():
    plan = make_plan(6000, hostile=False)
    page = Page(render_report(plan))
    assert len(plan["risks"]) > 200
    assert f"{len(plan['risks']):,} risks" in page.text and "the first 200 are listed" in page.text
    rows = [attrs for tag, attrs in page.tags if tag == "tr" and (attrs.get("class") or "").startswith("sev-")]
    assert len(rows) == 200
