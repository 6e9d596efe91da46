"""Portability: is the workload tied to hardware, storage layout or a host?"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from planner.assess.base import Criterion, Hit, Rule, Severity
from planner.assess.context import RuleContext
from planner.assess.rules._helpers import GIB, first, parse_ip
from planner.models import Snapshot, Vm

P = Criterion.PORTABILITY


class UsbDevice(Rule):
    """A USB device is attached to the VM (passed through from the host or a client)."""

    id = "POR001"
    criterion = P
    severity = Severity.HIGH
    remediation = ("Find out what the device is for; replace it with a network service (USB-over-IP hub, "
                   "network licence server) or keep the VM.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        devices = [{"label": d.label, "backing": d.backing} for d in vm.devices.usb_devices]
        if devices:
            yield Hit(f"{len(devices)} USB device(s) attached", {"usb_devices": first(devices)})


class LicenceDongle(Rule):
    """A USB device, serial or parallel port is a licence dongle (its name, or the VM's notes, say so)."""

    id = "POR002"
    criterion = P
    severity = Severity.HIGH
    remediation = ("Ask the vendor for a network or file licence; otherwise move the dongle to a network "
                   "dongle server, or keep the VM.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        pattern = ctx.policy.licence_dongles
        if pattern is None:
            return
        texts = [" ".join(filter(None, (d.label, d.backing))) for d in vm.devices.usb_devices]
        texts += [" ".join(filter(None, (p.label, p.backing, p.target)))
                  for p in (*vm.devices.serial_ports, *vm.devices.parallel_ports)]
        matched = [text for text in texts if pattern.search(text)]
        if matched:
            yield Hit("licence dongle attached", {"devices": first(matched)})
        elif texts and vm.annotation and (word := pattern.search(vm.annotation)):
            yield Hit(f"notes mention {word.group(0)!r} and a device is attached",
                      {"devices": first(texts), "annotation": vm.annotation[:200]})


class SerialPort(Rule):
    """The VM has a serial port wired to a host device, a pipe or the network (not one that only logs to a file)."""

    id = "POR003"
    criterion = P
    severity = Severity.HIGH
    remediation = ("Find the consumer of the port (console server, modem, instrument, licence); move it to a "
                   "network protocol, or keep the VM.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        # A file-backed port only captures console output (kernel log): nothing outside the VM depends on it.
        ports = [{"label": p.label, "backing": p.backing, "target": p.target} for p in vm.devices.serial_ports
                 if p.backing != "file"]
        if ports:
            yield Hit(f"{len(ports)} serial port(s)", {"serial_ports": first(ports)})


class ParallelPort(Rule):
    """The VM has a parallel port."""

    id = "POR004"
    criterion = P
    severity = Severity.HIGH
    remediation = "Replace the parallel device (printer, dongle) with a network equivalent, or keep the VM."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        ports = [{"label": p.label, "backing": p.backing, "target": p.target} for p in vm.devices.parallel_ports]
        if ports:
            yield Hit(f"{len(ports)} parallel port(s)", {"parallel_ports": first(ports)})


class PciPassthrough(Rule):
    """A physical PCI device is passed through to the VM (DirectPath I/O or dynamic DirectPath)."""

    id = "POR005"
    criterion = P
    severity = Severity.BLOCKER
    remediation = ("Keep it as a VM unless the device has a Kubernetes device plugin on dedicated nodes "
                   "(SR-IOV NICs, some accelerators); then re-platform deliberately.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        devices = [{"label": d.label, "kind": d.kind, "device": d.device}
                   for d in vm.devices.pci if d.kind in ("passthrough", "dynamic")]
        if devices:
            yield Hit(f"{len(devices)} PCI passthrough device(s)", {"pci": first(devices)})


class Vgpu(Rule):
    """The VM has a vGPU profile."""

    id = "POR006"
    criterion = P
    severity = Severity.HIGH
    remediation = "Plan GPU nodes with the vendor's device plugin (e.g. NVIDIA GPU Operator) and test the workload."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        profiles = [d.device or d.label for d in vm.devices.pci if d.kind == "vgpu"]
        if profiles:
            yield Hit(f"vGPU {profiles[0]}", {"vgpu": first(profiles)})


class RdmPhysical(Rule):
    """A disk is a physical-mode raw device mapping (SCSI commands go straight to the LUN)."""

    id = "POR007"
    criterion = P
    severity = Severity.BLOCKER
    remediation = ("Physical RDMs usually serve guest clustering or SAN tooling: keep the VM, or migrate the "
                   "data to a CSI volume and drop the SCSI-level dependency first.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        disks = [{"label": d.label, "lun_uuid": d.lun_uuid} for d in vm.disks
                 if d.backing == "rdm" and d.rdm_mode == "physical"]
        if disks:
            yield Hit(f"{len(disks)} physical-mode RDM disk(s)", {"disks": first(disks)})


class RdmVirtual(Rule):
    """A disk is a virtual-mode raw device mapping (a LUN the VM owns outside VMFS)."""

    id = "POR008"
    criterion = P
    severity = Severity.HIGH
    remediation = "Copy the data to a persistent volume (or present the LUN through a CSI driver) before the move."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        disks = [{"label": d.label, "lun_uuid": d.lun_uuid} for d in vm.disks
                 if d.backing == "rdm" and d.rdm_mode != "physical"]
        if disks:
            yield Hit(f"{len(disks)} virtual-mode RDM disk(s)", {"disks": first(disks)})


class MultiWriterDisk(Rule):
    """A disk is shared between VMs (multi-writer, or SCSI bus sharing), as for guest clusters or Oracle RAC."""

    id = "POR009"
    criterion = P
    severity = Severity.BLOCKER
    remediation = ("Shared-disk clustering has no container equivalent: keep the VM, or re-architect onto a "
                   "replicated database or a ReadWriteMany volume designed for it.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        disks = [{"label": d.label, "file_name": d.file_name, "sharing": d.sharing,
                  "controller_sharing": d.controller_sharing} for d in vm.disks
                 if d.multi_writer or (d.controller_sharing or "noSharing") != "noSharing"]
        if disks:
            yield Hit(f"{len(disks)} shared disk(s)", {"disks": first(disks)})


class IndependentDisk(Rule):
    """A disk is in independent mode (excluded from snapshots, hence from snapshot-based backup)."""

    id = "POR010"
    criterion = P
    severity = Severity.MEDIUM
    remediation = ("Find out why (scratch space, or state kept out of backups); map it to an emptyDir or a "
                   "persistent volume accordingly.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        disks = [{"label": d.label, "disk_mode": d.disk_mode} for d in vm.disks if d.independent]
        if disks:
            yield Hit(f"{len(disks)} independent disk(s)", {"disks": first(disks)})


class ConnectedIso(Rule):
    """An ISO image is connected to a CD-ROM drive (install media or data left mounted)."""

    id = "POR011"
    criterion = P
    severity = Severity.LOW
    remediation = "Disconnect the ISO; if the workload reads from it, copy the contents into the image or a volume."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        isos = [c.iso_path or c.label for c in vm.devices.cdroms
                if c.backing == "iso" and (c.connected or c.start_connected)]
        if isos:
            yield Hit(f"ISO connected: {isos[0]}", {"iso_paths": first(isos)})


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _walk(nodes: list[Snapshot]) -> Iterator[Snapshot]:
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


class SnapshotsPresent(Rule):
    """The VM has snapshots (a delta-disk chain that the migration must not carry over)."""

    id = "POR012"
    criterion = P
    severity = Severity.LOW
    remediation = "Review with the owner, then delete or consolidate the snapshots before copying the data."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if not vm.snapshots:
            return
        nodes = list(_walk(vm.snapshots))
        dates = [n.created for n in nodes if n.created is not None]
        evidence: dict[str, object] = {"snapshot_count": len(nodes)}
        if dates:
            oldest = min(dates)
            evidence["oldest"] = oldest.isoformat()
            now = ctx.index.collected_at
            if now is not None:
                age = (_utc(now) - _utc(oldest)).days
                evidence["oldest_age_days"] = age
                evidence["stale"] = age > ctx.policy.thresholds.snapshot_age_days
        yield Hit(f"{len(nodes)} snapshot(s)", evidence)


class ConsolidationNeeded(Rule):
    """vSphere reports that the VM's disks need consolidation (orphaned delta disks)."""

    id = "POR013"
    criterion = P
    severity = Severity.MEDIUM
    remediation = "Run Snapshots > Consolidate (and check the datastore) before migrating the data."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.consolidation_needed:
            yield Hit("disk consolidation needed", {"consolidation_needed": True})


class VirtualTpm(Rule):
    """The VM has a virtual TPM (keys sealed to it: BitLocker, LUKS with TPM, attestation)."""

    id = "POR014"
    criterion = P
    severity = Severity.HIGH
    remediation = ("Find what uses the vTPM; move those secrets to a secrets manager or KMS before the move, "
                   "or keep the VM.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.devices.tpm:
            yield Hit("virtual TPM present", {"tpm": True, "firmware": vm.firmware})


class FaultTolerance(Rule):
    """vSphere Fault Tolerance protects the VM (a lock-step secondary on another host)."""

    id = "POR015"
    criterion = P
    severity = Severity.HIGH
    remediation = ("Containers restart rather than fail over in lock-step: make the application tolerate a "
                   "restart (replicas, health checks) or keep the VM.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        if vm.ft_state and vm.ft_state != "notConfigured":
            yield Hit(f"fault tolerance {vm.ft_state}", {"ft_state": vm.ft_state})


class StaticIp(Rule):
    """A guest IP lies in a range the policy marks as statically assigned (`network.static_ip_cidrs`)."""

    id = "POR016"
    criterion = P
    severity = Severity.LOW
    remediation = ("Clients reach it by a fixed address: move them to a DNS name or Service, or reserve the "
                   "address on a load balancer.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        networks = ctx.policy.static_networks
        if not networks:
            return
        ips = [*vm.guest_ips, *(ip for nic in vm.nics for ip in nic.ips)]
        matched = sorted({ip for ip in ips if (a := parse_ip(ip)) is not None and any(a in n for n in networks)})
        if matched:
            yield Hit(f"static address {matched[0]}", {"ips": first(matched)})


class ManyNics(Rule):
    """The VM has more NICs than `thresholds.many_nics` (multi-homed: routing and segmentation live in it)."""

    id = "POR017"
    criterion = P
    severity = Severity.MEDIUM
    remediation = ("A pod gets one interface by default: map each network's role to a Service, a "
                   "NetworkPolicy or (last resort) a Multus secondary network.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        limit = ctx.policy.thresholds.many_nics
        if len(vm.nics) > limit:
            yield Hit(f"{len(vm.nics)} NICs", {"nic_count": len(vm.nics), "networks": first(
                [n.network for n in vm.nics]), "threshold": limit})


class LargeStorage(Rule):
    """The VM's disks hold more than `thresholds.large_storage_gib` (local state to move)."""

    id = "POR018"
    criterion = P
    severity = Severity.MEDIUM
    remediation = "Plan the data move (persistent volumes, object storage, or a managed database) and its downtime."

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        limit = ctx.policy.thresholds.large_storage_gib
        total = vm.provisioned_bytes
        if total >= limit * GIB:
            yield Hit(f"{total / GIB:.0f} GiB provisioned", {"provisioned_gib": round(total / GIB, 1),
                                                             "disk_count": len(vm.disks), "threshold_gib": limit})


class VmHostAffinity(Rule):
    """A DRS VM-host rule ties the VM to (or away from) specific hosts, often for licensing or hardware."""

    id = "POR019"
    criterion = P
    severity = Severity.MEDIUM
    remediation = ("Learn why (per-host licensing, hardware, locality); express it as node affinity on labelled "
                   "nodes, or keep the VM if licensing forbids moving.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        rules = [r for r in ctx.index.rules_for(vm) if r.kind == "vm-host"]
        if rules:
            yield Hit(f"VM-host rule {rules[0].name}", {"rules": [
                {"name": r.name, "host_group": r.host_group, "mandatory": r.mandatory, "affine": r.affine}
                for r in first(rules)]})


class SriovNic(Rule):
    """A network adapter is an SR-IOV virtual function (fast-path networking on the host's physical NIC)."""

    id = "POR020"
    criterion = P
    severity = Severity.HIGH
    remediation = ("A container gets SR-IOV only through a device plugin and a secondary network (SR-IOV network "
                   "operator, Multus) on nodes with the same NICs: measure whether the workload still needs it; "
                   "plan such nodes, or keep the VM.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        nics = [{"label": n.label, "adapter": n.adapter, "network": n.network} for n in vm.nics
                if n.adapter and "sriov" in n.adapter.lower().replace("-", "")]
        if nics:
            yield Hit(f"{len(nics)} SR-IOV network adapter(s)", {"nics": first(nics)})


class ScsiPassthroughDevice(Rule):
    """A host SCSI device (tape drive, media changer) is passed through to the VM."""

    id = "POR021"
    criterion = P
    severity = Severity.BLOCKER
    remediation = ("The device hangs off one ESXi host: move the job to a network target (a backup server's media "
                   "agent, a virtual tape library, object storage), or keep the VM next to the device.")

    def check(self, vm: Vm, ctx: RuleContext) -> Iterator[Hit]:
        devices = [{"label": d.label, "device": d.device, "summary": d.summary} for d in vm.devices.scsi_passthrough]
        if devices:
            yield Hit(f"{len(devices)} SCSI passthrough device(s)", {"scsi_passthrough": first(devices)})


RULES: tuple[type[Rule], ...] = (
    UsbDevice, LicenceDongle, SerialPort, ParallelPort, PciPassthrough, Vgpu, RdmPhysical, RdmVirtual,
    MultiWriterDisk, IndependentDisk, ConnectedIso, SnapshotsPresent, ConsolidationNeeded, VirtualTpm,
    FaultTolerance, StaticIp, ManyNics, LargeStorage, VmHostAffinity, SriovNic, ScsiPassthroughDevice,
)
