"""Chart and picture geometry: proportional, capped, deterministic; degenerate inputs still draw."""

from __future__ import annotations

from planner.report.charts import FIT_COLOURS, TIMELINE_MAX_WAVES, bars, donut, num, stacked, timeline
from planner.report.overview import MAX_GROUPS_PER_WAVE, MAX_WAVES, overview
from tests.support.plan_factory import make_plan


def test_donut_segments_follow_the_counts():
    chart = donut({"good": 3, "poor": 1, "none": 0}, FIT_COLOURS)
    assert [(s["label"], s["share"]) for s in chart["segments"]] == [("good", "75%"), ("poor", "25%")]
    assert [item["label"] for item in chart["legend"]] == ["good", "poor", "none"]  # zero counts are in the legend
    whole = donut({"good": 5}, FIT_COLOURS)["segments"][0]["d"]
    assert whole.count("M ") == 2  # a full ring is two half rings (one arc cannot close on itself)
    assert donut({}, FIT_COLOURS)["segments"] == [] and donut({"good": 0}, FIT_COLOURS)["total_shown"] == "0"


def test_bars_and_stacks_scale_to_the_largest():
    chart = bars({"a": 10, "b": 5, "c": 0}, {}, width=400, label_width=100)
    widths = [float(row["w"]) for row in chart["rows"]]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    rows = stacked({"x": {"low": 2, "high": 2}, "y": {"low": 1}}, ("low", "high"), {})["rows"]
    assert [s["key"] for s in rows[0]["segments"]] == ["low", "high"] and rows[1]["total"] == 1
    assert float(rows[0]["segments"][1]["x"]) == float(rows[0]["segments"][0]["x"]) + float(rows[0]["segments"][0]["w"])


def test_timeline_follows_effort_and_caps_rows():
    waves = [{"number": n, "vms": ["a"], "effort_person_days": 1.0 if n % 2 else 3.0} for n in range(1, 100)]
    chart = timeline(waves)
    assert len(chart["rows"]) == TIMELINE_MAX_WAVES and chart["hidden"] == 99 - TIMELINE_MAX_WAVES
    first, second = chart["rows"][:2]
    assert float(second["w"]) == 3 * float(first["w"]) or abs(float(second["w"]) - 3 * float(first["w"])) < 0.05
    assert abs(float(second["x"]) - (float(first["x"]) + float(first["w"]))) < 0.05
    assert timeline([{"number": 1, "vms": []}])["scale"] == "order (no effort estimates)"


def test_num_is_short_and_never_negative_zero():
    assert (num(1.0), num(2.345), num(-0.001), num(120.10)) == ("1", "2.35", "0", "120.1")


def test_overview_caps_waves_and_groups_and_orders_groups_naturally():
    plan = make_plan(5000, hostile=False)
    assert len(plan["waves"]) > MAX_WAVES
    picture = overview(plan)
    assert len(picture["columns"]) == MAX_WAVES and picture["hidden_waves"] == f"{len(plan['waves']) - MAX_WAVES:,}"
    first_column = [box for box in picture["boxes"] if box["x"] == picture["columns"][0]["x"]]
    assert len(first_column) == MAX_GROUPS_PER_WAVE + 1
    assert [box["label"] for box in first_column[:3]] == ["g1", "g2", "g3"]
    assert first_column[-1]["label"] == "+10 groups" and first_column[-1]["detail"].startswith("50 VMs")
    assert picture["lines"] and all(line["count"] >= 1 for line in picture["lines"])
    assert overview(plan) == picture
