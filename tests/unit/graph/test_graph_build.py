"""Building the graph: resolution of addresses, loopback, externals, aggregation."""

from __future__ import annotations

from datetime import UTC, datetime

from graph_helpers import flow, make_estate, make_vm

from planner.graph import build_graph, from_discovery, from_flows, graph_from_sources, vm_node_ids
from planner.models.discovery import Connection, FlowRecord, GuestDiscovery


def test_edges_go_client_to_server_and_aggregate(three_tier):
    graph = build_graph(three_tier, [
        flow("192.0.2.10", "192.0.2.20", 8080, bytes=100),
        flow("192.0.2.10", "192.0.2.20", 8080, src_port=40001, bytes=50),
        flow("192.0.2.10", "192.0.2.20", 8443),
        flow("192.0.2.20", "192.0.2.30", 5432, count=3),
    ])
    assert set(graph.edges) == {("web", "app"), ("app", "db")}
    edge = graph.edges["web", "app"]
    assert edge["ports"] == ["tcp/8080", "tcp/8443"]
    assert edge["count"] == 3
    assert edge["bytes"] == 150
    assert graph.edges["app", "db"]["count"] == 3
    assert "golden" not in graph  # templates are not workloads
    assert graph.nodes["lonely"]["kind"] == "vm"
    assert graph.degree("lonely") == 0


def test_externals_are_grouped_by_network_and_loopback_is_ignored(three_tier):
    graph = build_graph(three_tier, [
        flow("203.0.113.5", "192.0.2.10", 443),
        flow("203.0.113.77", "192.0.2.10", 443),
        flow("192.0.2.20", "198.51.100.9", 53, protocol="udp"),
        flow("127.0.0.1", "192.0.2.10", 443),
        flow("192.0.2.10", "192.0.2.10", 8080),
        flow("203.0.113.5", "198.51.100.9", 25),
    ])
    assert set(graph.edges) == {("external:203.0.113.0/24", "web"), ("app", "external:198.51.100.0/24")}
    ext = graph.nodes["external:203.0.113.0/24"]
    assert ext["kind"] == "external" and ext["addresses"] == ["203.0.113.5", "203.0.113.77"]
    assert graph.graph["ignored"] == {"loopback": 1, "inside-one-guest": 1, "external-to-external": 1}


def test_reply_flows_are_turned_around_and_ephemeral_pairs_dropped():
    records = [
        FlowRecord(src_ip="192.0.2.20", src_port=5432, dst_ip="192.0.2.10", dst_port=51000),
        FlowRecord(src_ip="192.0.2.20", src_port=50000, dst_ip="192.0.2.10", dst_port=51000),
    ]
    observations = list(from_flows(records))
    assert len(observations) == 1
    assert (observations[0].src_ip, observations[0].dst_ip, observations[0].dst_port) == ("192.0.2.10",
                                                                                          "192.0.2.20", 5432)


def test_ambiguous_addresses_are_not_resolved_and_reported():
    estate = make_estate(make_vm("a", "192.0.2.1"), make_vm("b", "192.0.2.1"), make_vm("c", "192.0.2.3"))
    graph = build_graph(estate, [flow("192.0.2.3", "192.0.2.1", 80)])
    assert ("c", "a") not in graph.edges and ("c", "b") not in graph.edges
    assert any("192.0.2.1" in warning for warning in graph.graph["warnings"])


def test_duplicate_vm_names_get_distinct_nodes():
    vms = [make_vm("dup", "192.0.2.1"), make_vm("dup", "192.0.2.2")]
    vms[1] = vms[1].model_copy(update={"moid": "vm-2"})
    ids = vm_node_ids(vms)
    assert ids[0] != ids[1] and all(i.startswith("dup [vc1:") for i in ids)


def test_discovered_connections_from_both_ends_count_once():
    estate = make_estate(make_vm("web"), make_vm("app"))
    seen = datetime(2026, 11, 2, tzinfo=UTC)
    web = GuestDiscovery(host="web", vm="web", addresses=["127.0.77.11"], connections=[
        Connection(local_address="127.0.0.1", local_port=41000, peer_address="127.0.77.12", peer_port=8080,
                   direction="outbound", process="nginx", count=3, first_seen=seen, last_seen=seen)])
    app = GuestDiscovery(host="app", vm="app", addresses=["127.0.77.12"], connections=[
        Connection(local_address="127.0.77.12", local_port=8080, peer_address="127.0.0.1", peer_port=41000,
                   direction="inbound", process="python3", count=2)])
    graph = graph_from_sources(estate, [web, app])
    assert list(graph.edges) == [("web", "app")]
    edge = graph.edges["web", "app"]
    assert edge["count"] == 3  # the client side saw it in 3 samples; the server side's loopback peer is dropped
    assert edge["client_processes"] == ["nginx"]
    assert edge["first_seen"] == seen.isoformat()
    # the inbound socket's peer is 127.0.0.1 (inside some guest): no edge from it
    assert len(list(from_discovery(app, "app"))) == 1


def test_ambiguous_addresses_are_reported_briefly():
    """Shared addresses (a docker0 bridge on every VM) resolve to nothing; a few lines name them, one sums up."""
    vms = [make_vm(f"vm{i}", f"198.51.100.{i + 1}") for i in range(4)]
    extra = {f"vm{i}": [f"192.0.2.{n}" for n in range(1, 31)] for i in range(4)}
    extra["vm0"].append("203.0.113.9")
    extra["vm1"].append("203.0.113.9")
    graph = build_graph(make_estate(*vms), [flow("198.51.100.1", "192.0.2.5", 80)], addresses=extra)
    warnings = graph.graph["warnings"]
    assert len(warnings) == 11 and warnings[-1].startswith("... and 21 more addresses")
    assert warnings[0] == "address 192.0.2.1 is claimed by 4 VMs (vm0, vm1, vm2 ...): not resolved"
    assert ("vm0", "external:192.0.2.0/24") in graph.edges
