"""Assemble an Estate from an RVTools export: vInfo first, then the VM tabs joined to it, then infrastructure."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from planner.errors import InputError, NotFoundError
from planner.models import Cluster, Datacenter, Datastore, Estate, Host, Network, Source, SourceKind
from planner.sources.rvtools import infra
from planner.sources.rvtools.columns import Cells, Columns
from planner.sources.rvtools.parallel import Prefetch, present, worker_count
from planner.sources.rvtools.reader import Export, Tab, WorkbookExport, open_export
from planner.sources.rvtools.vminfo import SERVER_KEYS, JoinKeys, VmIndex, read_vinfo
from planner.sources.rvtools.vmtabs import VM_TABS

Warn = Callable[[str], None]
LARGEST_FIRST = tuple(name for name in ("vPartition", "vDisk", "vNetwork", "vMemory", "vCPU", "vTools", "vCD",
                                         "vSnapshot", "vUSB") if name in VM_TABS)
"""VM tabs in the order workers should start them: the biggest (most rows x columns) first."""
INFRA_TABS = {
    "vHost": "hosts", "vCluster": "clusters", "vDatastore": "datastores", "vSource": "the vCenter name and API "
    "version", "vMetaData": "the export date (the file's modification time is used)",
}


def _join_tab(tab: Tab, index: VmIndex, warn: Warn) -> None:
    """Apply one VM tab's rows to their VMs."""
    mapper_factory, _ = VM_TABS[tab.name]
    columns = Columns(tab)
    keys = JoinKeys.of(columns)
    mode, key_column = index.mode_for(keys)
    server_column = columns.find(*SERVER_KEYS)
    apply = mapper_factory(columns)
    cells = Cells(tab.origin, tab.decimal_comma)
    orphans = 0
    for number, row in tab.rows:
        cells.at(number, row)
        vm = index.lookup(mode, cells.text(key_column), cells.text(server_column) if server_column else None)
        if vm is None:
            orphans += 1
            continue
        apply(vm, cells)
    if orphans:
        warn(f"{tab.origin}: {orphans} rows name VMs that are not in vInfo (joined on {key_column.header}); "
             "they were skipped.")


def _collected_at(path: Path, meta: infra.MetaData) -> datetime:
    if meta.created is not None:
        return meta.created
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, tz=UTC)
    except OSError:
        return datetime.now(UTC)


def _datacenters(hosts: list[Host], vms_dcs: list[tuple[str, str]]) -> list[Datacenter]:
    seen: dict[tuple[str, str], None] = {}
    for source, name in [*((h.source, h.datacenter) for h in hosts if h.datacenter), *vms_dcs]:
        seen.setdefault((source, name), None)
    return [Datacenter(name=name, source=source) for source, name in seen]


def _infrastructure(export: Export, default_source: str, missing: list[str]) -> tuple[
        list[Host], list[Cluster], list[Datastore], list[Network]]:
    hosts: list[Host] = []
    clusters: list[Cluster] = []
    datastores: list[Datastore] = []
    networks: list[Network] = []
    if (tab := export.open("vHost")) is not None:
        hosts = infra.read_hosts(tab, default_source)
    else:
        missing.append("vHost")
    if (tab := export.open("vCluster")) is not None:
        datacenter_of = {h.cluster: h.datacenter for h in hosts if h.cluster and h.datacenter}
        clusters = infra.read_clusters(tab, default_source, datacenter_of)
    else:
        missing.append("vCluster")
    if (tab := export.open("vDatastore")) is not None:
        datastores = infra.read_datastores(tab, default_source)
    else:
        missing.append("vDatastore")
    for name, distributed in (("vPort", False), ("dvPort", True)):
        if (tab := export.open(name)) is not None:
            networks.extend(infra.read_networks(tab, default_source, distributed))
    return hosts, clusters, datastores, networks


def load_rvtools(path: Path, *, on_warning: Warn | None = None, workers: int | None = None) -> Estate:
    """An Estate from an RVTools export (xlsx, folder of CSVs, single CSV, or zip).

    Raises InputError (naming file, tab, row and column) for input that cannot be used; warns through
    `on_warning` about optional tabs that are missing and what is left empty because of it. Large workbooks
    have their VM tabs parsed in `workers` processes (default: one per CPU, up to 4; 0 reads in this one).
    """
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"{path} does not exist.")
    warn: Warn = on_warning or (lambda _message: None)
    with open_export(path) as export:
        vinfo = export.open("vInfo")
        if vinfo is None:
            found = ", ".join(export.tab_names()) or "none"
            raise InputError(f"{export.origin}: the required tab vInfo is missing (tabs found: {found}); expected "
                             "an RVTools export (.xlsx, a folder of RVTools_tab*.csv files, or a .zip of them).")
        if export.ignored:  # two vCenters' exports side by side: importing one of them would lose half the estate
            raise InputError(f"{export.origin} holds more than one RVTools export (more than one file per tab: "
                             f"{', '.join(export.ignored)} beside others); nothing was read.",
                             hint="Import each export from its own folder or zip, one snapshot per vCenter.")
        count = worker_count(export, path) if workers is None else workers
        prefetch = Prefetch(path, present(export, LARGEST_FIRST), count if isinstance(export, WorkbookExport) else 0)
        try:
            sources: list[infra.SourceRow] = []
            if (tab := export.open("vSource")) is not None:
                sources = infra.read_sources(tab)
            meta = infra.MetaData()
            if (meta_tab := export.open("vMetaData")) is not None:
                meta = infra.read_metadata(meta_tab)
            default_source = (sources[0].name if sources else None) or meta.server or path.stem
            index = read_vinfo(vinfo, default_source)
            if not index.vms:
                warn(f"{vinfo.origin}: the tab lists no VMs; the snapshot holds none.")
            missing: list[str] = []
            for name in VM_TABS:
                tab = prefetch.take(name, partial(export.open, name)) if prefetch.has(name) else export.open(name)
                if tab is None:
                    missing.append(name)
                else:
                    _join_tab(tab, index, warn)
            hosts, clusters, datastores, networks = _infrastructure(export, default_source, missing)
        finally:
            prefetch.close()
    if not sources:
        missing.append("vSource")
    if meta_tab is None:
        missing.append("vMetaData")
    elif meta.created is None:
        warn(f"{meta_tab.origin}: the export date (xlsx creation datetime) is empty or not a date; the file's "
             "modification time is used as the snapshot time.")
    if missing:
        empty = {**{name: what for name, (_, what) in VM_TABS.items()}, **INFRA_TABS}
        warn("optional RVTools tabs missing, left empty: " + "; ".join(f"{name} ({empty[name]})" for name in missing)
             + ".")
    collected_at = _collected_at(path, meta)
    vm_sources = Counter(vm.source for vm in index.vms)
    known = {s.name for s in sources}
    source_models = [Source(name=s.name, kind=SourceKind.RVTOOLS, api_version=s.api_version, product=s.product,
                            instance_uuid=s.instance_uuid, collected_at=collected_at) for s in sources]
    source_models += [Source(name=name, kind=SourceKind.RVTOOLS, collected_at=collected_at)
                      for name in vm_sources if name not in known]
    vm_dcs = sorted({(vm.source, vm.datacenter) for vm in index.vms if vm.datacenter})
    return Estate(
        collected_at=collected_at, sources=source_models, datacenters=_datacenters(hosts, vm_dcs),
        clusters=clusters, hosts=hosts, datastores=datastores, networks=networks, vms=index.vms,
    )
