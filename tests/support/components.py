"""Skip locally, fail in CI, when a real test component (vcsim, Docker, Ansible) is missing."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True when the run is a CI run (``CI=true``), where missing components are errors."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require(component: str, reason: str) -> NoReturn:
    """Stop the current test because ``component`` is unavailable.

    Under ``CI=true`` this fails the test (a CI machine must have every component);
    elsewhere it skips, so a developer without Docker can still run the rest.
    """
    message = f"{component} unavailable: {reason}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: missing test components are failures)", pytrace=False)
    pytest.skip(message)
