"""Benchmark discovery carried forward: ``gather_evidence`` on a later snapshot vs on the one discovery was stored with.

A temporary store gets ``--snapshots`` snapshots of ``--vms`` VMs; discovery of ``--guests`` guests (each with a few
processes, listeners and connections) is stored with the first one. Timed: ``save_guests`` (facts + index, one
transaction), ``gather_evidence`` on the first snapshot (its own facts) and on the last one (every VM's facts
carried forward through the index), best of ``--repeat`` alternated runs. Addresses are documentation
addresses (2001:db8::/32): data only, no traffic.

    python bench/bench_carry.py                      # 5,000 VMs, 2,000 guests, 8 snapshots
    python bench/bench_carry.py --vms 20000 --guests 10000 --snapshots 4
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.analysis import gather_evidence  # noqa: E402
from planner.discovery.storage import save_guests  # noqa: E402
from planner.models import Estate, PowerState, Vm  # noqa: E402
from planner.models.discovery import Connection, GuestDiscovery, Listener, Process  # noqa: E402
from planner.store import Store  # noqa: E402


def address(index: int) -> str:
    return f"2001:db8::{index >> 16:x}:{index & 0xFFFF:x}"


def estate(vm_count: int) -> Estate:
    vms = [Vm(name=f"vm{i:05d}", source="vc", moid=f"vm-{i}", power_state=PowerState.ON, num_cpu=2,
              guest_ips=[address(i)]) for i in range(vm_count)]
    return Estate(collected_at=datetime.now(UTC), vms=vms)


def guest(index: int, vm_count: int) -> GuestDiscovery:
    now = datetime.now(UTC)
    return GuestDiscovery(
        host=f"vm{index:05d}", vm=f"vm{index:05d}", addresses=[address(index)], last_seen=now, samples=3,
        processes=[Process(pid=n, comm=f"proc{n}", user="app", args=f"/opt/app/bin/proc{n} --port {8000 + n}")
                   for n in range(1, 30)],
        listeners=[Listener(protocol="tcp", address=address(index), port=8000 + n, process=f"proc{n}")
                   for n in range(1, 4)],
        connections=[Connection(local_address=address(index), peer_address=address((index + n) % vm_count),
                                peer_port=8001, direction="outbound", process="proc1", count=3, last_seen=now)
                     for n in range(1, 6)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", type=int, default=5000)
    parser.add_argument("--guests", type=int, default=2000)
    parser.add_argument("--snapshots", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "bench.db") as store:
        snapshot = estate(args.vms)
        ids = [store.save(snapshot, origin="bench").id for _ in range(args.snapshots)]
        guests = [guest(i, args.vms) for i in range(args.guests)]
        started = time.perf_counter()
        save_guests(store, ids[0], guests)
        save_s = time.perf_counter() - started
        timings: dict[str, float] = {}
        for _ in range(args.repeat):  # alternated, best of each: a loaded machine slows one or the other
            for label, snapshot_id in (("own", ids[0]), ("carried", ids[-1])):
                snapshot_estate = store.load(snapshot_id)
                started = time.perf_counter()
                evidence = gather_evidence(snapshot_estate, store, snapshot_id)
                timings[label] = min(timings.get(label, float("inf")), time.perf_counter() - started)
                assert len(evidence.facts) == args.guests, label
    print(f"{args.vms} VMs, {args.guests} guests, {args.snapshots} snapshots: save_guests {save_s:.2f} s; "
          f"gather_evidence own {timings['own']:.2f} s, carried {timings['carried']:.2f} s "
          f"(ratio {timings['carried'] / timings['own']:.2f})")


if __name__ == "__main__":
    main()
