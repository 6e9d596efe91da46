"""Migration automation beside the images: the Ansible project, compose per wave and Kubernetes per wave.

Library entry point: :func:`write_automation`, called by `planner generate` after generate.json is written.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner import fileio
from planner.automation.ansible_project import write_ansible
from planner.automation.compose import compose_files, compose_text
from planner.automation.kubernetes import HEADER as K8S_HEADER
from planner.automation.kubernetes import manifests
from planner.automation.view import build_view
from planner.render.escape import yaml_dump

ARTIFACTS = ("images", "ansible", "compose", "kubernetes")


@dataclass
class AutomationOptions:
    """What generate.json does not hold: SSH settings discovery used, services and sizing per VM name."""

    connection: Mapping[str, Any] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)
    sizing: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    datacenter: str | None = None
    datacenters: Mapping[str, str] = field(default_factory=dict)
    registry: str | None = None
    templates: Path | None = None


def write_automation(output: Path, document: Mapping[str, Any], options: AutomationOptions | None = None,
                     only: Collection[str] = ARTIFACTS) -> list[Path]:
    """Write ``ansible/``, ``compose/`` and ``kubernetes/`` (those named in ``only``) under ``output``."""
    options = options or AutomationOptions()
    view = build_view(document, connection=options.connection, services=options.services, sizing=options.sizing,
                      datacenter=options.datacenter, registry=options.registry,
                      datacenters=options.datacenters)
    written: list[Path] = []
    if "ansible" in only:
        written += write_ansible(output / "ansible", view, options.templates)
    if "compose" in only:
        folder = output / "compose"
        shutil.rmtree(folder, ignore_errors=True)
        for wave, data in compose_files(view).items():
            path = folder / f"wave-{wave}.yml"
            fileio.write_text(path, compose_text(data))
            written.append(path)
    if "kubernetes" in only:
        folder = output / "kubernetes"
        shutil.rmtree(folder, ignore_errors=True)
        for wave, files in manifests(view).items():
            for name, data in files.items():
                path = folder / f"wave-{wave}" / name
                fileio.write_text(path, K8S_HEADER + yaml_dump(data))
                written.append(path)
    return written
