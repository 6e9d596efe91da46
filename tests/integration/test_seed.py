"""Seed the bundled example estate into vcsim and read it back with raw PropertyCollector calls.

This checks the seeder (tests/support/seed.py), not the project's collector: everything here is read with plain
pyVmomi ``RetrievePropertiesEx`` over a ``ContainerView`` and with the vAPI REST tagging calls.
"""

from __future__ import annotations

import json
import urllib.request
from base64 import b64encode
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from planner.models import Disk, Estate, PowerState, Snapshot, Vm
from tests.support.seed import TRAIT_FIELDS, SeedResult, seed_estate

pytestmark = pytest.mark.vcsim

ESTATE_JSON = Path(__file__).resolve().parents[2] / "inventories" / "example" / "estate.json"
VM_PATHS = [
    "name", "config.template", "config.guestId", "config.hardware.numCPU", "config.hardware.numCoresPerSocket",
    "config.hardware.memoryMB", "config.hardware.device", "config.firmware", "config.bootOptions",
    "config.cpuAllocation", "config.memoryAllocation", "config.latencySensitivity", "config.cpuAffinity",
    "config.cpuHotAddEnabled", "config.memoryHotAddEnabled", "config.annotation", "config.uuid",
    "config.instanceUuid", "config.version", "runtime.powerState", "runtime.host", "snapshot.rootSnapshotList",
    "snapshot.currentSnapshot",
    "customValue", "guest.toolsStatus", "guest.toolsRunningStatus", "guest.toolsVersion", "guest.hostName",
    "guest.ipAddress", "guest.guestId", "summary.quickStats.overallCpuUsage", "summary.quickStats.guestMemoryUsage",
    "summary.quickStats.uptimeSeconds", "runtime.faultToleranceState", "runtime.consolidationNeeded", "parent",
    "config.extraConfig",
]


def collect(si: Any, kind: type, paths: list[str], root: Any = None) -> dict[str, dict[str, Any]]:
    """name -> {path: value} for every ``kind`` object under ``root``: one ContainerView, paged retrieval."""
    content = si.content
    view = content.viewManager.CreateContainerView(root or content.rootFolder, [kind], True)
    pc = vmodl.query.PropertyCollector
    try:
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=view, skip=True, selectSet=[
                pc.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)])],
            propSet=[pc.PropertySpec(type=kind, pathSet=sorted(set(paths) | {"name"}))])
        result = content.propertyCollector.RetrievePropertiesEx([spec], pc.RetrieveOptions(maxObjects=20))
        out: dict[str, dict[str, Any]] = {}
        while result:
            for obj in result.objects:
                props = {p.name: p.val for p in obj.propSet}
                props["_moid"] = obj.obj._moId
                out[props["name"]] = props
            token = result.token
            result = content.propertyCollector.ContinueRetrievePropertiesEx(token) if token else None
        return out
    finally:
        view.DestroyView()


@pytest.fixture(scope="module")
def estate() -> Estate:
    return Estate.model_validate_json(ESTATE_JSON.read_text(encoding="utf-8"))


@pytest.fixture
def seeded(vcsim_factory: Callable[..., Any], estate: Estate, tmp_path: Path) -> tuple[Any, Any, SeedResult]:
    sim = vcsim_factory(dc=1, cluster=1, host=1, vm=0, ds=1)
    si = sim.connect()
    result = seed_estate(si, estate, rest=(sim.host, sim.port, sim.user, sim.password, sim.ssl_context()),
                         workdir=str(tmp_path))
    return sim, si, result


def vms_in_estate_dcs(si: Any, estate: Estate, result: SeedResult) -> dict[str, dict[str, Any]]:
    dcs = {d._moId: d for d in si.content.rootFolder.childEntity if isinstance(d, vim.Datacenter)}
    out: dict[str, dict[str, Any]] = {}
    for dc in estate.datacenters:
        out.update(collect(si, vim.VirtualMachine, VM_PATHS, dcs[result.datacenters[dc.name]]))
    return out


def test_seeding_maps_every_object(seeded: tuple, estate: Estate) -> None:
    _, _, result = seeded
    assert set(result.vms) == {vm.name for vm in estate.vms}
    assert set(result.hosts) == {h.name for h in estate.hosts}
    assert set(result.networks) == {n.name for n in estate.networks}
    assert set(result.datastores) == {d.name for d in estate.datastores}
    for seed in result.vms.values():
        assert seed.seeded | set(seed.unsupported) <= set(TRAIT_FIELDS)
        assert seed.via_hook <= seed.seeded and not seed.seeded & set(seed.unsupported)


def test_infrastructure_reads_back(seeded: tuple, estate: Estate) -> None:
    _, si, result = seeded
    clusters = collect(si, vim.ClusterComputeResource, ["configurationEx", "host"])
    for cl in estate.clusters:
        config = clusters[cl.name]["configurationEx"]  # vcsim ignores DRS/HA settings: see result.unsupported
        assert {r.name for r in config.rule} == {r.name for r in cl.rules}
        assert len(clusters[cl.name]["host"]) == cl.host_count
    assert "cluster_drs_ha" in result.unsupported
    rule = next(r for c in clusters.values() for r in c["configurationEx"].rule if r.name == "oracle-licensed-hosts")
    assert isinstance(rule, vim.cluster.VmHostRuleInfo) and rule.vmGroupName == "oracle-vms"
    hosts = collect(si, vim.HostSystem, ["runtime.inMaintenanceMode"])
    for host in estate.hosts:
        assert hosts[host.name]["runtime.inMaintenanceMode"] == host.maintenance_mode
    portgroups = collect(si, vim.dvs.DistributedVirtualPortgroup, ["config.distributedVirtualSwitch"])
    assert {n.name for n in estate.networks if n.kind == "distributed-portgroup"} <= set(portgroups)
    assert set(collect(si, vim.Datastore, ["summary.name"])) >= {d.name for d in estate.datastores}


def test_vm_configuration_reads_back(seeded: tuple, estate: Estate) -> None:
    _, si, result = seeded
    vms = vms_in_estate_dcs(si, estate, result)
    assert len(vms) == len(estate.vms)
    for vm in estate.vms:
        got = vms[vm.name]
        assert got["_moid"] == result.vms[vm.name].moid
        assert got["config.template"] is vm.template
        assert got["config.guestId"] == vm.guest.configured_id
        assert (got["config.hardware.numCPU"], got["config.hardware.memoryMB"]) == (vm.num_cpu, vm.memory_mib)
        assert got["config.hardware.numCoresPerSocket"] == vm.cores_per_socket
        assert got["config.firmware"] == vm.firmware and got["config.version"] == vm.hardware_version
        assert bool(got["config.bootOptions"].efiSecureBootEnabled) is bool(vm.secure_boot)
        assert got["config.cpuAllocation"].reservation == vm.cpu_reservation_mhz
        assert got["config.cpuAllocation"].limit == (vm.cpu_limit_mhz or -1)
        assert got["config.memoryAllocation"].reservation == vm.memory_reservation_mib
        assert got["config.memoryAllocation"].limit == (vm.memory_limit_mib or -1)
        assert got["config.latencySensitivity"].level == vm.latency_sensitivity
        affinity = got.get("config.cpuAffinity")
        assert (list(affinity.affinitySet) if affinity else None) == vm.cpu_affinity
        numa = [o.value for o in got.get("config.extraConfig") or () if o.key == "numa.nodeAffinity"]
        assert numa == ([",".join(map(str, vm.numa_node_affinity))] if vm.numa_node_affinity else []), vm.name
        assert (got["config.cpuHotAddEnabled"], got["config.memoryHotAddEnabled"]) == (vm.cpu_hot_add,
                                                                                       vm.memory_hot_add)
        assert got.get("config.annotation", "") == (vm.annotation or "")
        assert (got["config.uuid"], got["config.instanceUuid"]) == (vm.bios_uuid, vm.instance_uuid)
        assert got["runtime.powerState"] == (vm.power_state or PowerState.OFF).value
        assert got["parent"].name == (vm.folder or "").rstrip("/").rsplit("/", 1)[-1], vm.name
        assert got["runtime.host"]._moId == result.hosts[vm.host or ""]
    nasty = vms["ci-jenkins-01"]["config.annotation"]
    assert "\n" in nasty and '"' in nasty and "{{" in nasty and "$(" in nasty


def _disk_backings(devices: list) -> list:
    return [d.backing for d in devices if isinstance(d, vim.vm.device.VirtualDisk)]


def test_devices_read_back(seeded: tuple, estate: Estate) -> None:
    _, si, result = seeded
    vms = vms_in_estate_dcs(si, estate, result)
    dev = vim.vm.device
    for vm in estate.vms:
        devices = vms[vm.name]["config.hardware.device"]
        backings = _disk_backings(devices)
        assert len(backings) == len(vm.disks), vm.name
        rdm_kind = dev.VirtualDisk.RawDiskMappingVer1BackingInfo
        rdm = sorted(b.compatibilityMode for b in backings if isinstance(b, rdm_kind))
        assert rdm == sorted(f"{d.rdm_mode}Mode" for d in vm.disks if d.backing == "rdm"), vm.name
        flat = [b for b in backings if isinstance(b, dev.VirtualDisk.FlatVer2BackingInfo)]
        assert sum(b.sharing == "sharingMultiWriter" for b in flat) == sum(d.multi_writer for d in vm.disks)
        assert sum(b.diskMode.startswith("independent") for b in flat) == sum(
            d.independent for d in vm.disks if d.backing != "rdm")
        assert sum(bool(b.thinProvisioned) for b in flat) == sum(bool(d.thin) for d in vm.disks)
        nics = [d for d in devices if isinstance(d, dev.VirtualEthernetCard)]
        assert [n.macAddress for n in nics] == [n.mac for n in vm.nics], vm.name
        kinds = {
            "usb_controllers": (dev.VirtualUSBController, dev.VirtualUSBXHCIController),
            "usb_devices": (dev.VirtualUSB,), "serial_ports": (dev.VirtualSerialPort,),
            "parallel_ports": (dev.VirtualParallelPort,), "pci": (dev.VirtualPCIPassthrough,),
            "cdroms": (dev.VirtualCdrom,), "scsi_passthrough": (dev.VirtualSCSIPassthrough,),
        }
        for attr, classes in kinds.items():
            assert sum(isinstance(d, classes) for d in devices) == len(getattr(vm.devices, attr)), (vm.name, attr)
        for cd in (d for d in devices if isinstance(d, dev.VirtualCdrom)):
            if isinstance(cd.backing, dev.VirtualCdrom.IsoBackingInfo):
                assert cd.connectable.connected
    tape = [d for d in vms["bak-media-01"]["config.hardware.device"] if isinstance(d, dev.VirtualSCSIPassthrough)]
    media = next(vm for vm in estate.vms if vm.name == "bak-media-01")
    assert [d.backing.deviceName for d in tape] == [t.device for t in media.devices.scsi_passthrough]
    [sriov] = [d for d in vms["app-fix-gateway-01"]["config.hardware.device"] if isinstance(d, dev.VirtualEthernetCard)]
    assert isinstance(sriov, dev.VirtualSriovEthernetCard)
    gpu = next(d for d in vms["win-cad-01"]["config.hardware.device"] if isinstance(d, dev.VirtualPCIPassthrough))
    assert isinstance(gpu.backing, dev.VirtualPCIPassthrough.VmiopBackingInfo) and gpu.backing.vgpu
    shared = {vm: {b.fileName for b in _disk_backings(vms[vm]["config.hardware.device"])
                   if getattr(b, "sharing", None) == "sharingMultiWriter"}
              for vm in ("db-oracle-rac-01", "db-oracle-rac-02")}
    assert shared["db-oracle-rac-01"] == shared["db-oracle-rac-02"] != set()


def _disks_in_device_order(vm: Vm) -> list[Disk]:
    """The estate's disks in the order the seeder adds them: flat disks at creation, RDMs last."""
    return [d for d in vm.disks if d.backing != "rdm"] + [d for d in vm.disks if d.backing == "rdm"]


def _snapshot_name(nodes: list, current: Any) -> str | None:
    for node in nodes or []:
        if current is not None and node.snapshot._moId == current._moId:
            return node.name
        found = _snapshot_name(node.childSnapshotList, current)
        if found:
            return found
    return None


def test_eager_zero_bus_sharing_and_current_snapshot_read_back(seeded: tuple, estate: Estate) -> None:
    _, si, result = seeded
    vms = vms_in_estate_dcs(si, estate, result)
    dev = vim.vm.device
    for vm in estate.vms:
        devices = vms[vm.name]["config.hardware.device"]
        controllers = {d.key: d for d in devices if isinstance(d, dev.VirtualSCSIController)}
        disks = [d for d in devices if isinstance(d, dev.VirtualDisk)]
        ordered = _disks_in_device_order(vm)
        assert [controllers[d.controllerKey].sharedBus for d in disks] == [
            d.controller_sharing for d in ordered], vm.name
        assert [d.backing.eagerlyScrub for d in disks
                if isinstance(d.backing, dev.VirtualDisk.FlatVer2BackingInfo)] == [
            d.eager_zero for d in ordered if d.backing != "rdm"], vm.name
        current = _snapshot_name(vms[vm.name].get("snapshot.rootSnapshotList"),
                                 vms[vm.name].get("snapshot.currentSnapshot"))
        assert current == vm.current_snapshot, vm.name
        assert {"eager_zero", "bus_sharing", "current_snapshot"} <= result.vms[vm.name].seeded, vm.name
    sql = vms["db-mssql-01"]["config.hardware.device"]
    rdm = next(d for d in sql if isinstance(getattr(d, "backing", None), dev.VirtualDisk.RawDiskMappingVer1BackingInfo))
    assert next(c for c in sql if c.key == rdm.controllerKey).sharedBus == "physicalSharing"


def test_host_groups_and_datastore_mounts_read_back(seeded: tuple, estate: Estate) -> None:
    _, si, result = seeded
    host_names = {moid: name for name, moid in result.hosts.items()}
    clusters = collect(si, vim.ClusterComputeResource, ["configurationEx"])
    for cl in estate.clusters:
        groups = {g.name: g for g in clusters[cl.name]["configurationEx"].group or []}
        for rule in (r for r in cl.rules if r.kind == "vm-host"):
            members = [host_names[h._moId] for h in groups[rule.host_group].host or []]
            assert members == rule.hosts != [], rule.name
    hosts = collect(si, vim.HostSystem, ["datastore"])
    for host in estate.hosts:  # every host sees the datastores it mounts, and no other
        assert {d.name for d in hosts[host.name]["datastore"]} == {
            d.name for d in estate.datastores if host.name in d.hosts}, host.name
    datastores = collect(si, vim.Datastore, ["host"])
    for ds in estate.datastores:  # vcsim keeps one mount per datastore object: the last host's
        assert [host_names[m.key._moId] for m in datastores[ds.name]["host"]] == ds.hosts[-1:], ds.name
        assert (f"datastore_hosts:{ds.name}" in result.unsupported) is (len(ds.hosts) > 1)


def test_current_snapshot_is_reverted_to_and_extra_controllers_are_made(
        vcsim_factory: Callable[..., Any], estate: Estate, tmp_path: Path) -> None:
    sim = vcsim_factory(dc=1, cluster=1, host=1, vm=0, ds=1)
    picked = {v.name: v.model_copy(deep=True) for v in estate.vms if v.name in ("app-reporting-01", "db-pg-01")}
    picked["app-reporting-01"].current_snapshot = "patch-2024-01"  # a sibling branch, not the last one taken
    picked["db-pg-01"].current_snapshot = None
    for disk in picked["db-pg-01"].disks:  # unnamed controllers: the odd sharing needs a bus of its own
        disk.controller = None
    picked["db-pg-01"].disks[2].controller_sharing = "virtualSharing"
    small = estate.model_copy(update={"vms": list(picked.values()),
                                      "clusters": [c.model_copy(update={"rules": []}) for c in estate.clusters]})
    si = sim.connect()
    result = seed_estate(si, small, rest=(sim.host, sim.port, sim.user, sim.password, sim.ssl_context()),
                         workdir=str(tmp_path))
    vms = vms_in_estate_dcs(si, small, result)
    got = vms["app-reporting-01"]
    assert _snapshot_name(got["snapshot.rootSnapshotList"], got["snapshot.currentSnapshot"]) == "patch-2024-01"
    assert "current_snapshot" in result.vms["app-reporting-01"].seeded
    assert "current_snapshot" in result.vms["db-pg-01"].unsupported
    dev = vim.vm.device
    devices = vms["db-pg-01"]["config.hardware.device"]
    controllers = {d.key: d for d in devices if isinstance(d, dev.VirtualSCSIController)}
    disks = [d for d in devices if isinstance(d, dev.VirtualDisk)]
    assert [controllers[d.controllerKey].sharedBus for d in disks] == ["noSharing", "noSharing", "virtualSharing"]
    assert len({d.controllerKey for d in disks}) == 2 and "bus_sharing" in result.vms["db-pg-01"].seeded


def _tree(nodes: list) -> list[tuple[str, str, list]]:
    return [(n.name, n.description or "", _tree(n.childSnapshotList)) for n in nodes or []]


def _estate_tree(nodes: list[Snapshot]) -> list[tuple[str, str, list]]:
    return [(n.name, n.description or "", _estate_tree(n.children)) for n in nodes]


def test_snapshots_attributes_and_tags_read_back(seeded: tuple, estate: Estate) -> None:
    sim, si, result = seeded
    vms = vms_in_estate_dcs(si, estate, result)
    fields = {f.key: f.name for f in si.content.customFieldsManager.field}
    for vm in estate.vms:
        got = vms[vm.name]
        assert _tree(got.get("snapshot.rootSnapshotList")) == _estate_tree(vm.snapshots), vm.name
        values = {fields[v.key]: v.value for v in got.get("customValue", [])}
        assert values == vm.custom_attributes, vm.name
    assert vms["app-payments-01"]["customValue"] and "Compliance" in fields.values()
    attached = _tags_by_vm(sim, result)
    by_moid = {r.moid: name for name, r in result.vms.items()}
    for vm in estate.vms:
        moid = result.vms[vm.name].moid
        assert attached.get(moid, set()) == {(t.category, t.name) for t in vm.tags}, by_moid[moid]


def _tags_by_vm(sim: Any, result: SeedResult) -> dict[str, set[tuple[str, str]]]:
    base = f"https://{sim.host}:{sim.port}/rest/com/vmware/cis"

    def post(url: str, body: object, session: str | None = None) -> Any:
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        if session:
            req.add_header("vmware-api-session-id", session)
        else:
            req.add_header("Authorization", "Basic " + b64encode(f"{sim.user}:{sim.password}".encode()).decode())
        with urllib.request.urlopen(req, context=sim.ssl_context(), timeout=30) as response:
            return json.loads(response.read() or b"{}").get("value")

    session = post(f"{base}/session", None)
    names = {tag_id: key for key, tag_id in result.tags.items()}
    listing = post(f"{base}/tagging/tag-association?~action=list-attached-objects-on-tags",
                   {"tag_ids": sorted(names)}, session)
    out: dict[str, set[tuple[str, str]]] = {}
    for entry in listing:
        for obj in entry["object_ids"]:
            out.setdefault(obj["id"], set()).add(names[entry["tag_id"]])
    return out


def test_hook_traits_read_back_and_gaps_are_reported(seeded: tuple, estate: Estate) -> None:
    _, si, result = seeded
    vms = vms_in_estate_dcs(si, estate, result)
    for vm in estate.vms:
        seed, got = result.vms[vm.name], vms[vm.name]
        assert "tools" in seed.via_hook
        assert got.get("guest.toolsStatus") == vm.tools.status, vm.name
        assert got.get("guest.toolsVersion") == vm.tools.version
        assert got.get("guest.hostName") == vm.guest.hostname
        assert got.get("guest.guestId") == vm.guest.tools_id
        assert got.get("guest.ipAddress") == (vm.guest_ips[0] if vm.guest_ips else None), vm.name
        assert got.get("summary.quickStats.overallCpuUsage", 0) == (vm.usage.cpu_mhz or 0)
        assert (got.get("summary.quickStats.uptimeSeconds") or 0) == (vm.usage.uptime_seconds or 0)
        assert got.get("runtime.faultToleranceState") == vm.ft_state
        assert bool(got.get("runtime.consolidationNeeded")) is bool(vm.consolidation_needed)
        assert ("guest_ips_all" in seed.unsupported) is (len(vm.guest_ips) > 1)
    assert "tpm" in result.vms["win-admin-01"].unsupported
    assert "snapshot_created" in result.vms["app-reporting-01"].unsupported
    assert not any(isinstance(d, vim.vm.device.VirtualTPM) for d in vms["win-admin-01"]["config.hardware.device"])


def test_seeding_without_hook_marks_guest_traits_unsupported(vcsim_factory: Callable[..., Any], estate: Estate,
                                                              tmp_path: Path) -> None:
    sim = vcsim_factory(dc=1, cluster=1, host=1, vm=0, ds=1)
    small = estate.model_copy(update={"vms": [v for v in estate.vms if v.name in ("web-nginx-01", "db-mssql-01")]})
    small.clusters = [c.model_copy(update={"rules": []}) for c in small.clusters]
    result = seed_estate(sim.connect(), small, rest=(sim.host, sim.port, sim.user, sim.password, sim.ssl_context()),
                         guest_hook=False, workdir=str(tmp_path))
    for name in ("web-nginx-01", "db-mssql-01"):
        assert not result.vms[name].via_hook
        assert {"tools", "usage", "guest_identity"} <= set(result.vms[name].unsupported)
    assert "rdm_physical" in result.vms["db-mssql-01"].seeded
