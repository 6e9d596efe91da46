"""End to end: Ansible discovers three container guests over SSH while traffic flows web -> app -> redis.

Guests are Docker containers with host networking, each with sshd and its services on its own 127.0.77.N
(tests/support/guests.py). A fourth inventory host has no sshd: it must be recorded as unreachable while the
others go on. Discovery runs through `planner discover run` (ansible-runner), results are stored with a snapshot,
matched to its VMs, and `planner graph` / `planner waves` turn them into edges, move groups and waves.
"""

from __future__ import annotations

import html
import json
import shutil
from datetime import UTC, datetime

import networkx as nx
import pytest

from planner.assess.facts import facts_by_vm
from planner.cli import main
from planner.discovery.storage import load_guests
from planner.models import Estate, Nic, PowerState, Vm
from planner.store import Store
from tests.support.components import require
from tests.support.guests import (
    APP_ADDR,
    APP_PORT,
    REDIS_ADDR,
    REDIS_PORT,
    SSH_PORT,
    WEB_ADDR,
    WEB_PORT,
    TrafficGenerator,
    running_guests,
)

pytestmark = [pytest.mark.docker, pytest.mark.ansible]


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
    assert result["format_version"] == 2 and result["snapshot"] == f"#{snapshot_id}"
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
    assert listeners("app") == {(APP_ADDR, SSH_PORT, "sshd"), (APP_ADDR, APP_PORT, "python3")}
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

    # Matching: by inventory name, and by guest IP for the VM named differently.
    assert (by_host["web"]["vm"], by_host["web"]["matched_by"]) == ("web", "inventory-name")
    assert (by_host["redis"]["vm"], by_host["redis"]["matched_by"]) == ("cache-redis-01", "guest-ip")
    assert by_host["lost"]["vm"] is None

    # Stored with the snapshot; the assessment's facts come from it.
    with Store.open(db) as store:
        stored = {guest.host: guest for guest in load_guests(store, snapshot_id)}
    assert set(stored) == {"web", "app", "redis", "lost"}
    with Store.open(db) as store:
        facts = facts_by_vm(store.documents(snapshot_id, "discovery").values())["cache-redis-01"]
    assert facts.os_id == "debian" and "redis" in facts.data_dirs
    assert any(listener.port == REDIS_PORT for listener in facts.listeners)

    # Graph: edges web -> app -> redis with ports and processes; JSON and GraphML load back.
    graph_json = tmp_path / "graph.json"
    _run("--db", str(db), "graph", "--format", "json", "-o", str(graph_json))
    graph = nx.node_link_graph(json.loads(graph_json.read_text()), edges="links")
    assert set(graph.edges) == {("web", "app"), ("app", "cache-redis-01")}
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
