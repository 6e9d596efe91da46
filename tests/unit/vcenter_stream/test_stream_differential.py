"""Differential: the same PropertyCollector answer, read by pyVmomi and by the stream parser, maps to one model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pyVmomi import VmomiSupport, vim

from planner.sources.vcenter import properties as paths
from planner.sources.vcenter.mapping import Lookups, map_cluster, map_host, map_vm
from planner.sources.vcenter.stream import parse_result
from planner.sources.vcenter.topology import Topology
from tests.unit.test_vcenter_mapping import sample_devices
from tests.unit.vcenter_stream.wire import answer, chunks, content, through_pyvmomi

D = vim.vm.device


def more_devices() -> list[Any]:
    """Device and backing subtypes beyond the mapping test's sample: every branch of devices.py."""
    label = vim.Description
    connect = D.VirtualDevice.ConnectInfo
    return [
        D.VirtualLsiLogicSASController(key=1001, sharedBus="physicalSharing", deviceInfo=label(label="SCSI 1")),
        D.VirtualDisk(key=2002, controllerKey=1001, capacityInKB=2048, deviceInfo=label(label="Hard disk 3"),
                      backing=D.VirtualDisk.SeSparseBackingInfo(fileName="[ds2] vm/se.vmdk", diskMode="persistent")),
        D.VirtualDisk(key=2003, controllerKey=1001, capacityInBytes=4096, deviceInfo=label(label="Hard disk 4"),
                      backing=D.VirtualDisk.SparseVer2BackingInfo(fileName="[ds2] vm/sp.vmdk", diskMode="persistent")),
        D.VirtualDisk(key=2004, controllerKey=1001, capacityInBytes=8192,
                      backing=D.VirtualDisk.FlatVer2BackingInfo(fileName="[gone] vm/x.vmdk", diskMode="persistent",
                                                                eagerlyScrub=True, thinProvisioned=False)),
        D.VirtualDisk(key=2005, controllerKey=1001, capacityInBytes=1,
                      backing=D.VirtualDisk.RawDiskMappingVer1BackingInfo(fileName="[ds1] vm/v.vmdk",
                                                                          compatibilityMode="virtualMode")),
        D.VirtualE1000(key=4001, macAddress="00:50:56:00:00:01", deviceInfo=label(label="Network adapter 2"),
                       connectable=connect(connected=False, startConnected=True),
                       backing=D.VirtualEthernetCard.NetworkBackingInfo(network=vim.Network("network-7"),
                                                                        deviceName="VM Network")),
        D.VirtualVmxnet3(key=4002, macAddress="00:50:56:00:00:02",
                         backing=D.VirtualEthernetCard.OpaqueNetworkBackingInfo(opaqueNetworkId="nsx-1",
                                                                                opaqueNetworkType="nsx")),
        D.VirtualSriovEthernetCard(key=4003, macAddress="00:50:56:00:00:03",
                                   backing=D.VirtualEthernetCard.NetworkBackingInfo(deviceName="sriov-net")),
        D.VirtualUSBController(key=7000, deviceInfo=label(label="USB controller")),
        D.VirtualSerialPort(key=9001, backing=D.VirtualSerialPort.URIBackingInfo(serviceURI="telnet://:7001",
                                                                                 direction="server")),
        D.VirtualSerialPort(key=9002, deviceInfo=label(label="Serial port 3"),
                            backing=D.VirtualSerialPort.DeviceBackingInfo(deviceName="/dev/ttyS0")),
        D.VirtualPCIPassthrough(key=13002, deviceInfo=label(label="PCI device 2"),
                                backing=D.VirtualPCIPassthrough.DynamicBackingInfo(deviceName="GPU")),
        D.VirtualSCSIPassthrough(key=13100, deviceInfo=label(label="SCSI device 0", summary="Tape: HP LTO-7"),
                                 backing=D.VirtualSCSIPassthrough.DeviceBackingInfo(deviceName="/dev/sg2")),
        D.VirtualCdrom(key=3001, deviceInfo=label(label="CD/DVD drive 2"),
                       backing=D.VirtualCdrom.RemotePassthroughBackingInfo(deviceName="", exclusive=False)),
        D.VirtualCdrom(key=3002, backing=D.VirtualCdrom.AtapiBackingInfo(deviceName="/dev/cdrom")),
        D.VirtualKeyboard(key=600, deviceInfo=label(label="Keyboard")),
    ]


def rich_vm() -> dict[str, Any]:
    """A VM property set with arrays, nested subtypes, references, dates, enums and an anyType option value."""
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    child = vim.vm.SnapshotTree(name="after", description="", createTime=when, id=2, state="poweredOff",
                                quiesced=False, snapshot=vim.vm.Snapshot("snapshot-2"), childSnapshotList=[])
    root = vim.vm.SnapshotTree(name="pre-patch", description="before <patch> & reboot", createTime=when, id=1,
                               state="poweredOn", quiesced=True, snapshot=vim.vm.Snapshot("snapshot-1"),
                               childSnapshotList=[child])
    return {
        "name": "web&<01>", "parent": vim.Folder("group-v3"), "resourcePool": vim.ResourcePool("resgroup-9"),
        "config.instanceUuid": "5003-aa", "config.uuid": "4203-bb", "config.template": False,
        "config.guestId": "rhel8_64Guest", "config.guestFullName": "Red Hat Enterprise Linux 8 (64-bit)",
        "config.version": "vmx-19", "config.firmware": "efi", "config.bootOptions.efiSecureBootEnabled": True,
        "config.hardware.numCPU": 4, "config.hardware.numCoresPerSocket": 2, "config.hardware.memoryMB": 8192,
        "config.hardware.device": D.VirtualDevice.Array(sample_devices() + more_devices()),
        "config.cpuAllocation.reservation": VmomiSupport.long(1000), "config.cpuAllocation.limit":
            VmomiSupport.long(-1), "config.memoryAllocation.reservation": VmomiSupport.long(2048),
        "config.memoryAllocation.limit": VmomiSupport.long(4096), "config.cpuHotAddEnabled": True,
        "config.memoryHotAddEnabled": False, "config.latencySensitivity.level": "high",
        "config.cpuAffinity.affinitySet": VmomiSupport.GetVmodlType("int[]")([0, 2]),
        "config.annotation": "line one\nPCI-DSS: yes",
        "config.extraConfig": vim.option.OptionValue.Array([
            vim.option.OptionValue(key="numa.nodeAffinity", value="0, 1"),
            vim.option.OptionValue(key="svga.present", value="TRUE")]),
        "runtime.powerState": "poweredOn", "runtime.connectionState": "connected",
        "runtime.host": vim.HostSystem("host-1"), "runtime.faultToleranceState": "notConfigured",
        "runtime.consolidationNeeded": False,
        "guest.guestId": "rhel8_64Guest", "guest.guestFullName": "Red Hat 8", "guest.hostName": "web01",
        "guest.ipAddress": "192.0.2.10",
        "guest.net": vim.vm.GuestInfo.NicInfo.Array([
            vim.vm.GuestInfo.NicInfo(macAddress="00:50:56:aa:bb:cc", ipAddress=["192.0.2.10", "fe80::1"],
                                     connected=True, deviceConfigId=4000),
            vim.vm.GuestInfo.NicInfo(macAddress="00:50:56:00:00:01", ipAddress=["198.51.100.7"], connected=True,
                                     deviceConfigId=4001)]),
        "guest.disk": vim.vm.GuestInfo.DiskInfo.Array([
            vim.vm.GuestInfo.DiskInfo(diskPath="/", capacity=VmomiSupport.long(10 << 30),
                                      freeSpace=VmomiSupport.long(4 << 30),
                                      mappings=[vim.vm.GuestInfo.VirtualDiskMapping(key=2000)]),
            vim.vm.GuestInfo.DiskInfo(diskPath="/var", capacity=VmomiSupport.long(5 << 30),
                                      freeSpace=VmomiSupport.long(1 << 30))]),
        "guest.toolsStatus": "toolsOk", "guest.toolsRunningStatus": "guestToolsRunning",
        "guest.toolsVersion": "12352", "guest.toolsVersionStatus2": "guestToolsCurrent",
        "summary.quickStats.overallCpuUsage": 350, "summary.quickStats.guestMemoryUsage": 1200,
        "summary.quickStats.hostMemoryUsage": 4000, "summary.quickStats.uptimeSeconds": 86400,
        "summary.storage.committed": VmomiSupport.long(12 << 30),
        "summary.storage.uncommitted": VmomiSupport.long(3 << 30),
        "snapshot.rootSnapshotList": vim.vm.SnapshotTree.Array([root]),
        "snapshot.currentSnapshot": vim.vm.Snapshot("snapshot-2"),
        "customValue": vim.CustomFieldsManager.Value.Array([
            vim.CustomFieldsManager.StringValue(key=101, value="finance"),
            vim.CustomFieldsManager.StringValue(key=102, value="")]),
    }


def lookups() -> Lookups:
    topology = Topology()
    topology.add("Datacenter", "datacenter-2", "DC0", None)
    topology.add("Folder", "group-v3", "vm", vim.Datacenter("datacenter-2"))
    topology.add("ResourcePool", "resgroup-9", "Resources", None)
    return Lookups(source="vc", topology=topology, hosts={"host-1": "esx01", "host-2": "esx02"},
                   host_cluster={"host-1": "C0"}, datastores={"ds-1": "ds1", "datastore-1": "ds1"},
                   networks={"network-7": "VM Network"}, portgroups={"dvportgroup-9": "pg-app"},
                   opaque_networks={"nsx-1": "segment-a"}, custom_fields={101: "cost-centre"},
                   tags={"vm-1": [("env", "prod")]})


def both(result: Any, chunk: int = 4096) -> tuple[list[Any], list[Any]]:
    data = answer(result)
    return through_pyvmomi(data), parse_result(chunks(data, chunk)).objects


def test_a_rich_vm_maps_to_the_same_model_through_both_parsers() -> None:
    props = rich_vm()
    assert set(props) == set(paths.VM_PATHS)  # every path planner asks for is exercised
    result = vim.PropertyCollector.RetrieveResult(objects=[content("vm-1", vim.VirtualMachine, props)])
    slow, fast = both(result)
    assert [o.moid for o in fast] == ["vm-1"] and fast[0].kind == slow[0].kind == "VirtualMachine"
    want = map_vm("vm-1", slow[0].props, lookups()).model_dump()
    got = map_vm("vm-1", fast[0].props, lookups()).model_dump()
    assert got == want
    # the mapping really saw the subtypes (not a model of empty lists on both sides)
    assert {d["backing"] for d in got["disks"]} == {"flat", "rdm", "sesparse", "sparse"}
    assert {n["network"] for n in got["nics"]} == {"pg-app", "VM Network", "segment-a", "sriov-net"}
    assert got["numa_node_affinity"] == [0, 1] and got["current_snapshot"] == "after"
    assert got["devices"]["scsi_passthrough"][0]["device"] == "/dev/sg2" and got["devices"]["tpm"] is True
    assert {c["backing"] for c in got["devices"]["cdroms"]} == {"iso", "client", "host"}
    assert got["snapshots"][0]["created"] == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_hosts_clusters_and_datastores_match() -> None:
    cluster_config = vim.cluster.ConfigInfoEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior="fullyAutomated"),
        dasConfig=vim.cluster.DasConfigInfo(enabled=True, admissionControlEnabled=False),
        group=[vim.cluster.VmGroup(name="db-vms", vm=[vim.VirtualMachine("vm-1")]),
               vim.cluster.HostGroup(name="db-hosts", host=[vim.HostSystem("host-2")])],
        rule=[vim.cluster.AntiAffinityRuleSpec(name="spread", enabled=True, vm=[vim.VirtualMachine("vm-1")]),
              vim.cluster.VmHostRuleInfo(name="pin", enabled=True, mandatory=True, vmGroupName="db-vms",
                                         affineHostGroupName="db-hosts"),
              vim.cluster.DependencyRuleInfo(name="order", enabled=False)])
    result = vim.PropertyCollector.RetrieveResult(objects=[
        content("domain-c7", vim.ClusterComputeResource, {
            "name": "C0", "parent": vim.Folder("group-h4"), "configurationEx": cluster_config,
            "host": vim.HostSystem.Array([vim.HostSystem("host-1"), vim.HostSystem("host-2")])}),
        content("host-1", vim.HostSystem, {
            "name": "esx01", "summary.hardware.memorySize": VmomiSupport.long(256 << 30),
            "summary.hardware.numCpuPkgs": 2, "runtime.inMaintenanceMode": False,
            "runtime.powerState": "poweredOn", "summary.config.product.version": "8.0.2"}),
    ])
    slow, fast = both(result, chunk=97)
    names = {"vm-1": "web"}.get
    assert (map_cluster("domain-c7", fast[0].props, lookups(), lambda m: names(m) or m).model_dump()
            == map_cluster("domain-c7", slow[0].props, lookups(), lambda m: names(m) or m).model_dump())
    got = map_cluster("domain-c7", fast[0].props, lookups(), lambda m: names(m) or m)
    assert [r.kind for r in got.rules] == ["vm-anti-affinity", "vm-host", "other"]
    assert got.rules[1].hosts == ["esx02"] and got.host_count == 2
    assert (map_host("host-1", fast[1].props, lookups(), "C0").model_dump()
            == map_host("host-1", slow[1].props, lookups(), "C0").model_dump())
    assert fast[1].props["summary.hardware.memorySize"] == 256 << 30


def test_every_chunking_gives_the_same_objects() -> None:
    result = vim.PropertyCollector.RetrieveResult(objects=[content(f"vm-{i}", vim.VirtualMachine, rich_vm())
                                                           for i in range(3)], token="page-2")
    data = answer(result)
    reference = map_vm("vm-0", parse_result(iter([data])).objects[0].props, lookups()).model_dump()
    for size in (1, 7, 1000):
        page = parse_result(chunks(data, size))
        assert page.token == "page-2" and [o.moid for o in page.objects] == ["vm-0", "vm-1", "vm-2"]
        assert map_vm("vm-0", page.objects[0].props, lookups()).model_dump() == reference
