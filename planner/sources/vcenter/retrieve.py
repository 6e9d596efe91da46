"""Bulk property retrieval: one paged RetrievePropertiesEx over a ContainerView per object type."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
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


@dataclass
class Page:
    """One PropertyCollector answer: its objects and the token of the next page, if any."""

    objects: list[ObjectProps]
    token: str | None


Pages = Callable[[Any, Any, Any], Iterable[Page]]
"""(collector, filter spec, retrieve options) -> the pages of one retrieval."""


def pyvmomi_pages(collector: Any, spec: Any, options: Any) -> Iterator[Page]:
    """Pages through pyVmomi's deserializer: objects built by pyVmomi, then flattened."""
    result = collector.RetrievePropertiesEx([spec], options)
    while result is not None:
        objects = []
        for obj in result.objects:
            props = {prop.name: prop.val for prop in obj.propSet}
            missing = {item.path: item.fault for item in (obj.missingSet or ())}
            objects.append(ObjectProps(obj.obj._moId, props, missing, type(obj.obj).__name__.rsplit(".", 1)[-1]))
        yield Page(objects, result.token)
        result = collector.ContinueRetrievePropertiesEx(result.token) if result.token else None


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
    pages: Pages = pyvmomi_pages,
) -> Iterator[ObjectProps]:
    """Yield every object of `mo_type` below the root folder with the given leaf property paths.

    A path the server does not know (older API versions) is dropped and the call repeated; the
    dropped paths are appended to `skipped`. `on_page` gets the object count of each page. `pages` reads the
    answers: pyVmomi's deserializer (default) or the stream parser (`stream.stream_pages`).
    """
    wanted = list(paths)
    view = content.viewManager.CreateContainerView(content.rootFolder, [mo_type], True)
    try:
        collector = content.propertyCollector
        options = PropertyCollector.RetrieveOptions(maxObjects=page_size)
        while True:
            stream = iter(pages(collector, _filter_spec(view, mo_type, wanted), options))
            try:
                page = next(stream, None)
                break
            except vmodl.query.InvalidProperty as fault:
                bad = _unsupported_path(fault)
                if not bad or bad not in wanted:
                    raise
                wanted.remove(bad)
                if skipped is not None:
                    skipped.append(f"{mo_type.__name__.rsplit('.', 1)[-1]}.{bad}")
        while page is not None:
            yield from page.objects
            if on_page is not None:
                on_page(len(page.objects))
            page = next(stream, None)
    finally:
        with contextlib.suppress(Exception):  # best effort: the session may already be gone
            view.DestroyView()
