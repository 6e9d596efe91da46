"""Benchmark the dependency graph: build + move groups + waves for 50,000 VMs and 500,000 edges.

Each repeat runs in a fresh child process; the child generates a synthetic estate (outside the clock), then times
``build_graph`` (address resolution and edge aggregation from 500,000 observations), ``move_groups`` (SCC
condensation, "together" tags) and ``plan_waves`` (capped at --max-vms). Peak RSS is the child's whole life,
generation included. Addresses are IPv6 documentation addresses (2001:db8::/32): data only, no traffic.

The synthetic estate: apps of 10 VMs (2 web, 4 app, 2 db, 1 cache, 1 queue) with the usual calls inside an app,
a replication cycle between the two databases, cross-app calls from app tiers to lower-numbered apps' services
(a DAG across apps), one "together" tag per 50 apps, and some traffic from and to external networks.

    python bench/bench_graph.py                          # 50,000 VMs, 500,000 edges, 3 repeats
    python bench/bench_graph.py --vms 5000 --edges 50000 --repeat 1
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 20.0
TARGET_RSS_MB = 3 * 1024
APP_SIZE = 10
ROLES = ["web", "web", "app", "app", "app", "app", "db", "db", "cache", "queue"]
PORTS = {"web": 443, "app": 8080, "db": 5432, "cache": 6379, "queue": 5672}


def address(index: int) -> str:
    """The canonical text of VM ``index``'s IPv6 documentation address."""
    return str(ipaddress.IPv6Address(f"2001:db8::{index >> 16:x}:{index & 0xFFFF:x}"))


def generate(vm_count: int, edge_count: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """A synthetic estate and exactly ``edge_count`` distinct client -> server observations."""
    from datetime import UTC, datetime

    from planner.graph import Observation
    from planner.models import Estate, PowerState, Tag, Vm

    rng = random.Random(seed)
    vms = []
    for index in range(vm_count):
        app = index // APP_SIZE
        tags = [Tag(category="app", name=f"app{app}")]
        if app % 50 == 0 and ROLES[index % APP_SIZE] == "db":
            tags.append(Tag(category="move-group", name=f"shared-db-{app // 500}"))
        vms.append(Vm(name=f"vm{index:06d}-{ROLES[index % APP_SIZE]}", source="bench", moid=f"vm-{index}",
                      num_cpu=rng.choice((1, 2, 2, 4, 4, 8)), power_state=PowerState.ON, guest_ips=[address(index)]))
        if len(tags) > 1:
            vms[-1].tags.extend(tags)
    estate = Estate(collected_at=datetime.now(UTC), vms=vms)

    edges: set[tuple[int, int]] = set()
    apps = vm_count // APP_SIZE

    def within(app: int) -> None:
        base = app * APP_SIZE
        web, tier, db, cache, queue = [base, base + 1], [base + 2, base + 3, base + 4, base + 5], \
            [base + 6, base + 7], base + 8, base + 9
        edges.update((w, a) for w in web for a in tier)
        edges.update((a, d) for a in tier for d in db)
        edges.update((a, cache) for a in tier)
        edges.update((a, queue) for a in tier)
        edges.update({(db[0], db[1]), (db[1], db[0])})

    for app in range(apps):
        within(app)
    externals = edge_count // 25
    while len(edges) < edge_count - externals:
        app = rng.randrange(1, apps)
        client = app * APP_SIZE + rng.randrange(2, 6)
        other = max(0, app - 1 - int(rng.expovariate(1 / 200)))
        server = other * APP_SIZE + rng.choice((2, 3, 6, 8, 9))
        edges.add((client, server))
    observations = [Observation(dst_port=PORTS[ROLES[s % APP_SIZE]], src_ip=address(c), dst_ip=address(s),
                                src_port=40000 + (c % 20000), count=rng.randrange(1, 20), bytes=rng.randrange(10**6))
                    for c, s in edges]
    for number in range(externals):
        ext = str(ipaddress.IPv6Address(f"2001:db8:ffff:{number:x}::1"))  # one /64 per external: distinct edges
        vm = rng.randrange(vm_count)
        if number % 2:
            observations.append(Observation(dst_port=443, src_ip=ext, dst_ip=address(vm - vm % APP_SIZE)))
        else:
            observations.append(Observation(dst_port=53, protocol="udp", src_ip=address(vm), dst_ip=ext))
    return estate, observations


def child(vm_count: int, edge_count: int, max_vms: int) -> None:
    """One measurement in this process, printed as JSON."""
    from planner.graph import WaveOptions, analyse, build_graph

    estate, observations = generate(vm_count, edge_count)
    start = time.perf_counter()
    graph = build_graph(estate, observations)
    built = time.perf_counter()
    result = analyse(graph, options=WaveOptions(max_vms=max_vms))
    done = time.perf_counter()
    print(json.dumps({
        "seconds": done - start, "build": built - start, "groups_waves": done - built,
        "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "groups": len(result.groups.groups),
        "largest_group": max(len(g.members) for g in result.groups.groups), "waves": len(result.plan.waves),
        "risks": len(result.plan.risks),
    }))


def measure(vm_count: int, edge_count: int, max_vms: int) -> dict[str, float]:
    """Run one child; its peak RSS comes from RUSAGE_CHILDREN (children run one at a time)."""
    out = subprocess.run([sys.executable, __file__, "--child", "--vms", str(vm_count), "--edges", str(edge_count),
                          "--max-vms", str(max_vms)], stdout=subprocess.PIPE, text=True, cwd=ROOT, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", type=int, default=50_000)
    parser.add_argument("--edges", type=int, default=500_000)
    parser.add_argument("--max-vms", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.vms, args.edges, args.max_vms)
        return
    import resource

    runs = []
    for _ in range(args.repeat):
        result = measure(args.vms, args.edges, args.max_vms)
        result["rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # max over children so far
        runs.append(result)
        print(json.dumps(result), flush=True)
    wall = statistics.median(run["seconds"] for run in runs)
    rss = max(run["rss_mb"] for run in runs)
    print(f"{args.vms} VMs, {runs[0]['edges']} edges: median {wall:.2f} s (build "
          f"{statistics.median(r['build'] for r in runs):.2f} s, groups+waves "
          f"{statistics.median(r['groups_waves'] for r in runs):.2f} s), peak RSS {rss:.0f} MB; "
          f"targets <= {TARGET_SECONDS:.0f} s, <= {TARGET_RSS_MB} MB: "
          f"{'PASS' if wall <= TARGET_SECONDS and rss <= TARGET_RSS_MB else 'FAIL'}")
    if wall > TARGET_SECONDS or rss > TARGET_RSS_MB:
        sys.exit(1)


if __name__ == "__main__":
    main()
