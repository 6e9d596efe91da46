"""Generate the example estate's recorded discovery facts (``discovery.json``) deterministically.

Run ``python inventories/example/discovery.py`` to rewrite ``discovery.json`` next to this file, or with ``--check``
to fail when the committed file is stale. Twelve VMs of "Example Logistics" as `planner discover run` records them
(GuestDiscovery, format 2): nginx front ends proxying to a Python API that uses PostgreSQL (a web -> app -> db
chain), Java order services on the same database, a Node portal on MariaDB, Apache with PHP-FPM on one VM (two
stacks), Jenkins, and a reporting VM that runs only cron jobs (it matches no stack). Documentation IP ranges only;
secrets are shown as discovery redacts them, never real.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("discovery.json")
SEEN = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
DEBIAN = {"id": "debian", "version_id": "12", "name": "Debian GNU/Linux",
          "pretty_name": "Debian GNU/Linux 12 (bookworm)"}
UBUNTU = {"id": "ubuntu", "id_like": ["debian"], "version_id": "22.04", "name": "Ubuntu",
          "pretty_name": "Ubuntu 22.04.4 LTS"}
SYSTEM = [("root", 0, "sshd", ["sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"], "/usr/sbin/sshd"),
          ("root", 0, "cron", ["/usr/sbin/cron", "-f"], "/usr/sbin/cron")]
Json = dict[str, Any]


def process(pid: int, ppid: int, user: str, uid: int, comm: str, argv: list[str], exe: str, cwd: str = "/",
            env: dict[str, str] | None = None, unit: str | None = None) -> Json:
    return {"pid": pid, "ppid": ppid, "user": user, "uid": uid, "gid": uid, "group": user, "comm": comm, "exe": exe,
            "args": " ".join(argv), "argv": argv, "cwd": cwd, "environment": env or {}, "unit": unit}


def listener(address: str, port: int, name: str, pid: int) -> Json:
    return {"protocol": "tcp", "address": address, "port": port, "process": name, "pid": pid}


def outbound(local: str, peer: str, port: int, name: str, pid: int) -> Json:
    return {"protocol": "tcp", "local_address": local, "peer_address": peer, "peer_port": port,
            "direction": "outbound", "process": name, "pid": pid, "count": 3,
            "first_seen": (SEEN - timedelta(hours=1)).isoformat(), "last_seen": SEEN.isoformat()}


def config(path: str, server: str, content: str, **extra: Any) -> Json:
    data = content.encode()
    return {"path": path, "server": server, "size": len(data), "owner": "root", "mode": "0644",
            "sha256": hashlib.sha256(data).hexdigest(), "content": content, **extra}


def service(name: str, argv: list[str], pid: int, user: str | None = None) -> Json:
    return {"name": name, "kind": "service", "active": "active", "sub": "running", "exec_start": argv,
            "main_pid": pid, "user": user}


def guest(vm: str, address: str, os: Json, processes: list[Json], listeners: list[Json],
          packages: list[tuple[str, str]], **facts: Any) -> Json:
    base = [process(10 + index, 1, user, uid, comm, argv, exe) for index, (user, uid, comm, argv, exe)
            in enumerate(SYSTEM)]
    return {
        "format_version": 2, "host": vm, "planner_vm": vm, "matched_by": "inventory-name", "status": "ok",
        "reached_address": address, "addresses": [address], "hostname": vm, "fqdn": f"{vm}.example.test",
        "interface_addresses": ["127.0.0.1", address], "system": "Linux", "os": os, "kernel": "6.1.0-28-amd64",
        "arch": "x86_64", "processes": [*base, *processes],
        "listeners": [listener(address, 22, "sshd", 10), *listeners],
        "packages": [{"name": name, "version": version, "arch": "amd64"} for name, version in
                     [("openssh-server", "1:9.2p1-2+deb12u3"), *packages]],
        "package_manager": "dpkg", "samples": 3, "memory_used_mib": facts.pop("memory_used_mib", 1024),
        "cpu_used_cores": facts.pop("cpu_used_cores", 0.4), "first_seen": (SEEN - timedelta(hours=1)).isoformat(),
        "last_seen": SEEN.isoformat(), **facts,
    }


API = "198.51.100.12"
PG = "203.0.113.10"
MYSQL = "203.0.113.12"
ANY = "0.0.0.0"  # noqa: S104 - recorded data (the portal listens on every address); binds nothing


def nginx(vm: str, address: str) -> Json:
    site = (f"server {{\n    listen {address}:80 default_server;\n    server_name shop.example.test;\n"
            f"    root /var/www/shop;\n    location /api/ {{\n        proxy_pass http://{API}:8080;\n    }}\n}}\n")
    main = ("user www-data;\nworker_processes auto;\npid /run/nginx.pid;\nevents { worker_connections 768; }\n"
            "http {\n    include /etc/nginx/mime.types;\n    include /etc/nginx/sites-enabled/*;\n}\n")
    master = ["nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"]
    return guest(vm, address, DEBIAN, [
        process(100, 1, "root", 0, "nginx", master, "/usr/sbin/nginx", unit="nginx.service"),
        process(101, 100, "www-data", 33, "nginx", ["nginx: worker process"], "/usr/sbin/nginx", unit="nginx.service"),
    ], [listener(address, 80, "nginx", 100)], [("nginx", "1.22.1-9+deb12u1"), ("nginx-common", "1.22.1-9+deb12u1")],
        config_files=[config("/etc/nginx/nginx.conf", "nginx", main),
                      config("/etc/nginx/sites-enabled/shop", "nginx", site)],
        app_paths=[{"path": "/var/www/shop", "kind": "webroot", "server": "nginx", "size_bytes": 2097152}],
        services=[service("nginx.service", ["/usr/sbin/nginx", "-g", "daemon on; master_process on;"], 100)],
        connections=[outbound(address, API, 8080, "nginx", 101)], memory_used_mib=300, cpu_used_cores=0.2)


def python_api() -> Json:
    argv = ["/srv/catalog/venv/bin/python3", "/srv/catalog/venv/bin/gunicorn", "--bind", f"{API}:8080",
            "--workers", "4", "catalog.wsgi:application"]
    env = {"LANG": "C.UTF-8", "DATABASE_URL": "<redacted>", "PATH": "/srv/catalog/venv/bin:/usr/bin"}
    return guest("app-python-api-01", API, DEBIAN, [
        process(200, 1, "catalog", 1001, "gunicorn", argv, "/usr/bin/python3.11", "/srv/catalog", env,
                "catalog.service"),
        process(201, 200, "catalog", 1001, "gunicorn", argv, "/usr/bin/python3.11", "/srv/catalog"),
    ], [listener(API, 8080, "gunicorn", 200)], [("python3", "3.11.2-1+b1"), ("python3-venv", "3.11.2-1+b1")],
        runtimes=[{"name": "python3", "path": "/usr/bin/python3", "version": "3.11.2", "raw": "Python 3.11.2"}],
        app_paths=[{"path": "/srv/catalog", "kind": "cwd", "server": "python", "pid": 200, "owner": "catalog",
                    "size_bytes": 8388608}],
        services=[service("catalog.service", argv, 200, "catalog")],
        connections=[outbound(API, PG, 5432, "gunicorn", 201)], memory_used_mib=1800, cpu_used_cores=1.1)


def postgres() -> Json:
    argv = ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main", "-c",
            "config_file=/etc/postgresql/15/main/postgresql.conf"]
    conf = (f"data_directory = '/var/lib/postgresql/15/main'\nlisten_addresses = '{PG}'\nport = 5432\n"
            "max_connections = 200\nshared_buffers = 4GB\n")
    return guest("db-pg-01", PG, DEBIAN, [
        process(300, 1, "postgres", 105, "postgres", argv, "/usr/lib/postgresql/15/bin/postgres",
                "/var/lib/postgresql/15/main", unit="postgresql@15-main.service"),
        process(301, 300, "postgres", 105, "postgres", ["postgres: 15/main: checkpointer "],
                "/usr/lib/postgresql/15/bin/postgres"),
    ], [listener(PG, 5432, "postgres", 300)], [("postgresql-15", "15.10-0+deb12u1")],
        config_files=[config("/etc/postgresql/15/main/postgresql.conf", "postgresql", conf)],
        app_paths=[{"path": "/var/lib/postgresql/15/main", "kind": "data", "server": "postgresql", "is_data": True,
                    "size_bytes": 53687091200}],
        data_dirs={"/var/lib/postgresql": 53687091200}, memory_used_mib=12000, cpu_used_cores=2.5)


def apache_php(vm: str, address: str) -> Json:
    return guest(vm, address, DEBIAN, [
        process(400, 1, "root", 0, "apache2", ["/usr/sbin/apache2", "-k", "start"], "/usr/sbin/apache2"),
        process(401, 400, "www-data", 33, "apache2", ["/usr/sbin/apache2", "-k", "start"], "/usr/sbin/apache2"),
        process(410, 1, "root", 0, "php-fpm8.2", ["php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"],
                "/usr/sbin/php-fpm8.2"),
        process(411, 410, "www-data", 33, "php-fpm8.2", ["php-fpm: pool www"], "/usr/sbin/php-fpm8.2"),
    ], [listener(address, 80, "apache2", 400), listener(address, 9000, "php-fpm8.2", 410)],
        [("apache2", "2.4.62-1~deb12u2"), ("php8.2-fpm", "8.2.26-1~deb12u1")],
        config_files=[config("/etc/apache2/ports.conf", "apache", f"Listen {address}:80\n"),
                      config("/etc/php/8.2/fpm/pool.d/www.conf", "php-fpm",
                             f"[www]\nuser = www-data\nlisten = {address}:9000\n"),
                      config("/etc/php/8.2/fpm/php-fpm.conf", "php-fpm",
                             "[global]\npid = /run/php/php8.2-fpm.pid\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n"),
                      config("/etc/apache2/conf-enabled/intranet-db.conf", "apache",
                             "SetEnv DB_PASSWORD <redacted>\n", secrets=["DB_PASSWORD"])],
        runtimes=[{"name": "php", "path": "/usr/bin/php8.2", "version": "8.2.26"}],
        app_paths=[{"path": "/var/www/intranet", "kind": "webroot", "server": "apache", "size_bytes": 1048576}],
        connections=[outbound(address, MYSQL, 3306, "php-fpm8.2", 411)], memory_used_mib=700)


def java_orders(vm: str, address: str) -> Json:
    argv = ["/usr/bin/java", "-Xmx2g", "-jar", "orders.jar", "--server.port=8081", f"--server.address={address}"]
    return guest(vm, address, DEBIAN, [
        process(500, 1, "orders", 1002, "java", argv, "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/opt/orders",
                unit="orders.service"),
    ], [listener(address, 8081, "java", 500)], [("openjdk-17-jre-headless", "17.0.13+11-2~deb12u1")],
        runtimes=[{"name": "java", "path": "/usr/bin/java", "version": "17.0.13"}],
        app_paths=[{"path": "/opt/orders/orders.jar", "kind": "jar", "server": "java", "pid": 500,
                    "size_bytes": 62914560}],
        services=[service("orders.service", argv, 500, "orders")],
        connections=[outbound(address, PG, 5432, "java", 500)], memory_used_mib=2600, cpu_used_cores=0.9)


def node_portal() -> Json:
    address = "198.51.100.13"
    return guest("app-node-portal-01", address, UBUNTU, [
        process(600, 1, "portal", 1004, "node", ["/usr/bin/node", "server.js"], "/usr/bin/node", "/srv/portal",
                {"NODE_ENV": "production", "PORT": "3000"}),
    ], [listener(ANY, 3000, "node", 600)], [("nodejs", "18.19.1+dfsg-6ubuntu5")],
        runtimes=[{"name": "node", "path": "/usr/bin/node", "version": "18.19.1"}],
        app_paths=[{"path": "/srv/portal", "kind": "cwd", "server": "node", "pid": 600, "size_bytes": 31457280}],
        connections=[outbound(address, MYSQL, 3306, "node", 600)], memory_used_mib=900)


def mariadb() -> Json:
    argv = ["/usr/sbin/mariadbd", "--basedir=/usr", "--datadir=/var/lib/mysql", "--user=mysql",
            f"--bind-address={MYSQL}"]
    return guest("db-mysql-01", MYSQL, DEBIAN, [
        process(700, 1, "root", 0, "mysqld_safe", ["/bin/sh", "/usr/bin/mysqld_safe"], "/usr/bin/dash"),
        process(701, 700, "mysql", 106, "mariadbd", argv, "/usr/sbin/mariadbd"),
    ], [listener(MYSQL, 3306, "mariadbd", 701)], [("mariadb-server", "1:10.11.6-0+deb12u1")],
        app_paths=[{"path": "/var/lib/mysql", "kind": "data", "server": "mysql", "is_data": True,
                    "size_bytes": 10737418240}],
        data_dirs={"/var/lib/mysql": 10737418240}, memory_used_mib=6000, cpu_used_cores=1.2)


def jenkins() -> Json:
    address = "198.51.100.19"
    argv = ["/usr/bin/java", "-Djava.awt.headless=true", "-jar", "/usr/share/java/jenkins.war", "--httpPort=8080",
            f"--httpListenAddress={address}"]
    return guest("ci-jenkins-01", address, DEBIAN, [
        process(800, 1, "jenkins", 110, "java", argv, "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                "/var/lib/jenkins", unit="jenkins.service"),
    ], [listener(address, 8080, "java", 800)], [("jenkins", "2.462.3"), ("openjdk-17-jre-headless", "17.0.13")],
        runtimes=[{"name": "java", "path": "/usr/bin/java", "version": "17.0.13"}],
        app_paths=[{"path": "/usr/share/java/jenkins.war", "kind": "jar", "server": "java", "pid": 800},
                   {"path": "/var/lib/jenkins", "kind": "data", "server": "java", "is_data": True}],
        memory_used_mib=3000)


def reporting() -> Json:
    """Only cron jobs: no listening service, so no stack (an OS-level starter at most)."""
    return guest("app-reporting-01", "198.51.100.18", DEBIAN, [], [], [("python3", "3.11.2-1+b1")],
                 crontabs=[{"source": "/etc/cron.d/reports", "line": "0 6 * * * reports /opt/reports/daily.sh"}],
                 connections=[outbound("198.51.100.18", PG, 5432, "psql", 900)], memory_used_mib=400)


def guests() -> list[Json]:
    return [nginx("web-nginx-01", "192.0.2.10"), nginx("web-nginx-02", "192.0.2.11"), python_api(), postgres(),
            apache_php("web-apache-01", "192.0.2.12"), apache_php("web-apache-02", "192.0.2.13"),
            java_orders("app-java-orders-01", "198.51.100.10"), java_orders("app-java-orders-02", "198.51.100.11"),
            node_portal(), mariadb(), jenkins(), reporting()]


def render() -> str:
    """The recorded guests as stable JSON text, validated against the discovery model."""
    from planner.models.discovery import GuestDiscovery

    items = [json.loads(GuestDiscovery.model_validate(item).model_dump_json(exclude_defaults=True))
             for item in guests()]
    return json.dumps(items, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if discovery.json is not up to date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
