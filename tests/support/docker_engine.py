"""A real Docker engine for tests: start Debian's dockerd if needed and make a local Debian base image.

There is no registry to pull from, so the base image is built with ``debootstrap`` from the machine's own apt
mirror and imported with ``docker import``. Everything runs with host networking; no bridge is ever created
(the daemon runs with ``--bridge=none --iptables=false``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.support.vcsim import cache_dir, file_lock

DOCKER_SOCKET = Path("/var/run/docker.sock")
DOCKER_URL = f"unix://{DOCKER_SOCKET}"
DOCKERD_ARGS = ["--storage-driver=vfs", "--bridge=none", "--iptables=false"]
DOCKERD_LOG = Path("/tmp/planner-tests-dockerd.log")
DOCKERD_LOCK = Path("/tmp/planner-tests-dockerd.lock")
BASE_IMAGE_TAG = "planner-test/debian:bookworm-r2"  # r2: / is 0755 (r1 had mkdtemp's 0700)
BASE_SUITE = "bookworm"
APT_SOURCES_LIST = Path("/etc/apt/sources.list")
APT_SOURCES_DIR = Path("/etc/apt/sources.list.d")
MIRROR_ENV = "PLANNER_TEST_DEBIAN_MIRROR"

_started: list[subprocess.Popen[bytes]] = []  # keeps our dockerd's Popen alive (no "still running" warnings)


class DockerEngineError(RuntimeError):
    """The Docker engine or the base image could not be provided."""


def missing_tools(*tools: str) -> list[str]:
    """The named executables that are not on PATH."""
    return [tool for tool in tools if shutil.which(tool) is None]


def client(timeout: int = 600) -> Any:
    """A ``docker.DockerClient`` on the local socket (API version negotiated with the daemon)."""
    import docker

    return docker.DockerClient(base_url=DOCKER_URL, timeout=timeout)


def engine_answers() -> bool:
    """True when a daemon answers ``/_ping`` on the local socket."""
    if not DOCKER_SOCKET.exists():
        return False
    try:
        import docker

        api = docker.APIClient(base_url=DOCKER_URL, timeout=5, version="1.24")
        try:
            return bool(api.ping())
        finally:
            api.close()
    except Exception:
        return False


def _log_tail(lines: int = 40) -> str:
    try:
        return "\n".join(DOCKERD_LOG.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def ensure_docker_engine(timeout: float = 60.0) -> None:
    """Make sure a Docker daemon answers on ``/var/run/docker.sock``, starting ``dockerd`` if none does.

    The daemon is started detached (own session, stdin from /dev/null, log in ``/tmp/planner-tests-dockerd.log``)
    so it outlives the test run and later runs reuse it. Raises ``DockerEngineError`` if it does not come up.
    """
    if engine_answers():
        return
    with file_lock(DOCKERD_LOCK):
        if engine_answers():
            return
        if shutil.which("dockerd") is None:
            raise DockerEngineError("dockerd is not on PATH (apt-get install docker.io)")
        with open(DOCKERD_LOG, "ab") as log:
            log.write(f"\n--- planner tests: starting dockerd {' '.join(DOCKERD_ARGS)} ---\n".encode())
            log.flush()
            proc = subprocess.Popen(
                ["dockerd", *DOCKERD_ARGS],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        _started.append(proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if engine_answers():
                return
            code = proc.poll()
            if code is not None:
                raise DockerEngineError(f"dockerd exited with status {code}; {DOCKERD_LOG}:\n{_log_tail()}")
            time.sleep(0.25)
        raise DockerEngineError(
            f"dockerd did not answer on {DOCKER_SOCKET} within {timeout:.0f}s; {DOCKERD_LOG}:\n{_log_tail()}"
        )


# -- apt sources ---------------------------------------------------------------------------------------------

_ONE_LINE = re.compile(
    r"^(?P<type>deb|deb-src)\s+(?:\[(?P<options>[^\]]*)\]\s+)?(?P<uri>\S+)\s+(?P<suite>\S+)(?P<components>.*)$"
)


def _one_line_sources(text: str) -> list[dict[str, list[str]]]:
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        match = _ONE_LINE.match(line)
        if match:
            entries.append({
                "types": [match["type"]],
                "uris": [match["uri"]],
                "suites": [match["suite"]],
                "components": match["components"].split(),
                "enabled": ["yes"],
            })  # fmt: skip
    return entries


def _deb822_sources(text: str) -> list[dict[str, list[str]]]:
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for raw in stanza.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1].isspace() and key is not None:  # folded continuation line
                fields[key] += " " + raw.strip()
                continue
            if ":" in raw:
                key, value = raw.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "uris" not in fields:
            continue
        entries.append({
            "types": fields.get("types", "").split(),
            "uris": fields.get("uris", "").split(),
            "suites": fields.get("suites", "").split(),
            "components": fields.get("components", "").split(),
            "enabled": [fields.get("enabled", "yes").lower()],
        })  # fmt: skip
    return entries


def apt_sources(
    sources_list: Path = APT_SOURCES_LIST, sources_dir: Path = APT_SOURCES_DIR
) -> list[dict[str, list[str]]]:
    """Every entry of the machine's apt sources: ``sources.list``, ``*.list`` and deb822 ``*.sources``."""
    entries: list[dict[str, list[str]]] = []
    with contextlib.suppress(OSError):
        entries += _one_line_sources(sources_list.read_text(errors="replace"))
    for name in sorted(glob.glob(str(sources_dir / "*.list"))):
        with contextlib.suppress(OSError):
            entries += _one_line_sources(Path(name).read_text(errors="replace"))
    for name in sorted(glob.glob(str(sources_dir / "*.sources"))):
        with contextlib.suppress(OSError):
            entries += _deb822_sources(Path(name).read_text(errors="replace"))
    return entries


def debian_mirror(
    suite: str = BASE_SUITE, sources_list: Path = APT_SOURCES_LIST, sources_dir: Path = APT_SOURCES_DIR
) -> str:
    """The Debian archive mirror this machine's apt uses (``$PLANNER_TEST_DEBIAN_MIRROR`` overrides).

    Prefers an enabled binary source carrying ``suite`` with the ``main`` component; otherwise any Debian
    main-archive source (not security, updates or backports), since a mirror serves every suite.
    """
    override = os.environ.get(MIRROR_ENV, "").strip()
    if override:
        return override
    candidates = []
    for entry in apt_sources(sources_list, sources_dir):
        if "deb" not in entry["types"] or entry["enabled"][0] in {"no", "false"}:
            continue
        if "main" not in entry["components"]:
            continue
        for uri in entry["uris"]:
            if urlsplit(uri).scheme not in {"http", "https"} or "security" in uri:
                continue
            if suite in entry["suites"]:
                return uri
            if any(not re.search(r"-(security|updates|backports|proposed-updates)$", s) for s in entry["suites"]):
                candidates.append(uri)
    if candidates:
        return candidates[0]
    raise DockerEngineError(
        f"no Debian mirror with suite {suite!r} and component 'main' in {sources_list} or {sources_dir}/*.sources; "
        f"set {MIRROR_ENV}"
    )


# -- base image ----------------------------------------------------------------------------------------------


def image_exists(tag: str) -> bool:
    import docker.errors

    docker_client = client(timeout=60)
    try:
        docker_client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False
    finally:
        docker_client.close()


def ensure_base_image(tag: str = BASE_IMAGE_TAG, suite: str = BASE_SUITE) -> str:
    """Return ``tag``, first building it (debootstrap minbase from the machine's mirror, then docker import).

    Built once per machine: parallel workers wait on a file lock and reuse the image.
    """
    if image_exists(tag):
        return tag
    missing = missing_tools("debootstrap", "docker", "tar")
    if missing:
        raise DockerEngineError(
            f"cannot build {tag}: missing {', '.join(missing)} (apt-get install debootstrap docker.io)"
        )
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", tag)
    with file_lock(cache_dir() / f"image-{safe}.lock"):
        if image_exists(tag):
            return tag
        mirror = debian_mirror(suite)
        rootfs = Path(tempfile.mkdtemp(prefix="planner-rootfs-", dir="/var/tmp"))
        log_path = Path(tempfile.gettempdir()) / f"planner-tests-debootstrap-{safe}.log"
        try:
            with open(log_path, "wb") as log:
                result = subprocess.run(
                    ["debootstrap", "--variant=minbase", suite, str(rootfs), mirror],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=1200,
                    check=False,
                )
            if result.returncode != 0:
                tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
                raise DockerEngineError(f"debootstrap {suite} from {mirror} failed ({result.returncode}):\n{tail}")
            for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for item in (rootfs / leftover).glob("*"):
                    if item.is_file():
                        item.unlink()
            rootfs.chmod(0o755)  # mkdtemp made it 0700; as the image's / it would lock out every non-root process
            _import_rootfs(rootfs, tag)
        finally:
            shutil.rmtree(rootfs, ignore_errors=True)
    return tag


def _import_rootfs(rootfs: Path, tag: str) -> None:
    """``tar -C ROOTFS -c . | docker import - TAG``."""
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert tar.stdout is not None
    try:
        imported = subprocess.run(
            ["docker", "-H", DOCKER_URL, "import", "--change", 'CMD ["/bin/bash"]', "-", tag],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        tar.stdout.close()
        tar_err = tar.stderr.read().decode(errors="replace") if tar.stderr else ""
        tar_code = tar.wait()
    if tar_code != 0:
        raise DockerEngineError(f"tar of {rootfs} failed ({tar_code}): {tar_err}")
    if imported.returncode != 0:
        raise DockerEngineError(f"docker import {tag} failed ({imported.returncode}): {imported.stderr}")
