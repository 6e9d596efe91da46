"""The fast path: post pyVmomi's serialized PropertyCollector requests and parse the answer as it streams in.

pyVmomi still logs in, keeps the session and TLS, and serializes each request; the response body is fed in
chunks, as it arrives, to ElementTree's C tree builder (no Python call per element, which was most of the parse),
and each `ObjectContent` of the page is converted (`wire_types`) and dropped from the tree, so memory holds one
page, never the whole estate. A SOAP fault is deserialized by pyVmomi and raised as the same fault the pyVmomi
path raises. Documents with a DOCTYPE are refused before they reach the parser (no entity can be declared, so
none is expanded or fetched).
"""

from __future__ import annotations

import gc
import http.client
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder, XMLParser

from pyVmomi import SoapAdapter, vmodl

from planner.sources.vcenter.retrieve import ObjectProps, Page
from planner.sources.vcenter.wire_types import (
    Converter,
    MalformedResponse,
    UnknownContent,
    WireObject,
    WireRef,
    resolve,
)

CHUNK = 256 * 1024
FAULT_LIMIT = 4 * 1024 * 1024
"""Bytes of a SOAP fault body read at most; faults are small."""

_NS = "{urn:vim25}"
_SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"
_OBJECTS, _TOKEN, _RETURNVAL = _NS + "objects", _NS + "token", _NS + "returnval"
_OBJ, _PROPSET, _MISSINGSET = _NS + "obj", _NS + "propSet", _NS + "missingSet"
_NAME, _VAL, _PATH, _FAULT = _NS + "name", _NS + "val", _NS + "path", _NS + "fault"

PropertyCollector = vmodl.query.PropertyCollector


def _object(element: Element, convert: Converter) -> ObjectProps:
    """One `ObjectContent`: its moref, properties and missing paths."""
    ref = element.find(_OBJ)
    if ref is None:
        raise MalformedResponse("an object without its reference")
    type_name = ref.get("type") or ""
    props: dict[str, Any] = {}
    missing: dict[str, Any] = {}
    for child in element:
        if child.tag == _PROPSET:
            name, val = child.find(_NAME), child.find(_VAL)
            if name is None or val is None:
                raise MalformedResponse("a property without name or value")
            props[name.text or ""] = convert.value(val, object)
        elif child.tag == _MISSINGSET:
            path, fault = child.find(_PATH), child.find(_FAULT)
            missing[(path.text if path is not None else "") or ""] = (
                convert.value(fault, resolve("urn:vim25", "LocalizedMethodFault")) if fault is not None else None)
    kind = resolve("urn:vim25", type_name).__name__.rsplit(".", 1)[-1] if type_name else ""
    return ObjectProps(ref.text or "", props, missing, kind)


_DECLARATION = re.compile(rb'xmlns(?::([A-Za-z_][\w.-]*))?="([^"<]*)"')
_OVERLAP = 1024
"""Bytes of the previous chunk scanned again with the next, so nothing that straddles a boundary is missed."""


def _scan(window: bytes, prefixes: dict[str, str]) -> None:
    """Refuse a DOCTYPE (and with it every entity declaration); note the namespace declarations.

    A literal `<!` can only be markup in an answer (text escapes `<`), so the whole body is checked, not only its
    prologue. ElementTree resolves namespaces in tags but not in `xsi:type` values, so the declarations are read
    from the bytes: the same prefix declared for two namespaces is content the stream parser does not read.
    """
    if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
        raise MalformedResponse("a DOCTYPE declaration, which a vSphere API answer never has")
    for prefix_bytes, uri_bytes in set(_DECLARATION.findall(window)):
        prefix, uri = prefix_bytes.decode("ascii"), uri_bytes.decode("utf-8", "replace")
        if prefixes.setdefault(prefix, uri) != uri:
            raise UnknownContent(f"the namespace prefix {prefix or '(default)'} declared for two namespaces")


_gc_lock = threading.Lock()
_gc_state = {"users": 0, "was_enabled": False}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a page is parsed (reference counting still frees everything).

    A page makes hundreds of thousands of small acyclic objects; without the pause about half the parse is the
    collector scanning them. Counted, so overlapping parses (several vCenters, VMs read in the background)
    restore the collector's state only when the last one ends.
    """
    with _gc_lock:
        if _gc_state["users"] == 0:
            _gc_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_state["users"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["users"] -= 1
            if _gc_state["users"] == 0 and _gc_state["was_enabled"]:
                gc.enable()


def parse_result(chunks: Iterator[bytes]) -> Page:
    """Parse one RetrievePropertiesEx / ContinueRetrievePropertiesEx answer from its body chunks."""
    with gc_paused():
        return _parse_result(chunks)


def _parse_result(chunks: Iterator[bytes]) -> Page:
    parser = XMLParser(target=TreeBuilder())  # noqa: S314 -- _scan refuses DOCTYPEs (entities) before feed
    prefixes: dict[str, str] = {}
    tail = b""
    for chunk in chunks:
        window = tail + chunk
        _scan(window, prefixes)
        tail = window[-_OVERLAP:]
        parser.feed(chunk)
    root = parser.close()  # raises ParseError on a truncated document
    response = root.find(f"{_SOAP_BODY}/*")
    if response is None or not response.tag.endswith("RetrievePropertiesExResponse"):
        raise MalformedResponse("no PropertyCollector result in the answer")
    convert = Converter()
    convert.prefixes.update(prefixes)
    objects: list[ObjectProps] = []
    token: str | None = None
    for result in response.iterfind(_RETURNVAL):
        token = result.findtext(_TOKEN) or token
        for element in result.iterfind(_OBJECTS):
            objects.append(_object(element, convert))
            element.clear()  # the page's tree shrinks as it is converted
    return Page(objects, token)


def _body(response: http.client.HTTPResponse) -> Iterator[bytes]:
    """The body in chunks; a connection that ends before the promised Content-Length is a lost connection."""
    while True:
        chunk = response.read(CHUNK)
        if not chunk:
            if response.length:  # bytes still promised
                raise http.client.IncompleteRead(b"", response.length)
            return
        yield chunk


class StreamCaller:
    """Posts PropertyCollector calls on a pyVmomi session and parses the answers incrementally."""

    def __init__(self, collector: Any) -> None:
        self.collector = collector
        self.stub = collector._stub

    def _headers(self) -> dict[str, str]:
        stub = self.stub
        headers = {"Cookie": stub.cookie, "SOAPAction": stub.versionId,
                   "Content-Type": f"text/xml; charset={SoapAdapter.XML_ENCODING}"}
        headers.update(getattr(stub, "_customHeaders", None) or {})
        return headers

    def call(self, method: str, *args: Any) -> Page:
        """Invoke `method` with `args`; a SOAP fault is raised as pyVmomi raises it."""
        info = PropertyCollector._GetMethodInfo(method)
        request = self.stub.SerializeRequest(self.collector, info, list(args))
        conn = self.stub.GetConnection()
        try:
            conn.request("POST", self.stub.path, request, self._headers())
            response = conn.getresponse()
            if response.status == 500:
                body = response.read(FAULT_LIMIT)
                fault = SoapAdapter.SoapResponseDeserializer(self.stub).Deserialize(body, info.result)
                raise fault if isinstance(fault, BaseException) else MalformedResponse("a fault without a fault")
            if response.status != 200:
                raise http.client.HTTPException(f"{response.status} {response.reason}")
            page = parse_result(_body(response))
        except BaseException:
            conn.close()
            self.stub.DropConnections()
            raise
        self.stub.ReturnConnection(conn)
        return page


def stream_pages(collector: Any, spec: Any, options: Any) -> Iterator[Page]:
    """Pages of one retrieval through the stream parser: the first call, then one per continuation token."""
    caller = StreamCaller(collector)
    page = caller.call("RetrievePropertiesEx", [spec], options)
    while True:
        yield page
        if not page.token:
            return
        page = caller.call("ContinueRetrievePropertiesEx", page.token)


__all__ = ["MalformedResponse", "StreamCaller", "WireObject", "WireRef", "parse_result", "stream_pages"]
