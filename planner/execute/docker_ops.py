"""The Docker SDK side of `planner verify`: connect, build with progress, run on a free loopback address, wait.

Containers run with host networking on an address of 127.0.79.0/24 whose ports are free (checked by binding),
get ``LISTEN_ADDRESS`` and ``--add-host`` entries for their peers, carry a ``planner-verify`` label, and are always
removed by the caller (``remove``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import ConnectError

ADDRESS_RANGE = ipaddress.IPv4Network("127.0.79.0/24")
LABEL = "planner-verify"
LOG_TAIL_LINES = 20


def connect(timeout: int = 900) -> Any:
    """A ``docker.DockerClient`` from the environment (``DOCKER_HOST`` or the local socket), or ``ConnectError``."""
    import docker
    import docker.errors

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise ConnectError(f"no Docker engine answers ({reason}).",
                           hint="Start dockerd (or set DOCKER_HOST) and run `planner verify` again.") from None
    return client


@dataclass
class BuildOutcome:
    ok: bool
    seconds: float
    size: int | None = None
    image_id: str | None = None
    log_tail: str = ""
    error: str = ""


def build_image(client: Any, folder: Path, tag: str, progress: Callable[[str], None] | None = None) -> BuildOutcome:
    """``docker build --network host -t TAG FOLDER``; a failing build returns its log tail, never raises."""
    import docker.errors

    started = time.monotonic()
    lines: list[str] = []
    error = ""
    try:
        for chunk in client.api.build(path=str(folder), tag=tag, rm=True, forcerm=True, network_mode="host",
                                      decode=True, pull=False):
            if "stream" in chunk:
                for line in str(chunk["stream"]).splitlines():
                    if line.strip():
                        lines.append(line)
                        if progress is not None and line.startswith("Step "):
                            progress(line)
            if "error" in chunk:
                error = " ".join(str(chunk["error"]).split())
                lines.append(error)
    except (docker.errors.DockerException, OSError) as exc:
        error = " ".join(str(exc).split())[:300]
    seconds = time.monotonic() - started
    tail = "\n".join(lines[-LOG_TAIL_LINES:])
    if error:
        return BuildOutcome(False, seconds, log_tail=tail, error=error)
    image = client.images.get(tag)
    return BuildOutcome(True, seconds, int(image.attrs.get("Size") or 0), image.id, tail)


def port_free(address: str, port: int) -> bool:
    """True when ``address:port`` can be bound (nobody listens on it, nor on 0.0.0.0 with that port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def free_address(ports: Iterable[int], taken: set[str], network: ipaddress.IPv4Network = ADDRESS_RANGE) -> str:
    """The first address of ``network`` not in ``taken`` on which every port is free (``taken`` gets it)."""
    wanted = list(ports)
    for host in network.hosts():
        address = str(host)
        if host.packed[-1] < 2 or address in taken:
            continue
        if all(port_free(address, port) for port in wanted):
            taken.add(address)
            return address
    raise ConnectError(f"no free loopback address in {network} for ports {', '.join(map(str, wanted))}.",
                       hint="Stop the containers of earlier runs (label planner-verify).")


def start(client: Any, tag: str, name: str, address: str, peers: dict[str, str], env_name: str,
          run_id: str) -> Any:
    """Run the image detached with host networking, ``env_name=address`` and ``--add-host`` for each peer."""
    return client.containers.run(tag, name=name, detach=True, network_mode="host",
                                 environment={env_name: address}, extra_hosts=peers or None,
                                 labels={LABEL: run_id})


def wait_ready(container: Any, address: str, ports: list[int], timeout: float) -> str:
    """Wait until the healthcheck says healthy or every port accepts connections; '' when ready, else why not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        state = container.attrs.get("State") or {}
        if state.get("Status") in {"exited", "dead"}:
            return f"the container exited with code {state.get('ExitCode')}"
        health = (state.get("Health") or {}).get("Status")
        if health == "unhealthy":
            return "its healthcheck says unhealthy"
        if health == "healthy" or (ports and all(_accepts(address, port) for port in ports)):
            return ""
        time.sleep(0.5)
    return f"not ready within {timeout:.0f} s (healthcheck or port {', '.join(map(str, ports))})"


def _accepts(address: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((address, port)) == 0


def logs_tail(container: Any, lines: int = LOG_TAIL_LINES) -> str:
    with contextlib.suppress(Exception):
        return str(container.logs(tail=lines).decode("utf-8", errors="replace")).strip()
    return ""


def remove(containers: Iterable[Any]) -> None:
    """Remove containers (forced) with their anonymous volumes (an image's ``VOLUME`` makes one per run, and they
    would pile up); errors are ignored, a container that is already gone is fine."""
    for container in containers:
        with contextlib.suppress(Exception):
            container.remove(force=True, v=True)
