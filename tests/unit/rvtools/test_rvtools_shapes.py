"""Every shape RVTools produces reads back into the same estate: xlsx, CSV folder, single CSV, zip; 4.x and 3.x."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.models import Estate, OsFamily, PowerState, SourceKind
from planner.sources import load_estate_file
from planner.sources.rvtools import load_rvtools
from tests.unit.rvtools.builders import (
    COLLECTED,
    SERVER,
    csv_bytes,
    export_tables,
    sample_estate,
    vm_traits,
    write_export,
    write_xlsx,
)


def _load(path: Path) -> tuple[Estate, list[str]]:
    warnings: list[str] = []
    return load_rvtools(path, on_warning=warnings.append), warnings


def _assert_same_vms(expected: Estate, got: Estate) -> None:
    assert [vm.name for vm in got.vms] == [vm.name for vm in expected.vms]
    for want, have in zip(expected.vms, got.vms, strict=True):
        assert vm_traits(have) == vm_traits(want), want.name


SHAPES = [
    pytest.param("xlsx", 4, {}, id="xlsx-4x"),
    pytest.param("xlsx", 3, {}, id="xlsx-3x-MB-no-VM-ID"),
    pytest.param("csv", 4, {"delimiter": ","}, id="csv-comma-no-bom"),
    pytest.param("csv", 4, {"delimiter": ";", "bom": True}, id="csv-semicolon-bom"),
    pytest.param("csv", 3, {"delimiter": ";"}, id="csv-3x-semicolon"),
    pytest.param("zip", 4, {"bom": True}, id="zip-of-csv"),
]


@pytest.mark.parametrize(("shape", "version", "options"), SHAPES)
def test_every_shape_reads_back_the_same_estate(tmp_path: Path, shape: str, version: int,
                                                options: dict[str, object]) -> None:
    expected = sample_estate()
    name = {"xlsx": "export.xlsx", "csv": "export", "zip": "export.zip"}[shape]
    path = write_export(expected, tmp_path / name, shape=shape, version=version, **options)  # type: ignore[arg-type]

    estate, warnings = _load(path)

    assert warnings == []
    _assert_same_vms(expected, estate)
    assert estate.collected_at == COLLECTED
    assert [(s.name, s.kind, s.api_version) for s in estate.sources] == [(SERVER, SourceKind.RVTOOLS, "8.0.2.0")]
    web, db, template = estate.vms
    assert template.template and not web.template
    assert web.custom_attributes == {"Compliance": "PCI", "Owner": "team-a"}
    assert db.custom_attributes == {"Backup": "daily", "Owner": "dba"}
    assert db.guest.family is OsFamily.WINDOWS and web.guest.family is OsFamily.LINUX
    assert db.guest.tools_name == "Microsoft Windows Server 2019 Datacenter"
    rdm = db.disks[1]
    assert (rdm.backing, rdm.rdm_mode, rdm.disk_mode, rdm.sharing) == (
        "rdm", "physical", "independent_persistent", "sharingMultiWriter")
    assert rdm.independent and rdm.multi_writer and rdm.lun_uuid == "0200000000600508b1001c"
    assert [(c.backing, c.iso_path, c.connected) for c in db.devices.cdroms] == [
        ("iso", "[ds-prod-01] iso/sql2019.iso", True)]
    assert web.devices.cdroms[0].backing == "client"
    assert [u.label for u in db.devices.usb_devices] == ["USB 1"]
    assert web.snapshots[0].name == "before-upgrade" and web.snapshots[0].created is not None
    assert (db.latency_sensitivity, web.firmware, web.secure_boot) == ("high", "efi", True)
    assert (db.cpu_limit_mhz, db.memory_limit_mib, db.memory_reservation_mib) == (16000, None, 131072)
    assert web.nics[0].ips == ["10.0.0.11", "fe80::1"] and web.guest_ips == ["10.0.0.11", "fe80::1"]
    assert (web.usage.cpu_mhz, web.usage.guest_memory_mib, web.usage.host_memory_mib) == (350, 1024, 4096)
    assert web.tools.status == "toolsOk" and web.power_state is PowerState.ON
    assert [h.name for h in estate.hosts] == ["esx01.example.test", "esx02.example.test"]
    assert estate.hosts[0].version == "8.0.2" and estate.hosts[0].build == "22380479"
    assert estate.hosts[0].memory_mib == 1048576
    assert [(c.name, c.datacenter, c.drs_enabled, c.host_count) for c in estate.clusters] == [("Prod", "DC1", True, 2)]
    assert estate.datastores[0].capacity_bytes == 4096 * 1024**3
    assert [(n.name, n.kind, n.vlan_id) for n in estate.networks] == [
        ("VM Network", "standard", 0), ("DB-VLAN20", "distributed-portgroup", 20)]
    assert [d.name for d in estate.datacenters] == ["DC1"]
    if version == 4:
        assert (web.moid, web.bios_uuid) == ("vm-101", "42123456-aaaa-4bbb-8ccc-000000000101")
    else:  # 3.x has no VM ID / SMBIOS UUID columns: those stay empty, rows join on VM UUID
        assert (web.moid, web.bios_uuid) == (None, None)


def test_load_estate_file_dispatches_rvtools_shapes(tmp_path: Path) -> None:
    path = write_export(sample_estate(), tmp_path / "export.xlsx")
    assert len(load_estate_file(path).vms) == 3


def test_zip_with_csvs_in_a_subfolder_and_a_zip_holding_the_workbook(tmp_path: Path) -> None:
    expected = sample_estate()
    tables = export_tables(expected)
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as archive:
        for tab, (header, rows) in tables.items():
            archive.writestr(f"RVTools_export_all/RVTools_tab{tab}.csv", csv_bytes(header, rows))
    _assert_same_vms(expected, _load(nested)[0])

    workbook = write_xlsx(export_tables(expected), tmp_path / "inner.xlsx")
    wrapped = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(wrapped, "w") as archive:
        archive.write(workbook, "reports/RVTools_export.xlsx")
    _assert_same_vms(expected, _load(wrapped)[0])


def test_zip_member_names_are_never_used_as_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = sample_estate()
    header, rows = export_tables(expected, tabs=["vInfo"])["vInfo"]
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    archive_path = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("../../outside/RVTools_tabvInfo.csv", csv_bytes(header, rows))
        archive.writestr("/abs/RVTools_tabvDisk.csv", b"VM,Disk\n")
        archive.writestr("..\\..\\win\\RVTools_tabvCD.csv", b"VM,Device Node\nweb-01,CD/DVD drive 1\n")
    monkeypatch.chdir(work)  # a relative extraction would land under tmp_path
    before = set(tmp_path.rglob("*"))

    estate, _ = _load(archive_path)

    assert len(estate.vms) == 3 and [c.label for c in estate.vms[0].devices.cdroms] == ["CD/DVD drive 1"]
    assert set(tmp_path.rglob("*")) == before  # nothing extracted anywhere
    assert not Path("/abs").exists()


def test_missing_optional_tabs_warn_and_list_what_is_left_empty(tmp_path: Path) -> None:
    path = write_export(sample_estate(), tmp_path / "only-vinfo.xlsx", tabs=["vInfo"])

    estate, warnings = _load(path)

    assert len(estate.vms) == 3 and all(not vm.disks for vm in estate.vms)
    assert len(warnings) == 1
    for tab in ("vDisk (disks", "vNetwork (NICs", "vSnapshot (snapshots)", "vHost (hosts)", "vSource", "vMetaData"):
        assert tab in warnings[0]
    assert [s.name for s in estate.sources] == [SERVER]  # from the VI SDK Server column


def test_a_single_vinfo_csv_is_an_export(tmp_path: Path) -> None:
    header, rows = export_tables(sample_estate(), tabs=["vInfo"])["vInfo"]
    path = tmp_path / "RVTools_tabvInfo.csv"
    path.write_bytes(csv_bytes(header, rows))

    estate, warnings = _load(path)

    assert [vm.name for vm in estate.vms] == ["web-01", "db-01", "tpl-rhel9"]
    assert warnings and "vDisk" in warnings[0]


def test_semicolon_csv_with_decimal_comma_and_size_units(tmp_path: Path) -> None:
    folder = tmp_path / "eu"
    folder.mkdir()
    (folder / "RVTools_tabvInfo.csv").write_bytes(
        "\ufeffVM;Powerstate;Template;CPUs;Memory;In Use GB;VM ID;VM UUID\n"
        "app-01;poweredOn;False;2;4.096;1,5;vm-1;uuid-1\n".encode())
    (folder / "RVTools_tabvDisk.csv").write_bytes(
        b"VM;Disk;Capacity MB;Raw;VM ID;VM UUID\napp-01;Hard disk 1;10.240,0;False;vm-1;uuid-1\n")

    vm = _load(folder)[0].vms[0]

    assert vm.memory_mib == 4096
    assert vm.usage.committed_bytes == int(1.5 * 1024**3)
    assert vm.disks[0].capacity_bytes == 10240 * 1024**2


def _csv_export(folder: Path, tabs: dict[str, str]) -> Path:
    """A folder of RVTools_tab<Tab>.csv files with the given text."""
    folder.mkdir()
    for tab, text in tabs.items():
        (folder / f"RVTools_tab{tab}.csv").write_text(text)
    return folder


def test_internal_camel_case_headers_and_loose_spelling(tmp_path: Path) -> None:
    folder = _csv_export(tmp_path / "internal", {
        "vInfo": "vInfoVMName,vInfoPowerstate,vInfoTemplate,vInfoCPUs,vInfoMemory,vInfoUUID,vInfoDataCenter,vInfoOS,"
                 "vInfoTotalDiskCapacityMiB,Some Unknown Column\n"
                 "app-02,poweredOff,True,8,16384,uuid-2,DC9,Red Hat Enterprise Linux 8 (64-bit),1024,x\n",
        "vCPU": "  vm ,  CORES P/S ,vm uuid\napp-02,4,uuid-2\n",
    })

    vm = _load(folder)[0].vms[0]

    assert (vm.name, vm.num_cpu, vm.memory_mib, vm.template) == ("app-02", 8, 16384, True)
    assert (vm.instance_uuid, vm.datacenter, vm.guest.family) == ("uuid-2", "DC9", OsFamily.LINUX)
    assert vm.power_state is PowerState.OFF and vm.cores_per_socket == 4


def test_tabs_join_by_name_when_no_id_or_uuid_and_orphans_warn(tmp_path: Path) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "RVTools_tabvInfo.csv").write_text("VM,CPUs\na,1\nb,2\n")
    (folder / "RVTools_tabvNetwork.csv").write_text(
        "VM,NIC label,Adapter,Network,Mac Address\nb,Network adapter 1,Vmxnet3,VLAN10,00:50:56:AA:00:01\n"
        "ghost,Network adapter 1,E1000,VLAN10,00:50:56:aa:00:02\n")

    estate, warnings = _load(folder)

    assert [(n.adapter, n.mac) for n in estate.vms[1].nics] == [("vmxnet3", "00:50:56:aa:00:01")]
    assert any("1 rows name VMs that are not in vInfo" in w and "RVTools_tabvNetwork.csv" in w for w in warnings)


def test_utf16_csv_and_latin1_fallback(tmp_path: Path) -> None:
    folder = tmp_path / "enc"
    folder.mkdir()
    (folder / "RVTools_tabvInfo.csv").write_bytes("VM\tCPUs\tAnnotation\nbüro\t1\tÄnderung\n".encode("utf-16"))
    (folder / "RVTools_tabvCD.csv").write_bytes("VM,Device Node,Connected\nbüro,CD/DVD drive 1,True\n".encode(
        "cp1252"))

    vm = _load(folder)[0].vms[0]

    assert (vm.name, vm.annotation) == ("büro", "Änderung")
    assert vm.devices.cdroms[0].connected is True



def test_vm_tabs_read_in_worker_processes_give_the_same_estate(tmp_path: Path) -> None:
    expected = sample_estate()
    path = write_export(expected, tmp_path / "export.xlsx", shape="excel")
    in_process = load_rvtools(path, workers=0)
    in_workers = load_rvtools(path, workers=2)
    assert in_workers == in_process
    _assert_same_vms(expected, in_workers)


def test_errors_found_in_worker_processes_are_the_same_errors(tmp_path: Path) -> None:
    tables = export_tables(sample_estate(), tabs=["vInfo"])
    tables["vDisk"] = (["Disk", "Capacity MiB"], [["Hard disk 1", 10]])
    tables["vCPU"] = (["VM", "Cores p/s"], [["web-01", "two"]])
    path = write_xlsx(tables, tmp_path / "export.xlsx")
    with pytest.raises(InputError) as caught:
        load_rvtools(path, workers=2)
    assert str(caught.value) == f"{path}, tab vCPU, row 2, column 'Cores p/s': 'two' is not a number."
    tables.pop("vCPU")
    path = write_xlsx(tables, tmp_path / "export2.xlsx")
    with pytest.raises(InputError, match=r"tab vDisk, row 1: required column 'VM' is missing"):
        load_rvtools(path, workers=2)


def test_two_exports_in_one_zip_are_refused_never_half_read(tmp_path: Path) -> None:
    header, rows = export_tables(sample_estate(), tabs=["vInfo"])["vInfo"]
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/RVTools_tabvInfo.csv", csv_bytes(header, rows))
        archive.writestr("b/RVTools_tabvInfo.csv", b"VM\nother\n")

    with pytest.raises(InputError, match=r"holds more than one RVTools export .*b/RVTools_tabvInfo.csv") as caught:
        load_rvtools(path, workers=0)
    assert caught.value.exit_code == 3


def test_rvtools_internal_csv_header_names(tmp_path: Path) -> None:
    """RVTools' CSV exports name columns `<tab><Field>` (vInfoVMName, vDiskCapacityMiB, vNetworkName...)."""
    folder = _csv_export(tmp_path / "internal", {
        "vInfo": "vInfoVMName,vInfoPowerstate,vInfoCPUs,vInfoMemory,vInfoNotes,vInfoObjectID,vInfoUUID,VInfoVersion,"
               "vInfoVISDKServer\n"
               "app-03,poweredOn,2,4096,owner: web team,vm-42,uuid-3,19,vc1\n",
        "vDisk": "vDiskVMName,vDiskName,vDiskKey,vDiskCapacityMiB,vDiskDiskMode,vDiskObjectID,vDiskVISDKServer\n"
               "app-03,Hard disk 1,2000,10240,persistent,vm-42,vc1\n",
        "vNetwork": "vNetworkVMName,vNetworkName,vNetworkAdapter,vNetworkMacAddress,vNetworkObjectID,"
                    "vNetworkVISDKServer\napp-03,VLAN30,Vmxnet3,00:50:56:AA:00:03,vm-42,vc1\n",
        "vCD": "vCDVMName,vCDlabel,vCDConnected,vCDSummary,vCDObjectID,vCDVISDKServer\n"
             "app-03,CD/DVD drive 1,True,ISO [ds1] iso/tools.iso,vm-42,vc1\n",
        "vHost": "vHostName,vHostFullName,vHostMemorySize,vHostVISDKServer\n"
               "esx9,VMware ESXi 7.0.3 build-21930508,262144,vc1\n",
        "vDatastore": "vDatastoreName,vDatastoreCapacity,vDatastoreFreeSpace,vDatastoreVISDKServer\nds1,2048,512,vc1\n",
    })

    estate, _ = _load(folder)

    vm = estate.vms[0]
    assert (vm.annotation, vm.moid, vm.instance_uuid, vm.hardware_version) == (
        "owner: web team", "vm-42", "uuid-3", "vmx-19")
    assert [(d.label, d.key, d.capacity_bytes) for d in vm.disks] == [("Hard disk 1", 2000, 10240 * 1024**2)]
    assert [(n.network, n.adapter, n.mac) for n in vm.nics] == [("VLAN30", "vmxnet3", "00:50:56:aa:00:03")]
    assert [(c.label, c.backing, c.iso_path, c.connected) for c in vm.devices.cdroms] == [
        ("CD/DVD drive 1", "iso", "[ds1] iso/tools.iso", True)]
    assert [(h.name, h.version, h.build, h.memory_mib) for h in estate.hosts] == [("esx9", "7.0.3", "21930508", 262144)]
    assert [(d.capacity_bytes, d.free_bytes) for d in estate.datastores] == [(2048 * 1024**2, 512 * 1024**2)]


def test_thick_eager_zeroed_disks_and_scsi_bus_sharing(tmp_path: Path) -> None:
    """vDisk `Eagerly Scrub` and `Shared Bus` (the collector reads both; shared disks are portability evidence)."""
    path = write_export(sample_estate(), tmp_path / "export.xlsx")
    db = _load(path)[0].vms[1]
    assert [(d.eager_zero, d.controller_sharing) for d in db.disks] == [(True, "noSharing"), (None, "physicalSharing")]


def test_an_unreadable_export_date_warns_as_such_not_as_a_missing_tab(tmp_path: Path) -> None:
    tables = export_tables(sample_estate())
    header, _ = tables["vMetaData"]
    tables["vMetaData"] = (header, [["4", "4.7.1.4", "sometime in March", SERVER]])
    path = write_xlsx(tables, tmp_path / "export.xlsx")

    estate, warnings = _load(path)

    assert warnings == [f"{path}, tab vMetaData: the export date (xlsx creation datetime) is empty or not a date; "
                        "the file's modification time is used as the snapshot time."]
    assert estate.collected_at != COLLECTED
