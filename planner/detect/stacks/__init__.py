"""The shipped stack detectors, in the order they run (the generic fallback last)."""

from planner.detect.base import Detector
from planner.detect.stacks.data import MySql, PostgreSql, Redis
from planner.detect.stacks.jvm import JavaJar, Tomcat
from planner.detect.stacks.native import DotNet, StaticBinary
from planner.detect.stacks.scripting import NodeJs, PythonScript, PythonWsgi
from planner.detect.stacks.service import SystemService
from planner.detect.stacks.web import ApacheHttpd, Nginx, PhpFpm

BUILTIN_DETECTORS: tuple[type[Detector], ...] = (
    Nginx, ApacheHttpd, PhpFpm, Tomcat, JavaJar, PythonWsgi, PythonScript, NodeJs, StaticBinary, DotNet,
    Redis, PostgreSql, MySql, SystemService,
)
