"""Write the Ansible project (``ansible/``): config, inventory, group_vars, one role, playbooks, requirements, README.

The inventory and variables are built as data and dumped with every untrusted string tagged ``!unsafe``; the
playbooks and role tasks come from :mod:`planner.automation.ansible_roles`. See docs/automation.md.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from planner import fileio
from planner.automation import ansible_roles as roles
from planner.automation.view import ALL_ADDRESSES, SNAPSHOT_NAME, AutomationView, ContainerView, VmView
from planner.automation.yamltext import lint_clean_yaml
from planner.render.env import render
from planner.render.escape import unsafe
from planner.resources import templates_dir

HEADER = "# Written by `planner generate` (docs/automation.md). Edit freely; a new generate run overwrites it.\n"
ROLE = "planner"
TARGET = "{{ ('wave_' ~ wave) if wave is defined else 'vms' }}"
COLLECTIONS = [{"name": "vmware.vmware", "version": ">=2.6.0"}, {"name": "community.vmware", "version": ">=5.0.0"},
               {"name": "community.docker", "version": ">=4.0.0"}, {"name": "ansible.posix", "version": ">=1.5.0"}]


def _container_vars(container: ContainerView, registry: str | None) -> dict[str, Any]:
    image = f"{registry.rstrip('/')}/{container.tag}" if registry else container.tag
    return {"name": unsafe(container.name), "image": unsafe(image), "stack": unsafe(container.stack),
            "probe": unsafe(container.probe) if container.probe else None,
            "volumes": [unsafe(volume) for volume in container.volumes],
            "mounts": [{"type": "volume", "source": unsafe(v["name"]), "target": unsafe(v["path"])}
                       for v in container.volumes],
            "etc_hosts": unsafe(container.peers)}


def _text(value: str | None) -> Any:
    """An untrusted string tagged ``!unsafe``; an empty one stays plain ``""`` (Ansible reads ``!unsafe ""`` as
    null)."""
    return unsafe(value) if value else ""


def _host_vars(vm: VmView, registry: str | None) -> dict[str, Any]:
    extra = {"planner_vcenter_datacenter": unsafe(vm.datacenter)} if vm.datacenter else {}
    return {"ansible_host": unsafe(vm.address) if vm.address else None, **extra,
            "planner_vm_name": unsafe(vm.vm_name), "planner_vm_moid": _text(vm.moid),
            "planner_wave": vm.wave, "planner_service": _text(vm.service),
            "planner_listen_address": unsafe(vm.address or ALL_ADDRESSES),
            "planner_containers": [_container_vars(c, registry) for c in vm.containers]}


def inventory(view: AutomationView) -> dict[str, Any]:
    """``vms`` (the guests, as discovery reached them), ``wave_N`` groups and ``container_hosts``."""
    children: dict[str, Any] = {"vms": {"hosts": {vm.host: _host_vars(vm, view.registry) for vm in view.vms}}}
    for wave in view.waves:
        children[f"wave_{wave}"] = {"hosts": {vm.host: None for vm in view.in_wave(wave)}}
    children["container_hosts"] = {"hosts": {"docker_host": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}
    return {"all": {"children": children}}


def group_vars(view: AutomationView) -> dict[str, dict[str, Any]]:
    all_vars = {
        "planner_container_host": "docker_host",
        "planner_vcenter_datacenter": unsafe(view.datacenter or "CHANGE-ME"),
        "planner_snapshot_name": SNAPSHOT_NAME,
        "planner_vm_folder": "/{{ planner_vcenter_datacenter }}/vm",
        "planner_network_mode": "host",
        "planner_registry": _text(view.registry),
        "planner_images_dir": "{{ playbook_dir }}/../../images",
        "planner_probe_path": "/usr/local/bin/planner-probe",
        "planner_switch_files": ["{{ playbook_dir }}/../switch/{{ inventory_hostname }}.yml",
                                 "{{ playbook_dir }}/../switch/default.yml"],
    }
    return {"all": all_vars, "vms": unsafe(dict(view.connection))}


def _play(name: str, tasks_from: list[str], *, serial: bool = False, expected: str | None = None,
          hosts: str = TARGET) -> dict[str, Any]:
    play: dict[str, Any] = {"name": name, "hosts": hosts, "gather_facts": False, "any_errors_fatal": True}
    if serial:
        play["serial"] = 1
        play["order"] = "inventory"
    if expected:
        play["vars"] = {"planner_expected_power_state": expected}
    play["tasks"] = [{"name": f"{name} | {step.replace('_', ' ')}", "ansible.builtin.include_role": {
        "name": ROLE, "tasks_from": step}} for step in tasks_from]
    return play


def playbooks() -> dict[str, list[dict[str, Any]]]:
    return {
        "build.yml": [_play("Build the images", ["preflight_host", "build"])],
        "deploy.yml": [_play("Deploy the containers", ["preflight_deploy", "containers", "health"])],
        "cutover.yml": [_play("Cut over", ["preflight_cutover", "snapshot", "stop_service", "sync", "containers",
                                           "health", "switch", "power_off"], serial=True, expected="poweredOn")],
        "rollback.yml": [_play("Roll back", ["preflight_rollback", "rollback_containers", "revert", "power_on",
                                             "start_service", "guest_probe"], serial=True)],
        "validate.yml": [_play("Validate the migrated services", ["preflight_host", "health"])],
    }


def task_files() -> dict[str, list[dict[str, Any]]]:
    return {
        "preflight_host": roles.preflight(check_vm=False, check_guest=False, check_images=False),
        "preflight_deploy": roles.preflight(check_vm=False, check_guest=False, check_images=True),
        "preflight_cutover": roles.preflight(check_vm=True, check_guest=True, check_images=True),
        "preflight_rollback": roles.preflight(check_vm=True, check_guest=False, check_images=False, check_power=False),
        "build": roles.build(), "containers": roles.containers(), "health": roles.health(),
        "snapshot": roles.snapshot(), "stop_service": roles.stop_service(), "sync": roles.sync(),
        "switch": roles.switch(), "power_off": roles.power("powered-off"), "power_on": roles.power("powered-on"),
        "rollback_containers": roles.rollback_containers(), "revert": roles.revert(),
        "start_service": roles.start_service(), "guest_probe": roles.guest_probe(),
    }


ROLE_META = {"galaxy_info": {"author": "planner", "description": "Cut VMs over to containers and back",
                             "license": "Apache-2.0", "min_ansible_version": "2.15",
                             "platforms": [{"name": "Debian", "versions": ["all"]}]}, "dependencies": []}
ROLE_DEFAULTS = {"planner_expected_power_state": "poweredOn"}


def write_ansible(root: Path, view: AutomationView, templates: Path | None = None) -> list[Path]:
    """Write ``root`` (the ``ansible/`` folder) and return the files written."""
    if root.exists():
        shutil.rmtree(root)
    files: dict[str, str] = {
        "inventory/hosts.yml": HEADER + lint_clean_yaml(inventory(view)),
        "requirements.yml": HEADER + lint_clean_yaml({"collections": COLLECTIONS}),
        f"roles/{ROLE}/meta/main.yml": lint_clean_yaml(ROLE_META),
        f"roles/{ROLE}/defaults/main.yml": lint_clean_yaml(ROLE_DEFAULTS),
        "ansible.cfg": render("ansible/ansible.cfg.j2", templates),
        "README.md": render("ansible/README.md.j2", templates, vms=view.vms, waves=view.waves,
                            snapshot=SNAPSHOT_NAME),
        "switch/README.md": render("ansible/switch-README.md.j2", templates),
    }
    for group, data in group_vars(view).items():
        files[f"inventory/group_vars/{group}.yml"] = lint_clean_yaml(data)
    for name, play in playbooks().items():
        files[f"playbooks/{name}"] = lint_clean_yaml(play)
    for name, tasks in task_files().items():
        files[f"roles/{ROLE}/tasks/{name}.yml"] = lint_clean_yaml(tasks)
    files[f"roles/{ROLE}/tasks/main.yml"] = lint_clean_yaml(roles.preflight(False, False, False))
    written = []
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        fileio.write_text(path, text)
        written.append(path)
    probe = root / "roles" / ROLE / "files" / "planner-probe.py"
    probe.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(templates_dir() / "ansible" / "planner-probe.py", probe)
    return [*written, probe]
