"""Java: Tomcat serving WARs, and applications started with ``java -jar``."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from planner.detect.base import Detector
from planner.detect.facts import Found, GuestView, argv_of, build, major, option_value, program, version_of, vm_id
from planner.models import Vm
from planner.models.discovery import GuestDiscovery, Package, Process
from planner.models.generation import Detection

_BOOTSTRAP = "org.apache.catalina.startup.Bootstrap"


def _is_java(process: Process) -> bool:
    return program(process) == "java" or process.comm == "java"


def _java_version(view: GuestView) -> str | None:
    runtime = view.runtime("java")
    if runtime and runtime.version:
        return runtime.version
    return version_of(view.packages_matching(r"openjdk-\d+-jre(-headless)?"))


def _jre(view: GuestView) -> list[Package]:
    """The VM's JRE packages: its OpenJDK JRE, and Debian's ``default-jre(-headless)`` when it has it (the only
    package that makes ``/usr/lib/jvm/default-java``, which the ``tomcatN`` unit runs)."""
    return [*view.packages_matching(r"openjdk-\d+-jre(-headless)?")[:1],
            *view.packages_matching(r"default-jre(-headless)?")[-1:]]


class Tomcat(Detector):
    """Apache Tomcat serving web applications (WARs) on a Java runtime."""

    id = "tomcat"
    title = "Tomcat (WAR)"
    looks_for = "a java process running org.apache.catalina.startup.Bootstrap, catalina.base, webapps, tomcatN package"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: _is_java(p) and _BOOTSTRAP in argv_of(p)):
            argv = argv_of(root)
            base = option_value(argv, "-Dcatalina.base") or "/var/lib/tomcat"
            packages = view.packages_matching(r"tomcat\d+")[:1]
            java = _java_version(view)
            tomcat_major = major(version_of(packages))
            jre = _jre(view)
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("tomcat",),
                evidence=[f"java process running {_BOOTSTRAP} (pid {root.pid})", f"catalina.base {base}",
                          *(f"package {p.name} {p.version}" for p in [*packages, *jre])],
                packages=[*jre, *packages], runtime="java", runtime_version=java,
                runtime_image=f"tomcat:{tomcat_major}-jre{major(java)}" if tomcat_major and java else None,
                app_paths=[posixpath.join(base, "webapps")],
                writable_paths=[posixpath.join(base, d) for d in ("logs", "work", "temp")],
                probe_kind="http", probe_path="/",
                todos=["JVM options (-Xmx…) are kept from the VM; size them to the container's memory limit"]))


class JavaJar(Detector):
    """A Java application started with ``java -jar`` (Spring Boot and other self-contained jars)."""

    id = "java-jar"
    title = "Java jar"
    looks_for = "a java process whose argv has -jar FILE, the JRE package or runtime version, the jar path"

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        view = GuestView(guest)
        for root in view.roots(lambda p: _is_java(p) and "-jar" in argv_of(p)[:-1] and _BOOTSTRAP not in argv_of(p)):
            argv = argv_of(root)
            jar = argv[argv.index("-jar") + 1]
            if root.cwd and not jar.startswith("/"):
                jar = posixpath.normpath(posixpath.join(root.cwd, jar))
            java = _java_version(view)
            jre = _jre(view)
            yield build(view, vm_id(guest, vm), Found(
                stack=self.id, title=self.title, root=root, servers=("java",),
                evidence=[f"java -jar {jar} (pid {root.pid})", *(f"package {p.name} {p.version}" for p in jre)],
                packages=jre, runtime="java", runtime_version=java,
                runtime_image=f"eclipse-temurin:{major(java)}-jre" if java else None,
                app_paths=[jar], probe_kind="tcp",
                todos=["JVM options (-Xmx…) are kept from the VM; size them to the container's memory limit"]))
