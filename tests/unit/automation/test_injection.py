"""Hostile text (VM names, inventory names, addresses, paths, probe paths, service and datacenter names) reaches
the generated YAML only as data: the inventory parses back to exactly the intended values, each tagged ``!unsafe``
so Ansible never templates it; compose gets ``$`` doubled so it never interpolates; no task runs a shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.automation import AutomationOptions, write_automation
from planner.automation.ansible_project import group_vars, inventory, playbooks, task_files
from planner.automation.compose import compose_files, compose_text
from planner.automation.kubernetes import manifests
from planner.automation.view import build_view
from planner.automation.yamltext import lint_clean_yaml
from planner.render.escape import yaml_dump

NASTY = ["{{ lookup('pipe', 'id') }}", "{% raw %}", "$(reboot)", "`id`", "${HOME}", "$$", "'; rm -rf / #", "\"",
         "\n- name: injected\n", "key: value", "&anchor", "*alias", "!!python/object:os.system", "#", "---", "...",
         "\u2028", "\x00", "\t", "\\", "%", "@", "|", ">", "{a: 1}", "[1, 2]", "~", "null", "true", "0o17", "1e3"]
hostile = st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=30),
                    st.lists(st.sampled_from(NASTY), min_size=1, max_size=4).map("".join))


class _Tagged(yaml.SafeLoader):
    pass


_Tagged.add_constructor("!unsafe", lambda loader, node: ("UNSAFE", loader.construct_scalar(node)))


def _document(vm_name: str, host: str, address: str, path: str, probe_path: str, peer_address: str) -> dict:
    return {"format_version": 1, "images": [
        {"name": "evil-nginx", "vm": f"vc/{vm_name}", "vm_name": vm_name, "stack": "nginx",
         "tag": "planner/evil-nginx:0.1", "ports": [{"port": 80, "protocol": "tcp"}],
         "probe": {"kind": "http", "port": 80, "path": probe_path, "expect_status": 200}, "healthcheck": True,
         "peers": {"app-python": peer_address}, "guest": {"host": host, "address": address}, "group": 1,
         "wave": 1, "volumes": [path]},
        {"name": "app-python", "vm": "vc/vm-2", "vm_name": "app", "stack": "python-wsgi", "tag": "planner/app:0.1",
         "ports": [], "probe": None, "healthcheck": False, "peers": {}, "guest": None, "group": 1, "wave": 1,
         "volumes": []}]}


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vm_name=hostile, host=hostile, address=hostile, path=hostile, probe_path=hostile, peer=hostile,
       service=hostile, datacenter=hostile, user=hostile)
def test_hostile_text_stays_data(vm_name, host, address, path, probe_path, peer, service, datacenter, user):
    view = build_view(_document(vm_name, host, address, path, probe_path, peer), services={vm_name: service},
                      datacenters={vm_name: datacenter}, connection={"ansible_user": user})
    text = lint_clean_yaml(inventory(view))
    hosts = yaml.load(text, Loader=_Tagged)["all"]["children"]["vms"]["hosts"]
    evil = next(value for value in hosts.values() if value["planner_vm_name"] == ("UNSAFE", vm_name))
    assert evil["ansible_host"] == ("UNSAFE", address)
    assert evil["planner_service"] == ("UNSAFE", service)
    assert evil["planner_vcenter_datacenter"] == ("UNSAFE", datacenter)
    container = evil["planner_containers"][0]
    assert container["probe"]["path"] == ("UNSAFE", probe_path)
    assert container["volumes"][0]["path"] == ("UNSAFE", path)
    assert container["mounts"][0]["target"] == ("UNSAFE", path)
    assert container["etc_hosts"] == {"app-python": ("UNSAFE", peer)}
    assert all(name.replace("-", "").replace("_", "").isalnum() and name.isascii() for name in hosts)
    assert yaml.safe_load(yaml_dump({"vms": [vm.host for vm in view.vms]}))  # host names need no quoting
    connection = yaml.load(lint_clean_yaml(group_vars(view)["vms"]), Loader=_Tagged)
    assert connection == {"ansible_user": ("UNSAFE", user)}
    compose = yaml.safe_load(compose_text(compose_files(view)[1]))
    assert compose["services"]["evil-nginx"]["volumes"][0]["target"].replace("$$", "$") == path
    assert "$" not in compose["services"]["evil-nginx"]["volumes"][0]["target"].replace("$$", "")
    for files in manifests(view).values():
        for data in files.values():
            assert yaml.safe_load(yaml_dump(data)) == data


def test_no_task_runs_a_shell_and_commands_take_argv():
    tasks = [task for items in task_files().values() for task in items]
    tasks += [task for plays in playbooks().values() for play in plays for task in play["tasks"]]
    assert not any(key in task for task in tasks for key in ("ansible.builtin.shell", "ansible.builtin.raw",
                                                              "ansible.builtin.script"))
    commands = [task["ansible.builtin.command"] for task in tasks if "ansible.builtin.command" in task]
    assert commands and all(set(command) == {"argv"} for command in commands)


def test_ansible_prints_a_hostile_vm_name_literally(tmp_path: Path):
    """Real Ansible reads the generated inventory: a Jinja expression in a VM name is printed, never run."""
    evil = "{{ lookup('ansible.builtin.pipe', 'echo PWNED') }}"
    write_automation(tmp_path, _document(evil, "evil", "127.0.0.1", "/data", "/", "127.0.0.2"),
                     AutomationOptions(), only={"ansible"})
    ansible = Path(sys.executable).parent / "ansible"
    result = subprocess.run([str(ansible), "evil", "-m", "ansible.builtin.debug", "-a", "var=planner_vm_name",
                             "-e", "ansible_connection=local"], cwd=tmp_path / "ansible", capture_output=True,
                            text=True, check=False, env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lookup('ansible.builtin.pipe', 'echo PWNED')" in result.stdout and "\"PWNED\"" not in result.stdout
