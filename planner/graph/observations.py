"""Observed traffic in one shape, whatever its source (discovered sockets or imported flows).

An ``Observation`` is one client -> server conversation: the client side may be known as a VM (discovery saw its
socket) or only by address (flows); the server side likewise. ``build_graph`` resolves addresses to VMs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from planner.addresses import canonical_ip, is_loopback_text
from planner.models.discovery import FlowRecord, GuestDiscovery

EPHEMERAL_MIN = 32768
"""Lowest port treated as ephemeral (Linux's default range starts here; Windows' at 49152)."""


@dataclass(slots=True)
class Observation:
    """One client -> server conversation (or an aggregate of many)."""

    dst_port: int
    protocol: str = "tcp"
    src_ip: str | None = None
    dst_ip: str | None = None
    src_port: int | None = None
    src_vm: str | None = None
    dst_vm: str | None = None
    client_process: str | None = None
    server_process: str | None = None
    count: int = 1
    bytes: int | None = None
    packets: int | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    source: str = "flows"
    side: str = "flow"
    """Who reported it: ``client`` or ``server`` (a discovered guest's socket) or ``flow`` (a flow export)."""


@lru_cache(maxsize=65536)
def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1 and v4-mapped loopback."""
    canonical = canonical_ip(address.split("%", 1)[0])
    return canonical is not None and is_loopback_text(canonical)


@lru_cache(maxsize=262144)
def normalize_ip(address: str) -> str:
    """Canonical text of an address (v4-mapped IPv6 becomes IPv4, zone ids dropped); unparsable text unchanged."""
    canonical = canonical_ip(address.strip().strip("[]").split("%", 1)[0])
    return address.strip() if canonical is None else canonical


def is_ephemeral(port: int | None) -> bool:
    return port is not None and port >= EPHEMERAL_MIN


def from_flows(records: Iterable[FlowRecord]) -> Iterator[Observation]:
    """Flows as observations. A flow whose destination port is ephemeral while its source port is not is a reply:
    it is turned around. Flows between two ephemeral ports say nothing about who serves and are dropped."""
    for record in records:
        src_ip, dst_ip = normalize_ip(record.src_ip), normalize_ip(record.dst_ip)
        src_port, dst_port = record.src_port, record.dst_port
        if is_ephemeral(dst_port):
            if src_port is None or is_ephemeral(src_port):
                continue
            src_ip, dst_ip, src_port, dst_port = dst_ip, src_ip, dst_port, src_port
        yield Observation(
            dst_port=dst_port, protocol=record.protocol.lower(), src_ip=src_ip, dst_ip=dst_ip, src_port=src_port,
            bytes=record.bytes, packets=record.packets, first_seen=record.first_seen, last_seen=record.last_seen,
            count=record.count, source="flows",
        )


def from_discovery(guest: GuestDiscovery, vm: str | None) -> Iterator[Observation]:
    """A discovered guest's connections as observations, the guest (matched to ``vm``) on its own side.

    Outbound connections name the client VM and the server address; inbound ones the server VM and the client
    address (so a client outside discovery still shows up). Duplicates (both ends discovered) merge in the graph.
    """
    for conn in guest.connections:
        peer = normalize_ip(conn.peer_address)
        local = normalize_ip(conn.local_address)
        common = {"protocol": conn.protocol, "count": conn.count, "first_seen": conn.first_seen,
                  "last_seen": conn.last_seen, "source": "discovery"}
        if conn.direction == "outbound":
            if conn.peer_port is None:
                continue
            yield Observation(dst_port=conn.peer_port, src_ip=local, dst_ip=peer, src_port=conn.local_port,
                              src_vm=vm, client_process=conn.process, side="client", **common)  # type: ignore[arg-type]
        elif conn.local_port is not None:
            yield Observation(dst_port=conn.local_port, src_ip=peer, dst_ip=local, src_port=conn.peer_port,
                              dst_vm=vm, server_process=conn.process, side="server", **common)  # type: ignore[arg-type]
