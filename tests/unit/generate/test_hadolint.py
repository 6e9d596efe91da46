"""Every generated Dockerfile is hadolint-clean at the warning threshold; every entrypoint script is valid sh."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing (install the dev dependencies)")
        pytest.skip(f"{name} is not installed")
    return found


def test_every_generated_dockerfile_is_hadolint_clean(generated, generated_recordings):
    hadolint = _tool("hadolint")
    dockerfiles = [path for result in [generated, *generated_recordings]
                   for path in sorted((result.path.parent / "images").glob("*/Dockerfile"))]
    assert len(dockerfiles) == 17 + 11 + 6
    run = subprocess.run([hadolint, "--failure-threshold", "warning", "--format", "json", *map(str, dockerfiles)],
                         capture_output=True, text=True, timeout=120)
    problems = json.loads(run.stdout or "[]")
    assert run.returncode == 0 and [p for p in problems if p["level"] in ("error", "warning")] == [], problems


def test_hadolint_catches_what_the_templates_avoid(tmp_path):
    """The check is real: an unpinned apt install and a shell-form CMD are warnings hadolint reports."""
    hadolint = _tool("hadolint")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y nginx\n"
                   "CMD nginx -g 'daemon off;'\n")
    run = subprocess.run([hadolint, "--failure-threshold", "warning", str(bad)], capture_output=True, text=True)
    assert run.returncode != 0 and "DL3008" in run.stdout and "DL3025" in run.stdout


def test_entrypoint_scripts_parse_as_posix_sh(generated, generated_recordings):
    shell = shutil.which("dash") or shutil.which("sh")
    scripts = [path for result in [generated, *generated_recordings]
               for path in sorted((result.path.parent / "images").glob("*/planner-entrypoint.sh"))]
    assert scripts
    for script in scripts:
        run = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
        assert run.returncode == 0, (script, run.stderr)


def test_entrypoint_rewires_configs_and_arguments(generated, tmp_path):
    """Run a generated entrypoint for real against a copy of its config: the token becomes LISTEN_ADDRESS."""
    folder = generated.path.parent / "images" / "web-nginx"
    site = tmp_path / "default"
    site.write_text((folder / "context/rootfs/etc/nginx/sites-enabled/default").read_text())
    script = (folder / "planner-entrypoint.sh").read_text().replace("/etc/nginx/sites-enabled/default", str(site))
    (tmp_path / "entry.sh").write_text(script)
    run = subprocess.run(["sh", str(tmp_path / "entry.sh"), "printf", "%s|", "--bind=@@LISTEN_ADDRESS@@:80", "x y"],
                         capture_output=True, text=True, env={**os.environ, "LISTEN_ADDRESS": "127.0.79.5"})
    assert run.returncode == 0, run.stderr
    assert run.stdout == "--bind=127.0.79.5:80|x y|"
    assert "listen 127.0.79.5:80 default_server;" in site.read_text()
    refused = subprocess.run(["sh", str(tmp_path / "entry.sh"), "true"], capture_output=True, text=True,
                             env={**os.environ, "LISTEN_ADDRESS": "1.2.3.4/g;s/x"})
    assert refused.returncode == 64 and "must be an IP address" in refused.stderr


def test_entrypoint_rewires_the_environment(generated):
    """An environment variable that named the VM's own address is set to the container's listen address."""
    folder = generated.path.parent / "images" / "billing-dotnet"
    assert 'ASPNETCORE_URLS="http://@@LISTEN_ADDRESS@@:5000"' in (folder / "Dockerfile").read_text()
    run = subprocess.run(["sh", str(folder / "planner-entrypoint.sh"), "printenv", "ASPNETCORE_URLS"],
                         capture_output=True, text=True,
                         env={"PATH": os.environ["PATH"], "LISTEN_ADDRESS": "127.0.79.5",
                              "ASPNETCORE_URLS": "http://@@LISTEN_ADDRESS@@:5000"})
    assert run.returncode == 0, run.stderr
    assert run.stdout == "http://127.0.79.5:5000\n"
