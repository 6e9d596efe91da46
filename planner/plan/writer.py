"""What `planner plan` writes into its (staging) folder: the artifacts as `planner generate` writes them, then
plan.json, plan.yaml, report.html, assessment.csv and assessment.xlsx. Layout in docs/plan.md."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planner.assess.report import CSV_COLUMNS, csv_rows, to_csv
from planner.automation import ARTIFACTS, AutomationOptions, write_automation
from planner.automation.inputs import datacenters
from planner.generate import CaptureHook, GenerateOptions, GenerateResult, generate
from planner.generate_policy import BaseImagePolicy
from planner.memory import bulk_objects
from planner.plan.build import PlanBuild
from planner.text import escape_invisible

ReportWriter = Callable[..., str]
"""``render_report(plan, *, graph_svg=None) -> str`` (planner.report)."""
ARTIFACTS_DIR = "artifacts"
Step = Callable[[str], None]


@dataclass
class WriteOptions:
    policy: BaseImagePolicy = field(default_factory=BaseImagePolicy)
    policy_origin: str = "the default base-image policy"
    templates: Path | None = None
    graph_svg: str | None = None
    report_writer: ReportWriter | None = None
    """None: planner.report.render_report when it is installed, else no report.html (said in the notes)."""
    capture: CaptureHook | None = None
    """Fetch configs and application files from the guests into the image folders (None: offline)."""


def default_report_writer() -> ReportWriter | None:
    try:
        from planner.report import render_report
    except ModuleNotFoundError as exc:
        if exc.name != "planner.report":
            raise  # the renderer is there but something it needs is not: a real error, not "no renderer"
        return None
    return render_report


def _generate(build: PlanBuild, folder: Path, options: WriteOptions) -> GenerateResult:
    """Images for the guests with discovery facts whose strategy is containerize, then ansible/compose/kubernetes,
    as `planner generate` writes them (offline unless ``options.capture``: each DECISIONS.md then says what a capture
    would add)."""
    evidence = build.evidence
    snapshot = build.plan["source"]["snapshot"] or build.plan["source"]["label"]
    result = generate(build.estate, evidence.guests, GenerateOptions(
        output=folder, policy=options.policy, policy_origin=options.policy_origin, templates=options.templates,
        capture=options.capture),
        snapshot=snapshot, strategies=build.analysis.strategies,
        analysis=build.analysis.analysis)  # the plan's waves (its wave policy), not generate's default ones
    sizing = {verdict.vm: verdict.sizing.as_dict() for verdict in build.assessment.vms}
    write_automation(folder, result.document, AutomationOptions(
        sizing=sizing, datacenters=datacenters(build.estate.vms), templates=options.templates), ARTIFACTS)
    return result


def _relative(root: Path, folder: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in folder.rglob("*") if path.is_file()) \
        if folder.is_dir() else []


def _attach(build: PlanBuild, result: GenerateResult, root: Path) -> None:
    """Each VM's generated images (its stacks and files) and the artifact index, into the plan."""
    plan = build.plan
    key_of = {f"{vm.source}/{vm.moid}" if vm.moid else node: vm.key for node, vm in build.nodes.items()}
    by_key = {vm["key"]: vm for vm in plan["vms"]}
    images: dict[str, list[dict[str, Any]]] = {}
    for image in result.images:
        key = key_of.get(str(image["vm"]))
        if key is not None:
            images.setdefault(key, []).append(image)
    compose = _relative(root, root / ARTIFACTS_DIR / "compose")
    for key, entries in images.items():
        vm = by_key[key]
        vm["stacks"] = [{"stack": image["stack"], "image": image["name"],
                         "confidence": "low" if image["stack"] in ("system-service", "starter") else "high"}
                        for image in sorted(entries, key=lambda item: str(item["name"]))]
        files = [path for image in entries for path in _relative(root, root / ARTIFACTS_DIR / image["dir"])
                 if "/context/" not in path]
        wave = [path for path in compose if vm["wave"] is not None and path.endswith(f"/wave-{vm['wave']}.yml")]
        vm["artifacts"] = sorted([*files, *wave])
    plan["summary"]["images"] = len(result.images)
    plan["summary"]["stacks"] = dict(sorted(_count(stack["stack"] for vm in plan["vms"]
                                                      for stack in vm["stacks"]).items()))
    ansible = root / ARTIFACTS_DIR / "ansible"
    plan["artifacts"] = {"dir": ARTIFACTS_DIR, "images": len(result.images), "compose": compose,
                         "kubernetes": _relative(root, root / ARTIFACTS_DIR / "kubernetes"),
                         "ansible": f"{ARTIFACTS_DIR}/ansible" if ansible.is_dir() else None,
                         "index": f"{ARTIFACTS_DIR}/generate.json", "skipped": len(result.skipped)}


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


LARGE_PLAN_VMS = 2000
"""Above this many VMs, plan.json and plan.yaml write each item of the long lists on one line, encoded once for both
(the C encoder; PyYAML's representer took ~1.5 ms per VM and indenting JSON half as long again)."""
_LISTS = ("waves", "move_groups", "risks", "vms")


def _yaml_dump(data: Any) -> str:
    """PyYAML's own emitter (libyaml's cannot write a lone surrogate) escaping controls and non-ASCII."""
    return str(yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=False, width=4096))


def write_documents(plan: Mapping[str, Any], json_path: Path, yaml_path: Path) -> None:
    """plan.json and plan.yaml. For a large plan the long lists hold one item per line, streamed to both files:
    compact JSON in plan.json, the same text as a YAML flow mapping in plan.yaml (JSON is YAML's flow style)."""
    if len(plan["vms"]) <= LARGE_PLAN_VMS:
        json_path.write_text(escape_invisible(json.dumps(plan, indent=2, ensure_ascii=False)) + "\n",
                             encoding="utf-8")
        yaml_path.write_text(_yaml_dump(dict(plan)), encoding="utf-8")
        return
    encode = json.JSONEncoder(ensure_ascii=False).encode
    with json_path.open("w", encoding="utf-8") as as_json, yaml_path.open("w", encoding="utf-8") as as_yaml:
        as_json.write("{")
        for number, (key, value) in enumerate(plan.items()):
            as_json.write(",\n  " if number else "\n  ")
            if key in _LISTS and value:
                as_json.write(f"{encode(key)}: [")
                as_yaml.write(f"{key}:\n")
                for index, item in enumerate(value):
                    line = escape_invisible(encode(item))
                    as_json.write((",\n    " if index else "\n    ") + line)
                    as_yaml.write(f"- {line}\n")
                as_json.write("\n  ]")
            else:
                text = escape_invisible(json.dumps(value, indent=2, ensure_ascii=False)).replace("\n", "\n  ")
                as_json.write(f"{encode(key)}: {text}")
                as_yaml.write(_yaml_dump({key: value}))
        as_json.write("\n}\n")


FINDING_COLUMNS = ("vm", "vm_key", "rule", "criterion", "severity", "message", "remediation")


def _sheets(build: PlanBuild) -> dict[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]:
    """assessment.xlsx: the CSV's rows (sheet "vms") and one row per finding (sheet "findings")."""
    findings = ([verdict.vm, verdict.vm_key, f.rule, f.criterion.value, f.severity.value, f.message, f.remediation]
                for verdict in build.assessment.vms for f in verdict.findings)
    return {"vms": (CSV_COLUMNS, csv_rows(build.assessment)), "findings": (FINDING_COLUMNS, findings)}


def write_plan(build: PlanBuild, root: Path, options: WriteOptions, step: Step = lambda _text: None) -> list[str]:
    """Write the plan folder's contents under ``root``; returns notes (e.g. no report.html without planner.report).
    ``step`` is told each stage as it starts (the CLI's progress display)."""
    from planner.xlsx import write_workbook

    notes: list[str] = []
    plan = build.plan
    step("generating artifacts")
    with bulk_objects():
        result = _generate(build, root / ARTIFACTS_DIR, options)
        _attach(build, result, root)
    step("writing plan.json and plan.yaml")
    write_documents(plan, root / "plan.json", root / "plan.yaml")
    step("writing assessment.csv and assessment.xlsx")
    # a lone surrogate (undecodable bytes in a file name) cannot be UTF-8: written as \udcxx, like JSON's escape
    (root / "assessment.csv").write_text(to_csv(build.assessment), encoding="utf-8", errors="backslashreplace")
    write_workbook(root / "assessment.xlsx", _sheets(build))
    writer = options.report_writer or default_report_writer()
    if writer is None:
        notes.append("report.html was not written: this planner has no report renderer (planner.report)")
    else:
        step("writing report.html")
        (root / "report.html").write_text(writer(plan, graph_svg=options.graph_svg), encoding="utf-8",
                                          errors="backslashreplace")
    return notes
