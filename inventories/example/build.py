"""Generate the bundled example estate (``estate.json``) deterministically.

Run ``python inventories/example/build.py`` to rewrite ``estate.json`` next to this file, or
``python inventories/example/build.py --check`` to fail when the committed file is stale.
Fictional company "Example Logistics": one vCenter, two datacenters, three clusters, ~45 VMs that
between them show every trait the estate model can hold. Only documentation IP ranges are used.
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from planner.models import (
    CdRom,
    Cluster,
    ClusterRule,
    Datacenter,
    Datastore,
    Devices,
    Disk,
    Estate,
    GuestOs,
    GuestPartition,
    Host,
    Network,
    Nic,
    PciDevice,
    PortDevice,
    PowerState,
    ScsiPassthrough,
    Snapshot,
    Source,
    SourceKind,
    Tag,
    Tools,
    Usage,
    UsbController,
    UsbDevice,
    Vm,
    os_family,
)

SOURCE = "vcenter.example.test"
COLLECTED_AT = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
SEED = 20260302
GIB = 1024**3
NS = uuid.UUID("6f1c2c1e-3d2a-4b8e-9a51-1f0e2d6c7b00")
OUT = Path(__file__).with_name("estate.json")

GUEST_NAMES = {
    "ubuntu64Guest": "Ubuntu Linux (64-bit)",
    "debian10_64Guest": "Debian GNU/Linux 10 (64-bit)",
    "debian11_64Guest": "Debian GNU/Linux 11 (64-bit)",
    "rhel7_64Guest": "Red Hat Enterprise Linux 7 (64-bit)",
    "rhel8_64Guest": "Red Hat Enterprise Linux 8 (64-bit)",
    "centos7_64Guest": "CentOS 7 (64-bit)",
    "centos6Guest": "CentOS 6 (32-bit)",
    "oracleLinux7_64Guest": "Oracle Linux 7 (64-bit)",
    "sles12_64Guest": "SUSE Linux Enterprise 12 (64-bit)",
    "otherLinux64Guest": "Other Linux (64-bit)",
    "windows9Server64Guest": "Microsoft Windows Server 2016 or later (64-bit)",
    "windows8Server64Guest": "Microsoft Windows Server 2012 (64-bit)",
    "windows2019srv_64Guest": "Microsoft Windows Server 2019 (64-bit)",
    "windows2019srvNext_64Guest": "Microsoft Windows Server 2022 (64-bit)",
    "windows9_64Guest": "Microsoft Windows 10 (64-bit)",
    "winXPProGuest": "Microsoft Windows XP Professional (32-bit)",
    "freebsd64Guest": "FreeBSD (64-bit)",
    "solaris10_64Guest": "Oracle Solaris 10 (64-bit)",
    "darwin16_64Guest": "Apple macOS 10.12 (64-bit)",
}

# network -> (prefix, first host number); every address is in a documentation range
SUBNETS = {
    "dvpg-web-110": ("192.0.2.", 10), "dmz-web-200": ("192.0.2.", 100), "dmz-mail-220": ("192.0.2.", 140),
    "dmz-vpn-230": ("192.0.2.", 160), "transit-210": ("192.0.2.", 180), "uplink-300": ("192.0.2.", 200),
    "dvpg-app-120": ("198.51.100.", 10), "VM Network": ("198.51.100.", 100), "mgmt-10": ("198.51.100.", 200),
    "mgmt-fra-10": ("198.51.100.", 230), "dvpg-db-130": ("203.0.113.", 10), "dvpg-backup-140": ("203.0.113.", 100),
}

PLACEMENT = {  # cluster -> (datacenter, hosts that run workloads, default datastore)
    "prod-01": ("ams-dc1", ["esx01.ams.example.test", "esx02.ams.example.test", "esx03.ams.example.test"],
                "vsan-prod-01"),
    "prod-02-db": ("ams-dc1", ["esx05.ams.example.test", "esx06.ams.example.test", "esx07.ams.example.test"],
                   "san-db-01"),
    "dmz-01": ("fra-dc2", ["esx21.fra.example.test", "esx22.fra.example.test"], "fra-vmfs-01"),
}


def _uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NS, f"{kind}:{name}"))


def infrastructure() -> dict[str, list]:
    """Datacenters, clusters, hosts, datastores and networks."""
    dcs = [Datacenter(name="ams-dc1", moid="datacenter-3", source=SOURCE),
           Datacenter(name="fra-dc2", moid="datacenter-5", source=SOURCE)]
    rules = {
        "prod-01": [ClusterRule(name="web-nginx-separate", kind="vm-anti-affinity", enabled=True, mandatory=False,
                                vms=["web-nginx-01", "web-nginx-02"])],
        "prod-02-db": [ClusterRule(name="oracle-licensed-hosts", kind="vm-host", enabled=True, mandatory=True,
                                   vms=["db-oracle-rac-01", "db-oracle-rac-02"], vm_group="oracle-vms",
                                   host_group="oracle-hosts", affine=True,
                                   hosts=["esx05.ams.example.test", "esx06.ams.example.test"])],
    }
    clusters = [
        Cluster(name="prod-01", moid="domain-c1001", source=SOURCE, datacenter="ams-dc1", drs_enabled=True,
                drs_behavior="fullyAutomated", ha_enabled=True, ha_admission_control=True, host_count=4,
                rules=rules["prod-01"]),
        Cluster(name="prod-02-db", moid="domain-c1002", source=SOURCE, datacenter="ams-dc1", drs_enabled=True,
                drs_behavior="partiallyAutomated", ha_enabled=True, ha_admission_control=True, host_count=3,
                rules=rules["prod-02-db"]),
        Cluster(name="dmz-01", moid="domain-c2001", source=SOURCE, datacenter="fra-dc2", drs_enabled=False,
                drs_behavior="manual", ha_enabled=True, ha_admission_control=False, host_count=2),
    ]
    kinds = {
        "prod-01": ("Dell Inc.", "PowerEdge R750", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", 2, 32, 1995, 1024,
                    "8.0.2", "22380479"),
        "prod-02-db": ("HPE", "ProLiant DL380 Gen10 Plus", "Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", 2, 40,
                       2294, 2048, "8.0.2", "22380479"),
        "dmz-01": ("Dell Inc.", "PowerEdge R6515", "AMD EPYC 7313 16-Core Processor", 1, 16, 2994, 256,
                   "7.0.3", "21930508"),
    }
    members = {"prod-01": [f"esx0{i}.ams.example.test" for i in (1, 2, 3, 4)],
               "prod-02-db": [f"esx0{i}.ams.example.test" for i in (5, 6, 7)],
               "dmz-01": ["esx21.fra.example.test", "esx22.fra.example.test"]}
    hosts = []
    for cluster, names in members.items():
        vendor, model, cpu, sockets, cores, mhz, mem_gib, version, build = kinds[cluster]
        for name in names:
            hosts.append(Host(
                name=name, moid=f"host-{1000 + len(hosts) * 7}", source=SOURCE, datacenter=PLACEMENT[cluster][0],
                cluster=cluster, version=version, build=build, vendor=vendor, model=model, cpu_model=cpu,
                cpu_sockets=sockets, cpu_cores=sockets * cores, cpu_threads=sockets * cores * 2, cpu_mhz=mhz,
                memory_mib=mem_gib * 1024, maintenance_mode=name == "esx04.ams.example.test",
                connection_state="connected", power_state="poweredOn"))
    ams = members["prod-01"] + members["prod-02-db"]
    datastores = [  # mounts: one datastore per cluster, the ISO library everywhere in ams, one local disk
        Datastore(name=name, moid=f"datastore-{1100 + i}", source=SOURCE, datacenter=dc, type=kind,
                  capacity_bytes=cap * GIB, free_bytes=free * GIB, multiple_host_access=shared,
                  url=f"ds:///vmfs/volumes/{_uuid('ds', name)[:23]}/", hosts=sorted(mounts))
        for i, (name, dc, kind, cap, free, shared, mounts) in enumerate([
            ("vsan-prod-01", "ams-dc1", "vsan", 61440, 22118, True, members["prod-01"]),
            ("san-db-01", "ams-dc1", "VMFS", 20480, 5120, True, members["prod-02-db"]),
            ("nfs-iso-01", "ams-dc1", "NFS", 2048, 1310, True, ams),
            ("local-esx07", "ams-dc1", "VMFS", 1788, 1702, False, ["esx07.ams.example.test"]),
            ("fra-vmfs-01", "fra-dc2", "VMFS", 8192, 4475, True, members["dmz-01"]),
        ])
    ]
    networks = [Network(name="VM Network", moid="network-11", source=SOURCE, datacenter="ams-dc1",
                        switch="vSwitch0", vlan_id=0),
                Network(name="mgmt-10", moid="network-12", source=SOURCE, datacenter="ams-dc1",
                        switch="vSwitch0", vlan_id=10)]
    for i, (name, vlan) in enumerate([("dvpg-web-110", 110), ("dvpg-app-120", 120), ("dvpg-db-130", 130),
                                      ("dvpg-backup-140", 140)]):
        networks.append(Network(name=name, moid=f"dvportgroup-{2001 + i}", source=SOURCE, datacenter="ams-dc1",
                                kind="distributed-portgroup", switch="dvs-prod", vlan_id=vlan,
                                key=f"dvportgroup-{2001 + i}"))
    for i, (name, vlan) in enumerate([("dmz-web-200", 200), ("transit-210", 210), ("dmz-mail-220", 220),
                                      ("dmz-vpn-230", 230), ("uplink-300", 300), ("mgmt-fra-10", 10)]):
        networks.append(Network(name=name, moid=f"network-{21 + i}", source=SOURCE, datacenter="fra-dc2",
                                switch="vSwitch1" if name != "mgmt-fra-10" else "vSwitch0", vlan_id=vlan))
    return {"datacenters": dcs, "clusters": clusters, "hosts": hosts, "datastores": datastores,
            "networks": networks}


class _Builder:
    """Makes VMs with consistent defaults; all variation comes from a seeded RNG and counters."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - fixed seed: reproducible data, not crypto
        self.next_ip = {net: start for net, (_, start) in SUBNETS.items()}
        self.next_host: dict[str, int] = {}
        self.vms: list[Vm] = []

    def ip(self, network: str) -> str:
        prefix, _ = SUBNETS[network]
        number = self.next_ip[network]
        self.next_ip[network] += 1
        return f"{prefix}{number}"

    def host(self, cluster: str) -> str:
        hosts = PLACEMENT[cluster][1]
        index = self.next_host.get(cluster, 0)
        self.next_host[cluster] = index + 1
        return hosts[index % len(hosts)]

    def vm(self, name: str, guest_id: str, *, cluster: str, cpu: int, mem_gib: float, folder: str,
           disks_gib: tuple[int, ...] = (40,), nets: tuple[str, ...] = ("dvpg-app-120",),
           power: PowerState = PowerState.ON, tools: str = "toolsOk", tier: str | None = None,
           app: str | None = None, env: str = "prod", owner: str = "Platform Team", cost_center: str = "CC-1000",
           annotation: str | None = None, tools_guest_id: str | None = None, **fields: object) -> Vm:
        datacenter, _, datastore = PLACEMENT[cluster]
        index = len(self.vms)
        running = power == PowerState.ON
        # boot disks are lazy-zeroed thick outside vSAN, data disks thin; one plain SCSI bus
        disks = [Disk(label=f"Hard disk {i + 1}", key=2000 + i, capacity_bytes=size * GIB, backing="flat",
                      disk_mode="persistent", sharing="sharingNone", datastore=datastore,
                      file_name=f"[{datastore}] {name}/{name}{'' if i == 0 else f'_{i}'}.vmdk",
                      thin=datastore == "vsan-prod-01" or i > 0, eager_zero=False, controller="SCSI controller 0",
                      controller_sharing="noSharing")
                 for i, size in enumerate(disks_gib)]
        nics = [Nic(label=f"Network adapter {i + 1}", key=4000 + i,
                    adapter="e1000e" if guest_id.startswith(("win", "freebsd", "solaris")) else "vmxnet3",
                    network=net, mac=f"00:50:56:{0x80 + index // 256:02x}:{index % 256:02x}:{0x10 + i:02x}",
                    connected=power != PowerState.OFF, start_connected=True,
                    ips=[self.ip(net)] if running and tools in ("toolsOk", "toolsOld") else [])
                for i, net in enumerate(nets)]
        tools_running = running and tools in ("toolsOk", "toolsOld")
        reported = (tools_guest_id or guest_id) if tools_running else None
        guest = GuestOs(configured_id=guest_id, configured_name=GUEST_NAMES[guest_id], tools_id=reported,
                        tools_name=GUEST_NAMES[reported] if reported else None,
                        hostname=f"{name}.example.test" if tools_running else None)
        guest.family = os_family(guest.tools_id, guest.tools_name, guest.configured_id, guest.configured_name)
        memory_mib = int(mem_gib * 1024)
        provisioned = sum(disks_gib) * GIB
        load = self.rng.uniform(0.03, 0.45)
        usage = Usage(
            cpu_mhz=int(cpu * 2000 * load) if running else 0,
            guest_memory_mib=int(memory_mib * self.rng.uniform(0.15, 0.7)) if running else 0,
            host_memory_mib=int(memory_mib * self.rng.uniform(0.75, 1.0)) if running else 0,
            uptime_seconds=self.rng.randrange(3, 400) * 86400 + self.rng.randrange(86400) if running else None,
            committed_bytes=int(provisioned * self.rng.uniform(0.35, 0.8)) + (memory_mib * 1024 * 1024
                                                                              if running else 0),
            uncommitted_bytes=int(provisioned * 0.3),
        )
        # guest file systems, as Tools reports them (no RNG draw, so the other figures stay as they were)
        windows = guest_id.startswith("win")
        partitions = [GuestPartition(path=(f"{'CDEFGH'[i]}:\\" if windows else ("/" if i == 0 else f"/data{i}")),
                                     disk_key=2000 + i, capacity_bytes=size * GIB - 512 * 1024**2,
                                     free_bytes=int((size * GIB - 512 * 1024**2) * (0.2 + (index + i) % 7 * 0.1)))
                      for i, size in enumerate(disks_gib)] if tools_running else []
        tags = [Tag(category="env", name=env)]
        if tier:
            tags.append(Tag(category="tier", name=tier))
        if app:
            tags.append(Tag(category="app", name=app))
        attributes = {"Owner": owner, "CostCenter": cost_center,
                      "Environment": {"prod": "Production", "dev": "Development", "test": "Test"}[env]}
        versions = {"toolsOk": ("12352", "guestToolsCurrent"), "toolsOld": ("10346", "guestToolsNeedUpgrade"),
                    "toolsNotRunning": ("12352", "guestToolsCurrent"),
                    "toolsNotInstalled": ("0", "guestToolsNotInstalled")}
        if power != PowerState.ON and tools == "toolsOk":
            tools = "toolsNotRunning"
        version, version_status = versions[tools]
        vm = Vm(
            name=name, moid=f"vm-{3001 + index}", source=SOURCE, instance_uuid=_uuid("instance", name),
            bios_uuid=_uuid("bios", name), datacenter=datacenter, cluster=cluster, host=self.host(cluster),
            resource_pool="Resources", folder=f"/{datacenter}/vm/{folder}", power_state=power,
            connection_state="connected", guest=guest,
            tools=Tools(status=tools, running_status="guestToolsRunning" if tools_running else "guestToolsNotRunning",
                        version=version, version_status=version_status),
            hardware_version="vmx-19", firmware="bios", secure_boot=False, num_cpu=cpu,
            cores_per_socket=cpu if cpu <= 8 else cpu // 2, memory_mib=memory_mib, cpu_reservation_mhz=0,
            memory_reservation_mib=0, cpu_hot_add=False, memory_hot_add=False, latency_sensitivity="normal",
            ft_state="notConfigured", consolidation_needed=False, disks=disks, partitions=partitions, nics=nics,
            devices=Devices(cdroms=[CdRom(label="CD/DVD drive 1", backing="client", connected=False,
                                          start_connected=False)], tpm=False),
            annotation=annotation, custom_attributes=attributes, tags=tags, usage=usage,
            guest_ips=[ip for nic in nics for ip in nic.ips],
        )
        for key, value in fields.items():
            setattr(vm, key, value)
        self.vms.append(vm)
        return vm


def _snap(name: str, description: str, created: datetime, sid: int, children: list[Snapshot] | None = None,
          state: str = "poweredOn") -> Snapshot:
    return Snapshot(name=name, description=description, created=created, id=sid, state=state, quiesced=False,
                    children=children or [])


def _d(year: int, month: int, day: int, hour: int = 2) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UTC)


def virtual_machines() -> list[Vm]:
    """The VMs, tier by tier; special traits are set right after the VM they belong to."""
    b = _Builder()
    web = {"tier": "web", "owner": "Web Team", "cost_center": "CC-1040", "folder": "Production/Web"}
    app = {"tier": "app", "owner": "Commerce Team", "cost_center": "CC-1050", "folder": "Production/App"}
    db = {"tier": "db", "owner": "Data Team", "cost_center": "CC-1060", "folder": "Production/Databases",
          "cluster": "prod-02-db", "nets": ("dvpg-db-130", "dvpg-backup-140")}
    win = {"owner": "Infrastructure Team", "cost_center": "CC-1010", "folder": "Infrastructure/Windows",
           "nets": ("VM Network",)}
    # web tier
    for i in (1, 2):
        b.vm(f"web-nginx-0{i}", "ubuntu64Guest", cluster="prod-01", cpu=2, mem_gib=4, nets=("dvpg-web-110",),
             app="shop-frontend", annotation="nginx reverse proxy for the shop front end", **web)
    b.vm("web-apache-01", "rhel7_64Guest", cluster="prod-01", cpu=2, mem_gib=8, nets=("dvpg-web-110",),
         app="intranet", annotation="Apache httpd 2.4 with mod_php, intranet", **web)
    b.vm("web-apache-02", "centos7_64Guest", cluster="prod-01", cpu=2, mem_gib=4, nets=("dvpg-web-110",),
         app="intranet", tools="toolsOld", annotation="Apache httpd 2.4, static docs site", **web)
    dmz = {**web, "folder": "DMZ", "cluster": "dmz-01", "owner": "Network Team", "cost_center": "CC-1020"}
    for i in (1, 2):
        b.vm(f"dmz-proxy-0{i}", "debian10_64Guest", cpu=2, mem_gib=2, nets=("dmz-web-200",), app="edge-proxy",
             annotation="HAProxy in front of the public web tier", **dmz)
    # application tier
    b.vm("app-java-orders-01", "rhel8_64Guest", cluster="prod-01", cpu=4, mem_gib=16, app="orders",
         annotation="Tomcat 9, OpenJDK 11, order service", cpu_hot_add=True, memory_hot_add=True, **app)
    b.vm("app-java-orders-02", "rhel7_64Guest", cluster="prod-01", cpu=4, mem_gib=16, app="orders",
         annotation="Tomcat 9, OpenJDK 11, order service", **app)
    b.vm("app-python-api-01", "ubuntu64Guest", cluster="prod-01", cpu=2, mem_gib=4, app="catalog-api",
         annotation="gunicorn + Flask catalogue API", **app)
    b.vm("app-node-portal-01", "debian11_64Guest", cluster="prod-01", cpu=2, mem_gib=4, app="customer-portal",
         annotation="Node.js 18 customer portal (pm2)", **app)
    pay = b.vm("app-payments-01", "rhel7_64Guest", cluster="prod-01", cpu=4, mem_gib=16, app="payments",
               annotation="Payment gateway - PCI DSS scope, card data environment",
               cpu_reservation_mhz=4000, memory_reservation_mib=16384, **app)
    pay.custom_attributes["Compliance"] = "PCI-DSS"
    pay.tags.append(Tag(category="compliance", name="pci"))
    b.vm("app-batch-01", "centos7_64Guest", cluster="prod-01", cpu=8, mem_gib=32, app="billing-batch",
         power=PowerState.OFF, annotation="Monthly billing batch, runs on the 1st", memory_limit_mib=16384,
         cpu_limit_mhz=8000, **app)
    b.vm("app-legacy-crm", "centos6Guest", cluster="prod-01", cpu=1, mem_gib=2, app="crm", tools="toolsOld",
         annotation="Legacy CRM, 32-bit, vendor out of support", hardware_version="vmx-08", **app)
    b.vm("app-kafka-01", "sles12_64Guest", cluster="prod-01", cpu=4, mem_gib=16, app="event-bus",
         disks_gib=(40, 500), annotation="Kafka broker", **app)
    b.vm("app-voip-01", "rhel7_64Guest", cluster="prod-01", cpu=4, mem_gib=8, app="voip",
         annotation="Session border controller, latency critical", latency_sensitivity="high",
         cpu_affinity=[4, 5, 6, 7], cpu_reservation_mhz=7980, memory_reservation_mib=8192, **app)
    rep = b.vm("app-reporting-01", "otherLinux64Guest", tools_guest_id="ubuntu64Guest", cluster="prod-01", cpu=4,
               mem_gib=8, app="reporting", annotation="Jasper reports server", consolidation_needed=True, **app)
    rep.snapshots = [_snap("before-upgrade-2023", "Before Jasper 8 upgrade", _d(2023, 4, 12), 1, [
        _snap("patch-2024-01", "January OS patches", _d(2024, 1, 16), 2),
        _snap("patch-2024-02", "February OS patches", _d(2024, 2, 13), 3, [
            _snap("pre-migration", "Before datastore migration", _d(2025, 11, 3), 4)]),
    ])]
    rep.current_snapshot = "pre-migration"
    b.vm("ci-jenkins-01", "debian10_64Guest", cluster="prod-01", cpu=4, mem_gib=8, env="dev", tier="app",
         app="ci", owner="DevOps Team", cost_center="CC-1070", folder="Development", cpu_hot_add=True,
         memory_hot_add=True,
         annotation='Jenkins controller "ci-main"\nBuild URL: {{ build_url }} run $(whoami) `id` ${HOME}\n'
                    "Don't edit: it's managed by 'ops' & <team>")
    b.vm("dev-sandbox-01", "ubuntu64Guest", cluster="prod-01", cpu=2, mem_gib=4, env="dev", owner="DevOps Team",
         cost_center="CC-1070", folder="Development", power=PowerState.OFF, annotation="Scratch box")
    # database tier
    pg = b.vm("db-pg-01", "rhel7_64Guest", cpu=8, mem_gib=64, app="orders", disks_gib=(60, 500, 200),
              annotation="PostgreSQL 13 primary", memory_reservation_mib=65536, **db)
    pg.snapshots = [_snap("pre-patch", "Before PostgreSQL 13.14 minor update", _d(2026, 2, 27), 1)]
    pg.current_snapshot = "pre-patch"
    pg2 = b.vm("db-pg-02", "rhel7_64Guest", cpu=8, mem_gib=64, app="orders", disks_gib=(60, 500, 200),
               annotation="PostgreSQL 13 streaming replica", **db)
    for node in (pg, pg2):  # the data volume is eager-zeroed thick: no first-write penalty
        node.disks[1].thin, node.disks[1].eager_zero = False, True
    my = b.vm("db-mysql-01", "ubuntu64Guest", cpu=4, mem_gib=16, app="customer-portal", disks_gib=(40, 200),
              annotation="MySQL 8.0", **db)
    my.disks[1].disk_mode = "independent_persistent"
    for node in (1, 2):
        rac = b.vm(f"db-oracle-rac-0{node}", "oracleLinux7_64Guest", cpu=16, mem_gib=128, app="erp",
                   disks_gib=(80, 100), annotation="Oracle 19c RAC node", **db)
        for n, size in enumerate((2, 2, 500)):
            rac.disks.append(Disk(label=f"Hard disk {n + 3}", key=2100 + n, capacity_bytes=size * GIB,
                                  disk_mode="independent_persistent", sharing="sharingMultiWriter",
                                  datastore="san-db-01", thin=False, eager_zero=True,
                                  controller="SCSI controller 1", controller_sharing="noSharing",
                                  file_name=f"[san-db-01] erp-rac-shared/erp-rac-shared_{n}.vmdk"))
    sql = b.vm("db-mssql-01", "windows9Server64Guest", cpu=8, mem_gib=64, app="finance", disks_gib=(100, 300),
               annotation="SQL Server 2016 failover cluster node", **{**db, "owner": "Finance IT"})
    sql.disks.append(Disk(label="Hard disk 3", key=2100, capacity_bytes=1024 * GIB, backing="rdm",
                          rdm_mode="physical", disk_mode="independent_persistent", sharing="sharingNone",
                          datastore="san-db-01", file_name="[san-db-01] db-mssql-01/db-mssql-01_rdmp.vmdk",
                          lun_uuid="0200000000600a098038303053453f463045", controller="SCSI controller 1",
                          controller_sharing="physicalSharing"))  # quorum/data LUN shared across boxes
    b.vm("db-mssql-02", "windows2019srv_64Guest", cpu=4, mem_gib=32, app="hr", disks_gib=(100, 200),
         annotation="SQL Server 2019 Standard, HR", **db)
    b.vm("db-warehouse-01", "rhel7_64Guest", cpu=48, mem_gib=768, app="analytics", disks_gib=(100, 4000, 2000),
         annotation="Greenplum master - huge VM, NUMA wide", cpu_reservation_mhz=20000,
         memory_reservation_mib=786432, **db)
    # Windows infrastructure
    dc1 = b.vm("win-dc-01", "windows9Server64Guest", cluster="prod-01", cpu=2, mem_gib=8, app="active-directory",
               annotation="Domain controller, FSMO roles", ft_state="running", **win)
    dc1.tags.append(Tag(category="backup", name="gold"))
    b.vm("win-dc-02", "windows9Server64Guest", cluster="prod-01", cpu=2, mem_gib=8, app="active-directory",
         annotation="Domain controller", **win)
    iis = b.vm("win-iis-01", "windows8Server64Guest", cluster="prod-01", cpu=2, mem_gib=8, app="timesheets",
               annotation="IIS 8.5, ASP.NET 4.8 timesheet app", **win)
    iis.devices.cdroms = [CdRom(label="CD/DVD drive 1", backing="iso", iso_path="[nfs-iso-01] iso/dotnet48.iso",
                                connected=True, start_connected=True)]
    fs = b.vm("win-file-01", "windows9Server64Guest", cluster="prod-01", cpu=4, mem_gib=16, app="file-shares",
              disks_gib=(80, 2000, 1000), annotation="File server, DFS namespace \\\\example.test\\shares", **win)
    fs.disks.append(Disk(label="Hard disk 4", key=2100, capacity_bytes=2048 * GIB, backing="rdm",
                         rdm_mode="virtual", disk_mode="persistent", sharing="sharingNone", datastore="vsan-prod-01",
                         file_name="[vsan-prod-01] win-file-01/win-file-01_rdmv.vmdk",
                         lun_uuid="0200010000600a098038303053453f463046", controller="SCSI controller 1",
                         controller_sharing="noSharing"))
    b.vm("win-jumphost-01", "windows9Server64Guest", cluster="prod-01", cpu=2, mem_gib=8, app="admin-access",
         power=PowerState.SUSPENDED, annotation="RDP jump host, suspended after audit", **win)
    lic = b.vm("win-license-01", "windows8Server64Guest", cluster="prod-01", cpu=2, mem_gib=4, app="cad-licensing",
               host="esx02.ams.example.test", annotation="FlexLM licence server with USB dongle", **win)
    lic.devices.usb_controllers = [UsbController(label="USB controller", kind="usb2"),
                                   UsbController(label="USB xHCI controller", kind="usb3")]
    lic.devices.usb_devices = [UsbDevice(label="USB 1", backing="path:1/0/2 version:2", connected=True)]
    lic.devices.serial_ports = [PortDevice(label="Serial port 1", backing="device", target="/dev/char/serial/uart0",
                                           connected=True)]
    cad = b.vm("win-cad-01", "windows9_64Guest", cluster="prod-01", cpu=8, mem_gib=32, app="cad",
               annotation="CAD workstation with NVIDIA GRID vGPU", firmware="efi", memory_reservation_mib=32768,
               **win)
    cad.devices.pci = [PciDevice(label="PCI device 0", kind="vgpu", device="grid_rtx6000-4q")]
    adm = b.vm("win-admin-01", "windows2019srvNext_64Guest", cluster="prod-01", cpu=2, mem_gib=8, app="admin-access",
               annotation="Privileged access workstation, Credential Guard", firmware="efi", secure_boot=True,
               hardware_version="vmx-20", **win)
    adm.devices.tpm = True
    # appliances and odd ones
    b.vm("fw-pfsense-01", "freebsd64Guest", cpu=2, mem_gib=4, disks_gib=(16,), app="firewall",
         tools="toolsNotInstalled", annotation="pfSense 2.7 perimeter firewall",
         nets=("uplink-300", "transit-210", "dmz-web-200", "dmz-mail-220", "dmz-vpn-230", "mgmt-fra-10"),
         **{**dmz, "tier": "network"})
    sol = b.vm("sol-billing-01", "solaris10_64Guest", cluster="prod-02-db", cpu=4, mem_gib=16, disks_gib=(60, 200),
               app="legacy-billing", tools="toolsNotInstalled", folder="Legacy", owner="Finance IT",
               cost_center="CC-1030", annotation="Solaris 10 billing engine, vendor EOL",
               nets=("dvpg-app-120",), hardware_version="vmx-11")
    sol.devices.serial_ports = [PortDevice(label="Serial port 1", backing="network", target="telnet://:7001",
                                           connected=True)]
    plc = b.vm("lab-plc-01", "winXPProGuest", cluster="prod-01", cpu=1, mem_gib=1, disks_gib=(20,), env="test",
               app="plc-programming", tools="toolsOld", folder="Legacy", owner="Plant Engineering",
               cost_center="CC-1090", annotation="PLC programming station, needs COM1 and LPT1",
               nets=("VM Network",), hardware_version="vmx-08")
    plc.devices.serial_ports = [PortDevice(label="Serial port 1", backing="device", target="/dev/ttyS0",
                                           connected=True)]
    plc.devices.parallel_ports = [PortDevice(label="Parallel port 1", backing="device", target="/dev/parport0",
                                             connected=True)]
    ml = b.vm("ml-train-01", "ubuntu64Guest", cluster="prod-02-db", cpu=16, mem_gib=128, disks_gib=(100, 1000),
              env="dev", tier="app", app="ml-training", owner="Data Science", cost_center="CC-1080",
              folder="Development", annotation="Model training box, GPU passthrough", host="esx07.ams.example.test",
              memory_reservation_mib=131072, nets=("dvpg-app-120",))
    ml.devices.pci = [PciDevice(label="PCI device 0", kind="passthrough", device="0000:3b:00.0 NVIDIA A100 PCIe")]
    ml.disks[1].datastore = "local-esx07"
    ml.disks[1].file_name = "[local-esx07] ml-train-01/ml-train-01_1.vmdk"
    b.vm("ci-macos-01", "darwin16_64Guest", cluster="prod-01", cpu=4, mem_gib=8, env="dev", tier="app",
         app="ci", owner="DevOps Team", cost_center="CC-1070", folder="Development",
         annotation="Xcode build agent")
    old = b.vm("old-intranet-01", "centos7_64Guest", cluster="prod-01", cpu=2, mem_gib=4, env="prod", tier="web",
               app="intranet", power=PowerState.OFF, folder="Retired", annotation="Old intranet, replaced 2024")
    old.snapshots = [_snap("before-decommission", "Kept for audit", _d(2022, 9, 30), 1, state="poweredOff")]
    old.current_snapshot = "before-decommission"
    b.vm("mon-zabbix-01", "ubuntu64Guest", cluster="prod-01", cpu=2, mem_gib=8, app="monitoring",
         folder="Infrastructure/Linux", nets=("mgmt-10",), annotation="Zabbix server")
    for name, gid, note in (("tmpl-rhel7-base", "rhel7_64Guest", "RHEL 7.9 base template, CIS hardened"),
                            ("tmpl-win2016-base", "windows9Server64Guest", "Windows Server 2016 base template")):
        b.vm(name, gid, cluster="prod-01", cpu=2, mem_gib=4, folder="Templates", power=PowerState.OFF,
             template=True, annotation=note, env="prod", resource_pool=None, nets=("VM Network",))
    # added later (issue 15), after the templates so every VM above keeps its figures: host-tied hardware that
    # vSphere shows (SCSI passthrough tape, an SR-IOV adapter, NUMA node pinning)
    tape = b.vm("bak-media-01", "rhel8_64Guest", cluster="prod-02-db", cpu=4, mem_gib=16, disks_gib=(60, 2000),
                app="backup", owner="Infrastructure Team", cost_center="CC-1010", folder="Infrastructure/Linux",
                annotation="Bacula storage daemon with the LTO-6 tape library", host="esx06.ams.example.test",
                nets=("dvpg-backup-140",))
    tape.devices.scsi_passthrough = [
        ScsiPassthrough(label="SCSI device 0", device="/vmfs/devices/genscsi/naa.5001438016b9e2a0",
                        summary="HP Ultrium 6-SCSI"),
        ScsiPassthrough(label="SCSI device 1", device="/vmfs/devices/genscsi/naa.5001438016b9e2a1",
                        summary="HP MSL G3 Series")]
    feed = b.vm("app-fix-gateway-01", "rhel8_64Guest", cluster="prod-01", cpu=8, mem_gib=32, app="trading",
                annotation="FIX order gateway, kernel-bypass NIC pinned to NUMA node 1", **{**app, "tier": "app"})
    feed.nics[0].adapter = "sriovethernetcard"
    feed.numa_node_affinity = [1]
    return b.vms


def build() -> Estate:
    """The whole example estate."""
    source = Source(name=SOURCE, kind=SourceKind.VCENTER, api_version="8.0.3.0",
                    product="VMware vCenter Server 8.0.3 build-24022515", instance_uuid=_uuid("vcenter", SOURCE),
                    collected_at=COLLECTED_AT)
    return Estate(collected_at=COLLECTED_AT, sources=[source], **infrastructure(), vms=virtual_machines())


def render() -> str:
    """The estate as pretty, stable JSON text (with a final newline)."""
    return Estate.model_validate(build().model_dump()).model_dump_json(indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if estate.json is not up to date")
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
