"""Bulk property retrieval: one paged RetrievePropertiesEx over a ContainerView per object type."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim, vmodl

PAGE_SIZE = 1000
"""Objects per page: vCenter caps pages itself; this keeps each response well under its limits."""

PropertyCollector = vmodl.query.PropertyCollector


@dataclass
class ObjectProps:
    """One managed object's properties as returned, plus the paths the server could not give."""

    moid: str
    props: dict[str, Any]
    missing: dict[str, Any] = field(default_factory=dict)
    kind: str = ""
    """The object's vSphere type name, e.g. `OpaqueNetwork` for a network of that subtype."""


def _filter_spec(view: Any, mo_type: type, paths: Sequence[str]) -> Any:
    traversal = PropertyCollector.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
    return PropertyCollector.FilterSpec(
        objectSet=[PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traversal])],
        propSet=[PropertyCollector.PropertySpec(type=mo_type, pathSet=list(paths), all=False)],
    )


def _unsupported_path(fault: Exception) -> str | None:
    if isinstance(fault, vmodl.query.InvalidProperty):
        return getattr(fault, "name", None)
    return None


def retrieve(
    content: Any,
    mo_type: type,
    paths: Sequence[str],
    *,
    page_size: int = PAGE_SIZE,
    on_page: Callable[[int], None] | None = None,
    skipped: list[str] | None = None,
) -> Iterator[ObjectProps]:
    """Yield every object of `mo_type` below the root folder with the given leaf property paths.

    A path the server does not know (older API versions) is dropped and the call repeated; the
    dropped paths are appended to `skipped`. `on_page` gets the object count of each page.
    """
    wanted = list(paths)
    view = content.viewManager.CreateContainerView(content.rootFolder, [mo_type], True)
    try:
        collector = content.propertyCollector
        options = PropertyCollector.RetrieveOptions(maxObjects=page_size)
        while True:
            try:
                result = collector.RetrievePropertiesEx([_filter_spec(view, mo_type, wanted)], options)
                break
            except vmodl.query.InvalidProperty as fault:
                bad = _unsupported_path(fault)
                if not bad or bad not in wanted:
                    raise
                wanted.remove(bad)
                if skipped is not None:
                    skipped.append(f"{mo_type.__name__.rsplit('.', 1)[-1]}.{bad}")
        while result is not None:
            for obj in result.objects:
                props = {prop.name: prop.val for prop in obj.propSet}
                missing = {item.path: item.fault for item in (obj.missingSet or ())}
                yield ObjectProps(obj.obj._moId, props, missing, type(obj.obj).__name__.rsplit(".", 1)[-1])
            if on_page is not None:
                on_page(len(result.objects))
            token = result.token
            result = collector.ContinueRetrievePropertiesEx(token) if token else None
    finally:
        with contextlib.suppress(Exception):  # best effort: the session may already be gone
            view.DestroyView()
