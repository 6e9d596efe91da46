"""Create an estate's inventory in govmomi's vCenter simulator (vcsim 0.24) through the vSphere API.

``seed_estate(si, estate, rest=(host, port, user, password, ssl_context))`` builds datacenters, VM folders,
clusters (DRS/HA, rules), hosts, datastores, standard and distributed portgroups, resource pools, custom
attributes, VMs with their devices, power states, snapshot trees, templates and vAPI tags, so the project's
collector can be tested by reading them back exactly as it would read a real vCenter.

What the simulator can hold, per VM trait (``SeedResult.vms[name].seeded`` / ``.unsupported`` / ``.via_hook``):

====================  =========  ==================================================================
trait                 held       how / why not
====================  =========  ==================================================================
placement, folder     yes        CreateVM_Task into the folder, pool and host (moids differ: see maps)
resource_pool         yes        ResourcePool.CreateResourcePool under the cluster's root pool
guest_id              yes        config.guestId (CreateVM_Task does not check it against vcsim's list)
cpu, memory, uuids    yes        ConfigSpec (numCPUs, numCoresPerSocket, memoryMB, uuid, instanceUuid)
hardware_version      yes        ConfigSpec.version
firmware/secure_boot  yes        ConfigSpec.firmware, bootOptions.efiSecureBootEnabled
reservations/limits   yes        cpuAllocation / memoryAllocation
latency, affinity     yes        latencySensitivity.level, cpuAffinity.affinitySet
hot_add, annotation   yes        cpuHotAddEnabled, memoryHotAddEnabled, annotation (raw text)
disks                 yes        FlatVer2 thin, diskMode (independent), sharing (multi-writer)
eager_zero            yes        FlatVer2 eagerlyScrub (vcsim turns an unset value into false, so the
                                 trait is claimed only when every flat disk states it)
bus_sharing           yes        one ParaVirtualSCSIController per controller name, sharedBus from the
                                 disks' controller_sharing (an extra controller when unnamed disks need
                                 another sharing mode); claimed only when every disk states it
rdm                   yes        RawDiskMappingVer1 physical/virtual, added last (vcsim crashes the
                                 request once a VM has an RDM; the change is applied)
nics                  yes        vmxnet3/e1000e/e1000, manual MACs, standard or distributed backing
cdroms                yes        ISO / client / host backing, connect state
usb, serial, parallel yes        VirtualUSBController(EHCI)/XHCI, VirtualUSB, serial/parallel backings
pci, vgpu             yes        VirtualPCIPassthrough with device / vmiop (vGPU) / dynamic backing
scsi_passthrough      yes        VirtualSCSIPassthrough (device backing, label and summary) on SCSI
                                 controller 0, after the disks
sriov_nic             yes        VirtualSriovEthernetCard (vcsim treats it as any Ethernet card; no
                                 physical function is assigned: the adapter type is what is held)
numa_node_affinity    yes        extraConfig ``numa.nodeAffinity`` (a real vSphere advanced setting)
tpm                   no         vcsim 0.24 decodes a VirtualTPM into a bare VirtualDevice (not added)
power_state           yes        PowerOn / Suspend tasks
snapshots             yes        names, descriptions, tree shape, quiesce flag (ids follow pre-order)
current_snapshot      yes        RevertToSnapshot_Task to the named one after all trees are built (vcsim
                                 only moves snapshot.currentSnapshot: power state and disks stay); a VM
                                 with snapshots but no current one cannot be held (vcsim, like vSphere,
                                 always points at one)
snapshot_created      no         vcsim stamps the seeding time
template              yes        MarkAsTemplate
custom_attributes     yes        CustomFieldsManager.AddCustomFieldDef + SetField
tags                  yes        vAPI REST (categories, tags, attach-tag-to-multiple-objects)
guest_identity        hook       guest.guestId/guestFullName/hostName via vcsim's ``SET.`` extraConfig
tools                 hook       guest.toolsStatus/RunningStatus/Version/VersionStatus2 (SET.)
guest_ip_primary      hook       the first IP of the first NIC (vcsim's ``SET.guest.ipAddress``)
guest_ips_all         no         vcsim has no way to fill guest.net[].ipAddress beyond NIC 0
usage                 hook       summary.quickStats cpu/guest+host memory/uptime (SET.)
usage_storage         no         summary.storage committed/uncommitted are computed from the files
ft_state              hook       runtime.faultToleranceState (SET.); no real FT secondary exists
consolidation_needed  hook       runtime.consolidationNeeded (SET.)
====================  =========  ==================================================================

"hook" traits are written through vcsim's own ``SET.<property path>`` extraConfig convention (a simulator
feature; a real vCenter would ignore those keys). They are real properties afterwards: the collector reads them
through the same paths it uses on vCenter. Pass ``guest_hook=False`` to leave them out; they are then listed as
unsupported. Estate-level facts vcsim cannot hold are listed in ``SeedResult.unsupported``:

====================  =========  ==================================================================
estate fact           held       how / why not
====================  =========  ==================================================================
clusters, rules       yes        CreateClusterEx; rules and VM/host groups (with their host members,
                                 ``ClusterRule.hosts``) via ReconfigureComputeResource_Task
cluster_drs_ha        no         vcsim ignores the cluster spec: DRS always on, HA unset
host_hardware         no         vcsim hosts report its fixed ESX hardware, version and build
host state            yes        maintenance mode (EnterMaintenanceMode_Task); connected, powered on
datastore_details     no         vcsim datastores are local directories: type, capacity, url
datastore_hosts       partly     CreateLocalDatastore on each host of ``Datastore.hosts`` (or every
                                 host of the datacenter when the list is empty). Every HostSystem then
                                 lists the datastore, but vcsim 0.24 replaces the Datastore object on
                                 each call, so ``Datastore.host`` keeps only the last host's mount:
                                 held for single-host datastores, ``datastore_hosts:<name>`` otherwise
====================  =========  ==================================================================
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import ssl
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPException

from pyVmomi import vim, vmodl

from planner.models import Disk, Estate, PowerState, Snapshot, Vm

TRAIT_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",), "placement": ("datacenter", "cluster", "host"), "folder": ("folder",),
    "resource_pool": ("resource_pool",), "guest_id": ("guest.configured_id",),
    "cpu": ("num_cpu", "cores_per_socket"), "memory": ("memory_mib",), "uuids": ("instance_uuid", "bios_uuid"),
    "hardware_version": ("hardware_version",), "firmware": ("firmware",), "secure_boot": ("secure_boot",),
    "reservations": ("cpu_reservation_mhz", "memory_reservation_mib"), "limits": ("cpu_limit_mhz", "memory_limit_mib"),
    "latency_sensitivity": ("latency_sensitivity",), "cpu_affinity": ("cpu_affinity",),
    "hot_add": ("cpu_hot_add", "memory_hot_add"), "annotation": ("annotation",), "power_state": ("power_state",),
    "template": ("template",), "disks": ("disks",), "thin_disk": ("disks[].thin",),
    "multi_writer": ("disks[].sharing",), "independent_disk": ("disks[].disk_mode",),
    "rdm_physical": ("disks[].backing", "disks[].rdm_mode", "disks[].lun_uuid"),
    "rdm_virtual": ("disks[].backing", "disks[].rdm_mode", "disks[].lun_uuid"),
    "iso_connected": ("devices.cdroms",),
    "nics": ("nics[].label", "nics[].adapter", "nics[].network", "nics[].mac", "nics[].connected"),
    "cdroms": ("devices.cdroms",), "usb_controller": ("devices.usb_controllers",),
    "usb_device": ("devices.usb_devices",), "serial_port": ("devices.serial_ports",),
    "parallel_port": ("devices.parallel_ports",), "pci_passthrough": ("devices.pci",), "vgpu": ("devices.pci",),
    "tpm": ("devices.tpm",), "snapshots": ("snapshots[].name", "snapshots[].description", "snapshots[].children"),
    "snapshot_created": ("snapshots[].created",), "custom_attributes": ("custom_attributes",), "tags": ("tags",),
    "guest_identity": ("guest.tools_id", "guest.tools_name", "guest.hostname"),
    "tools": ("tools.status", "tools.running_status", "tools.version", "tools.version_status"),
    "guest_ip_primary": ("nics[0].ips[0]", "guest_ips[0]"), "guest_ips_all": ("nics[].ips", "guest_ips"),
    "usage": ("usage.cpu_mhz", "usage.guest_memory_mib", "usage.host_memory_mib", "usage.uptime_seconds"),
    "usage_storage": ("usage.committed_bytes", "usage.uncommitted_bytes"), "ft_state": ("ft_state",),
    "consolidation_needed": ("consolidation_needed",), "eager_zero": ("disks[].eager_zero",),
    "bus_sharing": ("disks[].controller_sharing",), "current_snapshot": ("current_snapshot",),
    "scsi_passthrough": ("devices.scsi_passthrough",), "sriov_nic": ("nics[].adapter",),
    "numa_node_affinity": ("numa_node_affinity",),
}
"""Which ``Vm`` fields each trait name covers, so a test compares exactly what was seeded."""
HOOK_TRAITS = frozenset({"guest_identity", "tools", "guest_ip_primary", "usage", "ft_state", "consolidation_needed"})


@dataclass
class VmSeed:
    """What was seeded for one VM, and what the simulator could not represent (trait -> reason)."""

    moid: str
    seeded: set[str] = field(default_factory=set)
    unsupported: dict[str, str] = field(default_factory=dict)
    via_hook: set[str] = field(default_factory=set)


@dataclass
class SeedResult:
    """Mapping from estate names to simulator moids, per-VM trait coverage, and timing."""

    vms: dict[str, VmSeed] = field(default_factory=dict)
    datacenters: dict[str, str] = field(default_factory=dict)
    clusters: dict[str, str] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)
    datastores: dict[str, str] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)
    custom_fields: dict[str, int] = field(default_factory=dict)
    tags: dict[tuple[str, str], str] = field(default_factory=dict)
    datastore_hosts: dict[str, list[str]] = field(default_factory=dict)
    """datastore -> the hosts it was created on (all of them see it; vcsim's Datastore.host keeps the last)"""
    unsupported: dict[str, str] = field(default_factory=dict)
    workdir: str = ""
    seconds: float = 0.0


def _props(si: vim.ServiceInstance, objs: list, kind: type, paths: list[str]) -> dict[str, dict]:
    """One RetrievePropertiesEx for ``paths`` of ``objs``: moid -> {path: value}."""
    pc = vmodl.query.PropertyCollector
    spec = pc.FilterSpec(objectSet=[pc.ObjectSpec(obj=o) for o in objs],
                         propSet=[pc.PropertySpec(type=kind, pathSet=paths)])
    out: dict[str, dict] = {}
    result = si.content.propertyCollector.RetrievePropertiesEx([spec], pc.RetrieveOptions())
    while result:
        for obj in result.objects:
            out[obj.obj._moId] = {p.name: p.val for p in obj.propSet}
        token = result.token
        result = si.content.propertyCollector.ContinueRetrievePropertiesEx(token) if token else None
    return out


def _check_tasks(si: vim.ServiceInstance, tasks: list) -> list:
    """vcsim runs tasks synchronously: read all results in one call and raise on the first error."""
    if not tasks:
        return []
    infos = _props(si, tasks, vim.Task, ["info.state", "info.result", "info.error", "info.descriptionId"])
    results = []
    for task in tasks:
        info = infos[task._moId]
        if info.get("info.state") != "success":
            raise RuntimeError(f"{info.get('info.descriptionId')} failed: {info.get('info.error')}")
        results.append(info.get("info.result"))
    return results


def _run(si: vim.ServiceInstance, task: vim.Task) -> object:
    return _check_tasks(si, [task])[0]


class _Seeder:
    def __init__(self, si: vim.ServiceInstance, estate: Estate, rest: tuple, guest_hook: bool, workdir: str):
        self.si, self.estate, self.rest, self.hook, self.workdir = si, estate, rest, guest_hook, workdir
        self.result = SeedResult(workdir=workdir)
        self.dcs: dict[str, vim.Datacenter] = {}
        self.clusters: dict[str, vim.ClusterComputeResource] = {}
        self.hosts: dict[str, vim.HostSystem] = {}
        self.folders: dict[str, vim.Folder] = {}
        self.pools: dict[tuple[str, str], vim.ResourcePool] = {}
        self.dvs: dict[tuple[str, str], vim.DistributedVirtualSwitch] = {}
        self.net_backing: dict[tuple[str, str], tuple[str, str | None]] = {}  # (dc, name) -> (kind, dvs uuid)
        self.vm_refs: dict[str, vim.VirtualMachine] = {}
        self.rdm_later: dict[str, list[tuple[Disk, int, int, int]]] = {}
        self.snapshot_refs: dict[str, dict[str, vim.vm.Snapshot]] = {}
        self.portgroup_keys: dict[str, str] = {}

    # -- infrastructure -------------------------------------------------------------------------------
    def infrastructure(self) -> None:
        content = self.si.content
        for dc in self.estate.datacenters:
            self.dcs[dc.name] = content.rootFolder.CreateDatacenter(dc.name)
            self.result.datacenters[dc.name] = self.dcs[dc.name]._moId
        for cl in self.estate.clusters:
            spec = vim.cluster.ConfigSpecEx(
                drsConfig=vim.cluster.DrsConfigInfo(enabled=bool(cl.drs_enabled),
                                                    defaultVmBehavior=cl.drs_behavior or "fullyAutomated"),
                dasConfig=vim.cluster.DasConfigInfo(enabled=bool(cl.ha_enabled),
                                                    admissionControlEnabled=bool(cl.ha_admission_control)))
            ref = self.dcs[cl.datacenter or self.estate.datacenters[0].name].hostFolder.CreateClusterEx(cl.name, spec)
            self.clusters[cl.name] = ref
            self.result.clusters[cl.name] = ref._moId
        self.result.unsupported["cluster_drs_ha"] = "vcsim ignores the cluster spec: DRS always on, HA unset"
        tasks = []
        for host in self.estate.hosts:
            connect = vim.host.ConnectSpec(hostName=host.name, userName="root", password="seed", force=True)
            if host.cluster:
                tasks.append(self.clusters[host.cluster].AddHost_Task(spec=connect, asConnected=True))
            else:
                tasks.append(self.dcs[host.datacenter or ""].hostFolder.AddStandaloneHost_Task(
                    spec=connect, addConnected=True))
        for host, ref in zip(self.estate.hosts, _check_tasks(self.si, tasks), strict=True):
            if isinstance(ref, vim.ComputeResource):
                ref = ref.host[0]
            self.hosts[host.name] = ref
            self.result.hosts[host.name] = ref._moId
        self.result.unsupported["host_hardware"] = "vcsim hosts report its fixed ESX hardware, version and build"
        self._datastores()
        self._networks()

    def _dc_hosts(self, dc: str) -> list[vim.HostSystem]:
        return [self.hosts[h.name] for h in self.estate.hosts if h.datacenter == dc]

    def _datastores(self) -> None:
        users: dict[str, set[str]] = {}
        for vm in self.estate.vms:
            for disk in vm.disks:
                if disk.datastore and vm.host:
                    users.setdefault(disk.datastore, set()).add(vm.host)
        for ds in self.estate.datastores:
            path = os.path.join(self.workdir, ds.name)
            os.makedirs(path, exist_ok=True)
            names = [h.name for h in self.estate.hosts if h.datacenter == ds.datacenter]
            if ds.hosts:
                names = [h for h in ds.hosts if h in self.hosts]
            elif ds.multiple_host_access is False and ds.name in users:
                names = sorted(users[ds.name])
            if not names:
                self.result.unsupported[f"datastore:{ds.name}"] = "no host of the estate to create it on"
                continue
            for name in names:  # vcsim shares a datastore by creating it, same name and path, on each host
                ref = self.hosts[name].configManager.datastoreSystem.CreateLocalDatastore(name=ds.name, path=path)
            self.result.datastores[ds.name] = ref._moId
            self.result.datastore_hosts[ds.name] = names
            if len(names) > 1:
                self.result.unsupported[f"datastore_hosts:{ds.name}"] = (
                    "vcsim replaces the Datastore on each CreateLocalDatastore: Datastore.host keeps only the "
                    f"last mount ({names[-1]}); HostSystem.datastore of all {len(names)} hosts lists it")
            elif names != ds.hosts:
                self.result.unsupported[f"datastore_hosts:{ds.name}"] = (
                    f"the estate lists {ds.hosts} (known hosts only are seeded), vcsim holds {names}")
        self.result.unsupported["datastore_details"] = "vcsim datastores are local directories: type, capacity, url"

    def _networks(self) -> None:
        switches: dict[tuple[str, str], list] = {}
        for net in self.estate.networks:
            dc = net.datacenter or self.estate.datacenters[0].name
            if net.kind == "distributed-portgroup":
                switches.setdefault((dc, net.switch or "dvSwitch"), []).append(net)
                continue
            self.net_backing[(dc, net.name)] = ("standard", None)
            if net.name == "VM Network":  # every vcsim host brings it
                continue
            host = self._dc_hosts(dc)[0]  # vcsim keeps one Network per datacenter: add it on one host
            system = host.configManager.networkSystem
            vswitch = net.switch or "vSwitch0"
            if vswitch not in {s.name for s in system.networkInfo.vswitch}:
                system.AddVirtualSwitch(vswitchName=vswitch, spec=vim.host.VirtualSwitch.Specification(numPorts=128))
            system.AddPortGroup(portgrp=vim.host.PortGroup.Specification(
                name=net.name, vlanId=net.vlan_id or 0, vswitchName=vswitch, policy=vim.host.NetworkPolicy()))
        for (dc, name), nets in switches.items():
            config = vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(name=name)
            dvs = _run(self.si, self.dcs[dc].networkFolder.CreateDVS_Task(
                vim.DistributedVirtualSwitch.CreateSpec(configSpec=config)))
            vlan = vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec
            specs = [vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
                name=n.name, type="earlyBinding", numPorts=64,
                defaultPortConfig=vim.dvs.VmwareDistributedVirtualSwitch.VmwarePortConfigPolicy(
                    vlan=vlan(vlanId=n.vlan_id or 0, inherited=False))) for n in nets]
            _run(self.si, dvs.AddDVPortgroup_Task(specs))
            members = [vim.dvs.HostMember.ConfigSpec(operation="add", host=h) for h in self._dc_hosts(dc)]
            _run(self.si, dvs.ReconfigureDvs_Task(vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(
                configVersion=dvs.config.configVersion, host=members)))
            for n in nets:
                self.net_backing[(dc, n.name)] = ("distributed", dvs.uuid)
        for dc_name, dc in self.dcs.items():
            for moid, props in _props(self.si, list(dc.network), vim.Network, ["name"]).items():
                if (dc_name, props["name"]) in self.net_backing:
                    self.result.networks[props["name"]] = moid
        self.portgroup_keys = {name: moid for name, moid in self.result.networks.items()
                               if moid.startswith("dvportgroup-")}

    def folder(self, path: str | None, dc: str) -> vim.Folder:
        parts = [p for p in (path or "").split("/") if p]
        if parts[:2] == [dc, "vm"]:
            parts = parts[2:]
        current, key = self.dcs[dc].vmFolder, dc
        for part in parts:
            key = f"{key}/{part}"
            if key not in self.folders:
                self.folders[key] = current.CreateFolder(part)
            current = self.folders[key]
        return current

    def pool(self, vm: Vm) -> vim.ResourcePool:
        root = self.clusters[vm.cluster].resourcePool if vm.cluster else self.hosts[vm.host or ""].parent.resourcePool
        name = vm.resource_pool
        if not name or name == "Resources":
            return root
        if (vm.cluster or "", name) not in self.pools:
            alloc = vim.ResourceAllocationInfo(reservation=0, limit=-1, expandableReservation=True,
                                               shares=vim.SharesInfo(level="normal", shares=0))
            spec = vim.ResourceConfigSpec(cpuAllocation=alloc, memoryAllocation=alloc)
            self.pools[(vm.cluster or "", name)] = root.CreateResourcePool(name, spec)
        return self.pools[(vm.cluster or "", name)]

    # -- VMs ------------------------------------------------------------------------------------------
    def vms(self) -> None:
        self.created_files: set[str] = set()
        tasks = []
        for vm in self.estate.vms:
            seed = self.result.vms[vm.name] = VmSeed(moid="")
            spec = self.config_spec(vm, seed)
            dc = vm.datacenter or self.estate.datacenters[0].name
            host = self.hosts.get(vm.host or "")
            tasks.append(self.folder(vm.folder, dc).CreateVM_Task(config=spec, pool=self.pool(vm), host=host))
        for vm, ref in zip(self.estate.vms, _check_tasks(self.si, tasks), strict=True):
            self.vm_refs[vm.name] = ref
            self.result.vms[vm.name].moid = ref._moId

    def config_spec(self, vm: Vm, seed: VmSeed) -> vim.vm.ConfigSpec:
        traits = seed.seeded
        traits.update({"name", "placement", "folder", "resource_pool", "cpu", "memory", "uuids", "power_state",
                       "template", "hardware_version", "firmware", "annotation", "guest_id"})
        guest_id = vm.guest.configured_id or "otherGuest64"  # CreateVM_Task in vcsim accepts any id
        datastore = vm.disks[0].datastore if vm.disks and vm.disks[0].datastore else self._default_ds(vm)
        alloc = vim.ResourceAllocationInfo
        spec = vim.vm.ConfigSpec(
            name=vm.name, guestId=guest_id, numCPUs=vm.num_cpu or 1,
            numCoresPerSocket=vm.cores_per_socket or vm.num_cpu or 1, memoryMB=vm.memory_mib or 1024,
            files=vim.vm.FileInfo(vmPathName=f"[{datastore}]"), annotation=vm.annotation or "",
            version=vm.hardware_version, firmware=vm.firmware or "bios", uuid=vm.bios_uuid,
            instanceUuid=vm.instance_uuid, cpuHotAddEnabled=bool(vm.cpu_hot_add),
            memoryHotAddEnabled=bool(vm.memory_hot_add),
            cpuAllocation=alloc(reservation=vm.cpu_reservation_mhz or 0,
                                limit=-1 if vm.cpu_limit_mhz is None else vm.cpu_limit_mhz),
            memoryAllocation=alloc(reservation=vm.memory_reservation_mib or 0,
                                   limit=-1 if vm.memory_limit_mib is None else vm.memory_limit_mib),
            latencySensitivity=vim.LatencySensitivity(level=vm.latency_sensitivity or "normal"),
        )
        traits.update({"reservations", "limits", "latency_sensitivity", "hot_add"})
        if vm.secure_boot is not None:
            spec.bootOptions = vim.vm.BootOptions(efiSecureBootEnabled=vm.secure_boot)
            traits.add("secure_boot")
        if vm.cpu_affinity:
            spec.cpuAffinity = vim.vm.AffinityInfo(affinitySet=vm.cpu_affinity)
            traits.add("cpu_affinity")
        spec.deviceChange = self.device_changes(vm, seed)
        spec.extraConfig = self.hook_values(vm, seed)
        if vm.numa_node_affinity:
            spec.extraConfig.append(vim.option.OptionValue(
                key="numa.nodeAffinity", value=",".join(str(n) for n in vm.numa_node_affinity)))
            traits.add("numa_node_affinity")
        return spec

    def _default_ds(self, vm: Vm) -> str:
        return next(d.name for d in self.estate.datastores if d.datacenter == vm.datacenter)

    def hook_values(self, vm: Vm, seed: VmSeed) -> list[vim.option.OptionValue]:
        if len(vm.guest_ips) > 1:
            seed.unsupported["guest_ips_all"] = "vcsim fills guest IPs only for the first NIC"
        if vm.usage.committed_bytes is not None:
            seed.unsupported["usage_storage"] = "vcsim computes summary.storage from the files"
        if vm.snapshots:
            seed.unsupported["snapshot_created"] = "vcsim stamps snapshots with the seeding time"
        if not self.hook:
            for trait in HOOK_TRAITS:
                seed.unsupported[trait] = "guest_hook=False"
            return []
        g, t, u = vm.guest, vm.tools, vm.usage
        values: dict[str, object] = {
            "guest.guestId": g.tools_id, "guest.guestFullName": g.tools_name, "summary.guest.guestId": g.tools_id,
            "summary.guest.guestFullName": g.tools_name, "guest.hostName": g.hostname,
            "guest.ipAddress": vm.nics[0].ips[0] if vm.nics and vm.nics[0].ips else None,
            "guest.toolsStatus": t.status, "summary.guest.toolsStatus": t.status,
            "guest.toolsRunningStatus": t.running_status, "summary.guest.toolsRunningStatus": t.running_status,
            "guest.toolsVersion": t.version, "guest.toolsVersionStatus2": t.version_status,
            "summary.guest.toolsVersionStatus2": t.version_status,
            "summary.quickStats.overallCpuUsage": u.cpu_mhz, "summary.quickStats.guestMemoryUsage": u.guest_memory_mib,
            "summary.quickStats.hostMemoryUsage": u.host_memory_mib,
            "summary.quickStats.uptimeSeconds": u.uptime_seconds,
            "runtime.faultToleranceState": vm.ft_state, "summary.runtime.faultToleranceState": vm.ft_state,
            "runtime.consolidationNeeded": vm.consolidation_needed,
            "summary.runtime.consolidationNeeded": vm.consolidation_needed,
        }
        seed.via_hook.update({"guest_identity", "tools", "usage", "ft_state", "consolidation_needed"})
        if values["guest.ipAddress"]:
            seed.via_hook.add("guest_ip_primary")
        seed.seeded.update(seed.via_hook)
        return [vim.option.OptionValue(key=f"SET.{k}", value=v) for k, v in values.items() if v is not None]

    @staticmethod
    def _controllers(vm: Vm) -> tuple[dict[str, tuple[int, str]], list[str]]:
        """SCSI controllers for ``vm.disks``: name -> (device key, sharedBus), and each disk's controller name.

        Disks name their controller; one that does not goes on "SCSI controller 0" when its bus sharing fits,
        else on the first controller with its sharing, else on a new controller (at most four, as on ESXi).
        """
        sharing: dict[str, str | None] = {}
        for disk in vm.disks:
            if disk.controller:
                have = sharing.setdefault(disk.controller, disk.controller_sharing)
                if have is not None and disk.controller_sharing not in (None, have):
                    raise ValueError(f"{vm.name}: {disk.controller} is both {have} and {disk.controller_sharing}")
                sharing[disk.controller] = have or disk.controller_sharing
        placed = []
        for disk in vm.disks:
            name = disk.controller
            if not name:
                want = disk.controller_sharing
                fits = [n for n in ("SCSI controller 0", *sharing) if sharing.get(n) in (None, want) or want is None]
                name = fits[0] if fits else next(f"SCSI controller {i}" for i in range(8)
                                                 if f"SCSI controller {i}" not in sharing)
                sharing[name] = sharing.get(name) or want
            placed.append(name)
        names = sorted(sharing or {"SCSI controller 0": None}, key=lambda n: (len(n), n))
        if len(names) > 4:
            raise ValueError(f"{vm.name}: {len(names)} SCSI controllers, ESXi allows 4")
        return {n: (1000 + i, sharing.get(n) or "noSharing") for i, n in enumerate(names)}, placed

    def device_changes(self, vm: Vm, seed: VmSeed) -> list[vim.vm.device.VirtualDeviceSpec]:
        dev, changes = vim.vm.device, []

        def add(device: object, create: bool = False) -> None:
            spec = dev.VirtualDeviceSpec(operation="add", device=device)
            if create:
                spec.fileOperation = "create"
            changes.append(spec)

        def info(label: str) -> vim.Description:
            return vim.Description(label=label, summary=label)

        def connect(connected: bool | None, start: bool | None = None) -> object:
            return dev.VirtualDevice.ConnectInfo(connected=bool(connected), startConnected=bool(
                connected if start is None else start), allowGuestControl=True)

        spec_ds = vm.disks[0].datastore if vm.disks and vm.disks[0].datastore else self._default_ds(vm)
        controllers, placed = self._controllers(vm)
        for name, (key, shared_bus) in controllers.items():
            add(dev.ParaVirtualSCSIController(key=key, busNumber=key - 1000, deviceInfo=info(name),
                                              sharedBus=shared_bus))
        if vm.disks and all(d.controller_sharing for d in vm.disks):
            seed.seeded.add("bus_sharing")
        if vm.disks and all((d.eager_zero is not None) is (d.backing != "rdm") for d in vm.disks):
            seed.seeded.add("eager_zero")  # vcsim stores an unset eagerlyScrub as false: claim only stated ones
        units: dict[int, int] = {}
        for disk, controller in zip(vm.disks, placed, strict=True):
            ctrl = controllers[controller][0]
            unit = units.get(ctrl, 0)
            units[ctrl] = unit + 1 + (unit + 1 == 7)  # unit 7 is the controller's own
            key = disk.key or 2000 + len(changes)
            if disk.backing == "rdm":
                seed.seeded.add(f"rdm_{disk.rdm_mode}")
                self.rdm_later.setdefault(vm.name, []).append((disk, key, ctrl, unit))
                continue
            file_name = disk.file_name or f"[{disk.datastore}] {vm.name}/{vm.name}_{disk.key}.vmdk"
            self._make_dir(vm, file_name, spec_ds)
            backing = dev.VirtualDisk.FlatVer2BackingInfo(
                fileName=file_name, diskMode=disk.disk_mode or "persistent", thinProvisioned=bool(disk.thin),
                eagerlyScrub=disk.eager_zero, sharing=disk.sharing or "sharingNone")
            add(dev.VirtualDisk(key=key, controllerKey=ctrl, unitNumber=unit, deviceInfo=info(disk.label),
                                capacityInKB=(disk.capacity_bytes or 0) // 1024, backing=backing),
                create=file_name not in self.created_files)
            self.created_files.add(file_name)
            flags = (("thin_disk", disk.thin), ("multi_writer", disk.multi_writer),
                     ("independent_disk", disk.independent))
            seed.seeded.update({"disks"} | {trait for trait, on in flags if on})
        for i, tape in enumerate(vm.devices.scsi_passthrough):
            ctrl = controllers[placed[0] if placed else "SCSI controller 0"][0]
            unit = units.get(ctrl, 0)
            units[ctrl] = unit + 1 + (unit + 1 == 7)
            add(dev.VirtualSCSIPassthrough(
                key=2500 + i, controllerKey=ctrl, unitNumber=unit,
                deviceInfo=vim.Description(label=tape.label, summary=tape.summary or tape.label),
                backing=dev.VirtualSCSIPassthrough.DeviceBackingInfo(deviceName=tape.device or "",
                                                                     useAutoDetect=False)))
            seed.seeded.add("scsi_passthrough")
        cards = {"vmxnet3": dev.VirtualVmxnet3, "e1000e": dev.VirtualE1000e, "e1000": dev.VirtualE1000,
                 "vmxnet2": dev.VirtualVmxnet2, "pcnet32": dev.VirtualPCNet32,
                 "sriovethernetcard": dev.VirtualSriovEthernetCard}
        dc = vm.datacenter or self.estate.datacenters[0].name
        for i, nic in enumerate(vm.nics):
            kind, uuid = self.net_backing.get((dc, nic.network or ""), ("standard", None))
            if kind == "distributed":
                backing = dev.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
                    port=vim.dvs.PortConnection(switchUuid=uuid, portgroupKey=self.portgroup_keys[nic.network]))
            else:
                backing = dev.VirtualEthernetCard.NetworkBackingInfo(deviceName=nic.network or "VM Network")
            card = cards.get(nic.adapter or "vmxnet3", dev.VirtualVmxnet3)
            add(card(key=nic.key or 4000 + i, deviceInfo=info(nic.label), backing=backing,
                     addressType="manual" if nic.mac else "generated", macAddress=nic.mac,
                     connectable=connect(nic.connected, nic.start_connected)))
            seed.seeded.add("nics")
            if card is dev.VirtualSriovEthernetCard:
                seed.seeded.add("sriov_nic")
        for i, cd in enumerate(vm.devices.cdroms):
            cdb = dev.VirtualCdrom
            if cd.backing == "iso":
                cd_backing = cdb.IsoBackingInfo(fileName=cd.iso_path or "")
            elif cd.backing == "host":
                cd_backing = cdb.AtapiBackingInfo(deviceName=cd.iso_path or "/dev/cdrom")
            else:
                cd_backing = cdb.RemotePassthroughBackingInfo(deviceName="", exclusive=False)
            add(cdb(key=3000 + i, controllerKey=200 + i // 2, unitNumber=i % 2, deviceInfo=info(cd.label),
                    backing=cd_backing, connectable=connect(cd.connected, cd.start_connected)))
            seed.seeded.add("iso_connected" if cd.backing == "iso" and cd.connected else "cdroms")
        usb_keys = []
        for i, usb in enumerate(vm.devices.usb_controllers):
            kind = dev.VirtualUSBXHCIController if usb.kind == "usb3" else dev.VirtualUSBController
            extra = {} if usb.kind == "usb3" else {"ehciEnabled": True}
            usb_keys.append(7000 + i)
            add(kind(key=7000 + i, deviceInfo=info(usb.label), autoConnectDevices=False, **extra))
            seed.seeded.add("usb_controller")
        for i, usb in enumerate(vm.devices.usb_devices):
            add(dev.VirtualUSB(key=7100 + i, controllerKey=usb_keys[0] if usb_keys else 0, deviceInfo=info(usb.label),
                               backing=dev.VirtualUSB.USBBackingInfo(deviceName=usb.backing or ""),
                               connectable=connect(usb.connected)))
            seed.seeded.add("usb_device")
        for ports, kind, base in ((vm.devices.serial_ports, dev.VirtualSerialPort, 9000),
                                  (vm.devices.parallel_ports, dev.VirtualParallelPort, 10000)):
            for i, port in enumerate(ports):
                target = port.target or ""
                backings = {"device": lambda k=kind, t=target: k.DeviceBackingInfo(deviceName=t),
                            "file": lambda k=kind, t=target: k.FileBackingInfo(fileName=t)}
                if kind is dev.VirtualSerialPort:
                    backings["pipe"] = lambda t=target: dev.VirtualSerialPort.PipeBackingInfo(pipeName=t,
                                                                                              endpoint="client")
                    backings["network"] = lambda t=target: dev.VirtualSerialPort.URIBackingInfo(
                        direction="server", serviceURI=t)
                backing = backings.get(port.backing or "device", backings["device"])()
                extra = {"yieldOnPoll": True} if kind is dev.VirtualSerialPort else {}
                add(kind(key=base + i, controllerKey=400, unitNumber=i, deviceInfo=info(port.label),
                         backing=backing, connectable=connect(port.connected), **extra))
                seed.seeded.add("serial_port" if kind is dev.VirtualSerialPort else "parallel_port")
        pci = dev.VirtualPCIPassthrough
        for i, p in enumerate(vm.devices.pci):
            if p.kind == "vgpu":
                backing = pci.VmiopBackingInfo(vgpu=p.device or "")
            elif p.kind == "dynamic":
                backing = pci.DynamicBackingInfo(deviceName=p.device or "", allowedDevice=[], assignedId="")
            else:
                address, _, name = (p.device or "").partition(" ")
                backing = pci.DeviceBackingInfo(id=address, deviceId="0", systemId="", vendorId=0,
                                                deviceName=name or address)
            add(pci(key=13000 + i, controllerKey=100, deviceInfo=info(p.label), backing=backing))
            seed.seeded.add("vgpu" if p.kind == "vgpu" else "pci_passthrough")
        if vm.devices.tpm:
            seed.unsupported["tpm"] = "vcsim 0.24 stores a VirtualTPM as a bare VirtualDevice"
        return changes

    def _make_dir(self, vm: Vm, file_name: str, vmx_datastore: str) -> None:
        """Make a disk's directory unless it is the VM's own (CreateVM_Task makes that one)."""
        datastore, _, path = file_name.partition("] ")
        datastore = datastore.lstrip("[")
        directory = os.path.dirname(path)
        if directory and (directory, datastore) != (vm.name, vmx_datastore):
            os.makedirs(os.path.join(self.workdir, datastore, directory), exist_ok=True)

    # -- state after creation -------------------------------------------------------------------------
    def power(self) -> None:
        on = [self.vm_refs[v.name] for v in self.estate.vms if v.power_state in (PowerState.ON, PowerState.SUSPENDED)]
        _check_tasks(self.si, [ref.PowerOnVM_Task() for ref in on])
        suspended = [self.vm_refs[v.name] for v in self.estate.vms if v.power_state == PowerState.SUSPENDED]
        _check_tasks(self.si, [ref.SuspendVM_Task() for ref in suspended])

    def snapshots(self) -> None:
        for vm in self.estate.vms:
            if vm.snapshots:
                refs = self.snapshot_refs[vm.name] = {}
                self._snapshot_tree(self.vm_refs[vm.name], vm.snapshots, None, refs)
                self.result.vms[vm.name].seeded.add("snapshots")

    def _snapshot_tree(self, ref: vim.VirtualMachine, nodes: list[Snapshot], parent: object,
                       refs: dict[str, vim.vm.Snapshot]) -> None:
        for node in nodes:  # pre-order, so vcsim's sequential ids match the estate's
            if parent is not None:
                _run(self.si, parent.RevertToSnapshot_Task())
            snap = _run(self.si, ref.CreateSnapshot_Task(name=node.name, description=node.description or "",
                                                          memory=False, quiesce=bool(node.quiesced)))
            refs.setdefault(node.name, snap)  # a repeated name means the first one, in pre-order
            self._snapshot_tree(ref, node.children, snap, refs)

    def current_snapshots(self) -> None:
        """Point each VM at its current snapshot, after every tree is complete (creating one moves it)."""
        tasks = []
        for vm in self.estate.vms:
            seed, refs = self.result.vms[vm.name], self.snapshot_refs.get(vm.name, {})
            if vm.current_snapshot in refs:
                tasks.append(refs[vm.current_snapshot].RevertToSnapshot_Task())
                seed.seeded.add("current_snapshot")
            elif vm.current_snapshot:
                seed.unsupported["current_snapshot"] = f"{vm.current_snapshot!r} is not in the snapshot tree"
            elif vm.snapshots:
                seed.unsupported["current_snapshot"] = "vcsim always points a VM with snapshots at one of them"
            else:
                seed.seeded.add("current_snapshot")  # no snapshot, none current
        _check_tasks(self.si, tasks)

    def templates(self) -> None:
        for vm in self.estate.vms:
            if vm.template:
                self.vm_refs[vm.name].MarkAsTemplate()

    def custom_attributes(self) -> None:
        manager = self.si.content.customFieldsManager
        names = sorted({k for vm in self.estate.vms for k in vm.custom_attributes})
        for name in names:
            self.result.custom_fields[name] = manager.AddCustomFieldDef(name=name, moType=vim.VirtualMachine).key
        for vm in self.estate.vms:
            for name, value in vm.custom_attributes.items():
                manager.SetField(entity=self.vm_refs[vm.name], key=self.result.custom_fields[name], value=value)
            if vm.custom_attributes:
                self.result.vms[vm.name].seeded.add("custom_attributes")

    def rules(self) -> None:
        groups = []
        for cl in self.estate.clusters:
            rule_specs, group_specs = [], []
            for rule in cl.rules:
                vms = [self.vm_refs[n] for n in rule.vms if n in self.vm_refs]
                if rule.kind in ("vm-affinity", "vm-anti-affinity"):
                    affinity = rule.kind == "vm-affinity"
                    kind = vim.cluster.AffinityRuleSpec if affinity else vim.cluster.AntiAffinityRuleSpec
                    info = kind(name=rule.name, enabled=rule.enabled, mandatory=rule.mandatory, vm=vms)
                elif rule.kind == "vm-host":
                    vm_group = rule.vm_group or f"{rule.name}-vms"
                    host_group = rule.host_group or f"{rule.name}-hosts"
                    members = [self.hosts[h] for h in rule.hosts if h in self.hosts]
                    group_specs += [
                        vim.cluster.GroupSpec(operation="add", info=vim.cluster.VmGroup(name=vm_group, vm=vms)),
                        vim.cluster.GroupSpec(operation="add",
                                              info=vim.cluster.HostGroup(name=host_group, host=members))]
                    if len(members) != len(rule.hosts):
                        missing = sorted(set(rule.hosts) - set(self.hosts))
                        self.result.unsupported[f"host_group:{host_group}"] = f"unknown hosts {missing}"
                    side = "affineHostGroupName" if rule.affine is not False else "antiAffineHostGroupName"
                    affine = {side: host_group}
                    info = vim.cluster.VmHostRuleInfo(name=rule.name, enabled=rule.enabled, mandatory=rule.mandatory,
                                                      vmGroupName=vm_group, **affine)
                else:
                    continue
                rule_specs.append(vim.cluster.RuleSpec(operation="add", info=info))
            if rule_specs:
                spec = vim.cluster.ConfigSpecEx(rulesSpec=rule_specs, groupSpec=group_specs)
                groups.append(self.clusters[cl.name].ReconfigureComputeResource_Task(spec=spec, modify=True))
        _check_tasks(self.si, groups)

    def maintenance(self) -> None:
        tasks = [self.hosts[h.name].EnterMaintenanceMode_Task(timeout=0) for h in self.estate.hosts
                 if h.maintenance_mode]
        _check_tasks(self.si, tasks)

    def rdms(self) -> None:
        """Add RDM disks last: vcsim 0.24 panics in any later disk-layout update of a VM that has one."""
        dev = vim.vm.device
        for name, disks in self.rdm_later.items():
            changes = []
            for disk, key, ctrl, unit in disks:
                backing = dev.VirtualDisk.RawDiskMappingVer1BackingInfo(
                    fileName=disk.file_name or f"[{disk.datastore}] {name}/{name}_rdm{key}.vmdk",
                    compatibilityMode="physicalMode" if disk.rdm_mode == "physical" else "virtualMode",
                    deviceName=f"/vmfs/devices/disks/naa.{(disk.lun_uuid or '')[10:42]}",
                    lunUuid=disk.lun_uuid or "", diskMode=disk.disk_mode or "persistent")
                device = dev.VirtualDisk(key=key, controllerKey=ctrl, unitNumber=unit, backing=backing,
                                         capacityInKB=(disk.capacity_bytes or 0) // 1024,
                                         deviceInfo=vim.Description(label=disk.label, summary=disk.label))
                changes.append(dev.VirtualDeviceSpec(operation="add", fileOperation="create", device=device))
            # vcsim applies the change, then the request crashes; the check below proves the disks are there
            with contextlib.suppress(HTTPException, ConnectionError):
                self.vm_refs[name].ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=changes))
        if self.rdm_later:
            refs = [self.vm_refs[n] for n in self.rdm_later]
            devices = _props(self.si, refs, vim.VirtualMachine, ["config.hardware.device"])
            for name in self.rdm_later:
                held = [d for d in devices[self.vm_refs[name]._moId]["config.hardware.device"]
                        if isinstance(getattr(d, "backing", None), dev.VirtualDisk.RawDiskMappingVer1BackingInfo)]
                if len(held) != len(self.rdm_later[name]):
                    raise RuntimeError(f"vcsim did not keep the RDM disks of {name}")

    def tags(self) -> None:
        host, port, user, password, context = self.rest
        base = f"https://{host}:{port}/rest/com/vmware/cis"
        session = _rest(context, f"{base}/session", None, auth=(user, password))["value"]
        categories: dict[str, str] = {}
        objects: dict[tuple[str, str], list[dict]] = {}
        for vm in self.estate.vms:
            for tag in vm.tags:
                objects.setdefault((tag.category, tag.name), []).append(
                    {"id": self.vm_refs[vm.name]._moId, "type": "VirtualMachine"})
            if vm.tags:
                self.result.vms[vm.name].seeded.add("tags")
        for category, name in sorted(objects):
            if category not in categories:
                spec = {"create_spec": {"name": category, "description": f"{category} (seeded)",
                                        "cardinality": "MULTIPLE", "associable_types": ["VirtualMachine"]}}
                categories[category] = _rest(context, f"{base}/tagging/category", spec, session=session)["value"]
            spec = {"create_spec": {"name": name, "description": "", "category_id": categories[category]}}
            tag_id = _rest(context, f"{base}/tagging/tag", spec, session=session)["value"]
            self.result.tags[(category, name)] = tag_id
            _rest(context, f"{base}/tagging/tag-association/id:{tag_id}?~action=attach-tag-to-multiple-objects",
                  {"object_ids": objects[(category, name)]}, session=session)


def _rest(context: ssl.SSLContext, url: str, body: object, *, session: str | None = None,
          auth: tuple[str, str] | None = None) -> dict:
    """POST to the vAPI REST endpoint and decode the JSON answer (empty answers give {})."""
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else b"",
                                     method="POST", headers={"Content-Type": "application/json"})
    if session:
        request.add_header("vmware-api-session-id", session)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        data = response.read()
    return json.loads(data) if data else {}


def seed_estate(si: vim.ServiceInstance, estate: Estate, *, rest: tuple, guest_hook: bool = True,
                workdir: str | None = None) -> SeedResult:
    """Create ``estate`` in the simulator behind ``si``; ``rest`` is (host, port, user, password, ssl_context).

    ``workdir`` receives one directory per datastore (default: a new temporary directory, left for the caller,
    since the simulator writes VM files there); the simulator must run on this machine to see it.
    """
    started = time.perf_counter()
    seeder = _Seeder(si, estate, rest, guest_hook, workdir or tempfile.mkdtemp(prefix="planner-seed-"))
    seeder.infrastructure()
    seeder.vms()
    seeder.power()
    seeder.snapshots()
    seeder.templates()
    seeder.custom_attributes()
    seeder.rules()
    seeder.maintenance()
    seeder.tags()
    seeder.current_snapshots()  # last but for RDMs: nothing after it may create a snapshot
    seeder.rdms()
    seeder.result.seconds = time.perf_counter() - started
    return seeder.result
