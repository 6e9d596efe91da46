"""Make ``--dist loadgroup`` keep each ``xdist_group`` on one worker again (pytest plugin, loaded by the conftest).

pytest-xdist 3.8 names an item's group by appending ``@GROUP`` to ``item._nodeid``; pytest 9.2 keeps the node id
in ``item._id`` and no longer reads ``_nodeid``, so every grouped test was scheduled on its own and the stack-guest
modules ran on both workers at once (two guest sets on 127.0.78.x, each removing the other's: "could not bind"
in CI). This hook, run after xdist's, gives the item the suffixed id when it does not have it yet; with a pytest or
xdist that does it themselves it changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest


def group_suffix(item: pytest.Item) -> str:
    """``@a_b`` for an item marked ``xdist_group("a")`` and ``xdist_group("b")``; ``""`` when it has none."""
    names = {str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
             for mark in item.iter_markers("xdist_group")}
    return "@" + "_".join(sorted(names)) if names else ""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        suffix = group_suffix(item)
        if not suffix or item.nodeid.endswith(suffix):
            continue
        node_id: Any = getattr(item, "_id", None)
        if node_id is None or not hasattr(type(node_id), "parse"):
            raise RuntimeError(f"cannot give {item.nodeid} its xdist group: this pytest keeps node ids otherwise; "
                               "see tests/support/xdist_groups.py")
        item._id = type(node_id).parse(item.nodeid + suffix)  # type: ignore[attr-defined]
