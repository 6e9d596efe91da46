"""Who owns a socket when ``ss -p`` cannot say: what a non-root account can still find out.

Without root, ``ss -p`` shows the process only for the account's own sockets. ``/proc/net/{tcp,tcp6,udp,udp6}``
are world-readable and give every socket's owner uid and inode, and ``ps`` lists every process with its uid (unless
``/proc`` is mounted ``hidepid``). From those, in this order:

1. ``uid``: the socket's uid is not root and every process of that uid has the same name;
2. ``command line``: exactly one program names the port in its arguments (``ListenAddress=…:2222``,
   ``--port 8080``, ``redis-server 127.0.0.1:6379``);
3. ``well-known port``: exactly one running program is a known server of that port (5432 → postgres...).

A listener attributed so keeps ``pid`` empty unless exactly one process matched: ``process`` without ``pid`` means
inferred, not seen. Pure functions on parsed text; ``merge`` decides what belongs to the guest.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from planner.discovery.parse import PID_MAX, PORT_MAX, Socket, normalize_address, number
from planner.models.discovery import GuestDiscovery, Listener, Mount, Process

WILDCARDS = {"0.0.0.0", "::", "*", ""}  # noqa: S104 - matched against, never bound
UID_MAX = 2**32 - 1
WELL_KNOWN = {
    21: {"vsftpd", "proftpd"}, 25: {"master", "exim4", "sendmail"}, 53: {"named", "dnsmasq", "unbound"},
    80: {"nginx", "apache2", "httpd", "lighttpd", "caddy"}, 443: {"nginx", "apache2", "httpd", "lighttpd", "caddy"},
    389: {"slapd"}, 1433: {"sqlservr"}, 1521: {"tnslsnr"}, 2049: {"nfsd"}, 3306: {"mysqld", "mariadbd"},
    5432: {"postgres", "postmaster"}, 5672: {"beam.smp"}, 6379: {"redis-server"}, 8009: {"java"},
    9000: {"php-fpm", "php-fpm8.2", "php-fpm7.4"}, 9200: {"java"}, 11211: {"memcached"}, 27017: {"mongod"},
}
"""Ports and the program names that usually serve them (used only when nothing better is known)."""


@dataclass(frozen=True, slots=True)
class SocketOwner:
    """One row of /proc/net/*: the socket's owner uid and inode (0 for kernel sockets)."""

    protocol: str
    address: str
    port: int
    uid: int
    inode: int


def _hex_address(text: str) -> str | None:
    """/proc/net address (host byte order per 32-bit word, little-endian here) as normal text."""
    if not re.fullmatch(r"[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}", text):
        return None
    words = [bytes.fromhex(text[i:i + 8])[::-1] for i in range(0, len(text), 8)]
    raw = b"".join(words)
    address = ipaddress.ip_address(raw)
    return normalize_address(str(address))


def procnet(text: str) -> dict[tuple[str, str, int], SocketOwner]:
    """Listening TCP and all UDP sockets of ``collect.sh``'s procnet section, by (protocol, address, port);
    wildcard addresses are keyed as ``*``."""
    result: dict[tuple[str, str, int], SocketOwner] = {}
    for line in text.split("\n"):
        parts = line.split()
        if len(parts) != 6 or parts[0] not in {"tcp", "tcp6", "udp", "udp6"}:
            continue
        address, _, port_hex = parts[1].partition(":")
        local = _hex_address(address)
        port = int(port_hex, 16) if re.fullmatch(r"[0-9A-Fa-f]{4}", port_hex) else None
        uid, inode = number(parts[4], UID_MAX), number(parts[5])
        if local is None or port is None or uid is None or inode is None or port > PORT_MAX:
            continue
        protocol = parts[0].removesuffix("6")
        key = (protocol, "*" if local in WILDCARDS else local, port)
        result.setdefault(key, SocketOwner(protocol, local, port, uid, inode))
    return result


def uids(text: str) -> dict[int, int]:
    """pid -> uid from ``ps -e -o pid=,uid=``."""
    result = {}
    for line in text.split("\n"):
        parts = line.split()
        if len(parts) == 2:
            pid, uid = number(parts[0], PID_MAX), number(parts[1], UID_MAX)
            if pid is not None and uid is not None:
                result[pid] = uid
    return result


def owner_of(owners: dict[tuple[str, str, int], SocketOwner], protocol: str, address: str,
             port: int) -> SocketOwner | None:
    return owners.get((protocol, "*" if address in WILDCARDS else address, port))


def _names_port(args: str, port: int) -> bool:
    tokens = args.split()
    text = str(port)
    for index, token in enumerate(tokens):
        if re.search(rf"[:=]{text}$", token):
            return True
        if token == text and index > 0 and tokens[index - 1].lstrip("-").lower() in {"p", "port", "listen", "l"}:
            return True
    return False


def _single(processes: list[Process]) -> tuple[str, int | None] | None:
    names = {process.comm for process in processes}
    if len(names) != 1:
        return None
    return names.pop(), processes[0].pid if len(processes) == 1 else None


def infer_owner(listener: Listener, owner: SocketOwner | None, processes: Iterable[Process],
                uid_of: dict[int, int]) -> tuple[str, int | None, str] | None:
    """(process name, pid or None, how) for a listener ``ss`` showed without its process, or None."""
    running = list(processes)
    if owner is not None and owner.uid != 0:
        found = _single([process for process in running if uid_of.get(process.pid) == owner.uid])
        if found:
            return (*found, "uid")
    found = _single([process for process in running if _names_port(process.args, listener.port)])
    if found:
        return (*found, "command line")
    servers = WELL_KNOWN.get(listener.port, set())
    found = _single([process for process in running if process.comm in servers])
    if found:
        return (*found, "well-known port")
    return None


def neighbours(owner: SocketOwner | None, uid_of: dict[int, int], root: bool | None, hidden: bool) -> bool:
    """Whether a wildcard listener without a visible process is provably another system's that shares this
    network namespace (containers with host networking, as in the lab).

    Its uid runs no process here (``ps`` lists every process unless ``/proc`` is ``hidepid``), or, as root, it is
    root's (root reads the descriptors of every root process, so none holds it). Kernel sockets (inode 0, such as
    nfsd's) are the guest's; so is everything when the account or the socket's owner is unknown, except for the
    output of an older ``collect.sh``, where only sockets with a process or on an own address are kept.
    """
    if root is None:
        return True
    if owner is None or owner.inode == 0 or (hidden and not root):
        return False
    no_process = owner.uid not in set(uid_of.values())
    return no_process or (root and owner.uid == 0)


def _hidepid(mounts: Iterable[Mount]) -> bool:
    return any(mount.fstype == "proc" and any(option.startswith("hidepid=") and option not in {
        "hidepid=0", "hidepid=off"} for option in mount.options) for mount in mounts)


class Access:
    """What one host's samples say about the account discovery ran as, and the sockets it could not attribute."""

    def __init__(self) -> None:
        self.uid: int | None = None
        self.name: str | None = None
        self.owners: dict[tuple[str, str, int], SocketOwner] = {}
        self.uid_of: dict[int, int] = {}
        self.pending: dict[tuple[str, str, int], Listener] = {}
        self.inferred = 0
        self.unknown = 0
        self.exe_missing = 0
        self.hidden = False

    @property
    def root(self) -> bool | None:
        """Whether discovery ran as root; None when the output does not say (an older collect.sh)."""
        return None if self.uid is None else self.uid == 0

    def read(self, parts: dict[str, str]) -> None:
        """One sample's account, procnet and uids sections."""
        account = parts.get("account", "").split("\n")
        uid = number(account[0], UID_MAX) if account else None
        if uid is not None:
            self.uid = uid
            self.name = account[1].strip() if len(account) > 1 else None
        for key, owner in procnet(parts.get("procnet", "")).items():
            self.owners.setdefault(key, owner)
        self.uid_of.update(uids(parts.get("uids", "")))

    def unowned(self, socket: Socket) -> None:
        """A wildcard listener ``ss`` showed without a process and not on one of the guest's own addresses."""
        key = (socket.protocol, socket.local_address, socket.local_port)
        self.pending.setdefault(key, Listener(protocol=socket.protocol, address=socket.local_address,
                                              port=socket.local_port))

    def add_wildcards(self, listeners: dict[tuple[str, str, int], Listener], processes: dict[int, Process],
                      mounts: Iterable[Mount]) -> None:
        """Keep the wildcard listeners that are this guest's, and name the owner of every listener without one
        where the socket uid, a command line or the port tells; complete unreadable ``exe`` from the command line."""
        self.hidden = _hidepid(mounts)
        for key, listener in self.pending.items():
            owner = owner_of(self.owners, *key)
            if key not in listeners and not neighbours(owner, self.uid_of, self.root, self.hidden):
                listeners[key] = listener
        for listener in listeners.values():
            if listener.process is not None:
                continue
            found = infer_owner(listener, owner_of(self.owners, listener.protocol, listener.address, listener.port),
                                processes.values(), self.uid_of)
            if found:
                listener.process, listener.pid, _how = found
                self.inferred += 1
            else:
                self.unknown += 1
        for process in processes.values():
            if process.exe is None:
                self.exe_missing += process.user != self.name
                first = process.args.split(" ", 1)[0]
                if first.startswith("/") and first.rsplit("/", 1)[-1].startswith(process.comm[:15]):
                    process.exe = first

    def missing(self, guest: GuestDiscovery) -> list[str]:
        """Sentences naming the facts a non-root account could not see (nothing when it ran as root)."""
        if self.uid is None or self.root:
            return []
        become = "run with --become"
        found = []
        if self.hidden:
            found.append(f"processes of other users are hidden (/proc mounted with hidepid): {become}")
        if self.unknown:
            found.append(f"owner of {_count(self.unknown, 'listening socket')} unknown (another user's process): "
                         f"{become}")
        if self.inferred:
            found.append(f"owner of {_count(self.inferred, 'listening socket')} inferred from the socket's uid, a "
                         f"command line or the port, not seen: {become} to confirm")
        unnamed = sum(1 for conn in guest.connections if conn.process is None)
        if unnamed:
            found.append(f"process of {_count(unnamed, 'connection')} unknown: {become}")
        if self.exe_missing:
            found.append(f"executable of {_count(self.exe_missing, 'process', 'processes')} of other users "
                         f"unreadable (/proc/PID/exe; taken from the command line where it names one): {become}")
        if not any(entry.source.startswith("/var/spool/cron") for entry in guest.crontabs):
            found.append(f"users' crontabs (/var/spool/cron) are readable by root only: {become}")
        return found


def _count(number_: int, singular: str, plural: str | None = None) -> str:
    return f"{number_} {singular if number_ == 1 else plural or singular + 's'}"
