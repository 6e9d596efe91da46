"""Where and how to connect: flags, then the VMWARE_*, GOVC_* and VSPHERE_* env families, or a config file.

Passwords come from an env var, a password file or a prompt; they are held in `Secret`, whose repr
hides them, and are never written anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from planner.errors import InputError


class Secret:
    """A password that does not show itself in reprs, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class ServerSettings:
    """Everything needed to log in to one vCenter."""

    host: str
    port: int = 443
    user: str | None = None
    password: Secret | None = field(default=None, repr=False)
    verify_tls: bool = True
    ca_file: Path | None = None

    @property
    def address(self) -> str:
        return self.host if self.port == 443 else f"{self.host}:{self.port}"


_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InputError(f"environment variable {name}={value!r} is not a boolean (use true or false).")


@dataclass
class EnvSettings:
    """What one env-var family says; unset values are None."""

    family: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: Secret | None = None
    insecure: bool | None = None


def _port(name: str, value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        port = int(value)
    except ValueError:
        raise InputError(f"{name}={value!r} is not a port number.") from None
    if not 0 < port < 65536:
        raise InputError(f"{name}={value} is not a port number (1-65535).")
    return port


def env_families(env: Mapping[str, str]) -> list[EnvSettings]:
    """The three families users already have, in precedence order: Ansible, govc, Terraform."""
    families: list[EnvSettings] = []
    vmware = EnvSettings("VMWARE_*", host=env.get("VMWARE_HOST") or None, port=_port("VMWARE_PORT",
                         env.get("VMWARE_PORT")), user=env.get("VMWARE_USER") or None)
    if env.get("VMWARE_PASSWORD"):
        vmware.password = Secret(env["VMWARE_PASSWORD"])
    if env.get("VMWARE_VALIDATE_CERTS"):
        vmware.insecure = not _flag("VMWARE_VALIDATE_CERTS", env["VMWARE_VALIDATE_CERTS"])
    families.append(vmware)

    govc = EnvSettings("GOVC_*", user=env.get("GOVC_USERNAME") or None)
    if env.get("GOVC_URL"):
        raw = env["GOVC_URL"]
        parts = urlsplit(raw if "://" in raw else f"https://{raw}")
        govc.host = parts.hostname
        try:
            govc.port = parts.port
        except ValueError:
            raise InputError(f"GOVC_URL={raw!r} has an invalid port.") from None
        govc.user = govc.user or (parts.username or None)
        if parts.password:
            govc.password = Secret(parts.password)
    if env.get("GOVC_PASSWORD"):
        govc.password = Secret(env["GOVC_PASSWORD"])
    if env.get("GOVC_INSECURE"):
        govc.insecure = _flag("GOVC_INSECURE", env["GOVC_INSECURE"])
    families.append(govc)

    vsphere = EnvSettings("VSPHERE_*", host=env.get("VSPHERE_SERVER") or None, user=env.get("VSPHERE_USER") or None)
    if env.get("VSPHERE_PASSWORD"):
        vsphere.password = Secret(env["VSPHERE_PASSWORD"])
    if env.get("VSPHERE_ALLOW_UNVERIFIED_SSL"):
        vsphere.insecure = _flag("VSPHERE_ALLOW_UNVERIFIED_SSL", env["VSPHERE_ALLOW_UNVERIFIED_SSL"])
    families.append(vsphere)
    return families


def _read_password_file(path: Path) -> Secret:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the password file {path}: {exc.strerror}.") from exc
    password = text.rstrip("\r\n")
    if not password:
        raise InputError(f"the password file {path} is empty.")
    return Secret(password)


@dataclass
class ConnectionFlags:
    """What the user passed on the command line; None means 'not given'."""

    servers: list[str] = field(default_factory=list)
    port: int | None = None
    user: str | None = None
    password_file: Path | None = None
    insecure: bool | None = None
    ca_file: Path | None = None


def _split_server(value: str) -> tuple[str, int | None]:
    parts = urlsplit(value if "://" in value else f"https://{value}")
    if not parts.hostname:
        raise InputError(f"--server {value!r} is not a host name or URL.")
    try:
        return parts.hostname, parts.port
    except ValueError:
        raise InputError(f"--server {value!r} has an invalid port.") from None


Prompt = Callable[[str], str]


def resolve_servers(flags: ConnectionFlags, env: Mapping[str, str], prompt: Prompt | None) -> list[ServerSettings]:
    """Merge flags over the env families; ask for a missing password only if a prompt is available."""
    families = [f for f in env_families(env) if f.host or f.user or f.password or f.insecure is not None]
    def first_with(attr: str) -> Any:
        return next((getattr(f, attr) for f in families if getattr(f, attr) is not None), None)

    env_host = first_with("host")
    hosts: list[str] = flags.servers or ([env_host] if env_host else [])
    if not hosts:
        raise InputError("no vCenter given: pass --server HOST (repeatable), --config FILE, or set VMWARE_HOST, "
                         "GOVC_URL or VSPHERE_SERVER.")
    user = flags.user or first_with("user")
    insecure = flags.insecure if flags.insecure is not None else bool(first_with("insecure"))
    password = _read_password_file(flags.password_file) if flags.password_file else first_with("password")
    settings = []
    for raw in hosts:
        host, port = _split_server(raw)
        port = port or flags.port or first_with("port") or 443
        if user is None:
            raise InputError(f"no user name for {host}: pass --user or set VMWARE_USER, GOVC_USERNAME or "
                             "VSPHERE_USER.")
        secret = password
        if secret is None:
            if prompt is None:
                raise InputError(f"no password for {user}@{host}: set VMWARE_PASSWORD (or GOVC_PASSWORD, "
                                 "VSPHERE_PASSWORD) or pass --password-file; there is no terminal to ask on.")
            secret = Secret(prompt(f"Password for {user}@{host}: "))
        settings.append(ServerSettings(host=host, port=port, user=user, password=secret, verify_tls=not insecure,
                                       ca_file=flags.ca_file))
    return settings


def load_config_file(path: Path, env: Mapping[str, str], prompt: Prompt | None) -> list[ServerSettings]:
    """Servers from a YAML file: `vcenters: [{server, port, user, password_env | password_file, insecure, ca_file}]`."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the config file {path}: {exc.strerror}.") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}.") from exc
    entries = document.get("vcenters") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: expected a non-empty 'vcenters' list.")
    allowed = {"server", "port", "user", "password_env", "password_file", "insecure", "ca_file"}
    settings = []
    for index, entry in enumerate(entries):
        where = f"{path}: vcenters[{index}]"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected a mapping.")
        if "password" in entry:
            raise InputError(f"{where}.password: passwords are not read from config files; use password_env "
                             "(an environment variable's name) or password_file.")
        unknown = set(entry) - allowed
        if unknown:
            raise InputError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: "
                             f"{', '.join(sorted(allowed))}.")
        if not entry.get("server") or not entry.get("user"):
            raise InputError(f"{where}: 'server' and 'user' are required.")
        host, port = _split_server(str(entry["server"]))
        if entry.get("port") is not None:
            port = _port(f"{where}.port", str(entry["port"]))
        password: Secret | None = None
        if entry.get("password_file"):
            password = _read_password_file(Path(str(entry["password_file"])).expanduser())
        elif entry.get("password_env"):
            name = str(entry["password_env"])
            if not env.get(name):
                raise InputError(f"{where}.password_env: environment variable {name} is not set.")
            password = Secret(env[name])
        elif prompt is not None:
            password = Secret(prompt(f"Password for {entry['user']}@{host}: "))
        else:
            raise InputError(f"{where}: no password: set password_env or password_file.")
        ca = entry.get("ca_file")
        settings.append(ServerSettings(host=host, port=port or 443, user=str(entry["user"]), password=password,
                                       verify_tls=not bool(entry.get("insecure", False)),
                                       ca_file=Path(str(ca)).expanduser() if ca else None))
    return settings


def current_env() -> Mapping[str, str]:
    return os.environ
