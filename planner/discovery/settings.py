"""The settings a discovery run reached the guests with, remembered with its facts (never a secret).

`planner discover run` stores one ``discovery-run`` document with the snapshot it enriches: the inventory (an
absolute path, or the comma-separated host list), ``--limit``, ``--become`` and the group-wide SSH settings of a YAML
inventory (only :data:`CONNECTION_KEYS`: no password, no vault text). `planner generate --capture` without ``-i``
captures with them; later snapshots carry them forward as they carry the facts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from planner.store import Store

RUN_KIND = "discovery-run"
RUN_NAME = "settings"
CONNECTION_KEYS = ("ansible_user", "ansible_port", "ansible_ssh_private_key_file", "ansible_ssh_common_args",
                   "ansible_python_interpreter", "ansible_become", "ansible_become_method", "ansible_become_user")
"""Connection settings that may be remembered and copied into generated inventories; never a password."""


class RunSettings(BaseModel):
    """How one discovery run reached its guests."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = 1
    inventory: str
    limit: str | None = None
    become: bool = False
    connection: dict[str, str | int | bool] = Field(default_factory=dict)
    saved_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    snapshot_id: int | None = Field(default=None, exclude=True)
    """The snapshot it was stored with (set when read)."""


def connection_from_inventory(path: str | None) -> dict[str, str | int | bool]:
    """The group-wide SSH settings (``all.vars``) of a YAML inventory file, only :data:`CONNECTION_KEYS`; ``{}`` for
    other inventories (INI, scripts, plugins, host lists)."""
    if not path or not Path(path).is_file():
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    top = data.get("all") if isinstance(data, dict) else None
    variables = top.get("vars") if isinstance(top, dict) else None
    return {key: value for key, value in (variables if isinstance(variables, dict) else {}).items()
            if key in CONNECTION_KEYS and isinstance(value, str | int | bool)}


def run_settings(inventory: str | dict[str, Any], limit: str | None, become: bool) -> RunSettings | None:
    """What to remember of a run with ``inventory`` as resolved for ansible-runner (a path or host list text);
    ``None`` for an inventory given as data, which cannot be named again."""
    if not isinstance(inventory, str):
        return None
    return RunSettings(inventory=inventory, limit=limit, become=become,
                       connection=connection_from_inventory(inventory))


def settings_document(settings: RunSettings) -> dict[str, dict[str, str]]:
    """The document set to store with the facts (same transaction)."""
    return {RUN_KIND: {RUN_NAME: settings.model_dump_json()}}


def remembered_settings(store: Store, snapshot_id: int) -> RunSettings | None:
    """The settings of the latest discovery run stored with this snapshot or an earlier one."""
    for source_id in store.snapshots_with(RUN_KIND, up_to=snapshot_id):
        body = store.documents(source_id, RUN_KIND).get(RUN_NAME)
        try:
            data = json.loads(body) if body else None
            if isinstance(data, dict):
                return RunSettings.model_validate({**data, "snapshot_id": source_id})
        except (ValueError, ValidationError):
            continue  # an unreadable record is skipped: an earlier one may still name the inventory
    return None
