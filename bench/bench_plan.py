"""Benchmark `planner plan` as users run it: 5,000 and 50,000 VMs with 10 dependency edges per VM, generation
included (no image builds).

Per size, outside the clock: the bundled example's VMs cloned to N (bench_cli.build_estate: own names, moids, UUIDs,
IPv6 documentation addresses, data only), exactly 10·N distinct client -> server edges from bench_graph's layered
generator written as a flow CSV, both stored (`inventory import`, `discover import-flows`), and discovery facts for
1 % of the VMs (the example's recorded guests, cycled) so generation writes image folders, compose, Kubernetes and
Ansible. Then, each in its own `python -m planner` process: `planner waves -f json` (the baseline of the same
session: the analysis alone) and `planner plan -o DIR`. Prints wall, CPU, peak RSS (``os.wait4``), the plan's size,
plan / waves, and the 5,000 -> 50,000 growth.

    python bench/bench_plan.py                     # 5,000 and 50,000 VMs
    python bench/bench_plan.py --sizes 5000 --workdir /tmp/bp
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_cli import build_estate, run  # noqa: E402
from bench_graph import generate  # noqa: E402

EDGES_PER_VM = 10
GUEST_SHARE = 100
"""One VM in this many gets recorded discovery facts."""
TARGETS = {"wall": 60.0, "rss_mib": 4096.0, "growth": 12.0}


def write_flows(path: Path, count: int) -> int:
    """Exactly ``EDGES_PER_VM * count`` distinct conversations (bench_graph's generator), one CSV row each."""
    _estate, observations = generate(count, count * EDGES_PER_VM)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("src_ip,src_port,dst_ip,dst_port,protocol,bytes,packets\n")
        for obs in observations:
            handle.write(f"{obs.src_ip},{obs.src_port or ''},{obs.dst_ip},{obs.dst_port},{obs.protocol},"
                         f"{obs.bytes or 0},1\n")
    return len(observations)


def store_guests(db: Path, count: int) -> int:
    """Recorded discovery for every GUEST_SHARE-th VM of the stored snapshot (the example's guests, cycled)."""
    from planner.discovery.storage import save_guests
    from planner.models.discovery import GuestDiscovery
    from planner.models.identity import vm_display_ids
    from planner.resources import example_discovery_path
    from planner.store import Store

    recorded = [GuestDiscovery.model_validate(item)
                for item in json.loads(example_discovery_path().read_text(encoding="utf-8"))]
    with Store.open(db) as store:
        snapshot_id = store.latest_id()
        vms = store.load(snapshot_id).workloads()
        nodes = vm_display_ids(vms)
        guests = []
        for number, index in enumerate(range(0, len(vms), GUEST_SHARE)):
            vm, node = vms[index], nodes[index]
            template = recorded[number % len(recorded)]
            guests.append(template.model_copy(update={"host": vm.name, "planner_vm": vm.name, "vm": node,
                                                      "hostname": vm.name}))
        save_guests(store, snapshot_id, guests)
    return len(guests)


def bench_size(count: int, workdir: Path) -> dict[str, Any]:
    estate, flows, db = workdir / f"estate-{count}.json", workdir / f"flows-{count}.csv", workdir / f"s-{count}.db"
    if not estate.exists():
        estate.write_text(json.dumps(build_estate(count)), encoding="utf-8")
    edges = write_flows(flows, count) if not flows.exists() else sum(1 for _ in flows.open()) - 1
    for stale in workdir.glob(f"s-{count}.db*"):
        stale.unlink()
    env = {**os.environ, "PLANNER_DB": str(db), "PYTHONPATH": str(ROOT)}
    for args in (["inventory", "import", str(estate)], ["discover", "import-flows", str(flows)]):
        assert run(args, env, workdir)["status"] == 0, args
    guests = store_guests(db, count)
    out = workdir / f"plan-{count}"
    waves = run(["waves", "-f", "json"], env, workdir)
    plan = run(["plan", "-o", str(out), "--force"], env, workdir)
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    return {"vms": count, "edges": edges, "guests": guests, "waves": waves, "plan": plan,
            "images": document["summary"]["images"], "plan_json_mib": (out / "plan.json").stat().st_size / 2**20,
            "dir_mib": size / 2**20, "report_mib": (out / "report.html").stat().st_size / 2**20
            if (out / "report.html").exists() else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="planner-bench-plan-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = [bench_size(int(size), workdir) for size in args.sizes.split(",") if size]
    print("| VMs | edges | guests | images | waves -f json | plan wall | plan CPU | plan peak RSS | plan / waves "
          "| plan.json | DIR | report.html |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        report = f"{r['report_mib']:.1f} MiB" if r["report_mib"] is not None else "-"
        print(f"| {r['vms']:,} | {r['edges']:,} | {r['guests']} | {r['images']} | {r['waves']['wall']:.2f} s | "
              f"{r['plan']['wall']:.2f} s | {r['plan']['cpu']:.2f} s | {r['plan']['rss_mib']:.0f} MiB | "
              f"{r['plan']['wall'] / r['waves']['wall']:.2f}x | {r['plan_json_mib']:.1f} MiB | {r['dir_mib']:.1f} MiB "
              f"| {report} |")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        growth = large["plan"]["wall"] / small["plan"]["wall"]
        print(f"\ngrowth {small['vms']:,} -> {large['vms']:,} VMs: {growth:.2f}x wall "
              f"(target <= {TARGETS['growth']:g}x), {large['plan']['rss_mib'] / small['plan']['rss_mib']:.2f}x RSS")
    large = results[-1]
    print(f"targets at {large['vms']:,} VMs: wall {large['plan']['wall']:.1f} s (<= {TARGETS['wall']:g} s), "
          f"peak RSS {large['plan']['rss_mib']:.0f} MiB (<= {TARGETS['rss_mib']:g} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
