"""vPartition: guest file systems, read once the model carries `Vm.partitions` (see docs/rvtools.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from planner.models import Vm
from planner.models.base import Model
from planner.sources.rvtools import load_rvtools, vmtabs
from planner.sources.rvtools.columns import Cells, Columns
from planner.sources.rvtools.reader import Tab
from tests.unit.rvtools.builders import sample_estate, write_export

MIB = 1024**2


class StandInPartition(Model):
    """The field definition proposed for planner.models (GuestPartition)."""

    path: str
    disk_key: int | None = None
    capacity_bytes: int | None = None
    free_bytes: int | None = None


class VmWithPartitions(Vm):
    partitions: list[StandInPartition] = Field(default_factory=list)


def _apply(header: list[str], rows: list[list[object]], *, decimal_comma: bool | None = None) -> VmWithPartitions:
    tab = Tab("vPartition", "export.csv, tab vPartition", header, iter(enumerate(rows, start=2)), decimal_comma)
    apply = vmtabs.vpartition(Columns(tab))
    cells = Cells(tab.origin, decimal_comma)
    vm = VmWithPartitions(name="app-01", source="vc1")
    for number, row in tab.rows:
        apply(vm, cells.at(number, row))
    return vm


def test_partition_rows_in_4x_3x_and_internal_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vmtabs, "GUEST_PARTITION", StandInPartition)
    four = _apply(["VM", "Disk Key", "Disk", "Capacity MiB", "Consumed MiB", "Free MiB", "Free %"],
                  [["app-01", 2000, "/", 10240, 4096, 6144, 60], ["app-01", 2001, "/data", 1024, 1024, 0, 0]])
    three = _apply(["VM", "Disk", "Capacity MB", "Consumed MB", "Free MB"],
                   [["app-01", "C:\\", "2.048,5", "1.024", ""]], decimal_comma=True)
    internal = _apply(["vPartitionVMName", "vPartitionDisk", "vPartitionCapacityMiB", "vPartitionConsumedMiB"],
                      [["app-01", "/var", 512, 128]])

    assert [(p.path, p.disk_key, p.capacity_bytes, p.free_bytes) for p in four.partitions] == [
        ("/", 2000, 10240 * MIB, 6144 * MIB), ("/data", 2001, 1024 * MIB, 0)]
    assert [(p.path, p.capacity_bytes, p.free_bytes) for p in three.partitions] == [
        ("C:\\", round(2048.5 * MIB), round(2048.5 * MIB) - 1024 * MIB)]  # no Free column: capacity - consumed
    assert [(p.path, p.free_bytes) for p in internal.partitions] == [("/var", 384 * MIB)]


def test_vpartition_is_read_only_when_the_model_has_partitions() -> None:
    assert ("vPartition" in vmtabs.VM_TABS) == ("partitions" in Vm.model_fields)


@pytest.mark.skipif("partitions" not in Vm.model_fields, reason="planner.models has no Vm.partitions yet")
def test_partitions_are_imported(tmp_path: Path) -> None:
    estate = load_rvtools(write_export(sample_estate(), tmp_path / "export.xlsx"))
    web = estate.vms[0]
    assert [(p.path, p.capacity_bytes, p.free_bytes) for p in web.partitions] == [  # type: ignore[attr-defined]
        ("/", 40 * 1024 * MIB, 20 * 1024 * MIB)]
