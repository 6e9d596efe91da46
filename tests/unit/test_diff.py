"""Snapshot diff: added, removed, renamed (instance UUID, else BIOS UUID), changed field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from planner.audit.diff import FORMAT_VERSION, diff_estates
from planner.models import Disk, Estate, PortDevice, PowerState, SourceKind, Tag, UsbDevice, Vm
from tests.unit.rvtools.builders import sample_estate


def _copy(estate: Estate) -> Estate:
    return estate.model_copy(deep=True)


def test_identical_snapshots_have_no_differences() -> None:
    estate = sample_estate()
    result = diff_estates(estate, _copy(estate))
    assert result.summary() == {"added": 0, "removed": 0, "renamed": 0, "changed": 0, "unchanged": 3}


def _collected() -> Estate:
    estate = sample_estate()
    estate.sources[0].kind = SourceKind.VCENTER
    return estate


def test_added_removed_renamed_and_changed() -> None:
    before = _collected()
    after = _copy(before)
    web, db, template = after.vms
    web.name = "web-01-renamed"  # same instance UUID
    db.power_state = PowerState.OFF
    db.num_cpu = 8
    db.memory_mib = 65536
    db.host, db.cluster = "esx09.example.test", "Test"
    db.disks[0].capacity_bytes = 200 * 1024**3
    db.disks.append(Disk(label="Hard disk 3", capacity_bytes=10 * 1024**3))
    db.devices.usb_devices.append(UsbDevice(label="USB 2"))
    db.tags = [Tag(category="env", name="prod")]
    db.guest.configured_name = "Microsoft Windows Server 2022 (64-bit)"
    after.vms.remove(template)
    after.vms.append(Vm(name="new-01", source=web.source, instance_uuid="5000-new"))

    result = diff_estates(before, after, before_label="#1", after_label="#2")

    assert result.summary() == {"added": 1, "removed": 1, "renamed": 1, "changed": 1, "unchanged": 1}
    assert [vm.name for vm in result.added] == ["new-01"]
    assert [vm.name for vm in result.removed] == ["tpl-rhel9"]
    renamed = result.renamed[0]
    assert (renamed.before.name, renamed.after.name, renamed.matched_on) == ("web-01", "web-01-renamed",
                                                                             "instance_uuid")
    changes = {c.field: (c.before, c.after) for c in result.changed[0].changes}
    assert changes == {
        "power_state": ("poweredOn", "poweredOff"),
        "num_cpu": (16, 8),
        "memory_mib": (131072, 65536),
        "cluster": ("Prod", "Test"),
        "host": ("esx02.example.test", "esx09.example.test"),
        "guest_os_configured": ("Microsoft Windows Server 2019 (64-bit)", "Microsoft Windows Server 2022 (64-bit)"),
        "disks[Hard disk 1].capacity_bytes": (100 * 1024**3, 200 * 1024**3),
        "disks[Hard disk 3]": (None, {"capacity_bytes": 10 * 1024**3, "backing": "flat", "disk_mode": None,
                                      "sharing": None, "datastore": None}),
        "devices.usb_devices": (["USB 1"], ["USB 1", "USB 2"]),
        "tags": ([], ["env/prod"]),
    }


def test_fields_rvtools_cannot_carry_are_not_changes_when_either_side_is_rvtools() -> None:
    collected = _collected()
    imported = sample_estate()  # kind rvtools: no tags, no serial ports in the export
    collected.vms[0].tags = [Tag(category="env", name="prod")]
    collected.vms[0].devices.serial_ports.append(PortDevice(label="Serial port 1"))
    assert diff_estates(collected, imported).changed == []
    other = _copy(collected)
    other.vms[0].tags = []
    other.vms[0].devices.serial_ports = []
    fields = [c.field for c in diff_estates(collected, other).changed[0].changes]
    assert fields == ["devices.serial_ports", "tags"]


def test_bios_uuid_matches_when_the_instance_uuid_is_unknown_and_name_as_last_resort() -> None:
    before = sample_estate()
    after = _copy(before)
    after.vms[0].instance_uuid = None
    after.vms[0].name = "web-renamed"
    after.vms[1].instance_uuid = after.vms[1].bios_uuid = None  # e.g. a file without UUID columns
    result = diff_estates(before, after)
    modes = {m.after.name: m.matched_on for m in result.matched}
    assert modes == {"web-renamed": "bios_uuid", "db-01": "name", "tpl-rhel9": "instance_uuid"}
    assert not result.added and not result.removed


def test_same_name_with_a_different_instance_uuid_is_a_new_vm() -> None:
    before = sample_estate()
    after = _copy(before)
    after.vms[0].instance_uuid = "recreated"
    after.vms[0].bios_uuid = "recreated-bios"
    result = diff_estates(before, after)
    assert [vm.name for vm in result.added] == ["web-01"] and [vm.name for vm in result.removed] == ["web-01"]


def test_unknown_values_are_not_changes() -> None:
    before = sample_estate()
    after = _copy(before)
    after.vms[1].num_cpu = None
    after.vms[1].host = None
    assert diff_estates(before, after).changed == []


def test_json_document_contract() -> None:
    before = sample_estate()
    after = _copy(before)
    after.vms[0].memory_mib = 16384
    after.collected_at = datetime(2026, 4, 1, tzinfo=UTC)
    document = json.loads(json.dumps(diff_estates(before, after, before_label="#1", after_label="b.json").as_dict()))
    assert document["format_version"] == FORMAT_VERSION == 1
    assert document["before"] == {"snapshot": "#1", "collected_at": "2026-03-01T08:30:00+00:00",
                                  "sources": ["vcenter01.example.test"], "vms": 3}
    assert document["after"]["snapshot"] == "b.json"
    assert document["summary"] == {"added": 0, "removed": 0, "renamed": 0, "changed": 1, "unchanged": 2}
    assert document["changed"] == [{
        "name": "web-01", "before_name": "web-01", "matched_on": "instance_uuid", "source": "vcenter01.example.test",
        "moid": "vm-101", "instance_uuid": "50123456-aaaa-4bbb-8ccc-000000000101",
        "bios_uuid": "42123456-aaaa-4bbb-8ccc-000000000101",
        "changes": [{"field": "memory_mib", "before": 8192, "after": 16384}],
    }]
    assert document["added"] == document["removed"] == document["renamed"] == []


def test_many_vms_with_duplicate_uuids_among_them() -> None:
    """Scale and clones; the time is measured by bench/bench_rvtools.py (50,000 VMs), not here."""
    def estate(memory: int) -> Estate:
        return Estate(collected_at=datetime(2026, 1, 1, tzinfo=UTC), vms=[
            Vm(name=f"vm-{i}", source="vc", instance_uuid=f"uuid-{i}", bios_uuid=f"bios-{i}", num_cpu=2,
               memory_mib=memory if i % 10 == 0 else 4096) for i in range(5_000)])

    before, after = estate(4096), estate(8192)
    for vm in (after.vms[1], after.vms[2]):  # two clones share a BIOS UUID and lost their instance UUID
        vm.instance_uuid, vm.bios_uuid = None, "cloned"
    result = diff_estates(before, after)
    assert result.summary() == {"added": 0, "removed": 0, "renamed": 0, "changed": 500, "unchanged": 4_500}
    assert {m.matched_on for m in result.matched} == {"instance_uuid", "name"}


def test_copied_vms_sharing_both_uuids_match_by_name() -> None:
    """Copies keep their UUIDs, so the UUIDs identify neither; an unchanged estate must diff as unchanged."""
    before = sample_estate()
    for vm in before.vms[:2]:
        vm.instance_uuid, vm.bios_uuid = "copied-instance", "copied-bios"
    after = _copy(before)
    after.vms[1].num_cpu = 2
    result = diff_estates(before, after)
    assert result.summary() == {"added": 0, "removed": 0, "renamed": 0, "changed": 1, "unchanged": 2}
    assert {m.after.name: m.matched_on for m in result.matched} == {
        "web-01": "name", "db-01": "name", "tpl-rhel9": "instance_uuid"}


def test_disk_backings_rvtools_cannot_tell_apart_are_not_changes() -> None:
    collected = _collected()
    collected.vms[0].disks[0].backing = "sesparse"  # RVTools has only `Raw`: the import says flat
    imported = sample_estate()
    assert diff_estates(collected, imported).changed == []
    imported.vms[0].disks[0].backing = "rdm"
    changes = [(c.field, c.before, c.after) for c in diff_estates(collected, imported).changed[0].changes]
    assert changes == [("disks[Hard disk 1].backing", "flat", "rdm")]
    other = _copy(collected)
    other.vms[0].disks[0].backing = "flat"  # between two collected snapshots the backing is known: a change
    assert [c.field for c in diff_estates(collected, other).changed[0].changes] == ["disks[Hard disk 1].backing"]
