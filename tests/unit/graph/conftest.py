"""Fixtures for the graph tests."""

from __future__ import annotations

import pytest
from graph_helpers import make_estate, make_vm

from planner.models import Estate


@pytest.fixture
def three_tier() -> Estate:
    """web -> app -> db, plus an isolated VM and a template."""
    return make_estate(
        make_vm("web", "192.0.2.10"), make_vm("app", "192.0.2.20", cpu=4), make_vm("db", "192.0.2.30", cpu=8),
        make_vm("lonely", "192.0.2.40"), make_vm("golden", "192.0.2.50", template=True),
    )
