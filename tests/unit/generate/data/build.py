"""Writes the recorded discovery facts (GuestDiscovery, format 2) the generation tests read: one guest per stack,
shaped like what discovery records on Debian, Ubuntu and Rocky guests (`python tests/unit/generate/data/build.py`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).parent
DEBIAN = {"id": "debian", "version_id": "12", "name": "Debian GNU/Linux",
          "pretty_name": "Debian GNU/Linux 12 (bookworm)"}
UBUNTU = {"id": "ubuntu", "id_like": ["debian"], "version_id": "22.04", "pretty_name": "Ubuntu 22.04.4 LTS"}
ALPINE = {"id": "alpine", "version_id": "3.19.1", "pretty_name": "Alpine Linux v3.19"}
ROCKY = {"id": "rocky", "id_like": ["rhel", "centos", "fedora"], "version_id": "9.3", "pretty_name": "Rocky Linux 9.3"}
BASE_PROCESSES = [
    {"pid": 1, "ppid": 0, "user": "root", "uid": 0, "gid": 0, "group": "root", "comm": "sleep", "exe": "/usr/bin/sleep",
     "args": "sleep infinity", "argv": ["sleep", "infinity"], "cwd": "/"},
    {"pid": 40, "ppid": 1, "user": "root", "uid": 0, "gid": 0, "group": "root", "comm": "sshd", "exe": "/usr/sbin/sshd",
     "args": "sshd: /usr/sbin/sshd [listener]", "argv": ["sshd: /usr/sbin/sshd [listener] 0 of 10-100 startups"]},
    {"pid": 41, "ppid": 1, "user": "root", "uid": 0, "gid": 0, "group": "root", "comm": "cron", "exe": "/usr/sbin/cron",
     "args": "/usr/sbin/cron", "argv": ["/usr/sbin/cron"], "cwd": "/"},
]


def proc(pid, ppid, user, uid, comm, argv, exe=None, cwd="/", gid=None, group=None, env=None, unit=None):
    return {"pid": pid, "ppid": ppid, "user": user, "uid": uid, "gid": uid if gid is None else gid,
            "group": group or user, "comm": comm, "exe": exe, "args": " ".join(argv), "argv": argv, "cwd": cwd,
            "environment": env or {}, "unit": unit}


def listen(address, port, process, pid):
    return {"protocol": "tcp", "address": address, "port": port, "process": process, "pid": pid}


def config(path, server, content, **extra):
    data = content.encode()
    return {"path": path, "server": server, "size": len(data), "owner": "root", "mode": "0644",
            "sha256": hashlib.sha256(data).hexdigest(), "content": content, **extra}


def guest(host, address, os, processes, listeners, packages, configs=(), runtimes=(), app_paths=(), services=(),
          connections=(), data_dirs=None):
    return {
        "format_version": 2, "host": host, "vm": host, "matched_by": "inventory-name", "status": "ok",
        "reached_address": address, "addresses": [address], "hostname": host,
        "interface_addresses": ["127.0.0.1", address], "system": "Linux", "os": os, "kernel": "6.1.0-18-amd64",
        "arch": "x86_64", "processes": [*BASE_PROCESSES, *processes],
        "listeners": [listen(address, 22, "sshd", 40), *listeners],
        "connections": list(connections), "packages": [{"name": n, "version": v, "arch": "amd64"} for n, v in packages],
        "package_manager": {id(ROCKY): "rpm", id(ALPINE): "apk"}.get(id(os), "dpkg"), "services": list(services),
        "config_files": list(configs), "runtimes": list(runtimes), "app_paths": list(app_paths),
        "data_dirs": data_dirs or {}, "samples": 3,
    }


NGINX_SITE = """server {
    listen 127.0.77.11:80 default_server;
    server_name web;
    root /var/www/html;
    location /api/ {
        proxy_pass http://127.0.77.12:8080;
    }
    location /metrics { allow 10.20.30.40; deny all; }
}
"""
NGINX_CONF = """user www-data;
worker_processes auto;
pid /run/nginx.pid;
events { worker_connections 768; }
http {
    include /etc/nginx/mime.types;
    access_log /var/log/nginx/access.log;
    error_log /var/log/nginx/error.log;
    include /etc/nginx/sites-enabled/*;
}
"""
REDIS_CONF = """bind 127.0.77.13 -::1
protected-mode no
port 6379
daemonize yes
pidfile /run/redis/redis-server.pid
logfile /var/log/redis/redis-server.log
dir /var/lib/redis
"""


def web():
    return guest("web", "127.0.77.11", DEBIAN, [
        proc(100, 1, "root", 0, "nginx", ["nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"],
             exe="/usr/sbin/nginx", unit="nginx.service"),
        proc(101, 100, "www-data", 33, "nginx", ["nginx: worker process"], exe="/usr/sbin/nginx", unit="nginx.service"),
        proc(102, 100, "www-data", 33, "nginx", ["nginx: worker process"], exe="/usr/sbin/nginx", unit="nginx.service"),
    ], [listen("127.0.77.11", 80, "nginx", 100)],
        [("nginx", "1.22.1-9+deb12u9"), ("nginx-common", "1.22.1-9+deb12u9"), ("libcap2-bin", "1:2.66-4+deb12u3+b1"),
         ("openssh-server", "1:9.2p1-2+deb12u2")],
        configs=[config("/etc/nginx/nginx.conf", "nginx", NGINX_CONF),
                 config("/etc/nginx/sites-enabled/default", "nginx", NGINX_SITE),
                 config("/etc/nginx/nginx.conf", "nginx", NGINX_CONF + NGINX_SITE, dump=True)],
        runtimes=[], app_paths=[{"path": "/var/www/html", "kind": "webroot", "server": "nginx", "size_bytes": 4096}],
        services=[{"name": "nginx.service", "kind": "service", "active": "active", "sub": "running",
                   "exec_start": ["/usr/sbin/nginx", "-g", "daemon on; master_process on;"], "main_pid": 100}],
        connections=[{"protocol": "tcp", "local_address": "127.0.77.11", "peer_address": "127.0.77.12",
                      "peer_port": 8080, "direction": "outbound", "process": "nginx", "pid": 101, "count": 3}],
        data_dirs={"/var/www": 8192})


def app():
    argv = ["/srv/app/venv/bin/python3", "/srv/app/venv/bin/gunicorn", "--bind", "127.0.77.12:8080", "--workers", "2",
            "app:application"]
    return guest("app", "127.0.77.12", DEBIAN, [
        proc(200, 1, "app", 1001, "gunicorn", argv, exe="/usr/bin/python3.11", cwd="/srv/app",
             env={"LANG": "C.UTF-8", "REDIS_URL": "redis://127.0.77.13:6379/0", "APP_SECRET": "<redacted>",
                  "PATH": "/srv/app/venv/bin:/usr/bin"}),
        proc(201, 200, "app", 1001, "gunicorn", argv, exe="/usr/bin/python3.11", cwd="/srv/app"),
        proc(202, 200, "app", 1001, "gunicorn", argv, exe="/usr/bin/python3.11", cwd="/srv/app"),
    ], [listen("127.0.77.12", 8080, "gunicorn", 200)],
        [("python3", "3.11.2-1+b1"), ("python3.11", "3.11.2-6+deb12u1"), ("python3-venv", "3.11.2-1+b1")],
        runtimes=[{"name": "python3", "path": "/usr/bin/python3", "version": "3.11.2", "raw": "Python 3.11.2"}],
        app_paths=[{"path": "/srv/app", "kind": "cwd", "server": "python", "pid": 200, "owner": "app",
                    "size_bytes": 65536}],
        connections=[{"protocol": "tcp", "local_address": "127.0.77.12", "peer_address": "127.0.77.13",
                      "peer_port": 6379, "direction": "outbound", "process": "gunicorn", "pid": 201, "count": 3}])


def redis():
    return guest("redis", "127.0.77.13", DEBIAN, [
        proc(300, 1, "redis", 104, "redis-server", ["/usr/bin/redis-server 127.0.77.13:6379"],
             exe="/usr/bin/redis-server", cwd="/var/lib/redis", gid=107),
    ], [listen("127.0.77.13", 6379, "redis-server", 300)],
        [("redis-server", "5:7.0.15-1~deb12u7"), ("redis-tools", "5:7.0.15-1~deb12u7")],
        configs=[config("/etc/redis/redis.conf", "redis", REDIS_CONF)],
        app_paths=[{"path": "/var/lib/redis", "kind": "data", "server": "redis", "is_data": True}],
        data_dirs={"/var/lib/redis": 4096})


def lamp():
    """Apache and PHP-FPM on one VM: two stacks, two images."""
    return guest("shop", "127.0.77.14", DEBIAN, [
        proc(400, 1, "root", 0, "apache2", ["/usr/sbin/apache2", "-k", "start"], exe="/usr/sbin/apache2"),
        proc(401, 400, "www-data", 33, "apache2", ["/usr/sbin/apache2", "-k", "start"], exe="/usr/sbin/apache2"),
        proc(410, 1, "root", 0, "php-fpm8.2", ["php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"],
             exe="/usr/sbin/php-fpm8.2"),
        proc(411, 410, "www-data", 33, "php-fpm8.2", ["php-fpm: pool www"], exe="/usr/sbin/php-fpm8.2"),
    ], [listen("127.0.77.14", 80, "apache2", 400), listen("127.0.77.14", 9000, "php-fpm8.2", 410)],
        [("apache2", "2.4.62-1~deb12u1"), ("php8.2-fpm", "8.2.24-1~deb12u1")],
        configs=[config("/etc/apache2/ports.conf", "apache", "Listen 127.0.77.14:80\n"),
                 config("/etc/php/8.2/fpm/pool.d/www.conf", "php-fpm",
                        "[www]\nuser = www-data\nlisten = 127.0.77.14:9000\n"),
                 config("/etc/php/8.2/fpm/php-fpm.conf", "php-fpm", "[global]\npid = /run/php/php8.2-fpm.pid\n"
                        "include=/etc/php/8.2/fpm/pool.d/*.conf\n"),
                 config("/etc/apache2/conf-enabled/db.conf", "apache", "SetEnv DB_PASSWORD <redacted>\n",
                        secrets=["DB_PASSWORD"])],
        runtimes=[{"name": "php", "path": "/usr/bin/php8.2", "version": "8.2.24"}],
        app_paths=[{"path": "/var/www/shop", "kind": "webroot", "server": "apache"}])


def tomcat():
    argv = ["/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
            "-Djava.util.logging.config.file=/var/lib/tomcat10/conf/logging.properties", "-Xmx512m",
            "-Dcatalina.base=/var/lib/tomcat10", "-Dcatalina.home=/usr/share/tomcat10",
            "-classpath", "/usr/share/tomcat10/bin/bootstrap.jar:/usr/share/tomcat10/bin/tomcat-juli.jar",
            "org.apache.catalina.startup.Bootstrap", "start"]
    return guest("intranet", "127.0.77.15", UBUNTU, [
        proc(500, 1, "tomcat", 997, "java", argv, exe="/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
             cwd="/var/lib/tomcat10", env={"JAVA_HOME": "/usr/lib/jvm/java-17-openjdk-amd64"}),
    ], [listen("127.0.77.15", 8080, "java", 500)],
        [("tomcat10", "10.1.16-1"), ("openjdk-17-jre-headless", "17.0.10+7-1~22.04.1")],
        configs=[config("/var/lib/tomcat10/conf/server.xml", "tomcat",
                        '<Server port="-1"><Service name="Catalina"><Connector address="127.0.77.15" port="8080"/>'
                        '</Service></Server>\n')],
        runtimes=[{"name": "java", "path": "/usr/bin/java", "version": "17.0.10"}],
        app_paths=[{"path": "/var/lib/tomcat10/webapps/ROOT.war", "kind": "war", "server": "tomcat"}])


def jar():
    return guest("orders", "127.0.77.16", DEBIAN, [
        proc(600, 1, "orders", 1002, "java", ["/usr/bin/java", "-Xmx256m", "-jar", "orders.jar", "--server.port=8081",
                                              "--server.address=127.0.77.16"],
             exe="/usr/lib/jvm/java-17-openjdk-amd64/bin/java", cwd="/opt/orders"),
    ], [listen("127.0.77.16", 8081, "java", 600)], [("openjdk-17-jre-headless", "17.0.13+11-2~deb12u1")],
        runtimes=[{"name": "java", "path": "/usr/bin/java", "version": "17.0.13"}])


def script():
    return guest("worker", "127.0.77.17", DEBIAN, [
        proc(700, 1, "worker", 1003, "python3", ["/usr/bin/python3", "-u", "worker.py", "--listen", "127.0.77.17:9100"],
             exe="/usr/bin/python3.11", cwd="/opt/worker"),
    ], [listen("127.0.77.17", 9100, "python3", 700)], [("python3", "3.11.2-1+b1")],
        runtimes=[{"name": "python3", "version": "3.11.2"}])


def node():
    return guest("api", "127.0.77.18", ROCKY, [
        proc(800, 1, "node", 1004, "node", ["/usr/bin/node", "server.js"], exe="/usr/bin/node", cwd="/srv/api",
             env={"NODE_ENV": "production", "PORT": "3000"}),
    ], [listen("0.0.0.0", 3000, "node", 800)], [("nodejs", "1:18.19.0-1.module+el9.3.0+1614+a2c5d3ff")],
        runtimes=[{"name": "node", "path": "/usr/bin/node", "version": "18.19.0"}])


def binary():
    return guest("edge", "127.0.77.19", DEBIAN, [
        proc(900, 1, "edge", 1005, "edge-proxy", ["/opt/edge/bin/edge-proxy", "-listen", "127.0.77.19:7000",
                                                  "-upstream", "127.0.77.12:8080"], exe="/opt/edge/bin/edge-proxy",
             cwd="/opt/edge"),
    ], [listen("127.0.77.19", 7000, "edge-proxy", 900)], [])


def dotnet():
    return guest("billing", "127.0.77.20", DEBIAN, [
        proc(1000, 1, "billing", 1006, "dotnet", ["/usr/bin/dotnet", "Billing.dll"], exe="/usr/share/dotnet/dotnet",
             cwd="/srv/billing",
             env={"ASPNETCORE_URLS": "http://127.0.77.20:5000", "DOTNET_ENVIRONMENT": "Production"}),
    ], [listen("127.0.77.20", 5000, "dotnet", 1000)], [],
        runtimes=[{"name": "dotnet", "path": "/usr/bin/dotnet", "version": "8.0.11"}])


def postgres():
    argv = ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main", "-c",
            "config_file=/etc/postgresql/15/main/postgresql.conf"]
    return guest("pg", "127.0.77.21", DEBIAN, [
        proc(1100, 1, "postgres", 105, "postgres", argv, exe="/usr/lib/postgresql/15/bin/postgres",
             cwd="/var/lib/postgresql/15/main", gid=109),
        proc(1101, 1100, "postgres", 105, "postgres", ["postgres: 15/main: checkpointer "], gid=109),
    ], [listen("127.0.77.21", 5432, "postgres", 1100)], [("postgresql-15", "15.10-0+deb12u1")],
        configs=[config("/etc/postgresql/15/main/postgresql.conf", "postgresql",
                        "data_directory = '/var/lib/postgresql/15/main'\nlisten_addresses = '127.0.77.21'\n"
                        "port = 5432\n")],
        app_paths=[{"path": "/var/lib/postgresql/15/main", "kind": "data", "server": "postgresql", "is_data": True}],
        data_dirs={"/var/lib/postgresql": 41943040})


def mariadb():
    return guest("db", "127.0.77.22", DEBIAN, [
        proc(1200, 1, "root", 0, "mysqld_safe", ["/bin/sh", "/usr/bin/mysqld_safe"], exe="/usr/bin/dash"),
        proc(1201, 1200, "mysql", 106, "mariadbd", ["/usr/sbin/mariadbd", "--basedir=/usr", "--datadir=/var/lib/mysql",
                                                   "--user=mysql", "--bind-address=127.0.77.22"],
             exe="/usr/sbin/mariadbd", gid=110),
    ], [listen("127.0.77.22", 3306, "mariadbd", 1201)], [("mariadb-server", "1:10.11.6-0+deb12u1")],
        app_paths=[{"path": "/var/lib/mysql", "kind": "data", "server": "mysql", "is_data": True}])


def memcached():
    return guest("cache", "127.0.77.23", DEBIAN, [
        proc(1300, 1, "memcache", 107, "memcached", ["/usr/bin/memcached", "-m", "64", "-p", "11211", "-u", "memcache",
                                                      "-l", "127.0.77.23"], exe="/usr/bin/memcached"),
    ], [listen("127.0.77.23", 11211, "memcached", 1300)], [("memcached", "1.6.18-1")])


def alpine():
    """nginx on Alpine: apk packages and busybox user tools."""
    return guest("lb", "127.0.77.25", ALPINE, [
        proc(1400, 1, "root", 0, "nginx", ["nginx: master process /usr/sbin/nginx"], exe="/usr/sbin/nginx"),
        proc(1401, 1400, "nginx", 101, "nginx", ["nginx: worker process"], exe="/usr/sbin/nginx", gid=101),
    ], [listen("127.0.77.25", 8443, "nginx", 1400)], [("nginx", "1.24.0-r15")],
        configs=[config("/etc/nginx/http.d/default.conf", "nginx",
                        "server { listen 127.0.77.25:8443; location / { return 204; } }\n")])


def bare():
    """Matches no stack: only the OS's own processes."""
    return guest("jump", "127.0.77.24", DEBIAN, [], [], [("openssh-server", "1:9.2p1-2+deb12u2")])


GUESTS = {"web": web, "app": app, "redis": redis, "shop": lamp, "intranet": tomcat, "orders": jar, "worker": script,
          "api": node, "edge": binary, "billing": dotnet, "pg": postgres, "db": mariadb, "cache": memcached,
          "jump": bare, "lb": alpine}

if __name__ == "__main__":
    for name, make in GUESTS.items():
        (HERE / f"{name}.json").write_text(json.dumps(make(), indent=1) + "\n", encoding="utf-8")
