"""PropertyCollector answers as a vCenter sends them, written by pyVmomi's own serializer from pyVmomi objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyVmomi import SoapAdapter, VmomiSupport, vmodl

from planner.sources.vcenter.retrieve import ObjectProps, pyvmomi_pages

PC = vmodl.query.PropertyCollector
VERSION = VmomiSupport.newestVersions.GetName("vim")
METHOD = PC._GetMethodInfo("RetrievePropertiesEx")


def answer(result: Any, method: str = "RetrievePropertiesEx") -> bytes:
    """The SOAP envelope of a RetrievePropertiesEx answer holding `result` (a RetrieveResult, or None)."""
    info = VmomiSupport.Object(name="returnval", type=PC.RetrieveResult, version=VERSION, flags=0)
    body = SoapAdapter.Serialize(result, info, VERSION, {"urn:vim25": ""}) if result is not None else b""
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
            b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            b'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            b'<soapenv:Body><' + method.encode() + b'Response xmlns="urn:vim25">' + body +
            b'</' + method.encode() + b'Response></soapenv:Body></soapenv:Envelope>')


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


class _Replay:
    def __init__(self, result: Any) -> None:
        self.result = result

    def RetrievePropertiesEx(self, specs: Any, options: Any) -> Any:
        return self.result


def through_pyvmomi(data: bytes) -> list[ObjectProps]:
    """The same answer read by pyVmomi's deserializer and flattened as the pyVmomi path does."""
    result = SoapAdapter.SoapResponseDeserializer(None).Deserialize(data, METHOD.result)
    result.token = None
    return [obj for page in pyvmomi_pages(_Replay(result), None, None) for obj in page.objects]


def content(moid: str, mo_type: type, props: dict[str, Any], missing: dict[str, Any] | None = None) -> Any:
    """One ObjectContent."""
    return PC.ObjectContent(
        obj=mo_type(moid), propSet=[vmodl.DynamicProperty(name=k, val=complete(v)) for k, v in props.items()],
        missingSet=[PC.MissingProperty(path=path, fault=fault) for path, fault in (missing or {}).items()])


def complete(obj: Any) -> Any:
    """Fill the non-optional fields a test left unset (vCenter always sends them), so pyVmomi serializes it."""
    if isinstance(obj, list):
        for item in obj:
            complete(item)
        return obj
    if not isinstance(obj, VmomiSupport.DataObject):
        return obj
    for prop in obj._GetPropertyList():
        value = getattr(obj, prop.name)
        if value is None and not prop.flags & VmomiSupport.F_OPTIONAL and not issubclass(prop.type, list):
            kind = prop.type
            if issubclass(kind, bool):
                value = False
            elif issubclass(kind, int):
                value = kind(0)
            elif issubclass(kind, VmomiSupport.Enum):
                value = kind.values[0] if hasattr(kind, "values") else ""
            elif issubclass(kind, str):
                value = ""
            elif issubclass(kind, VmomiSupport.DataObject):
                value = kind()
            elif issubclass(kind, VmomiSupport.ManagedObject):
                value = kind("unset-1")
            if value is None:
                continue
            setattr(obj, prop.name, value)
        complete(value)
    return obj
