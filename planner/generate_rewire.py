"""Rewiring: the VM's own addresses become the listen-address token, discovered peers' addresses become the peer
image's service name, and any other address stays (reported, so DECISIONS.md can say so)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from planner.models.generation import LISTEN_TOKEN

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_KEEP = {"0.0.0.0", "127.0.0.1", "255.255.255.255"}  # noqa: S104 (addresses in text, not a bind)


def _pattern(address: str) -> re.Pattern[str]:
    if ":" in address:
        return re.compile(rf"(?<![\w:]){re.escape(address)}(?![\w:])")
    return re.compile(rf"(?<![\w.]){re.escape(address)}(?![\w]|\.\d)")


@dataclass
class Rewiring:
    """Replacements for one image: own addresses -> ``@@LISTEN_ADDRESS@@``, peer address -> service name."""

    own: list[str]
    peers: dict[str, str] = field(default_factory=dict)
    """address -> service name"""

    def __post_init__(self) -> None:
        pairs = [(a, LISTEN_TOKEN) for a in self.own] + [(a, name) for a, name in self.peers.items()]
        pairs.sort(key=lambda pair: -len(pair[0]))  # longer first: 10.0.0.12 before 10.0.0.1
        self._rules = [(_pattern(address), value) for address, value in pairs]

    def text(self, value: str) -> str:
        for pattern, replacement in self._rules:
            value = pattern.sub(replacement, value)
        return value

    def argv(self, argv: Iterable[str]) -> list[str]:
        return [self.text(arg) for arg in argv]

    def unknown(self, value: str) -> list[str]:
        """IPv4 addresses left in (already rewired) text, other than 127.0.0.1, wildcards and broadcast."""
        found = []
        for match in _IPV4.findall(value):
            try:
                ip = ipaddress.ip_address(match)
            except ValueError:
                continue
            if match in _KEEP or ip.is_unspecified or ip.is_multicast or match in found:
                continue
            found.append(match)
        return found


def peer_names(connections: Iterable[tuple[str, int | None]], address_owner: Mapping[str, str],
               service_of: Mapping[tuple[str, int], str], linked: Iterable[str]) -> dict[str, str]:
    """Peer address -> service name, for outbound connections (address, port) to a VM in ``linked`` (the graph's
    neighbours) whose image serves that port."""
    allowed = set(linked)
    names: dict[str, str] = {}
    for address, port in connections:
        node = address_owner.get(address)
        if node is None or node not in allowed or port is None:
            continue
        name = service_of.get((node, port))
        if name is not None:
            names[address] = name
    return names
