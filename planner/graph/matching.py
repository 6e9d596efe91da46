"""Match discovered guests to the snapshot's VMs.

Order (the first method that gives exactly one VM wins; a method giving several is reported as ambiguous and the
next one is tried):

1. ``planner_vm`` host variable (written by `planner discover inventory`): the VM's display id (``name [source:moid]``
   for a name two VMs share), else the exact VM name;
2. Ansible inventory name = VM name (exact, then case-insensitive);
3. guest host name or FQDN (short name too) = VM name or the VM's guest host name (case-insensitive);
4. guest IP: the address discovery reached and the guest's interface addresses, against the VM's guest IPs;
5. BIOS UUID (SMBIOS product UUID, also in VMware's byte-swapped form).

A VM claimed by two guests is reported; both keep their match.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from planner.graph.build import vm_node_ids
from planner.graph.observations import is_loopback, normalize_ip
from planner.models import Estate, Vm
from planner.models.discovery import GuestDiscovery


@dataclass
class MatchReport:
    matched: dict[str, tuple[str, str]] = field(default_factory=dict)
    """guest host -> (VM node id, method)"""
    unmatched: list[str] = field(default_factory=list)
    ambiguities: list[str] = field(default_factory=list)


def _uuid_forms(text: str | None) -> set[str]:
    if not text:
        return set()
    try:
        value = uuid.UUID(text.strip())
    except ValueError:
        return {text.strip().lower()}
    return {str(value), str(uuid.UUID(bytes_le=value.bytes))}


class _Index:
    def __init__(self, vms: Sequence[Vm], ids: Sequence[str]) -> None:
        self.display: dict[str, list[str]] = {node: [node] for node in ids}
        self.exact: dict[str, list[str]] = defaultdict(list)
        self.folded: dict[str, list[str]] = defaultdict(list)
        self.hostnames: dict[str, list[str]] = defaultdict(list)
        self.ips: dict[str, list[str]] = defaultdict(list)
        self.uuids: dict[str, list[str]] = defaultdict(list)
        for vm, node in zip(vms, ids, strict=True):
            self.exact[vm.name].append(node)
            self.folded[vm.name.casefold()].append(node)
            self.hostnames[vm.name.casefold()].append(node)
            if vm.guest.hostname:
                for name in {vm.guest.hostname.casefold(), vm.guest.hostname.casefold().split(".", 1)[0]}:
                    if node not in self.hostnames[name]:
                        self.hostnames[name].append(node)
            addresses = {normalize_ip(ip) for ip in vm.guest_ips} | {normalize_ip(ip) for nic in vm.nics
                                                                      for ip in nic.ips}
            for ip in addresses:
                self.ips[ip].append(node)
            for form in _uuid_forms(vm.bios_uuid):
                self.uuids[form].append(node)


def _candidates(guest: GuestDiscovery, planner_vm: str | None, index: _Index) -> list[tuple[str, list[str]]]:
    names = {n.casefold() for n in (guest.hostname, guest.fqdn) if n}
    names |= {n.split(".", 1)[0] for n in names}
    by_name = sorted({node for name in names for node in index.hostnames.get(name, [])})
    addresses = {normalize_ip(a) for a in [*guest.addresses, *guest.interface_addresses]}
    by_ip = sorted({node for ip in addresses if not is_loopback(ip) or ip not in {"127.0.0.1", "::1"}
                    for node in index.ips.get(ip, [])})
    by_uuid = sorted({node for form in _uuid_forms(guest.bios_uuid) for node in index.uuids.get(form, [])})
    exact = index.exact.get(guest.host, []) or index.folded.get(guest.host.casefold(), [])
    return [
        ("planner-vm", (index.display.get(planner_vm) or index.exact.get(planner_vm, [])) if planner_vm else []),
        ("inventory-name", exact),
        ("vm-name", by_name),
        ("guest-ip", by_ip),
        ("bios-uuid", by_uuid),
    ]


def match_guests(estate: Estate, guests: Sequence[GuestDiscovery]) -> MatchReport:
    """Set ``guest.vm`` and ``guest.matched_by`` in place; return what matched, what did not, and ambiguities."""
    vms = estate.workloads()
    ids = vm_node_ids(vms)
    index = _Index(vms, ids)
    report = MatchReport()
    claimed: dict[str, list[str]] = defaultdict(list)
    for guest in guests:
        guest.vm = guest.matched_by = None
        for method, nodes in _candidates(guest, guest.planner_vm, index):
            if len(nodes) == 1:
                guest.vm, guest.matched_by = nodes[0], method
                report.matched[guest.host] = (nodes[0], method)
                claimed[nodes[0]].append(guest.host)
                break
            if len(nodes) > 1:
                shown = ", ".join(nodes[:5]) + (" ..." if len(nodes) > 5 else "")
                report.ambiguities.append(f"{guest.host}: {method} matches {len(nodes)} VMs ({shown})")
        else:
            report.unmatched.append(guest.host)
    for node, hosts in sorted(claimed.items()):
        if len(hosts) > 1:
            report.ambiguities.append(f"VM {node} is matched by {len(hosts)} guests: {', '.join(sorted(hosts))}")
    return report
