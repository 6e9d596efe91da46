"""Compiled applications: Go or other self-contained binaries, and .NET on Linux."""

from __future__ import annotations

import re
from collections.abc import Iterator

from planner.detect.base import Detector
from planner.detect.facts import Found, GuestView, argv_of, build, major_minor, program, vm_id
from planner.models import Vm
from planner.models.discovery import GuestDiscovery, Process
from planner.models.generation import Detection

_APP_DIRS = ("/opt/", "/srv/", "/usr/local/bin/", "/usr/local/sbin/", "/home/", "/app/", "/apps/")
_INTERPRETERS = re.compile(r"(python[\d.]*|node(js)?|java|dotnet|php[\d.]*|ruby[\d.]*|perl[\d.]*|bash|sh|dash)")


def _is_binary(process: Process) -> bool:
    exe = process.exe or ""
    return exe.startswith(_APP_DIRS) and not _INTERPRETERS.fullmatch(program(process))


class StaticBinary(Detector):
    """A Go or other compiled binary installed outside the OS's own directories (/opt, /srv, /usr/local…)."""

    id = "binary"
    title = "Go or static binary"
    looks_for = "a listening process whose executable lives in /opt, /srv, /usr/local/bin, /home or /app"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(_is_binary):
            if not view.listeners(view.tree(root.pid)):
                continue
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=(program(root),),
                evidence=[f"executable {root.exe} (pid {root.pid}) outside the OS directories"],
                runtime="native", app_paths=[root.exe or ""], probe_kind="tcp",
                todos=["check the binary's shared libraries (ldd): a static Go binary can run FROM scratch or a "
                       "distroless image; a dynamic one needs the libraries this base provides"]))


class DotNet(Detector):
    """A .NET (Core) application on Linux (``dotnet App.dll`` or an apphost next to its .dll)."""

    id = "dotnet"
    title = ".NET on Linux"
    looks_for = "a dotnet process running a .dll, or a process with DOTNET_* environment; the runtime version"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)

        def matches(p: Process) -> bool:
            argv = argv_of(p)
            return (program(p) == "dotnet" and any(a.endswith(".dll") for a in argv[1:])) or any(
                name.startswith("DOTNET_") for name in p.environment)

        for root in view.roots(matches):
            argv = argv_of(root)
            dll = next((a for a in argv[1:] if a.endswith(".dll")), None)
            runtime = view.runtime("dotnet")
            version = runtime.version if runtime else None
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("dotnet",),
                evidence=[f"dotnet process (pid {root.pid}) running {dll or root.exe}"],
                runtime="dotnet", runtime_version=version,
                runtime_image=f"mcr.microsoft.com/dotnet/aspnet:{major_minor(version) or '8.0'}",
                app_paths=[root.cwd or ""], probe_kind="http", probe_path="/",
                todos=["the .NET runtime is not in the distribution's packages: the image uses Microsoft's runtime "
                       "image (map it in the base-image policy)",
                       *([] if version else ["the .NET runtime version is unknown: pick the aspnet image tag"])]))
