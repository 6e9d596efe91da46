"""OS families from every vSphere guest id and the full names vSphere, RVTools and VMware Tools write."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.models import OsFamily, os_family

DATA = Path(__file__).parent / "data" / "vsphere_guest_os.tsv"


def table() -> list[tuple[str, OsFamily, list[str]]]:
    rows = []
    for line in DATA.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        guest_id, family, names = [*line.split("\t"), ""][:3]
        rows.append((guest_id, OsFamily(family), [name for name in names.split(" | ") if name]))
    return rows


def test_the_table_is_the_whole_enum() -> None:
    from pyVmomi import vim

    assert {row[0] for row in table()} == set(vim.vm.GuestOsDescriptor.GuestOsIdentifier.values)


@pytest.mark.parametrize(("guest_id", "family", "names"), table(), ids=[row[0] for row in table()])
def test_every_guest_id_and_full_name(guest_id: str, family: OsFamily, names: list[str]) -> None:
    assert os_family(guest_id) is family
    for name in names:
        assert os_family(name) is family, name
        assert os_family(name, guest_id) is family


@pytest.mark.parametrize(("name", "family"), [
    # RVTools' "OS according to the configuration file" / VMware Tools' guestFullName, vendor word first
    ("Oracle Solaris 11 (64-bit)", OsFamily.SOLARIS),
    ("Oracle Solaris 11.4 X86", OsFamily.SOLARIS),
    ("Oracle Linux Server 8.8", OsFamily.LINUX),
    ("Sun Microsystems Solaris 10 (64-bit)", OsFamily.SOLARIS),
    ("Sun Java Desktop System", OsFamily.LINUX),
    ("Red Hat Enterprise Linux 9.2 (Plow)", OsFamily.LINUX),
    ("Red Hat Fedora (64-bit)", OsFamily.LINUX),
    ("SUSE Linux Enterprise Server 15 SP5", OsFamily.LINUX),
    ("Novell NetWare 6.x", OsFamily.OTHER),
    ("Novell Linux Desktop 9", OsFamily.LINUX),
    ("Microsoft MS-DOS", OsFamily.OTHER),
    ("Microsoft Windows Server 2022 Datacenter", OsFamily.WINDOWS),
    ("VMware ESXi 8.0 or later", OsFamily.OTHER),
    ("VMware Photon OS 5.0", OsFamily.LINUX),
    ("FreeBSD 13.2-RELEASE", OsFamily.BSD),
    ("Flatcar Container Linux by Kinvolk", OsFamily.LINUX),
    ("Apple macOS 14 (64-bit)", OsFamily.MACOS),
    ("OpenIndiana Hipster", OsFamily.SOLARIS),
    ("solaris", OsFamily.SOLARIS),  # discovery's os-release ids go through the same words
    ("debian", OsFamily.LINUX),
    ("Acme Appliance OS", OsFamily.UNKNOWN),
])
def test_free_form_names_use_system_words_not_vendor_words(name: str, family: OsFamily) -> None:
    assert os_family(name) is family


def test_tools_first_then_configuration() -> None:
    assert os_family(None, "", "Oracle Solaris 11 (64-bit)", "oracleLinux8_64Guest") is OsFamily.SOLARIS
    assert os_family("Acme Appliance OS", "solaris11_64Guest") is OsFamily.SOLARIS


def test_a_solaris_guest_from_an_rvtools_export_is_not_containerized(tmp_path: Path) -> None:
    """The held-out export's case: RVTools writes only the full name, and the vendor word comes first."""
    from datetime import UTC, datetime

    from planner.assess import assess_estate
    from planner.assess.fit import Fit, Strategy
    from planner.models import Estate, GuestOs, PowerState, Vm
    from planner.sources import load_estate_file
    from tests.unit.rvtools.builders import write_export

    vm = Vm(name="sol11", source="vc", power_state=PowerState.ON, num_cpu=2, memory_mib=4096,
            guest=GuestOs(configured_name="Oracle Solaris 11 (64-bit)", tools_name="Oracle Solaris 11 (64-bit)"))
    export = write_export(Estate(collected_at=datetime(2026, 1, 1, tzinfo=UTC), vms=[vm]), tmp_path / "rv.xlsx")
    read = load_estate_file(export).vms[0]
    assert read.guest.family is OsFamily.SOLARIS
    result = assess_estate(Estate(collected_at=datetime(2026, 1, 1, tzinfo=UTC), vms=[read])).vms[0]
    assert "ARC001" in {finding.rule for finding in result.findings}
    assert result.fit is not Fit.EXCELLENT and result.strategy is not Strategy.CONTAINERIZE
