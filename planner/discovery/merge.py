"""Turn one host's raw output (all samples) into a ``GuestDiscovery``.

Sockets are attributed to the guest when discovery saw their owning process, or when they are bound to one of
the guest's own addresses (the address the connection reached, and ``planner_guest_addresses``). That is right
on VMs where ``ss`` without root hides other users' processes, and on hosts sharing one network namespace.
Connections are unioned over samples: counted, with first and last seen; the ephemeral side's port is dropped so
the many short connections of one client to one service count as one conversation. Traffic inside the guest
(loopback, or to its own addresses) is left out; v4-mapped addresses (``::ffff:a.b.c.d``) count as IPv4.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from planner.discovery import appfacts, parse
from planner.discovery.raw import RawGuest
from planner.models.discovery import Connection, GuestDiscovery, GuestStatus, Listener, Process, WindowsService

WILDCARDS = {"0.0.0.0", "::", "*", ""}  # noqa: S104 - matched against, never bound
LOCALHOST = {"127.0.0.1", "::1"}


def _own_addresses(raw: RawGuest, ssh_connection: str) -> list[str]:
    own = []
    parts = ssh_connection.split()
    if len(parts) == 4:
        own.append(parts[2])  # the server address this SSH session reached
    if raw.reached_address:
        own.append(raw.reached_address)
    own.extend(raw.extra_addresses)
    normal = []
    for address in own:
        try:
            ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
        except ValueError:
            continue  # a host name in ansible_host: the SSH_CONNECTION address covers it
        normal.append(parse.normalize_address(address))
    return list(dict.fromkeys(normal))


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _inside(socket: parse.Socket, own: set[str], listeners: Iterable[Listener]) -> bool:
    """The peer is this guest itself: 127.0.0.1/::1, one of its own addresses, or any other loopback address
    (127.0.1.1...) unless the guest's own address is itself a loopback one (lab guests told apart by 127.0.0.N):
    then only a loopback peer served by one of the guest's own listeners is inside."""
    peer = socket.peer_address
    if peer in LOCALHOST or peer in own:
        return True
    if not _loopback(peer):
        return False
    if not any(_loopback(address) for address in own - LOCALHOST):
        return True
    return socket.peer_port is not None and _serves(listeners, socket.protocol, peer, socket.peer_port)


def _is_ours(socket: parse.Socket, own: set[str]) -> bool:
    return socket.pid is not None or socket.local_address in own


def _serves(listeners: Iterable[Listener], protocol: str, address: str, port: int) -> bool:
    return any(listener.protocol == protocol and listener.port == port
               and (listener.address in WILDCARDS or listener.address == address) for listener in listeners)


def _listens(listening: set[tuple[str, str, int]], protocol: str, address: str, port: int) -> bool:
    return any((protocol, candidate, port) in listening for candidate in (address, *WILDCARDS))


def merge(raw: RawGuest) -> GuestDiscovery:
    """All of one host's samples and sections merged into its discovery document."""
    guest = GuestDiscovery(host=raw.host, errors=list(raw.errors), reached_address=raw.reached_address,
                           planner_vm=raw.planner_vm)
    if raw.started and raw.finished:
        guest.duration_seconds = round((raw.finished - raw.started).total_seconds(), 3)
    if raw.unreachable:
        guest.status = GuestStatus.UNREACHABLE
        return guest
    if raw.windows:
        _merge_windows(raw, guest)
        if guest.errors:
            guest.status = GuestStatus.PARTIAL
        return guest
    identity = parse.section_map(raw.sections.get("identity", ""))
    if not identity and not raw.samples:
        guest.status = GuestStatus.FAILED
        return guest
    _identity(identity, guest)
    own = set(_own_addresses(raw, identity.get("ssh-connection", "").strip()))
    guest.addresses = sorted(own)
    _other_sections(raw, guest)
    _samples(raw, guest, own)
    appfacts.apply(raw, guest)
    if guest.errors:
        guest.status = GuestStatus.PARTIAL
    return guest


def _identity(identity: dict[str, str], guest: GuestDiscovery) -> None:
    uname = identity.get("uname", "").split("\n")
    if uname:
        guest.system = uname[0].strip() or None
        guest.kernel = uname[1].strip() if len(uname) > 1 else None
        guest.arch = uname[2].strip() if len(uname) > 2 else None
    guest.os = parse.os_release(identity.get("os-release", ""))
    names = [line.strip() for line in identity.get("hostname", "").split("\n") if line.strip()]
    if names:
        guest.hostname = names[0]
        guest.fqdn = names[1] if len(names) > 1 else None
    guest.interface_addresses = parse.interface_addresses(identity.get("addresses", ""))
    uuid = identity.get("product-uuid", "").strip().lower()
    guest.bios_uuid = uuid or None
    guest.selinux = parse.selinux(identity.get("selinux", ""))
    guest.kernel_modules = parse.kernel_modules(identity.get("modules", ""), identity.get("modules-dep", ""))
    guest.mounts = parse.mounts(identity.get("mounts", ""))
    guest.hosts_entries = parse.hosts_entries(identity.get("hosts", ""))
    runtimes = {line.strip().rsplit("/", 1)[-1] for line in identity.get("runtimes", "").split("\n")
                if line.strip() and not line.strip().endswith(".sock")}
    sockets = {line.strip() for line in identity.get("runtimes", "").split("\n") if line.strip().endswith(".sock")}
    for sock in sockets:
        runtimes.add(sock.rsplit("/", 1)[-1].removesuffix(".sock"))
    guest.container_runtimes = sorted(runtimes)
    guest.memory_used_mib = parse.meminfo_used_mib(identity.get("meminfo", ""))


def _other_sections(raw: RawGuest, guest: GuestDiscovery) -> None:
    for name, arg, body in parse.sections(raw.sections.get("packages", "")):
        if name == "packages":
            guest.package_manager = arg or None
            guest.packages = parse.packages(body, arg)
    units = parse.section_map(raw.sections.get("units", ""))
    guest.systemd_units = parse.systemd_units(units.get("units", ""), units.get("unit-files", ""))
    guest.crontabs = parse.crontabs(raw.sections.get("crontabs", ""))
    guest.data_dirs = parse.data_dirs(parse.section_map(raw.sections.get("datadirs", "")).get("datadirs", ""))


def _samples(raw: RawGuest, guest: GuestDiscovery, own: set[str]) -> None:
    processes: dict[int, Process] = {}
    listeners: dict[tuple[str, str, int], Listener] = {}
    connections: dict[tuple[object, ...], Connection] = {}
    established: list[tuple[datetime, parse.Socket]] = []
    cpu: list[tuple[int, int, int]] = []
    # Every listening socket in the namespace, attributed or not: it tells which end of a connection serves.
    listening: set[tuple[str, str, int]] = set()
    for sample in raw.samples:
        found = parse.sections(sample.text)
        parts = {name: body for name, _, body in found}
        when = sample.received
        stamp = parts.get("time", "").strip()
        if stamp.isdigit():
            when = datetime.fromtimestamp(int(stamp), tz=UTC)
        guest.first_seen = when if guest.first_seen is None else min(guest.first_seen, when)
        guest.last_seen = when if guest.last_seen is None else max(guest.last_seen, when)
        guest.samples += 1
        times = parse.cpu_times(parts.get("stat", ""))
        if times:
            cpu.append(times)
        for process in parse.processes(parts.get("ps", ""), parts.get("comm", ""), parts.get("exe", "")):
            processes[process.pid] = process
        tool = next((arg for name, arg, _ in found if name == "sockets"), "ss")
        for socket in parse.sockets(parts.get("sockets", ""), tool):
            if socket.listening:
                listening.add((socket.protocol, socket.local_address, socket.local_port))
            if not _is_ours(socket, own):
                continue
            if socket.listening:
                listener_key = (socket.protocol, socket.local_address, socket.local_port)
                if listener_key not in listeners or listeners[listener_key].process is None:
                    listeners[listener_key] = Listener(protocol=socket.protocol, address=socket.local_address,
                                              port=socket.local_port, process=socket.process, pid=socket.pid)
            elif socket.established:
                established.append((when, socket))
    for when, socket in established:
        if _inside(socket, own, listeners.values()):
            continue
        inbound = _listens(listening, socket.protocol, socket.local_address, socket.local_port)
        if not inbound and not listening:
            inbound = not parse_ephemeral(socket.local_port) and parse_ephemeral(socket.peer_port)
        direction = "inbound" if inbound else "outbound"
        conn_key: tuple[object, ...] = (
            (socket.protocol, direction, socket.local_address, socket.local_port, socket.peer_address, socket.process)
            if inbound else (socket.protocol, direction, socket.peer_address, socket.peer_port, socket.process))
        conn = connections.get(conn_key)
        if conn is None:
            connections[conn_key] = Connection(
                protocol=socket.protocol, direction=direction, local_address=socket.local_address,
                local_port=socket.local_port if inbound else None, peer_address=socket.peer_address,
                peer_port=None if inbound else socket.peer_port, process=socket.process, pid=socket.pid, count=1,
                first_seen=when, last_seen=when)
        else:
            conn.count += 1
            conn.first_seen = min(conn.first_seen or when, when)
            conn.last_seen = max(conn.last_seen or when, when)
    guest.processes = sorted(_without_discovery(processes).values(), key=lambda p: p.pid)
    guest.listeners = sorted(listeners.values(), key=lambda item: (item.protocol, item.port, item.address))
    guest.connections = sorted(connections.values(), key=lambda c: (c.direction, c.peer_address, c.peer_port or 0,
                                                                     c.local_port or 0, c.process or ""))
    guest.data_dirs = _detected_data_dirs(guest)
    if len(cpu) >= 2:
        busy = cpu[-1][0] - cpu[0][0]
        total = cpu[-1][1] - cpu[0][1]
        if total > 0:
            guest.cpu_used_cores = round(busy / total * cpu[-1][2], 2)


SESSION_COMMS = {"sh", "bash", "dash", "sudo", "su", "doas", "timeout", "sleep"}
# Ansible's temporary copy of collect.sh (not any script of the guest that happens to be called collect.sh).
_OUR_SCRIPT = re.compile(r"/ansible-tmp-[^/\s]+/collect\.sh "
                         r"(identity|packages|units|crontabs|datadirs|sample|services|appfacts)\b")
DATA_DIR_SERVICES = {
    "/var/lib/mysql": {"mysqld", "mariadbd"}, "/var/lib/mariadb": {"mariadbd", "mysqld"},
    "/var/lib/pgsql": {"postgres", "postmaster"}, "/var/lib/postgresql": {"postgres", "postmaster"},
    "/var/lib/mongodb": {"mongod"}, "/var/lib/redis": {"redis-server"}, "/var/lib/elasticsearch": {"java"},
    "/var/lib/opensearch": {"java"}, "/var/lib/rabbitmq": {"beam.smp", "rabbitmq-server"},
    "/var/lib/cassandra": {"java"}, "/var/lib/kafka": {"java"}, "/var/lib/zookeeper": {"java"},
    "/var/lib/influxdb": {"influxd"}, "/var/lib/couchdb": {"beam.smp", "couchdb"}, "/var/lib/etcd": {"etcd"},
    "/var/lib/ldap": {"slapd"}, "/var/lib/jenkins": {"java"}, "/var/lib/docker": {"dockerd"},
    "/var/lib/containers": {"podman", "conmon"}, "/var/opt/mssql": {"sqlservr"}, "/u01/app/oracle": {"oracle"},
    "/opt/oracle": {"oracle"}, "/var/www": {"nginx", "apache2", "httpd", "php-fpm", "lighttpd"},
    "/srv": {"nginx", "apache2", "httpd", "lighttpd", "smbd", "nfsd", "vsftpd", "proftpd"},
}


def _without_discovery(processes: dict[int, Process]) -> dict[int, Process]:
    """Processes minus discovery's own: collect.sh, its children, and the shell/SSH session above it."""
    children: dict[int, list[int]] = {}
    for process in processes.values():
        if process.ppid is not None:
            children.setdefault(process.ppid, []).append(process.pid)
    ours = [pid for pid, process in processes.items() if _OUR_SCRIPT.search(process.args)]
    drop: set[int] = set()
    stack = list(ours)
    while stack:
        pid = stack.pop()
        if pid in drop:
            continue
        drop.add(pid)
        stack.extend(children.get(pid, []))
    for pid in ours:
        parent = processes[pid].ppid
        while parent in processes and parent not in drop:
            process = processes[parent]
            session = process.comm in SESSION_COMMS or (process.args.startswith("sshd: ") and (
                "@" in process.args or "[priv]" in process.args or "[net]" in process.args))
            if not session:
                break
            drop.add(parent)
            parent = process.ppid
    return {pid: process for pid, process in processes.items() if pid not in drop}


def _detected_data_dirs(guest: GuestDiscovery) -> dict[str, int]:
    """Only the data directories of services that run on this guest (or unknown directories, kept as found)."""
    running = {process.comm for process in guest.processes}
    running |= {process.exe.rsplit("/", 1)[-1] for process in guest.processes if process.exe}
    return {path: size for path, size in guest.data_dirs.items()
            if path not in DATA_DIR_SERVICES or DATA_DIR_SERVICES[path] & running}


def parse_ephemeral(port: int | None) -> bool:
    return port is not None and port >= 32768


def _merge_windows(raw: RawGuest, guest: GuestDiscovery) -> None:
    """Best effort: identity, services, listening/established TCP sockets and IIS sites from PowerShell JSON."""
    guest.system = "Windows"
    ident = _json(raw.windows.get("identity"))
    if isinstance(ident, dict):
        guest.os.name = str(ident.get("caption") or "") or None
        guest.kernel = str(ident.get("version") or "") or None
        guest.arch = str(ident.get("arch") or "") or None
        guest.hostname = str(ident.get("hostname") or "") or None
        guest.bios_uuid = str(ident.get("uuid") or "").lower() or None
    services = _json(raw.windows.get("services"))
    services = [services] if isinstance(services, dict) else services if isinstance(services, list) else []
    for item in (entry for entry in services if isinstance(entry, dict)):
        guest.windows_services.append(WindowsService(
            name=str(item.get("name", "")), display_name=_text(item.get("display_name")),
            state=_text(item.get("state")), start_mode=_text(item.get("start_mode")), path=_text(item.get("path"))))
    sites = _json(raw.windows.get("iis"))
    if isinstance(sites, list):
        guest.iis_sites = [str(site) for site in sites]
    elif isinstance(sites, str):
        guest.iis_sites = [sites]
    listeners: dict[tuple[str, int], Listener] = {}
    connections: dict[tuple[object, ...], Connection] = {}
    for sample in raw.samples:
        rows = _json(sample.text)
        rows = [rows] if isinstance(rows, dict) else rows if isinstance(rows, list) else []
        rows = sorted((row for row in rows if isinstance(row, dict)),
                      key=lambda row: str(row.get("state", "")).lower() not in {"listen", "2"})
        guest.samples += 1
        for row in rows:
            if not isinstance(row, dict):
                continue
            try:
                local, lport = parse.normalize_address(str(row["local"])), int(row["lport"])
                peer, pport = parse.normalize_address(str(row.get("peer") or "")), int(row.get("pport") or 0)
            except (KeyError, TypeError, ValueError):
                continue
            process = _text(row.get("process"))
            state = str(row.get("state", ""))
            if state.lower() == "listen" or state == "2":
                listeners[(local, lport)] = Listener(protocol="tcp", address=local, port=lport, process=process)
            elif peer and not _loopback(peer):
                inbound = _serves(listeners.values(), "tcp", local, lport)
                key = ("inbound", local, lport, peer, process) if inbound else ("outbound", peer, pport, process)
                if key in connections:
                    connections[key].count += 1
                else:
                    connections[key] = Connection(
                        direction="inbound" if inbound else "outbound", local_address=local,
                        local_port=lport if inbound else None, peer_address=peer, peer_port=None if inbound else pport,
                        process=process, first_seen=sample.received, last_seen=sample.received)
    guest.listeners = list(listeners.values())
    guest.connections = list(connections.values())


def _json(text: str | None) -> object:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)
