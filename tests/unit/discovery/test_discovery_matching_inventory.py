"""Guest -> VM matching order and ambiguities; the starter inventory."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime

import yaml

from planner.discovery.inventory import build_inventory, inventory_yaml
from planner.graph.matching import match_guests
from planner.models import Estate, GuestOs, Nic, OsFamily, PowerState, Tag, Vm
from planner.models.discovery import GuestDiscovery
from tests.support.components import require


def vm(name: str, *, ip: str | None = None, bios: str | None = None, hostname: str | None = None,
       power: PowerState = PowerState.ON, **extra) -> Vm:
    return Vm(name=name, source="vc", power_state=power, guest_ips=[ip] if ip else [], bios_uuid=bios,
              guest=GuestOs(hostname=hostname, family=OsFamily.LINUX), **extra)


def estate(*vms: Vm) -> Estate:
    return Estate(collected_at=datetime.now(UTC), vms=list(vms))


def test_matching_order():
    bios = "4210a1b2-c3d4-e5f6-0718-293a4b5c6d7e"
    swapped = str(uuid.UUID(bytes_le=uuid.UUID(bios).bytes))
    snapshot = estate(vm("web-01"), vm("db-01", hostname="db01.example.org"), vm("app-01", ip="192.0.2.20"),
                      vm("legacy", bios=bios), vm("named", ip="192.0.2.99"))
    guests = [
        GuestDiscovery(host="WEB-01"),
        GuestDiscovery(host="198.51.100.9", hostname="db01", fqdn="db01.example.org"),
        GuestDiscovery(host="h3", addresses=["192.0.2.20"]),
        GuestDiscovery(host="h4", bios_uuid=swapped),
        GuestDiscovery(host="h5", planner_vm="named", addresses=["192.0.2.20"]),
        GuestDiscovery(host="nobody", addresses=["198.51.100.1"]),
    ]
    report = match_guests(snapshot, guests)
    assert report.matched == {
        "WEB-01": ("web-01", "inventory-name"), "198.51.100.9": ("db-01", "vm-name"), "h3": ("app-01", "guest-ip"),
        "h4": ("legacy", "bios-uuid"), "h5": ("named", "planner-vm")}
    assert report.unmatched == ["nobody"]
    assert guests[2].vm == "app-01" and guests[2].matched_by == "guest-ip"
    assert report.ambiguities == []


def test_ambiguities_are_reported_and_the_next_method_tried():
    snapshot = estate(vm("a", ip="192.0.2.1", hostname="box"), vm("b", ip="192.0.2.1", hostname="box"),
                      vm("c", bios="4210a1b2-c3d4-e5f6-0718-293a4b5c6d7e"))
    guests = [GuestDiscovery(host="h1", hostname="box", addresses=["192.0.2.1"],
                             bios_uuid="4210a1b2-c3d4-e5f6-0718-293a4b5c6d7e"),
              GuestDiscovery(host="c")]
    report = match_guests(snapshot, guests)
    assert report.matched["h1"] == ("c", "bios-uuid")
    assert any(line.startswith("h1: vm-name matches 2 VMs") for line in report.ambiguities)
    assert any(line.startswith("h1: guest-ip matches 2 VMs") for line in report.ambiguities)
    assert any("VM c is matched by 2 guests" in line for line in report.ambiguities)


def test_inventory_of_powered_on_vms_with_groups():
    snapshot = estate(
        vm("web-01", ip="fe80::1", cluster="Prod Cluster", tags=[Tag(category="env", name="prod")],
           nics=[Nic(label="n", ips=["192.0.2.10", "2001:db8::10"])]),
        vm("off", ip="192.0.2.11", power=PowerState.OFF),
        vm("noip"),
        vm("tmpl", ip="192.0.2.12", template=True),
    )
    data, skipped = build_inventory(snapshot)
    assert set(data["all"]["hosts"]) == {"web-01", "noip"}
    assert data["all"]["hosts"]["web-01"]["ansible_host"] == "192.0.2.10"
    assert skipped == ["noip"]
    assert set(data["all"]["children"]) == {"cluster_prod_cluster", "os_linux", "tag_env_prod"}


def test_inventory_values_are_unsafe_for_ansible(tmp_path):
    evil = "{{ lookup('env', 'HOME') }} x"
    text, _ = inventory_yaml(estate(vm(evil, ip="192.0.2.5")))
    assert "!unsafe" in text

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!unsafe", lambda loader, node: ("UNSAFE", loader.construct_scalar(node)))
    data = yaml.load(text, Loader=Loader)
    [(host, variables)] = data["all"]["hosts"].items()
    assert "{" not in host and " " not in host
    assert variables["planner_vm"] == ("UNSAFE", evil)
    if shutil.which("ansible") is None:
        require("ansible", "`ansible` is not on PATH (pip install ansible-core)")
    # Ansible itself shows the name literally (connection local: no traffic, nothing runs on 192.0.2.5).
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(text)
    shown = subprocess.run(["ansible", "all", "-i", str(inventory), "-c", "local", "-m", "ansible.builtin.debug",
                            "-a", "var=planner_vm"], capture_output=True, text=True, timeout=120, check=True,
                           env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert "lookup('env', 'HOME')" in shown.stdout, shown.stdout
