"""`planner inventory collect` against the real vCenter simulator: results, env families, failures."""

from __future__ import annotations

import importlib
import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from planner.models import Estate
from planner.store import Store
from tests.support.cli import run_planner as run
from tests.support.vcsim import Vcsim

pytestmark = pytest.mark.vcsim

PASSWORD = "s3cr3t-Pa55"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "planner.db"


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


def collect_args(server: Vcsim, db: Path, password_file: Path, *extra: str) -> list[str]:
    return ["--db", str(db), "inventory", "collect", "--server", f"127.0.0.1:{server.port}", "--user", "auditor",
            "--password-file", str(password_file), "--ca-file", str(server.cert_path), *extra]


def snapshot_count(db: Path) -> int:
    if not db.exists():
        return 0
    with Store.open(db) as store:
        return len(store.list())


def test_collect_stores_the_inventory(vcsim_factory: Callable[..., Vcsim], db: Path, password_file: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    server = vcsim_factory(dc=2, cluster=2, host=2, vm=3, standalone_host=1, username="auditor", password=PASSWORD)
    assert run(collect_args(server, db, password_file, "--format", "json", "--label", "q4")) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["snapshot"]["vm_count"] == server.vm_count == 18
    with Store.open(db) as store:
        estate = store.load(store.resolve(None))
    assert len(estate.vms) == 18 and len(estate.hosts) == server.host_count == 10
    assert {c.name for c in estate.clusters} == {"DC0_C0", "DC0_C1", "DC1_C0", "DC1_C1"}
    assert {d.name for d in estate.datacenters} == {"DC0", "DC1"}
    assert estate.sources[0].name == f"127.0.0.1:{server.port}" and estate.sources[0].api_version
    vm = next(v for v in estate.vms if v.name == "DC1_C1_RP0_VM2")
    assert (vm.datacenter, vm.cluster, vm.folder) == ("DC1", "DC1_C1", "/DC1/vm")
    assert vm.host and vm.host.startswith("DC1_C1_H") and vm.disks and vm.nics and vm.instance_uuid
    standalone = [v for v in estate.vms if v.cluster is None]
    assert len(standalone) == 6 and all(v.host for v in standalone)


def test_paging_gives_the_same_estate(vcsim_factory: Callable[..., Vcsim], db: Path, password_file: Path) -> None:
    server = vcsim_factory(dc=1, cluster=2, host=1, vm=7)
    assert run(collect_args(server, db, password_file, "--page-size", "3")) == 0
    assert run(collect_args(server, db, password_file, "--page-size", "1000")) == 0
    with Store.open(db) as store:
        small, large = (store.load(s.id) for s in store.list())
    assert len(small.vms) == 14
    assert [v.model_dump(exclude={"usage"}) for v in small.vms] == [v.model_dump(exclude={"usage"}) for v in large.vms]


def test_env_families_and_several_vcenters(vcsim_factory: Callable[..., Vcsim], db: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first = vcsim_factory(vm=2)
    second = vcsim_factory(vm=3)
    bundle = tmp_path / "cas.pem"
    bundle.write_text(first.cert_path.read_text() + second.cert_path.read_text())
    monkeypatch.setenv("GOVC_URL", f"https://govcuser:{PASSWORD}@127.0.0.1:{first.port}/sdk")
    assert run(["--db", str(db), "inventory", "collect", "--ca-file", str(bundle)]) == 0
    monkeypatch.delenv("GOVC_URL")
    monkeypatch.setenv("VSPHERE_USER", "tf")
    monkeypatch.setenv("VSPHERE_PASSWORD", PASSWORD)
    assert run(["--db", str(db), "inventory", "collect", "--ca-file", str(bundle),
                "--server", f"127.0.0.1:{first.port}", "--server", f"127.0.0.1:{second.port}"]) == 0
    with Store.open(db) as store:
        one, both = (store.load(s.id) for s in store.list())
    assert len(one.vms) == 2
    assert sorted(s.name for s in both.sources) == sorted([f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"])
    assert len(both.vms) == 5 and {v.source for v in both.vms} == {s.name for s in both.sources}


def test_password_never_lands_in_store_or_output(vcsim_factory: Callable[..., Vcsim], db: Path,
                                                 password_file: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    server = vcsim_factory(username="auditor", password=PASSWORD)
    assert run(collect_args(server, db, password_file, "--format", "json")) == 0
    exported = tmp_path / "export.json"
    assert run(["--db", str(db), "inventory", "export", "-o", str(exported)]) == 0
    captured = capsys.readouterr()
    for blob in (db.read_bytes(), exported.read_bytes(), captured.out.encode(), captured.err.encode()):
        assert PASSWORD.encode() not in blob
    for wal in db.parent.glob(db.name + "*"):
        assert PASSWORD.encode() not in wal.read_bytes()


def test_export_json_round_trips(vcsim: Vcsim, db: Path, password_file: Path, tmp_path: Path) -> None:
    assert run(collect_args(vcsim, db, password_file)) == 0
    exported = tmp_path / "estate.json"
    assert run(["--db", str(db), "inventory", "export", "latest", "--format", "json", "-o", str(exported)]) == 0
    with Store.open(db) as store:
        stored = store.load(store.resolve(None))
    assert Estate.model_validate_json(exported.read_text()) == stored
    assert "vms" in json.loads(exported.read_text())


# --- failures: one clear sentence, a documented exit code, nothing stored --------------------------------------


@pytest.fixture
def seeded_db(db: Path) -> Path:
    """A store that already holds one snapshot, to show failures leave it intact."""
    from datetime import UTC, datetime

    with Store.open(db) as store:
        store.save(Estate(collected_at=datetime.now(UTC)), origin="earlier")
    return db


def assert_failed(code: int, expected: int, capsys: pytest.CaptureFixture[str], needle: str, db: Path) -> str:
    err = capsys.readouterr().err
    assert code == expected, err
    assert needle in err.replace("\n", " "), err
    assert "Traceback" not in err
    assert snapshot_count(db) == 1
    return err


def test_wrong_password(vcsim_factory: Callable[..., Vcsim], seeded_db: Path, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    server = vcsim_factory(username="auditor", password=PASSWORD)
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password")
    err = assert_failed(run(collect_args(server, seeded_db, wrong)), 6, capsys, "rejected the user name or password",
                        seeded_db)
    assert "not-the-password" not in err


def test_unreachable_host(seeded_db: Path, password_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = run(["--db", str(seeded_db), "inventory", "collect", "--server", f"127.0.0.1:{port}", "--user", "u",
                "--password-file", str(password_file)])
    assert_failed(code, 5, capsys, f"cannot reach 127.0.0.1:{port}", seeded_db)


def test_tls_mismatch(vcsim: Vcsim, seeded_db: Path, password_file: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["--db", str(seeded_db), "inventory", "collect", "--server", f"127.0.0.1:{vcsim.port}", "--user",
                "u", "--password-file", str(password_file)])
    assert_failed(code, 7, capsys, "could not be verified", seeded_db)
    # the explicit opt-out works, with a warning
    code = run(["--db", str(seeded_db), "inventory", "collect", "--server", f"127.0.0.1:{vcsim.port}", "--user",
                "u", "--password-file", str(password_file), "--insecure"])
    assert code == 0
    assert "verification is off" in capsys.readouterr().err


def test_permission_denied_on_some_objects(vcsim_factory: Callable[..., Vcsim], seeded_db: Path,
                                           password_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = vcsim_factory(vm=3, deny=["DC0_C0_RP0_VM1"])
    code = run(collect_args(server, seeded_db, password_file))
    err = assert_failed(code, 8, capsys, "may not read 1 object(s)", seeded_db)
    assert "VirtualMachine" in err


def test_connection_lost_mid_collect(vcsim_factory: Callable[..., Vcsim], seeded_db: Path, password_file: Path,
                                     capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator is killed after the first object types were read, while the session is open."""
    server = vcsim_factory(vm=4)
    collect_module = importlib.import_module("planner.sources.vcenter.collect")
    original = collect_module.retrieve
    calls = {"n": 0}

    def retrieve_then_die(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 4:
            server.kill()
        return original(*args, **kwargs)

    monkeypatch.setattr(collect_module, "retrieve", retrieve_then_die)
    code = run(collect_args(server, seeded_db, password_file))
    assert_failed(code, 5, capsys, "was lost while collecting", seeded_db)
    assert calls["n"] == 4


def test_progress_on_a_terminal_only(vcsim: Vcsim, db: Path, password_file: Path,
                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from rich.console import Console

    import planner.cli.inventory_collect as collect_cli

    screen = io.StringIO()
    monkeypatch.setattr(collect_cli, "err_console", Console(file=screen, force_terminal=True, width=100))
    assert run(collect_args(vcsim, db, password_file)) == 0
    assert "objects" in screen.getvalue() and f"127.0.0.1:{vcsim.port}" in screen.getvalue()
    # not a terminal: nothing but the result line
    monkeypatch.undo()
    assert run(collect_args(vcsim, db, password_file, "--format", "json")) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["snapshot"]["vm_count"] == 2
    assert "objects" not in captured.err


def test_unknown_property_paths_are_tolerated(vcsim: Vcsim, db: Path, password_file: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A path the server's API version lacks is left empty with a warning; the rest is collected."""
    from planner.sources.vcenter import properties

    monkeypatch.setattr(properties, "VM_PATHS", (*properties.VM_PATHS, "config.fromTheFuture"))
    assert run(collect_args(vcsim, db, password_file, "--format", "json")) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["snapshot"]["vm_count"] == 2
    assert any("VirtualMachine.config.fromTheFuture" in w for w in result["warnings"])


def test_not_a_vcenter(seeded_db: Path, password_file: Path, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    """An HTTPS server that is not a vSphere API endpoint (a web server, a vCenter whose services are down)."""
    from tests.support.https_stub import HttpsStub, make_certificate

    certificate = make_certificate(tmp_path)
    server = HttpsStub(lambda method, path: (404, b"<html>not here</html>"), certificate)
    try:
        code = run(["--db", str(seeded_db), "inventory", "collect", "--server", f"127.0.0.1:{server.port}",
                    "--user", "u", "--password-file", str(password_file), "--ca-file", str(certificate[0])])
    finally:
        server.close()
    assert_failed(code, 5, capsys, "did not answer as a vCenter or ESXi API endpoint", seeded_db)


def test_config_file_cannot_be_mixed_with_flags(vcsim: Vcsim, db: Path, password_file: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "vcenters.yaml"
    config.write_text(f"vcenters:\n  - server: 127.0.0.1:{vcsim.port}\n    user: auditor\n"
                      f"    password_file: {password_file}\n    ca_file: {vcsim.cert_path}\n")
    assert run(["--db", str(db), "inventory", "collect", "--config", str(config), "--insecure"]) == 2
    assert "cannot be combined with --insecure" in capsys.readouterr().err
    assert run(["--db", str(db), "inventory", "collect", "--config", str(config)]) == 0
    assert snapshot_count(db) == 1


def test_unwritable_store_fails_before_collecting(vcsim: Vcsim, tmp_path: Path, password_file: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    code = run(collect_args(vcsim, blocker / "planner.db", password_file))
    err = capsys.readouterr().err
    assert code == 9 and "cannot open the snapshot store" in err


def _pty_reader(master: int) -> Callable[[float], bytes]:
    """Reads what arrived on a pty's master side within ``wait`` seconds (b"" once the other side is closed)."""
    import os
    import select

    def read(wait: float) -> bytes:
        ready, _, _ = select.select([master], [], [], wait)
        if not ready:
            return b""
        try:
            return os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            return b""
    return read


def test_interrupt_stops_promptly_and_stores_nothing(vcsim_factory: Callable[..., Vcsim], seeded_db: Path,
                                                     password_file: Path) -> None:
    """Ctrl-C in the middle of a collect exits 130 and stores nothing. Deterministic: the interrupt comes only
    once the collect has reported its first page (on a terminal, as a user sees it), and with one object per
    page and 1.5 s per call at least twelve VM pages are still to read, so the collect cannot have finished."""
    import os
    import pty
    import re
    import signal
    import subprocess
    import sys

    server = vcsim_factory(vm=12, delay_ms=1500)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "planner",
                             *collect_args(server, seeded_db, password_file, "--page-size", "1")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
                            env={**os.environ, "TERM": "xterm", "COLUMNS": "160"})
    os.close(slave)
    read = _pty_reader(master)
    try:
        shown = b""
        while not re.search(rb"\b[1-9][0-9]* objects", shown):  # the first page has arrived
            assert proc.poll() is None, f"collect ended before it reported progress: {shown[-500:]!r}"
            shown += read(1.0)
        proc.send_signal(signal.SIGINT)
        while proc.poll() is None:  # keep the pty drained so the child never blocks writing to it
            shown += read(0.2)
        shown += read(0.5)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert proc.returncode == 130, shown[-1000:]
    assert b"interrupted; nothing partial was stored" in shown
    assert snapshot_count(seeded_db) == 1
