"""The roles of the generated Ansible project, as data (dumped to YAML; no VM-specific text in here).

Every VM-specific value reaches a task through inventory variables that are marked ``!unsafe``; the Jinja below is
planner's own and only references those variables. vCenter tasks run on the controller with the ``VMWARE_*``
environment (the modules' own fallbacks), container tasks on ``planner_container_host``.
"""

from __future__ import annotations

from typing import Any

Task = dict[str, Any]
VCENTER = {"delegate_to": "localhost"}
DOCKER = {"delegate_to": "{{ planner_container_host }}"}
VM_ID = {"moid": "{{ planner_vm_moid | default(omit, true) }}",
         "name": "{{ omit if planner_vm_moid else planner_vm_name }}",
         "folder": "{{ omit if planner_vm_moid else planner_vm_folder }}",
         "datacenter": "{{ planner_vcenter_datacenter }}"}
READ_ONLY = {"changed_when": False, "check_mode": False}


def preflight(check_vm: bool, check_guest: bool, check_images: bool, check_power: bool = True) -> list[Task]:
    """Checks that stop the play before anything changes (the playbook sets ``any_errors_fatal``).

    The VM is read with community.vmware.vmware_guest_info (pyVmomi only): vmware.vmware.guest_info also needs the
    vSphere Automation SDK."""
    tasks: list[Task] = [
        {"name": "Preflight | the container host answers", "community.docker.docker_host_info": {},
         "register": "planner_docker_host", **DOCKER},
    ]
    if check_vm:
        tasks += [{"name": "Preflight | the VM exists in vCenter", "community.vmware.vmware_guest_info": VM_ID,
                   "register": "planner_vm_info", **VCENTER}]
    if check_vm and check_power:
        tasks += [{"name": "Preflight | the VM is in the expected power state", "ansible.builtin.assert": {
            "that": ["planner_vm_info.instance.hw_power_status == planner_expected_power_state"],
            "fail_msg": "VM {{ planner_vm_name }} is not {{ planner_expected_power_state }}", "quiet": True}}]
    if check_images:
        tasks += [
            {"name": "Preflight | the images are present on the container host",
             "community.docker.docker_image_info": {"name": "{{ planner_containers | map(attribute='image') }}"},
             "register": "planner_images", **DOCKER},
            {"name": "Preflight | no image is missing", "ansible.builtin.assert": {
                "that": ["planner_images.images | length == planner_containers | length"],
                "fail_msg": "an image is missing: run playbooks/build.yml first", "quiet": True}},
        ]
    if check_guest:
        tasks += [
            {"name": "Preflight | the guest is reachable", "ansible.builtin.ping": {}},
            {"name": "Preflight | the service to stop is known", "ansible.builtin.assert": {
                "that": ["planner_service | default('', true) | length > 0 or planner_stop_command is defined"],
                "fail_msg": "set planner_service or planner_stop_command/planner_start_command (argv) for "
                            "{{ inventory_hostname }} in inventory/host_vars/", "quiet": True}},
            {"name": "Preflight | size of the data directories on the guest", "ansible.builtin.command": {
                "argv": ["du", "-sk", "--", "{{ item.path }}"]},
             "loop": "{{ planner_containers | map(attribute='volumes') | flatten }}",
             "loop_control": {"label": "{{ item.path }}"}, "register": "planner_data_size", **READ_ONLY},
            {"name": "Preflight | free space where the volumes live", "ansible.builtin.command": {
                "argv": ["df", "-Pk", "--", "{{ planner_docker_host.host_info.DockerRootDir }}"]},
             "register": "planner_volume_room", **READ_ONLY, **DOCKER},
            {"name": "Preflight | data size and room", "ansible.builtin.set_fact": {
                "planner_data_kib": "{{ planner_data_size.results | map(attribute='stdout') | map('split')"
                                    " | map('first') | map('int') | sum }}",
                "planner_room_kib": "{{ planner_volume_room.stdout_lines[-1].split()[3] | int }}"}},
            {"name": "Preflight | the volumes have room for the data", "ansible.builtin.assert": {
                "that": ["planner_data_kib | int < planner_room_kib | int"],
                "fail_msg": "{{ planner_data_kib }} KiB of data, {{ planner_room_kib }} KiB free on the container host",
                "quiet": True}},
        ]
    return tasks


def containers(state: str = "started") -> list[Task]:
    """Named volumes, then one container per image: host networking on the VM's address, peers by name."""
    return [
        {"name": "Containers | named volumes", "community.docker.docker_volume": {"name": "{{ item.name }}"},
         "loop": "{{ planner_containers | map(attribute='volumes') | flatten }}",
         "loop_control": {"label": "{{ item.name }}"}, **DOCKER},
        {"name": "Containers | run", "community.docker.docker_container": {
            "name": "{{ item.name }}", "image": "{{ item.image }}", "state": state,
            "network_mode": "{{ planner_network_mode }}",
            "env": {"LISTEN_ADDRESS": "{{ planner_listen_address }}"},
            "etc_hosts": "{{ item.etc_hosts }}",
            "mounts": "{{ item.mounts }}",
            "restart_policy": "unless-stopped", "comparisons": {"env": "strict", "mounts": "strict"}},
         "loop": "{{ planner_containers }}", "loop_control": {"label": "{{ item.name }}"}, **DOCKER},
    ]


def health() -> list[Task]:
    """Wait for each container's health check, then probe it as `planner verify` does."""
    return [
        {"name": "Health | wait for the health check", "community.docker.docker_container_info": {
            "name": "{{ item.name }}"}, "register": "planner_health",
         "until": "planner_health.container.State.Health is not defined or "
                  "planner_health.container.State.Health.Status == 'healthy'",
         "retries": 60, "delay": 2, "loop": "{{ planner_containers }}",
         "loop_control": {"label": "{{ item.name }}"}, **DOCKER},
        *probe("{{ planner_listen_address }}"),
    ]


def probe(address: str) -> list[Task]:
    """The probe script copied to the container host, run with argv (no shell) per container."""
    return [
        {"name": "Probe | install the probe", "ansible.builtin.copy": {
            "src": "planner-probe.py", "dest": "{{ planner_probe_path }}", "mode": "0755"}, **DOCKER},
        {"name": "Probe | answer like the VM", "ansible.builtin.command": {"argv": [
            "python3", "{{ planner_probe_path }}", "{{ item.probe | to_json }}", address]},
         "loop": "{{ planner_containers | selectattr('probe') }}", "loop_control": {"label": "{{ item.name }}"},
         "register": "planner_probe", "retries": 15, "delay": 2, "until": "planner_probe.rc == 0",
         "changed_when": False, **DOCKER},
    ]


def stop_service() -> list[Task]:
    """``planner_stop_command`` (argv, from host_vars) when set, else the service by name."""
    return _service_step("stop", "stopped")


def start_service() -> list[Task]:
    return _service_step("start", "started")


def _service_step(verb: str, state: str) -> list[Task]:
    command = f"planner_{verb}_command"
    return [
        {"name": f"Guest | {verb} the service with its command", "ansible.builtin.command": {
            "argv": "{{ " + command + " }}"}, "when": f"{command} is defined", "changed_when": True},
        {"name": f"Guest | {verb} the service", "ansible.builtin.service": {
            "name": "{{ planner_service }}", "state": state},
         "when": f"{command} is not defined and planner_service | default('', true) | length > 0"},
    ]


def sync() -> list[Task]:
    """rsync each data directory from the guest into its named volume (run on the container host)."""
    return [
        containers()[0],
        {"name": "Sync | where the volumes are", "community.docker.docker_volume_info": {"name": "{{ item.name }}"},
         "loop": "{{ planner_containers | map(attribute='volumes') | flatten }}",
         "loop_control": {"label": "{{ item.name }}"}, "register": "planner_volumes", **DOCKER},
        {"name": "Sync | data directories into the volumes", "ansible.posix.synchronize": {
            "mode": "pull", "src": "{{ item.item.path }}/", "dest": "{{ item.volume.Mountpoint }}/",
            "archive": True, "delete": True,
            "private_key": "{{ ansible_ssh_private_key_file | default(omit) }}"},
         "loop": "{{ planner_volumes.results }}", "loop_control": {"label": "{{ item.item.path }}"}, **DOCKER},
    ]


def snapshot() -> list[Task]:
    return [{"name": "VMware | snapshot before the cutover", "vmware.vmware.vm_snapshot": {
        **VM_ID, "state": "present", "snapshot_name": "{{ planner_snapshot_name }}",
        "description": "taken by planner before the cutover"}, **VCENTER}]


def power(state: str) -> list[Task]:
    return [{"name": f"VMware | power the VM {state.split('-')[-1]}", "vmware.vmware.vm_powerstate": {
        **VM_ID, "state": state}, **VCENTER}]


def revert() -> list[Task]:
    """vmware.vmware 2.6 has no revert; community.vmware's module is the one that can (see the README)."""
    return [{"name": "VMware | revert to the cutover snapshot", "community.vmware.vmware_guest_snapshot": {
        **VM_ID, "state": "revert",
        "snapshot_name": "{{ planner_snapshot_name }}"}, **VCENTER}]


def switch() -> list[Task]:
    """The user's switch step (``switch/HOST.yml`` or ``switch/default.yml``), or a visible no-op."""
    found = "{{ query('ansible.builtin.first_found', planner_switch_files, skip=True) | first | default('') }}"
    return [
        {"name": "Switch | find the switch tasks", "ansible.builtin.set_fact": {"planner_switch_file": found}},
        {"name": "Switch | run the switch tasks", "ansible.builtin.include_tasks": {
            "file": "{{ planner_switch_file }}"}, "when": "planner_switch_file | length > 0"},
        {"name": "Switch | nothing was switched", "ansible.builtin.debug": {
            "msg": "NOTHING WAS SWITCHED for {{ inventory_hostname }}: traffic still goes where DNS and load "
                   "balancers send it. Put your switch tasks in switch/{{ inventory_hostname }}.yml or "
                   "switch/default.yml."}, "when": "planner_switch_file | length == 0"},
    ]


def build() -> list[Task]:
    """Build through the Docker API (community.docker.docker_image): docker_image_build needs the buildx plugin.

    Every run builds from the generated folder (``force_source``): a tag left by an older generate run is never
    taken for the new image; an unchanged folder hits the layer cache, gives the same image id and reports no
    change."""
    return [
        {"name": "Build | images", "community.docker.docker_image": {
            "name": "{{ item.image }}", "source": "build", "force_source": True,
            "build": {"path": "{{ planner_images_dir }}/{{ item.name }}", "network": "host"}},
         "loop": "{{ planner_containers }}", "loop_control": {"label": "{{ item.image }}"}, **DOCKER},
        {"name": "Build | push to the registry", "community.docker.docker_image_push": {
            "name": "{{ item.image }}"},
         "loop": "{{ planner_containers }}", "loop_control": {"label": "{{ item.image }}"},
         "when": "planner_registry | default('', true) | length > 0", **DOCKER},
    ]


def rollback_containers() -> list[Task]:
    """Remove the containers (their volumes stay): works whether or not the cutover got as far as starting them."""
    return [{"name": "Rollback | remove the containers", "community.docker.docker_container": {
        "name": "{{ item.name }}", "state": "absent"}, "loop": "{{ planner_containers }}",
        "loop_control": {"label": "{{ item.name }}"}, **DOCKER}]


def guest_probe() -> list[Task]:
    """After a rollback: the service answers from the guest again."""
    return probe("{{ ansible_host }}")
