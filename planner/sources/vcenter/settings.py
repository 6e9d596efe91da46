"""Where and how to connect: flags, then the VMWARE_*, GOVC_* and VSPHERE_* env families, or a config file.

Passwords come from an env var, a password file or a prompt; they are held in `Secret`, whose repr
hides them, and are never written anywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from planner.errors import InputError, NotFoundError, UsageError
from planner.validation import yaml_error


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
    vmware = EnvSettings("VMWARE_*", user=env.get("VMWARE_USER") or None)
    if env.get("VMWARE_HOST"):
        vmware.host, vmware.port, _user, _password = parse_address(env["VMWARE_HOST"], "VMWARE_HOST")
    vmware.port = _port("VMWARE_PORT", env.get("VMWARE_PORT")) or vmware.port
    if env.get("VMWARE_PASSWORD"):
        vmware.password = Secret(env["VMWARE_PASSWORD"])
    if env.get("VMWARE_VALIDATE_CERTS"):
        vmware.insecure = not _flag("VMWARE_VALIDATE_CERTS", env["VMWARE_VALIDATE_CERTS"])
    families.append(vmware)

    govc = EnvSettings("GOVC_*", user=env.get("GOVC_USERNAME") or None)
    if env.get("GOVC_URL"):
        govc.host, govc.port, url_user, url_password = parse_address(env["GOVC_URL"], "GOVC_URL")
        govc.user = govc.user or url_user
        govc.password = url_password
    if env.get("GOVC_PASSWORD"):
        govc.password = Secret(env["GOVC_PASSWORD"])
    if env.get("GOVC_INSECURE"):
        govc.insecure = _flag("GOVC_INSECURE", env["GOVC_INSECURE"])
    families.append(govc)

    vsphere = EnvSettings("VSPHERE_*", user=env.get("VSPHERE_USER") or None)
    if env.get("VSPHERE_SERVER"):
        vsphere.host, vsphere.port, _user, _password = parse_address(env["VSPHERE_SERVER"], "VSPHERE_SERVER")
    if env.get("VSPHERE_PASSWORD"):
        vsphere.password = Secret(env["VSPHERE_PASSWORD"])
    if env.get("VSPHERE_ALLOW_UNVERIFIED_SSL"):
        vsphere.insecure = _flag("VSPHERE_ALLOW_UNVERIFIED_SSL", env["VSPHERE_ALLOW_UNVERIFIED_SSL"])
    families.append(vsphere)
    return families


_HOST = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|[0-9a-fA-F:.]+")
"""A DNS name or an IPv4/IPv6 literal (urlsplit gives IPv6 without brackets)."""


def parse_address(value: str, what: str) -> tuple[str, int | None, str | None, Secret | None]:
    """Host, port, user and password of `host`, `host:port` or a URL. Errors name `what`, never the value,
    which may hold a password."""
    parts = urlsplit(value.strip() if "://" in value else f"https://{value.strip()}")
    host = parts.hostname
    if not host or not _HOST.fullmatch(host):
        shown = f" (host part {host!r})" if host else ""
        raise InputError(f"{what} is not a host name, IP address or https URL{shown}.",
                         hint="Write it as vc.example.com, vc.example.com:8443 or https://vc.example.com/sdk.")
    try:
        port = parts.port
    except ValueError:
        raise InputError(f"{what} has an invalid port (host {host}).") from None
    password = Secret(unquote(parts.password)) if parts.password else None
    return host, port, unquote(parts.username) if parts.username else None, password


def _read_password_file(path: Path) -> Secret:
    if not path.exists():
        raise NotFoundError(f"the password file {path} does not exist.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read the password file {path}: {reason}.") from exc
    lines = text.splitlines()
    password = lines[0] if lines else ""
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


Prompt = Callable[[str], str]


def _credential_family(families: list[EnvSettings], host: str | None) -> EnvSettings | None:
    """The one env family credentials come from: the first naming `host` (or, with no host given, the first naming
    any host), else the first that names no host. Families are never mixed, so one server's credentials or TLS
    opt-out never reach another server."""
    if host is None:
        return next((f for f in families if f.host), None)
    named = next((f for f in families if f.host == host), None)
    if named is not None:
        return named
    return next((f for f in families if not f.host and (f.user or f.password or f.insecure is not None)), None)


def resolve_servers(flags: ConnectionFlags, env: Mapping[str, str], prompt: Prompt | None) -> list[ServerSettings]:
    """Flags first, then one env family per server; ask for a missing password only if a prompt is available."""
    families = env_families(env)
    if flags.servers:
        targets = [parse_address(raw, f"--server #{index}") for index, raw in enumerate(flags.servers, start=1)]
    else:
        family = _credential_family(families, None)
        if family is None or family.host is None:
            raise UsageError("no vCenter given: pass --server HOST (repeatable), --config FILE, or set VMWARE_HOST, "
                             "GOVC_URL or VSPHERE_SERVER.")
        targets = [(family.host, None, None, None)]
    file_password = _read_password_file(flags.password_file) if flags.password_file else None
    settings = []
    for host, url_port, url_user, url_password in targets:
        family = _credential_family(families, host)
        from_family = family is not None and family.host == host
        user = flags.user or url_user or (family.user if family else None)
        if user is None:
            raise InputError(f"no user name for {host}: pass --user or set VMWARE_USER, GOVC_USERNAME or "
                             "VSPHERE_USER.")
        secret = file_password or url_password or (family.password if family else None)
        if secret is None:
            if prompt is None:
                raise InputError(f"no password for {user}@{host}: set VMWARE_PASSWORD (or GOVC_PASSWORD, "
                                 "VSPHERE_PASSWORD) or pass --password-file; there is no terminal to ask on.")
            secret = Secret(prompt(f"Password for {user}@{host}: "))
        port = url_port or flags.port or (family.port if family and from_family else None) or 443
        insecure = flags.insecure if flags.insecure is not None else bool(family and family.insecure)
        settings.append(ServerSettings(host=host, port=port, user=user, password=secret, verify_tls=not insecure,
                                       ca_file=flags.ca_file))
    return settings


def _config_bool(where: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InputError(f"{where}: expected true or false, got {value!r}.")


def load_config_file(path: Path, env: Mapping[str, str], prompt: Prompt | None) -> list[ServerSettings]:
    """Servers from a YAML file: `vcenters: [{server, port, user, password_env | password_file, insecure, ca_file}]`."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        if not path.exists():
            raise NotFoundError(f"the config file {path} does not exist.") from exc
        raise InputError(f"cannot read the config file {path}: {exc.strerror}.") from exc
    except yaml.YAMLError as exc:
        raise InputError(yaml_error(path, exc)) from exc
    entries = document.get("vcenters") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: expected a non-empty 'vcenters' list.")
    allowed = {"server", "port", "user", "password_env", "password_file", "insecure", "ca_file"}
    base = path.parent  # relative paths in the file are relative to the file
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
        host, port, _user, _password = parse_address(str(entry["server"]), f"{where}.server")
        if entry.get("port") is not None:
            port = _port(f"{where}.port", str(entry["port"]))
        password: Secret | None = None
        if entry.get("password_file"):
            password = _read_password_file(base / Path(str(entry["password_file"])).expanduser())
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
        insecure = _config_bool(f"{where}.insecure", entry.get("insecure", False))
        settings.append(ServerSettings(host=host, port=port or 443, user=str(entry["user"]), password=password,
                                       verify_tls=not insecure,
                                       ca_file=base / Path(str(ca)).expanduser() if ca else None))
    return settings


def current_env() -> Mapping[str, str]:
    return os.environ
