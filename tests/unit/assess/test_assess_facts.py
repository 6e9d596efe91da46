"""Guest facts: the discovery adapter, and `planner assess` on a stored snapshot (facts in, summary out)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.assess import ASSESSMENT_DOCUMENT_KIND, assess_estate
from planner.assess.facts import GuestFacts, _argv, facts_by_vm, facts_from_discovery
from planner.cli import main
from planner.errors import InputError
from planner.models.discovery import GuestDiscovery
from planner.store import Store
from tests.unit.assess.conftest import key_of, make_estate, make_vm

DISCOVERY: dict[str, Any] = {
    "format_version": 1, "host": "app01.example.com", "vm": "app01", "status": "ok",
    "os": {"id": "debian", "version_id": "10"}, "kernel": "4.19.0-27-amd64", "arch": "x86_64",
    "processes": [{"pid": 1, "comm": "systemd", "user": "root", "exe": "/usr/lib/systemd/systemd",
                   "args": "/sbin/init"},
                  {"pid": 9, "comm": "mysqld", "user": "mysql", "exe": "/usr/sbin/mysqld", "args": "/usr/sbin/mysqld"}],
    "listeners": [{"protocol": "tcp6", "address": "10.1.2.3", "port": 3306, "process": "mysqld"}],
    "mounts": [{"device": "nas:/exp", "mountpoint": "/data", "fstype": "nfs4", "network": True}],
    "packages": [{"name": "mariadb-server", "version": "10.3"}],
    "systemd_units": [{"name": "mariadb.service", "active": "active"}, {"name": "old.service", "active": "inactive"}],
    "crontabs": [{"source": "/etc/cron.d/backup", "line": "0 2 * * * root /usr/local/bin/backup"}],
    "hosts_entries": [{"address": "10.9.9.9", "names": ["ldap.example.com"]}],
    "selinux": None, "kernel_modules": [], "container_runtimes": ["docker"],
    "data_dirs": {"/var/lib/mysql": 80 * 1024**3}, "memory_used_mib": 2048, "cpu_used_cores": 0.5,
}


def adapt(document: dict[str, Any]) -> GuestFacts | None:
    return facts_from_discovery(GuestDiscovery.model_validate(document))


def test_adapter_maps_the_discovery_contract() -> None:
    facts = adapt(DISCOVERY)
    assert facts is not None
    assert (facts.os_id, facts.os_version, facts.kernel) == ("debian", "10", "4.19.0-27-amd64")
    assert [p.name for p in facts.processes] == ["systemd", "mysqld"]
    assert facts.listeners[0].protocol == "tcp" and facts.mounts[0].target == "/data"
    assert facts.systemd_units == ["mariadb.service"]
    assert facts.crontab[0].schedule == "0 2 * * *"
    assert (facts.crontab[0].user, facts.crontab[0].command) == ("root", "/usr/local/bin/backup")
    assert facts.data_dirs == {"mysql": 80 * 1024**3}
    rules = {f.rule for f in assess_estate(make_estate(), facts={key_of(make_vm()): facts}).vms[0].findings}
    assert {"ARC005", "GST001", "GST002", "GST003", "GST006", "GST007", "GST008", "GST010"} <= rules


def test_unreached_and_unmatched_guests_give_no_facts() -> None:
    assert adapt({**DISCOVERY, "status": "unreachable"}) is None
    assert facts_by_vm([{**DISCOVERY, "vm": None}, json.dumps(DISCOVERY)]).keys() == {"app01"}
    with pytest.raises(InputError, match="unreadable discovery document"):
        facts_by_vm(["{not json"])


def test_adapter_accepts_discovery_models() -> None:
    guest = GuestDiscovery.model_validate(DISCOVERY)
    assert facts_by_vm([guest.model_dump_json()])["app01"] == facts_from_discovery(guest) == adapt(DISCOVERY)
    assert facts_by_vm([guest])["app01"] == adapt(DISCOVERY)


def test_adapter_keeps_the_process_name_when_args_rewrite_argv0() -> None:
    """Without root, ``exe`` is unreadable: nginx's argv is ``nginx: master process …``, so its name is comm."""
    document = {**DISCOVERY, "processes": [
        {"pid": 10, "comm": "nginx", "user": "root", "args": "nginx: master process /usr/sbin/nginx -g daemon on;"},
        {"pid": 11, "comm": "postgres", "user": "postgres", "args": "postgres: checkpointer"},
        {"pid": 12, "comm": "containerd-shim", "args": "/usr/bin/containerd-shim-runc-v2 -namespace moby"},
        {"pid": 13, "comm": "python3", "args": "/usr/bin/python3 /opt/app/app.py"},
        {"pid": 14, "comm": "redis-server", "exe": "/usr/bin/redis-check-rdb", "args": "redis-server 127.0.0.1:6379"}]}
    facts = adapt(document)
    assert facts is not None
    assert [p.name for p in facts.processes] == ["nginx", "postgres", "containerd-shim-runc-v2", "python3",
                                                 "redis-check-rdb"]
    assert facts.processes[0].cmdline[:3] == ["nginx:", "master", "process"]  # argv itself is kept as it is


def test_adapter_is_tolerant_of_a_guest_with_little_data() -> None:
    facts = facts_from_discovery(GuestDiscovery(host="bare", processes=[{"pid": 1, "comm": "init"}]))
    assert facts is not None and facts.os_id is None and [p.name for p in facts.processes] == ["init"]
    assert facts.listeners == facts.mounts == facts.crontab == [] and facts.data_dirs == {}


def test_stored_snapshot_uses_discovery_and_keeps_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "planner.db"
    with Store.open(db) as store:
        info = store.save(make_estate([make_vm(), make_vm(name="db02")]), origin="test")
        store.save_document(info.id, "discovery", "app01.example.com", json.dumps(DISCOVERY))
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(db), "assess", str(info.id), "--format", "json"])
    assert exit_info.value.code == 0
    data = {item["vm"]: item for item in json.loads(capsys.readouterr().out)["vms"]}
    assert "GST001" in {f["rule"] for f in data["app01"]["findings"]}
    assert data["app01"]["sizing"]["basis"] == {"cpu": "discovery", "memory": "discovery"}
    assert not any(f["rule"].startswith("GST") for f in data["db02"]["findings"])
    with Store.open(db) as store:
        summary = json.loads(store.documents(info.id, ASSESSMENT_DOCUMENT_KIND)["latest"])
    assert summary["format_version"] == 1
    assert {v["vm"]: v["strategy"] for v in summary["vms"]} == {k: v["strategy"] for k, v in data.items()}
    assert {v["vm"]: v["vm_key"] for v in summary["vms"]} == {k: v["vm_key"] for k, v in data.items()}


def test_adapter_details_from_the_discovery_contract() -> None:
    """Cron user fields, argv quoting, listener protocols, unit states and data directories by service."""
    document = {
        **DISCOVERY,
        "processes": [{"pid": 5, "comm": "java", "user": None, "args": "java -Dname='a b' -jar app.jar"},
                      {"pid": 6, "comm": "odd", "args": "odd 'unbalanced"}, {"pid": 7, "comm": "kworker", "args": ""}],
        "listeners": [{"protocol": "udp6", "address": "::", "port": 53}, {"protocol": "raw", "address": "*", "port": 0},
                      {"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"}],
        "systemd_units": [{"name": "a.service", "active": "inactive", "sub": "dead", "load": "enabled"},
                          {"name": "b.service", "active": "failed", "sub": "failed", "load": "loaded"},
                          {"name": "c.service", "active": "active", "sub": "running", "load": "loaded"},
                          {"name": "c.service", "active": "active", "sub": "running", "load": "loaded"}],
        "crontabs": [{"source": "/etc/crontab", "line": "SHELL=/bin/sh"},
                     {"source": "/etc/crontab", "line": "17 * * * * root cd / && run-parts /etc/cron.hourly"},
                     {"source": "/var/spool/cron/crontabs/alice", "line": "@daily /home/alice/report.sh"},
                     {"source": "/etc/cron.d/broken", "line": "0 2 * *"}],
        "data_dirs": {"/var/lib/pgsql": 10, "/var/lib/postgresql": 5, "/data/custom": 7},
    }
    facts = adapt(document)
    assert facts is not None
    assert facts.processes[0].cmdline == ["java", "-Dname=a b", "-jar", "app.jar"]
    assert facts.processes[1].cmdline == ["odd", "'unbalanced"] and facts.processes[2].cmdline == ["kworker"]
    assert [(item.protocol, item.port) for item in facts.listeners] == [("udp", 53), ("tcp", 22)]
    assert facts.systemd_units == ["a.service", "c.service"]
    assert [(c.user, c.schedule, c.command) for c in facts.crontab] == [
        ("root", "17 * * * *", "cd / && run-parts /etc/cron.hourly"), ("alice", "@daily", "/home/alice/report.sh")]
    assert facts.data_dirs == {"postgresql": 15, "/data/custom": 7}


@given(st.text(alphabet=st.sampled_from(list("ab -=/:\t\n\r\x0b\u00a0'\"\\#;")), max_size=40))
def test_argv_splits_as_the_shell_would(args: str) -> None:
    """The fast path for arguments without quotes gives exactly what shlex gives (it is only faster)."""
    try:
        expected = shlex.split(args)
    except ValueError:  # unbalanced quotes: the adapter falls back to whitespace
        return
    assert _argv(args) == expected
