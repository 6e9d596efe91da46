"""The test infrastructure itself: the vCenter simulator and the Docker engine behave as the other tests assume."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.support.vcsim import Vcsim


def _vm_filter_spec(si: Any, paths: list[str]) -> tuple[Any, vmodl.query.PropertyCollector.FilterSpec]:
    """A ContainerView over every VM and a filter spec that reads ``paths`` of each."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[
            vmodl.query.PropertyCollector.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[
                    vmodl.query.PropertyCollector.TraversalSpec(
                        name="view", path="view", skip=False, type=view.__class__
                    )
                ],
            )
        ],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=paths, all=False)],
    )
    return view, spec


def _vm_names(si: Any) -> dict[str, str]:
    """moref id -> VM name, read with one unpaged RetrievePropertiesEx."""
    view, spec = _vm_filter_spec(si, ["name"])
    try:
        pc = si.content.propertyCollector
        result = pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())
        assert result.token is None
        return {obj.obj._moId: obj.propSet[0].val for obj in result.objects}
    finally:
        view.Destroy()


def _handshake(server: Vcsim, context: ssl.SSLContext) -> dict[str, Any]:
    with (
        socket.create_connection((server.host, server.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server.host) as tls,
    ):
        cert = tls.getpeercert()
        assert cert is not None
        return cert


# -- vCenter simulator -----------------------------------------------------------------------------------------


@pytest.mark.vcsim
def test_vcsim_tls_verifies_only_with_the_written_certificate(vcsim: Vcsim) -> None:
    assert vcsim.url.startswith(f"https://{vcsim.user}:{vcsim.password}@127.0.0.1:{vcsim.port}/")
    assert vcsim.cert_path is not None
    assert vcsim.cert_path.read_text().startswith("-----BEGIN CERTIFICATE-----")

    cert = _handshake(vcsim, vcsim.ssl_context())
    assert ("IP Address", "127.0.0.1") in cert["subjectAltName"]

    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(vcsim, ssl.create_default_context())

    si = vcsim.connect()
    about = si.RetrieveContent().about
    assert about.apiType == "VirtualCenter"
    assert len(_vm_names(si)) == vcsim.vm_count == 2


@pytest.mark.vcsim
def test_vcsim_pages_retrieve_properties_ex_by_max_objects(vcsim_factory: Callable[..., Vcsim]) -> None:
    server = vcsim_factory(dc=1, cluster=2, host=1, vm=5)
    assert server.vm_count == 10
    si = server.connect()
    pc = si.content.propertyCollector
    view, spec = _vm_filter_spec(si, ["name"])
    try:
        result = pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=3))
        assert len(result.objects) == 3
        assert result.token
        names = [obj.propSet[0].val for obj in result.objects]
        pages = 1
        token = result.token
        while token:
            page = pc.ContinueRetrievePropertiesEx(token)
            assert 0 < len(page.objects) <= 3
            names += [obj.propSet[0].val for obj in page.objects]
            token = page.token
            pages += 1
    finally:
        view.Destroy()
    assert pages == 4  # 3 + 3 + 3 + 1
    assert len(names) == len(set(names)) == server.vm_count
    assert set(names) == set(_vm_names(si).values())


@pytest.mark.vcsim
def test_vcsim_deny_reports_no_permission_for_that_vm_only(vcsim_factory: Callable[..., Vcsim]) -> None:
    inventory = {"dc": 1, "cluster": 1, "host": 2, "vm": 3}
    open_server = vcsim_factory(**inventory)
    names = _vm_names(open_server.connect())
    assert len(names) == 3
    denied_id, denied_name = sorted(names.items())[1]

    server = vcsim_factory(**inventory, deny=[denied_name])
    si = server.connect()
    view, spec = _vm_filter_spec(si, ["name", "runtime.powerState"])
    try:
        result = si.content.propertyCollector.RetrievePropertiesEx(
            [spec], vmodl.query.PropertyCollector.RetrieveOptions()
        )
    finally:
        view.Destroy()

    by_id = {obj.obj._moId: obj for obj in result.objects}
    assert set(by_id) == set(names)  # same inventory, same managed object ids
    denied = by_id[denied_id]
    assert not denied.propSet
    assert {missing.path for missing in denied.missingSet} == {"name", "runtime.powerState"}
    for missing in denied.missingSet:
        # pyVmomi unwraps the LocalizedMethodFault: ``missing.fault`` is the NoPermission itself.
        fault = getattr(missing.fault, "fault", None) or missing.fault
        assert isinstance(fault, vim.fault.NoPermission)
        assert fault.object._moId == denied_id
    for moid, obj in by_id.items():
        if moid != denied_id:
            assert not obj.missingSet
            assert {prop.name: prop.val for prop in obj.propSet}["name"] == names[moid]


@pytest.mark.vcsim
def test_vcsim_delay_slows_every_call(vcsim_factory: Callable[..., Vcsim]) -> None:
    delay_ms = 300
    calls = 4

    def timed(server: Vcsim) -> float:
        si = server.connect()
        start = time.monotonic()
        for _ in range(calls):
            si.CurrentTime()
        return time.monotonic() - start

    fast = timed(vcsim_factory())
    slow = timed(vcsim_factory(delay_ms=delay_ms))
    expected = calls * delay_ms / 1000
    assert slow >= 0.9 * expected, (fast, slow)
    assert slow - fast >= 0.5 * expected, (fast, slow)


@pytest.mark.vcsim
def test_vcsim_username_restricts_login(vcsim_factory: Callable[..., Vcsim]) -> None:
    server = vcsim_factory(username="auditor", password="s3cret")
    assert (server.user, server.password) == ("auditor", "s3cret")
    assert server.connect().CurrentTime() is not None
    with pytest.raises(vim.fault.InvalidLogin):
        server.connect(password="wrong")


@pytest.mark.vcsim
def test_vcsim_kill_breaks_the_connection(vcsim: Vcsim) -> None:
    si = vcsim.connect()
    assert si.CurrentTime() is not None
    vcsim.kill()
    assert not vcsim.running
    # The pooled keep-alive connection breaks (ssl.SSLEOFError, ConnectionResetError or RemoteDisconnected,
    # depending on timing); the next call opens a new connection, which is refused.
    with pytest.raises((ConnectionError, ssl.SSLError, http.client.RemoteDisconnected)):
        si.CurrentTime()
    with pytest.raises(ConnectionRefusedError):
        si.CurrentTime()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((vcsim.host, vcsim.port), timeout=5).close()


# -- Docker engine ---------------------------------------------------------------------------------------------


@pytest.mark.docker
def test_docker_builds_and_runs_from_the_local_base_image(
    docker_engine: Any, debian_base_image: str, tmp_path: Path
) -> None:
    import docker.errors

    (tmp_path / "Dockerfile").write_text(
        f'FROM {debian_base_image}\nRUN echo ok > /ok\nCMD ["sh", "-c", "cat /ok; echo from-$(hostname)"]\n'
    )
    tag = f"planner-test/infra-check:{uuid.uuid4().hex[:12]}"
    image, _log = docker_engine.images.build(
        path=str(tmp_path), tag=tag, network_mode="host", rm=True, forcerm=True, pull=False
    )
    try:
        assert tag in image.tags
        container = docker_engine.containers.run(tag, network_mode="host", detach=True)
        try:
            assert container.wait(timeout=120)["StatusCode"] == 0
            output = container.logs().decode()
            container.reload()
            assert container.attrs["HostConfig"]["NetworkMode"] == "host"
        finally:
            container.remove(force=True)
        lines = output.split()
        assert lines[0] == "ok"
        assert lines[1] == f"from-{socket.gethostname()}"  # host networking: the container sees the host's name
    finally:
        docker_engine.images.remove(tag, force=True)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_engine.images.get(tag)
