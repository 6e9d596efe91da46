"""Turn PropertyCollector XML elements into light objects shaped like pyVmomi's, typed by pyVmomi's schema.

pyVmomi's own deserializer builds and validates a full data object per element; most of the collect's time went
there. Here the schema (property names, types, arrays, `xsi:type` subtypes) still comes from pyVmomi's type
registry, looked up once per type and cached, but each data object is a plain `WireObject` whose attributes are
set directly. The mapping code reads both kinds alike through `vim_type()`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from pyVmomi import Iso8601, VmomiSupport

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
VIM_NS = "urn:vim25"


class UnknownContent(Exception):
    """The stream holds a type or property this parser does not know; the pyVmomi path can read it."""


class MalformedResponse(Exception):
    """The server's answer is not a PropertyCollector result planner can read (the message says why)."""


class WireObject:
    """A data object from the wire: attributes as set, unset schema properties read as None (arrays as [])."""

    __slots__ = ("__dict__", "_vim_type")

    def __init__(self, vim_type: type) -> None:
        self._vim_type = vim_type

    def __getattr__(self, name: str) -> Any:
        prop = _properties(self._vim_type).get(name)
        if prop is None:
            raise AttributeError(name)
        return [] if prop[1] else None

    def __repr__(self) -> str:
        return f"WireObject({self._vim_type.__name__}, {self.__dict__!r})"


class WireRef:
    """A managed object reference: its type name and id, like pyVmomi's `_wsdlName` and `_moId`."""

    __slots__ = ("_moId", "_wsdlName")

    def __init__(self, type_name: str, object_id: str) -> None:
        self._wsdlName = type_name
        self._moId = object_id

    def __repr__(self) -> str:
        return f"'vim.{self._wsdlName}:{self._moId}'"


def vim_type(obj: Any) -> type:
    """The pyVmomi type of a pyVmomi object or a WireObject; use instead of `type()` / `isinstance()`."""
    return obj._vim_type if type(obj) is WireObject else type(obj)


def is_a(obj: Any, kind: Any) -> bool:
    """`isinstance` for pyVmomi objects and WireObjects alike."""
    return obj is not None and issubclass(vim_type(obj), kind)


_PROPS: dict[type, dict[str, tuple[type, bool]]] = {}
_TYPES: dict[tuple[str, str], type] = {}


def _properties(kind: type) -> dict[str, tuple[type, bool]]:
    """Property name -> (item type, is array) of a data object type, inherited ones included."""
    found = _PROPS.get(kind)
    if found is None:
        found = {}
        for info in kind._GetPropertyList():  # type: ignore[attr-defined]
            is_array = issubclass(info.type, list)
            found[info.name] = (info.type.Item if is_array else info.type, is_array)
        _PROPS[kind] = found
    return found


def resolve(namespace: str, name: str) -> type:
    """The pyVmomi type of an `xsi:type` (namespace URI already resolved from its prefix)."""
    key = (namespace, name)
    found = _TYPES.get(key)
    if found is not None:
        return found
    try:
        if namespace == VmomiSupport.XMLNS_XSD:
            found = VmomiSupport.GetWsdlType(namespace, name)
        elif name.endswith("ManagedObjectReference"):
            found = VmomiSupport.GuessWsdlType(name[:-len("Reference")])
        else:
            found = VmomiSupport.GetWsdlType(namespace, name)
    except KeyError:
        try:
            found = VmomiSupport.GuessWsdlType(name)
        except KeyError:
            raise UnknownContent(f"the type {name}") from None
    _TYPES[key] = found
    return found


def _bool(text: str) -> bool:
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise UnknownContent(f"the boolean {text[:40]!r}")


def _datetime(text: str) -> datetime:
    value = Iso8601.ParseISO8601(text)
    if value is None:
        raise UnknownContent(f"the date {text[:40]!r}")
    return value


Scalar = Callable[[str], Any]
_SCALARS: dict[type, Scalar | None] = {}


def _scalar(kind: type) -> Scalar | None:
    """Text converter of a simple type, or None for data objects, references and arrays."""
    if kind in _SCALARS:
        return _SCALARS[kind]
    converter: Scalar | None
    if issubclass(kind, list) or issubclass(kind, VmomiSupport.DataObject) or issubclass(
            kind, VmomiSupport.ManagedObject):
        converter = None
    elif issubclass(kind, bool):
        converter = _bool
    elif issubclass(kind, int):
        converter = int
    elif issubclass(kind, float):
        converter = float
    elif kind is datetime:
        converter = _datetime
    elif kind is VmomiSupport.binary:
        converter = base64.b64decode
    elif issubclass(kind, str):
        converter = str
    else:
        converter = None  # anyType: the element must say its type
    _SCALARS[kind] = converter
    return converter


_ARRAY, _REF, _DATA, _ANY = "array", "ref", "data", "any"
_SHAPES: dict[type, Scalar | str] = {}


def _shape(kind: type) -> Scalar | str:
    """How a type's elements are read: a text converter, or one of array / reference / data object."""
    found = _SHAPES.get(kind)
    if found is None:
        scalar = _scalar(kind)
        if scalar is not None:
            found = scalar
        elif issubclass(kind, list):
            found = _ARRAY
        elif issubclass(kind, VmomiSupport.ManagedObject):
            found = _REF
        elif issubclass(kind, VmomiSupport.DataObject):
            found = _DATA
        else:
            found = _ANY
        _SHAPES[kind] = found
    return found


Field = tuple[str, type, bool, "Scalar | str"]
_FIELDS: dict[type, dict[str, Field]] = {}


def _fields(kind: type) -> dict[str, Field]:
    """Element tag (namespace included) -> (property name, item type, is array, item shape) of a data type."""
    found = _FIELDS.get(kind)
    if found is None:
        found = {}
        for name, (item, is_array) in _properties(kind).items():
            found[f"{{{VIM_NS}}}{name}"] = found[name] = (name, item, is_array, _shape(item))
        _FIELDS[kind] = found
    return found


class Converter:
    """Converts elements with the namespace prefixes in force in one response."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {"": VIM_NS, "xsd": VmomiSupport.XMLNS_XSD}
        self._types: dict[str, type] = {}

    def declared(self, xsi: str) -> type:
        """The type an `xsi:type` attribute names."""
        found = self._types.get(xsi)
        if found is None:
            prefix, _, name = xsi.rpartition(":")
            if prefix not in self.prefixes:
                raise UnknownContent(f"the type {xsi} with an undeclared namespace prefix")
            found = self._types[xsi] = resolve(self.prefixes[prefix], name)
        return found

    def value(self, element: Element, kind: type) -> Any:
        """The value of one element whose schema type is `kind` (overridden by its `xsi:type`)."""
        xsi = element.get(XSI_TYPE)
        if xsi:
            kind = self.declared(xsi)
        shape = _SHAPES.get(kind) or _shape(kind)
        if shape is _DATA:
            return self.data(element, kind)
        if shape is _ARRAY:
            item = kind.Item  # type: ignore[attr-defined]
            return [self.value(child, item) for child in element]
        if shape is _REF:
            return WireRef(element.get("type") or str(getattr(kind, "_wsdlName", "")), element.text or "")
        if shape is _ANY:
            raise UnknownContent(f"a value of no stated type in {element.tag.rpartition('}')[2]}")
        return shape(element.text or "")  # type: ignore[operator]

    def data(self, element: Element, kind: type) -> WireObject:
        obj = WireObject(kind)
        table = _FIELDS.get(kind) or _fields(kind)
        fields = obj.__dict__
        for child in element:
            entry = table.get(child.tag)
            if entry is None:
                raise UnknownContent(f"the property {kind.__name__}.{child.tag.rpartition('}')[2]}")
            name, item, is_array, shape = entry
            if type(shape) is not str and not child.get(XSI_TYPE):
                value = shape(child.text or "")  # type: ignore[operator]
            else:
                value = self.value(child, item)
            if is_array:
                fields.setdefault(name, []).append(value)
            else:
                fields[name] = value
        return obj
