"""The estate model every stage reads and writes. Pydantic v2, no I/O."""

from planner.models.base import Model, OsFamily, PowerState, SourceKind
from planner.models.estate import SCHEMA_VERSION, Estate
from planner.models.guestos import os_family
from planner.models.infrastructure import (
    Cluster,
    ClusterRule,
    Datacenter,
    Datastore,
    Host,
    Network,
    Source,
)
from planner.models.vm import (
    CdRom,
    Devices,
    Disk,
    GuestOs,
    GuestPartition,
    Nic,
    PciDevice,
    PortDevice,
    Snapshot,
    Tag,
    Tools,
    Usage,
    UsbController,
    UsbDevice,
    Vm,
)

__all__ = [
    "SCHEMA_VERSION",
    "CdRom",
    "Cluster",
    "ClusterRule",
    "Datacenter",
    "Datastore",
    "Devices",
    "Disk",
    "Estate",
    "GuestOs",
    "GuestPartition",
    "Host",
    "Model",
    "Network",
    "Nic",
    "OsFamily",
    "PciDevice",
    "PortDevice",
    "PowerState",
    "Snapshot",
    "Source",
    "SourceKind",
    "Tag",
    "Tools",
    "Usage",
    "UsbController",
    "UsbDevice",
    "Vm",
    "os_family",
]
