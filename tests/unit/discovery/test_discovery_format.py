"""The discovery contract is versioned: format 2 added the facts for generation; stored format-1 documents load."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from planner.discovery.storage import DISCOVERY_KIND, load_guests
from planner.models import Estate, PowerState, Vm
from planner.models.discovery import DISCOVERY_FORMAT_VERSION, GuestDiscovery
from planner.store import Store

STORED = Path(__file__).parent / "stored"
FORMAT1 = STORED / "app-format1.json"
"""A document as planner with format 1 stored it (merge of the recorded app guest, before the generation facts)."""


def test_the_contract_is_at_format_2():
    assert DISCOVERY_FORMAT_VERSION == 2
    assert GuestDiscovery(host="x").format_version == 2


def test_a_stored_format_1_document_loads_from_the_store(tmp_path):
    body = FORMAT1.read_text()
    assert json.loads(body)["format_version"] == 1 and "services" not in json.loads(body)
    with Store.open(tmp_path / "planner.db") as store:
        estate = Estate(collected_at=datetime.now(UTC),
                        vms=[Vm(name="app", source="vc", power_state=PowerState.ON, num_cpu=1)])
        snapshot_id = store.save(estate, origin="test").id
        store.save_documents(snapshot_id, DISCOVERY_KIND, {"app": body})
        [guest] = load_guests(store, snapshot_id)
    assert guest.format_version == 1  # says the generation facts were not collected, not that none were found
    assert guest.host == "app" and any(p.comm == "python3" for p in guest.processes)
    assert guest.services == [] and guest.config_files == [] and guest.runtimes == [] and guest.app_paths == []
    assert all(p.argv == [] and p.cwd is None and p.environment == {} for p in guest.processes)
    assert guest.missing_privileges == []


@pytest.mark.parametrize("version", [0, DISCOVERY_FORMAT_VERSION + 1])
def test_an_unknown_format_version_is_refused_clearly(version):
    body = json.loads(FORMAT1.read_text()) | {"format_version": version}
    with pytest.raises(ValidationError, match=r"format_version .* is not supported"):
        GuestDiscovery.model_validate(body)
