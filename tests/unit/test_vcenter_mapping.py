"""Mapping of recorded pyVmomi data objects (built in-process) into the estate model."""

from __future__ import annotations

from datetime import UTC, datetime

from pyVmomi import vim

from planner.models import OsFamily, PowerState
from planner.sources.vcenter.devices import map_devices
from planner.sources.vcenter.mapping import Lookups, map_vm
from planner.sources.vcenter.topology import Topology

D = vim.vm.device


def _ds(moid: str) -> vim.Datastore:
    return vim.Datastore(moid)


def sample_devices() -> list:
    controller = D.ParaVirtualSCSIController(key=1000, deviceInfo=vim.Description(label="SCSI controller 0"))
    flat = D.VirtualDisk(key=2000, controllerKey=1000, capacityInBytes=10 * 1024**3,
                         deviceInfo=vim.Description(label="Hard disk 1"),
                         backing=D.VirtualDisk.FlatVer2BackingInfo(fileName="[ds1] vm/vm.vmdk", diskMode="persistent",
                                                                   thinProvisioned=True, datastore=_ds("ds-1"),
                                                                   sharing="sharingMultiWriter"))
    rdm = D.VirtualDisk(key=2001, controllerKey=1000, capacityInKB=1024,
                        deviceInfo=vim.Description(label="Hard disk 2"),
                        backing=D.VirtualDisk.RawDiskMappingVer1BackingInfo(
                            fileName="[ds1] vm/rdm.vmdk", compatibilityMode="physicalMode",
                            diskMode="independent_persistent", lunUuid="0200"))
    nic = D.VirtualVmxnet3(key=4000, macAddress="00:50:56:AA:BB:CC",
                           deviceInfo=vim.Description(label="Network adapter 1"),
                           connectable=D.VirtualDevice.ConnectInfo(connected=True, startConnected=True),
                           backing=D.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
                               port=vim.dvs.PortConnection(portgroupKey="dvportgroup-9")))
    return [
        controller, flat, rdm, nic,
        D.VirtualUSBXHCIController(key=14000, deviceInfo=vim.Description(label="USB xHCI controller")),
        D.VirtualUSB(key=15000, connected=True, deviceInfo=vim.Description(label="USB 1"),
                     backing=D.VirtualUSB.USBBackingInfo(deviceName="path:1/0/1")),
        D.VirtualSerialPort(key=9000, deviceInfo=vim.Description(label="Serial port 1"),
                            backing=D.VirtualSerialPort.PipeBackingInfo(pipeName=r"\\.\pipe\com1",
                                                                        endpoint="server"),
                            connectable=D.VirtualDevice.ConnectInfo(connected=True, startConnected=True)),
        D.VirtualParallelPort(key=10000, deviceInfo=vim.Description(label="Parallel port 1"),
                              backing=D.VirtualParallelPort.FileBackingInfo(fileName="[ds1] lp.out")),
        D.VirtualPCIPassthrough(key=13000, deviceInfo=vim.Description(label="PCI device 0"),
                                backing=D.VirtualPCIPassthrough.VmiopBackingInfo(vgpu="grid_t4-4q")),
        D.VirtualPCIPassthrough(key=13001, deviceInfo=vim.Description(label="PCI device 1"),
                                backing=D.VirtualPCIPassthrough.DeviceBackingInfo(id="0000:3b:00.0",
                                                                                  deviceName="HBA")),
        D.VirtualCdrom(key=3000, deviceInfo=vim.Description(label="CD/DVD drive 1"),
                       backing=D.VirtualCdrom.IsoBackingInfo(fileName="[ds1] iso/tools.iso"),
                       connectable=D.VirtualDevice.ConnectInfo(connected=True, startConnected=False)),
        D.VirtualTPM(key=11000, deviceInfo=vim.Description(label="Virtual TPM")),
    ]


def lookups() -> Lookups:
    topology = Topology()
    topology.add("Folder", "group-d1", "Datacenters", None)
    topology.add("Datacenter", "datacenter-2", "DC1", vim.Folder("group-d1"))
    topology.add("Folder", "group-v3", "vm", vim.Datacenter("datacenter-2"))
    topology.add("Folder", "group-v9", "web", vim.Folder("group-v3"))
    topology.add("ResourcePool", "resgroup-4", "Resources", vim.ClusterComputeResource("domain-c5"))
    topology.add("ResourcePool", "resgroup-6", "prod", vim.ResourcePool("resgroup-4"))
    return Lookups(source="vc", topology=topology, hosts={"host-7": "esx1"}, host_cluster={"host-7": "C1"},
                   datastores={"ds-1": "ds1"}, portgroups={"dvportgroup-9": "PG-Web"},
                   custom_fields={101: "Owner"}, tags={"vm-10": [("env", "prod"), ("tier", "web")]})


def test_devices_are_classified() -> None:
    mapped = map_devices(sample_devices(), {"ds-1": "ds1"}, lookups().network_name)
    flat, rdm = mapped.disks
    assert (flat.backing, flat.thin, flat.datastore, flat.multi_writer, flat.controller) == (
        "flat", True, "ds1", True, "SCSI controller 0")
    assert (rdm.backing, rdm.rdm_mode, rdm.independent, rdm.capacity_bytes, rdm.datastore) == (
        "rdm", "physical", True, 1024 * 1024, "ds1")
    [nic] = mapped.nics
    assert (nic.adapter, nic.network, nic.connected) == ("vmxnet3", "PG-Web", True)
    devices = mapped.devices
    assert [c.kind for c in devices.usb_controllers] == ["usb3"]
    assert devices.usb_devices[0].backing == "path:1/0/1"
    assert devices.serial_ports[0].backing == "pipe" and devices.parallel_ports[0].backing == "file"
    assert [(p.kind, p.device) for p in devices.pci] == [("vgpu", "grid_t4-4q"), ("passthrough", "0000:3b:00.0 HBA")]
    assert (devices.cdroms[0].backing, devices.cdroms[0].iso_path, devices.cdroms[0].connected) == (
        "iso", "[ds1] iso/tools.iso", True)
    assert devices.tpm is True


def test_vm_properties_map_and_unknowns_stay_none() -> None:
    created = datetime(2025, 5, 1, tzinfo=UTC)
    tree = vim.vm.SnapshotTree(name="before-upgrade", description="", createTime=created, id=1, state="poweredOff",
                               quiesced=False, childSnapshotList=[
                                   vim.vm.SnapshotTree(name="after", createTime=created, id=2, childSnapshotList=[])])
    props = {
        "name": "web-01", "parent": vim.Folder("group-v9"), "resourcePool": vim.ResourcePool("resgroup-6"),
        "config.guestId": "windows2019srv_64Guest", "config.guestFullName": "Microsoft Windows Server 2019",
        "config.hardware.numCPU": 4, "config.hardware.memoryMB": 8192, "config.hardware.device": sample_devices(),
        "config.cpuAllocation.limit": -1, "config.memoryAllocation.limit": 4096,
        "config.cpuAffinity.affinitySet": [0, 1], "runtime.powerState": "poweredOn",
        "runtime.host": vim.HostSystem("host-7"),
        "guest.net": [vim.vm.GuestInfo.NicInfo(macAddress="00:50:56:aa:bb:cc", ipAddress=["192.0.2.10"])],
        "snapshot.rootSnapshotList": [tree],
        "guest.disk": [vim.vm.GuestInfo.DiskInfo(diskPath="/", capacity=10 * 1024**3, freeSpace=4 * 1024**3,
                                                 mappings=[vim.vm.GuestInfo.VirtualDiskMapping(key=2000)]),
                       vim.vm.GuestInfo.DiskInfo(diskPath="/data", capacity=1024, freeSpace=0)],
        "customValue": [vim.CustomFieldsManager.StringValue(key=101, value="alice")],
    }
    vm = map_vm("vm-10", props, lookups())
    assert (vm.datacenter, vm.cluster, vm.host, vm.folder, vm.resource_pool) == (
        "DC1", "C1", "esx1", "/DC1/vm/web", "Resources/prod")
    assert vm.power_state is PowerState.ON and vm.guest.family is OsFamily.WINDOWS
    assert (vm.cpu_limit_mhz, vm.memory_limit_mib, vm.cpu_affinity) == (None, 4096, [0, 1])
    assert vm.nics[0].ips == ["192.0.2.10"] and vm.guest_ips == ["192.0.2.10"]
    assert vm.snapshot_count == 2 and vm.snapshots[0].children[0].name == "after"
    assert vm.custom_attributes == {"Owner": "alice"}
    assert [(p.path, p.disk_key, p.capacity_bytes, p.free_bytes) for p in vm.partitions] == [
        ("/", 2000, 10 * 1024**3, 4 * 1024**3), ("/data", None, 1024, 0)]
    assert [(t.category, t.name) for t in vm.tags] == [("env", "prod"), ("tier", "web")]
    # what the server did not send stays unknown
    assert vm.latency_sensitivity is None and vm.usage.cpu_mhz is None and vm.tools.status is None
    assert vm.instance_uuid is None and vm.firmware is None


def test_opaque_network_backing_is_named() -> None:
    found = lookups()
    found.opaque_networks = {"4f8e-nsx": "seg-web"}
    backing = D.VirtualEthernetCard.OpaqueNetworkBackingInfo(opaqueNetworkId="4f8e-nsx",
                                                             opaqueNetworkType="nsx.LogicalSwitch")
    assert found.network_name(backing) == "seg-web"
    assert found.network_name(D.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network")) == "VM Network"


def test_scsi_passthrough_and_sriov_nic_are_classified() -> None:
    devices = [
        D.VirtualSCSIPassthrough(key=2100, controllerKey=1000, unitNumber=4,
                                 deviceInfo=vim.Description(label="SCSI device 0", summary="HP Ultrium 6-SCSI"),
                                 backing=D.VirtualSCSIPassthrough.DeviceBackingInfo(
                                     deviceName="/vmfs/devices/genscsi/naa.5001438016b9e2a0")),
        D.VirtualSriovEthernetCard(key=4001, deviceInfo=vim.Description(label="Network adapter 2"),
                                   backing=D.VirtualEthernetCard.NetworkBackingInfo(deviceName="sriov-net")),
    ]
    mapped = map_devices(devices, {}, lookups().network_name)
    [tape] = mapped.devices.scsi_passthrough
    assert (tape.label, tape.device, tape.summary) == (
        "SCSI device 0", "/vmfs/devices/genscsi/naa.5001438016b9e2a0", "HP Ultrium 6-SCSI")
    assert [n.adapter for n in mapped.nics] == ["sriovethernetcard"]
    assert map_devices(sample_devices(), {"ds-1": "ds1"}, lookups().network_name).devices.scsi_passthrough == []


def test_numa_node_affinity_is_read_from_extra_config_only() -> None:
    option = vim.option.OptionValue
    props = {"name": "db-01", "config.extraConfig": [option(key="guestinfo.x", value="1,2"),
                                                      option(key="numa.nodeAffinity", value="0, 1")]}
    assert map_vm("vm-11", props, lookups()).numa_node_affinity == [0, 1]
    for extra in ([option(key="numa.nodeAffinity", value="")], [option(key="numa.nodeAffinity", value="x")],
                  [option(key="numa.vcpu.preferHT", value="TRUE")], None):
        assert map_vm("vm-11", {"name": "db-01", "config.extraConfig": extra}, lookups()).numa_node_affinity is None
