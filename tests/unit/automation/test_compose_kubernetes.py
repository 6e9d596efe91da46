"""compose/wave-N.yml against the compose specification's JSON schema (from Debian's docker-compose, or
`docker-compose config`), kubernetes/wave-N/ against the Kubernetes schemas (kubernetes-validate, offline)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

COMPOSE_SCHEMA = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")
KUBERNETES_VERSION = "1.30.0"


def _schema() -> dict:
    if not COMPOSE_SCHEMA.is_file():
        pytest.fail(f"{COMPOSE_SCHEMA} is missing: apt-get install docker-compose (it ships the compose spec schema)")
    return json.loads(COMPOSE_SCHEMA.read_text())


def test_compose_files_follow_the_compose_spec(automation):
    files = sorted((automation / "compose").glob("wave-*.yml"))
    assert files
    schema = _schema()
    for path in files:
        jsonschema.Draft7Validator(schema).validate(yaml.safe_load(path.read_text()))


def test_compose_services_volumes_and_dependencies(automation):
    documents = [yaml.safe_load(path.read_text()) for path in (automation / "compose").glob("wave-*.yml")]
    services = {name: service for doc in documents for name, service in doc["services"].items()}
    volumes = {name for doc in documents for name in doc.get("volumes", {})}
    assert services["redis-redis"]["volumes"] == [
        {"type": "volume", "source": "redis-redis-var-lib-redis", "target": "/var/lib/redis"}]
    assert "redis-redis-var-lib-redis" in volumes
    assert services["redis-redis"]["ports"] == ["6379:6379/tcp"]
    same_wave = [doc for doc in documents if {"web-nginx", "app-python-wsgi"} <= set(doc["services"])]
    if same_wave:
        assert "app-python-wsgi" in services["web-nginx"]["depends_on"]
    assert all("healthcheck" in s for name, s in services.items() if name in {"web-nginx", "redis-redis"})


def test_docker_compose_reads_them(automation):
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose is missing: apt-get install docker-compose")
    for path in (automation / "compose").glob("wave-*.yml"):
        result = subprocess.run([tool, "-f", str(path), "config", "-q"], capture_output=True, text=True,
                                check=False, env={**os.environ, "DOCKER_HOST": "unix:///nonexistent"})
        assert result.returncode == 0, result.stderr


def test_kubernetes_manifests_validate(automation):
    tool = Path(sys.executable).parent / "kubernetes-validate"
    files = sorted((automation / "kubernetes").rglob("*.yaml"))
    manifests = [path for path in files if path.name != "kustomization.yaml"]
    assert manifests
    result = subprocess.run([str(tool), "--strict", "-k", KUBERNETES_VERSION, *map(str, manifests)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_statefulset_for_data_with_sizing_and_kustomization(automation):
    waves = sorted((automation / "kubernetes").iterdir())
    kinds = {}
    for wave in waves:
        kustomization = yaml.safe_load((wave / "kustomization.yaml").read_text())
        assert sorted(kustomization["resources"]) == sorted(p.name for p in wave.glob("*.yaml")
                                                            if p.name != "kustomization.yaml")
        for path in wave.glob("*-*.yaml"):
            data = yaml.safe_load(path.read_text())
            kinds[(data["kind"], data["metadata"]["name"])] = data
    redis = kinds[("StatefulSet", "redis-redis")]
    container = redis["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"},
                                      "limits": {"cpu": "1000m", "memory": "512Mi"}}
    assert ("PersistentVolumeClaim", "redis-redis-var-lib-redis") in kinds
    assert ("Deployment", "web-nginx") in kinds and ("Service", "web-nginx") in kinds
