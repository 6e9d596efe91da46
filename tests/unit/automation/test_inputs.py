"""What the automation reads beyond generate.json: sizing, datacenters, discovery's SSH settings; `--only`."""

from __future__ import annotations

import json

import pytest
import yaml

from planner.automation import write_automation
from planner.automation.inputs import existing_index, sizing_from_documents
from planner.discovery.settings import connection_from_inventory
from planner.errors import InputError, NotFoundError


def test_sizing_from_stored_assessment_documents():
    sizing = {"requests": {"cpu_cores": 0.5, "memory_mib": 300}, "limits": {"cpu_cores": 1, "memory_mib": 600}}
    documents = {"latest": json.dumps({"vms": [{"vm": "web", "sizing": sizing}, {"vm": "x"}, "junk"]}),
                 "broken": "{not json"}
    assert sizing_from_documents(documents) == {"web": sizing}


def test_connection_from_a_yaml_inventory_keeps_ssh_settings_and_never_a_password(tmp_path):
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"vars": {
        "ansible_user": "ops", "ansible_port": 2222, "ansible_password": "secret", "ansible_become_pass": "x",
        "ansible_ssh_private_key_file": "/keys/id", "other": 1}, "hosts": {"web": {}}}}))
    assert connection_from_inventory(str(path)) == {"ansible_user": "ops", "ansible_port": 2222,
                                                    "ansible_ssh_private_key_file": "/keys/id"}
    (tmp_path / "hosts.ini").write_text("[web]\nweb ansible_host=127.0.0.2\n")
    assert connection_from_inventory(str(tmp_path / "hosts.ini")) == {}
    assert connection_from_inventory("web,app,") == {} and connection_from_inventory(None) == {}


def test_only_narrows_the_artifacts(tmp_path, generated_images):
    written = write_automation(tmp_path, generated_images.document, only={"compose"})
    assert written and all(path.parent.name == "compose" for path in written)
    assert not (tmp_path / "ansible").exists() and not (tmp_path / "kubernetes").exists()


def test_only_without_images_needs_an_earlier_index(tmp_path):
    with pytest.raises(NotFoundError, match="generate the images first"):
        existing_index(tmp_path)
    (tmp_path / "generate.json").write_text("[1,")
    with pytest.raises(InputError, match=r"is not a generate\.json index"):
        existing_index(tmp_path)
