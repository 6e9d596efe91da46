"""`planner verify`: build every image of a generate folder, run each move group together, probe, compare.

Per image: build (seconds, size, log tail on failure), run with host networking on a free 127.0.79.x address
with ``LISTEN_ADDRESS`` and ``--add-host`` entries naming its peers' containers, wait for its healthcheck or port,
probe it, and with ``compare`` send the same probe to the guest it came from (a different answer fails). A build
that fails does not stop the others; every container started here is removed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import InputError, NotFoundError
from planner.execute import docker_ops
from planner.execute.probe import ProbeAnswer, comparable, run_probe, sql_select_one

VERIFY_FORMAT_VERSION = 1
READY_TIMEOUT = 120.0
PROBE_ATTEMPTS = 20

Progress = Callable[[str, str], None]
"""``progress(image, message)``."""


@dataclass
class ImageResult:
    """The verdict for one image (``status``: pass | fail)."""

    name: str
    vm_name: str
    stack: str
    tag: str
    group: Any = None
    status: str = "fail"
    reason: str = ""
    build_seconds: float | None = None
    image_size: int | None = None
    address: str | None = None
    probe: dict[str, Any] | None = None
    guest_probe: dict[str, Any] | None = None
    sql: dict[str, Any] | None = None
    log_tail: str = ""


@dataclass
class VerifyReport:
    images: list[ImageResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[ImageResult]:
        return [image for image in self.images if image.status != "pass"]

    def document(self) -> dict[str, Any]:
        """The ``--format json`` document (docs/verify.md)."""
        return {"format_version": VERIFY_FORMAT_VERSION, "seconds": round(self.seconds, 1),
                "passed": len(self.images) - len(self.failed), "failed": len(self.failed),
                "images": [asdict(image) for image in self.images]}


def load_index(directory: Path, vms: list[str] | None = None) -> list[dict[str, Any]]:
    """The generate.json image entries, those of ``vms`` (VM or image names) only when given."""
    path = Path(directory) / "generate.json"
    if not path.is_file():
        raise NotFoundError(f"{path} does not exist.", hint="Give the folder `planner generate -o DIR` wrote.")
    try:
        images = list(json.loads(path.read_text(encoding="utf-8"))["images"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path} is not a generate.json index ({exc.__class__.__name__}).") from exc
    if vms:
        unknown = [vm for vm in vms if not any(vm in (image.get("vm_name"), image.get("name")) for image in images)]
        if unknown:
            raise InputError(f"--vm {unknown[0]} names no image in {path}.",
                             hint="Use a VM or image name listed in generate.json.")
        images = [image for image in images if image.get("vm_name") in vms or image.get("name") in vms]
    return images


def _groups(images: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Images verified together: those of one move group (``group``) and those wired to each other as peers
    (a peer must run for its consumer to answer), in index order."""
    names = [str(image["name"]) for image in images]
    parent = {name: name for name in names}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    first_of_group: dict[Any, str] = {}
    for image in images:
        name = str(image["name"])
        links = [peer for peer in (image.get("peers") or {}) if peer in parent]
        if image.get("group") is not None:
            links.append(first_of_group.setdefault(image["group"], name))
        for other in links:
            parent[root(other)] = root(name)
    groups: dict[str, list[dict[str, Any]]] = {}
    for image in images:
        groups.setdefault(root(str(image["name"])), []).append(image)
    return list(groups.values())


def verify(directory: Path, vms: list[str] | None = None, compare: bool = False, progress: Progress | None = None,
           client: Any = None) -> VerifyReport:
    """Verify the images of a generate folder; raises ``ConnectError`` when no Docker engine answers."""
    images = load_index(directory, vms)
    client = client or docker_ops.connect()
    report = VerifyReport()
    started = time.monotonic()
    say = progress or (lambda _image, _message: None)
    results = {str(image["name"]): _build(client, Path(directory), image, say) for image in images}
    taken: set[str] = set()
    for group in _groups(images):
        _run_group(client, group, results, taken, compare, say)
    report.images = [results[str(image["name"])] for image in images]
    report.seconds = time.monotonic() - started
    return report


def _build(client: Any, directory: Path, image: dict[str, Any], say: Progress) -> ImageResult:
    name = str(image["name"])
    result = ImageResult(name, str(image.get("vm_name") or ""), str(image.get("stack") or ""),
                         str(image.get("tag") or f"planner/{name}:verify"), image.get("group"))
    say(name, "building")
    outcome = docker_ops.build_image(client, directory / str(image.get("dir") or f"images/{name}"), result.tag,
                                     lambda line: say(name, line))
    result.build_seconds = round(outcome.seconds, 1)
    if not outcome.ok:
        result.reason = f"build failed: {outcome.error}"
        result.log_tail = outcome.log_tail
        say(name, result.reason)
        return result
    result.image_size = outcome.size
    say(name, f"built in {outcome.seconds:.1f} s, {(outcome.size or 0) / 1e6:.0f} MB")
    return result


def _ports(image: dict[str, Any]) -> list[int]:
    ports = [int(item["port"]) for item in image.get("ports") or [] if item.get("protocol", "tcp") == "tcp"]
    probe_port = (image.get("probe") or {}).get("port")
    return sorted(set(ports + ([int(probe_port)] if probe_port else [])))


def _run_group(client: Any, group: list[dict[str, Any]], results: dict[str, ImageResult], taken: set[str],
               compare: bool, say: Progress) -> None:
    """Start the group's built images together (peers resolvable by name), probe each, remove them all."""
    built = [image for image in group if results[str(image["name"])].image_size is not None]
    run_id = uuid.uuid4().hex[:8]
    addresses = {str(image["name"]): docker_ops.free_address(_ports(image), taken) for image in built}
    containers: dict[str, Any] = {}
    try:
        for image in built:
            name = str(image["name"])
            result = results[name]
            result.address = addresses[name]
            peers = {peer: addresses[peer] for peer in (image.get("peers") or {}) if peer in addresses}
            missing = [peer for peer in (image.get("peers") or {}) if peer not in addresses]
            if missing:
                result.reason = f"peer image(s) not running: {', '.join(missing)}"
            try:
                containers[name] = docker_ops.start(client, result.tag, f"planner-verify-{name}-{run_id}",
                                                    addresses[name], peers,
                                                    str(image.get("listen_env") or "LISTEN_ADDRESS"), run_id)
            except Exception as exc:  # the SDK's APIError: a bad image, name or option
                result.reason = f"could not start: {' '.join(str(exc).split())[:300]}"
            say(name, f"started on {addresses[name]}")
        for image in built:
            name = str(image["name"])
            if name in containers:
                _check(image, results[name], containers[name], compare, say)
    finally:
        docker_ops.remove(containers.values())


def _check(image: dict[str, Any], result: ImageResult, container: Any, compare: bool, say: Progress) -> None:
    address = result.address or ""
    why = docker_ops.wait_ready(container, address, _ports(image), READY_TIMEOUT)
    spec = image.get("probe") or ({"kind": "tcp", "port": _ports(image)[0]} if _ports(image) else None)
    if why:
        _fail(result, why, container, say)
        return
    if spec is None:
        _fail(result, "no probe and no port to check", container, say)
        return
    answer = _probe_until_ok(spec, address)
    result.probe = answer.as_dict()
    if not answer.ok:
        _fail(result, f"probe failed: {answer.detail}", container, say)
        return
    if spec.get("kind") == "sql":
        sql = sql_select_one(container, str(spec.get("engine") or "postgresql"))
        result.sql = sql.as_dict()
        if not sql.ok:
            _fail(result, f"SELECT 1 failed: {sql.detail}", container, say)
            return
    if compare:
        guest = str((image.get("guest") or {}).get("address") or "")
        if not guest:
            _fail(result, "--compare: generate.json names no guest address", container, say)
            return
        theirs = run_probe(spec, guest)
        result.guest_probe = theirs.as_dict()
        if comparable(theirs.answer) != comparable(answer.answer):
            _fail(result, f"answers differ from the guest {guest}", container, say)
            return
    result.status, result.reason = "pass", result.reason
    say(result.name, "pass")


def _probe_until_ok(spec: dict[str, Any], address: str) -> ProbeAnswer:
    answer = run_probe(spec, address)
    for _attempt in range(PROBE_ATTEMPTS):
        if answer.ok:
            break
        time.sleep(0.5)
        answer = run_probe(spec, address)
    return answer


def _fail(result: ImageResult, reason: str, container: Any, say: Progress) -> None:
    result.status = "fail"
    result.reason = reason
    result.log_tail = docker_ops.logs_tail(container)
    say(result.name, f"fail: {reason}")
