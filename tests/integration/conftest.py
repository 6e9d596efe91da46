"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from planner.models import Estate
from planner.resources import example_estate_path
from tests.support.seed import SeedResult, seed_estate
from tests.support.vcsim import Vcsim


@pytest.fixture
def seeded(vcsim_factory: Callable[..., Vcsim], tmp_path: Path) -> tuple[Vcsim, Estate, SeedResult]:
    """A simulator holding the bundled example estate, seeded through the vSphere API: (server, estate, result)."""
    server = vcsim_factory(dc=1, cluster=1, host=1, vm=0)
    expected = Estate.model_validate_json(example_estate_path().read_text())
    result = seed_estate(server.connect(), expected, workdir=str(tmp_path / "datastores"),
                         rest=(server.host, server.port, server.user, server.password, server.ssl_context()))
    return server, expected, result
