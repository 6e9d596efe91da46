"""Paged retrieval against a recorded PropertyCollector: tokens followed, unknown paths dropped and retried."""

from __future__ import annotations

from typing import Any

from pyVmomi import vim, vmodl

from planner.sources.vcenter.retrieve import retrieve

PC = vmodl.query.PropertyCollector


def content_object(vm_id: str, name: str) -> Any:
    return PC.ObjectContent(obj=vim.VirtualMachine(vm_id), propSet=[vmodl.DynamicProperty(name="name", val=name)])


class RecordedCollector:
    """Replays a vCenter that knows no `config.fromTheFuture` and pages two objects at a time."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.pages = {"t1": ["vm-3", "vm-4"], "t2": ["vm-5"]}

    def RetrievePropertiesEx(self, specs: list[Any], options: Any) -> Any:
        paths = list(specs[0].propSet[0].pathSet)
        self.calls.append(("retrieve", paths))
        if "config.fromTheFuture" in paths:
            raise vmodl.query.InvalidProperty(name="config.fromTheFuture")
        return PC.RetrieveResult(objects=[content_object("vm-1", "a"), content_object("vm-2", "b")], token="t1")

    def ContinueRetrievePropertiesEx(self, token: str) -> Any:
        self.calls.append(("continue", token))
        ids = self.pages[token]
        return PC.RetrieveResult(objects=[content_object(i, i) for i in ids], token="t2" if token == "t1" else None)


class Content:
    def __init__(self) -> None:
        self.propertyCollector = RecordedCollector()
        self.rootFolder = object()
        self.viewManager = self

    def CreateContainerView(self, root: Any, types: list[type], recursive: bool) -> Any:
        return vim.view.ContainerView("session[1]view-1")  # no stub: DestroyView fails and is ignored


def test_pages_are_followed_and_unknown_paths_dropped() -> None:
    content = Content()
    skipped: list[str] = []
    pages: list[int] = []
    objects = list(retrieve(content, vim.VirtualMachine, ["name", "config.fromTheFuture"], page_size=2,
                            on_page=pages.append, skipped=skipped))
    assert [o.moid for o in objects] == ["vm-1", "vm-2", "vm-3", "vm-4", "vm-5"]
    assert pages == [2, 2, 1]
    assert skipped == ["VirtualMachine.config.fromTheFuture"]
    assert content.propertyCollector.calls == [
        ("retrieve", ["name", "config.fromTheFuture"]), ("retrieve", ["name"]), ("continue", "t1"),
        ("continue", "t2")]
