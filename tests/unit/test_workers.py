"""planner.workers: forked workers give the serial answer, in order, and any failure falls back to it."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from planner import workers
from planner.assess import ASSESSMENT_DOCUMENT_KIND, assess_estate
from planner.plan.example import example_estate
from planner.store import Store, parts
from tests.support.cli import run_planner

PARENT = os.getpid()


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two usable cores and no per-worker minimum, whatever the machine running the tests."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(workers, "MIN_PER_WORKER", 1)
    monkeypatch.delenv(workers.WORKERS_ENV, raising=False)


def where(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


def test_the_second_half_is_computed_by_a_child_in_order(two_cores: None) -> None:
    results = workers.forked_map(where, range(10))
    assert [value for value, _pid in results] == [item * item for item in range(10)]
    assert {pid for _value, pid in results[:5]} == {PARENT}
    assert PARENT not in {pid for _value, pid in results[5:]}


def test_planner_workers_1_turns_forking_off(two_cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(workers.WORKERS_ENV, "1")
    assert workers.worker_count(10) == 1
    assert {pid for _value, pid in workers.forked_map(where, range(10))} == {PARENT}


def test_few_items_or_one_core_are_not_forked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert workers.worker_count(workers.MIN_PER_WORKER * 2 - 1) == 1
    assert workers.worker_count(workers.MIN_PER_WORKER * 2) == 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0}, raising=False)
    assert workers.worker_count(workers.MIN_PER_WORKER * 10) == 1


def fails_in_a_child(item: int) -> tuple[int, int]:
    if os.getpid() != PARENT:
        raise RuntimeError("broken worker")
    return where(item)


def killed_in_a_child(item: int) -> tuple[int, int]:
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return where(item)


@pytest.mark.parametrize("function", [fails_in_a_child, killed_in_a_child])
def test_a_failed_child_share_is_computed_here(two_cores: None, function) -> None:
    results = workers.forked_map(function, range(10))
    assert results == [(item * item, PARENT) for item in range(10)]


def test_only_child_results_are_packed_and_unpacked(two_cores: None) -> None:
    results = workers.forked_map(where, range(6), pack=lambda r: ("packed", r[0], r[1]),
                                 unpack=lambda t: (t[1], t[2], "unpacked"))
    assert [len(r) for r in results] == [2, 2, 2, 3, 3, 3]
    assert [r[0] for r in results] == [item * item for item in range(6)]


def test_a_forked_assessment_equals_the_serial_one(two_cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    estate = example_estate()
    forked = assess_estate(estate)
    monkeypatch.setenv(workers.WORKERS_ENV, "1")
    serial = assess_estate(estate)
    assert [vm.as_dict() for vm in forked.vms] == [vm.as_dict() for vm in serial.vms]
    assert [(vm.os_family, vm.fit, vm.strategy, vm.sizing, vm.findings) for vm in forked.vms] == \
        [(vm.os_family, vm.fit, vm.strategy, vm.sizing, vm.findings) for vm in serial.vms]


def test_planner_assess_from_the_store_in_shards_equals_one_process(
        two_cores: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Each worker reads only its own VMs' stored parts (chunks of 10 here), and the verdicts are the same."""
    monkeypatch.setattr(parts, "CHUNK_VMS", 10)
    db = tmp_path / "store.db"
    with Store.open(db) as store:
        store.save(example_estate(), origin="test")
    outputs = []
    for workers_env in ("2", "1"):
        monkeypatch.setenv(workers.WORKERS_ENV, workers_env)
        assert run_planner(["--db", str(db), "assess", "latest", "--format", "json"]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]["vms"]) == len(example_estate().vms)
    assert run_planner(["assess", "example", "--format", "json"]) == 0  # read whole, from its file
    assert outputs[0]["vms"] == json.loads(capsys.readouterr().out)["vms"]
    with Store.open(db) as store:
        assert len(store.documents(1, ASSESSMENT_DOCUMENT_KIND)["latest"]) > 100
