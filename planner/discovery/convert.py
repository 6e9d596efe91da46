"""Discovery output -> the assessment's ``GuestFacts`` (planner/assess/facts.py, the assessment's contract)."""

from __future__ import annotations

import shlex

from planner.assess.facts import CronEntry, GuestFacts, GuestListener, GuestMount, GuestProcess, HostsEntry
from planner.discovery.models import GuestDiscovery

SELINUX_MODES = {"enforcing", "permissive", "disabled"}
SERVICE_OF_DIR = {
    "/var/lib/mysql": "mysql", "/var/lib/mariadb": "mariadb", "/var/lib/pgsql": "postgresql",
    "/var/lib/postgresql": "postgresql", "/var/lib/mongodb": "mongodb", "/var/lib/redis": "redis",
    "/var/lib/elasticsearch": "elasticsearch", "/var/lib/opensearch": "opensearch", "/var/lib/rabbitmq": "rabbitmq",
    "/var/lib/cassandra": "cassandra", "/var/lib/kafka": "kafka", "/var/lib/zookeeper": "zookeeper",
    "/var/lib/influxdb": "influxdb", "/var/lib/couchdb": "couchdb", "/var/lib/etcd": "etcd", "/var/lib/ldap": "ldap",
    "/var/lib/jenkins": "jenkins", "/var/lib/docker": "docker", "/var/lib/containers": "podman",
    "/var/opt/mssql": "mssql", "/u01/app/oracle": "oracle", "/opt/oracle": "oracle", "/var/www": "www", "/srv": "srv",
}


def _argv(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def _cron(source: str, line: str) -> CronEntry | None:
    parts = line.split()
    if not parts or "=" in parts[0]:
        return None  # variable assignment
    system = source == "/etc/crontab" or source.startswith("/etc/cron.d/")
    if parts[0].startswith("@"):
        schedule, rest = parts[0], parts[1:]
    elif len(parts) >= 6:
        schedule, rest = " ".join(parts[:5]), parts[5:]
    else:
        return None
    user = None
    if system and rest:
        user, rest = rest[0], rest[1:]
    elif not system:
        user = source.rsplit("/", 1)[-1]
    if not rest:
        return None
    return CronEntry(user=user, schedule=schedule, command=" ".join(rest))


def to_guest_facts(guest: GuestDiscovery) -> GuestFacts:
    """What the assessment's guest rules read, from one guest's discovery."""
    listeners = [GuestListener(address=item.address, port=item.port, protocol=item.protocol,
                               process=item.process)
                 for item in guest.listeners if item.protocol in {"tcp", "udp"}]
    units = sorted({unit.name for unit in guest.systemd_units
                    if unit.active == "active" or unit.sub == "running" or unit.load == "enabled"})
    data_dirs: dict[str, int] = {}
    for path, size in guest.data_dirs.items():
        key = SERVICE_OF_DIR.get(path, path)
        data_dirs[key] = data_dirs.get(key, 0) + size
    crontab = [entry for item in guest.crontabs if (entry := _cron(item.source, item.line)) is not None]
    return GuestFacts(
        os_id=guest.os.id, os_version=guest.os.version_id, kernel=guest.kernel, arch=guest.arch,
        processes=[GuestProcess(user=p.user or "?", exe=p.exe, cmdline=_argv(p.args)) for p in guest.processes],
        listeners=listeners,
        mounts=[GuestMount(fstype=m.fstype, source=m.device, target=m.mountpoint) for m in guest.mounts],
        packages=sorted({package.name for package in guest.packages}),
        systemd_units=units,
        crontab=crontab,
        hosts_entries=[HostsEntry(address=e.address, names=e.names) for e in guest.hosts_entries],
        selinux=guest.selinux if guest.selinux in SELINUX_MODES else None,
        kernel_modules=guest.kernel_modules,
        container_runtimes=guest.container_runtimes,
        data_dirs=data_dirs,
        memory_used_mib=guest.memory_used_mib,
        cpu_used_cores=guest.cpu_used_cores,
    )
