"""What stack detection finds and what the generation templates print. Pydantic v2, no I/O.

``Detection`` is one stack found on one VM (detect writes it, generation reads it); ``ImageSpec`` is the prepared
view data of one image's files, so templates print and never decide (render never imports detect).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.models.base import Model

GENERATE_FORMAT_VERSION = 1
"""Version of generate.json (docs/generate.md). Bump it on any incompatible change."""

LISTEN_TOKEN = "@@LISTEN_ADDRESS@@"  # noqa: S105 (a placeholder, not a password)
"""Placeholder for the container's listen address in rewired configs and argv (planner-entrypoint.sh fills it)."""

LISTEN_ENV = "LISTEN_ADDRESS"


class PortSpec(Model):
    port: int = Field(ge=1, le=65535)
    protocol: str = "tcp"


class StartCommand(Model):
    """How the VM starts the stack: the exact argv, working directory and (allow-listed) environment."""

    argv: list[str]
    cwd: str | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    source: str = Field(default="process", description="process (/proc cmdline) | unit (ExecStart) | default")


class Probe(Model):
    """How `planner verify` asks the image (and the VM) whether it answers."""

    kind: Literal["http", "redis", "sql", "tcp"]
    port: int
    path: str | None = None
    expect_status: int | None = None
    engine: str | None = Field(default=None, description="sql probes: postgresql | mysql")


class Detection(Model):
    """One stack found on one VM, with the evidence for it and what a person must still decide."""

    stack: str = Field(description="detector id: nginx, redis, python-wsgi, system-service…")
    title: str = ""
    vm: str = Field(description="graph node id of the VM (or the guest's host name when unmatched)")
    evidence: list[str] = Field(default_factory=list)
    pids: list[int] = Field(default_factory=list, description="processes this detection claims")
    unit: str | None = None
    ports: list[PortSpec] = Field(default_factory=list)
    listen_addresses: list[str] = Field(default_factory=list, description="addresses its listeners were bound to")
    user: str | None = None
    uid: int | None = None
    group: str | None = None
    gid: int | None = None
    command: StartCommand | None = None
    executable: str | None = Field(default=None, description="the binary that binds the ports (file capabilities)")
    config_files: list[str] = Field(default_factory=list)
    app_paths: list[str] = Field(default_factory=list, description="application files a capture must bring")
    data_paths: list[str] = Field(default_factory=list, description="state: volumes, never baked in")
    writable_paths: list[str] = Field(default_factory=list, description="directories the run user must own")
    writable_files: list[str] = Field(default_factory=list, description="files the run user must own (pid, log)")
    init_command: list[str] = Field(default_factory=list, description="initialises an empty data volume")
    runtime: str | None = None
    runtime_version: str | None = None
    packages: list[str] = Field(default_factory=list, description="OS packages (names) that provide the stack")
    runtime_image: str | None = Field(default=None, description="official runtime image, used when policy allows")
    probe: Probe | None = None
    todos: list[str] = Field(default_factory=list)


class ContextFile(Model):
    """A file written into an image's build context (recorded config text, or a capture's file)."""

    path: str = Field(description="absolute path in the image, e.g. /etc/nginx/nginx.conf")
    source: str = Field(description="facts (recorded by discovery) | capture")
    sha256: str
    size: int
    rewired: bool = False


class CopyItem(Model):
    source: str = Field(description="path relative to the image folder, e.g. context/rootfs/etc/nginx")
    target: str


class BuildStage(Model):
    """A first stage that builds what the VM's build produced (a virtualenv, node_modules) from captured files."""

    install_template: str | None = None
    packages: list[str] = Field(default_factory=list)
    unpinned: bool = False
    copies: list[CopyItem] = Field(default_factory=list)
    workdir: str | None = None
    commands: list[list[str]] = Field(default_factory=list, description="exec-form RUN argv")
    artifacts: list[str] = Field(default_factory=list, description="paths copied into the final stage")


class ImageSpec(Model):
    """Everything one image's templates print: prepared here, printed there."""

    name: str
    tag: str
    vm: str
    vm_name: str
    stack: str
    title: str
    base_image: str = Field(description="FROM reference after the base-image policy")
    logical_base: str
    labels: dict[str, str] = Field(default_factory=dict)
    install_template: str | None = Field(default=None, description="template printing the package install")
    packages: list[str] = Field(default_factory=list, description="install specs, pinned where known")
    unpinned: bool = Field(default=False, description="some package's version is unknown (hadolint pragma + TODO)")
    setup_commands: list[list[str]] = Field(default_factory=list, description="argv run after the user is made")
    user_template: str | None = None
    user: str | None = None
    uid: int | None = None
    group: str | None = None
    gid: int | None = None
    writable_paths: list[str] = Field(default_factory=list)
    writable_files: list[str] = Field(default_factory=list)
    copies: list[CopyItem] = Field(default_factory=list)
    build: BuildStage | None = None
    workdir: str | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    ports: list[PortSpec] = Field(default_factory=list)
    volumes: list[str] = Field(default_factory=list)
    entrypoint: list[str] = Field(default_factory=list)
    entrypoint_files: list[str] = Field(default_factory=list, description="configs planner-entrypoint.sh rewires")
    entrypoint_env: list[str] = Field(default_factory=list, description="environment variables it rewires")
    init_data: str | None = Field(default=None, description="data directory the entrypoint initialises when empty")
    init_command: list[str] = Field(default_factory=list)
    healthcheck: list[str] = Field(default_factory=list)
    command: list[str] = Field(default_factory=list)
    comments: list[str] = Field(default_factory=list, description="TODO and note lines at the top")
    missing: list[str] = Field(default_factory=list, description="what a capture would add (not copied)")
    dockerignore: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    todos: list[str] = Field(default_factory=list)
    decisions: list[str] = Field(default_factory=list)
    peers: dict[str, str] = Field(default_factory=dict)
    data_paths: list[str] = Field(default_factory=list)


class CaptureRequest(Model):
    """What one image needs from its guest: the capture hook fetches ``paths`` into ``rootfs`` (never data)."""

    image: str
    vm: str
    host: str = Field(description="Ansible inventory name discovery used")
    address: str | None = None
    paths: list[str] = Field(default_factory=list, description="files and directories to fetch")
    data_paths: list[str] = Field(default_factory=list, description="never fetched: volumes")
    rootfs: str = Field(description="local directory to fill, files at their absolute paths beneath it")


class CaptureResult(Model):
    status: Literal["captured", "failed", "not-run"] = "not-run"
    files: list[ContextFile] = Field(default_factory=list)
    bytes: int = 0
    skipped: list[str] = Field(default_factory=list, description="'PATH: why' for every path left out")
    message: str | None = None
