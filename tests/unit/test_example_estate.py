"""The bundled example estate: valid, reproducible, and showing every trait the model can hold."""

from __future__ import annotations

import importlib.util
import ipaddress
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from planner.models import Estate, OsFamily, PowerState, Snapshot, Vm, os_family

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"
DOC_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]


@pytest.fixture(scope="module")
def estate() -> Estate:
    return Estate.model_validate_json((EXAMPLE / "estate.json").read_text(encoding="utf-8"))


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_estate_build", EXAMPLE / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _old(vm: Vm, estate: Estate) -> bool:
    stack = list(vm.snapshots)
    while stack:
        node = stack.pop()
        if node.created and node.created < estate.collected_at - timedelta(days=365):
            return True
        stack.extend(node.children)
    return False


def _annotation(vm: Vm, *words: str) -> bool:
    return any(w.lower() in (vm.annotation or "").lower() for w in words)


VM_TRAITS: dict[str, Callable[[Vm, Estate], bool]] = {
    "web nginx on linux": lambda v, e: _annotation(v, "nginx") and v.guest.family == OsFamily.LINUX,
    "web apache on linux": lambda v, e: _annotation(v, "apache") and v.guest.family == OsFamily.LINUX,
    "app java": lambda v, e: _annotation(v, "openjdk", "tomcat"),
    "app python": lambda v, e: _annotation(v, "flask", "gunicorn"),
    "app node": lambda v, e: _annotation(v, "node.js"),
    "db postgresql": lambda v, e: _annotation(v, "postgresql"),
    "db mysql": lambda v, e: _annotation(v, "mysql"),
    "db oracle": lambda v, e: _annotation(v, "oracle"),
    "db sql server on windows": lambda v, e: _annotation(v, "sql server") and v.guest.family == OsFamily.WINDOWS,
    "windows active directory": lambda v, e: _annotation(v, "domain controller"),
    "windows iis": lambda v, e: _annotation(v, "iis") and v.guest.family == OsFamily.WINDOWS,
    "windows file server": lambda v, e: _annotation(v, "file server"),
    "bsd appliance": lambda v, e: v.guest.family == OsFamily.BSD,
    "solaris box": lambda v, e: v.guest.family == OsFamily.SOLARIS,
    "physical rdm": lambda v, e: any(d.backing == "rdm" and d.rdm_mode == "physical" for d in v.disks),
    "virtual rdm": lambda v, e: any(d.backing == "rdm" and d.rdm_mode == "virtual" for d in v.disks),
    "multi-writer disk": lambda v, e: any(d.multi_writer for d in v.disks),
    "independent disk": lambda v, e: any(d.independent and d.backing != "rdm" and not d.multi_writer
                                         for d in v.disks),
    "thin disk": lambda v, e: any(d.thin for d in v.disks),
    "eager-zeroed thick disk": lambda v, e: any(d.eager_zero and not d.thin and not d.multi_writer
                                                for d in v.disks),
    "lazy-zeroed thick disk": lambda v, e: any(d.eager_zero is False and d.thin is False for d in v.disks),
    "eager-zeroed multi-writer disk": lambda v, e: any(d.multi_writer and d.eager_zero for d in v.disks),
    "scsi bus without sharing": lambda v, e: any(d.controller_sharing == "noSharing" for d in v.disks),
    "physical scsi bus sharing on an rdm": lambda v, e: any(
        d.backing == "rdm" and d.controller_sharing == "physicalSharing" for d in v.disks),
    "connected iso": lambda v, e: any(c.backing == "iso" and c.connected and c.iso_path for c in v.devices.cdroms),
    "usb controller": lambda v, e: bool(v.devices.usb_controllers),
    "usb licence dongle": lambda v, e: bool(v.devices.usb_devices) and _annotation(v, "dongle"),
    "serial port": lambda v, e: bool(v.devices.serial_ports),
    "parallel port": lambda v, e: bool(v.devices.parallel_ports),
    "pci passthrough": lambda v, e: any(p.kind == "passthrough" for p in v.devices.pci),
    "vgpu": lambda v, e: any(p.kind == "vgpu" for p in v.devices.pci),
    "scsi passthrough tape": lambda v, e: bool(v.devices.scsi_passthrough),
    "sr-iov nic": lambda v, e: any(n.adapter == "sriovethernetcard" for n in v.nics),
    "numa node affinity": lambda v, e: bool(v.numa_node_affinity),
    "tpm + secure boot + efi": lambda v, e: bool(v.devices.tpm and v.secure_boot and v.firmware == "efi"),
    "nested snapshot tree": lambda v, e: any(s.children for s in v.snapshots),
    "current snapshot deep in a tree": lambda v, e: bool(v.current_snapshot) and v.current_snapshot not in {
        s.name for s in v.snapshots},
    "old snapshot": _old,
    "consolidation needed": lambda v, e: bool(v.consolidation_needed),
    "huge vm": lambda v, e: (v.num_cpu or 0) >= 48 and (v.memory_mib or 0) >= 768 * 1024,
    "cpu reservation": lambda v, e: bool(v.cpu_reservation_mhz),
    "memory reservation": lambda v, e: bool(v.memory_reservation_mib),
    "cpu limit": lambda v, e: v.cpu_limit_mhz is not None,
    "memory limit": lambda v, e: v.memory_limit_mib is not None,
    "latency sensitivity high": lambda v, e: v.latency_sensitivity == "high",
    "cpu affinity": lambda v, e: bool(v.cpu_affinity),
    "fault tolerance": lambda v, e: v.ft_state == "running",
    "cpu hot-add": lambda v, e: bool(v.cpu_hot_add),
    "memory hot-add": lambda v, e: bool(v.memory_hot_add),
    "many nics": lambda v, e: len(v.nics) >= 4,
    "powered off": lambda v, e: v.power_state == PowerState.OFF and not v.template,
    "suspended": lambda v, e: v.power_state == PowerState.SUSPENDED,
    "tools not installed": lambda v, e: v.tools.status == "toolsNotInstalled",
    "tools old": lambda v, e: v.tools.status == "toolsOld",
    "tools report another os than configured": lambda v, e: bool(
        v.guest.tools_id and v.guest.tools_id != v.guest.configured_id),
    "pci-dss compliance attribute": lambda v, e: v.custom_attributes.get("Compliance") == "PCI-DSS",
    "compliance/pci tag": lambda v, e: any((t.category, t.name) == ("compliance", "pci") for t in v.tags),
    "env/prod tag": lambda v, e: any((t.category, t.name) == ("env", "prod") for t in v.tags),
    "tier/web tag": lambda v, e: any((t.category, t.name) == ("tier", "web") for t in v.tags),
    "app tag": lambda v, e: any(t.category == "app" for t in v.tags),
    "annotation escaping": lambda v, e: all(s in (v.annotation or "") for s in ('"', "\n", "{{", "}}", "$(")),
    "usage quickstats": lambda v, e: bool(v.usage.cpu_mhz and v.usage.guest_memory_mib and v.usage.uptime_seconds),
}


def test_validates_against_the_model(estate: Estate) -> None:
    assert estate.sources[0].name == "vcenter.example.test"
    assert len(estate.vms) >= 38
    assert len({vm.name for vm in estate.vms}) == len(estate.vms)


@pytest.mark.parametrize("trait", sorted(VM_TRAITS))
def test_every_trait_appears(estate: Estate, trait: str) -> None:
    assert any(VM_TRAITS[trait](vm, estate) for vm in estate.vms), f"no VM shows {trait!r}"


def test_two_templates(estate: Estate) -> None:
    templates = [vm for vm in estate.vms if vm.template]
    assert len(templates) == 2
    assert all(vm.power_state == PowerState.OFF for vm in templates)


def test_custom_attributes_everywhere(estate: Estate) -> None:
    for vm in estate.vms:
        assert {"Owner", "CostCenter", "Environment"} <= set(vm.custom_attributes), vm.name


def test_infrastructure_shape(estate: Estate) -> None:
    assert 1 <= len(estate.datacenters) <= 2
    assert 2 <= len(estate.clusters) <= 3
    kinds = {rule.kind for cl in estate.clusters for rule in cl.rules}
    assert {"vm-anti-affinity", "vm-host"} <= kinds
    assert any(cl.drs_enabled for cl in estate.clusters) and any(cl.ha_enabled for cl in estate.clusters)
    assert sum(bool(h.maintenance_mode) for h in estate.hosts) == 1
    assert all(h.version and h.cpu_model and h.cpu_cores and h.memory_mib for h in estate.hosts)
    assert {n.kind for n in estate.networks} == {"standard", "distributed-portgroup"}
    for cl in estate.clusters:
        assert cl.host_count == sum(h.cluster == cl.name for h in estate.hosts)


def _walk(nodes: list[Snapshot]) -> list[Snapshot]:
    """Every snapshot of a tree, pre-order."""
    return [n for node in nodes for n in (node, *_walk(node.children))]


def _newest_leaf(nodes: list[Snapshot]) -> str | None:
    leaves = [n for n in _walk(nodes) if not n.children]
    return max(leaves, key=lambda n: n.created or datetime.min.replace(tzinfo=UTC)).name if leaves else None


def test_current_snapshot_is_in_the_tree(estate: Estate) -> None:
    for vm in estate.vms:
        assert (vm.current_snapshot is None) is (not vm.snapshots), vm.name
        if vm.snapshots:
            assert vm.current_snapshot in [n.name for n in _walk(vm.snapshots)], vm.name
            assert vm.current_snapshot == _newest_leaf(vm.snapshots), vm.name


def test_disk_provisioning_and_bus_sharing_are_consistent(estate: Estate) -> None:
    for vm in estate.vms:
        buses: dict[str | None, set[str | None]] = {}
        for disk in vm.disks:
            buses.setdefault(disk.controller, set()).add(disk.controller_sharing)
            assert disk.controller_sharing in ("noSharing", "virtualSharing", "physicalSharing"), vm.name
            if disk.backing == "rdm":
                assert disk.eager_zero is None and disk.thin is None, vm.name
            else:
                assert isinstance(disk.eager_zero, bool), vm.name
                assert not (disk.thin and disk.eager_zero), vm.name
            if disk.multi_writer:  # vSphere needs eager-zeroed thick for multi-writer
                assert disk.eager_zero and disk.thin is False, vm.name
        assert all(len(modes) == 1 for modes in buses.values()), (vm.name, buses)


def test_host_groups_and_datastore_mounts(estate: Estate) -> None:
    hosts = {h.name: h for h in estate.hosts}
    vms = {vm.name: vm for vm in estate.vms}
    datastores = {d.name: d for d in estate.datastores}
    clusters = {c.name: c for c in estate.clusters}
    vm_host_rules = [(cl, r) for cl in estate.clusters for r in cl.rules if r.kind == "vm-host"]
    assert vm_host_rules and all(r.hosts for _, r in vm_host_rules)
    for cl, rule in vm_host_rules:
        assert all(hosts[h].cluster == cl.name for h in rule.hosts), rule.name
        assert len(rule.hosts) < clusters[cl.name].host_count, rule.name  # a real subset of the cluster
        if rule.mandatory and rule.affine:
            assert all(vms[v].host in rule.hosts for v in rule.vms), rule.name
    for ds in estate.datastores:
        assert ds.hosts == sorted(ds.hosts) and set(ds.hosts) <= set(hosts), ds.name
        assert all(hosts[h].datacenter == ds.datacenter for h in ds.hosts), ds.name
        assert (len(ds.hosts) > 1) is bool(ds.multiple_host_access), ds.name
    assert any(len(d.hosts) == 1 for d in estate.datastores) and any(len(d.hosts) > 1 for d in estate.datastores)
    for vm in estate.vms:  # a VM's host mounts every datastore its disks and ISOs live on
        used = {d.datastore for d in vm.disks} | {c.iso_path[1:].split("]")[0] for c in vm.devices.cdroms
                                                   if c.iso_path}
        assert all(vm.host in datastores[name].hosts for name in used), vm.name


def test_references_resolve(estate: Estate) -> None:
    vm_names = {vm.name for vm in estate.vms}
    hosts = {h.name: h for h in estate.hosts}
    networks = {n.name for n in estate.networks}
    datastores = {d.name for d in estate.datastores}
    for rule in (r for cl in estate.clusters for r in cl.rules):
        assert set(rule.vms) <= vm_names
    for vm in estate.vms:
        assert vm.host in hosts and hosts[vm.host].cluster == vm.cluster, vm.name
        assert not hosts[vm.host].maintenance_mode, vm.name
        assert {nic.network for nic in vm.nics} <= networks, vm.name
        assert {d.datastore for d in vm.disks} <= datastores, vm.name
        assert vm.guest_ips == [ip for nic in vm.nics for ip in nic.ips]


def test_ips_only_in_documentation_ranges(estate: Estate) -> None:
    seen: list[str] = []
    for vm in estate.vms:
        for ip in [*vm.guest_ips, *(ip for nic in vm.nics for ip in nic.ips)]:
            assert any(ipaddress.ip_address(ip) in net for net in DOC_NETS), (vm.name, ip)
        seen += vm.guest_ips
    assert len(seen) == len(set(seen)), "an address is used twice"
    macs = [nic.mac for vm in estate.vms for nic in vm.nics]
    assert len(macs) == len(set(macs))


def test_family_matches_the_identifiers(estate: Estate) -> None:
    for vm in estate.vms:
        g = vm.guest
        assert g.family == os_family(g.tools_id, g.tools_name, g.configured_id, g.configured_name), vm.name
        assert g.family == os_family(g.tools_id, g.configured_id), vm.name
    assert {OsFamily.LINUX, OsFamily.WINDOWS, OsFamily.BSD, OsFamily.SOLARIS} <= {v.guest.family for v in estate.vms}


def test_build_regenerates_identical_bytes(tmp_path: Path) -> None:
    committed = (EXAMPLE / "estate.json").read_bytes()
    assert _build_module().render().encode("utf-8") == committed
    out = tmp_path / "estate.json"
    subprocess.run([sys.executable, str(EXAMPLE / "build.py"), "--output", str(out)], check=True)
    assert out.read_bytes() == committed
    check = subprocess.run([sys.executable, str(EXAMPLE / "build.py"), "--check"], check=False)
    assert check.returncode == 0
