"""Data stores: Redis, PostgreSQL and MySQL/MariaDB. Their data directories become volumes, never image content."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from planner.detect.base import Detector
from planner.detect.facts import (
    Found,
    GuestView,
    argv_of,
    build,
    major,
    major_minor,
    option_value,
    program,
    version_of,
    vm_id,
)
from planner.models import Vm
from planner.models.discovery import GuestDiscovery
from planner.models.generation import Detection

_SEED = ("the data directory is a volume: seed it from the VM with the migration's data sync before cutover "
         "(an empty volume starts an empty {what})")


class Redis(Detector):
    """Redis key-value store."""

    id = "redis"
    title = "Redis"
    looks_for = "a redis-server process, its listeners, redis.conf and the redis-server package"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: p.comm == "redis-server" or program(p) == "redis-server"):
            packages = view.packages("redis-server", "redis")[:1]
            ports = sorted({item.port for item in view.listeners(view.tree(root.pid), ["redis-server"])})
            configs = [c for c in view.configs("redis")  # a redis.conf the running server does not use is no config
                       if not c.dump and (not ports or c.content is None or _config_port(c.content) in ports)]
            argv = argv_of(root)
            named = argv[0].split()[0] if argv and argv[0].split() else ""
            # /proc/PID/exe names the binary redis-server links to (redis-check-rdb): run it by its own name
            exe = named if named.startswith("/") and named.endswith("/redis-server") else "/usr/bin/redis-server"
            command, todos = _redis_command(exe, argv, [c.path for c in configs], view, root.pid)
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("redis",),
                evidence=[f"process redis-server (pid {root.pid}, user {root.user or '?'})",
                          *(f"package {p.name} {p.version}" for p in packages)],
                command=command, command_source="default" if configs else "process", packages=packages,
                runtime="redis", runtime_image=f"redis:{major_minor(version_of(packages))}" if packages else None,
                data_paths=["/var/lib/redis"], writable_paths=["/var/log/redis", "/run/redis"], probe_kind="redis",
                todos=[_SEED.format(what="Redis"), *todos]))


def _config_port(text: str | None) -> int | None:
    """The ``port`` a redis.conf sets (6379 when it sets none); None when the text is unknown."""
    if text is None:
        return None
    match = re.search(r"^\s*port\s+(\d+)\s*$", text, re.MULTILINE)
    return int(match.group(1)) if match else 6379


def _redis_command(exe: str, argv: list[str], configs: list[str], view: GuestView,
                   pid: int) -> tuple[list[str], list[str]]:
    """The config file the running server uses (its port matches the listener), else options rebuilt from the
    listeners (redis shows only ``redis-server ADDR:PORT`` as its title)."""
    if configs:
        return [exe, configs[0], "--daemonize", "no", "--supervised", "no"], []
    if argv[1:2] and argv[1].startswith("-"):
        return [exe, *argv[1:]], []
    listeners = view.listeners(view.tree(pid), ["redis-server"])
    if not listeners:
        return [exe, "--daemonize", "no"], ["the running Redis's options are unknown: the image starts the defaults"]
    addresses = list(dict.fromkeys(item.address for item in listeners))
    return ([exe, "--bind", *addresses, "--port", str(listeners[0].port), "--daemonize", "no"],
            ["the running Redis used no redis.conf discovery read (its port differs): bind and port are rebuilt from "
             "its listeners; check persistence (save, appendonly) and protected-mode"])


class PostgreSql(Detector):
    """PostgreSQL database server (the postmaster)."""

    id = "postgresql"
    title = "PostgreSQL"
    looks_for = "a postgres process with -D DATADIR, its listeners, the postgresql-N package and configs"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: program(p) in ("postgres", "postmaster") and "-D" in argv_of(p)):
            argv = argv_of(root)
            datadir = option_value(argv, "-D") or "/var/lib/postgresql"
            exe = root.exe or argv[0]
            packages = view.packages_matching(r"postgresql-\d+")[:1]
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("postgresql",),
                evidence=[f"postgres process (pid {root.pid}) with data directory {datadir}",
                          *(f"package {p.name} {p.version}" for p in packages)],
                command=[exe, *argv[1:]], packages=packages, runtime="postgresql",
                runtime_image=f"postgres:{major(version_of(packages))}" if packages else None,
                data_paths=[datadir], writable_paths=["/var/run/postgresql"],
                init_command=[posixpath.join(posixpath.dirname(exe), "initdb"), "-D", datadir],
                probe_kind="sql", engine="postgresql",
                todos=[_SEED.format(what="cluster (initdb runs on first start)"),
                       "pg_hba.conf decides who may connect: check it allows the containers' addresses"]))


class MySql(Detector):
    """MySQL or MariaDB database server."""

    id = "mysql"
    title = "MySQL/MariaDB"
    looks_for = "a mysqld or mariadbd process, its --datadir, listeners, the mariadb/mysql server package and configs"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: program(p) in ("mysqld", "mariadbd") or p.comm in ("mysqld", "mariadbd")):
            argv = argv_of(root)
            datadir = option_value(argv, "--datadir") or "/var/lib/mysql"
            mariadb = "mariadb" in program(root) or bool(view.packages("mariadb-server"))
            packages = view.packages("mariadb-server", "mysql-server", "default-mysql-server")[:1]
            init = (["mariadb-install-db", "--user=" + (root.user or "mysql"), "--datadir=" + datadir] if mariadb
                    else [root.exe or "/usr/sbin/mysqld", "--initialize-insecure", "--datadir=" + datadir])
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("mysql", "mariadb"),
                evidence=[f"{program(root)} process (pid {root.pid}) with data directory {datadir}",
                          *(f"package {p.name} {p.version}" for p in packages)],
                command=[root.exe or argv[0], *argv[1:]], packages=packages, runtime="mariadb" if mariadb else "mysql",
                runtime_image=(f"{'mariadb' if mariadb else 'mysql'}:{major_minor(version_of(packages))}"
                               if packages else None),
                data_paths=[datadir], writable_paths=["/run/mysqld"], init_command=init,
                probe_kind="sql", engine="mysql",
                todos=[_SEED.format(what="server (the system tables are created on first start)"),
                       "user accounts are bound to host names or addresses: grant the containers' addresses"]))
