"""Benchmark `planner assess` on a synthetic estate (default 50,000 VMs).

    python bench/bench_assess.py [--vms 50000] [--repeat 3] [--seed 7]

Generates the estate in memory (every rule's trait appears at a realistic rate), then times
``assess_estate`` (median of ``--repeat`` runs) plus the slowest output format (the default table included: a
command that assesses in 4 s and then prints for 20 s is not fast) and reports peak RSS, against the targets in
issue 4:
<= 15 s and <= 2 GB on 2 cores. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner.assess import GuestFacts, assess_estate, render  # noqa: E402
from planner.models import Estate  # noqa: E402

TARGET_SECONDS = 15.0
TARGET_RSS_MIB = 2048.0
GUEST_IDS = [("rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)", "linux")] * 8 + [
    ("ubuntu64Guest", "Ubuntu Linux (64-bit)", "linux"),
    ("debian12_64Guest", "Debian GNU/Linux 12 (64-bit)", "linux"),
    ("windows2019srv_64Guest", "Microsoft Windows Server 2019 (64-bit)", "windows"),
    ("windows9_64Guest", "Microsoft Windows 10 (64-bit)", "windows"),
    ("centos6Guest", "CentOS 6 (32-bit)", "linux"),
    ("freebsd12_64Guest", "FreeBSD 12 (64-bit)", "bsd"),
    ("solaris11_64Guest", "Oracle Solaris 11 (64-bit)", "solaris"),
    (None, None, "unknown"),
]


def synthetic_estate(count: int, seed: int = 7) -> dict[str, Any]:
    """A snapshot document with ``count`` VMs over 20 clusters of 16 hosts."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    clusters: list[dict[str, Any]] = []
    hosts: list[dict[str, Any]] = []
    for c in range(20):
        cname = f"cl{c:02d}"
        clusters.append({"name": cname, "source": "vc1", "rules": []})
        hosts += [{"name": f"esx{c:02d}-{h:02d}", "source": "vc1", "cluster": cname, "cpu_mhz": 2600,
                   "cpu_sockets": 2, "cpu_cores": 32, "memory_mib": 524288} for h in range(16)]
    vms = []
    for i in range(count):
        cname = f"cl{i % 20:02d}"
        gid, gname, family = rng.choice(GUEST_IDS)
        cpu = rng.choice([1, 2, 2, 4, 4, 8, 16, 24, 48])
        mem = cpu * rng.choice([1024, 2048, 4096, 8192])
        vm: dict[str, Any] = {
            "name": f"vm-{i:05d}", "source": "vc1", "cluster": cname, "host": f"esx{i % 20:02d}-{i % 16:02d}",
            "power_state": rng.choice(["poweredOn"] * 9 + ["poweredOff"]), "template": rng.random() < 0.01,
            "guest": {"configured_id": gid, "configured_name": gname, "tools_name": gname, "family": family},
            "num_cpu": cpu, "memory_mib": mem,
            "usage": {"cpu_mhz": int(cpu * 2600 * rng.random() * 0.9), "guest_memory_mib": int(mem * rng.random()),
                      "host_memory_mib": mem},
            "disks": [{"label": f"Hard disk {d + 1}", "capacity_bytes": rng.choice([40, 100, 500]) * 1024**3}
                      for d in range(rng.choice([1, 1, 2, 3]))],
            "nics": [{"label": f"Network adapter {n + 1}", "network": rng.choice(["prod", "dmz", "backup"]),
                      "ips": [f"10.{i % 250}.{n}.{i % 200 + 1}"]} for n in range(rng.choice([1, 1, 1, 2, 4]))],
            "tags": [{"category": "env", "name": "prod"}] + ([{"category": "compliance", "name": "PCI-DSS"}]
                                                            if rng.random() < 0.05 else []),
            "custom_attributes": {"owner": "team-x"} | ({"Compliance": "HIPAA"} if rng.random() < 0.03 else {}),
            "annotation": rng.choice(["", "web tier", "handles cardholder data | do not move\n<b>x</b>"]),
        }
        roll = rng.random()
        if roll < 0.02:
            vm["devices"] = {"pci": [{"label": "PCI 0", "kind": "passthrough"}]}
        elif roll < 0.04:
            vm["disks"].append({"label": "RDM", "backing": "rdm", "rdm_mode": rng.choice(["physical", "virtual"])})
        elif roll < 0.06:
            vm["devices"] = {"serial_ports": [{"label": "Serial port 1", "backing": "device"}],
                             "usb_devices": [{"label": "USB 1", "backing": "HASP dongle"}], "tpm": True}
        elif roll < 0.08:
            vm["snapshots"] = [{"name": "before patch", "created": (now - timedelta(days=40)).isoformat(),
                                "children": [{"name": "after"}]}]
            vm["consolidation_needed"] = True
        elif roll < 0.09:
            vm.update(latency_sensitivity="high", cpu_affinity=[0, 1], ft_state="running",
                      memory_reservation_mib=mem, cpu_reservation_mhz=2000)
        if i % 97 == 0:
            clusters[i % 20]["rules"].append({"name": f"pin-{i}", "kind": "vm-host", "vms": [vm["name"]],
                                              "host_group": "lic-hosts", "mandatory": True, "affine": True})
        vms.append(vm)
    return {"schema_version": 1, "collected_at": now.isoformat(),
            "sources": [{"name": "vc1", "kind": "vcenter", "collected_at": now.isoformat()}],
            "clusters": clusters, "hosts": hosts, "vms": vms}


def synthetic_facts(estate: Estate, share: float, seed: int = 7) -> dict[str, GuestFacts]:
    """Discovery facts for a share of the Linux VMs (databases, mounts, cron, old kernels...)."""
    rng = random.Random(seed)
    facts = {}
    for vm in estate.vms:
        if vm.guest.family.value != "linux" or rng.random() >= share:
            continue
        facts[vm.key] = GuestFacts.model_validate({
            "os_id": "rhel", "os_version": rng.choice(["8.9", "7.9", "9.3"]),
            "kernel": rng.choice(["4.18.0-513.el8.x86_64", "2.6.32-754.el6.x86_64"]), "arch": "x86_64",
            "processes": [{"user": "root", "exe": "/usr/sbin/sshd"},
                          {"user": rng.choice(["root", "mysql"]), "exe": "/usr/sbin/mysqld"}],
            "listeners": [{"address": rng.choice(["0.0.0.0", "10.0.0.5"]), "port": 3306, "process": "mysqld"}],
            "mounts": [{"fstype": rng.choice(["xfs", "nfs4"]), "source": "nas:/data", "target": "/data"}],
            "crontab": [{"user": "root", "schedule": "0 2 * * *", "command": "/opt/backup.sh"}],
            "selinux": rng.choice(["enforcing", "disabled"]), "memory_used_mib": 1500,
            "data_dirs": {"mysql": rng.choice([1, 200]) * 1024**3},
        })
    return facts


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--facts-share", type=float, default=0.2, help="share of Linux VMs with discovery facts")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    document = synthetic_estate(args.vms, args.seed)
    estate = Estate.model_validate(document)
    del document
    facts = synthetic_facts(estate, args.facts_share, args.seed)
    build_s = time.perf_counter() - started

    timings = []
    result = None
    for _ in range(args.repeat):
        result = None
        started = time.perf_counter()
        result = assess_estate(estate, facts=facts)
        timings.append(time.perf_counter() - started)
    assert result is not None
    started = time.perf_counter()
    json_text = render(result, "json")
    json_s = time.perf_counter() - started
    render_s = {}
    for fmt in ("table", "csv", "markdown"):  # `planner assess` prints a table by default: it is part of the run
        started = time.perf_counter()
        render(result, fmt)
        render_s[fmt] = round(time.perf_counter() - started, 2)
    median = statistics.median(timings)
    rss = peak_rss_mib()
    findings = sum(len(a.findings) for a in result.vms)
    summary = {
        "vms": len(estate.vms), "vms_with_facts": len(facts), "findings": findings,
        "estate_build_s": round(build_s, 2), "assess_runs_s": [round(t, 2) for t in timings],
        "assess_median_s": round(median, 2), "render_json_s": round(json_s, 2),
        **{f"render_{fmt}_s": seconds for fmt, seconds in render_s.items()},
        "json_mib": round(len(json_text) / 1024**2, 1), "peak_rss_mib": round(rss, 1),
        "by_fit": {k.value: v for k, v in result.by_fit().items()},
        "by_strategy": {k.value: v for k, v in result.by_strategy().items()},
    }
    print(json.dumps(summary, indent=2))
    command = median + max(json_s, *render_s.values())
    ok_time, ok_rss = command <= TARGET_SECONDS, rss <= TARGET_RSS_MIB
    print(f"assess median {median:.2f} s + slowest render = {command:.2f} s (target <= {TARGET_SECONDS:g} s): "
          f"{'ok' if ok_time else 'MISSED'}")
    print(f"peak RSS {rss:.0f} MiB (target <= {TARGET_RSS_MIB:g} MiB): {'ok' if ok_rss else 'MISSED'}")
    return 0 if ok_time and ok_rss else 1


if __name__ == "__main__":
    sys.exit(main())
