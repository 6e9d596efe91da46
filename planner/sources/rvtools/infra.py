"""Tabs about the infrastructure around the VMs: vHost, vCluster, vDatastore, vPort/dvPort, vSource, vMetaData."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from planner.models import Cluster, Datastore, Host, Network
from planner.sources.rvtools.columns import Cells, Column, Columns
from planner.sources.rvtools.reader import Tab

_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)*)")
_BUILD = re.compile(r"build[- ]?(\d+)", re.IGNORECASE)


def _rows(tab: Tab) -> tuple[Columns, Cells]:
    return Columns(tab), Cells(tab.origin, tab.decimal_comma)


def _server(cells: Cells, columns: Columns, default: str) -> str:
    return cells.text(columns.find("visdkserver")) or default


def _named_rows(tab: Tab, cells: Cells, name: Column) -> Iterator[str]:
    """The name of each row that has one, with `cells` positioned on that row (rows without a name are skipped)."""
    for number, row in tab.rows:
        cells.at(number, row)
        value = cells.text(name)
        if value is not None:
            yield value


def read_hosts(tab: Tab, default_source: str) -> list[Host]:
    columns, cells = _rows(tab)
    c = columns.find
    name = columns.require("Host", "host", "name", "hostname")
    datacenter, cluster, cpu_model, speed = c("datacenter"), c("cluster"), c("cpumodel"), c("speed", "cpumhz")
    sockets, cores, memory = c("numcpu"), c("numcores", "numcpucores"), c("nummemory", "memorysize", "memory")
    version, vendor, model = c("esxversion", "version", "fullname"), c("vendor"), c("model")
    maintenance, object_id = c("inmaintenancemode", "maintenancemode"), c("objectid")
    hosts: list[Host] = []
    for host_name in _named_rows(tab, cells, name):
        esx = cells.text(version) or ""
        release, build = _VERSION.search(esx), _BUILD.search(esx)
        hosts.append(Host(
            name=host_name, moid=cells.text(object_id), source=_server(cells, columns, default_source),
            datacenter=cells.text(datacenter), cluster=cells.text(cluster),
            version=release.group(1) if release else None, build=build.group(1) if build else None,
            vendor=cells.text(vendor), model=cells.text(model), cpu_model=cells.text(cpu_model),
            cpu_sockets=cells.integer(sockets), cpu_cores=cells.integer(cores), cpu_mhz=cells.integer(speed),
            memory_mib=cells.mib(memory), maintenance_mode=cells.boolean(maintenance),
        ))
    return hosts


def read_clusters(tab: Tab, default_source: str, datacenter_of: dict[str, str]) -> list[Cluster]:
    columns, cells = _rows(tab)
    c = columns.find
    name = columns.require("Name", "name", "cluster")
    hosts, ha, drs = c("numhosts"), c("haenabled"), c("drsenabled")
    behavior, admission, object_id = c("drsdefaultvmbehavior"), c("admissioncontrolenabled"), c("objectid")
    datacenter = c("datacenter")
    clusters: list[Cluster] = []
    for cluster_name in _named_rows(tab, cells, name):
        clusters.append(Cluster(
            name=cluster_name, moid=cells.text(object_id), source=_server(cells, columns, default_source),
            datacenter=cells.text(datacenter) or datacenter_of.get(cluster_name),
            drs_enabled=cells.boolean(drs), drs_behavior=cells.text(behavior), ha_enabled=cells.boolean(ha),
            ha_admission_control=cells.boolean(admission), host_count=cells.integer(hosts),
        ))
    return clusters


def read_datastores(tab: Tab, default_source: str) -> list[Datastore]:
    columns, cells = _rows(tab)
    c = columns.find
    name = columns.require("Name", "name", "datastore")
    kind, capacity, free, url = c("type"), c("capacity"), c("free", "freespace"), c("url")
    mha, object_id, datacenter = c("mha", "multiplehostaccess"), c("objectid"), c("datacenter")
    datastores: list[Datastore] = []
    for store_name in _named_rows(tab, cells, name):
        datastores.append(Datastore(
            name=store_name, moid=cells.text(object_id), source=_server(cells, columns, default_source),
            datacenter=cells.text(datacenter), type=cells.text(kind), capacity_bytes=cells.bytes(capacity),
            free_bytes=cells.bytes(free), url=cells.text(url), multiple_host_access=cells.boolean(mha),
        ))
    return datastores


def _vlan(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def read_networks(tab: Tab, default_source: str, distributed: bool) -> list[Network]:
    """Portgroups of vPort (standard) or dvPort (distributed), one per name."""
    columns, cells = _rows(tab)
    c = columns.find
    name = columns.require("Port" if distributed else "Port Group", *(("port", "portgroup", "name") if distributed
                                                                       else ("portgroup", "port", "name")))
    switch, vlan, object_id = c("switch"), c("vlan", "vlanid"), c("objectid")
    seen: dict[str, Network] = {}
    for number, row in tab.rows:
        cells.at(number, row)
        group = cells.text(name)
        if group is None or group in seen:
            continue
        seen[group] = Network(
            name=group, moid=cells.text(object_id) if distributed else None,
            source=_server(cells, columns, default_source),
            kind="distributed-portgroup" if distributed else "standard", switch=cells.text(switch),
            vlan_id=_vlan(cells.text(vlan)),
        )
    return list(seen.values())


@dataclass
class SourceRow:
    """One vCenter (or ESXi host) the export was read from."""

    name: str
    api_version: str | None
    product: str | None
    instance_uuid: str | None


def read_sources(tab: Tab) -> list[SourceRow]:
    columns, cells = _rows(tab)
    c = columns.find
    name, server, api = c("name"), c("visdkserver"), c("apiversion")
    full, product, version, uuid = c("fullname"), c("productname"), c("version"), c("visdkuuid", "instanceuuid")
    found: list[SourceRow] = []
    for number, row in tab.rows:
        cells.at(number, row)
        source_name = cells.text(server) or cells.text(name)
        if source_name is None:
            continue
        described = cells.text(full) or " ".join(part for part in (cells.text(product), cells.text(version)) if part)
        found.append(SourceRow(source_name, cells.text(api), described or None, cells.text(uuid)))
    return found


@dataclass
class MetaData:
    created: datetime | None = None
    rvtools_version: str | None = None
    server: str | None = None


def read_metadata(tab: Tab) -> MetaData:
    columns, cells = _rows(tab)
    created, version, server = columns.find("xlsxcreationdatetime", "creationdatetime", "exportdate"), columns.find(
        "rvtoolsversion"), columns.find("server")
    for number, row in tab.rows:
        cells.at(number, row)
        return MetaData(cells.timestamp(created), cells.text(version), cells.text(server))
    return MetaData()
