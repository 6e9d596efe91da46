"""The vAPI tagging client against a local HTTPS server playing a vCenter's REST endpoint and its failures."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from planner.errors import AuthenticationError, ConnectError, PermissionDeniedError
from planner.sources.vcenter.settings import Secret, ServerSettings
from planner.sources.vcenter.tags import TaggingClient, TagsUnavailable
from tests.support.https_stub import HttpsStub, Route, make_certificate


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def rest(certificate: tuple[Path, Path]) -> Iterator[Callable[[Route], TaggingClient]]:
    servers: list[HttpsStub] = []

    def start(route: Route) -> TaggingClient:
        server = HttpsStub(route, certificate)
        servers.append(server)
        settings = ServerSettings(host="127.0.0.1", port=server.port, user="auditor", password=Secret("pw"),
                                  ca_file=certificate[0])
        return TaggingClient(settings, ssl.create_default_context(cafile=str(certificate[0])))

    yield start
    for server in servers:
        server.close()


def vcenter(overrides: dict[str, tuple[int, object]] | None = None) -> Route:
    """A tagging service with two tags, one of them deleted between listing and reading."""
    answers: dict[str, tuple[int, object]] = {
        "POST /rest/com/vmware/cis/session": (200, "session-1"),
        "DELETE /rest/com/vmware/cis/session": (200, b""),
        "GET /rest/com/vmware/cis/tagging/tag": (200, ["t1", "t-gone"]),
        "GET /rest/com/vmware/cis/tagging/tag/id:t1": (200, {"name": "prod", "category_id": "c1"}),
        "GET /rest/com/vmware/cis/tagging/tag/id:t-gone": (404, b"{}"),
        "GET /rest/com/vmware/cis/tagging/category/id:c1": (200, {"name": "env"}),
        "POST /rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags": (200, [
            {"tag_id": "t1", "object_ids": [{"id": "vm-1", "type": "VirtualMachine"},
                                            {"id": "host-9", "type": "HostSystem"}]},
            {"tag_id": "t-gone", "object_ids": [{"id": "vm-2", "type": "VirtualMachine"}]}]),
        **(overrides or {}),
    }
    return lambda method, path: answers.get(f"{method} {path}", (500, b"unexpected"))


def test_attached_tags_skip_deleted_tags(rest: Callable[[Route], TaggingClient]) -> None:
    with rest(vcenter()) as client:
        assert client.attached_tags() == {"vm-1": [("env", "prod")]}


@pytest.mark.parametrize(("override", "error", "needle"), [
    ({"POST /rest/com/vmware/cis/session": (401, b"{}")}, AuthenticationError, "rejected the user name"),
    ({"GET /rest/com/vmware/cis/tagging/tag": (403, b"{}")}, PermissionDeniedError, "refused to list tags"),
    ({"GET /rest/com/vmware/cis/tagging/tag": (500, b"{}")}, ConnectError, "answered HTTP 500"),
    ({"GET /rest/com/vmware/cis/tagging/tag": (200, b"<html>login</html>")}, ConnectError, "not vAPI JSON"),
    ({"POST /rest/com/vmware/cis/session": (404, b"{}")}, TagsUnavailable, "not found"),
])
def test_failures_are_clear(rest: Callable[[Route], TaggingClient], override: dict[str, tuple[int, object]],
                            error: type[Exception], needle: str) -> None:
    with pytest.raises(error, match=needle), rest(vcenter(override)) as client:
        client.attached_tags()


def test_proxy_environment_is_ignored(rest: Callable[[Route], TaggingClient],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    with rest(vcenter()) as client:
        assert client.attached_tags() == {"vm-1": [("env", "prod")]}
