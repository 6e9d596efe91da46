"""End to end: Ansible discovers three container guests over SSH while traffic flows web -> app -> redis.

Guests are Docker containers with host networking, each with sshd and its services on its own 127.0.77.N
(tests/support/guests.py); the controller connects from its own address (127.0.77.2) and the guests' clients from
theirs. A fourth inventory host has no sshd: it must be recorded as unreachable while the others go on. Discovery
runs through `planner discover run` (ansible-runner), once as root and once as an unprivileged account; results
are stored with a snapshot, matched to its VMs, and `planner graph` / `planner waves` turn them into edges, move
groups and waves: the same edges both times, never one from the controller.
"""

from __future__ import annotations

import html
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import pytest

from planner.assess.facts import facts_by_vm
from planner.cli import main
from planner.discovery.storage import load_guests
from planner.models import Estate, Nic, PowerState, Vm
from planner.models.discovery import DISCOVERY_FORMAT_VERSION
from planner.store import Store
from tests.support.components import require
from tests.support.guests import (
    APP_ADDR,
    APP_PORT,
    CONTROLLER_ADDR,
    HEALTH_PORT,
    REDIS_ADDR,
    REDIS_PORT,
    SECRET,
    SSH_PORT,
    WEB_ADDR,
    WEB_PORT,
    TrafficGenerator,
    running_guests,
)

# One worker owns the guests (127.0.77.x): the module's tests must not start a second set on another worker.
pytestmark = [pytest.mark.docker, pytest.mark.ansible, pytest.mark.xdist_group("discovery-guests")]


@pytest.fixture(scope="module")
def guests(docker_engine, debian_base_image, tmp_path_factory):
    missing = [tool for tool in ("ansible-playbook", "ssh", "ssh-keygen") if shutil.which(tool) is None]
    if missing:
        require("ansible", f"missing {', '.join(missing)} (pip install ansible-core ansible-runner; "
                           "apt-get install openssh-client)")
    with running_guests(docker_engine, debian_base_image, tmp_path_factory.mktemp("guests")) as started:
        yield started


def _run(*args: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 0, f"planner {' '.join(args)} exited {exited.value.code}"


def _estate() -> Estate:
    """The snapshot discovery enriches: web and app match by inventory name, redis only by its guest IP."""
    def vm(name: str, address: str, cpu: int) -> Vm:
        return Vm(name=name, source="vc-test", moid=f"vm-{name}", power_state=PowerState.ON, num_cpu=cpu,
                  cluster="lab", guest_ips=[address], nics=[Nic(label="Network adapter 1", ips=[address])])

    return Estate(collected_at=datetime.now(UTC), vms=[
        vm("web", WEB_ADDR, 2), vm("app", APP_ADDR, 2), vm("cache-redis-01", REDIS_ADDR, 1),
        vm("batch", "192.0.2.77", 4),
    ])


EDGES = {("web", "app"), ("app", "cache-redis-01")}


def assert_no_controller_connection(by_host: dict[str, dict]) -> None:
    """The controller's SSH sessions (from 127.0.77.2) are discovery's own, never a connection of the guest."""
    peers = {c["peer_address"] for guest in by_host.values() for c in guest["connections"]}
    assert CONTROLLER_ADDR not in peers and CONTROLLER_ADDR not in {
        address for guest in by_host.values() for address in guest["addresses"]}


def assert_no_secret(output: str, by_host: dict[str, dict]) -> None:
    """The log shipper's --db-password and the backup cron line's -p… are redacted before anything is printed or
    stored."""
    assert SECRET not in output
    assert any(p["args"].endswith("--db-password=<redacted>") for p in by_host["web"]["processes"])
    assert any("mysqldump -uroot -p<redacted> shop" in entry["line"] for entry in by_host["web"]["crontabs"])


def test_discovery_of_container_guests_end_to_end(guests, tmp_path):
    db = tmp_path / "planner.db"
    with Store.open(db) as store:
        snapshot_id = store.save(_estate(), origin="test").id

    out = tmp_path / "discovery.json"
    with TrafficGenerator() as traffic:
        _run("--db", str(db), "discover", "run", "-i", str(guests.inventory_path), "--samples", "3",
             "--interval", "1", "--timeout", "30", "--format", "json", "-o", str(out))
    assert traffic.requests > 10 and traffic.errors == 0
    result = json.loads(out.read_text())
    assert result["format_version"] == DISCOVERY_FORMAT_VERSION and result["snapshot"] == f"#{snapshot_id}"
    by_host = {guest["host"]: guest for guest in result["guests"]}
    assert set(by_host) == {"web", "app", "redis", "lost"}

    # The host without sshd is recorded; the others went on.
    assert by_host["lost"]["status"] == "unreachable" and "unreachable" in by_host["lost"]["errors"][0]
    for host in ("web", "app", "redis"):
        assert by_host[host]["status"] == "ok", by_host[host]["errors"]
        assert by_host[host]["samples"] == 3
        assert by_host[host]["os"]["id"] == "debian" and by_host[host]["os"]["version_id"] == "12"
        assert by_host[host]["package_manager"] == "dpkg"
        assert {"nginx", "redis-server", "openssh-server"} <= {p["name"] for p in by_host[host]["packages"]}
        # storage task (issue 15): ran, no NFS server, no block device open in a container without one
        assert (by_host[host]["nfs_server"], by_host[host]["nfs_exports"], by_host[host]["block_devices"]) == (
            False, [], [])
        print(f"discovery of {host}: {by_host[host]['duration_seconds']:.2f} s for 3 samples")
    print(f"discovery wall time: {result['wall_seconds']:.2f} s")

    # Processes: with SYS_PTRACE root sees the www-data nginx worker; discovery's own processes are left out.
    def processes(host: str) -> set[tuple[str, str]]:
        return {(p["user"], p["comm"]) for p in by_host[host]["processes"]}

    assert {("root", "nginx"), ("www-data", "nginx")} <= processes("web")
    assert ("nobody", "python3") in processes("app")
    assert ("redis", "redis-server") in processes("redis")
    assert not any("collect.sh" in p["args"] for guest in by_host.values() for p in guest["processes"])

    # Listeners: only each guest's own (host networking shows every socket of the machine).
    def listeners(host: str) -> set[tuple[str, int, str | None]]:
        return {(item["address"], item["port"], item["process"]) for item in by_host[host]["listeners"]}

    assert listeners("web") == {(WEB_ADDR, SSH_PORT, "sshd"), (WEB_ADDR, WEB_PORT, "nginx")}
    assert listeners("app") == {(APP_ADDR, SSH_PORT, "sshd"), (APP_ADDR, APP_PORT, "python3"),
                                ("0.0.0.0", HEALTH_PORT, "python3")}  # the wildcard one: seen on its guest only
    assert listeners("redis") == {(REDIS_ADDR, SSH_PORT, "sshd"), (REDIS_ADDR, REDIS_PORT, "redis-server")}

    # Connections, merged over samples: the persistent upstream connections are seen in every sample.
    def outbound(host: str) -> dict[tuple[str, int], dict]:
        return {(c["peer_address"], c["peer_port"]): c for c in by_host[host]["connections"]
                if c["direction"] == "outbound"}

    web_out, app_out = outbound("web"), outbound("app")
    assert set(web_out) == {(APP_ADDR, APP_PORT)} and web_out[(APP_ADDR, APP_PORT)]["process"] == "nginx"
    redis_link = app_out[(REDIS_ADDR, REDIS_PORT)]
    assert set(app_out) == {(REDIS_ADDR, REDIS_PORT)} and redis_link["process"] == "python3"
    assert redis_link["count"] == 3  # the app's one Redis connection, in every sample
    assert redis_link["first_seen"] < redis_link["last_seen"]
    assert not outbound("redis")
    assert_no_controller_connection(by_host)
    assert_no_secret(out.read_text(), by_host)

    # Matching: by inventory name, and by guest IP for the VM named differently.
    assert (by_host["web"]["vm"], by_host["web"]["matched_by"]) == ("web", "inventory-name")
    assert (by_host["redis"]["vm"], by_host["redis"]["matched_by"]) == ("cache-redis-01", "guest-ip")
    assert by_host["lost"]["vm"] is None

    # Stored with the snapshot; the assessment's facts come from it.
    with Store.open(db) as store:
        stored = {guest.host: guest for guest in load_guests(store, snapshot_id)}
        assert not any(SECRET in body for body in store.documents(snapshot_id, "discovery").values())
    assert set(stored) == {"web", "app", "redis", "lost"}
    with Store.open(db) as store:
        facts = facts_by_vm(store.documents(snapshot_id, "discovery").values())["cache-redis-01"]
    assert facts.os_id == "debian" and "redis" in facts.data_dirs
    assert any(listener.port == REDIS_PORT for listener in facts.listeners)

    # Graph: edges web -> app -> redis with ports and processes; JSON and GraphML load back.
    graph_json = tmp_path / "graph.json"
    _run("--db", str(db), "graph", "--format", "json", "-o", str(graph_json))
    graph = nx.node_link_graph(json.loads(graph_json.read_text()), edges="links")
    assert set(graph.edges) == EDGES
    assert graph.edges["web", "app"]["ports"] == [f"tcp/{APP_PORT}"]
    assert graph.edges["web", "app"]["client_processes"] == ["nginx"]
    assert graph.edges["app", "cache-redis-01"]["ports"] == [f"tcp/{REDIS_PORT}"]
    assert set(graph.nodes) == {"web", "app", "cache-redis-01", "batch"}
    graphml = tmp_path / "graph.graphml"
    _run("--db", str(db), "graph", "--format", "graphml", "-o", str(graphml))
    back = nx.read_graphml(graphml)
    assert set(back.nodes) == set(graph.nodes) and set(back.edges) == set(graph.edges)

    # Waves: providers first — redis, then app, then web; the idle batch VM fits in the first wave.
    waves_json = tmp_path / "waves.json"
    _run("--db", str(db), "waves", "--format", "json", "-o", str(waves_json))
    waves = json.loads(waves_json.read_text())
    order = {vm: wave["wave"] for wave in waves["waves"] for vm in wave["vms"]}
    assert order == {"cache-redis-01": 1, "batch": 1, "app": 2, "web": 3}
    assert [group["members"] for group in waves["move_groups"]] == [["app"], ["batch"], ["cache-redis-01"], ["web"]]
    assert {(risk["client"], risk["server"]) for risk in waves["cutover_risks"]} == {
        ("web", "app"), ("app", "cache-redis-01")}

    if shutil.which("dot") is None:
        require("graphviz", "`dot` is not on PATH (apt-get install graphviz)")
    svg = tmp_path / "graph.svg"
    _run("--db", str(db), "graph", "--format", "svg", "-o", str(svg))
    text = html.unescape(svg.read_text())
    assert "<svg" in text and "cache-redis-01" in text and f"tcp/{REDIS_PORT}" in text and "Wave 3" in text


def _machine_wildcard_listeners() -> set[int]:
    """Ports the machine itself listens on at a wildcard address, outside every guest (read on the controller):
    with host networking each guest sees them, and an unprivileged account cannot tell they are not its own."""
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            address, port = fields[1].split(":")
            if fields[3] == "0A" and set(address) == {"0"}:
                ports.add(int(port, 16))
    return ports - {HEALTH_PORT}


def test_non_root_discovery_sees_the_same_edges(guests, tmp_path):
    """The unprivileged `audit` account (no become): the same edges as root, no controller edge, the wildcard
    listener kept on its guest with its owner inferred, and what could not be seen said in missing_privileges."""
    db = tmp_path / "planner.db"
    with Store.open(db) as store:
        snapshot_id = store.save(_estate(), origin="test").id
    out = tmp_path / "discovery.json"
    started = time.monotonic()
    with TrafficGenerator() as traffic:
        _run("--db", str(db), "discover", "run", "-i", str(guests.audit_inventory_path), "--samples", "2",
             "--interval", "1", "--timeout", "30", "--format", "json", "-o", str(out))
    print(f"non-root discovery: {time.monotonic() - started:.2f} s for 2 samples")
    assert traffic.errors == 0
    machine = _machine_wildcard_listeners()
    by_host = {guest["host"]: guest for guest in json.loads(out.read_text())["guests"]}
    for host in ("web", "app", "redis"):
        assert by_host[host]["status"] == "ok", by_host[host]["errors"]
        assert any("--become" in sentence for sentence in by_host[host]["missing_privileges"])

    def listeners(host: str) -> dict[tuple[str, int], str | None]:
        found = {(item["address"], item["port"]): item["process"] for item in by_host[host]["listeners"]}
        extra = {key: process for key, process in found.items() if key[0] == "0.0.0.0" and key[1] in machine}
        assert all(process is None for process in extra.values()), extra  # the machine's: owner unknown
        return {key: process for key, process in found.items() if key not in extra}

    # Owners other users hold, inferred from /proc/net uids and command lines; nginx's master (root) stays unknown.
    web = listeners("web")
    assert set(web) == {(WEB_ADDR, SSH_PORT), (WEB_ADDR, WEB_PORT)} and web[(WEB_ADDR, SSH_PORT)] == "sshd"
    assert web[(WEB_ADDR, WEB_PORT)] in (None, "nginx")
    assert listeners("app") == {(APP_ADDR, SSH_PORT): "sshd", (APP_ADDR, APP_PORT): "python3",
                                ("0.0.0.0", HEALTH_PORT): "python3"}
    assert listeners("redis") == {(REDIS_ADDR, SSH_PORT): "sshd", (REDIS_ADDR, REDIS_PORT): "redis-server"}
    assert {("www-data", "nginx"), ("root", "nginx")} <= {(p["user"], p["comm"]) for p in by_host["web"]["processes"]}
    assert_no_controller_connection(by_host)
    assert_no_secret(out.read_text(), by_host)
    with Store.open(db) as store:
        assert not any(SECRET in body for body in store.documents(snapshot_id, "discovery").values())

    graph_json = tmp_path / "graph.json"
    _run("--db", str(db), "graph", "--format", "json", "-o", str(graph_json))
    graph = nx.node_link_graph(json.loads(graph_json.read_text()), edges="links")
    assert set(graph.edges) == EDGES and set(graph.nodes) == {"web", "app", "cache-redis-01", "batch"}
    assert graph.edges["app", "cache-redis-01"]["ports"] == [f"tcp/{REDIS_PORT}"]


def test_no_reachable_host_is_an_execution_error(tmp_path):
    """Every host unreachable: each is recorded, and the command exits 10 (no docker needed, only Ansible)."""
    if shutil.which("ansible-playbook") is None:
        require("ansible", "ansible-playbook is not on PATH (pip install ansible-core ansible-runner)")
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(f"lost-a ansible_host=127.0.77.18 ansible_port={SSH_PORT}\n"
                         f"lost-b ansible_host=127.0.77.17 ansible_port={SSH_PORT}\n"
                         "[all:vars]\nansible_ssh_common_args='-o StrictHostKeyChecking=no -o ConnectTimeout=5'\n")
    out = tmp_path / "discovery.json"
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(tmp_path / "planner.db"), "discover", "run", "-i", str(inventory), "--samples", "1",
              "--interval", "0", "--format", "json", "-o", str(out)])
    assert exited.value.code == 10
    guests = json.loads(out.read_text())["guests"]
    assert [(guest["host"], guest["status"]) for guest in guests] == [("lost-a", "unreachable"),
                                                                      ("lost-b", "unreachable")]


def test_a_comma_separated_host_list_is_an_inventory(tmp_path, capsys):
    """`-i 127.0.77.19,127.0.77.20:PORT` is Ansible's host-list form, not inventory file text (no docker needed)."""
    if shutil.which("ansible-playbook") is None:
        require("ansible", "ansible-playbook is not on PATH (pip install ansible-core ansible-runner)")
    out = tmp_path / "discovery.json"
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(tmp_path / "planner.db"), "discover", "run", "-i", f"127.0.77.19,127.0.77.20:{SSH_PORT}",
              "--samples", "1", "--interval", "0", "-f", "json", "-o", str(out)])
    assert exited.value.code == 10  # nothing listens there: both unreachable, nothing stored
    guests = json.loads(out.read_text())["guests"]
    assert [guest["host"] for guest in guests] == ["127.0.77.19", "127.0.77.20"]
    assert all(guest["status"] == "unreachable" for guest in guests)
    assert f"port {SSH_PORT}" in guests[1]["errors"][0]
    assert "Could not resolve hostname" not in capsys.readouterr().err


def test_facts_for_generation_from_the_guests(guests):
    """The generation facts of the running guests: nginx's own dump, the app's exact argv/cwd/script, redis's
    config file and data directory, the python3 runtime; what they add per guest (bytes, seconds) is printed."""
    import time

    from planner.discovery.runner import DiscoveryOptions, run_discovery
    from planner.models.discovery import GuestDiscovery

    done: dict[tuple[str, str], float] = {}
    started = time.monotonic()
    run = run_discovery(DiscoveryOptions(inventory=str(guests.inventory_path), samples=1, task_timeout=30),
                        progress=lambda host, step, status: done.setdefault((host, step), time.monotonic()))
    by_host = {guest.host: guest for guest in run.guests}
    raw = {item.host: item for item in run.raw}
    for host in ("web", "app", "redis"):
        guest = by_host[host]
        assert guest.status.value == "ok", guest.errors
        added = len(raw[host].sections.get("services", "")) + len(raw[host].sections.get("appfacts", ""))
        new = guest.model_dump_json(include={"services", "config_files", "runtimes", "app_paths"})
        per_process = sum(len(json.dumps([p.argv, p.cwd, p.uid, p.gid, p.group, p.environment, p.unit]))
                          for p in guest.processes)
        seconds = {step: done[(host, step)] - done[(host, before)] for before, step in
                   (("datadirs", "services"), ("services", "appfacts")) if (host, step) in done}
        print(f"generation facts of {host}: collected {added} bytes, stored {len(new) + per_process} bytes; "
              + ", ".join(f"{step} {value:.2f} s" for step, value in seconds.items()))
        assert guest.services == []  # container guests have no systemd
        assert guest.runtimes and guest.runtimes[0].name == "python3" and guest.runtimes[0].version.startswith("3.")
        assert not any(p.argv and "collect.sh" in " ".join(p.argv) for p in guest.processes)
        assert GuestDiscovery.model_validate_json(guest.model_dump_json()) == guest
    print(f"discovery wall time with the generation facts: {time.monotonic() - started:.2f} s")

    web = {item.path: item for item in by_host["web"].config_files}
    dumped = web["/etc/nginx/conf.d/planner.conf"]
    assert dumped.dump and f"listen {WEB_ADDR}:{WEB_PORT};" in (dumped.content or "")
    assert f"server {APP_ADDR}:{APP_PORT};" in (dumped.content or "") and "/etc/nginx/nginx.conf" in web
    assert {(p.user, p.group) for p in by_host["web"].processes if p.comm == "nginx"} >= {("www-data", "www-data")}

    [app] = [p for p in by_host["app"].processes if p.argv == ["python3", "/opt/app/app.py"]]
    assert app.cwd == "/" and app.user == "nobody" and app.uid == 65534 and app.exe.startswith("/usr/bin/python3")
    assert app.environment["APP_PORT"] == str(APP_PORT) and app.environment["REDIS_ADDR"] == REDIS_ADDR
    assert "AUTHORIZED_KEY" not in app.environment
    assert any((path.path, path.kind, path.server) == ("/opt/app/app.py", "script", "python")
               for path in by_host["app"].app_paths)

    [conf] = [item for item in by_host["redis"].config_files if item.path == "/etc/redis/redis.conf"]
    assert conf.readable and "dir /var/lib/redis" in (conf.content or "") and conf.owner == "redis"
    assert any(path.path == "/var/lib/redis" and path.is_data for path in by_host["redis"].app_paths)
    [server] = [p for p in by_host["redis"].processes if p.comm == "redis-server"]
    assert server.argv and server.argv[0].startswith("redis-server") and server.user == "redis"
