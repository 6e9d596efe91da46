"""Benchmark the commands as users run them: each one a process reading (or writing) the store.

Builds an estate of N VMs (the bundled example's VMs cloned, each with its own name, moid, UUIDs and an IPv6
documentation address: data only, no traffic) and a layered flow CSV (10 rows per VM: apps of 10 VMs, web -> app
-> db/cache/queue inside an app, app tiers calling lower-numbered apps, each conversation seen on a few rows), then
in a fresh store runs, each as ``python -m planner`` in its own process:

    inventory import estate.json · discover import-flows flows.csv · inventory show · assess · graph -o g.json
    · waves -f json                               (plus --version and the example estate's commands: start-up)

and reports per command the median wall time, CPU time (user + system) and peak RSS (``os.wait4`` per child).

    python bench/bench_cli.py                       # 5,000 and 50,000 VMs, 1 repeat
    python bench/bench_cli.py --sizes 5000 --repeat 3 --save after.json --baseline before.json
"""

from __future__ import annotations

import argparse
import copy
import ipaddress
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inventories" / "example" / "estate.json"
APP_SIZE = 10
ROLES = ["web", "web", "app", "app", "app", "app", "db", "db", "cache", "queue"]
PORTS = {"web": 443, "app": 8080, "db": 5432, "cache": 6379, "queue": 5672}
ROWS_PER_VM = 10
TARGETS = {  # issue 13, at 50,000 VMs / 500,000 flow rows: seconds, MiB
    "inventory show": (2.0, 600), "inventory import": (8.0, 1024), "discover import-flows": (8.0, 1024),
    "assess": (6.0, 1024), "graph": (10.0, 1536), "waves": (10.0, 1536),
}


def address(index: int) -> str:
    return str(ipaddress.IPv6Address(f"2001:db8::{index >> 16:x}:{index & 0xFFFF:x}"))


def build_estate(count: int) -> dict[str, Any]:
    """The example estate with its VMs cloned to ``count`` (templates stay as they are in the clones' mix)."""
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    originals = document["vms"]
    vms = []
    for index in range(count):
        vm = copy.deepcopy(originals[index % len(originals)])
        vm["name"] = f"{vm['name']}-{index:06d}"
        vm["moid"] = f"vm-{100000 + index}"
        vm["instance_uuid"] = str(uuid.UUID(int=index + 1))
        vm["bios_uuid"] = str(uuid.UUID(int=(1 << 64) + index))
        vm["guest_ips"] = [address(index)]
        for nic in vm.get("nics") or []:
            nic["ips"] = [address(index)]
        if (vm.get("guest") or {}).get("hostname"):
            vm["guest"]["hostname"] = f"{vm['name']}.example.test"
        vms.append(vm)
    document["vms"] = vms
    return document


def flow_rows(count: int, seed: int = 7) -> list[tuple[int, int, str]]:
    """Conversations (client index, server index, port) of a layered estate of ``count`` VMs."""
    rng = random.Random(seed)
    pairs: list[tuple[int, int, str]] = []
    apps = count // APP_SIZE
    for app in range(apps):
        base = app * APP_SIZE
        web, tier, db = [base, base + 1], [base + 2, base + 3, base + 4, base + 5], [base + 6, base + 7]
        pairs += [(w, a, "app") for w in web for a in tier]
        pairs += [(a, d, "db") for a in tier for d in db]
        pairs += [(a, base + 8, "cache") for a in tier] + [(a, base + 9, "queue") for a in tier]
    for _ in range(count):  # cross-app calls, to lower-numbered apps only (a DAG across apps)
        app = rng.randrange(1, max(apps, 2))
        client = app * APP_SIZE + rng.randrange(2, 6)
        other = rng.randrange(0, app) * APP_SIZE
        role = rng.choice(["app", "db", "cache"])
        server = other + {"app": 2, "db": 6, "cache": 8}[role] + (rng.randrange(4) if role == "app" else 0)
        pairs.append((client, server, role))
    return pairs


def write_flows(path: Path, count: int) -> int:
    """``ROWS_PER_VM`` rows per VM: each conversation repeated on rows with other source ports and times."""
    pairs = flow_rows(count)
    rows = count * ROWS_PER_VM
    with path.open("w", encoding="utf-8") as handle:
        handle.write("src_ip,src_port,dst_ip,dst_port,protocol,bytes,packets,first_seen,last_seen\n")
        for row in range(rows):
            client, server, role = pairs[row % len(pairs)]
            day = 1 + row // len(pairs)
            handle.write(f"{address(client)},{40000 + row % 20000},{address(server)},{PORTS[role]},tcp,"
                         f"{1000 + row % 9000},{10 + row % 90},2026-11-{day:02d}T08:00:00Z,"
                         f"2026-11-{day:02d}T09:00:00Z\n")
    return rows


def run(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """One command in its own process: wall and CPU seconds, peak RSS (MiB), exit status."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "planner", *args], env=env, cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        sys.stderr.write(f"planner {' '.join(args)} exited {process.returncode}: {errors.decode()[-2000:]}\n")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024,
            "status": process.returncode}


def median_of(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}


def bench_size(count: int, workdir: Path, repeat: int, code: Path) -> dict[str, dict[str, float]]:
    estate, flows = workdir / f"estate-{count}.json", workdir / f"flows-{count}.csv"
    if not estate.exists():
        estate.write_text(json.dumps(build_estate(count)), encoding="utf-8")
    if not flows.exists():
        write_flows(flows, count)
    results: dict[str, list[dict[str, float]]] = {}
    for _ in range(repeat):
        db = workdir / f"store-{count}.db"
        for stale in workdir.glob(f"store-{count}.db*"):
            stale.unlink()
        env = {**os.environ, "PLANNER_DB": str(db), "PYTHONPATH": str(code)}
        for name, args in (("inventory import", ["inventory", "import", str(estate)]),
                           ("discover import-flows", ["discover", "import-flows", str(flows)]),
                           ("inventory show", ["inventory", "show"]), ("assess", ["assess"]),
                           ("graph", ["graph", "-o", str(workdir / "g.json")]), ("waves", ["waves", "-f", "json"])):
            results.setdefault(name, []).append(run(args, env, workdir))
    return {name: median_of(samples) for name, samples in results.items()}


def bench_small(workdir: Path, repeat: int, code: Path) -> dict[str, dict[str, float]]:
    """Start-up and the example estate's commands (no store needed)."""
    env = {**os.environ, "PLANNER_DB": str(workdir / "small.db"), "PYTHONPATH": str(code)}
    commands = {"--version": ["--version"], "inventory show example": ["inventory", "show", "example"],
                "assess example": ["assess", "example"], "graph example": ["graph", "example", "-o",
                                                                           str(workdir / "ge.json")],
                "waves example": ["waves", "example", "-f", "json"]}
    return {name: median_of([run(args, env, workdir) for _ in range(repeat)]) for name, args in commands.items()}


def _cell(figures: dict[str, float] | None, key: str, unit: str) -> str:
    if not figures:
        return "-"
    return f"{figures[key]:.2f} s" if unit == "s" else f"{figures[key]:.0f} MiB"


def table(results: dict[str, Any], baseline: dict[str, Any] | None) -> str:
    lines = ["| size | command | wall | CPU | peak RSS | before wall | before RSS | wall ratio | target |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for size, commands in results.items():
        for name, figures in commands.items():
            before = (baseline or {}).get(size, {}).get(name)
            target = TARGETS.get(name) if size == "50000" else None
            ratio = f"{before['wall'] / figures['wall']:.1f}x" if before else "-"
            goal = f"<= {target[0]:g} s, <= {target[1]} MiB" if target else ""
            lines.append(f"| {size} | `{name}` | {_cell(figures, 'wall', 's')} | {_cell(figures, 'cpu', 's')} | "
                         f"{_cell(figures, 'rss_mib', 'MiB')} | {_cell(before, 'wall', 's')} | "
                         f"{_cell(before, 'rss_mib', 'MiB')} | {ratio} | {goal} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000", help="comma-separated VM counts")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--small-repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="keep generated files here (default: a temporary directory)")
    parser.add_argument("--code", type=Path, default=ROOT, help="planner source tree to run (default: this one)")
    parser.add_argument("--save", type=Path, help="write the figures as JSON")
    parser.add_argument("--baseline", type=Path, help="figures of an earlier run (--save) to compare with")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="planner-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"small": bench_small(workdir, args.small_repeat, args.code)}
    for size in (int(text) for text in args.sizes.split(",") if text):
        results[str(size)] = bench_size(size, workdir, args.repeat, args.code)
        print(f"{size} VMs done", file=sys.stderr)
    baseline = json.loads(args.baseline.read_text()) if args.baseline else None
    print(table(results, baseline))
    if args.save:
        args.save.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
