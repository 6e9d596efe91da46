"""A small estate with every trait an RVTools export carries, and the traits compared across sources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from planner.models import (
    CdRom,
    Cluster,
    Datastore,
    Devices,
    Disk,
    Estate,
    GuestOs,
    Host,
    Network,
    Nic,
    PowerState,
    Snapshot,
    Source,
    SourceKind,
    Tools,
    Usage,
    UsbDevice,
    Vm,
    os_family,
)

MIB = 1024**2

SERVER = "vcenter01.example.test"
COLLECTED = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def sample_estate() -> Estate:
    """Three VMs (Linux web server, Windows database with RDM/USB/ISO, a template) on two hosts."""
    web = Vm(
        name="web-01", moid="vm-101", source=SERVER, instance_uuid="50123456-aaaa-4bbb-8ccc-000000000101",
        bios_uuid="42123456-aaaa-4bbb-8ccc-000000000101", datacenter="DC1", cluster="Prod", host="esx01.example.test",
        resource_pool="Resources", folder="/DC1/vm/web", power_state=PowerState.ON, connection_state="connected",
        guest=GuestOs(configured_name="Ubuntu Linux (64-bit)", tools_name="Ubuntu Linux (64-bit)",
                      family=os_family("Ubuntu Linux (64-bit)"), hostname="web-01.example.test"),
        tools=Tools(status="toolsOk", version="12352"), hardware_version="vmx-19", firmware="efi", secure_boot=True,
        num_cpu=4, cores_per_socket=2, memory_mib=8192, cpu_reservation_mhz=0, memory_reservation_mib=0,
        cpu_hot_add=True, memory_hot_add=False, latency_sensitivity="normal", ft_state="notConfigured",
        consolidation_needed=False,
        disks=[Disk(label="Hard disk 1", key=2000, capacity_bytes=40 * 1024 * MIB, backing="flat",
                    disk_mode="persistent", sharing="sharingNone", datastore="ds-prod-01",
                    file_name="[ds-prod-01] web-01/web-01.vmdk", thin=True, controller="SCSI controller 0")],
        nics=[Nic(label="Network adapter 1", adapter="vmxnet3", network="VM Network", mac="00:50:56:aa:bb:01",
                  connected=True, start_connected=True, ips=["10.0.0.11", "fe80::1"])],
        devices=Devices(cdroms=[CdRom(label="CD/DVD drive 1", backing="client", connected=False,
                                      start_connected=False)]),
        snapshots=[Snapshot(name="before-upgrade", description="pre patch", created=datetime(2026, 2, 1, 10, 0,
                            tzinfo=UTC), quiesced=False, state="poweredOn")],
        annotation="Web tier; owner: team-a", custom_attributes={"Owner": "team-a", "Compliance": "PCI"},
        usage=Usage(cpu_mhz=350, guest_memory_mib=1024, host_memory_mib=4096, committed_bytes=20 * 1024 * MIB),
        guest_ips=["10.0.0.11", "fe80::1"],
    )
    db = Vm(
        name="db-01", moid="vm-102", source=SERVER, instance_uuid="50123456-aaaa-4bbb-8ccc-000000000102",
        bios_uuid="42123456-aaaa-4bbb-8ccc-000000000102", datacenter="DC1", cluster="Prod", host="esx02.example.test",
        resource_pool="Resources", folder="/DC1/vm/db", power_state=PowerState.ON, connection_state="connected",
        guest=GuestOs(configured_name="Microsoft Windows Server 2019 (64-bit)",
                      tools_name="Microsoft Windows Server 2019 Datacenter",
                      family=os_family("Microsoft Windows Server 2019 (64-bit)"), hostname="db-01.example.test"),
        tools=Tools(status="toolsOld", version="11365"), hardware_version="vmx-14", firmware="bios", secure_boot=False,
        num_cpu=16, cores_per_socket=8, memory_mib=131072, cpu_reservation_mhz=4000, cpu_limit_mhz=16000,
        memory_reservation_mib=131072, memory_limit_mib=None, cpu_hot_add=False, memory_hot_add=False,
        latency_sensitivity="high", ft_state="notConfigured", consolidation_needed=True,
        disks=[
            Disk(label="Hard disk 1", key=2000, capacity_bytes=100 * 1024 * MIB, backing="flat",
                 disk_mode="persistent", sharing="sharingNone", datastore="ds-prod-01",
                 file_name="[ds-prod-01] db-01/db-01.vmdk", thin=False, eager_zero=True, controller="SCSI controller 0",
                 controller_sharing="noSharing"),
            Disk(label="Hard disk 2", key=2001, capacity_bytes=500 * 1024 * MIB, backing="rdm", rdm_mode="physical",
                 disk_mode="independent_persistent", sharing="sharingMultiWriter", datastore="ds-prod-01",
                 file_name="[ds-prod-01] db-01/db-01_1.vmdk", lun_uuid="0200000000600508b1001c",
                 controller="SCSI controller 1", controller_sharing="physicalSharing"),
        ],
        nics=[Nic(label="Network adapter 1", adapter="e1000e", network="DB-VLAN20", mac="00:50:56:aa:bb:02",
                  connected=True, start_connected=True, ips=["10.0.20.5"])],
        devices=Devices(
            cdroms=[CdRom(label="CD/DVD drive 1", backing="iso", iso_path="[ds-prod-01] iso/sql2019.iso",
                          connected=True, start_connected=True)],
            usb_devices=[UsbDevice(label="USB 1", backing="path:1/0 version:2", connected=True)],
        ),
        snapshots=[],
        annotation="SQL Server; licence dongle on USB", custom_attributes={"Owner": "dba", "Backup": "daily"},
        usage=Usage(cpu_mhz=9000, guest_memory_mib=65536, host_memory_mib=131072, committed_bytes=600 * 1024 * MIB),
        guest_ips=["10.0.20.5"],
    )
    template = Vm(
        name="tpl-rhel9", moid="vm-103", source=SERVER, instance_uuid="50123456-aaaa-4bbb-8ccc-000000000103",
        bios_uuid="42123456-aaaa-4bbb-8ccc-000000000103", datacenter="DC1", cluster="Prod", host="esx01.example.test",
        folder="/DC1/vm/templates", power_state=PowerState.OFF, template=True, connection_state="connected",
        guest=GuestOs(configured_name="Red Hat Enterprise Linux 9 (64-bit)",
                      family=os_family("Red Hat Enterprise Linux 9 (64-bit)")),
        tools=Tools(status="toolsNotRunning"), hardware_version="vmx-20", firmware="efi", num_cpu=2, cores_per_socket=1,
        memory_mib=4096, consolidation_needed=False,
        disks=[Disk(label="Hard disk 1", key=2000, capacity_bytes=20 * 1024 * MIB, backing="flat",
                    disk_mode="persistent", sharing="sharingNone", datastore="ds-prod-01",
                    file_name="[ds-prod-01] tpl-rhel9/tpl-rhel9.vmdk", thin=True, controller="SCSI controller 0")],
    )
    hosts = [
        Host(name=f"esx0{i}.example.test", moid=f"host-{i}", source=SERVER, datacenter="DC1", cluster="Prod",
             version="8.0.2", build="22380479", vendor="Dell Inc.", model="PowerEdge R750",
             cpu_model="Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", cpu_sockets=2, cpu_cores=64, cpu_mhz=1995,
             memory_mib=1048576, maintenance_mode=False)
        for i in (1, 2)
    ]
    return Estate(
        collected_at=COLLECTED,
        sources=[Source(name=SERVER, kind=SourceKind.RVTOOLS, api_version="8.0.2.0",
                        product="VMware vCenter Server 8.0.2 build-22385739",
                        instance_uuid="5f1c1d8e-0000-4000-8000-000000000001", collected_at=COLLECTED)],
        clusters=[Cluster(name="Prod", moid="domain-c8", source=SERVER, datacenter="DC1", drs_enabled=True,
                          drs_behavior="fullyAutomated", ha_enabled=True, ha_admission_control=True, host_count=2)],
        hosts=hosts,
        datastores=[Datastore(name="ds-prod-01", moid="datastore-11", source=SERVER, type="VMFS",
                              capacity_bytes=4096 * 1024 * MIB, free_bytes=1024 * 1024 * MIB,
                              url="ds:///vmfs/volumes/5f1c1d8e/", multiple_host_access=True)],
        networks=[Network(name="VM Network", source=SERVER, kind="standard", switch="vSwitch0", vlan_id=0),
                  Network(name="DB-VLAN20", moid="dvportgroup-20", source=SERVER, kind="distributed-portgroup",
                          switch="dvs-prod", vlan_id=20)],
        vms=[web, db, template],
    )


def vm_traits(vm: Vm) -> dict[str, Any]:
    """What an RVTools export carries about a VM, for round-trip and cross-source comparisons."""
    return {
        "name": vm.name, "instance_uuid": vm.instance_uuid, "power_state": vm.power_state, "template": vm.template,
        "num_cpu": vm.num_cpu, "cores_per_socket": vm.cores_per_socket, "memory_mib": vm.memory_mib,
        "datacenter": vm.datacenter, "cluster": vm.cluster, "host": vm.host, "family": vm.guest.family,
        "configured_os": vm.guest.configured_name, "hardware_version": vm.hardware_version,
        "firmware": vm.firmware, "annotation": vm.annotation,
        "secure_boot": vm.secure_boot, "latency_sensitivity": vm.latency_sensitivity,
        "tools_os": vm.guest.tools_name, "hostname": vm.guest.hostname, "tools_status": vm.tools.status,
        "cpu": (vm.cpu_reservation_mhz, vm.cpu_limit_mhz, vm.cpu_hot_add),
        "memory": (vm.memory_reservation_mib, vm.memory_limit_mib, vm.memory_hot_add),
        "disks": sorted((d.label, d.key, d.capacity_bytes, d.backing, d.rdm_mode, d.disk_mode, d.sharing, d.datastore,
                         d.file_name, d.thin, d.eager_zero, d.controller, d.controller_sharing) for d in vm.disks),
        "nics": sorted((n.label, n.adapter, n.network, (n.mac or "").lower(), n.connected) for n in vm.nics),
        "cdroms": sorted((c.label, c.backing, c.iso_path, c.connected) for c in vm.devices.cdroms),
        "usb_devices": sorted(u.label for u in vm.devices.usb_devices),
        "snapshots": vm.snapshot_count,
        "custom_attributes": vm.custom_attributes,
    }
