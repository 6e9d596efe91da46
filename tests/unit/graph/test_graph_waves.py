"""Move groups and waves: cycles, together groups, caps, pins, excludes, flip, cutover risks."""

from __future__ import annotations

from graph_helpers import flow, make_estate, make_vm

from planner.graph import WaveOptions, analyse, build_graph, move_groups, plan_waves


def chain_graph(three_tier):
    return build_graph(three_tier, [flow("192.0.2.10", "192.0.2.20", 8080), flow("192.0.2.20", "192.0.2.30", 5432)])


def test_providers_go_first(three_tier):
    result = analyse(chain_graph(three_tier))
    assert result.plan.wave_of == {"db": 1, "lonely": 1, "app": 2, "web": 3}
    assert [len(g.members) for g in result.groups.groups] == [1, 1, 1, 1]
    assert {(r.client, r.server, r.kind) for r in result.plan.risks} == {("web", "app", "interim"),
                                                                          ("app", "db", "interim")}


def test_flip_puts_consumers_first(three_tier):
    result = analyse(chain_graph(three_tier), options=WaveOptions(consumers_first=True))
    assert result.plan.wave_of["web"] < result.plan.wave_of["app"] < result.plan.wave_of["db"]


def test_cycles_become_one_group_and_one_wave():
    estate = make_estate(*(make_vm(n, f"192.0.2.{i}") for i, n in enumerate("abcd", start=1)))
    graph = build_graph(estate, [flow("192.0.2.1", "192.0.2.2", 80), flow("192.0.2.2", "192.0.2.3", 80),
                                 flow("192.0.2.3", "192.0.2.1", 80), flow("192.0.2.4", "192.0.2.1", 80)])
    result = analyse(graph)
    groups = {tuple(g.members): g.reasons for g in result.groups.groups}
    assert groups[("a", "b", "c")] == ["dependency-cycle"]
    assert result.plan.wave_of == {"a": 1, "b": 1, "c": 1, "d": 2}
    assert [r.kind for r in result.plan.risks] == ["interim"]


def test_together_groups_merge_and_close_cycles(three_tier):
    graph = chain_graph(three_tier)
    # web and db together: web -> app -> db makes app part of the same group too.
    result = analyse(graph, together=[["web", "db"]])
    members = [g.members for g in result.groups.groups if len(g.members) > 1]
    assert members == [["app", "db", "web"]]
    group = result.groups.group(result.groups.group_of["web"])
    assert "together" in group.reasons and "cycle-through-together" in group.reasons
    assert not result.plan.risks


def test_together_from_tags():
    estate = make_estate(make_vm("x", tags={"move-group": "erp"}), make_vm("y", tags={"move-group": "erp"}),
                         make_vm("z"))
    result = analyse(build_graph(estate, []))
    assert result.groups.group_of["x"] == result.groups.group_of["y"] != result.groups.group_of["z"]


def test_tags_read_category_slash_name_in_the_graph_as_in_the_audit_tables():
    """One notation for a tag across outputs (issue 12, item 9): the graph's node tags equal the audit CSV's."""
    from planner.audit.tables import vm_row

    vm = make_vm("x", tags={"env": "prod"})
    graph = build_graph(make_estate(vm), [])
    assert graph.nodes["x"]["tags"] == ["env/prod"] == [vm_row(vm)["tags"]]


def test_caps_by_vms_and_vcpu():
    estate = make_estate(*(make_vm(f"vm{i}", cpu=4) for i in range(7)))
    graph = build_graph(estate, [])
    plan = plan_waves(graph, move_groups(graph), WaveOptions(max_vms=3))
    assert [len(w.vms) for w in plan.waves] == [3, 3, 1]
    plan = plan_waves(graph, move_groups(graph), WaveOptions(max_vcpu=8))
    assert [w.num_cpu for w in plan.waves] == [8, 8, 8, 4]
    assert not any(w.over_cap for w in plan.waves)


def test_group_larger_than_cap_gets_its_own_wave():
    estate = make_estate(*(make_vm(n, f"192.0.2.{i}") for i, n in enumerate("abcde", start=1)))
    graph = build_graph(estate, [flow("192.0.2.1", "192.0.2.2", 80), flow("192.0.2.2", "192.0.2.3", 80),
                                 flow("192.0.2.3", "192.0.2.1", 80)])
    plan = plan_waves(graph, move_groups(graph), WaveOptions(max_vms=2))
    big = next(w for w in plan.waves if "a" in w.vms)
    assert sorted(big.vms) == ["a", "b", "c"] and big.over_cap
    assert all(len(w.vms) <= 2 for w in plan.waves if w is not big)


def test_pins_and_excludes(three_tier):
    graph = chain_graph(three_tier)
    plan = analyse(graph, options=WaveOptions(pins={"lonely": 3}, exclude={"db"})).plan
    assert plan.wave_of["lonely"] == 3
    assert "db" not in plan.wave_of and plan.excluded == ["db"]
    permanent = [r for r in plan.risks if r.kind == "permanent"]
    assert [(r.client, r.server, r.server_wave) for r in permanent] == [("app", "db", None)]
    # pinning a provider late pulls nothing before it; a consumer pinned early is reported
    plan = analyse(graph, options=WaveOptions(pins={"web": 1})).plan
    assert plan.wave_of["web"] == 1
    assert any("pinned to wave 1" in w for w in plan.warnings)


def test_pin_on_consumer_pulls_providers_earlier(three_tier):
    graph = chain_graph(three_tier)
    plan = analyse(graph, options=WaveOptions(max_vms=1, pins={"app": 2})).plan
    assert plan.wave_of["app"] == 2
    assert plan.wave_of["db"] == 1
    assert plan.wave_of["web"] > 2


def test_externals_never_move(three_tier):
    graph = build_graph(three_tier, [flow("203.0.113.5", "192.0.2.10", 443)])
    result = analyse(graph)
    assert all(not node.startswith("external:") for node in result.groups.group_of)
    assert not result.plan.risks


def test_pins_within_one_group_agree():
    """Two members of one move group pinned to the same wave: that wave, and no conflict reported."""
    estate = make_estate(*(make_vm(n, f"192.0.2.{i}") for i, n in enumerate("abc", start=1)))
    graph = build_graph(estate, [flow("192.0.2.1", "192.0.2.2", 80), flow("192.0.2.2", "192.0.2.1", 80)])
    plan = analyse(graph, options=WaveOptions(pins={"a": 2, "b": 2})).plan
    assert plan.wave_of["a"] == plan.wave_of["b"] == 2
    assert not any("conflicting" in w for w in plan.warnings)
    plan = analyse(graph, options=WaveOptions(pins={"a": 3, "b": 2})).plan
    assert plan.wave_of["a"] == 2 and any("conflicting pins (3, 2); using 2" in w for w in plan.warnings)


def test_pinned_room_is_reserved_under_caps():
    """Groups placed before a pinned one (in topological order) must not push its wave over the cap."""
    estate = make_estate(*(make_vm(n) for n in ("a", "b", "c")))
    graph = build_graph(estate, [])
    plan = plan_waves(graph, move_groups(graph), WaveOptions(max_vms=2, pins={"c": 1}))
    assert "c" in plan.waves[0].vms and [len(w.vms) for w in plan.waves] == [2, 1]
    assert not any(w.over_cap for w in plan.waves)


def test_excluding_a_member_keeps_the_whole_move_group_behind():
    estate = make_estate(*(make_vm(n, f"192.0.2.{i}") for i, n in enumerate("abc", start=1)))
    graph = build_graph(estate, [flow("192.0.2.1", "192.0.2.2", 80), flow("192.0.2.2", "192.0.2.1", 80),
                                 flow("192.0.2.3", "192.0.2.1", 443)])
    plan = analyse(graph, options=WaveOptions(exclude={"a", "ghost"}, pins={"b": 1})).plan
    assert plan.excluded == ["a", "b"] and plan.wave_of == {"c": 1}
    assert any("also held back: b" in w for w in plan.warnings)
    assert any("excluded VM ghost is not in the graph" in w for w in plan.warnings)
    assert any("pin of b ignored" in w for w in plan.warnings)
    assert {(r.client, r.server, r.kind) for r in plan.risks} == {("c", "a", "permanent")}


def test_renumbered_pin_is_reported():
    estate = make_estate(make_vm("a"), make_vm("b"))
    plan = analyse(build_graph(estate, []), options=WaveOptions(pins={"b": 4})).plan
    assert plan.wave_of == {"a": 1, "b": 2}
    assert any("pinned to wave 4 is wave 2" in w for w in plan.warnings)


def test_full_waves_are_skipped_and_caps_hold():
    """Many consumers of one deep provider with a small cap: every wave within the cap, providers first."""
    vms = [make_vm(f"p{i}", f"192.0.2.{i + 1}") for i in range(5)]
    vms += [make_vm(f"c{i:03d}", nic_ip=f"198.51.100.{i + 1}") for i in range(200)]
    chain = [flow(f"192.0.2.{i + 1}", f"192.0.2.{i + 2}", 80) for i in range(4)]
    consumers = [flow(f"198.51.100.{i + 1}", "192.0.2.1", 80) for i in range(200)]
    graph = build_graph(make_estate(*vms), chain + consumers)
    plan = plan_waves(graph, move_groups(graph), WaveOptions(max_vms=7))
    assert all(len(w.vms) <= 7 for w in plan.waves)
    assert all(plan.wave_of[f"c{i:03d}"] > plan.wave_of["p0"] > plan.wave_of["p4"] for i in range(200))
