"""Windows guests: best-effort facts from the PowerShell JSON the playbook's raw tasks print."""

from __future__ import annotations

import ipaddress
import json

from planner.discovery import parse
from planner.discovery.raw import RawGuest
from planner.discovery.redact import redact_args
from planner.models.discovery import Connection, GuestDiscovery, Listener, WindowsService

WILDCARDS = {"0.0.0.0", "::", "*", ""}  # noqa: S104 - matched against, never bound


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _serves(listeners: list[Listener], address: str, port: int) -> bool:
    return any(listener.port == port and (listener.address in WILDCARDS or listener.address == address)
               for listener in listeners)


def merge_windows(raw: RawGuest, guest: GuestDiscovery) -> None:
    """Best effort: identity, services, listening/established TCP sockets and IIS sites from PowerShell JSON."""
    guest.system = "Windows"
    ident = _json(raw.windows.get("identity"))
    if isinstance(ident, dict):
        guest.os.name = str(ident.get("caption") or "") or None
        guest.kernel = str(ident.get("version") or "") or None
        guest.arch = str(ident.get("arch") or "") or None
        guest.hostname = str(ident.get("hostname") or "") or None
        guest.bios_uuid = str(ident.get("uuid") or "").lower() or None
    services = _json(raw.windows.get("services"))
    services = [services] if isinstance(services, dict) else services if isinstance(services, list) else []
    for item in (entry for entry in services if isinstance(entry, dict)):
        guest.windows_services.append(WindowsService(
            name=str(item.get("name", "")), display_name=_text(item.get("display_name")),
            state=_text(item.get("state")), start_mode=_text(item.get("start_mode")), path=_redacted(item.get("path"))))
    sites = _json(raw.windows.get("iis"))
    if isinstance(sites, list):
        guest.iis_sites = [str(site) for site in sites]
    elif isinstance(sites, str):
        guest.iis_sites = [sites]
    listeners: dict[tuple[str, int], Listener] = {}
    connections: dict[tuple[object, ...], Connection] = {}
    for sample in raw.samples:
        rows = _json(sample.text)
        rows = [rows] if isinstance(rows, dict) else rows if isinstance(rows, list) else []
        rows = sorted((row for row in rows if isinstance(row, dict)),
                      key=lambda row: str(row.get("state", "")).lower() not in {"listen", "2"})
        guest.samples += 1
        for row in rows:
            if not isinstance(row, dict):
                continue
            try:
                local, lport = parse.normalize_address(str(row["local"])), _port(row["lport"])
                peer, pport = parse.normalize_address(str(row.get("peer") or "")), _port(row.get("pport") or 0)
            except (KeyError, TypeError, ValueError):
                continue
            process = _text(row.get("process"))
            state = str(row.get("state", ""))
            if state.lower() == "listen" or state == "2":
                listeners[(local, lport)] = Listener(protocol="tcp", address=local, port=lport, process=process)
            elif peer and not _loopback(peer):
                inbound = _serves(list(listeners.values()), local, lport)
                key = ("inbound", local, lport, peer, process) if inbound else ("outbound", peer, pport, process)
                if key in connections:
                    connections[key].count += 1
                else:
                    connections[key] = Connection(
                        direction="inbound" if inbound else "outbound", local_address=local,
                        local_port=lport if inbound else None, peer_address=peer, peer_port=None if inbound else pport,
                        process=process, first_seen=sample.received, last_seen=sample.received)
    guest.listeners = list(listeners.values())
    guest.connections = list(connections.values())


def _json(text: str | None) -> object:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _port(value: object) -> int:
    """A port from JSON: an int or ASCII digits within 0-65535, else ValueError (the row is skipped)."""
    port = value if isinstance(value, int) and not isinstance(value, bool) else parse.number(str(value),
                                                                                            parse.PORT_MAX)
    if port is None or not 0 <= port <= parse.PORT_MAX:
        raise ValueError(f"not a port: {value!r}")
    return port


def _redacted(value: object) -> str | None:
    text = _text(value)
    return None if text is None else redact_args(text)
