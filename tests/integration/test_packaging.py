"""A non-editable install ships the templates and the example estate, and its console script works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)], check=True,
                   timeout=600)
    [built] = out.glob("planner-*.whl")
    return built


def test_wheel_contains_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "planner/_data/inventories/example/estate.json" in names
    assert any(name.startswith("planner/_data/templates/") for name in names)
    assert "planner/cli/__init__.py" in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


def _pins(tmp_path: Path) -> Path:
    """Constraints: the versions this test run uses, so the isolated install resolves to them (and pip's cache)."""
    from importlib import metadata

    pins = sorted({f"{dist.metadata['Name']}=={dist.version}" for dist in metadata.distributions()
                   if dist.metadata["Name"] and dist.metadata["Name"].lower() != "planner"})
    path = tmp_path / "constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    return path


def test_installed_wheel_runs_the_example(wheel: Path, tmp_path: Path) -> None:
    """As a user installs it: the wheel *with its dependencies* into a venv of its own (no system site-packages),
    so a dependency missing from pyproject.toml fails here and not on the user's machine."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=False, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "-c", str(_pins(tmp_path)),
                    str(wheel)], check=True, timeout=900)
    user_env = {key: value for key, value in os.environ.items()  # a user's shell: no PYTHONPATH into a checkout
                if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    probe = ("import json, sys, typer, pydantic_core, ansible; "
             "print(json.dumps([sys.path, typer.__file__, pydantic_core.__file__, ansible.__file__]))")
    paths, *modules = json.loads(subprocess.run([str(python), "-c", probe], capture_output=True, text=True,
                                                cwd=tmp_path, env=user_env, check=True).stdout)
    assert all(str(env_dir) in entry for entry in paths if "-packages" in entry), paths  # nothing from the system
    assert all(str(env_dir) in module for module in modules), modules  # the dependencies came with the wheel
    assert (env_dir / "bin" / "ansible-playbook").exists()  # and Ansible's commands, beside its python
    result = subprocess.run([str(env_dir / "bin" / "planner"), "inventory", "show", "example", "--format", "json"],
                            capture_output=True, text=True, cwd=tmp_path, env=user_env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["vms"] >= 38
    location = subprocess.run([str(python), "-c", "import planner.resources as r; print(r.example_estate_path())"],
                              capture_output=True, text=True, cwd=tmp_path, env=user_env, check=True).stdout
    assert str(env_dir) in location
