"""The stream parser on hostile, broken and unusual answers: refused or read exactly, never half-read."""

from __future__ import annotations

import gc
from xml.etree.ElementTree import ParseError

import pytest
from pyVmomi import vim, vmodl

from planner.sources.vcenter.stream import parse_result
from planner.sources.vcenter.wire_types import MalformedResponse, UnknownContent, is_a
from tests.unit.vcenter_stream.wire import answer, chunks, content, through_pyvmomi

PC = vmodl.query.PropertyCollector


def one_vm_answer(**props: object) -> bytes:
    return answer(PC.RetrieveResult(objects=[content("vm-1", vim.VirtualMachine, {"name": "a", **props})],
                                    token="t-2"))


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
          b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
          b'<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="VirtualMachine">vm-1'
          b'</obj><propSet><name>name</name><val xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
          b'xsi:type="xsd:string" xmlns:xsd="http://www.w3.org/2001/XMLSchema">&lol2;</val></propSet></objects>'
          b'</returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>')
EXTERNAL = LAUGHS.replace(b'<!ENTITY lol "lol">', b'<!ENTITY lol SYSTEM "file:///etc/passwd">')


@pytest.mark.parametrize("document", [LAUGHS, EXTERNAL], ids=["entity-expansion", "external-entity"])
@pytest.mark.parametrize("size", [1, 5, 1 << 20])
def test_a_doctype_is_refused_in_any_chunking(document: bytes, size: int) -> None:
    with pytest.raises(MalformedResponse, match="DOCTYPE"):
        parse_result(chunks(document, size))


def test_an_undeclared_entity_is_a_parse_error() -> None:
    data = one_vm_answer().replace(b">a</val>", b">&xxe;</val>")
    with pytest.raises(ParseError, match="undefined entity"):
        parse_result(chunks(data, 64))


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.99])
def test_a_truncated_body_is_a_parse_error(cut: float) -> None:
    data = one_vm_answer(**{"config.hardware.numCPU": 2})
    with pytest.raises(ParseError):
        parse_result(chunks(data[:int(len(data) * cut)], 50))


def test_malformed_xml_mid_stream_is_a_parse_error() -> None:
    data = one_vm_answer(**{"config.hardware.numCPU": 2})
    middle = len(data) // 2
    with pytest.raises(ParseError):
        parse_result(chunks(data[:middle] + b"</oops><<" + data[middle:], 50))


def test_an_answer_that_is_no_result_is_refused() -> None:
    with pytest.raises(MalformedResponse, match="no PropertyCollector result"):
        parse_result(iter([b"<html><body>proxy error</body></html>"]))


def test_an_empty_result_is_an_empty_page() -> None:
    page = parse_result(iter([answer(None)]))
    assert page.objects == [] and page.token is None


def test_unknown_types_and_properties_are_reported_for_the_fallback() -> None:
    data = one_vm_answer(**{"config.hardware.numCPU": 2})
    with pytest.raises(UnknownContent, match="the type VirtualQuantumDrive"):
        parse_result(iter([data.replace(b'xsi:type="xsd:string"', b'xsi:type="VirtualQuantumDrive"', 1)]))
    devices = one_vm_answer(**{"config.hardware.device": vim.vm.device.VirtualDevice.Array([
        vim.vm.device.VirtualKeyboard(key=600, deviceInfo=vim.Description(label="K", summary="K"))])})
    with pytest.raises(UnknownContent, match=r"the property .*VirtualKeyboard\.warpFactor"):
        parse_result(iter([devices.replace(b"<key>600</key>", b"<key>600</key><warpFactor>9</warpFactor>")]))


def test_missing_set_faults_keep_their_type() -> None:
    data = answer(PC.RetrieveResult(objects=[
        content("vm-1", vim.VirtualMachine, {"name": "a"},
                missing={"config": vim.fault.NoPermission(privilegeId="System.Read", object=vim.VirtualMachine("vm-1")),
                         "config.fromTheFuture": vmodl.query.InvalidProperty(name="config.fromTheFuture")})]))
    fast = parse_result(chunks(data, 33)).objects[0]
    slow = through_pyvmomi(data)[0]
    assert set(fast.missing) == set(slow.missing) == {"config", "config.fromTheFuture"}
    for path, kind in (("config", vim.fault.NoPermission), ("config.fromTheFuture", vmodl.query.InvalidProperty)):
        # the collect unwraps LocalizedMethodFault the same way for both
        for fault in (fast.missing[path], slow.missing[path]):
            assert is_a(getattr(fault, "fault", None) or fault, kind), (path, fault)
    assert fast.props == {"name": "a"}


def test_the_garbage_collector_is_restored_even_after_a_failure() -> None:
    assert gc.isenabled()
    with pytest.raises(ParseError):
        parse_result(iter([b"<a><b></a>"]))
    assert gc.isenabled()
    gc.disable()
    try:
        parse_result(iter([answer(None)]))
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_a_doctype_after_the_prologue_is_refused_too() -> None:
    data = one_vm_answer()
    middle = data.index(b"<objects>")
    with pytest.raises(MalformedResponse, match="DOCTYPE"):
        parse_result(chunks(data[:middle] + b'<!DOCTYPE x [<!ENTITY a "b">]>' + data[middle:], 64))


def test_a_type_prefix_declared_on_an_inner_element_is_resolved() -> None:
    """vcsim declares the instance namespace on every value under its own prefix, as XML allows."""
    data = one_vm_answer(**{"config.hardware.numCPU": 2})
    inner = data.replace(b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">', b">", 1)
    inner = inner.replace(b"<val xsi:type=", b'<val xmlns:inst="http://www.w3.org/2001/XMLSchema-instance" '
                                             b'xmlns:x2="http://www.w3.org/2001/XMLSchema" inst:type=')
    inner = inner.replace(b'inst:type="xsd:', b'inst:type="x2:')
    assert b"inst:type=\"x2:int\"" in inner
    assert parse_result(chunks(inner, 7)).objects[0].props == through_pyvmomi(data)[0].props


def test_a_prefix_declared_for_two_namespaces_falls_back() -> None:
    data = one_vm_answer(**{"config.hardware.numCPU": 2})
    clash = data.replace(b"<val ", b'<val xmlns:xsd="urn:not-schema" ', 1)
    with pytest.raises(UnknownContent, match="two namespaces"):
        parse_result(chunks(clash, 1 << 20))


def test_a_type_with_an_undeclared_prefix_falls_back() -> None:
    data = one_vm_answer(**{"config.hardware.numCPU": 2}).replace(b'type="xsd:int"', b'type="nowhere:int"')
    assert b"nowhere:int" in data
    with pytest.raises(UnknownContent, match="undeclared namespace prefix"):
        parse_result(chunks(data, 1 << 20))
