"""Inventory objects around the VMs: datacenters, clusters, hosts, datastores, networks."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from planner.models.base import Model, SourceKind


class Source(Model):
    """One system a snapshot was read from (a vCenter, an RVTools export, a file)."""

    name: str
    kind: SourceKind
    api_version: str | None = None
    product: str | None = None
    instance_uuid: str | None = None
    collected_at: datetime


class Datacenter(Model):
    name: str
    moid: str | None = None
    source: str


class ClusterRule(Model):
    """A DRS rule: VM affinity, VM anti-affinity, or VM-to-host."""

    name: str
    kind: str = Field(description="vm-affinity | vm-anti-affinity | vm-host | other")
    enabled: bool | None = None
    mandatory: bool | None = None
    vms: list[str] = Field(default_factory=list, description="VM names the rule covers")
    vm_group: str | None = None
    host_group: str | None = None
    hosts: list[str] = Field(default_factory=list, description="vm-host: host names in the host group")
    affine: bool | None = Field(default=None, description="vm-host: must/should run on (True) or not on (False)")


class Cluster(Model):
    name: str
    moid: str | None = None
    source: str
    datacenter: str | None = None
    drs_enabled: bool | None = None
    drs_behavior: str | None = None
    ha_enabled: bool | None = None
    ha_admission_control: bool | None = None
    host_count: int | None = None
    rules: list[ClusterRule] = Field(default_factory=list)


class Host(Model):
    name: str
    moid: str | None = None
    source: str
    datacenter: str | None = None
    cluster: str | None = None
    version: str | None = None
    build: str | None = None
    vendor: str | None = None
    model: str | None = None
    cpu_model: str | None = None
    cpu_sockets: int | None = None
    cpu_cores: int | None = None
    cpu_threads: int | None = None
    cpu_mhz: int | None = None
    memory_mib: int | None = None
    maintenance_mode: bool | None = None
    connection_state: str | None = None
    power_state: str | None = None


class Datastore(Model):
    name: str
    moid: str | None = None
    source: str
    datacenter: str | None = None
    type: str | None = None
    capacity_bytes: int | None = None
    free_bytes: int | None = None
    url: str | None = None
    multiple_host_access: bool | None = None
    hosts: list[str] = Field(default_factory=list, description="hosts that mount the datastore")


class Network(Model):
    name: str
    moid: str | None = None
    source: str
    datacenter: str | None = None
    kind: str = Field(default="standard", description="standard | distributed-portgroup | opaque")
    switch: str | None = None
    vlan_id: int | None = None
    key: str | None = Field(default=None, description="portgroup key, for distributed portgroups")
