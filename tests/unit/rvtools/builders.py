"""An RVTools *writer* for tests and the benchmark: an Estate out as RVTools would export it.

Sheet and column names follow public RVTools 4.x exports (and 3.x: ``MB`` units, no ``VM ID``/``SMBIOS UUID``).
Shapes (shapes.py): xlsx workbook, folder of ``RVTools_tab<Tab>.csv`` files (comma or semicolon with decimal
comma, with or without BOM), or a zip of those CSVs. The parser under test never sees this module. The sample
estate and the compared traits live in sample.py and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner.models import CdRom, Disk, Estate, Snapshot, Vm
from tests.unit.rvtools.sample import COLLECTED, SERVER, sample_estate, vm_traits
from tests.unit.rvtools.shapes import (
    TabRows,
    csv_bytes,
    write_csv_folder,
    write_xlsx,
    write_xlsx_like_excel,
    write_zip,
)

__all__ = ["ALL_TABS", "COLLECTED", "SERVER", "VM_TABS", "RvToolsWriter", "csv_bytes", "export_tables",
           "sample_estate", "vm_traits", "write_csv_folder", "write_export", "write_xlsx", "write_xlsx_like_excel",
           "write_zip"]

MIB = 1024**2

_VINFO_HEAD = [
    "VM", "Powerstate", "Template", "SRM Placeholder", "Config status", "DNS Name", "Connection state", "Guest state",
    "Heartbeat", "Consolidation Needed", "PowerOn", "Suspended To Memory", "Suspend time", "Suspend Interval",
    "Creation date", "Change Version", "CPUs", "Overall Cpu Readiness", "Memory", "Active Memory", "NICs", "Disks",
    "Total disk capacity MiB", "Fixed Passthru HotPlug", "min Required EVC Mode Key", "Latency Sensitivity",
    "Op Notification Timeout", "EnableUUID", "CBT", "Primary IP Address", "Network #1", "Network #2", "Network #3",
    "Network #4", "Num Monitors", "Video Ram KiB", "Resource pool", "Folder ID", "Folder", "vApp", "DAS protection",
    "FT State", "FT Role", "FT Latency", "FT Bandwidth", "FT Sec. Latency", "Vm Failover In Progress",
    "Provisioned MiB", "In Use MiB", "Unshared MiB", "HA Restart Priority", "HA Isolation Response",
    "HA VM Monitoring", "Cluster rule(s)", "Cluster rule name(s)", "Boot Required", "Boot delay", "Boot retry delay",
    "Boot retry enabled", "Boot BIOS setup", "Reboot PowerOff", "EFI Secure boot", "Firmware", "HW version",
    "HW upgrade status", "HW upgrade policy", "HW target", "Path", "Log directory", "Snapshot directory",
    "Suspend directory", "Annotation",
]
_VINFO_TAIL = [
    "Datacenter", "Cluster", "Host", "OS according to the configuration file", "OS according to the VMware Tools",
    "Customization Info", "Guest Detailed Data", "VM ID", "SMBIOS UUID", "VM UUID", "VI SDK Server type",
    "VI SDK API Version", "VI SDK Server", "VI SDK UUID",
]
_VM_TAIL = [
    "Annotation", "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file",
    "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID",
]
_HEADERS = {
    "vCPU": ["VM", "Powerstate", "Template", "SRM Placeholder", "CPUs", "Sockets", "Cores p/s", "Max", "Overall",
             "Level", "Shares", "Reservation", "Entitlement", "DRS Entitlement", "Limit", "Hot Add", "Hot Remove",
             "Numa Hotadd Exposed"],
    "vMemory": ["VM", "Powerstate", "Template", "SRM Placeholder", "Size MiB", "Memory Reservation Locked To Max",
                "Overhead", "Max", "Consumed", "Consumed Overhead", "Private", "Shared", "Swapped", "Ballooned",
                "Active", "Entitlement", "DRS Entitlement", "Level", "Shares", "Reservation", "Limit", "Hot Add"],
    "vDisk": ["VM", "Powerstate", "Template", "SRM Placeholder", "Disk", "Disk Key", "Disk UUID", "Disk Path",
              "Capacity MiB", "Raw", "Disk Mode", "Sharing mode", "Thin", "Eagerly Scrub", "Split", "Write Through",
              "Level", "Shares", "Reservation", "Limit", "Controller", "Label", "SCSI Unit #", "Unit #",
              "Shared Bus", "Path", "Raw LUN ID", "Raw Comp. Mode", "Internal Sort Column"],
    "vPartition": ["VM", "Powerstate", "Template", "SRM Placeholder", "Disk Key", "Disk", "Capacity MiB",
                   "Consumed MiB", "Free MiB", "Free %", "Internal Sort Column"],
    "vNetwork": ["VM", "Powerstate", "Template", "SRM Placeholder", "NIC label", "Adapter", "Network", "Switch",
                 "Connected", "Starts Connected", "Mac Address", "Type", "IPv4 Address", "IPv6 Address",
                 "Direct Path IO", "Internal Sort Column"],
    "vCD": ["VM", "Powerstate", "Template", "SRM Placeholder", "Device Node", "Connected", "Starts Connected",
            "Device Type"],
    "vUSB": ["VM", "Powerstate", "Template", "SRM Placeholder", "Device Node", "Device Type", "Connected", "Family",
             "Speed", "EHCI enabled", "Auto connect", "Bus number", "Unit number"],
    "vSnapshot": ["VM", "Powerstate", "Name", "Description", "Date / time", "Filename", "Size MiB (vmsn)",
                  "Size MiB (total)", "Quiesced", "State"],
    "vTools": ["VM", "Powerstate", "Template", "SRM Placeholder", "VM Version", "Tools", "Tools Version",
               "Required Version", "Upgradeable", "Upgrade Policy", "Sync time", "App status", "Heartbeat status",
               "Kernel Crash state", "Operation Ready", "State change support", "Interactive Guest"],
    "vHost": ["Host", "Datacenter", "Cluster", "Config status", "Compliance Check State", "in Maintenance Mode",
              "in Quarantine Mode", "vSAN Fault Domain Name", "CPU Model", "Speed", "HT Available", "HT Active",
              "# CPU", "Cores per CPU", "# Cores", "CPU usage %", "# Memory", "Memory Tiering Type",
              "Memory usage %", "Console", "# NICs", "# HBAs", "# VMs total", "# VMs", "VMs per Core", "# vCPUs",
              "vCPUs per Core", "vRAM", "ESX Version", "Boot time", "Vendor", "Model", "Serial number",
              "Object ID", "UUID", "VI SDK Server", "VI SDK UUID"],
    "vCluster": ["Name", "Config status", "OverallStatus", "NumHosts", "numEffectiveHosts", "TotalCpu",
                 "NumCpuCores", "NumCpuThreads", "Effective Cpu", "TotalMemory", "Effective Memory", "Num VMotions",
                 "HA enabled", "Failover Level", "AdmissionControlEnabled", "Host monitoring", "DRS enabled",
                 "DRS default VM behavior", "DRS vmotion rate", "DPM enabled", "Object ID", "VI SDK Server",
                 "VI SDK UUID"],
    "vDatastore": ["Name", "Config status", "Address", "Accessible", "Type", "# VMs total", "# VMs", "Capacity MiB",
                   "Provisioned MiB", "In Use MiB", "Free MiB", "Free %", "SIOC enabled", "# Hosts", "Hosts",
                   "Block size", "Major Version", "Version", "MHA", "URL", "Object ID", "VI SDK Server",
                   "VI SDK UUID"],
    "vPort": ["Host", "Datacenter", "Cluster", "Port Group", "Switch", "VLAN", "Promiscuous Mode", "Mac Changes",
              "Forged Transmits", "VI SDK Server", "VI SDK UUID"],
    "dvPort": ["Port", "Switch", "Type", "# Ports", "VLAN", "Allow Promiscuous", "Object ID", "VI SDK Server",
               "VI SDK UUID"],
    "vSource": ["Name", "OS type", "API type", "API version", "Version", "Patch level", "Build", "Fullname",
                "Product name", "Product version", "Product line", "Vendor", "VI SDK Server", "VI SDK UUID"],
    "vMetaData": ["RVTools major version", "RVTools version", "xlsx creation datetime", "Server"],
}
VM_TABS = ("vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vCD", "vUSB", "vSnapshot", "vTools")
ALL_TABS = ("vInfo", *VM_TABS, "vHost", "vCluster", "vDatastore", "vPort", "dvPort", "vSource", "vMetaData")


def _mib(value: int | None) -> int | None:
    return None if value is None else value // MIB


def _lim(value: int | None) -> int:
    return -1 if value is None else value


def _hw(version: str | None) -> str | None:
    return version.removeprefix("vmx-") if version else None


def _cd_type(cd: CdRom) -> str:
    return {"iso": f"ISO {cd.iso_path or ''}".strip(), "client": "Client Device", "host": "Host Device"}.get(
        cd.backing, "")


class RvToolsWriter:
    """Rows of every tab for one estate; `version=3` writes the 3.x header spellings."""

    def __init__(self, estate: Estate, *, version: int = 4, attributes: list[str] | None = None,
                 api_version: str = "8.0.2.0", exported: datetime | None = None) -> None:
        self.estate = estate
        self.version = version
        self.attributes = attributes if attributes is not None else sorted(
            {key for vm in estate.vms for key in vm.custom_attributes})
        self.api_version = api_version
        self.exported = exported or estate.collected_at
        self.server = estate.sources[0].name if estate.sources else "vcenter.example.test"

    # -- headers -------------------------------------------------------------------------------------
    def _spell(self, header: str) -> str:
        return header.replace("MiB", "MB") if self.version == 3 else header

    def header(self, tab: str) -> list[str]:
        return [self._spell(name) for name in _original_names(self, tab)]

    # -- rows ------------------------------------------------------------------------------------------
    def _vm_tail(self, vm: Vm) -> dict[str, Any]:
        return {
            "Annotation": vm.annotation, "Datacenter": vm.datacenter, "Cluster": vm.cluster, "Host": vm.host,
            "Folder": vm.folder, "OS according to the configuration file": vm.guest.configured_name,
            "OS according to the VMware Tools": vm.guest.tools_name, "VM ID": vm.moid, "VM UUID": vm.instance_uuid,
            "VI SDK Server": vm.source, "VI SDK UUID": "5f1c1d8e-0000-4000-8000-000000000001",
            "Powerstate": vm.power_state.value if vm.power_state else None, "Template": vm.template,
            "SRM Placeholder": False, "VM": vm.name,
        }

    def _vinfo(self, vm: Vm) -> dict[str, Any]:
        networks = [n.network for n in vm.nics]
        row = {
            **self._vm_tail(vm),
            "DNS Name": vm.guest.hostname, "Connection state": vm.connection_state, "Config status": "green",
            "Consolidation Needed": vm.consolidation_needed, "CPUs": vm.num_cpu, "Memory": vm.memory_mib,
            "NICs": len(vm.nics), "Disks": len(vm.disks), "Total disk capacity MiB": _mib(vm.provisioned_bytes),
            "Latency Sensitivity": vm.latency_sensitivity, "Primary IP Address": vm.guest_ips[0] if vm.guest_ips
            else None, "Resource pool": vm.resource_pool, "FT State": vm.ft_state,
            "Provisioned MiB": _mib(vm.provisioned_bytes), "In Use MiB": _mib(vm.usage.committed_bytes),
            "EFI Secure boot": vm.secure_boot, "Firmware": vm.firmware, "HW version": _hw(vm.hardware_version),
            "SMBIOS UUID": vm.bios_uuid, "VI SDK API Version": self.api_version,
            "VI SDK Server type": "VMware vCenter Server",
            "Path": f"[{vm.disks[0].datastore}] {vm.name}/{vm.name}.vmx"
            if vm.disks and vm.disks[0].datastore else None,
            **{f"Network #{i + 1}": name for i, name in enumerate(networks[:4])},
            **{name: vm.custom_attributes.get(name) for name in self.attributes},
        }
        return row

    def _rows(self, tab: str) -> Iterator[dict[str, Any]]:
        estate = self.estate
        if tab == "vInfo":
            yield from (self._vinfo(vm) for vm in estate.vms)
        elif tab == "vCPU":
            for vm in estate.vms:
                sockets = vm.num_cpu // vm.cores_per_socket if vm.num_cpu and vm.cores_per_socket else None
                yield {**self._vm_tail(vm), "CPUs": vm.num_cpu, "Sockets": sockets, "Cores p/s": vm.cores_per_socket,
                       "Overall": vm.usage.cpu_mhz, "Level": "normal", "Shares": 1000 * (vm.num_cpu or 1),
                       "Reservation": vm.cpu_reservation_mhz, "Limit": _lim(vm.cpu_limit_mhz),
                       "Hot Add": vm.cpu_hot_add, "Hot Remove": False}
        elif tab == "vMemory":
            for vm in estate.vms:
                yield {**self._vm_tail(vm), "Size MiB": vm.memory_mib, "Consumed": vm.usage.host_memory_mib,
                       "Active": vm.usage.guest_memory_mib, "Reservation": vm.memory_reservation_mib,
                       "Limit": _lim(vm.memory_limit_mib), "Hot Add": vm.memory_hot_add, "Level": "normal"}
        elif tab in ("vDisk", "vPartition"):
            for vm in estate.vms:
                for disk in vm.disks:
                    yield self._disk(vm, disk, tab)
        elif tab == "vNetwork":
            for vm in estate.vms:
                for nic in vm.nics:
                    v4 = [ip for ip in nic.ips if ":" not in ip]
                    v6 = [ip for ip in nic.ips if ":" in ip]
                    yield {**self._vm_tail(vm), "NIC label": nic.label, "Adapter": (nic.adapter or "").capitalize(),
                           "Network": nic.network, "Connected": nic.connected, "Starts Connected": nic.start_connected,
                           "Mac Address": nic.mac, "Type": "assigned", "IPv4 Address": ", ".join(v4) or None,
                           "IPv6 Address": ", ".join(v6) or None, "Direct Path IO": False}
        elif tab == "vCD":
            for vm in estate.vms:
                for cd in vm.devices.cdroms:
                    yield {**self._vm_tail(vm), "Device Node": cd.label, "Connected": cd.connected,
                           "Starts Connected": cd.start_connected, "Device Type": _cd_type(cd)}
        elif tab == "vUSB":
            for vm in estate.vms:
                for usb in vm.devices.usb_devices:
                    yield {**self._vm_tail(vm), "Device Node": usb.label, "Device Type": usb.backing,
                           "Connected": usb.connected, "Family": "storage", "Speed": "high"}
        elif tab == "vSnapshot":
            for vm in estate.vms:
                for snap in _walk(vm.snapshots):
                    yield {**self._vm_tail(vm), "Name": snap.name, "Description": snap.description,
                           "Date / time": snap.created.replace(tzinfo=None) if snap.created else None,
                           "Quiesced": snap.quiesced, "State": snap.state, "Size MiB (total)": 512}
        elif tab == "vTools":
            for vm in estate.vms:
                yield {**self._vm_tail(vm), "VM Version": _hw(vm.hardware_version), "Tools": vm.tools.status,
                       "Tools Version": vm.tools.version, "Upgradeable": False}
        else:
            yield from self._infra_rows(tab)

    def _disk(self, vm: Vm, disk: Disk, tab: str) -> dict[str, Any]:
        base = {**self._vm_tail(vm), "Disk Key": disk.key, "Capacity MiB": _mib(disk.capacity_bytes)}
        if tab == "vPartition":
            capacity = _mib(disk.capacity_bytes) or 0
            return {**base, "Disk": "/" if disk.key == 2000 else f"/data{disk.key}", "Consumed MiB": capacity // 2,
                    "Free MiB": capacity - capacity // 2, "Free %": 50}
        raw = disk.backing == "rdm"
        return {**base, "Disk": disk.label, "Disk Path": disk.file_name, "Raw": raw, "Disk Mode": disk.disk_mode,
                "Sharing mode": disk.sharing, "Thin": disk.thin, "Eagerly Scrub": disk.eager_zero,
                "Shared Bus": disk.controller_sharing, "Controller": disk.controller, "Label": disk.label,
                "Raw LUN ID": disk.lun_uuid if raw else None,
                "Raw Comp. Mode": f"{disk.rdm_mode}Mode" if raw and disk.rdm_mode else None}

    def _infra_rows(self, tab: str) -> Iterator[dict[str, Any]]:
        estate = self.estate
        common = {"VI SDK Server": self.server, "VI SDK UUID": "5f1c1d8e-0000-4000-8000-000000000001"}
        if tab == "vHost":
            for h in estate.hosts:
                yield {**common, "Host": h.name, "Datacenter": h.datacenter, "Cluster": h.cluster,
                       "in Maintenance Mode": h.maintenance_mode, "CPU Model": h.cpu_model, "Speed": h.cpu_mhz,
                       "# CPU": h.cpu_sockets, "# Cores": h.cpu_cores, "# Memory": h.memory_mib,
                       "ESX Version": f"VMware ESXi {h.version} build-{h.build}" if h.version else None,
                       "Vendor": h.vendor, "Model": h.model, "Object ID": h.moid}
        elif tab == "vCluster":
            for c in estate.clusters:
                yield {**common, "Name": c.name, "NumHosts": c.host_count, "HA enabled": c.ha_enabled,
                       "DRS enabled": c.drs_enabled, "DRS default VM behavior": c.drs_behavior,
                       "AdmissionControlEnabled": c.ha_admission_control, "Object ID": c.moid}
        elif tab == "vDatastore":
            for d in estate.datastores:
                yield {**common, "Name": d.name, "Accessible": True, "Type": d.type, "Capacity MiB": _mib(
                    d.capacity_bytes), "Free MiB": _mib(d.free_bytes), "MHA": d.multiple_host_access, "URL": d.url,
                       "Object ID": d.moid}
        elif tab in ("vPort", "dvPort"):
            kind = "standard" if tab == "vPort" else "distributed-portgroup"
            for n in estate.networks:
                if n.kind == kind:
                    yield {**common, "Port Group" if tab == "vPort" else "Port": n.name, "Switch": n.switch,
                           "VLAN": n.vlan_id, "Object ID": n.moid}
        elif tab == "vSource":
            source = estate.sources[0] if estate.sources else None
            yield {**common, "Name": self.server, "API type": "VirtualCenter", "API version": self.api_version,
                   "Fullname": source.product if source else None, "VI SDK UUID": source.instance_uuid if source
                   else None}
        elif tab == "vMetaData":
            yield {"RVTools major version": 4 if self.version == 4 else 3,
                   "RVTools version": "4.7.1.4" if self.version == 4 else "3.11.9",
                   "xlsx creation datetime": self.exported.astimezone(UTC).replace(tzinfo=None),
                   "Server": self.server}

    def table(self, tab: str) -> TabRows:
        """(header, rows) of one tab, values in header order."""
        spelled = self.header(tab)
        original = _original_names(self, tab)
        return spelled, ([row.get(name) for name in original] for row in self._rows(tab))


def _original_names(writer: RvToolsWriter, tab: str) -> list[str]:
    if tab == "vInfo":
        names = [*_VINFO_HEAD, *writer.attributes, *_VINFO_TAIL]
    elif tab in VM_TABS:
        names = [*_HEADERS[tab], *_VM_TAIL]
    else:
        names = list(_HEADERS[tab])
    return [n for n in names if writer.version == 4 or n not in ("VM ID", "SMBIOS UUID")]


def _walk(nodes: list[Snapshot]) -> Iterator[Snapshot]:
    for node in nodes:
        yield node
        yield from _walk(node.children)


def export_tables(estate: Estate, *, version: int = 4, tabs: Iterable[str] = ALL_TABS,
                  attributes: list[str] | None = None) -> dict[str, TabRows]:
    writer = RvToolsWriter(estate, version=version, attributes=attributes)
    return {tab: writer.table(tab) for tab in tabs}


def write_export(estate: Estate, target: Path, *, shape: str = "xlsx", version: int = 4,
                 tabs: Iterable[str] = ALL_TABS, delimiter: str = ",", bom: bool = False) -> Path:
    """Write `estate` as an RVTools export: shape `xlsx` (openpyxl: inline strings, no dimension), `excel`
    (an xlsx with shared strings and a dimension, as Excel/.NET writers make it), `csv` (a folder) or `zip`."""
    tables = export_tables(estate, version=version, tabs=tabs)
    writers: dict[str, Callable[[], Path]] = {
        "xlsx": lambda: write_xlsx(tables, target),
        "excel": lambda: write_xlsx_like_excel(tables, target),
        "csv": lambda: write_csv_folder(tables, target, delimiter=delimiter, bom=bom),
        "zip": lambda: write_zip(tables, target, delimiter=delimiter, bom=bom),
    }
    return writers[shape]()
