"""Flows are stored one record per edge: the graph from the stored edges is the graph from the rows, and flow
documents stored before (one object per row) are still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import pytest

from planner.discovery.flows import aggregate_flows, read_flows
from planner.discovery.storage import FLOWS_KIND, latest_flows, load_flows, save_flows
from planner.errors import StoreError
from planner.graph import graph_from_sources
from planner.models import Estate, PowerState, Vm
from planner.models.discovery import FlowRecord
from planner.store import Store

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "flows.csv"
T1, T2, T3 = (datetime(2026, 11, day, tzinfo=UTC) for day in (1, 2, 3))


def estate() -> Estate:
    vms = [Vm(name=name, source="vc", moid=f"vm-{i}", power_state=PowerState.ON, guest_ips=[f"192.0.2.{i}"])
           for i, name in enumerate(["web", "app", "db"], start=1)]
    return Estate(collected_at=T1, vms=vms)


def rows() -> list[FlowRecord]:
    return [
        FlowRecord(src_ip="192.0.2.1", src_port=40001, dst_ip="192.0.2.2", dst_port=8080, bytes=10, packets=1,
                   first_seen=T2, last_seen=T2),
        FlowRecord(src_ip="192.0.2.1", src_port=40002, dst_ip="192.0.2.2", dst_port=8080, bytes=5,
                   first_seen=T1, last_seen=T3),
        # the reply of a db call: turned around into app -> db:5432, the same edge as the next row
        FlowRecord(src_ip="192.0.2.3", src_port=5432, dst_ip="192.0.2.2", dst_port=41000, bytes=7),
        FlowRecord(src_ip="::ffff:192.0.2.2", src_port=41001, dst_ip="192.0.2.3", dst_port=5432, packets=2),
        FlowRecord(src_ip="192.0.2.2", src_port=50000, dst_ip="192.0.2.3", dst_port=50001),  # both ephemeral
        FlowRecord(src_ip="192.0.2.2", src_port=40003, dst_ip="192.0.2.3", dst_port=5432, protocol="udp"),
    ]


def edge_data(graph: nx.DiGraph) -> dict:
    return {(a, b): data for a, b, data in graph.edges(data=True)}


def test_edges_sum_rows_and_keep_the_extremes():
    edges = {(e.src_ip, e.dst_ip, e.dst_port, e.protocol): e for e in aggregate_flows(rows())}
    web_app = edges["192.0.2.1", "192.0.2.2", 8080, "tcp"]
    assert (web_app.count, web_app.bytes, web_app.packets) == (2, 15, 1)
    assert (web_app.first_seen, web_app.last_seen, web_app.src_port) == (T1, T3, None)
    app_db = edges["192.0.2.2", "192.0.2.3", 5432, "tcp"]
    assert (app_db.count, app_db.bytes, app_db.packets) == (2, 7, 2)
    assert edges["192.0.2.2", "192.0.2.3", 5432, "udp"].count == 1
    assert edges["192.0.2.2", "192.0.2.3", 50001, "tcp"].src_port == 50000  # kept as it was: it says no server
    assert len(edges) == 4


def test_the_graph_from_stored_edges_is_the_graph_from_rows(tmp_path):
    with Store.open(tmp_path / "db.sqlite") as store:
        snapshot_id = store.save(estate(), origin="test").id
        save_flows(store, snapshot_id, "f.csv", rows())
        stored = load_flows(store, snapshot_id)
        [flows] = latest_flows(store, snapshot_id)
    assert len(stored) == 4 and flows.rows == 6
    from_rows, from_edges = graph_from_sources(estate(), flows=rows()), graph_from_sources(estate(), flows=stored)
    assert edge_data(from_rows) == edge_data(from_edges)
    assert edge_data(from_edges)["app", "db"]["count"] == 3 and edge_data(from_edges)["web", "app"]["bytes"] == 15


def test_the_example_flows_make_the_same_graph_from_edges(tmp_path):
    records = read_flows(EXAMPLE).records
    from_rows = graph_from_sources(estate(), flows=records)
    assert edge_data(from_rows) == edge_data(graph_from_sources(estate(), flows=aggregate_flows(records)))


def test_flow_documents_of_one_object_per_row_are_still_read(tmp_path):
    old = {"format_version": 1, "source": "old.csv", "imported_at": T1.isoformat(),
           "flows": [record.model_dump(mode="json", exclude_none=True, exclude={"count"}) for record in rows()]}
    with Store.open(tmp_path / "db.sqlite") as store:
        snapshot_id = store.save(estate(), origin="test").id
        store.save_document(snapshot_id, FLOWS_KIND, "old.csv", json.dumps(old))
        [flows] = latest_flows(store, snapshot_id)
    assert flows.records == rows() and flows.rows == 6 and flows.imported_at == T1


@pytest.mark.parametrize("body", [
    {"format_version": 2, "source": "bad.csv"},
    {"format_version": 2, "edges": [{"src_ip": "192.0.2.1", "dst_port": 443}]},
    {"format_version": 2, "edges": [{"src_ip": "192.0.2.1", "dst_ip": "192.0.2.2", "dst_port": "https"}]},
])
def test_a_damaged_edge_document_is_a_store_error(tmp_path, body):
    with Store.open(tmp_path / "db.sqlite") as store:
        snapshot_id = store.save(estate(), origin="test").id
        store.save_document(snapshot_id, FLOWS_KIND, "bad.csv", json.dumps(body))
        with pytest.raises(StoreError, match=r"bad\.csv"):
            load_flows(store, snapshot_id)


def test_a_file_read_as_edges_is_the_rows_aggregated(tmp_path):
    rows_read, edges_read = read_flows(EXAMPLE), read_flows(EXAMPLE, edges=True)
    assert rows_read.rows == edges_read.rows == 60 and len(edges_read.records) == 59
    key = lambda r: (r.src_ip, r.dst_ip, r.dst_port, r.protocol, r.src_port)  # noqa: E731
    assert sorted(edges_read.records, key=key) == sorted(aggregate_flows(rows_read.records), key=key)


def test_bad_rows_are_skipped_the_same_way_when_read_as_edges(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("src_ip,dst_ip,dst_port\n192.0.2.1,192.0.2.2,443\nnope,192.0.2.2,443\n192.0.2.1,192.0.2.2,443\n")
    result = read_flows(path, skip_bad=True, edges=True)
    assert (result.rows, result.skipped, len(result.records), result.records[0].count) == (2, 1, 1, 2)
    assert result.problems == ["line 3: src_ip 'nope' is not an IP address"]


def test_edges_read_as_edges_are_stored_as_they_are(tmp_path):
    """`discover import-flows` reads the file straight into edges and stores them without aggregating again: the
    document is the one the rows would give."""
    bodies = []
    for records, aggregated in ((read_flows(EXAMPLE).records, False), (read_flows(EXAMPLE, edges=True).records, True)):
        with Store.open(tmp_path / f"{aggregated}.sqlite") as store:
            snapshot_id = store.save(estate(), origin="test").id
            save_flows(store, snapshot_id, "f.csv", records, aggregated=aggregated)
            body = json.loads(store.documents(snapshot_id, FLOWS_KIND)["f.csv"])
        bodies.append({key: value for key, value in body.items() if key != "imported_at"})
    assert bodies[0] == bodies[1]
    assert bodies[0]["rows"] == len(read_flows(EXAMPLE).records) > len(bodies[0]["edges"])
