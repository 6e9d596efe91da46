"""Storage facts (issue 15): `collect.sh storage` run on this machine, its parser, and the rules that read it."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.assess import assess_estate
from planner.assess.facts import facts_from_discovery
from planner.discovery import storagefacts
from planner.discovery.merge import merge
from planner.discovery.raw import RawGuest, RawSample
from planner.discovery.runner import PLAYBOOK_DIR
from planner.models.discovery import GuestDiscovery
from tests.unit.assess.conftest import key_of, make_estate, make_vm

SCRIPT = PLAYBOOK_DIR / "files" / "collect.sh"
RECORDED = (
    "@@planner:nfs-exports@@\n"
    "|/srv/share   192.0.2.0/24(rw,sync,no_subtree_check) \\\n"
    "|             198.51.100.7(ro)\n"
    "|/export/home *(ro)\n"
    "@@planner:nfsd@@\n|threads 8\n|kthreads 8\n"
    "@@planner:block-fds@@\n"
    "|4242\toracle\t/dev/mapper/asm-data1\n|4242\toracle\t/dev/mapper/asm-data1\n|4243\tora_dbw0\t/dev/sdc\n"
)


def test_recorded_output_is_parsed() -> None:
    guest = GuestDiscovery(host="db")
    storagefacts.apply(RECORDED, guest)
    assert guest.nfs_exports == ["/srv/share 192.0.2.0/24(rw,sync,no_subtree_check) 198.51.100.7(ro)",
                                 "/export/home *(ro)"]
    assert guest.nfs_server is True
    assert [(b.pid, b.process, b.device) for b in guest.block_devices] == [
        (4242, "oracle", "/dev/mapper/asm-data1"), (4243, "ora_dbw0", "/dev/sdc")]


@pytest.mark.parametrize(("text", "expected"), [
    ("|threads 0\n|kthreads 0\n", False), ("|kthreads 0\n", False), ("|kthreads 4\n", True),
    ("|threads ²\n", None), ("|threads 99999999999999999999\n", None), ("", None),
])
def test_nfs_server_state(text: str, expected: bool | None) -> None:
    assert storagefacts.nfs_server(storagefacts.parse.section_map("@@planner:nfsd@@\n" + text).get("nfsd")) is expected


def test_hostile_output_is_skipped_not_fatal() -> None:
    text = ("@@planner:block-fds@@\n|²\tx\t/dev/sda\n|12\tx\t/etc/passwd\n|12\tx\n|12\t" + "A" * 500 + "\t/dev/sdb\n"
            "|13\tevil\t/dev/" + "x" * 600 + "\n@@planner:nfsd@@\n|threads -1\n")
    guest = GuestDiscovery(host="odd")
    storagefacts.apply(text, guest)
    assert [(b.pid, len(b.process or ""), b.device) for b in guest.block_devices] == [(12, 64, "/dev/sdb")]
    assert guest.nfs_server is None and guest.nfs_exports == []


def test_no_storage_output_leaves_the_facts_unknown() -> None:
    raw = RawGuest(host="h", sections={"identity": "@@planner:uname@@\n|Linux\n|6.1.0\n|x86_64\n"},
                   samples=[RawSample(received=datetime(2026, 11, 2, tzinfo=UTC), text="")])
    guest = merge(raw)
    assert (guest.nfs_exports, guest.nfs_server, guest.block_devices) == ([], None, [])


def test_merged_facts_reach_the_rules() -> None:
    raw = RawGuest(host="db01", planner_vm="db01", sections={
        "identity": "@@planner:uname@@\n|Linux\n|6.1.0\n|aarch64\n@@planner:os-release@@\n|ID=debian\n"
                    "|VERSION_ID=12\n", "storage": RECORDED})
    guest = merge(raw)
    guest.vm = "db01"
    facts = facts_from_discovery(GuestDiscovery.model_validate_json(guest.model_dump_json()))
    assert facts is not None and facts.nfs_server is True and len(facts.block_devices) == 2
    result = assess_estate(make_estate([make_vm(name="db01")]), facts={key_of(make_vm(name="db01")): facts}).vms[0]
    fired = {f.rule for f in result.findings}
    assert {"GST014", "GST015", "ARC008"} <= fired and "ARC007" not in fired and result.guest_data


def _openable_block_device() -> str | None:
    for name in sorted(os.listdir("/dev")):
        path = f"/dev/{name}"
        try:
            if not Path(path).is_block_device():
                continue
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
            return path
        except OSError:
            continue
    return None


def test_collect_script_sees_a_block_device_a_process_holds_open() -> None:
    """Real run on this machine: a child process opens a block device read-only (nothing is written or changed);
    collect.sh reports it with the child's pid and name, and nothing else is mistaken for a block device."""
    device = _openable_block_device()
    if device is None:
        pytest.skip("no block device this account can open read-only")
    holder = subprocess.Popen(["python3", "-c", "import os,sys,time; fd=os.open(sys.argv[1], os.O_RDONLY | "
                               "os.O_NONBLOCK); print('ready', flush=True); time.sleep(60)", device],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = subprocess.run(["sh", str(SCRIPT), "storage"], capture_output=True, text=True, timeout=120,
                                check=True)
    finally:
        holder.kill()
        holder.wait()
    guest = GuestDiscovery(host="here")
    storagefacts.apply(result.stdout, guest)
    assert any(b.pid == holder.pid and b.device == device and b.process == "python3" for b in guest.block_devices)
    assert all(Path(b.device).is_block_device() or not Path(b.device).exists() for b in guest.block_devices)
    assert guest.nfs_server in (True, False)  # ps answered: running or not, never "unknown" here


_LINE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["nfs-exports", "nfsd", "block-fds", "other"]),
                          st.lists(st.one_of(_LINE, st.builds(lambda a, b, c: f"{a}\t{b}\t{c}", _LINE, _LINE, _LINE),
                                             st.builds(lambda n: f"threads {n}", _LINE)), max_size=5)),
                max_size=6))
def test_any_storage_output_parses_without_error(parts: list[tuple[str, list[str]]]) -> None:
    """collect.sh-shaped output with arbitrary guest text: never an exception, always bounded, valid facts."""
    text = "".join(f"@@planner:{name}@@\n" + "".join(f"|{line}\n" for line in lines) for name, lines in parts)
    guest = GuestDiscovery(host="fuzz")
    storagefacts.apply(text, guest)
    assert all(b.device.startswith("/dev/") and b.pid >= 0 for b in guest.block_devices)
    assert len(guest.nfs_exports) <= storagefacts.MAX_EXPORTS
    GuestDiscovery.model_validate_json(guest.model_dump_json())
