"""Merging recorded discovery output (captured from the test guests web, app, redis and an unreachable host)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from planner.assess.facts import facts_by_vm
from planner.discovery.merge import merge
from planner.discovery.raw import RawGuest, RawSample
from planner.graph import analyse, graph_from_sources
from planner.graph.matching import match_guests
from planner.models import Estate, PowerState, Vm
from planner.models.discovery import GuestStatus

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def guests():
    return {path.stem: merge(RawGuest.model_validate_json(path.read_text())) for path in sorted(DATA.glob("*.json"))}


def test_status_and_identity(guests):
    assert guests["lost"].status is GuestStatus.UNREACHABLE and "Connection refused" in guests["lost"].errors[0]
    web = guests["web"]
    assert web.status is GuestStatus.OK and web.samples == 3
    assert (web.os.id, web.arch, web.system) == ("debian", "x86_64", "Linux")
    assert web.addresses == ["127.0.77.11"] and web.hostname == "web"
    assert web.package_manager == "dpkg" and any(p.name == "nginx" for p in web.packages)


def test_only_the_guests_own_sockets(guests):
    # Every guest's ss listed all sockets of the machine; ownership or the guest's address decides.
    assert {(item.port, item.process) for item in guests["web"].listeners} == {(22, "sshd"), (80, "nginx")}
    assert {(item.port, item.process) for item in guests["app"].listeners} == {(22, "sshd"), (8080, "python3")}
    assert {(item.port, item.process) for item in guests["redis"].listeners} == {(22, "sshd"), (6379, "redis-server")}


def test_connections_merged_over_samples(guests):
    [web] = guests["web"].connections
    assert (web.direction, web.peer_address, web.peer_port, web.process, web.count) == (
        "outbound", "127.0.77.12", 8080, "nginx", 3)
    assert web.local_port is None and web.first_seen < web.last_seen
    [app] = guests["app"].connections
    assert (app.peer_address, app.peer_port, app.process) == ("127.0.77.13", 6379, "python3")
    assert guests["redis"].connections == []  # its inbound peer is 127.0.0.1: inside some guest, not an edge


def test_discovery_processes_are_left_out(guests):
    for guest in guests.values():
        assert not any("collect.sh" in p.args or p.comm == "ps" for p in guest.processes)
    assert {(p.user, p.comm) for p in guests["web"].processes} >= {("root", "nginx"), ("www-data", "nginx")}


def test_data_dirs_only_for_running_services(guests):
    assert set(guests["redis"].data_dirs) == {"/var/lib/redis"}
    assert "/var/lib/redis" not in guests["web"].data_dirs and "/var/www" in guests["web"].data_dirs
    assert guests["app"].data_dirs == {}


def test_graph_groups_and_waves_from_recorded_facts(guests):
    estate = Estate(collected_at=datetime.now(UTC), vms=[
        Vm(name=name, source="vc", power_state=PowerState.ON, num_cpu=2) for name in ("web", "app", "redis")])
    report = match_guests(estate, list(guests.values()))
    assert report.matched == {"web": ("web", "inventory-name"), "app": ("app", "inventory-name"),
                              "redis": ("redis", "inventory-name")}
    assert report.unmatched == ["lost"]
    graph = graph_from_sources(estate, list(guests.values()))
    assert set(graph.edges) == {("web", "app"), ("app", "redis")}
    assert graph.edges["app", "redis"]["client_processes"] == ["python3"]
    result = analyse(graph)
    assert result.plan.wave_of == {"redis": 1, "app": 2, "web": 3}


def test_guest_facts_from_the_stored_document(guests):
    """The assessment reads the stored JSON document (stages meet through data, not imports)."""
    guest = guests["web"].model_copy(update={"vm": "web-vm"})
    facts = facts_by_vm([guest.model_dump_json()])["web-vm"]
    assert facts.os_id == "debian" and facts.os_version == "12"
    assert {(listener.port, listener.process) for listener in facts.listeners} == {(22, "sshd"), (80, "nginx")}
    assert "nginx" in facts.packages and facts.data_dirs.get("www")
    cron = {entry.command for entry in facts.crontab}
    assert any("e2scrub_all" in command for command in cron)
    assert all(entry.user == "root" for entry in facts.crontab)


def test_windows_best_effort():
    when = datetime(2026, 11, 2, tzinfo=UTC)
    sockets = json.dumps([
        {"state": "Established", "local": "192.0.2.5", "lport": 443, "peer": "192.0.2.9", "pport": 50123,
         "pid": 4, "process": "w3wp"},
        {"state": "Listen", "local": "0.0.0.0", "lport": 443, "peer": "0.0.0.0", "pport": 0, "pid": 4,
         "process": "System"},
        {"state": "Established", "local": "192.0.2.5", "lport": 50001, "peer": "192.0.2.20", "pport": 1433,
         "pid": 8, "process": "w3wp"},
    ])
    raw = RawGuest(host="win-iis-01", windows={
        "identity": json.dumps({"caption": "Microsoft Windows Server 2019", "version": "10.0.17763", "arch": "64-bit",
                                "hostname": "WIN-IIS-01", "uuid": "4210ABCD-0000-0000-0000-000000000001"}),
        "services": json.dumps([{"name": "W3SVC", "state": "Running", "start_mode": "Auto"}]),
        "iis": json.dumps(["Default Web Site"]),
    }, samples=[RawSample(received=when, text=sockets)])
    guest = merge(raw)
    assert guest.system == "Windows" and guest.windows_services[0].name == "W3SVC"
    assert guest.iis_sites == ["Default Web Site"] and guest.bios_uuid.startswith("4210abcd")
    directions = {(c.direction, c.peer_address) for c in guest.connections}
    assert directions == {("inbound", "192.0.2.9"), ("outbound", "192.0.2.20")}


def _sample(when: int, sockets: str, tool: str = "ss") -> RawSample:
    data = "\n".join("|" + line for line in sockets.split("\n"))
    text = (f"@@planner:time@@\n|{when}\n@@planner:sockets {tool}@@\n{data}\n"
            "@@planner:ps@@\n|  1 0 root /sbin/init\n@@planner:comm@@\n|  1 systemd\n@@planner:exe@@\n")
    return RawSample(received=datetime.fromtimestamp(when, tz=UTC), text=text)


def test_vm_without_root_short_lived_connections_and_netstat():
    """A real VM seen without become: other users' processes are hidden, so the postgres listener and the accepted
    connections have no owner; they count because they are bound to the address discovery reached. A short-lived
    outbound connection shows up in one sample only."""
    ss_1 = "\n".join([
        "tcp LISTEN 0 128 0.0.0.0:5432 0.0.0.0:*",
        "tcp ESTAB 0 0 192.0.2.30:5432 192.0.2.20:41000",
        "tcp ESTAB 0 0 192.0.2.30:5432 192.0.2.21:41500",
        'tcp ESTAB 0 0 192.0.2.30:40100 192.0.2.99:443 users:(("curl",pid=77,fd=3))',
        "tcp ESTAB 0 0 127.0.0.1:5432 127.0.0.1:40000",
    ])
    ss_2 = "\n".join([
        "tcp LISTEN 0 128 0.0.0.0:5432 0.0.0.0:*",
        "tcp ESTAB 0 0 192.0.2.30:5432 192.0.2.20:41002",
    ])
    netstat_3 = "tcp 0 0 192.0.2.30:5432 192.0.2.20:41003 ESTABLISHED -"
    raw = RawGuest(host="db-01", reached_address="192.0.2.30", sections={"identity": "@@planner:uname@@\n|Linux\n"},
                   samples=[_sample(1000, ss_1), _sample(1060, ss_2), _sample(1120, netstat_3, "netstat")])
    guest = merge(raw)
    assert guest.listeners == []  # 0.0.0.0 without an owner could be anyone's (shared network namespaces)
    conns = {(c.direction, c.peer_address, c.local_port, c.peer_port): c for c in guest.connections}
    assert set(conns) == {("inbound", "192.0.2.20", 5432, None), ("inbound", "192.0.2.21", 5432, None),
                          ("outbound", "192.0.2.99", None, 443)}
    app = conns[("inbound", "192.0.2.20", 5432, None)]
    assert app.count == 3 and app.first_seen == datetime.fromtimestamp(1000, tz=UTC)
    assert app.last_seen == datetime.fromtimestamp(1120, tz=UTC)
    assert conns[("outbound", "192.0.2.99", None, 443)].count == 1
    assert conns[("outbound", "192.0.2.99", None, 443)].process == "curl"


def test_dual_stack_sockets_and_loopback_peers_on_a_vm():
    """A Java service on a dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d; without root its process is hidden,
    so only the (normalised) own address attributes it. Loopback peers other than 127.0.0.1 (Debian's 127.0.1.1
    host name entry) are inside the guest on a VM reached at a real address."""
    ss = "\n".join([
        "tcp LISTEN 0 128 *:8080 *:*",
        "tcp ESTAB 0 0 [::ffff:192.0.2.30]:8080 [::ffff:192.0.2.20]:41000",
        'tcp ESTAB 0 0 127.0.0.1:40200 127.0.1.1:8080 users:(("curl",pid=70,fd=3))',
        'tcp ESTAB 0 0 192.0.2.30:40300 [::ffff:192.0.2.99]:5432 users:(("java",pid=71,fd=9))',
    ])
    raw = RawGuest(host="app-01", reached_address="192.0.2.30", sections={"identity": "@@planner:uname@@\n|Linux\n"},
                   samples=[_sample(1000, ss)])
    conns = {(c.direction, c.peer_address, c.local_port, c.peer_port) for c in merge(raw).connections}
    assert conns == {("inbound", "192.0.2.20", 8080, None), ("outbound", "192.0.2.99", None, 5432)}


def test_lab_guests_on_loopback_addresses_keep_their_edges():
    """Guests told apart by 127.0.0.N: another guest's loopback address is a peer, the guest's own is not."""
    ss = "\n".join([
        "tcp LISTEN 0 128 127.0.77.12:8078 0.0.0.0:* users:((\"python3\",pid=5,fd=3))",
        'tcp ESTAB 0 0 127.0.0.1:40200 127.0.77.13:6377 users:(("python3",pid=5,fd=4))',
        'tcp ESTAB 0 0 127.0.0.1:40201 127.0.77.12:8078 users:(("curl",pid=6,fd=3))',
    ])
    raw = RawGuest(host="app", reached_address="127.0.77.12", sections={"identity": "@@planner:uname@@\n|Linux\n"},
                   samples=[_sample(1000, ss)])
    assert [(c.direction, c.peer_address, c.peer_port) for c in merge(raw).connections] == [
        ("outbound", "127.0.77.13", 6377)]


def test_a_guest_script_named_collect_sh_is_not_mistaken_for_discovery():
    ps = ("@@planner:ps@@\n|  1 0 root /sbin/init\n|  40 1 root /bin/sh /opt/backup/collect.sh --all\n"
          "|  41 40 root rsync -a /data /backup\n"
          "|  50 1 root /bin/sh /root/.ansible/tmp/ansible-tmp-1.2-3-4/collect.sh sample\n|  51 50 root ss -tunap\n")
    raw = RawGuest(host="h", sections={"identity": "@@planner:uname@@\n|Linux\n"},
                   samples=[RawSample(received=datetime(2026, 11, 2, tzinfo=UTC), text=ps)])
    assert [p.pid for p in merge(raw).processes] == [1, 40, 41]
