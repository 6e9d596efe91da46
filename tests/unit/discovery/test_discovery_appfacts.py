"""The facts for generation, parsed from recorded ``collect.sh appfacts`` / ``services`` output.

``appfacts/*-root.txt`` and ``*-nonroot.txt`` were recorded by running collect.sh in the test guest image
(tests/support/guests.py: nginx, the Python app, redis) as root and as the unprivileged ``daemon`` account.
``app-hostile-*.txt.gz`` add a process started with a newline and section-looking text in its argv, cwd and
environment, secrets on its command line and in its environment, a 1.5 MB configuration file and one readable only
by root; and a process of ``nobody`` naming a file only root may read. ``servers-*.txt.gz`` come from the guest
image with Debian's apache2, php-fpm, postgresql, mariadb-server, nodejs and a JRE, running those services, a node
app and a Tomcat-shaped java command line (a ``java`` script: the image has no JDK to build a jar);
``servers-missing-tools`` is the same guest with ss, getent, sha256sum, readlink, timeout, stat, apache2ctl and
java moved away. ``systemd-*`` were recorded on that image booted with systemd 252 (its services, a ``shop-api``
unit with a password in ``Environment=``, a timer); ``services.txt`` is in ``systemctl show``/``cat`` form with
the harder cases (drop-in resets, continuation lines, quoting, a triggered unit without text).
"""

from __future__ import annotations

import gzip
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.discovery import appfacts, parse
from planner.discovery.merge import merge
from planner.discovery.raw import RawGuest
from planner.discovery.runner import PLAYBOOK_DIR
from planner.discovery.unitfacts import service_units
from planner.models.discovery import GuestDiscovery, Process
from tests.support.components import require

DATA = Path(__file__).parent / "data"
RECORDED = Path(__file__).parent / "appfacts"
SCRIPT = PLAYBOOK_DIR / "files" / "collect.sh"


def recorded(name: str) -> str:
    path = RECORDED / name
    return gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()


def guest(role: str, appfacts_file: str, services: str = "") -> GuestDiscovery:
    """The recorded guest's identity with the recorded appfacts (no samples: the processes come from appfacts)."""
    raw = RawGuest.model_validate_json((DATA / f"{role}.json").read_text())
    sections = {**raw.sections, "appfacts": recorded(appfacts_file), "services": services}
    return merge(raw.model_copy(update={"samples": [], "sections": sections}))


def by_comm(found: GuestDiscovery, comm: str) -> list[Process]:
    return [process for process in found.processes if process.comm == comm]


def test_web_nginx_configuration_comes_from_its_own_dump():
    web = guest("web", "web-root.txt")
    dumped = {item.path: item for item in web.config_files}
    assert set(dumped) == {"/etc/nginx/nginx.conf", "/etc/nginx/mime.types", "/etc/nginx/conf.d/planner.conf"}
    assert all(item.dump and item.server == "nginx" and item.readable for item in dumped.values())
    planner_conf = dumped["/etc/nginx/conf.d/planner.conf"].content or ""
    assert "upstream app { server 127.0.77.12:8078; keepalive 4; }" in planner_conf
    assert "listen 127.0.77.11:8077;" in planner_conf
    assert "worker_processes 1;" in (dumped["/etc/nginx/nginx.conf"].content or "")
    main_text = dumped["/etc/nginx/nginx.conf"].content or ""
    assert not any(line.lstrip().startswith("#") for line in main_text.split("\n"))
    master, worker = sorted(by_comm(web, "nginx"), key=lambda p: p.pid)
    assert master.argv == ["nginx: master process nginx"] and master.exe == "/usr/sbin/nginx"
    assert master.server == worker.server == "nginx"
    assert [p.server for p in web.processes if p.comm == "sshd"] == [None]
    assert (master.uid, master.user, master.group) == (0, "root", "root")
    assert (worker.uid, worker.gid, worker.user, worker.group) == (33, 33, "www-data", "www-data")
    assert [(r.name, r.version, r.path) for r in web.runtimes] == [("python3", "3.11.2", "/usr/bin/python3")]
    assert web.missing_privileges == []


def test_app_python_process_argv_cwd_environment_and_script():
    app = guest("app", "app-hostile-root.txt.gz")
    [python] = [p for p in by_comm(app, "python3") if p.argv[1:] == ["/opt/app/app.py"]]
    assert python.argv == ["python3", "/opt/app/app.py"] and python.cwd == "/"
    assert python.exe == "/usr/bin/python3.11" and (python.uid, python.group) == (65534, "nogroup")
    assert python.user == "nobody" and python.unit is None  # a container: no systemd service
    assert python.server == "python"
    assert python.environment["APP_PORT"] == "8078" and python.environment["REDIS_ADDR"] == "127.0.77.13"
    assert "AUTHORIZED_KEY" not in python.environment  # not on the allow-list: never leaves the guest
    [script] = [path for path in app.app_paths if path.pid == python.pid]
    assert (script.path, script.kind, script.server, script.owner, script.exists) == (
        "/opt/app/app.py", "script", "python", "root", True)
    assert script.size_bytes == 4096 and not script.is_data
    assert {(r.name, r.version) for r in app.runtimes} == {("python3", "3.11.2")}


def test_redis_configuration_file_and_data_directory():
    redis = guest("redis", "redis-root.txt")
    [conf] = redis.config_files
    assert (conf.path, conf.server, conf.owner, conf.mode, conf.size) == (
        "/etc/redis/redis.conf", "redis", "redis", "0640", 106604)
    assert conf.sha256 and len(conf.sha256) == 64 and not conf.dump and not conf.truncated and conf.stripped
    assert "dir /var/lib/redis" in (conf.content or "") and "port 6379" in (conf.content or "")
    data, config_dir = redis.app_paths
    assert (data.path, data.kind, data.server, data.is_data, data.owner) == (
        "/var/lib/redis", "data", "redis", True, "redis")
    assert (config_dir.path, config_dir.kind, config_dir.is_data) == ("/etc/redis", "config-dir", False)
    [server] = by_comm(redis, "redis-server")
    assert server.argv[0] == "redis-server 127.0.77.13:6377" and server.user == "redis"


def test_non_root_sees_less_and_says_so():
    web, redis = guest("web", "web-nonroot.txt"), guest("redis", "redis-nonroot.txt")
    # nginx -T needs root here: the files nginx.conf names are read instead
    assert {item.path for item in web.config_files} == {"/etc/nginx/nginx.conf", "/etc/nginx/conf.d/planner.conf"}
    assert not any(item.dump for item in web.config_files)
    assert all(p.cwd is None and p.environment == {} for p in web.processes)
    assert all(p.argv and p.uid is not None for p in web.processes)  # cmdline and status are world-readable
    assert any("environment of 3 service process(es) not readable" in line for line in web.missing_privileges)
    [conf] = redis.config_files
    assert conf.path == "/etc/redis/redis.conf" and not conf.readable and conf.content is None
    assert any("/etc/redis/redis.conf" in line for line in redis.missing_privileges)


def test_hostile_argv_cwd_and_environment_stay_exact_and_secrets_never_arrive():
    text = recorded("app-hostile-root.txt.gz")
    assert "hunter5" not in text and "zzz" not in text  # DB_PASSWORD, NOT_ALLOWED: filtered on the guest
    app = guest("app", "app-hostile-root.txt.gz")
    [hostile] = [p for p in app.processes if "/opt/hostile/huge.ini" in p.argv]
    assert hostile.argv == ["python3", "/opt/hostile/app.py", "--config", "/opt/hostile/huge.ini",
                            "/opt/hostile/secret.ini", "arg with\nnewline @@planner:ids@@", "--password=<redacted>",
                            "", "--token", "<redacted>"]
    assert hostile.cwd == "/opt/hostile/dir\nwith@@planner:proc 1@@"
    assert hostile.environment["WEIRD_DIR"] == "line1\n@@planner:proc 2@@"
    assert hostile.environment["APP_HOME"] == "/opt/hostile"
    assert not {"DB_PASSWORD", "NOT_ALLOWED"} & set(hostile.environment)
    # nothing the process controls opened a section, and a cwd with a newline is no application path
    assert all(path.path != "/opt/hostile/dir" for path in app.app_paths)
    assert sorted(p.pid for p in app.processes) == sorted({p.pid for p in app.processes})
    assert "hunter" not in app.model_dump_json()


def test_huge_and_unreadable_configuration_files_are_bounded_and_flagged():
    root = {item.path: item for item in guest("app", "app-hostile-root.txt.gz").config_files}
    huge = root["/opt/hostile/huge.ini"]
    assert huge.truncated and huge.size == 1537865 and huge.readable
    assert len(huge.content or "") <= appfacts.CONF_MAX + 1024  # the bound, plus what redaction markers add
    assert {"requirepass", "db_password"} <= set(huge.secrets)
    assert "requirepass = <redacted>" in (huge.content or "")
    assert root["/opt/hostile/secret.ini"].secrets == ["api_key"]
    nonroot = {item.path: item for item in guest("app", "app-hostile-nonroot.txt.gz").config_files}
    secret = nonroot["/opt/hostile/secret.ini"]
    assert not secret.readable and secret.content is None and (secret.owner, secret.mode) == ("root", "0600")


def servers(name: str) -> GuestDiscovery:
    found = GuestDiscovery(host="servers")
    appfacts.apply(RawGuest(host="servers", sections={"appfacts": recorded(f"servers-{name}.txt.gz")}), found)
    return found


def test_recognised_servers_configuration_runtimes_and_paths():
    found = servers("root")
    files = {(item.server, item.path): item for item in found.config_files}
    assert {("php-fpm", "/etc/php/8.2/fpm/php-fpm.conf"), ("php-fpm", "/etc/php/8.2/fpm/pool.d/www.conf"),
            ("postgresql", "/etc/postgresql/15/main/postgresql.conf"),
            ("postgresql", "/etc/postgresql/15/main/pg_hba.conf"),
            ("mysql", "/etc/mysql/my.cnf"), ("mysql", "/etc/mysql/mariadb.conf.d/50-server.cnf"),
            ("tomcat", "/opt/tomcat/conf/server.xml"), ("tomcat", "/opt/tomcat/conf/tomcat-users.xml"),
            ("node", "/opt/node-app/package.json"), ("apache", "/etc/apache2/apache2.conf"),
            ("apache", "/etc/apache2/sites-enabled/000-default.conf")} <= set(files)
    assert files[("apache", "/usr/sbin/apache2ctl -S")].dump  # apachectl -S, as the server sees its vhosts
    assert "DocumentRoot /var/www/html" in (files[("apache", "/etc/apache2/sites-enabled/000-default.conf")].content
                                             or "")
    assert len(found.config_files) <= 61  # MAX_CONFS files plus the dump
    users = files[("tomcat", "/opt/tomcat/conf/tomcat-users.xml")]
    assert "password" in users.secrets and "tomcatsecret" not in (users.content or "")
    assert files[("node", "/opt/node-app/.env")].secrets == ["API_TOKEN"]
    assert "springsecret" not in found.model_dump_json() and "nodesecret" not in found.model_dump_json()
    assert {(r.name, r.version) for r in found.runtimes} == {("java", "17.0.19"), ("python3", "3.11.2"),
                                                              ("node", "18.20.4"), ("php", "8.2.32")}
    paths = {(path.kind, path.server, path.path) for path in found.app_paths}
    assert {("data", "postgresql", "/var/lib/postgresql/15/main"), ("data", "mysql", "/var/lib/mysql"),
            ("jar", "tomcat", "/opt/demo/app.jar"), ("webapps", "tomcat", "/opt/tomcat/webapps"),
            ("cwd", "tomcat", "/opt/demo"), ("config-dir", "tomcat", "/opt/tomcat/conf"),
            ("config-dir", "postgresql", "/etc/postgresql"), ("config-dir", "php-fpm", "/etc/php"),
            ("config-dir", "mysql", "/etc/mysql"), ("config-dir", "apache", "/etc/apache2"),
            ("cwd", "node", "/opt/node-app"), ("script", "node", "/opt/node-app/server.js"),
            ("webroot", "apache", "/var/www/html")} == paths
    assert all(path.is_data == (path.kind == "data") and path.size_bytes for path in found.app_paths)
    [node] = [p for p in found.processes if p.comm == "node"]
    assert node.argv == ["node", "server.js"] and node.cwd == "/opt/node-app"
    assert node.environment["NODE_ENV"] == "production" and node.environment["PORT"] == "3000"


def test_recognised_servers_without_root_and_without_tools():
    nonroot = servers("nonroot")
    [hba] = [item for item in nonroot.config_files if item.path.endswith("pg_hba.conf")]
    assert not hba.readable and hba.content is None and (hba.owner, hba.mode) == ("postgres", "0640")
    assert all(p.cwd is None for p in nonroot.processes) and len(nonroot.missing_privileges) == 3
    bare = servers("missing-tools")  # no readlink: no cwd, so no relative script or jar; no stat, no sha256sum
    assert bare.processes and all(p.cwd is None and p.exe is None for p in bare.processes)
    assert bare.config_files and all(item.size is None and item.sha256 is None for item in bare.config_files)
    assert ("apache", "/etc/apache2/apache2.conf") in {(item.server, item.path) for item in bare.config_files}
    assert "java" not in {r.name for r in bare.runtimes}
    assert {path.kind for path in bare.app_paths} == {"data", "webapps", "webroot", "config-dir"}


def test_a_file_named_by_another_users_process_is_not_read_for_it():
    text = recorded("app-hostile-root.txt.gz")
    assert "rootonly-secret" not in text  # nobody's process names it; root discovery does not read it for nobody
    app = guest("app", "app-hostile-root.txt.gz")
    [process] = [p for p in app.processes if "/opt/hostile/rootonly.json" in p.argv]
    assert process.user == "nobody"
    assert "/opt/hostile/rootonly.json" not in {item.path for item in app.config_files}


def test_facts_attach_to_the_sampled_process_unless_the_pid_was_reused():
    found = GuestDiscovery(host="h", processes=[Process(pid=7, comm="python3", user="nobody", args="python3 x"),
                                                Process(pid=1, comm="init", args="/sbin/init")])
    raw = RawGuest(host="h", sections={"appfacts": recorded("app-hostile-root.txt.gz")})
    appfacts.apply(raw, found)
    by_pid = {p.pid: p for p in found.processes}
    assert by_pid[7].argv == ["python3", "/opt/app/app.py"] and by_pid[7].args == "python3 x"
    assert by_pid[1].comm == "init" and by_pid[1].argv == []  # pid 1 is sshd in the facts: another process


def test_systemd_services_sockets_and_timers():
    units = {unit.name: unit for unit in service_units(recorded("services.txt"))}
    assert set(units) == {"nginx.service", "shop-api.service", "shop-api.socket", "shop-backup.timer",
                          "shop-backup.service"}  # a malformed name and a .busname are left out
    nginx = units["nginx.service"]
    # the drop-in reset ExecStart; its continuation line and quoting are read as systemd does
    assert nginx.exec_start == ["/usr/sbin/nginx", "-c", "/etc/nginx/custom.conf", "-g",
                                "daemon on; master_process on;"]
    assert (nginx.kind, nginx.active, nginx.sub, nginx.main_pid) == ("service", "active", "running", 812)
    assert nginx.fragment_path == "/lib/systemd/system/nginx.service" and nginx.user is None
    api = units["shop-api.service"]
    assert api.exec_start == ["/opt/shop/venv/bin/gunicorn", "--bind", "127.0.0.1:8000", "--workers", "3",
                              "shop.wsgi:application"]
    assert (api.user, api.group, api.working_directory, api.main_pid) == ("shop", "shop", "/opt/shop", 1204)
    assert api.environment == {"DJANGO_SETTINGS_MODULE": "shop.settings", "GREETING": "hello world",
                               "DB_PASSWORD": "<redacted>",
                               "DATABASE_URL": "postgres://shop:<redacted>@db.example/shop"}
    assert api.environment_files == ["/etc/default/shop", "/etc/shop/env"]
    assert "EnvironmentFile=/etc/shop/env" in (api.unit_text or "") and "hunter" not in (api.unit_text or "")
    socket = units["shop-api.socket"]
    assert socket.listen == ["127.0.0.1:8000", "/run/shop/api.sock"] and socket.triggers == ["shop-api.service"]
    timer = units["shop-backup.timer"]
    assert timer.schedule == "OnCalendar=*-*-* 02:30:00" and timer.triggers == ["shop-backup.service"]
    backup = units["shop-backup.service"]
    assert backup.exec_start == ["/usr/bin/pg_dump", "-f", "/var/backups/shop.sql", "shop"]  # from show
    assert backup.environment == {"PGPASSWORD": "<redacted>"} and backup.unit_text is None
    assert "hunter" not in json.dumps([unit.model_dump(mode="json") for unit in units.values()])


def test_services_recorded_on_systemd():
    units = {unit.name: unit for unit in service_units(recorded("systemd-services.txt"))}
    api = units["shop-api.service"]
    assert api.exec_start == ["/usr/bin/node", "/opt/node-app/server.js", "--title", "shop api"]
    assert (api.user, api.working_directory) == ("nobody", "/opt/node-app")
    assert api.environment_files == ["/etc/default/shop"]
    assert api.environment == {"NODE_ENV": "production", "GREETING": "hello world", "DB_PASSWORD": "<redacted>"}
    assert api.main_pid == 61 and "hunter2" not in (api.unit_text or "") and "Description=Shop API" in api.unit_text
    # a template instance: its specifiers expanded from the unit name
    assert units["postgresql@15-main.service"].exec_start == ["/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect",
                                                              "15-main", "start"]
    assert units["mariadb.socket"].listen == ["@mariadb", "/run/mysqld/mysqld.sock", "[::]:3306"]
    assert units["mariadb.socket"].triggers == ["mariadb.service"]
    timer = units["systemd-tmpfiles-clean.timer"]
    assert timer.schedule == "OnBootSec=15min; OnUnitActiveSec=1d"
    assert timer.triggers == ["systemd-tmpfiles-clean.service"]
    assert units["shop-backup.service"].kind == "service" and units["shop-backup.service"].active == "inactive"
    assert {unit.kind for unit in units.values()} == {"service", "socket", "timer"}
    found = GuestDiscovery(host="systemd")
    appfacts.apply(RawGuest(host="systemd", sections={"appfacts": recorded("systemd-appfacts.txt.gz")}), found)
    by_comm_unit = {(p.comm, p.unit) for p in found.processes}
    assert {("nginx", "nginx.service"), ("node", "shop-api.service"),
            ("postgres", "postgresql@15-main.service"), ("systemd", None)} <= by_comm_unit


def test_services_end_up_in_the_guest_document():
    web = guest("web", "web-root.txt", recorded("services.txt"))
    assert {unit.kind for unit in web.services} == {"service", "socket", "timer"}
    assert GuestDiscovery.model_validate_json(web.model_dump_json()) == web


def test_collect_script_new_sections_run_here_and_prefix_every_line():
    for section in ("services", "appfacts"):
        result = subprocess.run(["sh", str(SCRIPT), section, "10"], capture_output=True, timeout=120, check=True)
        lines = result.stdout.decode("utf-8", "replace").split("\n")
        assert lines[-1] == ""
        assert all(line.startswith("|") or (line.startswith("@@planner:") and line.endswith("@@"))
                   for line in lines[:-1])


def test_a_binary_another_user_could_replace_is_never_run(tmp_path):
    """A process whose executable sits in a directory others can write is described, but collect.sh never runs
    that executable for its version (as root that would run another user's program). Run in a PID namespace of
    its own, so the machine's other processes cannot push it past the process bound."""
    if shutil.which("unshare") is None:
        require("util-linux", "unshare is not on PATH (apt-get install util-linux)")
    evil = tmp_path / "evil"
    evil.mkdir()
    shutil.copy("/bin/sleep", evil / "python3")
    evil.chmod(0o777)
    namespace = ["unshare", "--pid", "--fork", "--mount-proc"]
    if os.geteuid() != 0:
        namespace[1:1] = ["--user", "--map-root-user"]
    inner = f'setsid {shlex.quote(str(evil / "python3"))} 60 & sh {shlex.quote(str(SCRIPT))} appfacts 60; kill $!'
    result = subprocess.run([*namespace, "sh", "-c", inner], capture_output=True, text=True, timeout=120, check=True)
    found = parse.sections(result.stdout)
    [proc] = [body for name, _, body in found if name == "proc" and "s Name:\tpython3" in body.split("\n")]
    assert f"xT {evil / 'python3'}" in proc.split("\n")  # seen, and so a runtime candidate
    [runtimes] = [body for name, _, body in found if name == "runtimes-found"]
    assert str(evil) not in runtimes
    paths = appfacts.app_paths(next(body for name, _, body in found if name == "app-paths"))
    assert any((path.kind, path.path) == ("binary", str(evil / "python3")) for path in paths)  # not a system binary


def test_a_spent_budget_stops_the_collection_and_is_reported():
    result = subprocess.run(["sh", str(SCRIPT), "appfacts", "0"], capture_output=True, text=True, timeout=120,
                            check=True)
    assert "@@planner:limit time@@" in result.stdout.split("\n")
    assert "@@planner:proc " not in result.stdout  # nothing run or read once the budget is spent
    found = GuestDiscovery(host="h")
    appfacts.apply(RawGuest(host="h", sections={"appfacts": result.stdout}), found)
    assert found.bounds_reached == ["time"] and found.processes == []


_LINE = st.one_of(
    st.sampled_from(["@@planner:proc 12@@", "@@planner:proc ²@@", "@@planner:ids@@", "@@planner:app-paths@@",
                     "@@planner:conf nginx /etc/x@@", "@@planner:conf-dump nginx@@", "@@planner:runtimes-found@@",
                     "|s Uid:\t99999999999999999999", "|s PPid:\t²", "|aH zz", "|aH 4", "|aT x", "|eH 3d", "|eT =",
                     "|wH 0", "|xT ", "|aX 41", "|c 0::/a.service/",
                     "|#meta read 12 root 644", "|#meta dump 99999999999999999999", "|u ² x", "|g 1 ",
                     "|# configuration file /x:", "|/usr/bin/java\topenjdk 17.0.1",
                     "|data\tredis\t²\texists\t-\t9999999999999\t/var/lib/redis"]),
    st.text(max_size=40).map(lambda text: "|" + text))


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE, max_size=40))
def test_appfacts_parsing_never_fails_on_collect_sh_shaped_output(lines):
    found = GuestDiscovery(host="h")
    raw = RawGuest(host="h", sections={"appfacts": "\n".join(lines), "services": "\n".join(lines)})
    appfacts.apply(raw, found)
    GuestDiscovery.model_validate_json(found.model_dump_json())
