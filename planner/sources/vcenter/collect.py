"""`inventory collect`: read one or more vCenters into an Estate with a few bulk calls per object type."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyVmomi import vim, vmodl

from planner.errors import ConnectError, PermissionDeniedError
from planner.models import Datacenter, Datastore, Estate, Network, Source, SourceKind
from planner.sources.vcenter import properties as paths
from planner.sources.vcenter.connection import Connection, connect, translate_errors
from planner.sources.vcenter.mapping import Lookups, map_cluster, map_host, map_vm
from planner.sources.vcenter.retrieve import PAGE_SIZE, ObjectProps, Pages, pyvmomi_pages, retrieve
from planner.sources.vcenter.settings import ServerSettings
from planner.sources.vcenter.stream import stream_pages
from planner.sources.vcenter.tags import TaggingClient, TagsUnavailable
from planner.sources.vcenter.topology import Topology, moid
from planner.sources.vcenter.wire_types import UnknownContent, is_a

Progress = Callable[[str, str, int], None]
"""Called as (server, object kind, objects in the page just read)."""

_DENIED_FAULTS = (vim.fault.NoPermission,)

PARSERS = ("auto", "stream", "pyvmomi")
"""How PropertyCollector answers are read: the stream parser, falling back to pyVmomi's (auto), or one of them."""


def _in_background(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """Run `function` on a daemon thread: an interrupted or failed collect never waits for it to finish."""
    future: Future[Any] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(function(*args))
        except BaseException as exc:  # handed to whoever waits on the future
            future.set_exception(exc)

    threading.Thread(target=run, name="planner-collect", daemon=True).start()
    return future


@dataclass
class ServerInventory:
    """What one vCenter gave, already mapped."""

    estate: Estate
    warnings: list[str] = field(default_factory=list)


class _Reader:
    """Retrieves object kinds from one connection and keeps track of denied objects."""

    def __init__(self, connection: Connection, page_size: int, progress: Progress | None,
                 parser: str = "auto") -> None:
        self.connection = connection
        self.page_size = page_size
        self.progress = progress
        self.parser = parser
        self.skipped: list[str] = []
        self.denied: list[str] = []
        self.warnings: list[str] = []

    def _retrieve(self, mo_type: type, wanted: tuple[str, ...], on_page: Callable[[int], None],
                  pages: Pages) -> list[ObjectProps]:
        return list(retrieve(self.connection.content, mo_type, wanted, page_size=self.page_size, on_page=on_page,
                             skipped=self.skipped, pages=pages))

    def _objects(self, kind: str, mo_type: type, wanted: tuple[str, ...],
                 on_page: Callable[[int], None]) -> list[ObjectProps]:
        """The stream parser first (unless told otherwise); pyVmomi's for what the stream parser does not know."""
        if self.parser == "pyvmomi":
            return self._retrieve(mo_type, wanted, on_page, pyvmomi_pages)
        server = self.connection.settings.address
        try:
            return self._retrieve(mo_type, wanted, on_page, stream_pages)
        except UnknownContent as exc:
            if self.parser == "stream":
                raise ConnectError(f"{server} sent {exc} in the {kind} properties, which the stream parser does "
                                   "not read; nothing was stored.",
                                   hint="Collect with --parser auto (or pyvmomi).") from exc
            self.warnings.append(f"{server}: the {kind} properties hold {exc}, which the stream parser does not "
                                 "read; they were read again through pyVmomi.")
            return self._retrieve(mo_type, wanted, on_page, pyvmomi_pages)

    def read(self, kind: str, mo_type: type, wanted: tuple[str, ...]) -> list[ObjectProps]:
        server = self.connection.settings.address
        type_name = mo_type.__name__.rsplit(".", 1)[-1]

        def on_page(count: int) -> None:
            if self.progress is not None:
                self.progress(server, kind, count)

        objects = self._objects(kind, mo_type, wanted, on_page)
        unknown: set[str] = set()
        for obj in objects:
            faults = {path: getattr(fault, "fault", None) or fault for path, fault in obj.missing.items()}
            if any(is_a(fault, _DENIED_FAULTS) for fault in faults.values()):
                self.denied.append(f"{obj.props.get('name') or obj.moid} ({type_name} {obj.moid})")
            unknown.update(path for path, fault in faults.items() if is_a(fault, vmodl.query.InvalidProperty))
        self.skipped.extend(f"{type_name}.{path}" for path in sorted(unknown))
        return objects


def _custom_fields(content: Any) -> dict[int, str]:
    manager = getattr(content, "customFieldsManager", None)
    if manager is None:
        return {}
    return {f.key: f.name for f in manager.field or () if f.managedObjectType in (None, vim.VirtualMachine)}


def _read_tags(connection: Connection, warnings: list[str]) -> dict[str, list[tuple[str, str]]]:
    try:
        with TaggingClient(connection.settings, connection.ssl_context) as client:
            return client.attached_tags()
    except TagsUnavailable:
        warnings.append(f"{connection.settings.address}: no vAPI tagging service; VM tags were not collected.")
        return {}


def collect_server(settings: ServerSettings, *, page_size: int = PAGE_SIZE,
                   progress: Progress | None = None, parser: str = "auto") -> ServerInventory:
    """Everything planner reads from one vCenter, mapped into an Estate of its own."""
    connection = connect(settings)
    try:
        with translate_errors(settings, "collecting the inventory"):
            return _collect(connection, page_size, progress, parser)
    finally:
        connection.close()


@dataclass
class _Infrastructure:
    """Raw objects around the VMs, read before the VMs are mapped."""

    clusters: list[ObjectProps]
    hosts: list[ObjectProps]
    datastores: list[ObjectProps]
    networks: list[ObjectProps]
    portgroups: dict[str, dict[str, Any]]
    switches: dict[str, str | None]


def _read_infrastructure(reader: _Reader, lookups: Lookups) -> _Infrastructure:
    """Containers, clusters, hosts, datastores and networks; fills the name lookups VMs are mapped with."""
    for kind, mo_type in (("Folder", vim.Folder), ("Datacenter", vim.Datacenter),
                          ("ComputeResource", vim.ComputeResource), ("ResourcePool", vim.ResourcePool)):
        for obj in reader.read(kind, mo_type, paths.FOLDER_PATHS):
            lookups.topology.add(kind, obj.moid, obj.props.get("name", obj.moid), obj.props.get("parent"))
    clusters = reader.read("Cluster", vim.ClusterComputeResource, paths.CLUSTER_PATHS)
    cluster_names = {obj.moid: obj.props.get("name", obj.moid) for obj in clusters}
    hosts = reader.read("HostSystem", vim.HostSystem, paths.HOST_PATHS)
    for obj in hosts:
        lookups.hosts[obj.moid] = obj.props.get("name", obj.moid)
        lookups.host_cluster[obj.moid] = cluster_names.get(moid(obj.props.get("parent")) or "")
    datastores = reader.read("Datastore", vim.Datastore, paths.DATASTORE_PATHS)
    lookups.datastores = {obj.moid: obj.props.get("name", obj.moid) for obj in datastores}
    networks = reader.read("Network", vim.Network, paths.NETWORK_PATHS)
    lookups.networks = {obj.moid: obj.props.get("name", obj.moid) for obj in networks}
    portgroups = reader.read("Portgroup", vim.dvs.DistributedVirtualPortgroup, paths.PORTGROUP_PATHS)
    switches = {obj.moid: obj.props.get("name")
                for obj in reader.read("Switch", vim.DistributedVirtualSwitch, paths.SWITCH_PATHS)}
    for obj in reader.read("OpaqueNetwork", vim.OpaqueNetwork, paths.OPAQUE_NETWORK_PATHS):
        if obj.props.get("summary.opaqueNetworkId"):
            lookups.opaque_networks[obj.props["summary.opaqueNetworkId"]] = lookups.networks.get(obj.moid, obj.moid)
    for obj in portgroups:
        if obj.props.get("key"):
            lookups.portgroups[obj.props["key"]] = lookups.networks.get(obj.moid, obj.moid)
    return _Infrastructure(clusters, hosts, datastores, networks, {obj.moid: obj.props for obj in portgroups},
                           switches)


def _refuse_denied(reader: _Reader, settings: ServerSettings) -> None:
    if not reader.denied:
        return
    shown = "; ".join(reader.denied[:5])
    if len(reader.denied) > 5:
        shown += f"; and {len(reader.denied) - 5} more"
    raise PermissionDeniedError(
        f"{settings.address}: the account {settings.user} may not read {len(reader.denied)} object(s): {shown}. "
        "Nothing was stored.", hint="Grant read-only access on the whole inventory (propagated), then collect again.")


def _collect(connection: Connection, page_size: int, progress: Progress | None, parser: str) -> ServerInventory:
    """Read one vCenter. The VMs and the tags are fetched in the background while the rest is read."""
    content = connection.content
    about = content.about
    source_name = connection.settings.address
    warnings: list[str] = []
    reader = _Reader(connection, page_size, progress, parser)
    lookups = Lookups(source=source_name, topology=Topology(), custom_fields=_custom_fields(content))
    vms_future = _in_background(reader.read, "VirtualMachine", vim.VirtualMachine, paths.VM_PATHS)
    tags_future = _in_background(_read_tags, connection, warnings)
    infra = _read_infrastructure(reader, lookups)
    vms_raw = vms_future.result()
    lookups.tags = tags_future.result()
    _refuse_denied(reader, connection.settings)
    warnings.extend(reader.warnings)
    if reader.skipped:
        warnings.append(f"{connection.settings.address} does not know the properties "
                        f"{', '.join(sorted(set(reader.skipped)))}; they are left empty.")

    vm_names = {obj.moid: obj.props.get("name", obj.moid) for obj in vms_raw}
    collected_at = datetime.now(UTC)
    estate = Estate(
        collected_at=collected_at,
        sources=[Source(name=source_name, kind=SourceKind.VCENTER, api_version=about.apiVersion,
                        product=about.fullName, instance_uuid=about.instanceUuid, collected_at=collected_at)],
        datacenters=[Datacenter(name=node.name, moid=object_id, source=source_name)
                     for object_id, node in lookups.topology.nodes.items() if node.kind == "Datacenter"],
        clusters=[map_cluster(obj.moid, obj.props, lookups, lambda m: vm_names.get(m, m))
                  for obj in infra.clusters],
        hosts=[map_host(obj.moid, obj.props, lookups, lookups.host_cluster.get(obj.moid)) for obj in infra.hosts],
        datastores=[_datastore(obj, lookups) for obj in infra.datastores],
        networks=[_network(obj, lookups, infra.portgroups, infra.switches) for obj in infra.networks],
        vms=[map_vm(obj.moid, obj.props, lookups) for obj in vms_raw],
    )
    return ServerInventory(estate, warnings)


def _datastore(obj: ObjectProps, lookups: Lookups) -> Datastore:
    get = obj.props.get
    return Datastore(
        name=get("name", obj.moid), moid=obj.moid, source=lookups.source,
        datacenter=lookups.topology.datacenter_of(moid(get("parent"))), type=get("summary.type"),
        capacity_bytes=get("summary.capacity"), free_bytes=get("summary.freeSpace"), url=get("summary.url"),
        multiple_host_access=get("summary.multipleHostAccess"),
        hosts=sorted(lookups.hosts[moid(mount.key) or ""] for mount in get("host") or ()
                     if moid(mount.key) in lookups.hosts
                     and getattr(getattr(mount, "mountInfo", None), "mounted", True) is not False),
    )


def _network(obj: ObjectProps, lookups: Lookups, portgroups: dict[str, dict[str, Any]],
             switches: dict[str, str | None]) -> Network:
    datacenter = lookups.topology.datacenter_of(moid(obj.props.get("parent")))
    name = obj.props.get("name", obj.moid)
    if obj.moid in portgroups:
        pg = portgroups[obj.moid]
        vlan = getattr(getattr(pg.get("config.defaultPortConfig"), "vlan", None), "vlanId", None)
        return Network(name=name, moid=obj.moid, source=lookups.source, datacenter=datacenter,
                       kind="distributed-portgroup", key=pg.get("key"),
                       switch=switches.get(moid(pg.get("config.distributedVirtualSwitch")) or ""),
                       vlan_id=vlan if isinstance(vlan, int) else None)
    kind = "opaque" if obj.kind == "OpaqueNetwork" else "standard"
    return Network(name=name, moid=obj.moid, source=lookups.source, datacenter=datacenter, kind=kind)


def merge(parts: list[Estate]) -> Estate:
    """One estate from several vCenters; each keeps its own Source entry."""
    if len(parts) == 1:
        return parts[0]
    merged = Estate(collected_at=max(p.collected_at for p in parts))
    for part in parts:
        for collection in ("sources", "datacenters", "clusters", "hosts", "datastores", "networks", "vms"):
            getattr(merged, collection).extend(getattr(part, collection))
    return merged


def collect(servers: list[ServerSettings], *, page_size: int = PAGE_SIZE,
            progress: Progress | None = None, parser: str = "auto") -> tuple[Estate, list[str]]:
    """Collect every server concurrently; all succeed or nothing is returned, and the first failure is reported
    as soon as it happens."""
    futures = [_in_background(lambda s=s: collect_server(s, page_size=page_size, progress=progress, parser=parser))
               for s in servers]
    done, _pending = wait(futures, return_when=FIRST_EXCEPTION)
    for future in futures:
        if future in done and future.exception() is not None:
            raise future.exception()  # type: ignore[misc]
    results = [future.result() for future in futures]
    warnings = [w for result in results for w in result.warnings]
    return merge([result.estate for result in results]), warnings
