"""`planner generate`: detect the stacks on each VM and write one image folder per stack plus ``generate.json``.

Library entry point: :func:`generate`. Capture is a hook (``capture=``): without it, recorded config text from
discovery fills the build contexts and what only a capture could bring is listed in each DECISIONS.md.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner import fileio
from planner.detect import detect_stacks
from planner.detect.facts import GuestView
from planner.errors import InputError, NotFoundError
from planner.generate_files import (
    ROOTFS,
    move_into_place,
    read_text,
    staging_dir,
    write_manifest,
    write_recorded,
    write_rendered,
)
from planner.generate_fixups import fix_postgres_ssl
from planner.generate_policy import BaseImagePolicy
from planner.generate_rewire import Rewiring, peer_names
from planner.generate_spec import ImageInput, build_spec, safe_path
from planner.graph import Analysis, analyse, graph_from_sources, vm_node_ids
from planner.models import Estate, Vm
from planner.models.discovery import ConfigFile, FlowRecord, GuestDiscovery, GuestStatus
from planner.models.generation import GENERATE_FORMAT_VERSION, LISTEN_ENV, CaptureRequest, CaptureResult, Detection
from planner.text import escape_invisible

CaptureHook = Callable[[Sequence[CaptureRequest]], Mapping[str, CaptureResult]]
"""Fetches what each request names into its ``rootfs``; returns a result per image name."""
STAY_STRATEGIES = ("keep-vm", "retire", "exclude", "refactor", "investigate")


@dataclass
class GenerateOptions:
    output: Path
    vms: list[str] = field(default_factory=list)
    include_strategies: list[str] = field(default_factory=list)
    policy: BaseImagePolicy = field(default_factory=BaseImagePolicy)
    policy_origin: str = "the default base-image policy"
    templates: Path | None = None
    capture: CaptureHook | None = None


@dataclass
class GenerateResult:
    document: dict[str, Any]
    images: list[dict[str, Any]]
    skipped: list[dict[str, str]]
    path: Path


@dataclass
class _Planned:
    name: str
    node: str
    vm: Vm | None
    guest: GuestDiscovery | None
    detection: Detection | None
    todos: list[str] = field(default_factory=list)


def image_name(vm_name: str, stack: str) -> str:
    """``VM-STACK``, lower-case, only ``[a-z0-9_.-]``, starting with a letter or digit."""
    base = re.sub(r"[^a-z0-9_.-]+", "-", vm_name.lower()).strip("-._") or "vm"
    return f"{base[:80]}-{stack}"


_Chosen = tuple[str, Vm | None, GuestDiscovery | None]


def _select(estate: Estate, guests: Sequence[GuestDiscovery], strategies: Mapping[str, str],
            options: GenerateOptions) -> tuple[list[_Chosen], list[dict[str, str]]]:
    vms = estate.workloads()
    by_node = dict(zip(vm_node_ids(vms), vms, strict=True))
    reached = {(g.vm or g.host): g for g in guests if g.status in (GuestStatus.OK, GuestStatus.PARTIAL)}
    named: set[str] = set()
    for name in options.vms:
        nodes = [node for node, vm in by_node.items() if name in (node, vm.name)] or (
            [name] if name in reached else [])
        if not nodes:
            raise NotFoundError(f"--vm {name}: no such VM in the snapshot.",
                                hint="`planner inventory list` shows them.")
        named.update(nodes)
    candidates = sorted(named or set(reached))
    chosen, skipped = [], []
    include = set(options.include_strategies)
    for node in candidates:
        vm = by_node.get(node)
        strategy = strategies.get(node)  # keyed by graph node id (VM identity, not a possibly shared name)
        if node not in named and strategy and strategy != "containerize" and not include & {strategy, "all"}:
            skipped.append({"vm": node, "reason": f"strategy {strategy} (use --include-strategy {strategy} or --vm)"})
            continue
        chosen.append((node, vm, reached.get(node)))
    return chosen, skipped


def _plan(chosen: Iterable[_Chosen]) -> list[_Planned]:
    planned: list[_Planned] = []
    used: set[str] = set()
    for node, vm, guest in chosen:
        detections = detect_stacks(guest, vm) if guest is not None else []
        vm_name = vm.name if vm else (guest.host if guest else node)
        if not detections:
            why = ("no discovery facts for this VM: the stack, ports, user, command and configs are unknown (run "
                   "`planner discover`)") if guest is None else (
                "discovery found no stack planner recognises: " + (", ".join(
                    sorted({f'{item.process or "?"}:{item.port}' for item in guest.listeners})) or "no listeners"))
            detections_or_none: list[Detection | None] = [None]
            todos = [why]
        else:
            detections_or_none, todos = list(detections), []
        for detection in detections_or_none:
            name = image_name(vm_name, detection.stack if detection else "starter")
            unique, index = name, 2
            while unique in used:
                unique, index = f"{name}-{index}", index + 1
            used.add(unique)
            planned.append(_Planned(unique, node, vm, guest, detection, list(todos)))
    return planned


def _addresses(estate: Estate, guests: Sequence[GuestDiscovery]) -> dict[str, str]:
    """Address -> VM node, from discovery and the snapshot; an address two VMs claim is dropped."""
    owners: dict[str, str] = {}
    clash: set[str] = set()
    vms = estate.workloads()

    def add(address: str, node: str) -> None:
        if owners.get(address, node) != node:
            clash.add(address)
        owners[address] = node

    for node, vm in zip(vm_node_ids(vms), vms, strict=True):
        for address in [*vm.guest_ips, *(ip for nic in vm.nics for ip in nic.ips)]:
            add(address, node)
    for guest in guests:
        for address in GuestView(guest).own_addresses:
            add(address, guest.vm or guest.host)
    return {address: node for address, node in owners.items() if address not in clash}


def _connections(item: _Planned) -> list[tuple[str, int | None]]:
    if item.guest is None or item.detection is None:
        return []
    pids = set(item.detection.pids)
    view = GuestView(item.guest)
    names = {view.by_pid[pid].comm for pid in pids if pid in view.by_pid}
    return [(c.peer_address, c.peer_port) for c in item.guest.connections
            if c.direction == "outbound" and (c.pid in pids or (c.pid is None and c.process in names))]


def generate(estate: Estate, guests: Sequence[GuestDiscovery], options: GenerateOptions, *,
             snapshot: int | str | None = None, strategies: Mapping[str, str] | None = None,
             flows: Iterable[FlowRecord] = (), analysis: Analysis | None = None) -> GenerateResult:
    """Write ``images/<name>/`` per detected stack (or OS-level starter) and ``generate.json`` under the output.
    ``analysis`` is the graph, move groups and waves already made of these guests and flows (`planner plan`'s, with
    its wave policy); without it they are made here with the default options."""
    if options.output.exists() and not options.output.is_dir():
        raise InputError(f"{options.output} is a file; -o names the output folder.")
    chosen, skipped = _select(estate, guests, strategies or {}, options)
    planned = _plan(chosen)
    if analysis is None:
        analysis = analyse(graph_from_sources(estate, list(guests), flows))
    graph = analysis.graph
    owners = _addresses(estate, guests)
    service_of = {(p.node, port.port): p.name for p in planned if p.detection for port in p.detection.ports}
    images_dir = options.output / "images"
    staged = {p.name: staging_dir(images_dir, p.name) for p in planned}
    captures = _capture(planned, staged, options)
    entries = []
    try:  # every folder is complete before any is moved in: an error leaves the output as it was
        for item in planned:
            linked = set(graph.successors(item.node)) if item.node in graph else set()
            peers = peer_names(_connections(item), owners, service_of, linked)
            own = GuestView(item.guest).own_addresses if item.guest else []
            entries.append(_write_image(item, staged[item.name], Rewiring(own=own, peers=peers), options,
                                        captures.get(item.name), analysis.groups.group_of.get(item.node),
                                        analysis.plan.wave_of.get(item.node)))
        for item in planned:
            move_into_place(staged[item.name], images_dir / item.name)
    finally:
        for path in staged.values():
            shutil.rmtree(path, ignore_errors=True)
    document = _document(options.output, snapshot, entries, skipped)
    # controls, bidi marks and lone surrogates (a file name's undecodable bytes) as \uNNNN escapes: still JSON
    fileio.write_text(options.output / "generate.json",
                      escape_invisible(json.dumps(document, indent=2, ensure_ascii=False)) + "\n")
    return GenerateResult(document, entries, skipped, options.output / "generate.json")


def _capture(planned: list[_Planned], staged: Mapping[str, Path],
             options: GenerateOptions) -> Mapping[str, CaptureResult]:
    if options.capture is None:
        return {}
    requests = [CaptureRequest(image=p.name, vm=p.node, host=p.guest.host, address=p.guest.reached_address,
                               paths=[path for path in [*p.detection.config_files, *p.detection.app_paths]
                                      if safe_path(path)],
                               data_paths=[path for path in p.detection.data_paths if safe_path(path)],
                               rootfs=str(staged[p.name] / "context" / "rootfs"))
                for p in planned if p.guest is not None and p.detection is not None]
    return options.capture(requests) if requests else {}


def _write_image(item: _Planned, staging: Path, rewiring: Rewiring, options: GenerateOptions,
                 captured: CaptureResult | None, group: int | None, wave: int | None) -> dict[str, Any]:
    detection, guest = item.detection, item.guest
    todos = list(item.todos)
    captured_files = {f.path: f for f in captured.files} if captured else {}
    chosen: dict[str, ConfigFile] = {}
    for config in guest.config_files if guest and detection else []:
        if detection and config.path in detection.config_files and (config.path not in chosen or not config.dump):
            chosen[config.path] = config  # a file read beats the server's own dump of it
    configs = list(chosen.values())
    written, missing, unknown = write_recorded(staging, configs, rewiring, captured_files)
    files = [*written, *(f for path, f in captured_files.items() if path not in {w.path for w in written})]
    files, ssl_todos = fix_postgres_ssl(staging / ROOTFS, files)
    if captured is None or captured.status != "captured":
        missing += [f"{path}: application files (capture them with --capture)"
                    for path in (detection.app_paths if detection else [])]
    todos += ssl_todos
    todos += [f"{address} in the configuration is neither this VM nor a discovered peer: it stays; check it"
              for address in unknown]
    spec = build_spec(ImageInput(
        name=item.name, vm=item.node, vm_name=item.vm.name if item.vm else item.node, detection=detection,
        guest=guest, vm_model=item.vm, policy=options.policy, policy_origin=options.policy_origin,
        rewiring=rewiring, context_files=files, missing=missing, todos=todos,
        read_context=lambda path: read_text(staging / ROOTFS / path.lstrip("/"))))
    write_rendered(staging, spec, options.templates)
    skipped = [*missing, *(captured.skipped if captured else [])]
    write_manifest(staging, spec, files, skipped, captured.status if captured else "not-run")
    staging.chmod(0o755)
    return _entry(item, spec, captured, files, group, wave)


def _entry(item: _Planned, spec: Any, captured: CaptureResult | None, files: list[Any], group: int | None,
           wave: int | None) -> dict[str, Any]:
    detection, vm = item.detection, item.vm
    probe = detection.probe.model_dump(exclude_none=True) if detection and detection.probe else None
    return {
        "name": spec.name, "vm": f"{vm.source}/{vm.moid}" if vm and vm.moid else item.node, "vm_name": spec.vm_name,
        "stack": spec.stack, "dir": f"images/{spec.name}", "tag": spec.tag,
        "ports": [port.model_dump() for port in spec.ports], "listen_env": LISTEN_ENV, "probe": probe,
        "healthcheck": bool(spec.healthcheck), "peers": spec.peers,
        "guest": {"host": item.guest.host, "address": item.guest.reached_address} if item.guest else None,
        "group": group, "wave": wave, "volumes": spec.volumes, "data_paths": spec.data_paths,
        "base_image": spec.base_image,
        "capture": {"status": captured.status if captured else "not-run", "files": len(files),
                    "bytes": sum(f.size for f in files), "skipped": captured.skipped if captured else []},
        "todos": spec.todos,
    }


def _document(output: Path, snapshot: int | str | None, entries: list[dict[str, Any]],
              skipped: list[dict[str, str]]) -> dict[str, Any]:
    """This run's images, plus earlier entries of the same folder whose images were not regenerated now."""
    names = {entry["name"] for entry in entries}
    kept = []
    try:
        earlier = json.loads((output / "generate.json").read_text(encoding="utf-8"))
        if earlier.get("format_version") == GENERATE_FORMAT_VERSION:
            kept = [e for e in earlier.get("images", []) if isinstance(e, dict) and e.get("name") not in names
                    and (output / str(e.get("dir", ""))).is_dir()]
    except (OSError, ValueError, AttributeError):
        kept = []
    images = sorted([*kept, *entries], key=lambda entry: str(entry.get("name")))
    return {"format_version": GENERATE_FORMAT_VERSION, "snapshot": snapshot,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "images": images, "skipped": skipped}
