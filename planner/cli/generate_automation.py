"""`planner generate --only ...`: the artifacts beside the images (ansible/, compose/, kubernetes/)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from planner.automation import AutomationOptions, write_automation
from planner.automation.inputs import datacenters, sizing_from_documents
from planner.cli.common import load_snapshot, open_store
from planner.errors import InputError, NotFoundError

ASSESSMENT_KIND = "assessment"


class Artifact(StrEnum):
    images = "images"
    ansible = "ansible"
    compose = "compose"
    kubernetes = "kubernetes"


def chosen(only: list[Artifact] | None) -> set[str]:
    return {item.value for item in only} if only else {item.value for item in Artifact}


def existing_index(output: Path) -> dict[str, Any]:
    """generate.json of an earlier run (``--only`` without ``images``)."""
    path = output / "generate.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise NotFoundError(f"{path} does not exist: generate the images first (without --only, or --only "
                            "images).") from exc
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path} is not a generate.json index: {exc}") from exc


def write_artifacts(snapshot: str | None, output: Path, document: dict[str, Any], parts: set[str],
                    templates: Path | None) -> list[Path]:
    """The Ansible project, compose and Kubernetes files named in ``parts``, with the snapshot's sizing."""
    if not parts & {"ansible", "compose", "kubernetes"}:
        return []
    estate, _label, snapshot_id = load_snapshot(snapshot)
    documents: dict[str, str] = {}
    if snapshot_id is not None:
        with open_store() as store:
            documents = store.documents(snapshot_id, ASSESSMENT_KIND)
    options = AutomationOptions(sizing=sizing_from_documents(documents), datacenters=datacenters(estate.vms),
                                templates=templates)
    return write_automation(output, document, options, parts)
