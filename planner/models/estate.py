"""The estate snapshot: one dated, versioned picture of one or more vSphere sources."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from planner.models.base import Model
from planner.models.infrastructure import Cluster, Datacenter, Datastore, Host, Network, Source
from planner.models.vm import Vm

SCHEMA_VERSION = 1
"""Version of the snapshot schema. Bump it, and add a migration, on any incompatible change."""


class Estate(Model):
    """Everything read from the sources at one point in time."""

    schema_version: int = SCHEMA_VERSION
    collected_at: datetime
    sources: list[Source] = Field(default_factory=list)
    datacenters: list[Datacenter] = Field(default_factory=list)
    clusters: list[Cluster] = Field(default_factory=list)
    hosts: list[Host] = Field(default_factory=list)
    datastores: list[Datastore] = Field(default_factory=list)
    networks: list[Network] = Field(default_factory=list)
    vms: list[Vm] = Field(default_factory=list)

    def workloads(self) -> list[Vm]:
        """VMs that are not templates."""
        return [vm for vm in self.vms if not vm.template]
