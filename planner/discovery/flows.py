"""Import flows from a CSV export (NetFlow collectors, network-insight tools).

Columns (header row required, names case-insensitive, order free; docs/discovery.md):
``src_ip, dst_ip, dst_port`` required; ``src_port, protocol, bytes, packets, first_seen, last_seen`` optional.
A bad row is an ``InputError`` naming its line, unless ``skip_bad`` is set: then it is counted and left out.
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from planner.errors import InputError, NotFoundError
from planner.graph.observations import is_ephemeral, normalize_ip
from planner.memory import bulk_objects
from planner.models.discovery import FlowRecord

REQUIRED = ("src_ip", "dst_ip", "dst_port")
OPTIONAL = ("src_port", "protocol", "bytes", "packets", "first_seen", "last_seen")
ALIASES = {
    "source_ip": "src_ip", "src_addr": "src_ip", "source": "src_ip",
    "destination_ip": "dst_ip", "dest_ip": "dst_ip", "dst_addr": "dst_ip", "destination": "dst_ip",
    "source_port": "src_port", "destination_port": "dst_port", "dest_port": "dst_port", "port": "dst_port",
    "proto": "protocol", "octets": "bytes", "pkts": "packets",
}
PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
PROTOCOLS = {"tcp", "udp", "icmp", "icmpv6", "sctp"}
MAX_REPORTED = 10


@dataclass
class FlowImport:
    """Parsed rows, and what was skipped (with the first few reasons)."""

    records: list[FlowRecord] = field(default_factory=list)
    rows: int = 0
    """Rows read (``records`` holds one per row, or one per edge when read as edges)."""
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def _ip(value: str, column: str) -> str:
    address = _address(value)
    if address is None:
        raise ValueError(f"{column} {value!r} is not an IP address")
    return address


@lru_cache(maxsize=262144)
def _address(value: str) -> str | None:
    """Canonical text of an address, None if it is none (cached: flow files repeat their addresses)."""
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return None


def _int(value: str, column: str, *, port: bool = False) -> int | None:
    text = value.strip()
    if not text:
        if column == "dst_port":
            raise ValueError("dst_port is empty")
        return None
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a whole number") from None
    if number < 0 or (port and number > 65535):
        raise ValueError(f"{column} {number} is out of range")
    return number


def _time(value: str, column: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    parsed = _timestamp(text)
    if parsed is None:
        raise ValueError(f"{column} {value!r} is neither ISO 8601 nor epoch seconds")
    return parsed


@lru_cache(maxsize=65536)
def _timestamp(text: str) -> datetime | None:
    try:
        if text.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _protocol(value: str) -> str:
    text = value.strip().lower() or "tcp"
    text = PROTOCOL_NUMBERS.get(text, text)
    if text not in PROTOCOLS:
        raise ValueError(f"protocol {value!r} is not one of {', '.join(sorted(PROTOCOLS))} (or 6/17)")
    return text


Row = tuple[str, str, int, int | None, str, int | None, int | None, datetime | None, datetime | None]
"""src_ip, dst_ip, dst_port, src_port, protocol, bytes, packets, first_seen, last_seen: one checked row."""


def _parse(row: dict[str, str]) -> Row:
    get = lambda key: row.get(key) or ""  # noqa: E731
    dst_port = _int(get("dst_port"), "dst_port", port=True)
    assert dst_port is not None
    return (_ip(get("src_ip"), "src_ip"), _ip(get("dst_ip"), "dst_ip"), dst_port,
            _int(get("src_port"), "src_port", port=True), _protocol(get("protocol")), _int(get("bytes"), "bytes"),
            _int(get("packets"), "packets"), _time(get("first_seen"), "first_seen"),
            _time(get("last_seen"), "last_seen"))


def parse_row(row: dict[str, str]) -> FlowRecord:
    """One CSV row (keys already normalised) as a flow; ``ValueError`` says what is wrong. Every value is checked
    here, so the record is built without validating it again."""
    return _record(_parse(row))


def _record(row: Row) -> FlowRecord:
    src_ip, dst_ip, dst_port, src_port, protocol, sent, packets, first_seen, last_seen = row
    return FlowRecord.model_construct(src_ip=src_ip, dst_ip=dst_ip, dst_port=dst_port, src_port=src_port,
                                      protocol=protocol, bytes=sent, packets=packets, first_seen=first_seen,
                                      last_seen=last_seen)


def _rows(path: Path) -> Iterator[tuple[int, list[str], list[str]]]:
    """(line, column names, values) per non-empty row. Undecodable bytes are kept as surrogates so the row that holds
    them is named (a decoding error would name the line where the reader's buffer happened to end)."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig", errors="surrogateescape")
    except FileNotFoundError:
        raise NotFoundError(f"flow file {path} does not exist.", hint="Check the path.") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}.") from exc
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{path} is empty; it needs a header row.") from None
        except csv.Error as exc:
            raise InputError(f"{path} line 1: {exc}") from exc
        if any(_undecodable(name) for name in header):
            raise InputError(f"{path} line 1: the header is not valid UTF-8.")
        names = [ALIASES.get(name.strip().lower(), name.strip().lower()) for name in header]
        missing = [column for column in REQUIRED if column not in names]
        if missing:
            raise InputError(f"{path} lacks the column(s) {', '.join(missing)}.",
                             hint=f"Required: {', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)}.")
        try:
            for values in reader:
                if not any(value.strip() for value in values):
                    continue
                yield reader.line_num, names, values
        except csv.Error as exc:
            raise InputError(f"{path} line {reader.line_num + 1}: {exc}") from exc


def _undecodable(text: str) -> bool:
    """Whether the text holds bytes that were not UTF-8 (decoding with surrogateescape made surrogates of them,
    and only of them: so the text cannot be encoded back). ASCII, nearly every value, is known at once."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _row(names: list[str], values: list[str]) -> dict[str, str]:
    """The row by column name; ``ValueError`` if it does not line up with the header or is not UTF-8."""
    if len(values) != len(names):
        raise ValueError(f"has {len(values)} fields; the header has {len(names)}")
    if _undecodable("".join(values)):
        raise ValueError("is not valid UTF-8")
    return dict(zip(names, values, strict=True))


def read_flows(path: Path, *, skip_bad: bool = False, edges: bool = False) -> FlowImport:
    """Every flow in the CSV file at ``path`` (nothing is stored here: callers store all rows or none); with
    ``edges``, aggregated as they are read into one record per edge (``aggregate_flows``)."""
    with bulk_objects():
        result = FlowImport()
        aggregate = _Aggregate() if edges else None
        for line, names, values in _rows(path):
            try:
                row = _parse(_row(names, values))
            except ValueError as exc:
                if not skip_bad:
                    raise InputError(f"{path} line {line}: {exc}.", hint="Fix the row, or pass --skip-bad.") from None
                result.skipped += 1
                if len(result.problems) < MAX_REPORTED:
                    result.problems.append(f"line {line}: {exc}")
                continue
            result.rows += 1
            if aggregate is not None:
                aggregate.add(*row)
            else:
                result.records.append(_record(row))
        if aggregate is not None:
            result.records = aggregate.records()
    return result


EdgeKey = tuple[str, str, int, str, int | None]


class _Aggregate:
    """Edges (client, server, server port, protocol[, client port]) -> [rows, bytes, packets, first, last]."""

    def __init__(self) -> None:
        self.edges: dict[EdgeKey, list] = {}

    def add(self, src: str, dst: str, dst_port: int, src_port: int | None, protocol: str, sent: int | None,
            packets: int | None, first: datetime | None, last: datetime | None, count: int = 1) -> None:
        key = _oriented(src, dst, dst_port, src_port, protocol)
        edge = self.edges.get(key)
        if edge is None:
            self.edges[key] = [count, sent, packets, first, last]
            return
        edge[0] += count
        if sent is not None:
            edge[1] = (edge[1] or 0) + sent
        if packets is not None:
            edge[2] = (edge[2] or 0) + packets
        if first is not None and (edge[3] is None or first < edge[3]):
            edge[3] = first
        if last is not None and (edge[4] is None or last > edge[4]):
            edge[4] = last

    def records(self) -> list[FlowRecord]:
        return [FlowRecord.model_construct(src_ip=src, dst_ip=dst, dst_port=port, protocol=protocol,
                                           src_port=src_port, count=count, bytes=sent, packets=packets,
                                           first_seen=first, last_seen=last)
                for (src, dst, port, protocol, src_port), (count, sent, packets, first, last) in self.edges.items()]


def _oriented(src: str, dst: str, dst_port: int, src_port: int | None, protocol: str) -> EdgeKey:
    """(client, server, server port, protocol, client port) of one flow, a reply turned around the way the graph
    reads flows (``planner.graph.observations.from_flows``); the client port is kept only when neither port
    says who serves (both ephemeral), so such a flow stays what it was."""
    src, dst, protocol = normalize_ip(src), normalize_ip(dst), protocol.lower()
    if not is_ephemeral(dst_port):
        return src, dst, dst_port, protocol, None
    if src_port is not None and not is_ephemeral(src_port):
        return dst, src, src_port, protocol, None
    return src, dst, dst_port, protocol, src_port


def aggregate_flows(records: Iterable[FlowRecord]) -> list[FlowRecord]:
    """One record per edge (client, server, port, protocol): ``count`` rows, summed bytes and packets, the earliest
    first and latest last seen. The graph built from the edges is the one built from the rows."""
    aggregate = _Aggregate()
    for r in records:
        aggregate.add(r.src_ip, r.dst_ip, r.dst_port, r.src_port, r.protocol, r.bytes, r.packets, r.first_seen,
                      r.last_seen, r.count)
    return aggregate.records()
