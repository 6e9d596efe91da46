"""Shared base class and enumerations for the estate model."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Base for every estate model: strict about unknown keys, no I/O."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, frozen=False)


class PowerState(StrEnum):
    """VM power state, with vSphere's own spellings."""

    ON = "poweredOn"
    OFF = "poweredOff"
    SUSPENDED = "suspended"


class OsFamily(StrEnum):
    """Operating-system family derived from the guest OS identifiers."""

    LINUX = "linux"
    WINDOWS = "windows"
    BSD = "bsd"
    SOLARIS = "solaris"
    MACOS = "macos"
    OTHER = "other"
    UNKNOWN = "unknown"


class SourceKind(StrEnum):
    """Where a snapshot's data came from."""

    VCENTER = "vcenter"
    RVTOOLS = "rvtools"
    FILE = "file"
