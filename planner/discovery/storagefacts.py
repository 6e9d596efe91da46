"""Parse ``collect.sh storage`` (NFS exports, the kernel NFS server, open block devices) into a ``GuestDiscovery``.

Guest output is untrusted: numbers are read only when they are plain ASCII digits of a sane length, device paths
only when they name ``/dev/...``, and every list is bounded, so one odd guest cannot break or bloat the run.
"""

from __future__ import annotations

from planner.discovery import parse
from planner.models.discovery import BlockDeviceUse, GuestDiscovery

MAX_EXPORTS = 200
MAX_BLOCK_DEVICES = 500
MAX_TEXT = 500


def _number(text: str) -> int | None:
    value = text.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def exports(text: str) -> list[str]:
    """/etc/exports entries, continuation lines joined and whitespace collapsed: ``"/srv/share 192.0.2.0/24(rw)"``."""
    entries: list[str] = []
    pending = ""
    for line in text.split("\n"):
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        entry = " ".join(pending.split())
        pending = ""
        if entry and not entry.startswith("#"):
            entries.append(entry[:MAX_TEXT])
    if pending.strip():
        entries.append(" ".join(pending.split())[:MAX_TEXT])
    return entries[:MAX_EXPORTS]


def nfs_server(text: str | None) -> bool | None:
    """True when nfsd threads run (``/proc/fs/nfsd/threads`` or ``nfsd`` kernel threads), False when neither does,
    None when nothing readable was reported."""
    if text is None:
        return None
    counts = []
    for line in text.split("\n"):
        key, _, value = line.partition(" ")
        if key in {"threads", "kthreads"} and (number := _number(value)) is not None:
            counts.append(number)
    if not counts:
        return None
    return any(counts)


def block_devices(text: str) -> list[BlockDeviceUse]:
    """``PID<TAB>COMM<TAB>DEVICE`` lines, one per process and device."""
    found: dict[tuple[int, str], BlockDeviceUse] = {}
    for line in text.split("\n"):
        parts = line.split("\t", 2)
        if len(parts) != 3:
            continue
        pid, device = _number(parts[0]), parts[2].strip()
        if pid is None or not device.startswith("/dev/") or len(device) > MAX_TEXT:
            continue
        process = parts[1].strip()[:64] or None
        found.setdefault((pid, device), BlockDeviceUse(pid=pid, process=process, device=device))
        if len(found) >= MAX_BLOCK_DEVICES:
            break
    return sorted(found.values(), key=lambda item: (item.pid, item.device))


def apply(text: str, guest: GuestDiscovery) -> None:
    """Set the storage facts of ``guest`` from the task's output; without output they stay unknown/empty."""
    parts = parse.section_map(text)
    if not parts:
        return
    guest.nfs_exports = exports(parts.get("nfs-exports", ""))
    guest.nfs_server = nfs_server(parts.get("nfsd"))
    guest.block_devices = block_devices(parts.get("block-fds", ""))
