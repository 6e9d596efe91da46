"""Benchmark RVTools import (and snapshot diff) at estate scale.

Generates a synthetic estate (default 20,000 VMs: 1-3 disks, 1-2 NICs, a CD-ROM, some snapshots, custom
attributes) and writes it with the test suite's RVTools writer (every 4.x column of the VM tabs) as:
  xlsx                   as Excel and .NET writers write it (shared strings, a <dimension> element);
  xlsx-openpyxl-written  the same workbook written by openpyxl (inline strings, no dimension, which makes
                         openpyxl's read-only reader parse every sheet twice): a worst case;
  csv                    a folder of RVTools_tab*.csv (semicolon, decimal comma, BOM).
Each import runs `load_rvtools` in a fresh child process; wall time, CPU time (with its worker processes) and
peak RSS (from wait4; the parent stays small, since a forked child inherits its high-water mark) are reported as
medians against the issue's targets: xlsx <= 30 s and <= 1 GB RSS. It also times `diff_estates` on two
50,000-VM snapshots (target: a second or two).

    python bench/bench_rvtools.py                  # 20000 VMs, 3 runs per shape
    python bench/bench_rvtools.py --vms 2000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_XLSX_SECONDS = 30.0
TARGET_XLSX_RSS_MB = 1024.0
TARGET_DIFF_SECONDS = 2.0


def make_estate(count: int, seed: int = 7) -> object:
    """A synthetic estate of `count` VMs on count/25 hosts."""
    from planner.models import (
        CdRom,
        Cluster,
        Datastore,
        Devices,
        Disk,
        Estate,
        GuestOs,
        Host,
        Nic,
        PowerState,
        Snapshot,
        Source,
        SourceKind,
        Tools,
        Usage,
        Vm,
        os_family,
    )

    rng = random.Random(seed)
    server = "vcenter-bench.example.test"
    now = datetime(2026, 3, 1, tzinfo=UTC)
    host_count = max(1, count // 25)
    oses = ["Ubuntu Linux (64-bit)", "Red Hat Enterprise Linux 8 (64-bit)",
            "Microsoft Windows Server 2019 (64-bit)", "Debian GNU/Linux 12 (64-bit)"]
    vms = []
    for i in range(count):
        os_name = rng.choice(oses)
        host = i % host_count
        disks = [Disk(label=f"Hard disk {d + 1}", key=2000 + d, capacity_bytes=rng.choice((20, 40, 100, 500)) * 1024**3,
                      disk_mode="persistent", sharing="sharingNone", datastore=f"ds{host % 40:02d}",
                      file_name=f"[ds{host % 40:02d}] vm-{i:05d}/vm-{i:05d}_{d}.vmdk", thin=bool(d % 2),
                      controller="SCSI controller 0") for d in range(rng.randint(1, 3))]
        nics = [Nic(label=f"Network adapter {n + 1}", adapter="vmxnet3", network=f"VLAN{100 + n + i % 20}",
                    mac=f"00:50:56:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{(i + n) & 255:02x}", connected=True,
                    start_connected=True, ips=[f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"])
                for n in range(rng.randint(1, 2))]
        vms.append(Vm(
            name=f"vm-{i:05d}", moid=f"vm-{1000 + i}", source=server, instance_uuid=f"5000{i:028x}",
            bios_uuid=f"4200{i:028x}", datacenter="DC1", cluster=f"cluster-{host % 10}", host=f"esx{host:04d}",
            resource_pool="Resources", folder="/DC1/vm", power_state=PowerState.ON if i % 7 else PowerState.OFF,
            template=i % 200 == 0, connection_state="connected",
            guest=GuestOs(configured_name=os_name, tools_name=os_name, family=os_family(os_name),
                          hostname=f"vm-{i:05d}.example.test"),
            tools=Tools(status="toolsOk", version="12352"), hardware_version="vmx-19", firmware="efi",
            num_cpu=rng.choice((1, 2, 4, 8)), cores_per_socket=1, memory_mib=rng.choice((2048, 4096, 8192, 16384)),
            cpu_reservation_mhz=0, memory_reservation_mib=0, latency_sensitivity="normal",
            disks=disks, nics=nics, devices=Devices(cdroms=[CdRom(label="CD/DVD drive 1", backing="client")]),
            snapshots=[Snapshot(name="snap", created=now)] if i % 10 == 0 else [],
            annotation=f"application {i % 300}", custom_attributes={"Owner": f"team-{i % 40}", "Env": "prod"},
            usage=Usage(cpu_mhz=rng.randint(0, 4000), guest_memory_mib=512, host_memory_mib=2048,
                        committed_bytes=sum(d.capacity_bytes or 0 for d in disks) // 2),
            guest_ips=[ip for nic in nics for ip in nic.ips],
        ))
    hosts = [Host(name=f"esx{h:04d}", moid=f"host-{h}", source=server, datacenter="DC1", cluster=f"cluster-{h % 10}",
                  version="8.0.2", build="22380479", cpu_sockets=2, cpu_cores=48, cpu_mhz=2600, memory_mib=786432)
             for h in range(host_count)]
    return Estate(
        collected_at=now, sources=[Source(name=server, kind=SourceKind.RVTOOLS, collected_at=now)], hosts=hosts,
        clusters=[Cluster(name=f"cluster-{c}", source=server, datacenter="DC1") for c in range(10)],
        datastores=[Datastore(name=f"ds{d:02d}", source=server, type="VMFS", capacity_bytes=16 * 1024**4)
                    for d in range(40)],
        vms=vms,
    )


def generate(folder: Path, count: int) -> None:
    """Write the three shapes into `folder` (run in a child, so the measuring parent stays small)."""
    from tests.unit.rvtools.builders import write_export

    estate = make_estate(count)
    write_export(estate, folder / "rvtools.xlsx", shape="excel")  # type: ignore[arg-type]
    write_export(estate, folder / "openpyxl.xlsx")  # type: ignore[arg-type]
    write_export(estate, folder / "csv", shape="csv", delimiter=";", bom=True)  # type: ignore[arg-type]


def child(mode: str, path: str) -> None:
    """One measurement in this process; prints JSON with the wall and CPU time."""
    from planner.sources.rvtools import load_rvtools

    if mode == "generate":
        folder, count = path.rsplit("|", 1)
        generate(Path(folder), int(count))
        print(json.dumps({"seconds": 0}))
        return
    if mode == "import":
        start, cpu = time.perf_counter(), time.process_time()
        estate = load_rvtools(Path(path))
        elapsed = time.perf_counter() - start
        print(json.dumps({"seconds": elapsed, "cpu": time.process_time() - cpu, "vms": len(estate.vms)}))
        return
    from planner.audit.diff import diff_estates

    before = make_estate(int(path))
    after = before.model_copy(deep=True)  # type: ignore[attr-defined]
    for index, vm in enumerate(after.vms):
        if index % 10 == 0:
            vm.memory_mib = (vm.memory_mib or 0) * 2
    start = time.perf_counter()
    result = diff_estates(before, after)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "vms": len(after.vms), "changed": result.summary()["changed"]}))


def measure(mode: str, argument: str) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB, CPU seconds of the child and its workers) of one child run."""
    process = subprocess.Popen([sys.executable, __file__, "--child", mode, argument], stdout=subprocess.PIPE,
                               cwd=ROOT)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"child {mode} {argument} failed with exit code {process.returncode}")
    result = json.loads(output)
    return float(result["seconds"]), usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--diff-vms", type=int, default=50_000)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="bench-rvtools-") as tmp:
        started = time.perf_counter()
        measure("generate", f"{tmp}|{args.vms}")
        xlsx, openpyxl_xlsx, folder = Path(tmp) / "rvtools.xlsx", Path(tmp) / "openpyxl.xlsx", Path(tmp) / "csv"
        print(f"generated {args.vms} VMs in {time.perf_counter() - started:.1f} s: xlsx "
              f"{xlsx.stat().st_size / 1024**2:.1f} MiB, CSV set "
              f"{sum(p.stat().st_size for p in folder.iterdir()) / 1024**2:.1f} MiB")
        ok = True
        shapes = (("xlsx", xlsx), ("xlsx-openpyxl-written", openpyxl_xlsx), ("csv", folder))
        for label, path in shapes:
            repeat = 1 if label == "xlsx-openpyxl-written" else args.repeat
            runs = [measure("import", str(path)) for _ in range(repeat)]
            seconds = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            verdict = ""
            if label == "xlsx":
                passed = seconds <= TARGET_XLSX_SECONDS and rss <= TARGET_XLSX_RSS_MB
                ok = ok and passed
                verdict = (f"  (target <= {TARGET_XLSX_SECONDS:.0f} s, <= {TARGET_XLSX_RSS_MB:.0f} MiB: "
                           f"{'PASS' if passed else 'FAIL'})")
            print(f"import {label:21s} {args.vms} VMs: median {seconds:6.2f} s wall, {cpu:6.2f} s CPU, "
                  f"peak RSS {rss:7.1f} MiB "
                  f"over {repeat} runs{verdict}")
        seconds, rss, _ = measure("diff", str(args.diff_vms))
        passed = seconds <= TARGET_DIFF_SECONDS
        print(f"diff {args.diff_vms} VMs: {seconds:.2f} s (diff only), peak RSS {rss:.1f} MiB "
              f"(target <= {TARGET_DIFF_SECONDS:.0f} s: {'PASS' if passed else 'FAIL'})")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
