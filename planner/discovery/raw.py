"""What the discovery playbook returned for one host, before parsing (discovery-internal)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from planner.models.base import Model


class RawSample(Model):
    """One sample's raw output (``collect.sh sample``) and when the controller received it."""

    received: datetime
    text: str


class RawGuest(Model):
    """What the playbook returned for one host, before parsing (recorded in tests as it came back)."""

    host: str
    reached_address: str | None = Field(default=None, description="ansible_host, if the inventory sets it")
    planner_vm: str | None = Field(default=None, description="planner_vm host variable")
    extra_addresses: list[str] = Field(default_factory=list, description="planner_guest_addresses host var")
    sections: dict[str, str] = Field(default_factory=dict, description="task (identity, packages...) -> stdout")
    samples: list[RawSample] = Field(default_factory=list)
    windows: dict[str, str] = Field(default_factory=dict, description="Windows task -> stdout (JSON)")
    errors: list[str] = Field(default_factory=list)
    unreachable: bool = False
    started: datetime | None = None
    finished: datetime | None = None
