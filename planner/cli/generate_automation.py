"""`planner generate --only ...`: the artifacts beside the images (ansible/, compose/, kubernetes/)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from planner.automation import AutomationOptions, write_automation
from planner.automation.inputs import datacenters, sizing_from_documents
from planner.cli.common import load_snapshot, open_store
from planner.discovery.settings import RunSettings, connection_from_inventory, remembered_settings

ASSESSMENT_KIND = "assessment"


class Artifact(StrEnum):
    images = "images"
    ansible = "ansible"
    compose = "compose"
    kubernetes = "kubernetes"


def chosen(only: list[Artifact] | None) -> set[str]:
    return {item.value for item in only} if only else {item.value for item in Artifact}


def _remembered(snapshot_id: int | None) -> RunSettings | None:
    if snapshot_id is None:
        return None
    with open_store() as store:
        return remembered_settings(store, snapshot_id)


def write_artifacts(snapshot: str | None, output: Path, document: dict[str, Any], parts: set[str],
                    templates: Path | None, inventory: str | None = None) -> list[Path]:
    """The Ansible project, compose and Kubernetes files named in ``parts``, with the snapshot's sizing and the SSH
    settings of ``inventory``, else those the snapshot's discovery ran with."""
    if not parts & {"ansible", "compose", "kubernetes"}:
        return []
    estate, _label, snapshot_id = load_snapshot(snapshot)
    documents: dict[str, str] = {}
    if snapshot_id is not None:
        with open_store() as store:
            documents = store.documents(snapshot_id, ASSESSMENT_KIND)
    connection = connection_from_inventory(inventory) if inventory else dict(remembered.connection) if (
        remembered := _remembered(snapshot_id)) else {}
    options = AutomationOptions(sizing=sizing_from_documents(documents), datacenters=datacenters(estate.vms),
                                connection=connection, templates=templates)
    return write_automation(output, document, options, parts)
