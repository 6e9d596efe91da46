"""Tags through the vAPI REST tagging service, in batch: a handful of calls per vCenter, not per VM."""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from planner.errors import AuthenticationError, ConnectError, PermissionDeniedError
from planner.sources.vcenter.settings import ServerSettings

BATCH = 500
"""Tag ids per list-attached-objects-on-tags call."""


class TagsUnavailable(Exception):
    """The server has no vAPI tagging endpoint (e.g. a standalone ESXi host)."""


class TaggingClient:
    """A logged-in vAPI REST session; use as a context manager."""

    def __init__(self, settings: ServerSettings, ssl_context: ssl.SSLContext, timeout: float = 60) -> None:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        self._base = f"https://{host}:{settings.port}/rest"
        self._settings = settings
        # like the SOAP calls (pyVmomi), no HTTP proxy from the environment: vCenters are reached directly
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                   urllib.request.HTTPSHandler(context=ssl_context))
        self._timeout = timeout
        self._session: str | None = None

    def _request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                 missing_ok: bool = False) -> Any:
        """The `value` of a vAPI JSON answer; None for a 404 when `missing_ok`."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self._base + path, data=data, method=method)  # noqa: S310 — https only
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._session:
            request.add_header("vmware-api-session-id", self._session)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        where = f"the tagging service of {self._settings.address}"
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                if missing_ok:
                    return None
                raise TagsUnavailable(f"{path}: not found") from exc
            if exc.code == 401 and self._session is None:
                raise AuthenticationError(f"{where} rejected the user name or password for "
                                          f"{self._settings.user}.") from exc
            if exc.code in (401, 403):
                raise PermissionDeniedError(f"{where} refused to list tags for {self._settings.user} "
                                            f"(HTTP {exc.code}); nothing was stored.",
                                            hint="Grant the account read access to tags and categories.") from exc
            raise ConnectError(f"{where} answered HTTP {exc.code} for {path}; nothing was stored.") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ConnectError(f"lost the connection to {where}: {getattr(exc, 'reason', exc)}; nothing was "
                               "stored.") from exc
        if not payload:
            return None
        try:
            document = json.loads(payload)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise ConnectError(f"{where} answered {path} with something that is not vAPI JSON (a proxy or login "
                               "page?); nothing was stored.")
        return document.get("value")

    def __enter__(self) -> TaggingClient:
        password = self._settings.password.reveal() if self._settings.password else ""
        token = base64.b64encode(f"{self._settings.user}:{password}".encode()).decode()
        self._session = self._request("POST", "/com/vmware/cis/session", headers={"Authorization": f"Basic {token}"})
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session:
            with contextlib.suppress(Exception):  # logout is best effort
                self._request("DELETE", "/com/vmware/cis/session")
            self._session = None

    def attached_tags(self, object_type: str = "VirtualMachine", workers: int = 8) -> dict[str, list[tuple[str, str]]]:
        """Map object moid → [(category name, tag name)] for every tag attached to objects of `object_type`."""
        tag_ids: list[str] = self._request("GET", "/com/vmware/cis/tagging/tag") or []
        if not tag_ids:
            return {}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # a tag or category deleted while we read is skipped, not an error
            tags = dict(zip(tag_ids, pool.map(
                lambda tid: self._request("GET", f"/com/vmware/cis/tagging/tag/id:{tid}", missing_ok=True),
                tag_ids), strict=True))
            category_ids = sorted({t["category_id"] for t in tags.values() if t})
            categories = dict(zip(category_ids, pool.map(
                lambda cid: self._request("GET", f"/com/vmware/cis/tagging/category/id:{cid}", missing_ok=True),
                category_ids), strict=True))
        attached: dict[str, list[tuple[str, str]]] = {}
        for start in range(0, len(tag_ids), BATCH):
            batch = tag_ids[start:start + BATCH]
            result = self._request("POST", "/com/vmware/cis/tagging/tag-association?~action="
                                   "list-attached-objects-on-tags", {"tag_ids": batch}) or []
            for entry in result:
                tag = tags.get(entry.get("tag_id"))
                if not tag:
                    continue
                category = categories.get(tag["category_id"]) or {}
                pair = (category.get("name", tag["category_id"]), tag["name"])
                for obj in entry.get("object_ids") or []:
                    if obj.get("type") == object_type:
                        attached.setdefault(obj["id"], []).append(pair)
        for pairs in attached.values():
            pairs.sort()
        return attached
