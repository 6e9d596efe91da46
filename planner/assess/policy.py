"""The assessment policy: a YAML file that tunes the catalogue without touching code.

Read once per run (``load_policy``), validated strictly (unknown keys are errors, named by key path),
then compiled once (``CompiledPolicy``: severity map, enabled set, precompiled keyword regexes) so no
rule parses policy per VM. The shipped defaults are ``examples/policy.yaml``; an empty file means defaults.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator, model_validator

from planner.assess.base import Severity
from planner.errors import InputError
from planner.models import OsFamily
from planner.validation import problems, read_yaml


class _Strict(BaseModel):
    # strict: YAML already types its scalars, so "16", "no" or `true` where a number or switch belongs is a
    # mistake to report, not to coerce; infinities and NaN are never meaningful thresholds or headroom.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


_SeverityName = Annotated[Severity, Strict(False)]
_FamilyName = Annotated[OsFamily, Strict(False)]


class RuleSetting(_Strict):
    """Per-rule switch and severity override."""

    enabled: bool = True
    severity: _SeverityName | None = None


ARCHITECTURES: dict[str, tuple[str, ...]] = {
    "x86_64": ("x86_64", "amd64", "x64", "x86", "i386", "i486", "i586", "i686", "64-bit", "32-bit"),
    "aarch64": ("aarch64", "arm64", "armv8", "arm 64-bit processor"),
    "arm": ("arm", "armhf", "armel", "armv5tel", "armv6l", "armv7l"),
    "ppc64le": ("ppc64le", "powerpc64le"),
    "ppc64": ("ppc64", "powerpc64", "ppc", "powerpc"),
    "s390x": ("s390x", "s390"),
    "riscv64": ("riscv64",),
    "mips64": ("mips64", "mips64el", "mips", "mipsel"),
    "loongarch64": ("loongarch64",),
    "sparc64": ("sparc64", "sparc"),
    "ia64": ("ia64",),
}
"""Node architecture -> the names guests report for it (``uname -m``, Windows' OSArchitecture). A 32-bit x86 guest
runs on x86_64 nodes (ARC004 judges the 32-bit part), so it counts as x86_64 here."""
_ARCH_OF = {alias: node for node, aliases in ARCHITECTURES.items() for alias in aliases}


def node_architecture(text: str | None) -> str | None:
    """The node architecture a guest architecture needs (``i686`` -> ``x86_64``); None when unknown."""
    return _ARCH_OF.get((text or "").strip().lower()) if text else None


class Target(_Strict):
    """What the target container platform accepts."""

    os_families: list[_FamilyName] = Field(default_factory=lambda: [OsFamily.LINUX], min_length=1)
    architectures: list[str] = Field(default_factory=lambda: ["x86_64"], min_length=1,
                                     description="CPU architectures of the platform's nodes (ARC008)")

    @field_validator("architectures")
    @classmethod
    def _architectures(cls, values: list[str]) -> list[str]:
        known = []
        for value in values:
            node = node_architecture(value)
            if node is None:
                raise ValueError(f"{value!r} is not a CPU architecture planner knows (one of "
                                 f"{', '.join(ARCHITECTURES)})")
            known.append(node)
        return list(dict.fromkeys(known))

    @field_validator("os_families")
    @classmethod
    def _known(cls, values: list[OsFamily]) -> list[OsFamily]:
        if OsFamily.UNKNOWN in values:
            raise ValueError("'unknown' is not an OS family a platform can accept (VMs without OS data are "
                             "sent to investigate)")
        return values


class Thresholds(_Strict):
    """What "huge", "many", "idle" and "old" mean."""

    huge_vcpu: int = Field(default=16, gt=0)
    huge_memory_gib: float = Field(default=128, gt=0)
    many_nics: int = Field(default=2, gt=0, description="more NICs than this fires POR017")
    snapshot_age_days: int = Field(default=7, ge=0, description="snapshots older than this are called out as stale")
    idle_cpu_percent: float = Field(default=2, ge=0, le=100)
    busy_cpu_percent: float = Field(default=80, gt=0, le=100)
    oversized_percent: float = Field(default=25, gt=0, le=100, description="used below this share of allocation")
    large_storage_gib: float = Field(default=1024, gt=0)
    local_data_gib: float = Field(default=50, gt=0)
    min_kernel: str = Field(default="3.10", pattern=r"^\d+\.\d+$", description="major.minor")
    many_service_units: int = Field(default=4, gt=0, description="more application units than this fires GST012")
    min_os_versions: dict[str, str] = Field(
        default_factory=lambda: {
            "rhel": "8", "centos": "9", "ol": "8", "rocky": "8", "almalinux": "8", "debian": "12",
            "ubuntu": "22.04", "sles": "15", "opensuse-leap": "15.5", "fedora": "40", "amzn": "2023",
        },
        description="os-release ID -> first supported VERSION_ID (ARC005, from discovery or guest ids)",
    )

    @model_validator(mode="after")
    def _idle_below_busy(self) -> Thresholds:
        if self.idle_cpu_percent >= self.busy_cpu_percent:
            raise ValueError(f"idle_cpu_percent ({self.idle_cpu_percent:g}) must be below busy_cpu_percent "
                             f"({self.busy_cpu_percent:g}): a VM cannot be idle and busy at once")
        return self

    @field_validator("min_os_versions", mode="before")
    @classmethod
    def _versions(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values  # pydantic reports the type error
        for key, value in values.items():
            if not isinstance(key, str) or not key.strip():
                raise ValueError(f"{key!r} is not an os-release ID (a name such as rhel or ubuntu)")
            if isinstance(value, float):
                # YAML reads 8.10 as the number 8.1: the version meant cannot be recovered, so ask for quotes.
                raise ValueError(f"{key}: write the version in quotes, e.g. {key}: \"{value}\"; YAML reads an "
                                 "unquoted version as a number and drops trailing zeros (8.10 becomes 8.1)")
            if isinstance(value, bool) or not re.match(r"^\d+(\.\d+)*$", str(value)):
                raise ValueError(f"{key}: {value!r} is not a version like 8 or \"22.04\"")
        return {key.lower(): str(value) for key, value in values.items()}


PCI_NOT_HARDWARE = r"pci(?![ -]?(?:e|express|passthrough|pass-through|devices?|slot|bus|card|nic|id)\b)"
"""PCI DSS, not the PCI bus: "PCI passthrough", "PCIe", "PCI-e", "PCI device" in notes are hardware, not scope."""


class Keywords(_Strict):
    """Case-insensitive words matched as whole words (letters/digits around them do not match)."""

    compliance: list[str] = Field(default_factory=lambda: [
        PCI_NOT_HARDWARE, "pci-dss", "pcidss", "cardholder", "hipaa", "phi", "sox", "gdpr", "fedramp", "itar", "fisma",
        "cui", "classified", "restricted",
    ])
    sensitive_networks: list[str] = Field(default_factory=lambda: ["dmz", "untrusted", "pci", "cde", "isolated"])
    licence_dongles: list[str] = Field(default_factory=lambda: [
        "dongle", "hasp", "sentinel", "safenet", "wibu", "codemeter", "aladdin", "rainbow", "licen[cs]e",
    ])
    database_processes: list[str] = Field(default_factory=lambda: [
        "mysqld", "mariadbd", "postgres", "postmaster", "oracle", "ora_pmon_.*", "tnslsnr", "sqlservr", "mongod",
        "db2sysc", "sybase", "dataserver", "redis-server", "cassandra", "elasticsearch", "couchdb", "influxd",
    ])
    system_processes: list[str] = Field(default_factory=lambda: [
        "systemd", "systemd-.*", "init", "kthreadd", "sshd", "cron", "crond", "rsyslogd", "syslog-ng", "auditd",
        "agetty", "login", "dbus-daemon", "polkitd", "chronyd", "ntpd", "vmtoolsd", "vgauthd", "VGAuthService",
        "irqbalance", "tuned", "firewalld", "networkmanager", "dhclient", "udevd", "multipathd", "lvmetad",
        "atd", "snapd", "unattended-upgr.*", "accounts-daemon", "rpcbind", "gssproxy", "master", "postfix",
        "sudo", "bash", "sh", "su", "containerd", "dockerd", "kworker.*", "ksoftirqd.*", "migration.*",
        "udisksd", "dmeventd", "lvmpolld", "mdadm", "smartd", "iscsid",
    ])
    system_units: list[str] = Field(default_factory=lambda: [
        "systemd-.*", "ssh", "sshd", "cron", "crond", "rsyslog", "auditd", "getty@.*", "serial-getty@.*", "dbus",
        "polkit", "chronyd", "chrony", "ntp", "ntpd", "vmtoolsd", "open-vm-tools", "vgauth", "irqbalance",
        "tuned", "firewalld", "NetworkManager.*", "networking", "network", "udev.*", "multipathd", "lvm2-.*",
        "atd", "snapd.*", "unattended-upgrades", "accounts-daemon", "rpcbind", "gssproxy", "postfix", "kdump",
        "dm-event", "blk-availability", "user@.*", "user-runtime-dir@.*", "apparmor", "ufw", "console-setup",
        "keyboard-setup", "kmod-static-nodes", "e2scrub_reap", "sysstat", "smartd", "mdmonitor", "rhsmcertd",
        "qemu-guest-agent", "cloud-.*", "containerd", "docker",
    ])
    ignored_kernel_modules: list[str] = Field(default_factory=lambda: [
        "vmw_.*", "vmxnet3", "vmwgfx", "vsock", "vmw_vsock_.*", "overlay", "br_netfilter", "nf_.*", "xt_.*",
        "ip_tables", "iptable_.*", "ip6_tables", "ip6table_.*", "nft_.*", "nf_tables", "bridge", "stp", "llc",
        "veth", "tun", "loop", "dm_.*", "xfs", "ext4", "btrfs", "crc.*", "sd_mod", "sr_mod", "cdrom", "ata_.*",
        "libata", "mptspi", "mptscsih", "mptbase", "vmw_pvscsi", "scsi_transport_.*", "intel_.*", "ahci",
        "libahci", "i2c_.*", "psmouse", "serio_raw", "joydev", "evdev", "button", "ac", "pcspkr", "drm.*",
        "ttm", "fb_sys_fops", "syscopyarea", "sysfillrect", "sysimgblt", "autofs4", "ipv6", "af_packet",
    ])


    @field_validator("*")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        for word in values:
            try:
                re.compile(word)
            except re.error as exc:
                raise ValueError(f"{word!r} is not a valid regular expression ({exc})") from exc
        return values


class Network(_Strict):
    """Address ranges known to be statically assigned (POR016 fires for guest IPs inside them)."""

    static_ip_cidrs: list[str] = Field(default_factory=list)

    @field_validator("static_ip_cidrs")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a CIDR (e.g. 10.20.0.0/16)") from exc
        return values


class Sizing(_Strict):
    """Right-sizing: requests = observed use + headroom; limits = requests x factor, capped at the allocation."""

    cpu_headroom_percent: float = Field(default=30, ge=0)
    memory_headroom_percent: float = Field(default=25, ge=0)
    cpu_limit_factor: float = Field(default=2.0, ge=1)
    memory_limit_factor: float = Field(default=1.5, ge=1)
    min_cpu_millicores: int = Field(default=100, gt=0)
    min_memory_mib: int = Field(default=128, gt=0)
    default_core_mhz: int = Field(default=2400, gt=0, description="used when the VM's host speed is unknown")


class Policy(_Strict):
    """The whole policy file. Every section is optional; omitted keys take the documented defaults."""

    version: Literal[1] = 1
    target: Target = Field(default_factory=Target)
    rules: dict[str, RuleSetting] = Field(default_factory=dict)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    keywords: Keywords = Field(default_factory=Keywords)
    network: Network = Field(default_factory=Network)
    sizing: Sizing = Field(default_factory=Sizing)


_SECTIONS = frozenset(name for name, field in Policy.model_fields.items() if name != "version")


def parse_policy(document: Any, origin: str) -> Policy:
    """Validate a parsed YAML document; errors name the key path, e.g. ``thresholds.huge_memory_gib``."""
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InputError(f"{origin}: a policy must be a mapping of sections (target, rules, thresholds, ...).")
    # A section left empty (`rules:` with every entry commented out) is YAML null: it means "defaults".
    document = {key: value for key, value in document.items() if not (value is None and key in _SECTIONS)}
    try:
        policy = Policy.model_validate(document)
    except ValidationError as exc:
        raise InputError(f"{origin}: invalid policy: {problems(exc)}") from exc
    return policy


def load_policy(path: Path | None) -> Policy:
    """The policy in ``path``, or the defaults when ``path`` is None."""
    if path is None:
        return Policy()
    document = read_yaml(path, "policy")
    return parse_policy(document, str(path))


def keyword_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive whole-word alternation for a keyword list; None when the list is empty.

    Keywords are regular expressions (``licen[cs]e``); letters and digits around a match make it no match.
    """
    parts = [w for w in words if w.strip()]
    if not parts:
        return None
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(f"(?:{p})" for p in parts) + r")(?![A-Za-z0-9])",
                      re.IGNORECASE)


def name_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """A case-insensitive full-match alternation (for process, unit and module names)."""
    parts = [w for w in words if w.strip()]
    if not parts:
        return None
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy made ready for rules: everything parsed or compiled exactly once per run."""

    policy: Policy
    enabled: frozenset[str]
    severities: dict[str, Severity]
    accepted_families: frozenset[OsFamily]
    compliance: re.Pattern[str] | None
    sensitive_networks: re.Pattern[str] | None
    licence_dongles: re.Pattern[str] | None
    database_processes: re.Pattern[str] | None
    system_processes: re.Pattern[str] | None
    system_units: re.Pattern[str] | None
    ignored_kernel_modules: re.Pattern[str] | None
    static_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    min_kernel: tuple[int, int]
    target_architectures: frozenset[str] = frozenset({"x86_64"})

    @property
    def thresholds(self) -> Thresholds:
        return self.policy.thresholds

    @property
    def sizing(self) -> Sizing:
        return self.policy.sizing


def check_rule_ids(policy: Policy, known: Iterable[str], origin: str = "policy") -> None:
    """Raise ``InputError`` naming ``rules.<ID>`` (and the closest known id) for a rule the catalogue lacks."""
    known = list(known)
    unknown = sorted(set(policy.rules) - set(known))
    if unknown:
        close = difflib.get_close_matches(unknown[0].upper(), known, n=1)
        hint = f"did you mean {close[0]}?" if close else "the rule ids are listed in docs/rules.md"
        raise InputError(f"{origin}: invalid policy: rules.{unknown[0]}: unknown rule id ({hint})")


def compile_policy(policy: Policy, rules: dict[str, Severity]) -> CompiledPolicy:
    """Resolve the policy against the loaded catalogue (``rules``: id -> default severity)."""
    check_rule_ids(policy, rules)
    enabled = frozenset(rid for rid in rules if policy.rules.get(rid, RuleSetting()).enabled)
    severities = {rid: (policy.rules[rid].severity if rid in policy.rules else None) or sev
                  for rid, sev in rules.items()}
    keywords = policy.keywords
    major, minor = (int(part) for part in policy.thresholds.min_kernel.split("."))
    patterns: dict[str, re.Pattern[str] | None] = {}
    for name in Keywords.model_fields:
        build = keyword_regex if name in {"compliance", "sensitive_networks", "licence_dongles"} else name_regex
        try:
            patterns[name] = build(getattr(keywords, name))
        except re.error as exc:
            raise InputError(f"policy: invalid policy: keywords.{name}: not a valid regular expression ({exc})"
                             ) from exc
    return CompiledPolicy(
        policy=policy,
        enabled=enabled,
        severities=severities,
        accepted_families=frozenset(policy.target.os_families),
        compliance=patterns["compliance"],
        sensitive_networks=patterns["sensitive_networks"],
        licence_dongles=patterns["licence_dongles"],
        database_processes=patterns["database_processes"],
        system_processes=patterns["system_processes"],
        system_units=patterns["system_units"],
        ignored_kernel_modules=patterns["ignored_kernel_modules"],
        static_networks=tuple(ipaddress.ip_network(c, strict=False) for c in policy.network.static_ip_cidrs),
        min_kernel=(major, minor),
        target_architectures=frozenset(policy.target.architectures),
    )
