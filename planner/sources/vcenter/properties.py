"""The leaf property paths planner reads, per managed-object type."""

from __future__ import annotations

VM_PATHS = (
    "name", "parent", "resourcePool",
    "config.instanceUuid", "config.uuid", "config.template", "config.guestId", "config.guestFullName",
    "config.version", "config.firmware", "config.bootOptions.efiSecureBootEnabled",
    "config.hardware.numCPU", "config.hardware.numCoresPerSocket", "config.hardware.memoryMB",
    "config.hardware.device",
    "config.cpuAllocation.reservation", "config.cpuAllocation.limit",
    "config.memoryAllocation.reservation", "config.memoryAllocation.limit",
    "config.cpuHotAddEnabled", "config.memoryHotAddEnabled",
    "config.latencySensitivity.level", "config.cpuAffinity.affinitySet", "config.annotation",
    "config.extraConfig",
    "runtime.powerState", "runtime.connectionState", "runtime.host", "runtime.faultToleranceState",
    "runtime.consolidationNeeded",
    "guest.guestId", "guest.guestFullName", "guest.hostName", "guest.ipAddress", "guest.net", "guest.disk",
    "guest.toolsStatus", "guest.toolsRunningStatus", "guest.toolsVersion", "guest.toolsVersionStatus2",
    "summary.quickStats.overallCpuUsage", "summary.quickStats.guestMemoryUsage",
    "summary.quickStats.hostMemoryUsage", "summary.quickStats.uptimeSeconds",
    "summary.storage.committed", "summary.storage.uncommitted",
    "snapshot.rootSnapshotList", "snapshot.currentSnapshot", "customValue",
)

HOST_PATHS = (
    "name", "parent",
    "summary.config.product.version", "summary.config.product.build",
    "summary.hardware.vendor", "summary.hardware.model", "summary.hardware.cpuModel",
    "summary.hardware.numCpuPkgs", "summary.hardware.numCpuCores", "summary.hardware.numCpuThreads",
    "summary.hardware.cpuMhz", "summary.hardware.memorySize",
    "runtime.inMaintenanceMode", "runtime.connectionState", "runtime.powerState",
)

CLUSTER_PATHS = ("name", "parent", "configurationEx", "host")
COMPUTE_RESOURCE_PATHS = ("name", "parent")
DATACENTER_PATHS = ("name", "parent")
FOLDER_PATHS = ("name", "parent")
RESOURCE_POOL_PATHS = ("name", "parent")
DATASTORE_PATHS = (
    "name", "parent", "summary.type", "summary.capacity", "summary.freeSpace", "summary.url",
    "summary.multipleHostAccess", "host",
)
NETWORK_PATHS = ("name", "parent")
OPAQUE_NETWORK_PATHS = ("summary.opaqueNetworkId",)
PORTGROUP_PATHS = ("key", "config.distributedVirtualSwitch", "config.defaultPortConfig")
SWITCH_PATHS = ("name",)
