"""The detector catalogue: metadata checked at import, an explicit registry, and a pass and fail case per stack on
recorded facts (every fixture is some detector's pass case and every other detector's fail case)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.detect import builtin_registry, detect_stacks
from planner.detect.base import Detector
from planner.detect.docs import main as docs_main
from planner.detect.docs import render_stacks_doc
from planner.detect.registry import DetectorRegistry

ROOT = Path(__file__).resolve().parents[3]

EXPECTED = {
    "web": ["nginx"], "lb": ["nginx"], "app": ["python-wsgi"], "redis": ["redis"], "shop": ["apache", "php-fpm"],
    "intranet": ["tomcat"], "orders": ["java-jar"], "worker": ["python-script"], "api": ["node"], "edge": ["binary"],
    "billing": ["dotnet"], "pg": ["postgresql"], "db": ["mysql"], "cache": ["system-service"], "jump": [],
    # real recordings (collect.sh in the test guest images, data/record.py)
    "rec-web": ["nginx"], "rec-redis": ["redis"], "rec-hostile": ["python-script"] * 3,
    "rec-servers": ["apache", "php-fpm", "tomcat", "node", "postgresql", "mysql"],
    "rec-systemd": ["nginx", "apache", "php-fpm", "node", "postgresql", "mysql"],
}


def test_every_detector_has_a_recorded_pass_case():
    covered = {stack for stacks in EXPECTED.values() for stack in stacks}
    assert covered == set(builtin_registry().ids())


@pytest.fixture(scope="module")
def every_guest(guests, recordings):
    return {**guests, **recordings}


@pytest.mark.parametrize("host", sorted(EXPECTED))
def test_detected_stacks(every_guest, host):
    """Pass case of its detector(s); fail case of all the others (each detector runs on every fixture)."""
    assert [d.stack for d in detect_stacks(every_guest[host])] == EXPECTED[host]


@pytest.mark.parametrize("detector", list(builtin_registry()), ids=lambda d: d.id)
def test_each_detector_alone_matches_only_its_fixtures(every_guest, detector):
    guests = every_guest
    matched = {host for host, guest in guests.items() if list(detector().detect(guest, None))}
    expected = {host for host, stacks in EXPECTED.items() if detector.id in stacks}
    if detector.fallback:  # alone, the fallback also sees listening processes that other detectors claim
        assert expected <= matched and not matched & {"jump", "rec-web", "rec-redis"}
    else:
        assert matched == expected


def _one(guests, host, stack):
    return next(d for d in detect_stacks(guests[host]) if d.stack == stack)


def test_nginx_detection_details(guests):
    found = _one(guests, "web", "nginx")
    assert (found.user, found.uid, found.gid) == ("www-data", 33, 33)  # the workers, not the root master
    assert [(p.port, p.protocol) for p in found.ports] == [(80, "tcp")]
    assert found.command.argv == ["/usr/sbin/nginx", "-g", "daemon off;"] and found.command.source == "default"
    assert found.config_files == ["/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled/default"]
    assert found.app_paths == ["/var/www/html"] and found.data_paths == []
    assert found.probe.model_dump(exclude_none=True) == {"kind": "http", "port": 80, "path": "/", "expect_status": 200}
    assert found.packages == ["nginx"] and found.runtime_version == "1.22.1"
    assert set(found.pids) == {100, 101, 102} and any("package nginx 1.22.1-9+deb12u9" in e for e in found.evidence)


def test_python_wsgi_keeps_the_exact_argv_cwd_and_environment(guests):
    found = _one(guests, "app", "python-wsgi")
    assert found.command.argv[1:4] == ["/srv/app/venv/bin/gunicorn", "--bind", "127.0.77.12:8080"]
    assert found.command.cwd == "/srv/app" and found.command.environment["REDIS_URL"].startswith("redis://")
    assert (found.user, found.uid, found.runtime, found.runtime_version) == ("app", 1001, "python", "3.11.2")
    assert found.runtime_image == "python:3.11-slim" and any("requirements" in todo for todo in found.todos)


def test_data_stores_have_volumes_and_sql_or_redis_probes(guests):
    redis = _one(guests, "redis", "redis")
    assert redis.data_paths == ["/var/lib/redis"] and redis.probe.kind == "redis"
    assert redis.command.argv == ["/usr/bin/redis-server", "/etc/redis/redis.conf", "--daemonize", "no",
                                  "--supervised", "no"]
    pg = _one(guests, "pg", "postgresql")
    assert pg.data_paths == ["/var/lib/postgresql/15/main"] and pg.probe.engine == "postgresql"
    assert pg.init_command == ["/usr/lib/postgresql/15/bin/initdb", "-D", "/var/lib/postgresql/15/main"]
    db = _one(guests, "db", "mysql")
    assert db.data_paths == ["/var/lib/mysql"] and db.probe.model_dump(exclude_none=True) == {
        "kind": "sql", "port": 3306, "engine": "mysql"}
    assert (db.user, db.uid, db.gid) == ("mysql", 106, 110) and db.runtime == "mariadb"


def test_java_tomcat_dotnet_binary_and_node(guests):
    tomcat = _one(guests, "intranet", "tomcat")
    assert tomcat.runtime_image == "tomcat:10-jre17" and "/var/lib/tomcat10/webapps" in tomcat.app_paths
    assert "/var/lib/tomcat10/logs" in tomcat.writable_paths
    jar = _one(guests, "orders", "java-jar")
    assert jar.app_paths == ["/opt/orders/orders.jar"] and jar.runtime_image == "eclipse-temurin:17-jre"
    dotnet = _one(guests, "billing", "dotnet")
    assert dotnet.runtime_image == "mcr.microsoft.com/dotnet/aspnet:8.0" and dotnet.packages == []
    binary = _one(guests, "edge", "binary")
    assert binary.app_paths == ["/opt/edge/bin/edge-proxy"] and binary.runtime == "native"
    node = _one(guests, "api", "node")
    assert node.app_paths == ["/srv/api", "/srv/api/server.js"] and node.runtime_image == "node:18-slim"


def test_two_stacks_on_one_vm_claim_their_own_processes(guests):
    apache, fpm = detect_stacks(guests["shop"])
    assert set(apache.pids) == {400, 401} and set(fpm.pids) == {410, 411}
    assert [p.port for p in apache.ports] == [80] and [p.port for p in fpm.ports] == [9000]
    assert fpm.command.argv == ["/usr/sbin/php-fpm8.2", "--nodaemonize", "--fpm-config",
                                "/etc/php/8.2/fpm/php-fpm.conf"]


def test_fallback_runs_the_discovered_command_and_skips_os_processes(guests):
    [found] = detect_stacks(guests["cache"])
    assert found.command.argv == ["/usr/bin/memcached", "-m", "64", "-p", "11211", "-u", "memcache", "-l",
                                  "127.0.77.23"]
    assert found.probe.kind == "tcp" and found.packages == ["memcached"]
    assert detect_stacks(guests["jump"]) == []  # sshd and cron listen or run, but are the OS's


# --- metadata and registry --------------------------------------------------------------------------------------

def _detect(self, guest, vm) -> Iterator:
    yield from ()


@pytest.mark.parametrize(("attributes", "problem"), [
    ({"id": "Bad Id", "title": "t", "looks_for": "x", "__doc__": "Doc."}, "slug"),
    ({"id": "ok", "title": "", "looks_for": "x", "__doc__": "Doc."}, "title"),
    ({"id": "ok", "title": "t", "looks_for": "x\ny", "__doc__": "Doc."}, "looks_for"),
    ({"id": "ok", "title": "t", "looks_for": "x", "__doc__": "two\nlines"}, "docstring"),
])
def test_bad_metadata_fails_at_class_definition(attributes, problem):
    with pytest.raises(TypeError, match=problem):
        type("Broken", (Detector,), {**attributes, "detect": _detect})


def test_a_detector_without_detect_is_refused():
    with pytest.raises(TypeError, match="must implement detect"):
        type("Lazy", (Detector,), {"id": "lazy", "title": "t", "looks_for": "x", "__doc__": "Doc."})


def test_registry_refuses_duplicates_and_runs_fallbacks_last():
    registry = builtin_registry()
    assert registry.ids()[-1] == "system-service" and len(registry) == 14
    clone = type("Nginx2", (Detector,), {"id": "nginx", "title": "t", "looks_for": "x", "__doc__": "Doc.",
                                         "detect": _detect})
    with pytest.raises(ValueError, match="duplicate detector id nginx"):
        registry.register(clone)
    with pytest.raises(TypeError):
        DetectorRegistry([object])  # type: ignore[list-item]


def test_stacks_doc_is_current():
    assert (ROOT / "docs" / "stacks.md").read_text(encoding="utf-8") == render_stacks_doc(builtin_registry())
    assert docs_main(["--check", str(ROOT / "docs" / "stacks.md")]) == 0


def test_stale_stacks_doc_is_reported(tmp_path):
    stale = tmp_path / "stacks.md"
    stale.write_text("old\n", encoding="utf-8")
    assert docs_main(["--check", str(stale)]) == 1


def test_redis_without_its_config_file_is_rebuilt_from_its_listener(guests):
    """As the test guests run it: `redis-server --bind ADDR --port 6377`, while the package's redis.conf says 6379."""
    redis = guests["redis"]
    moved = redis.model_copy(update={"listeners": [
        item.model_copy(update={"port": 6377}) if item.port == 6379 else item for item in redis.listeners]})
    [found] = detect_stacks(moved)
    assert found.command.argv == ["/usr/bin/redis-server", "--bind", "127.0.77.13", "--port", "6377",
                                  "--daemonize", "no"]
    assert found.config_files == ["/etc/redis/redis.conf"] and found.probe.port == 6377
    assert any("used no redis.conf" in todo for todo in found.todos)


@pytest.mark.parametrize(("argv", "stack"), [
    (["/usr/bin/python3", "-m", "uvicorn", "main:app", "--host", "127.0.77.30"], "python-wsgi"),
    (["/usr/bin/uwsgi", "--http", "127.0.77.30:8000", "--module", "app"], "python-wsgi"),
    (["/opt/venv/bin/python", "/opt/venv/bin/gunicorn", "app:app"], "python-wsgi"),
    (["/usr/bin/python3", "-m", "http.server", "8000"], "python-script"),
    (["/usr/bin/python3.11", "/srv/tool/serve.py"], "python-script"),
    (["/usr/bin/python3"], None),  # an interactive interpreter is no application
    (["/usr/bin/node", "/srv/x/index.js"], "node"),
    (["/usr/bin/java", "-cp", "app.jar", "com.example.Main"], None),  # neither Tomcat nor -jar: left to a person
])
def test_interpreter_command_lines(argv, stack):
    from planner.models.discovery import GuestDiscovery, Listener, Process

    exe = argv[0] if not argv[0].endswith(("uwsgi",)) else "/usr/bin/uwsgi"
    guest = GuestDiscovery(host="t", processes=[Process(pid=5, ppid=1, user="svc", uid=1200, comm=exe.rsplit("/")[-1],
                                                        exe=exe, argv=argv, args=" ".join(argv))],
                           listeners=[Listener(protocol="tcp", address="127.0.77.30", port=8000, pid=5)])
    found = [d.stack for d in detect_stacks(guest) if d.stack != "system-service"]
    assert found == ([stack] if stack else [])


def test_a_python_module_is_no_application_path():
    from planner.models.discovery import GuestDiscovery, Process

    argv = ["/usr/bin/python3", "-m", "http.server", "8000"]
    guest = GuestDiscovery(host="t", processes=[Process(pid=5, ppid=1, user="svc", uid=1200, comm="python3",
                                                        exe="/usr/bin/python3.11", argv=argv, cwd="/srv/site")])
    [found] = detect_stacks(guest)
    assert found.app_paths == ["/srv/site"] and "module http.server" in found.evidence[0]


def test_gunicorn_runs_in_the_foreground():
    """As Debian's gunicorn is started in the stack guests: `--daemon` would end the container at once."""
    from planner.models.discovery import GuestDiscovery, Process

    argv = ["/usr/bin/python3", "/usr/bin/gunicorn", "--bind", "127.0.78.12:8000", "--chdir", "/srv/app", "--env",
            "REDIS_ADDR=127.0.78.13:6379", "--daemon", "--pid", "/tmp/gunicorn.pid", "app:application"]
    guest = GuestDiscovery(host="t", processes=[Process(pid=5, ppid=1, user="app", uid=1000, comm="gunicorn",
                                                        exe="/usr/bin/python3.11", argv=argv)])
    [found] = detect_stacks(guest)
    assert found.command.argv == [arg for arg in argv if arg != "--daemon"]
    assert any("dropped --daemon" in line for line in found.evidence)


def test_the_unit_s_exec_start_when_the_command_line_is_unreadable():
    from planner.models.discovery import GuestDiscovery, Process, ServiceUnit

    guest = GuestDiscovery(host="t", processes=[Process(pid=5, ppid=1, user="svc", uid=1200, comm="node",
                                                        exe="/usr/bin/node", unit="api.service")],
                           services=[ServiceUnit(name="api.service", kind="service", main_pid=5,
                                                 exec_start=["/usr/bin/node", "/srv/api/main.js"])])
    [found] = detect_stacks(guest)
    assert found.command.argv == ["/usr/bin/node", "/srv/api/main.js"] and found.command.source == "unit"
