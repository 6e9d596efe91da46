"""Parsers for the raw text ``collect.sh`` prints (pure functions; tested on recorded output).

Guest output is untrusted: it is only parsed here, never templated by Ansible or evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner.addresses import canonical_ip
from planner.discovery.redact import redact_args
from planner.models.discovery import CronEntry, HostsEntry, Mount, OsRelease, Package, Process, SystemdUnit

_SECTION = re.compile(r"^@@planner:([a-z0-9-]+)(?: (.*))?@@$")
DATA_MARK = "|"
"""Prefix of every data line collect.sh prints (section lines have none)."""
NETWORK_FSTYPES = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "glusterfs", "ceph", "9p", "afs", "fuse.sshfs"}
# ss prints users:(("name",pid=1,fd=3),...); the name is a quoted string that may contain escaped quotes.
_SS_USER = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=([0-9]{1,10})')
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
PID_MAX = 2**22
"""Linux's largest pid_max: a larger "pid" is not one."""
PORT_MAX = 65535


def number(text: str, high: int = 2**63 - 1) -> int | None:
    """``text`` as a non-negative integer when it is only ASCII digits and at most ``high``, else None.

    Guest text never reaches ``int()`` unchecked: ``str.isdigit`` accepts ``'²'`` (which ``int`` refuses) and
    ``int`` accepts other scripts' digits and any length.
    """
    text = text.strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= high else None


def sections(text: str) -> list[tuple[str, str, str]]:
    """(name, argument, body) for every ``@@planner:NAME ARG@@`` section, in order.

    ``collect.sh`` prints every line of collected output behind a ``|``: only those lines are data, so guest
    text (a crontab line, a file name with a newline) can never start a section. Lines are split on ``\n`` only
    (``str.splitlines`` would also split on characters such as U+2028 inside a file name); a trailing ``\r``
    (SSH with a terminal) is dropped; anything else (stray stderr) is ignored.
    """
    found: list[tuple[str, str, list[str]]] = []
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if line.startswith(DATA_MARK):
            if found:
                found[-1][2].append(line[1:])
            continue
        match = _SECTION.match(line)
        if match:
            found.append((match[1], match[2] or "", []))
    return [(name, arg, "\n".join(lines)) for name, arg, lines in found]


def section_map(text: str) -> dict[str, str]:
    """Sections by name (the last one wins), argument dropped."""
    return {name: body for name, _, body in sections(text)}


def os_release(text: str) -> OsRelease:
    values: dict[str, str] = {}
    for line in text.split("\n"):
        key, sep, value = line.partition("=")
        if sep and key.strip().isidentifier():
            values[key.strip()] = value.strip().strip('"').strip("'")
    return OsRelease(id=values.get("ID"), id_like=values.get("ID_LIKE", "").split(), name=values.get("NAME"),
                     version_id=values.get("VERSION_ID"), pretty_name=values.get("PRETTY_NAME"))


def interface_addresses(text: str) -> list[str]:
    """Addresses from ``ip -o addr show`` (or ``hostname -I``), without prefix lengths."""
    addresses: list[str] = []
    for line in text.split("\n"):
        parts = line.split()
        if "inet" in parts or "inet6" in parts:
            index = parts.index("inet") if "inet" in parts else parts.index("inet6")
            if index + 1 < len(parts):
                addresses.append(parts[index + 1].split("/", 1)[0])
        else:
            addresses.extend(part for part in parts if ":" in part or part.count(".") == 3)
    return list(dict.fromkeys(addresses))


def mounts(text: str) -> list[Mount]:
    result = []
    for line in text.split("\n"):
        parts = line.split()
        if len(parts) < 4:
            continue
        device, mountpoint, fstype, options = (_unescape_octal(part) for part in parts[:4])
        result.append(Mount(device=redact_args(device), mountpoint=mountpoint, fstype=fstype,
                            options=[redact_args(option) for option in options.split(",")],
                            network=fstype in NETWORK_FSTYPES or fstype.startswith("nfs")))
    return result


def _unescape_octal(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), text)


def hosts_entries(text: str) -> list[HostsEntry]:
    result = []
    for line in text.split("\n"):
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2:
            result.append(HostsEntry(address=parts[0], names=parts[1:]))
    return result


def selinux(text: str) -> str | None:
    value = text.strip().lower()
    return {"1": "enforcing", "0": "permissive"}.get(value, value if value in {"enforcing", "permissive",
                                                                                "disabled"} else None)


def kernel_modules(modules_text: str, dep_text: str) -> list[str]:
    """Loaded modules that are not the kernel's own: tainted out-of-tree/proprietary/unsigned (O, P, E flags), or
    installed outside ``kernel/`` (``extra/``, ``updates/``) when modules.dep is readable."""
    outside = set()
    for path in dep_text.split("\n"):
        name = path.rsplit("/", 1)[-1].split(".ko", 1)[0].replace("-", "_")
        if path and not path.startswith(("kernel/", "/lib/modules")):
            outside.add(name)
    result = []
    for line in modules_text.split("\n"):
        parts = line.split()
        if not parts:
            continue
        flags = line[line.rfind("(") + 1: line.rfind(")")] if line.rstrip().endswith(")") else ""
        if any(flag in flags for flag in "OPE") or parts[0] in outside:
            result.append(parts[0])
    return sorted(set(result))


def meminfo_used_mib(text: str) -> int | None:
    values = {}
    for line in text.split("\n"):
        key, _, rest = line.partition(":")
        digits = rest.split()
        value = number(digits[0]) if digits else None
        if value is not None:
            values[key.strip()] = value
    if "MemTotal" in values and "MemAvailable" in values:
        return max(0, values["MemTotal"] - values["MemAvailable"]) // 1024
    return None


def packages(text: str, manager: str) -> list[Package]:
    result = []
    for line in text.split("\n"):
        if manager == "apk":
            name, _, version = line.strip().rpartition("-")
            name, _, release = name.rpartition("-") if name.count("-") else (name, "", "")
            if name:
                result.append(Package(name=name, version=f"{release}-{version}" if release else version))
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0]:
            continue
        status = parts[3].strip() if len(parts) > 3 else "ii"
        if not status.startswith("i"):
            continue  # dpkg: removed, config-files only...
        result.append(Package(name=parts[0], version=parts[1] or None, arch=parts[2] if len(parts) > 2 else None))
    return result


def systemd_units(units_text: str, files_text: str) -> list[SystemdUnit]:
    result = []
    seen = set()
    for line in units_text.split("\n"):
        parts = line.split(None, 4)
        if len(parts) >= 4 and parts[0].endswith(".service"):
            seen.add(parts[0])
            result.append(SystemdUnit(name=parts[0], load=parts[1], active=parts[2], sub=parts[3],
                                      description=parts[4] if len(parts) > 4 else None))
    for line in files_text.split("\n"):
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(".service") and parts[0] not in seen and parts[1] == "enabled":
            result.append(SystemdUnit(name=parts[0], load="enabled", active="inactive", sub="dead"))
    return result


def crontabs(text: str) -> list[CronEntry]:
    """Cron lines (secrets in them redacted: backup jobs often carry ``mysqldump -p…``)."""
    return [CronEntry(source=source, line=redact_args(line.strip())) for name, source, body in sections(text)
            if name == "cron"
            for line in body.split("\n") if line.strip()]


def data_dirs(text: str) -> dict[str, int]:
    result = {}
    for line in text.split("\n"):
        size, _, path = line.partition("\t")
        kib = number(size, 2**53 // 1024)
        if kib is not None and path.strip():
            result[path.strip()] = kib * 1024
    return result


def processes(ps_text: str, comm_text: str, exe_text: str) -> list[Process]:
    """``ps -eo pid,ppid,user,args``, completed by ``ps -eo pid,comm`` and ``ls -l /proc/*/exe``."""
    comms = {}
    for line in comm_text.split("\n"):
        pid_text, _, comm = line.strip().partition(" ")
        pid = number(pid_text, PID_MAX)
        if pid is not None:
            comms[pid] = comm.strip()
    exes = {}
    for line in exe_text.split("\n"):
        match = re.search(r"/proc/([0-9]{1,10})/exe -> (.*)$", line)
        if match and (exe_pid := number(match[1], PID_MAX)) is not None:
            exes[exe_pid] = match[2].removesuffix(" (deleted)")
    result = []
    for line in ps_text.split("\n"):
        parts = line.split(None, 3)
        pid = number(parts[0], PID_MAX) if len(parts) >= 3 else None
        if pid is None:
            continue
        args = redact_args(parts[3]) if len(parts) > 3 else ""
        if args.startswith("[") and args.endswith("]"):
            continue  # kernel threads
        comm = comms.get(pid) or (args.split()[0].rsplit("/", 1)[-1] if args else "?")
        result.append(Process(pid=pid, ppid=number(parts[1], PID_MAX), user=parts[2], comm=comm,
                              exe=exes.get(pid), args=args))
    return result


def cpu_times(text: str) -> tuple[int, int, int] | None:
    """(busy jiffies, total jiffies, number of CPUs) from the ``cpu`` lines of /proc/stat."""
    total_line = next((line for line in text.split("\n") if line.startswith("cpu ")), None)
    if total_line is None:
        return None
    values = [value for v in total_line.split()[1:] if (value := number(v)) is not None]
    if len(values) < 4:
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    cpus = sum(1 for line in text.split("\n") if re.match(r"cpu[0-9]+ ", line))
    return total - idle, total, max(cpus, 1)


@dataclass(frozen=True, slots=True)
class Socket:
    """One socket line of ``ss -tunap`` or ``netstat -tunap``."""

    protocol: str
    state: str
    local_address: str
    local_port: int
    peer_address: str
    peer_port: int | None
    process: str | None
    pid: int | None

    @property
    def listening(self) -> bool:
        return self.state in {"LISTEN"} or (self.protocol == "udp" and self.state in {"UNCONN", ""}
                                            and self.peer_port is None)

    @property
    def established(self) -> bool:
        return self.state in {"ESTAB", "ESTABLISHED"}


def normalize_address(text: str) -> str:
    """Canonical address text: zone id dropped, v4-mapped IPv6 (``::ffff:192.0.2.1``, what a dual-stack socket
    shows for an IPv4 peer) as IPv4; wildcards and unparsable text unchanged."""
    address = text.strip("[]").split("%", 1)[0]
    canonical = canonical_ip(address)
    return address if canonical is None else canonical


def _split_endpoint(text: str) -> tuple[str, int | None]:
    address, _, port = text.rpartition(":")
    return normalize_address(address), number(port, PORT_MAX)


def _protocol(netid: str) -> str | None:
    netid = netid.lower()
    if netid.startswith("tcp"):
        return "tcp"
    if netid.startswith("udp"):
        return "udp"
    return None


def _endpoints(netid: str, local_text: str, peer_text: str) -> tuple[str, str, int, str, int | None] | None:
    """(protocol, local address, local port, peer address, peer port) of a tcp/udp socket line, else None."""
    protocol = _protocol(netid)
    if protocol is None:
        return None
    local, local_port = _split_endpoint(local_text)
    peer, peer_port = _split_endpoint(peer_text)
    return None if local_port is None else (protocol, local, local_port, peer, peer_port)


def sockets_ss(text: str) -> list[Socket]:
    result = []
    for line in text.split("\n"):
        parts = line.split(None, 6)
        if len(parts) < 6 or parts[0] == "Netid" or (ends := _endpoints(parts[0], parts[4], parts[5])) is None:
            continue
        protocol, local, local_port, peer, peer_port = ends
        process = pid = None
        match = _SS_USER.search(parts[6]) if len(parts) > 6 else None
        if match:
            process, pid = match[1].replace('\\"', '"'), number(match[2], PID_MAX)
        result.append(Socket(protocol, parts[1].upper(), local, local_port, peer, peer_port, process, pid))
    return result


def sockets_netstat(text: str) -> list[Socket]:
    result = []
    for line in text.split("\n"):
        parts = line.split()
        if len(parts) < 5 or (ends := _endpoints(parts[0], parts[3], parts[4])) is None:
            continue
        protocol, local, local_port, peer, peer_port = ends
        rest = parts[5:]
        state = rest.pop(0).upper() if protocol == "tcp" and rest else ""
        state = {"LISTEN": "LISTEN", "ESTABLISHED": "ESTAB"}.get(state, state)
        process = pid = None
        if rest and "/" in rest[0]:
            pid_text, _, name = " ".join(rest).partition("/")
            if (netstat_pid := number(pid_text, PID_MAX)) is not None:
                pid, process = netstat_pid, name.strip() or None
        if protocol == "udp" and peer_port is None:
            state = "UNCONN"
        result.append(Socket(protocol, state, local, local_port, peer, peer_port, process, pid))
    return result


def sockets(text: str, tool: str) -> list[Socket]:
    return sockets_netstat(text) if tool == "netstat" else sockets_ss(text)
