"""Discovery on a real estate: odd guest output, a controller on another address, non-root accounts, secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.discovery import merge as merge_module
from planner.discovery import owners
from planner.discovery.merge import merge
from planner.discovery.raw import RawGuest, RawSample
from planner.models.discovery import GuestStatus

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECRET = "Hunter2-db-pass"


def block(name: str, lines: list[str]) -> str:
    return "\n".join([f"@@planner:{name}@@", *("|" + line for line in lines)])


def identity(ssh: str = "127.0.77.2 50000 127.0.77.11 2277", mounts: list[str] | None = None) -> str:
    return "\n".join([block("uname", ["Linux", "6.1.0", "x86_64"]), block("hostname", ["web"]),
                      block("ssh-connection", [ssh]), block("os-release", ["ID=debian", 'VERSION_ID="12"']),
                      block("mounts", mounts or ["proc /proc proc rw,nosuid 0 0"])])


def raw_guest(samples: list[str], ident: str | None = None, host: str = "web",
              address: str = "127.0.77.11") -> RawGuest:
    return RawGuest(host=host, reached_address=address, sections={"identity": ident or identity()},
                    samples=[RawSample(received=NOW, text=text) for text in samples])


def ss(*lines: str) -> str:
    return block("sockets ss", ["Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process", *lines])


# 3. one odd guest never aborts the run

def test_non_ascii_digits_and_huge_numbers_are_not_numbers():
    sample = "\n".join([
        block("time", ["99999999999999999999"]),
        block("stat", ["cpu  1² 0 3 4", "cpu0 1 2 3 4"]),
        ss('tcp LISTEN 0 5 127.0.77.11:8\uff1077 0.0.0.0:* users:(("nginx",pid=²,fd=5))',
           "tcp LISTEN 0 5 127.0.77.11:99999 0.0.0.0:*",
           'tcp LISTEN 0 5 127.0.77.11:2277 0.0.0.0:* users:(("sshd",pid=7,fd=3))'),
        block("ps", ["² 1 root nginx", "٣ 1 root x", "7 1 root /usr/sbin/sshd -D", "99999999999 1 root big"]),
        block("comm", ["² nginx", "7 sshd"]),
        block("exe", ["lrwxrwxrwx 1 root root 0 Nov 29 15:00 /proc/²/exe -> /x"]),
    ])
    guest = merge(raw_guest([sample]))
    assert guest.status is GuestStatus.OK, guest.errors
    assert [(p.pid, p.comm) for p in guest.processes] == [(7, "sshd")]
    assert {(item.port, item.process) for item in guest.listeners} == {(2277, "sshd")}
    assert guest.first_seen == NOW  # the guest's "time" was no timestamp: the controller's receive time counts
    json.loads(guest.model_dump_json())


def test_undecodable_bytes_still_store():
    sample = block("ps", ["7 1 root /usr/bin/app \udcff\ud800 --x"])
    guest = merge(raw_guest([sample]))
    assert guest.status is GuestStatus.OK and "\ufffd" in guest.processes[0].args
    guest.model_dump_json()


def test_unreadable_output_fails_that_host_only(monkeypatch):
    def broken(*args: object) -> list[object]:
        raise ValueError(f"cannot read --password={SECRET}")

    good = merge(raw_guest([block("ps", ["7 1 root sshd"])], host="app"))
    monkeypatch.setattr(merge_module.parse, "processes", broken)
    bad = merge(raw_guest([block("ps", ["7 1 root sshd"])]))
    assert good.status is GuestStatus.OK
    assert bad.status is GuestStatus.FAILED and bad.host == "web" and bad.reached_address == "127.0.77.11"
    assert bad.errors[-1].startswith("output could not be read: ValueError: cannot read")
    assert SECRET not in bad.errors[-1]


SECTION_NAMES = ["time", "stat", "sockets ss", "sockets netstat", "ps", "comm", "exe", "account", "session",
                 "uids", "procnet", "uname", "hostname", "ssh-connection", "addresses", "mounts", "hosts", "cron x",
                 "meminfo", "modules", "packages dpkg", "packages apk", "datadirs", "units", "unit-files"]
HOSTILE = st.sampled_from(["²", "٣", "99999999999999999999999", "-1", "0", "65536", "0A", "@@planner:ps@@", "|",
                           "\x00", "\r", "\x1b[2J", "\u2028", "\udcff", "users:((\"x\",pid=1,fd=3))", ":", "[::]",
                           "*:*", "0.0.0.0:80", "127.0.77.11:2277", "LISTEN", "ESTAB", "tcp", "udp", "/proc/1/exe",
                           " -> ", "ffff", "00000000:0050", "\t", "inet", "("])
WORD = st.one_of(HOSTILE, st.text(max_size=12), st.integers(-(2**70), 2**70).map(str))
LINE = st.lists(WORD, max_size=8).map(" ".join)
SECTION = st.tuples(st.sampled_from(SECTION_NAMES), st.lists(LINE, max_size=6))
OUTPUT = st.lists(SECTION, max_size=8).map(lambda parts: "\n".join(block(name, body) for name, body in parts))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ident=OUTPUT, samples=st.lists(OUTPUT, max_size=3), junk=st.text(max_size=40))
def test_fuzzed_collect_output_never_breaks_the_parser(ident, samples, junk):
    """collect.sh-shaped output with hostile words is parsed without any exception (the guard is not needed)."""
    raw = raw_guest([junk + text for text in samples], ident=ident + "\n" + junk)
    guest = merge_module._merge(merge_module._clean(raw))
    json.loads(guest.model_dump_json())
    assert not any(error.startswith("output could not be read") for error in merge(raw).errors)


# 2. the controller's own SSH session is never a dependency

def test_the_controllers_ssh_sessions_are_not_connections():
    sample = "\n".join([
        block("session", ["127.0.77.2 50000 127.0.77.11 2277"]),
        ss('tcp LISTEN 0 5 127.0.77.11:2277 0.0.0.0:* users:(("sshd",pid=7,fd=3))',
           'tcp LISTEN 0 5 127.0.77.11:8077 0.0.0.0:* users:(("nginx",pid=9,fd=3))',
           'tcp ESTAB 0 0 127.0.77.11:2277 127.0.77.2:50000 users:(("sshd",pid=20,fd=4))',
           "tcp ESTAB 0 0 127.0.77.11:2277 127.0.77.2:50004",  # an earlier task's session (ControlPersist)
           'tcp ESTAB 0 0 127.0.77.11:8077 198.51.100.7:40000 users:(("nginx",pid=9,fd=8))'),
    ])
    guest = merge(raw_guest([sample]))
    assert [(c.direction, c.peer_address, c.local_port) for c in guest.connections] == [
        ("inbound", "198.51.100.7", 8077)]
    assert "127.0.77.2" not in guest.addresses


# 4. non-root discovery

def _proc_hex(address: str, port: int) -> str:
    return "".join(f"{int(part):02X}" for part in reversed(address.split("."))) + f":{port:04X}"


def nonroot_sample(uid: str = "1001") -> str:
    return "\n".join([
        block("account", [uid, "audit" if uid != "0" else "root"]),
        block("session", ["127.0.77.2 50000 127.0.77.12 2277"]),
        ss("tcp LISTEN 0 5 0.0.0.0:8079 0.0.0.0:*", "tcp LISTEN 0 5 127.0.77.12:8078 0.0.0.0:*",
           "tcp LISTEN 0 5 127.0.77.12:2277 0.0.0.0:*", "tcp LISTEN 0 5 0.0.0.0:2024 0.0.0.0:*",
           "tcp LISTEN 0 5 0.0.0.0:9999 0.0.0.0:*", "tcp LISTEN 0 5 0.0.0.0:2049 0.0.0.0:*",
           "tcp ESTAB 0 0 127.0.77.12:41000 127.0.77.13:6377"),
        block("procnet", [f"tcp {_proc_hex('0.0.0.0', 8079)} 00000000:0000 0A 65534 501",
                          f"tcp {_proc_hex('127.0.77.12', 8078)} 00000000:0000 0A 65534 502",
                          f"tcp {_proc_hex('127.0.77.12', 2277)} 00000000:0000 0A 0 503",
                          f"tcp {_proc_hex('0.0.0.0', 2024)} 00000000:0000 0A 0 449",
                          f"tcp {_proc_hex('0.0.0.0', 9999)} 00000000:0000 0A 33 777",
                          f"tcp {_proc_hex('0.0.0.0', 2049)} 00000000:0000 0A 0 0"]),
        block("uids", ["1 0", "7 0", "9 65534", "30 1001"]),
        block("ps", ["1 0 root sleep infinity", "7 1 root /usr/sbin/sshd -D -o ListenAddress=127.0.77.12:2277",
                     "9 1 nobody python3 /opt/app/app.py", "30 7 audit -sh"]),
        block("comm", ["1 sleep", "7 sshd", "9 python3", "30 sh"]),
        block("exe", ["lrwxrwxrwx 1 audit audit 0 Nov 29 15:00 /proc/30/exe -> /bin/dash"]),
    ])


def test_non_root_keeps_wildcard_listeners_and_infers_owners():
    guest = merge(raw_guest([nonroot_sample()], ident=identity("127.0.77.2 50000 127.0.77.12 2277"), host="app",
                            address="127.0.77.12"))
    listeners = {(item.address, item.port): (item.process, item.pid) for item in guest.listeners}
    assert listeners == {
        ("0.0.0.0", 8079): ("python3", 9),  # uid 65534 runs only python3 here
        ("127.0.77.12", 8078): ("python3", 9),
        ("127.0.77.12", 2277): ("sshd", 7),  # its command line names the port
        ("0.0.0.0", 2024): (None, None),  # root's, owner unknown: kept
        ("0.0.0.0", 2049): (None, None),  # a kernel socket (inode 0, nfsd)
    }  # 0.0.0.0:9999 belongs to uid 33, which runs nothing here: a neighbour sharing the network namespace
    assert guest.processes[0].exe is None and guest.processes[1].exe == "/usr/sbin/sshd"
    missing = "\n".join(guest.missing_privileges)
    assert "owner of 2 listening sockets unknown" in missing and "--become" in missing
    assert "owner of 3 listening sockets inferred" in missing
    assert "process of 1 connection unknown" in missing and "crontabs" in missing


def test_as_root_an_ownerless_root_socket_is_a_neighbours():
    guest = merge(raw_guest([nonroot_sample(uid="0")], ident=identity("127.0.77.2 50000 127.0.77.12 2277"),
                            host="app", address="127.0.77.12"))
    wildcards = {item.port: item.process for item in guest.listeners if item.address == "0.0.0.0"}
    # root reads every root process's descriptors: the ownerless root socket (2024) is a neighbour's, as is uid
    # 33's (no process here); the kernel's (2049) and one of a uid running here (8079: its owner inferred) stay
    assert wildcards == {2049: None, 8079: "python3"}
    assert guest.missing_privileges == []


def test_hidepid_keeps_every_wildcard_and_says_why():
    ident = identity("127.0.77.2 50000 127.0.77.12 2277", mounts=["proc /proc proc rw,hidepid=invisible 0 0"])
    guest = merge(raw_guest([nonroot_sample()], ident=ident, host="app", address="127.0.77.12"))
    assert 9999 in {item.port for item in guest.listeners}
    assert any("hidepid" in sentence for sentence in guest.missing_privileges)


def test_procnet_addresses():
    text = "\n".join([
        "tcp 0100007F:1F90 00000000:0000 0A 1000 11", "tcp6 00000000000000000000000001000000:0016 x 0A 0 12",
        "tcp6 0000000000000000FFFF00000B4D007F:0050 x 0A 33 13", "udp 00000000:0044 00000000:0000 07 0 0",
        "tcp ZZZZ:1F90 x 0A 1 1", "tcp 0100007F:1F90 x 0A ² 1",
    ])
    found = owners.procnet(text)
    assert set(found) == {("tcp", "127.0.0.1", 8080), ("tcp", "::1", 22), ("tcp", "127.0.77.11", 80),
                          ("udp", "*", 68)}
    assert found[("tcp", "127.0.77.11", 80)].uid == 33


# 6. secrets never stored

def test_secrets_in_process_arguments_and_cron_are_redacted():
    sample = block("ps", [f"7 1 root mysqld --password={SECRET}", f"8 1 app /usr/bin/worker postgres://a:{SECRET}@db/x",
                          f"9 1 app env PGPASSWORD={SECRET} psql"])
    ident = identity() + "\n" + block("cron /etc/cron.d/backup", [f"0 2 * * * root mysqldump -p{SECRET} shop"])
    raw = raw_guest([sample], ident=ident)
    raw.sections["crontabs"] = block("cron /etc/cron.d/backup", [f"0 2 * * * root mysqldump -p{SECRET} shop"])
    document = merge(raw).model_dump_json()
    assert SECRET not in document and document.count("<redacted>") == 4


@pytest.mark.parametrize("stamp", ["1795964491", "0"])
def test_real_timestamps_are_read(stamp):
    guest = merge(raw_guest([block("time", [stamp])]))
    assert guest.first_seen == datetime.fromtimestamp(int(stamp), tz=UTC)


def test_no_secret_reaches_the_store_json_table_or_messages(tmp_path, capsys, monkeypatch):
    from planner.cli import discover as discover_cli
    from planner.discovery.runner import DiscoveryRun
    from planner.models import Estate, PowerState, Vm
    from planner.store import Store
    from tests.support.cli import run_planner

    raw = raw_guest([block("ps", [f"7 1 root mysqld --password={SECRET}", f"9 1 app curl -u me:{SECRET} http://x"])])
    raw.errors.append(f"crontabs: /bin/sh: mysqldump -p{SECRET}: not found")
    monkeypatch.setattr(discover_cli, "resolve_inventory", lambda text: {"all": {"hosts": {}}})
    monkeypatch.setattr(discover_cli, "run_discovery",
                        lambda options, progress=None: DiscoveryRun([merge(raw)], [raw], 0, "successful", 1.0))
    db = tmp_path / "planner.db"
    with Store.open(db) as store:
        snapshot_id = store.save(Estate(collected_at=NOW, vms=[Vm(name="web", source="vc", power_state=PowerState.ON,
                                                                  num_cpu=1)]), origin="test").id
    for form in ("table", "json"):
        assert run_planner(["--db", str(db), "discover", "run", "-i", "web,", "-f", form]) == 0
        out, err = capsys.readouterr()
        assert SECRET not in out and SECRET not in err and (form == "table" or "<redacted>" in out)
        assert form == "json" or "<redacted>" in err  # the guest's error, printed on stderr
    with Store.open(db) as store:
        stored = store.documents(snapshot_id, "discovery")
    assert stored and all(SECRET not in body for body in stored.values())


def test_sample_finds_the_ssh_session_behind_become():
    """sudo drops SSH_CONNECTION: the sample reads it from the nearest ancestor (run here, read-only)."""
    import os
    import subprocess

    from planner.discovery.parse import section_map
    from planner.discovery.runner import PLAYBOOK_DIR

    script = PLAYBOOK_DIR / "files" / "collect.sh"
    session = "192.0.2.9 5555 192.0.2.10 22"
    env = {**os.environ, "SSH_CONNECTION": session}
    result = subprocess.run(["sh", "-c", f"env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin sh {script} sample"], env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    sections = section_map(result.stdout)
    assert sections["session"] == session
    assert sections["account"].split("\n")[0] == str(os.getuid())
    assert owners.uids(sections["uids"])[os.getpid()] == os.getuid()


def test_under_become_the_samples_session_gives_the_own_address():
    sample = "\n".join([block("session", ["192.0.2.9 5555 198.51.100.20 22"]),
                        ss("tcp LISTEN 0 5 198.51.100.20:5432 0.0.0.0:*",
                           "tcp ESTAB 0 0 198.51.100.20:22 192.0.2.9:5999")])
    guest = merge(raw_guest([sample], ident=identity(ssh=""), address="db01.example.com"))
    assert guest.addresses == ["198.51.100.20"] and guest.connections == []
    assert [(item.address, item.port) for item in guest.listeners] == [("198.51.100.20", 5432)]


def test_mount_credentials_are_redacted():
    from planner.discovery.parse import mounts

    [mount] = mounts(f"//backup:{SECRET}@nas/share /mnt/b cifs rw,username=backup,password={SECRET} 0 0")
    assert SECRET not in mount.model_dump_json() and "password=<redacted>" in mount.options
