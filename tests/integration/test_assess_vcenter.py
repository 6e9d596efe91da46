"""Issue 4, done-when: the example estate (one VM per trait) is seeded into the vCenter simulator through the
vSphere API, read back by `planner inventory collect`, and `planner assess` gives the expected criterion,
severity and strategy per VM.

Traits the simulator cannot hold (tests/support/seed.py, ``SeedResult.vms[name].unsupported``) are skipped
per VM. vcsim reports its own (tiny) host hardware, so the rules that compare a VM with its host (RES007,
RES008, PRF003, PRF004) are switched off by the policy the test passes, as a team would for data it distrusts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner.cli import main
from planner.models import Estate
from planner.store import Store
from tests.support.seed import SeedResult
from tests.support.vcsim import Vcsim

pytestmark = pytest.mark.vcsim

HOST_DEPENDENT = ("RES007", "RES008", "PRF003", "PRF004")

# vm -> (strategy, [(rule, criterion, severity, seed trait the finding depends on)])
EXPECTED: dict[str, tuple[str, list[tuple[str, str, str, str]]]] = {
    "win-dc-01": ("keep-vm", [("ARC001", "architecture", "blocker", "guest_id"),
                              ("POR015", "portability", "high", "ft_state")]),
    "ci-macos-01": ("keep-vm", [("ARC001", "architecture", "blocker", "guest_id")]),
    "fw-pfsense-01": ("keep-vm", [("ARC001", "architecture", "blocker", "guest_id"),
                                  ("POR017", "portability", "medium", "nics")]),
    "lab-plc-01": ("keep-vm", [("ARC002", "architecture", "blocker", "guest_id"),
                               ("ARC004", "architecture", "high", "guest_id"),
                               ("POR003", "portability", "high", "serial_port"),
                               ("POR004", "portability", "high", "parallel_port")]),
    "app-legacy-crm": ("keep-vm", [("ARC004", "architecture", "high", "guest_id"),
                                   ("ARC005", "architecture", "medium", "guest_id"),
                                   ("ARC006", "architecture", "high", "guest_id")]),
    "ml-train-01": ("keep-vm", [("POR005", "portability", "blocker", "pci_passthrough")]),
    "win-cad-01": ("keep-vm", [("POR006", "portability", "high", "vgpu")]),
    "db-mssql-01": ("keep-vm", [("POR007", "portability", "blocker", "rdm_physical")]),
    "win-file-01": ("keep-vm", [("POR008", "portability", "high", "rdm_virtual")]),
    "db-oracle-rac-01": ("keep-vm", [("POR009", "portability", "blocker", "multi_writer"),
                                     ("POR019", "portability", "medium", "name"),
                                     ("RES003", "resource-utilization", "medium", "cpu"),
                                     ("RES004", "resource-utilization", "medium", "memory")]),
    "db-mysql-01": ("containerize", [("POR010", "portability", "medium", "independent_disk")]),
    "win-iis-01": ("keep-vm", [("POR011", "portability", "low", "iso_connected")]),
    "db-pg-01": ("containerize", [("POR012", "portability", "low", "snapshots"),
                                  ("RES006", "resource-utilization", "low", "reservations")]),
    "app-reporting-01": ("containerize", [("POR013", "portability", "medium", "consolidation_needed")]),
    "win-admin-01": ("keep-vm", [("POR014", "portability", "high", "tpm"),
                                 ("ISO004", "isolation", "low", "secure_boot")]),
    "win-license-01": ("keep-vm", [("POR001", "portability", "high", "usb_device"),
                                   ("POR002", "portability", "high", "usb_device"),
                                   ("POR003", "portability", "high", "serial_port")]),
    "app-voip-01": ("keep-vm", [("PRF001", "performance", "high", "latency_sensitivity"),
                                 ("PRF002", "performance", "medium", "cpu_affinity"),
                                 ("RES005", "resource-utilization", "low", "reservations")]),
    "app-payments-01": ("keep-vm", [("ISO001", "isolation", "high", "tags"),
                                    ("ISO002", "isolation", "high", "custom_attributes"),
                                    ("ISO003", "isolation", "medium", "annotation")]),
    "dmz-proxy-01": ("containerize", [("ISO005", "isolation", "medium", "nics"),
                                      ("ARC005", "architecture", "medium", "guest_id")]),
    "web-apache-02": ("containerize", [("ARC005", "architecture", "medium", "guest_id")]),
    "web-nginx-01": ("containerize", [("PRF005", "performance", "info", "name")]),
    "app-batch-01": ("retire", [("RES001", "resource-utilization", "low", "power_state")]),
    "tmpl-rhel7-base": ("exclude", [("RES002", "resource-utilization", "info", "template")]),
    "tmpl-win2016-base": ("exclude", [("RES002", "resource-utilization", "info", "template")]),
    "bak-media-01": ("keep-vm", [("POR021", "portability", "blocker", "scsi_passthrough"),
                                 ("ARC007", "architecture", "info", "name")]),
    "app-fix-gateway-01": ("refactor", [("POR020", "portability", "high", "sriov_nic"),
                                        ("PRF006", "performance", "medium", "numa_node_affinity"),
                                        ("ARC007", "architecture", "info", "name")]),
}


def run(args: list[str]) -> None:
    try:
        main(args)
    except SystemExit as exc:
        assert not exc.code, args


def test_collect_then_assess_gives_the_expected_verdicts(
    seeded: tuple[Vcsim, Estate, SeedResult], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, expected, result = seeded
    db = tmp_path / "planner.db"
    password = tmp_path / "pw"
    password.write_text(server.password)
    run(["--db", str(db), "inventory", "collect", "--server", f"127.0.0.1:{server.port}", "--user", server.user,
         "--password-file", str(password), "--ca-file", str(server.cert_path)])
    capsys.readouterr()
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n" + "".join(f"  {rule}: {{enabled: false}}\n" for rule in HOST_DEPENDENT))
    run(["--db", str(db), "assess", "latest", "--format", "json", "--policy", str(policy)])
    verdicts: dict[str, dict[str, Any]] = {item["vm"]: item for item in json.loads(capsys.readouterr().out)["vms"]}

    assert {vm.name for vm in expected.vms} <= set(verdicts)
    problems: list[str] = []
    checked = 0
    for name, (strategy, findings) in EXPECTED.items():
        verdict = verdicts[name]
        if verdict["strategy"] != strategy:
            problems.append(f"{name}: strategy {verdict['strategy']} (expected {strategy})")
        got = {f["rule"]: (f["criterion"], f["severity"]) for f in verdict["findings"]}
        for rule, criterion, severity, trait in findings:
            if trait in result.vms[name].unsupported:
                continue  # the simulator cannot hold this trait
            checked += 1
            if got.get(rule) != (criterion, severity):
                problems.append(f"{name}: {rule} gave {got.get(rule)} (expected {(criterion, severity)}); "
                                f"findings {sorted(got)}")
    for name, verdict in verdicts.items():
        if any(f.get("internal") or f["rule"] in HOST_DEPENDENT for f in verdict["findings"]):
            problems.append(f"{name}: internal or disabled-rule findings {verdict['findings']}")
    assert not problems, "\n".join(problems)
    assert checked >= 40  # 45 expectations, a few need traits vcsim cannot hold (vTPM)
    # the JSON contract holds for every VM
    for verdict in verdicts.values():
        assert {"vm", "fit", "score", "strategy", "sizing", "findings", "format_version"} <= set(verdict)
        blockers = [f for f in verdict["findings"] if f["severity"] == "blocker"]
        if blockers:
            assert verdict["strategy"] != "containerize"
    # the verdicts are kept with the stored snapshot
    with Store.open(db) as store:
        summary = json.loads(store.documents(store.resolve(None), "assessment")["latest"])
    assert {v["vm"]: v["strategy"] for v in summary["vms"]} == {k: v["strategy"] for k, v in verdicts.items()}
    # no discovery ran: every workload is counted as assessed from vSphere data alone, none is excellent
    workloads = [v for v in verdicts.values() if v["strategy"] != "exclude"]
    assert summary["vsphere_only"] == len(workloads) and not any(v["fit"] == "excellent" for v in workloads)
