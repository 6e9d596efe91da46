"""Write an Ansible inventory (YAML) of a snapshot's powered-on VMs to start discovery from.

Hosts are named by VM name where that is a safe host pattern (else a sanitised form), with ``ansible_host`` from
the guest IPs and ``planner_vm`` naming the VM. Groups: ``cluster_*``, ``os_*``, ``tag_<category>_<name>``. VM
names and tags are untrusted: every value is written with YAML's ``!unsafe`` tag so Ansible never templates it.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from typing import Any

import yaml

from planner.models import Estate, PowerState, Vm
from planner.models.identity import vm_display_ids
from planner.text import escape_invisible, has_invisible

SAFE_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class Unsafe(str):
    """A string Ansible must not template (dumped as ``!unsafe``)."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    pass


def _scalar(tag: str) -> Any:
    """A representer that double-quotes strings with invisible characters, so ``escape_invisible`` can escape them."""
    def represent(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        return dumper.represent_scalar(tag, str(value), style='"' if has_invisible(value) else None)
    return represent


_Dumper.add_representer(Unsafe, _scalar("!unsafe"))
_Dumper.add_representer(str, _scalar("tag:yaml.org,2002:str"))


def group_name(*parts: str) -> str:
    """A valid Ansible group name: lower case letters, digits and underscores, not starting with a digit."""
    text = re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_") or "unnamed"
    return text if not text[0].isdigit() else "_" + text


def _best_address(vm: Vm) -> str | None:
    candidates = [*vm.guest_ips, *(ip for nic in vm.nics for ip in nic.ips)]
    parsed = []
    for text in candidates:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        if ip.is_link_local or ip.is_unspecified or ip.is_multicast:
            continue
        parsed.append(ip)
    parsed.sort(key=lambda ip: (ip.version, ip.is_loopback))
    return str(parsed[0]) if parsed else None


def _host_name(vm: Vm, used: set[str]) -> str:
    base = vm.name if SAFE_HOST.match(vm.name) else (re.sub(r"[^A-Za-z0-9._-]+", "-", vm.name).strip("-.") or "vm")
    name, number = base, 2
    while name in used:
        name = f"{base}-{number}"
        number += 1
    used.add(name)
    return name


def build_inventory(estate: Estate) -> tuple[dict[str, Any], list[str]]:
    """The inventory as data, and the VMs left out (no usable guest IP) for the user to fill in."""
    hosts: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    skipped = []
    used: set[str] = set()
    workloads = estate.workloads()
    for vm, display in zip(workloads, vm_display_ids(workloads), strict=True):
        if vm.power_state is not PowerState.ON:
            continue
        address = _best_address(vm)
        name = _host_name(vm, used)
        variables: dict[str, Any] = {"planner_vm": Unsafe(display)}  # the name, or name [source:moid] if shared
        if address:
            variables["ansible_host"] = Unsafe(address)
        else:
            skipped.append(vm.name)
        hosts[name] = variables
        if vm.cluster:
            groups[group_name("cluster", vm.cluster)].append(name)
        groups[group_name("os", vm.guest.family.value)].append(name)
        for tag in vm.tags:
            groups[group_name("tag", tag.category, tag.name)].append(name)
    children = {group: {"hosts": {host: None for host in sorted(members)}} for group, members in sorted(groups.items())}
    inventory = {"all": {"hosts": dict(sorted(hosts.items())), "children": children}}
    return inventory, skipped


def inventory_yaml(estate: Estate) -> tuple[str, list[str]]:
    """YAML text of ``build_inventory`` (with a header comment)."""
    data, skipped = build_inventory(estate)
    header = ("# Ansible inventory written by `planner discover inventory`. Add connection settings (ansible_user,\n"
              "# ansible_ssh_private_key_file, ansible_become, a jump host via ansible_ssh_common_args) as you\n"
              "# would for any playbook; Windows hosts need ansible_connection: winrm or psrp.\n")
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    return header + escape_invisible(text), skipped
