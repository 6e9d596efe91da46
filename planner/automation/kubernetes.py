"""``kubernetes/wave-N/``: a Deployment (or a StatefulSet when the image has data), a Service and PVCs per image,
and a ``kustomization.yaml``; requests and limits from the assessment's sizing. Validated offline, never applied.
"""

from __future__ import annotations

from typing import Any

from planner.automation.view import ALL_ADDRESSES, AutomationView, ContainerView, VmView, dns_label

HEADER = "# Written by `planner generate` (docs/automation.md); validated against the Kubernetes schema, not applied.\n"
DEFAULT_STORAGE = "1Gi"


def _resources(vm: VmView) -> dict[str, Any]:
    sizing = vm.sizing or {}
    out: dict[str, Any] = {}
    for kind in ("requests", "limits"):
        values = sizing.get(kind) or {}
        entry = {}
        if values.get("cpu_cores"):
            entry["cpu"] = f"{max(1, round(float(values['cpu_cores']) * 1000))}m"
        if values.get("memory_mib"):
            entry["memory"] = f"{int(values['memory_mib'])}Mi"
        if entry:
            out[kind] = entry
    return out


def _labels(container: ContainerView, vm: VmView) -> dict[str, str]:
    return {"app.kubernetes.io/name": dns_label(container.name), "app.kubernetes.io/part-of": "planner",
            "planner.io/wave": str(vm.wave)}


def _workload(container: ContainerView, vm: VmView, registry: str | None) -> dict[str, Any]:
    name = dns_label(container.name)
    labels = _labels(container, vm)
    image = f"{registry.rstrip('/')}/{container.tag}" if registry else container.tag
    spec: dict[str, Any] = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
                            "env": [{"name": "LISTEN_ADDRESS", "value": ALL_ADDRESSES}]}
    if container.ports:
        spec["ports"] = [{"containerPort": int(p["port"]), "protocol": str(p.get("protocol") or "tcp").upper()}
                         for p in container.ports]
    resources = _resources(vm)
    if resources:
        spec["resources"] = resources
    volumes = [{"name": f"data-{index}", "persistentVolumeClaim": {"claimName": dns_label(v["name"])}}
               for index, v in enumerate(container.volumes)]
    if volumes:
        spec["volumeMounts"] = [{"name": f"data-{index}", "mountPath": v["path"]}
                                for index, v in enumerate(container.volumes)]
    pod: dict[str, Any] = {"containers": [spec]}
    if volumes:
        pod["volumes"] = volumes
    body: dict[str, Any] = {"replicas": 1, "selector": {"matchLabels": labels},
                            "template": {"metadata": {"labels": labels}, "spec": pod}}
    kind = "StatefulSet" if container.volumes else "Deployment"
    if kind == "StatefulSet":
        body["serviceName"] = name
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "labels": labels}, "spec": body}


def _service(container: ContainerView, vm: VmView) -> dict[str, Any] | None:
    if not container.ports:
        return None
    ports = [{"name": f"p{p['port']}-{str(p.get('protocol') or 'tcp').lower()}", "port": int(p["port"]),
              "targetPort": int(p["port"]), "protocol": str(p.get("protocol") or "tcp").upper()}
             for p in container.ports]
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": dns_label(container.name), "labels": _labels(container, vm)},
            "spec": {"selector": _labels(container, vm), "ports": ports}}


def _claims(container: ContainerView, vm: VmView) -> list[dict[str, Any]]:
    return [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": {"name": dns_label(v["name"]), "labels": _labels(container, vm)},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": DEFAULT_STORAGE}}}}
            for v in container.volumes]


def manifests(view: AutomationView) -> dict[int, dict[str, dict[str, Any]]]:
    """Wave -> file name -> manifest (kustomization.yaml included)."""
    waves: dict[int, dict[str, dict[str, Any]]] = {}
    for wave in view.waves:
        files: dict[str, dict[str, Any]] = {}
        for vm in view.in_wave(wave):
            for container in vm.containers:
                base = dns_label(container.name)
                workload = _workload(container, vm, view.registry)
                files[f"{base}-{workload['kind'].lower()}.yaml"] = workload
                service = _service(container, vm)
                if service:
                    files[f"{base}-service.yaml"] = service
                for claim in _claims(container, vm):
                    files[f"{claim['metadata']['name']}-pvc.yaml"] = claim
        files["kustomization.yaml"] = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                       "resources": sorted(files)}
        waves[wave] = files
    return waves
