"""A non-editable install ships the templates and the example estate, and its console script works."""

from __future__ import annotations

import json
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


def test_installed_wheel_runs_the_example(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, timeout=600)
    result = subprocess.run([str(env_dir / "bin" / "planner"), "inventory", "show", "example", "--format", "json"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["vms"] >= 38
    location = subprocess.run([str(python), "-c", "import planner.resources as r; print(r.example_estate_path())"],
                              capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert str(env_dir) in location
