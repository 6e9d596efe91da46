"""Root conftest: fixtures for the real test components (vCenter simulator, Docker engine).

The machinery lives in ``tests/support``; a missing component skips locally and fails under ``CI=true``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so tests can `from tests.support... import ...` however pytest is started
    sys.path.insert(0, str(ROOT))

from tests.support import docker_engine as engine  # noqa: E402
from tests.support.components import require  # noqa: E402
from tests.support.vcsim import Vcsim, build_vcsim, missing_toolchain  # noqa: E402
from tests.support.xdist_groups import pytest_collection_modifyitems  # noqa: E402, F401 (the hook)


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    """The compiled simulator (built once, cached under ~/.cache/planner-tests)."""
    reason = missing_toolchain()
    if reason is not None:
        require("vcsim", reason)
    return build_vcsim()


@pytest.fixture
def vcsim_factory(vcsim_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Vcsim]]:
    """``vcsim_factory(dc=1, cluster=1, host=2, vm=2, standalone_host=0, ds=1, delay_ms=0, tls=True, deny=())``
    starts a simulator; all of them stop at teardown."""
    started: list[Vcsim] = []

    def start(**options: Any) -> Vcsim:
        options.setdefault("workdir", tmp_path_factory.mktemp("vcsim"))
        server = Vcsim(vcsim_binary, **options)
        started.append(server)
        return server.start()

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def vcsim(vcsim_factory: Callable[..., Vcsim]) -> Vcsim:
    """A running simulator with a small inventory: 1 datacenter, 1 cluster, 2 hosts, 2 VMs, over TLS."""
    return vcsim_factory(dc=1, cluster=1, host=2, vm=2)


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[Any]:
    """A ``docker.DockerClient`` on a running engine (dockerd is started, detached, if none answers)."""
    missing = engine.missing_tools("docker")
    if not engine.engine_answers():
        missing += engine.missing_tools("dockerd")
    if missing:
        require("docker", f"missing {', '.join(missing)} (apt-get install docker.io)")
    try:
        engine.ensure_docker_engine()
    except engine.DockerEngineError as exc:
        require("docker", str(exc))
    docker_client = engine.client()
    yield docker_client
    docker_client.close()


@pytest.fixture(scope="session")
def debian_base_image(docker_engine: Any) -> str:
    """Tag of the local Debian bookworm base image (debootstrapped and imported once per machine)."""
    tag = engine.BASE_IMAGE_TAG
    if not engine.image_exists(tag):
        missing = engine.missing_tools("debootstrap", "tar")
        if missing:
            require("docker", f"cannot build {tag}: missing {', '.join(missing)} (apt-get install debootstrap)")
    return engine.ensure_base_image(tag)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under ``--dist loadgroup`` every ``xdist_group`` test must carry its group in its id, or xdist schedules it
    on any worker and two workers start the same fixed-address guests (seen with pytest 9 and xdist 3.8)."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [item.nodeid for item in session.items
            if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid]
    if lost:
        raise pytest.UsageError(f"pytest-xdist ignores the xdist_group of {len(lost)} tests (first: {lost[0]}): "
                                "this pytest and pytest-xdist do not work together; install the versions "
                                "pyproject.toml pins (bash scripts/setup.sh)")

