"""Web servers: nginx, Apache httpd and PHP-FPM."""

from __future__ import annotations

import re
from collections.abc import Iterator

from planner.detect.base import Detector
from planner.detect.facts import Found, GuestView, argv_of, build, major_minor, program, version_of, vm_id
from planner.models import Vm
from planner.models.discovery import GuestDiscovery
from planner.models.generation import Detection


class Nginx(Detector):
    """nginx web server or reverse proxy (master and worker processes)."""

    id = "nginx"
    title = "nginx"
    looks_for = "processes named nginx, their listeners, the nginx package and the configs discovery read"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: p.comm == "nginx" or program(p) == "nginx"):
            packages = view.packages("nginx", "nginx-light", "nginx-full", "nginx-extras", "nginx-core")
            argv = argv_of(root)
            config = argv[argv.index("-c") + 1] if "-c" in argv[:-1] else None
            command = [root.exe or "/usr/sbin/nginx", *(["-c", config] if config else []), "-g", "daemon off;"]
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("nginx",),
                evidence=[f"process nginx (pid {root.pid}, user {root.user or '?'})",
                          *(f"package {p.name} {p.version}" for p in packages)],
                command=command, command_source="default", packages=packages, runtime="nginx",
                runtime_image=f"nginx:{major_minor(version_of(packages))}" if packages else None,
                writable_paths=["/var/lib/nginx", "/var/log/nginx"], writable_files=["/run/nginx.pid"],
                probe_kind="http", probe_path="/",
                todos=["nginx runs in the foreground (daemon off); its access and error logs stay in /var/log/nginx: "
                       "link them to /dev/stdout and /dev/stderr if the platform collects container output"]))


class ApacheHttpd(Detector):
    """Apache httpd (apache2 on Debian and Ubuntu, httpd on Red Hat family)."""

    id = "apache"
    title = "Apache httpd"
    looks_for = "processes named apache2 or httpd, their listeners, the apache2/httpd package and configs"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: program(p) in ("apache2", "httpd") or p.comm in ("apache2", "httpd")):
            debian = program(root) == "apache2" or root.comm == "apache2"
            packages = view.packages("apache2", "apache2-bin", "httpd")[:1]
            command = (["/usr/sbin/apache2ctl", "-D", "FOREGROUND"] if debian
                       else [root.exe or "/usr/sbin/httpd", "-DFOREGROUND"])
            writable = (["/var/run/apache2", "/var/log/apache2", "/var/lock/apache2"] if debian
                        else ["/run/httpd", "/var/log/httpd"])
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("apache", "apache2", "httpd"),
                evidence=[f"process {program(root)} (pid {root.pid})",
                          *(f"package {p.name} {p.version}" for p in packages)],
                command=command, command_source="default", packages=packages, runtime="httpd",
                runtime_image=f"httpd:{major_minor(version_of(packages))}" if packages else None,
                writable_paths=writable, probe_kind="http", probe_path="/",
                todos=["modules and sites enabled on the VM come with the captured configuration; check that "
                       "the image's package set provides every LoadModule it names"]))


_FPM = re.compile(r"php-fpm(\d+\.\d+)?")
_FPM_CONF = re.compile(r"\((/[^)]+)\)")


class PhpFpm(Detector):
    """PHP-FPM, the FastCGI process manager PHP applications run under."""

    id = "php-fpm"
    title = "PHP-FPM"
    looks_for = "a php-fpm master process (its config path from its title), the phpX.Y-fpm package, its pools"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: bool(_FPM.fullmatch(p.comm) or _FPM.fullmatch(program(p)))):
            match = _FPM.fullmatch(root.comm) or _FPM.fullmatch(program(root))
            version = match.group(1) if match else None
            conf_match = _FPM_CONF.search(" ".join(argv_of(root)))
            conf = conf_match.group(1) if conf_match else (f"/etc/php/{version}/fpm/php-fpm.conf" if version else None)
            packages = view.packages(*([f"php{version}-fpm"] if version else []), "php-fpm")[:1]
            exe = root.exe or f"/usr/sbin/php-fpm{version or ''}"
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("php-fpm", "php"),
                evidence=[f"process {root.comm} (pid {root.pid})", *(f"package {p.name} {p.version}" for p in packages),
                          *([f"master config {conf}"] if conf else [])],
                command=[exe, "--nodaemonize", *(["--fpm-config", conf] if conf else [])], command_source="default",
                packages=packages, runtime="php", runtime_version=version or version_of(packages),
                runtime_image=f"php:{version}-fpm" if version else None,
                writable_paths=["/run/php"], writable_files=[f"/var/log/php{version or ''}-fpm.log"],
                todos=["PHP extensions the application needs (phpX.Y-mysql, -gd…) are not known: add their packages",
                       "the PHP application code is served by the web server in front of FPM: both images need it"]))
