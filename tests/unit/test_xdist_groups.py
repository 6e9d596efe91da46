"""``--dist loadgroup`` keeps an xdist group on one worker (tests/support/xdist_groups.py), run for real."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GROUPED = '''
import os
import pytest

pytestmark = [pytest.mark.xdist_group("guests")]


@pytest.fixture(scope="module")
def guests():
    with open("workers.txt", "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
    yield


@pytest.mark.parametrize("n", [pytest.param(n, marks=pytest.mark.xfail(strict=False)) if n == 3 else n
                               for n in range(8)])
def test_stack(guests, n):
    pass
'''
OTHER = '''
import time


def test_slow():
    time.sleep(2)
'''


def test_one_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_stacks.py").write_text(GROUPED)
    (tmp_path / "test_cutover.py").write_text(GROUPED)
    (tmp_path / "test_other.py").write_text(OTHER)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.xdist_groups", "-p", "no:cacheprovider", "-n", "2",
         "--dist", "loadgroup", "-q", "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_ADDOPTS": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    workers = (tmp_path / "workers.txt").read_text().split()
    assert len(workers) == 2 and len(set(workers)) == 1, workers  # both modules, one worker
