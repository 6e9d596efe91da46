"""The facts for generation from ``collect.sh appfacts`` and ``collect.sh services`` (pure parsing; tested on
recorded output): per service process its exact argv, cwd, exe, ids and allow-listed environment; the
configuration files recognised servers read; language runtimes; the application's own paths.

Guest text is untrusted. Values that may hold any byte come as printable text or hex-encoded and are decoded
here (invalid UTF-8 is replaced by U+FFFD); numbers are read only from ASCII digits; every secret is redacted
before it reaches the model (``planner.discovery.redact``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from planner.discovery import parse
from planner.discovery.raw import RawGuest
from planner.discovery.redact import redact_argv, redact_env, redact_text
from planner.discovery.unitfacts import service_units
from planner.models.discovery import AppPath, ConfigFile, GuestDiscovery, Process, Runtime

CONF_MAX = 262144
"""Characters of one configuration file kept (collect.sh reads at most as many bytes)."""
DUMP_MAX = 1048576
BOUNDS = {"processes", "units", "configuration-files", "application-paths", "time"}
_DIGITS = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"(?:[0-9a-f]{2})*")
_VERSION = re.compile(r"(?<![0-9.])v?([0-9]+(?:\.[0-9]+)+(?:[_+-][0-9A-Za-z.]+)?)")
_DUMP_FILE = re.compile(r"^# configuration file (.+):$")
_UNIT = re.compile(r"/([^/]+\.service)$")


def number(text: str) -> int | None:
    """An int from ASCII digits only (``'²'.isdigit()`` is true, ``int('²')`` fails), else None."""
    text = text.strip()
    return int(text) if _DIGITS.fullmatch(text) else None


def unhex(text: str) -> str | None:
    """Hex from collect.sh decoded (invalid UTF-8 replaced), or None when it is not hex."""
    text = text.strip()
    if not _HEX.fullmatch(text):
        return None
    return bytes.fromhex(text).decode("utf-8", "replace")


def decode(encoding: str, value: str) -> str | None:
    """A field of collect.sh's ``fields``: ``T`` printable text as is, ``H`` hex."""
    return value if encoding == "T" else unhex(value) if encoding == "H" else None


@dataclass
class ProcFacts:
    """What one ``proc PID`` section says."""

    pid: int
    name: str | None = None
    ppid: int | None = None
    uid: int | None = None
    gid: int | None = None
    server: str | None = None
    cwd: str | None = None
    exe: str | None = None
    unit: str | None = None
    argv: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    environ_unreadable: bool = False


def proc_facts(pid: int, body: str) -> ProcFacts:
    facts = ProcFacts(pid)
    cgroups: list[str] = []
    for line in body.split("\n"):
        tag, _, value = line.partition(" ")
        if tag == "s":
            key, _, rest = value.partition(":")
            fields = rest.split()
            if key == "Name":
                facts.name = rest.strip() or None
            elif key == "PPid" and fields:
                facts.ppid = number(fields[0])
            elif key in {"Uid", "Gid"} and fields:
                setattr(facts, key.lower(), number(fields[0]))
        elif tag == "k":
            facts.server = None if value.strip() in {"", "-"} else value.strip()
        elif tag == "c":
            cgroups.append(value)
        elif len(tag) == 2 and tag[0] in "awxe" and (text := decode(tag[1], value)) is not None:
            if tag[0] == "a":
                facts.argv.append(text)
            elif tag[0] == "e" and "=" in text:
                name, _, setting = text.partition("=")
                facts.environment[name] = setting
            elif tag[0] == "w" and text:
                facts.cwd = text
            elif tag[0] == "x" and text:
                facts.exe = text.removesuffix(" (deleted)")
        elif tag == "E":
            facts.environ_unreadable = True
    facts.unit = unit_of(cgroups)
    return facts


def unit_of(cgroups: list[str]) -> str | None:
    """The systemd service of a process from its /proc/PID/cgroup lines (v2 ``0::`` first, then v1's
    ``name=systemd``); None outside a service (containers, login sessions)."""
    ordered = [line for line in cgroups if line.startswith("0::")] + [
        line for line in cgroups if ":name=systemd:" in line]
    for line in ordered:
        match = _UNIT.search(line.rsplit(":", 1)[-1].strip())
        if match:
            return match[1]
    return None


def ids(body: str) -> tuple[dict[int, str], dict[int, str]]:
    """(uid -> user name, gid -> group name) from the ``ids`` section."""
    users: dict[int, str] = {}
    groups: dict[int, str] = {}
    for line in body.split("\n"):
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] in {"u", "g"} and (value := number(parts[1])) is not None and parts[2]:
            (users if parts[0] == "u" else groups)[value] = parts[2].strip()
    return users, groups


def config_file(arg: str, body: str) -> ConfigFile | None:
    """One ``conf SERVER PATH`` section: a ``#meta STATE SIZE OWNER MODE SHA`` line, then the text read."""
    server, _, path = arg.partition(" ")
    meta, _, content = body.partition("\n")
    fields = meta.split()
    if not path or len(fields) < 2 or fields[0] != "#meta" or fields[1] == "missing":
        return None
    state = fields[1]
    size = number(fields[2]) if len(fields) > 2 else None
    owner = fields[3] if len(fields) > 3 else None
    mode = fields[4].rjust(4, "0") if len(fields) > 4 and fields[4].isascii() and fields[4].isdigit() else None
    sha = fields[5] if len(fields) > 5 and re.fullmatch(r"[0-9a-f]{64}", fields[5]) else None
    item = ConfigFile(path=path, server=server, size=size, owner=owner, mode=mode, sha256=sha, stripped=True)
    if state == "unreadable":
        item.readable = False
    elif state == "skipped":
        item.truncated = True
    elif state in {"read", "truncated"}:
        item.truncated = state == "truncated" or len(content) > CONF_MAX
        item.content, item.secrets = redact_text(content[:CONF_MAX])
    else:
        return None
    return item


def config_dump(arg: str, body: str) -> list[ConfigFile]:
    """A server's own dump: ``nginx -T`` split into its files; any other (``apachectl -S``) as one item whose
    path is the command."""
    server, _, command = arg.partition(" ")
    meta, _, content = body.partition("\n")
    total = number(meta.split()[2]) if meta.startswith("#meta dump ") and len(meta.split()) > 2 else None
    if not meta.startswith("#meta "):
        content = body
    cut = total is not None and total > DUMP_MAX
    if server != "nginx":
        text, secrets = redact_text(content[:CONF_MAX])
        return [ConfigFile(path=command or server, server=server, content=text, secrets=secrets, dump=True,
                           truncated=cut or len(content) > CONF_MAX, stripped=False)]
    files: list[tuple[str, list[str]]] = []
    for line in content.split("\n"):
        match = _DUMP_FILE.match(line)
        if match:
            files.append((match[1], []))
        elif files:
            files[-1][1].append(line)
    result = []
    for index, (path, lines) in enumerate(files):
        text = "\n".join(lines).strip("\n")
        redacted, secrets = redact_text(text[:CONF_MAX])
        result.append(ConfigFile(path=path, server=server, content=redacted, secrets=secrets, dump=True, stripped=True,
                                 truncated=len(text) > CONF_MAX or (cut and index == len(files) - 1)))
    return result


RUNTIME_NAMES = (("java", "java"), ("python3", "python3"), ("python2", "python2"), ("nodejs", "node"),
                 ("node", "node"), ("php", "php"), ("ruby", "ruby"))


def runtimes(body: str) -> list[Runtime]:
    """``PATH<TAB>first line of its version output`` lines; one runtime per name and version."""
    result: dict[tuple[str, str], Runtime] = {}
    for line in body.split("\n"):
        path, _, raw = line.partition("\t")
        base = path.rsplit("/", 1)[-1]
        match = _VERSION.search(raw)
        if not path.startswith("/") or match is None:
            continue  # not a path, or the binary gave no version (a shim without its runtime)
        name = next((label for prefix, label in RUNTIME_NAMES if base.startswith(prefix)), None)
        if base == "python" or name is None:
            name = {"Python 3": "python3", "Python 2": "python2"}.get(raw.strip()[:8], base)
        key = (name, match[1])
        if key not in result:
            result[key] = Runtime(name=name, path=path, version=match[1], raw=raw.strip()[:200] or None)
    return list(result.values())


PATH_KINDS = {"cwd", "script", "jar", "war", "webroot", "webapps", "data", "config-dir", "binary"}


def app_paths(body: str) -> list[AppPath]:
    """``KIND SERVER PID exists|missing OWNER SIZE_KIB PATH`` lines (tab-separated, the path last)."""
    result = []
    for line in body.split("\n"):
        parts = line.split("\t", 6)
        if len(parts) != 7 or not parts[6].startswith("/"):
            continue
        kind, server, pid, exists, owner, size, path = parts
        if kind not in PATH_KINDS or exists not in {"exists", "missing"}:
            continue
        kib = number(size)
        result.append(AppPath(path=path, kind=kind, server=None if server in {"", "process"} else server,
                              pid=number(pid), owner=None if owner in {"", "-"} else owner,
                              size_bytes=None if kib is None else kib * 1024, is_data=kind == "data",
                              exists=exists != "missing"))
    return result


def apply(raw: RawGuest, guest: GuestDiscovery) -> None:
    """Add the generation facts of one guest (after its samples were merged)."""
    guest.services = service_units(raw.sections.get("services", ""))
    found = parse.sections(raw.sections.get("appfacts", ""))
    users, groups = ids(next((body for name, _, body in found if name == "ids"), ""))
    procs = [proc_facts(pid, body) for name, arg, body in found if name == "proc" and (pid := number(arg)) is not None]
    _attach(guest, procs, users, groups)
    for name, arg, body in found:
        if name == "conf" and (item := config_file(arg, body)) is not None:
            guest.config_files.append(item)
        elif name == "conf-dump":
            guest.config_files.extend(config_dump(arg, body))
        elif name == "runtimes-found":
            guest.runtimes = runtimes(body)
        elif name == "app-paths":
            guest.app_paths = app_paths(body)
    _missing(guest, procs)
    services = parse.sections(raw.sections.get("services", ""))
    for section, arg, _ in [*found, *services]:
        if section == "limit" and arg in BOUNDS and arg not in guest.bounds_reached:
            guest.bounds_reached.append(arg)


def _attach(guest: GuestDiscovery, procs: list[ProcFacts], users: dict[int, str], groups: dict[int, str]) -> None:
    """Facts onto the sampled process of the same pid and name; a process no sample saw is added."""
    by_pid = {process.pid: process for process in guest.processes}
    for facts in procs:
        argv = redact_argv(facts.argv)
        process = by_pid.get(facts.pid)
        if process is not None and facts.name and process.comm[:15] != facts.name[:15]:
            continue  # the pid was reused between the tasks: another process
        if process is None:
            comm = facts.name or (argv[0].rsplit("/", 1)[-1] if argv else "?")
            process = Process(pid=facts.pid, ppid=facts.ppid, comm=comm, args=" ".join(argv))
            guest.processes.append(process)
            by_pid[facts.pid] = process
        process.argv = argv
        process.cwd = facts.cwd
        process.exe = process.exe or facts.exe
        process.uid, process.gid = facts.uid, facts.gid
        process.user = process.user or (users.get(facts.uid) if facts.uid is not None else None)
        process.group = groups.get(facts.gid) if facts.gid is not None else None
        process.environment = redact_env(facts.environment)
        process.unit = facts.unit
        process.server = facts.server
    guest.processes.sort(key=lambda item: item.pid)


def _missing(guest: GuestDiscovery, procs: list[ProcFacts]) -> None:
    """Say what the account could not read (other users' /proc entries, protected configuration files)."""
    no_env = [facts.pid for facts in procs if facts.environ_unreadable]
    no_cwd = [facts.pid for facts in procs if facts.cwd is None]
    unreadable = [item.path for item in guest.config_files if not item.readable]
    if no_env:
        guest.missing_privileges.append(f"environment of {len(no_env)} service process(es) not readable "
                                        f"(other users' /proc/PID/environ): pids {_short(no_env)}")
    if no_cwd:
        guest.missing_privileges.append(f"working directory and executable of {len(no_cwd)} service process(es) "
                                        f"not readable: pids {_short(no_cwd)}")
    if unreadable:
        guest.missing_privileges.append(f"{len(unreadable)} configuration file(s) not readable: "
                                        f"{_short(unreadable)}")


def _short(items: list[int] | list[str], limit: int = 8) -> str:
    shown = ", ".join(str(item) for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
