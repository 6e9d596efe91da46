"""The vInfo tab: one VM per row, and the index other tabs join their rows to.

Rows of the other VM tabs join on ``VM ID`` (4.x) when both tabs have it, else on ``VM UUID`` (3.x), else on
the VM name; within one ``VI SDK Server`` when both tabs name it (merged multi-vCenter exports).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.errors import InputError
from planner.models import GuestOs, PowerState, Usage, Vm, os_family
from planner.sources.rvtools.columns import Cells, Column, Columns
from planner.sources.rvtools.reader import Tab
from planner.sources.rvtools.values import MIB, hardware_version

VM_KEYS = ("vm", "vmname")
ID_KEYS = ("vmid", "objectid")  # `VM ID`; internal CSV names call it `vInfoObjectID`
UUID_KEYS = ("vmuuid", "uuid")
SERVER_KEYS = ("visdkserver",)
_POWER = {state.value.lower(): state for state in PowerState}
_TAIL = {
    "datacenter", "cluster", "host", "folder", "osaccordingtotheconfigurationfile", "osaccordingtothevmwaretools",
    "customizationinfo", "guestdetaileddata", "vmid", "smbiosuuid", "vmuuid", "visdkservertype", "visdkapiversion",
    "visdkserver", "visdkuuid", "vmversion", "hwversion",
}
"""Standard vInfo columns that end the run of custom-attribute columns RVTools places after Annotation."""


@dataclass
class JoinKeys:
    """How a tab's rows name their VM."""

    vm: Column
    vm_id: Column | None
    uuid: Column | None
    server: Column | None

    @classmethod
    def of(cls, columns: Columns) -> JoinKeys:
        return cls(columns.require("VM", *VM_KEYS), columns.find(*ID_KEYS), columns.find(*UUID_KEYS),
                   columns.find(*SERVER_KEYS))


@dataclass
class VmIndex:
    """VMs by id, UUID and name, with and without their vCenter."""

    keys: JoinKeys
    vms: list[Vm] = field(default_factory=list)
    _exact: dict[tuple[str, str, str], Vm] = field(default_factory=dict)
    _loose: dict[tuple[str, str], Vm | None] = field(default_factory=dict)

    def add(self, vm: Vm, cells: Cells) -> None:
        self.vms.append(vm)
        server = cells.text(self.keys.server) or ""
        for mode, column in (("id", self.keys.vm_id), ("uuid", self.keys.uuid), ("name", self.keys.vm)):
            value = cells.text(column)
            if value is None:
                continue
            self._exact.setdefault((mode, server, value), vm)
            loose = (mode, value)
            self._loose[loose] = vm if loose not in self._loose else None  # None marks an ambiguous key

    def mode_for(self, other: JoinKeys) -> tuple[str, Column]:
        """The strongest key both tabs carry."""
        if self.keys.vm_id is not None and other.vm_id is not None:
            return "id", other.vm_id
        if self.keys.uuid is not None and other.uuid is not None:
            return "uuid", other.uuid
        return "name", other.vm

    def lookup(self, mode: str, value: str | None, server: str | None) -> Vm | None:
        if value is None:
            return None
        if server is not None and self.keys.server is not None:
            return self._exact.get((mode, server, value))
        return self._loose.get((mode, value))


def _custom_attribute_columns(columns: Columns) -> list[Column]:
    annotation = columns.find("annotation", "notes")
    if annotation is None:
        return []
    found: list[Column] = []
    for column in columns.ordered[annotation.index + 1:]:
        if column.key in _TAIL:
            break
        if column.header:
            found.append(column)
    return found


def read_vinfo(tab: Tab, default_source: str) -> VmIndex:
    """Every VM (and template) of the vInfo tab."""
    columns = Columns(tab)
    keys = JoinKeys.of(columns)
    index = VmIndex(keys)
    c = columns.find
    power, template, connection = c("powerstate"), c("template"), c("connectionstate")
    consolidation, cpus, memory = c("consolidationneeded"), c("cpus", "numcpu"), c("memory", "memorysize")
    primary_ip, dns = c("primaryipaddress", "primaryip"), c("dnsname", "guesthostname")
    pool, folder, latency = c("resourcepool"), c("folder"), c("latencysensitivity")
    firmware, secure_boot = c("firmware"), c("efisecureboot", "secureboot")
    hw_version = c("hwversion", "vmversion", "hardwareversion", "version")  # internal name: `VInfoVersion`
    ft_state, annotation = c("ftstate"), c("annotation", "notes")  # internal name: `vInfoNotes`
    datacenter, cluster, host = c("datacenter"), c("cluster"), c("host")
    os_config = c("osaccordingtotheconfigurationfile", "os", "osconfig")
    os_tools = c("osaccordingtothevmwaretools", "ostools")
    bios_uuid, in_use = c("smbiosuuid", "biosuuid"), c("inuse")
    attributes = _custom_attribute_columns(columns)
    cells = Cells(tab.origin, tab.decimal_comma)
    for number, row in tab.rows:
        cells.at(number, row)
        name = cells.text(keys.vm)
        if name is None:
            raise InputError(f"{tab.origin}, row {number}, column '{keys.vm.header}': the VM name is empty.")
        state = cells.text(power)
        configured, reported = cells.text(os_config), cells.text(os_tools)
        in_use_mib = cells.mib(in_use)
        ip = cells.text(primary_ip)
        vm = Vm(
            name=name,
            moid=cells.text(keys.vm_id),
            source=cells.text(keys.server) or default_source,
            instance_uuid=cells.text(keys.uuid),
            bios_uuid=cells.text(bios_uuid),
            datacenter=cells.text(datacenter),
            cluster=cells.text(cluster),
            host=cells.text(host),
            resource_pool=cells.text(pool),
            folder=cells.text(folder),
            power_state=_POWER.get(state.lower()) if state else None,
            template=bool(cells.boolean(template)),
            connection_state=cells.text(connection),
            guest=GuestOs(configured_name=configured, tools_name=reported, family=os_family(reported, configured),
                          hostname=cells.text(dns)),
            hardware_version=hardware_version(cells.text(hw_version)),
            firmware=(cells.text(firmware) or "").lower() or None,
            secure_boot=cells.boolean(secure_boot),
            num_cpu=cells.integer(cpus),
            memory_mib=cells.mib(memory),
            latency_sensitivity=(cells.text(latency) or "").lower() or None,
            ft_state=cells.text(ft_state),
            consolidation_needed=cells.boolean(consolidation),
            annotation=cells.text(annotation),
            custom_attributes={
                column.header: value for column in attributes if (value := cells.text(column)) is not None
            },
            usage=Usage(committed_bytes=in_use_mib * MIB if in_use_mib is not None else None),
            guest_ips=[ip] if ip else [],
        )
        index.add(vm, cells)
    return index
