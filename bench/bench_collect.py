"""Benchmark `inventory collect` against the vCenter simulator.

For each inventory size and per-call latency it times, each in a fresh child process (peak RSS from wait4):
  naive   — a pyVmomi attribute walk (vm.name, vm.config, vm.runtime, vm.guest, vm.summary per VM);
  raw     — the same object types and leaf paths as planner, one paged RetrievePropertiesEx stream per type,
            deserialised by pyVmomi and dropped (the floor for any pyVmomi collector);
  pyvmomi — `planner inventory collect --parser pyvmomi` end to end (login, retrieval, tags, mapping, store
            write): the collect as it was before the stream parser;
  stream  — `planner inventory collect` (the default `--parser auto`: the stream parser) end to end;
  ansible — `ansible-inventory --list` with Ansible's `vmware.vmware.vms` inventory plugin, a generated config
            with 14 comparable VM properties and the cluster/host lookup, over TLS with validate_certs false.
Runs are interleaved (raw, pyvmomi, stream, ansible, raw, …) so load changes hit all alike; it prints medians and
the medians of the per-round ratios (wall time; CPU time of the client, which other load disturbs less).

    python bench/bench_collect.py                 # 1000 and 2500 VMs, 0 and 5 ms latency
    python bench/bench_collect.py --sizes 1000 --delays 0 5 --repeat 5 --ansible-repeat 3
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
TARGET_ANSIBLE_RATIO = 30.0
TARGET_PYVMOMI_RATIO = 2.5
TARGET_RSS_MB = 500

ANSIBLE_PROPERTIES = (
    "name", "config.instanceUuid", "config.uuid", "config.template", "config.guestId", "config.hardware.numCPU",
    "config.hardware.memoryMB", "config.hardware.device", "guest.hostName", "guest.ipAddress",
    "runtime.powerState", "runtime.host", "summary.quickStats.overallCpuUsage", "customValue",
)
"""What the Ansible column reads per VM: identity, sizing, devices, guest, placement, usage (planner reads more)."""


def ansible_config(directory: Path, port: int) -> Path:
    """A `vmware.vmware.vms` plugin config for the simulator; the password comes from VMWARE_PASSWORD."""
    path = directory / "bench.vmware_vms.yml"
    lines = ["plugin: vmware.vmware.vms", "hostname: 127.0.0.1", f"port: {port}", "username: user",
             "validate_certs: false", "gather_compute_objects: true", "keyed_groups: []", "properties:"]
    lines += [f"  - {prop}" for prop in ANSIBLE_PROPERTIES]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_ansible(directory: Path, port: int) -> int:
    """Run the inventory plugin once; the number of VMs it listed."""
    config = ansible_config(directory, port)
    env = {**os.environ, "VMWARE_PASSWORD": "pass", "ANSIBLE_INVENTORY_ENABLED": "vmware.vmware.vms",
           "ANSIBLE_LOCAL_TEMP": str(directory), "ANSIBLE_HOME": str(directory)}
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(config), "--list"],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ansible-inventory failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return len(json.loads(done.stdout).get("_meta", {}).get("hostvars", {}))


def child(mode: str, port: int, cert: str, db: str) -> None:
    """Run one measurement in this process and print its wall time as JSON."""
    from pathlib import Path as P

    from planner.cli import main  # imported before the clock starts, like pyVmomi for the other modes
    from planner.sources.vcenter import ServerSettings
    from planner.sources.vcenter.settings import Secret

    settings = ServerSettings(host="127.0.0.1", port=port, user="user", password=Secret("pass"), ca_file=P(cert))
    start = time.perf_counter()
    if mode == "ansible":
        if run_ansible(P(db).parent, port) < 1:
            raise SystemExit("the Ansible plugin listed no VM")
    elif mode in ("pyvmomi", "stream"):
        os.environ["VMWARE_PASSWORD"] = "pass"
        parser = ["--parser", "pyvmomi"] if mode == "pyvmomi" else []
        try:
            main(["--db", db, "inventory", "collect", "--server", f"127.0.0.1:{port}", "--user", "user",
                  "--ca-file", cert, "--format", "json", *parser])
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
    parser.add_argument("--ansible-repeat", type=int, default=1, help="Ansible runs (in the first rounds)")
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
    print(f"{'VMs':>5} {'delay':>5} {'naive s':>8} {'raw s':>6} {'pyvmomi s':>9} {'stream s':>8} {'ansible s':>9} "
          f"{'pyvmomi/stream':>14} {'CPU pyvmomi/stream':>18} {'ansible/stream':>14} {'naive/stream':>12} "
          f"{'stream/raw':>10} {'stream RSS MiB':>14} {'pyvmomi RSS MiB':>15}")
    for size in args.sizes:
        for delay in args.delays:
            # 10 clusters x 2 hosts, size/10 VMs per cluster
            with Vcsim(binary, dc=1, cluster=10, host=2, vm=max(1, size // 10), delay_ms=delay) as server:
                cert = str(server.cert_path)
                rounds = []
                for index in range(args.repeat):  # interleaved, so load changes hit every mode alike
                    modes = ["raw", "pyvmomi", "stream"] + (["ansible"] if index < args.ansible_repeat else [])
                    rounds.append({mode: measure(mode, server.port, cert) for mode in modes})
                naive = [measure("naive", server.port, cert) for _ in range(args.naive_repeat)]
            print(_row(size, delay, rounds, naive), flush=True)
    print(f"targets: pyvmomi/stream >= {TARGET_PYVMOMI_RATIO}x, ansible/stream >= {TARGET_ANSIBLE_RATIO}x, "
          f"naive/stream >= {TARGET_NAIVE_RATIO}x, RSS < {TARGET_RSS_MB} MiB")


def _row(size: int, delay: int, rounds: list[dict[str, tuple[float, float, float]]],
         naive: list[tuple[float, float, float]]) -> str:
    def median(mode: str, index: int = 0) -> float:
        values = [r[mode][index] for r in rounds if mode in r]
        return statistics.median(values) if values else float("nan")

    def ratio(slow: str, fast: str, index: int = 0) -> float:
        values = [r[slow][index] / r[fast][index] for r in rounds if slow in r and fast in r]
        return statistics.median(values) if values else float("nan")

    naive_s = statistics.median(n[0] for n in naive) if naive else float("nan")
    return (f"{size:>5} {delay:>4}ms {naive_s:>8.2f} {median('raw'):>6.2f} {median('pyvmomi'):>9.2f} "
            f"{median('stream'):>8.2f} {median('ansible'):>9.2f} {ratio('pyvmomi', 'stream'):>13.2f}x "
            f"{ratio('pyvmomi', 'stream', 1):>17.2f}x {ratio('ansible', 'stream'):>13.1f}x "
            f"{naive_s / median('stream'):>11.1f}x {ratio('stream', 'raw'):>9.2f}x "
            f"{max(r['stream'][2] for r in rounds):>14.0f} {max(r['pyvmomi'][2] for r in rounds):>15.0f}")


if __name__ == "__main__":
    main()
