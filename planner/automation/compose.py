"""``compose/wave-N.yml``: one compose file per wave, services named after the images (``VM-STACK``).

Built as data and dumped. Ports are published as the VM listened; ``depends_on`` follows the dependency graph (a peer
in the same wave, waiting for its health check when its image has one); data directories become named volumes. On
the compose network peers resolve by service name, so the container listens on all addresses.
"""

from __future__ import annotations

from typing import Any

from planner.automation.view import ALL_ADDRESSES, AutomationView, ContainerView, peers_in
from planner.render.escape import yaml_dump

HEADER = ("# Written by `planner generate` (docs/automation.md); validated against the compose specification, "
          "not run.\n")


def compose_value(text: str) -> str:
    """A string compose must not interpolate: ``$`` doubled."""
    return text.replace("$", "$$")


def _service(container: ContainerView, names: list[str], by_name: dict[str, ContainerView],
             registry: str | None) -> dict[str, Any]:
    service: dict[str, Any] = {"image": f"{registry.rstrip('/')}/{container.tag}" if registry else container.tag,
                               "restart": "unless-stopped", "environment": {"LISTEN_ADDRESS": ALL_ADDRESSES}}
    if container.ports:
        service["ports"] = [f"{port['port']}:{port['port']}/{port.get('protocol') or 'tcp'}"
                            for port in container.ports]
    depends = peers_in(container, names)
    if depends:
        service["depends_on"] = {peer: {"condition": "service_healthy" if by_name[peer].healthcheck
                                        else "service_started"} for peer in depends}
    if container.healthcheck:
        service["healthcheck"] = {"interval": "10s", "timeout": "5s", "retries": 5, "start_period": "20s"}
    if container.volumes:
        service["volumes"] = [{"type": "volume", "source": v["name"], "target": compose_value(v["path"])}
                              for v in container.volumes]
    return service


def compose_files(view: AutomationView) -> dict[int, dict[str, Any]]:
    """Wave -> the compose document (``services`` and ``volumes``)."""
    documents = {}
    for wave in view.waves:
        containers = [c for vm in view.in_wave(wave) for c in vm.containers]
        names = [c.name for c in containers]
        by_name = {c.name: c for c in containers}
        document: dict[str, Any] = {"services": {
            c.name: _service(c, names, by_name, view.registry) for c in containers}}
        volumes = sorted({v["name"] for c in containers for v in c.volumes})
        if volumes:
            document["volumes"] = {name: {} for name in volumes}
        documents[wave] = document
    return documents


def compose_text(document: dict[str, Any]) -> str:
    return HEADER + yaml_dump(document)
