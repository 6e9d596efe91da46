"""Turn retrieved property dicts into estate model objects. Pure functions, no network calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from planner.models import (
    Cluster,
    ClusterRule,
    GuestOs,
    GuestPartition,
    Host,
    PowerState,
    Snapshot,
    Tag,
    Tools,
    Usage,
    Vm,
    os_family,
)
from planner.sources.vcenter.devices import map_devices
from planner.sources.vcenter.topology import Topology, moid
from planner.sources.vcenter.wire_types import vim_type

_POWER = {state.value: state for state in PowerState}


@dataclass
class Lookups:
    """Name lookups for one vCenter, built before the VMs are mapped."""

    source: str
    topology: Topology
    hosts: dict[str, str] = field(default_factory=dict)
    host_cluster: dict[str, str | None] = field(default_factory=dict)
    datastores: dict[str, str] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)
    portgroups: dict[str, str] = field(default_factory=dict)
    opaque_networks: dict[str, str] = field(default_factory=dict)
    """NSX opaque network id -> network name."""
    custom_fields: dict[int, str] = field(default_factory=dict)
    tags: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def network_name(self, backing: Any) -> str | None:
        """Network of a NIC backing: standard, distributed portgroup or opaque."""
        if backing is None:
            return None
        port = getattr(backing, "port", None)
        if port is not None and getattr(port, "portgroupKey", None):
            return self.portgroups.get(port.portgroupKey, port.portgroupKey)
        network = getattr(backing, "network", None)
        if network is not None and network._moId in self.networks:
            return self.networks[network._moId]
        opaque_id = getattr(backing, "opaqueNetworkId", None)
        if opaque_id:
            return self.opaque_networks.get(opaque_id, opaque_id)
        return getattr(backing, "deviceName", None)


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _limit(value: Any) -> int | None:
    """vSphere says -1 for 'unlimited'."""
    return None if value is None or int(value) < 0 else int(value)


def _current_snapshot(nodes: Any, current: Any) -> str | None:
    """Name of the snapshot whose moref is `current`, searched through the tree."""
    target = moid(current)
    stack = list(nodes or ())
    while target and stack:
        node = stack.pop()
        if moid(getattr(node, "snapshot", None)) == target:
            return str(node.name)
        stack.extend(node.childSnapshotList or ())
    return None


def _snapshot(node: Any) -> Snapshot:
    created = getattr(node, "createTime", None)
    return Snapshot(
        name=node.name, description=node.description or None, created=created, id=_int(getattr(node, "id", None)),
        state=getattr(node, "state", None), quiesced=getattr(node, "quiesced", None),
        children=[_snapshot(child) for child in (node.childSnapshotList or ())],
    )


def _partitions(disks: Any) -> list[GuestPartition]:
    """Guest file systems from guest.disk; the virtual disk key comes from the first mapping, when reported."""
    found = []
    for disk in disks or ():
        mappings = getattr(disk, "mappings", None) or ()
        found.append(GuestPartition(path=disk.diskPath or "", disk_key=_int(getattr(mappings[0], "key", None))
                                    if mappings else None, capacity_bytes=_int(disk.capacity),
                                    free_bytes=_int(disk.freeSpace)))
    return found


def _guest_ips(net: Any, fallback: str | None) -> tuple[dict[str, list[str]], list[str]]:
    by_mac: dict[str, list[str]] = {}
    everything: list[str] = []
    for nic in net or ():
        ips = [ip for ip in (nic.ipAddress or ()) if ip]
        if nic.macAddress:
            by_mac.setdefault(nic.macAddress.lower(), []).extend(ips)
        everything.extend(ip for ip in ips if ip not in everything)
    if fallback and fallback not in everything:
        everything.insert(0, fallback)
    return by_mac, everything


NUMA_AFFINITY_KEY = "numa.nodeAffinity"
"""The advanced setting (``config.extraConfig``) that pins a VM to NUMA nodes: "0" or "0,1"."""


def numa_node_affinity(options: Any) -> list[int] | None:
    """NUMA node numbers from ``config.extraConfig`` (only that key is read; other settings are not kept)."""
    for option in options or ():
        if getattr(option, "key", None) == NUMA_AFFINITY_KEY:
            nodes = [int(part) for part in str(getattr(option, "value", "") or "").replace(" ", "").split(",")
                     if part.isascii() and part.isdigit()]
            return nodes or None
    return None


def map_vm(object_id: str, p: dict[str, Any], lookups: Lookups) -> Vm:
    """One VM from its retrieved properties."""
    get = p.get
    host_id = moid(get("runtime.host"))
    mapped = map_devices(get("config.hardware.device") or (), lookups.datastores, lookups.network_name)
    by_mac, ips = _guest_ips(get("guest.net"), get("guest.ipAddress"))
    for nic in mapped.nics:
        if nic.mac:
            nic.ips = by_mac.get(nic.mac.lower(), [])
    guest_id, guest_name = get("config.guestId"), get("config.guestFullName")
    tools_id, tools_name = get("guest.guestId"), get("guest.guestFullName")
    power = get("runtime.powerState")
    affinity = get("config.cpuAffinity.affinitySet")
    uptime = get("summary.quickStats.uptimeSeconds")
    return Vm(
        name=get("name") or object_id,
        moid=object_id,
        source=lookups.source,
        instance_uuid=get("config.instanceUuid"),
        bios_uuid=get("config.uuid"),
        datacenter=lookups.topology.datacenter_of(moid(get("parent")) or moid(get("resourcePool"))),
        cluster=lookups.host_cluster.get(host_id) if host_id else None,
        host=lookups.hosts.get(host_id) if host_id else None,
        resource_pool=lookups.topology.pool_path(moid(get("resourcePool"))),
        folder=lookups.topology.folder_path(moid(get("parent"))),
        power_state=_POWER.get(str(power)) if power is not None else None,
        template=bool(get("config.template")),
        connection_state=get("runtime.connectionState"),
        guest=GuestOs(
            configured_id=guest_id, configured_name=guest_name, tools_id=tools_id, tools_name=tools_name,
            family=os_family(tools_id, guest_id, tools_name, guest_name), hostname=get("guest.hostName"),
        ),
        tools=Tools(status=get("guest.toolsStatus"), running_status=get("guest.toolsRunningStatus"),
                    version=get("guest.toolsVersion"), version_status=get("guest.toolsVersionStatus2")),
        hardware_version=get("config.version"),
        firmware=get("config.firmware"),
        secure_boot=get("config.bootOptions.efiSecureBootEnabled"),
        num_cpu=_int(get("config.hardware.numCPU")),
        cores_per_socket=_int(get("config.hardware.numCoresPerSocket")),
        memory_mib=_int(get("config.hardware.memoryMB")),
        cpu_reservation_mhz=_int(get("config.cpuAllocation.reservation")),
        cpu_limit_mhz=_limit(get("config.cpuAllocation.limit")),
        memory_reservation_mib=_int(get("config.memoryAllocation.reservation")),
        memory_limit_mib=_limit(get("config.memoryAllocation.limit")),
        cpu_hot_add=get("config.cpuHotAddEnabled"),
        memory_hot_add=get("config.memoryHotAddEnabled"),
        latency_sensitivity=get("config.latencySensitivity.level"),
        cpu_affinity=[int(c) for c in affinity] if affinity else None,
        numa_node_affinity=numa_node_affinity(get("config.extraConfig")),
        ft_state=get("runtime.faultToleranceState"),
        consolidation_needed=get("runtime.consolidationNeeded"),
        disks=mapped.disks,
        partitions=_partitions(get("guest.disk")),
        nics=mapped.nics,
        devices=mapped.devices,
        snapshots=[_snapshot(node) for node in (get("snapshot.rootSnapshotList") or ())],
        current_snapshot=_current_snapshot(get("snapshot.rootSnapshotList"), get("snapshot.currentSnapshot")),
        annotation=get("config.annotation") or None,
        custom_attributes={
            lookups.custom_fields.get(value.key, str(value.key)): value.value
            for value in (get("customValue") or ()) if getattr(value, "value", None) is not None
        },
        tags=[Tag(category=category, name=name) for category, name in lookups.tags.get(object_id, ())],
        usage=Usage(
            cpu_mhz=_int(get("summary.quickStats.overallCpuUsage")),
            guest_memory_mib=_int(get("summary.quickStats.guestMemoryUsage")),
            host_memory_mib=_int(get("summary.quickStats.hostMemoryUsage")),
            uptime_seconds=_int(uptime),
            committed_bytes=_int(get("summary.storage.committed")),
            uncommitted_bytes=_int(get("summary.storage.uncommitted")),
        ),
        guest_ips=ips,
    )


def map_host(object_id: str, p: dict[str, Any], lookups: Lookups, cluster: str | None) -> Host:
    get = p.get
    memory = get("summary.hardware.memorySize")
    return Host(
        name=get("name") or object_id, moid=object_id, source=lookups.source,
        datacenter=lookups.topology.datacenter_of(moid(get("parent"))), cluster=cluster,
        version=get("summary.config.product.version"), build=get("summary.config.product.build"),
        vendor=get("summary.hardware.vendor"), model=get("summary.hardware.model"),
        cpu_model=get("summary.hardware.cpuModel"), cpu_sockets=_int(get("summary.hardware.numCpuPkgs")),
        cpu_cores=_int(get("summary.hardware.numCpuCores")), cpu_threads=_int(get("summary.hardware.numCpuThreads")),
        cpu_mhz=_int(get("summary.hardware.cpuMhz")),
        memory_mib=int(memory) // (1024 * 1024) if memory is not None else None,
        maintenance_mode=get("runtime.inMaintenanceMode"), connection_state=get("runtime.connectionState"),
        power_state=get("runtime.powerState"),
    )


def _rule(rule: Any, vm_name: Callable[[str], str], groups: dict[str, Any], host_names: dict[str, str]) -> ClusterRule:
    kind_name = vim_type(rule).__name__.split(".")[-1]
    base = {"name": rule.name, "enabled": rule.enabled, "mandatory": getattr(rule, "mandatory", None)}
    if kind_name == "AffinityRuleSpec":
        return ClusterRule(kind="vm-affinity", vms=[vm_name(moid(v) or "") for v in rule.vm or ()], **base)
    if kind_name == "AntiAffinityRuleSpec":
        return ClusterRule(kind="vm-anti-affinity", vms=[vm_name(moid(v) or "") for v in rule.vm or ()], **base)
    if kind_name == "VmHostRuleInfo":
        affine = rule.affineHostGroupName is not None
        group = groups.get(rule.vmGroupName)
        vms = [vm_name(moid(v) or "") for v in getattr(group, "vm", None) or ()]
        host_group = rule.affineHostGroupName or rule.antiAffineHostGroupName
        members = getattr(groups.get(host_group), "host", None) or ()
        hosts = sorted(host_names[m] for m in (moid(h) for h in members) if m in host_names)
        return ClusterRule(kind="vm-host", vms=vms, vm_group=rule.vmGroupName, host_group=host_group,
                           hosts=hosts, affine=affine, **base)
    return ClusterRule(kind="other", **base)


def map_cluster(object_id: str, p: dict[str, Any], lookups: Lookups, vm_name: Callable[[str], str]) -> Cluster:
    config = p.get("configurationEx")
    drs = getattr(config, "drsConfig", None)
    das = getattr(config, "dasConfig", None)
    groups = {g.name: g for g in getattr(config, "group", None) or ()}
    return Cluster(
        name=p.get("name") or object_id, moid=object_id, source=lookups.source,
        datacenter=lookups.topology.datacenter_of(moid(p.get("parent"))),
        drs_enabled=getattr(drs, "enabled", None), drs_behavior=getattr(drs, "defaultVmBehavior", None),
        ha_enabled=getattr(das, "enabled", None), ha_admission_control=getattr(das, "admissionControlEnabled", None),
        host_count=len(p.get("host") or ()),
        rules=[_rule(rule, vm_name, groups, lookups.hosts) for rule in getattr(config, "rule", None) or ()],
    )
