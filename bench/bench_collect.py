"""Benchmark `inventory collect` against the vCenter simulator.

For each inventory size and per-call latency it times, each in a fresh child process (peak RSS from wait4):
  naive   — a pyVmomi attribute walk (vm.name, vm.config, vm.runtime, vm.guest, vm.summary per VM);
  raw     — the same object types and leaf paths as planner, one paged RetrievePropertiesEx stream per type,
            deserialised by pyVmomi and dropped (the floor for any pyVmomi collector);
  planner — `planner inventory collect` end to end (login, retrieval, tags, mapping, store write).
and prints medians, naive/planner, and the medians of the per-pair ratios planner/raw (wall time, and client CPU
time, which the machine's other load disturbs less). raw and planner runs are interleaved.

    python bench/bench_collect.py                 # 1000 and 2500 VMs, 0 and 5 ms latency
    python bench/bench_collect.py --sizes 1000 --delays 0 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_NAIVE_RATIO = 10.0
TARGET_RAW_RATIO = 1.2
TARGET_RSS_MB = 500


def child(mode: str, port: int, cert: str, db: str) -> None:
    """Run one measurement in this process and print its wall time as JSON."""
    from pathlib import Path as P

    from planner.cli import main  # imported before the clock starts, like pyVmomi for the other modes
    from planner.sources.vcenter import ServerSettings
    from planner.sources.vcenter.settings import Secret

    settings = ServerSettings(host="127.0.0.1", port=port, user="user", password=Secret("pass"), ca_file=P(cert))
    start = time.perf_counter()
    if mode == "planner":
        os.environ["VMWARE_PASSWORD"] = "pass"
        try:
            main(["--db", db, "inventory", "collect", "--server", f"127.0.0.1:{port}", "--user", "user",
                  "--ca-file", cert, "--format", "json"])
        except SystemExit as exc:
            if exc.code:
                raise
    else:
        from pyVmomi import vim

        from planner.sources.vcenter import properties as paths
        from planner.sources.vcenter.connection import connect
        from planner.sources.vcenter.retrieve import retrieve

        connection = connect(settings)
        content = connection.content
        count = 0
        if mode == "raw":
            for mo_type, wanted in (
                (vim.Folder, paths.FOLDER_PATHS), (vim.Datacenter, paths.DATACENTER_PATHS),
                (vim.ComputeResource, paths.COMPUTE_RESOURCE_PATHS), (vim.ResourcePool, paths.RESOURCE_POOL_PATHS),
                (vim.ClusterComputeResource, paths.CLUSTER_PATHS), (vim.HostSystem, paths.HOST_PATHS),
                (vim.Datastore, paths.DATASTORE_PATHS), (vim.Network, paths.NETWORK_PATHS),
                (vim.dvs.DistributedVirtualPortgroup, paths.PORTGROUP_PATHS),
                (vim.DistributedVirtualSwitch, paths.SWITCH_PATHS), (vim.VirtualMachine, paths.VM_PATHS),
            ):
                for _ in retrieve(content, mo_type, wanted):
                    count += 1
        else:
            view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
            for vm in view.view:
                _ = (vm.name, vm.config, vm.runtime, vm.guest, vm.summary, vm.resourcePool, vm.parent)
                count += 1
        connection.close()
    print(json.dumps({"seconds": time.perf_counter() - start}))


def measure(mode: str, port: int, cert: str) -> tuple[float, float, float]:
    """(wall seconds of the measured part, client CPU seconds of the whole child, peak RSS MiB) of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        proc = subprocess.Popen([sys.executable, __file__, "--child", mode, "--port", str(port), "--cert", cert,
                                 "--db", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        out = proc.stdout.read() if proc.stdout else ""
        err = proc.stderr.read() if proc.stderr else ""
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{mode} run failed ({proc.returncode}):\n{err[-2000:]}")
        line = [ln for ln in out.splitlines() if ln.startswith('{"seconds"')][-1]
        return json.loads(line)["seconds"], usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2500])
    parser.add_argument("--delays", type=int, nargs="+", default=[0, 5], help="ms of latency per SOAP call")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-repeat", type=int, default=1)
    parser.add_argument("--child")
    parser.add_argument("--port", type=int)
    parser.add_argument("--cert")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.port, args.cert, args.db)
        return

    from tests.support.vcsim import Vcsim, build_vcsim

    binary = build_vcsim()
    print(f"{'VMs':>5} {'delay':>5} {'naive s':>8} {'raw s':>7} {'planner s':>9} {'naive/planner':>13} "
          f"{'planner/raw':>11} {'CPU planner/raw':>15} {'planner RSS MiB':>15}")
    for size in args.sizes:
        for delay in args.delays:
            # 10 clusters x 2 hosts, size/10 VMs per cluster
            with Vcsim(binary, dc=1, cluster=10, host=2, vm=max(1, size // 10), delay_ms=delay) as server:
                cert = str(server.cert_path)
                pairs = [(measure("raw", server.port, cert), measure("planner", server.port, cert))
                         for _ in range(args.repeat)]  # interleaved, so load changes hit both alike
                naive = [measure("naive", server.port, cert) for _ in range(args.naive_repeat)]
            raw_s = statistics.median(r[0] for r, _ in pairs)
            planner_s = statistics.median(p[0] for _, p in pairs)
            wall_ratio = statistics.median(p[0] / r[0] for r, p in pairs)
            cpu_ratio = statistics.median(p[1] / r[1] for r, p in pairs)
            naive_s = statistics.median(n[0] for n in naive)
            rss = max(p[2] for _, p in pairs)
            print(f"{size:>5} {delay:>4}ms {naive_s:>8.2f} {raw_s:>7.2f} {planner_s:>9.2f} "
                  f"{naive_s / planner_s:>12.1f}x {wall_ratio:>10.2f}x {cpu_ratio:>14.2f}x {rss:>15.0f}", flush=True)
    print(f"targets: naive/planner >= {TARGET_NAIVE_RATIO}x, planner/raw <= {TARGET_RAW_RATIO}x, "
          f"RSS < {TARGET_RSS_MB} MiB")


if __name__ == "__main__":
    main()
