"""Build and run govmomi's vCenter simulator (``tests/vcsim/main.go``) for tests.

``build_vcsim()`` compiles the Go main once per (main.go, Go toolchain, govmomi) combination and caches the
binary under ``~/.cache/planner-tests/``; ``Vcsim`` starts one simulator process on 127.0.0.1 with a chosen
inventory and gives tests its URL, credentials, TLS certificate and a pyVmomi connection.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.support import vcsim_patch

GOPATH = Path("/usr/share/gocode")
GOVMOMI_SRC = GOPATH / "src" / "github.com" / "vmware" / "govmomi"
MAIN_GO = Path(__file__).resolve().parent.parent / "vcsim" / "main.go"
BUILD_TIMEOUT = 600.0


class VcsimError(RuntimeError):
    """The simulator could not be built or started."""


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/planner-tests`` (``~/.cache/planner-tests`` by default), created if needed."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "planner-tests"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive ``fcntl.flock`` on ``path``: serialises work across processes (pytest-xdist workers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def missing_toolchain() -> str | None:
    """Why vcsim cannot be built here, or ``None`` when Go and the govmomi source are installed."""
    if shutil.which("go") is None:
        return "`go` is not on PATH (apt-get install golang-go)"
    if not (GOVMOMI_SRC / "simulator").is_dir():
        return f"{GOVMOMI_SRC} is missing (apt-get install golang-github-vmware-govmomi-dev)"
    if not MAIN_GO.is_file():
        return f"{MAIN_GO} is missing"
    return None


def _go_env(gopath: Path = GOPATH) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GO111MODULE": "off", "GOPATH": str(gopath), "GOFLAGS": "", "GOPROXY": "off", "CGO_ENABLED": "0"})
    env.setdefault("GOCACHE", str(cache_dir() / "go-build"))
    return env


def _build_key() -> str:
    digest = hashlib.sha256()
    digest.update(MAIN_GO.read_bytes())
    digest.update(vcsim_patch.PATCH.read_bytes())  # built from a patched copy of the source (vcsim_patch.py)
    go_version = subprocess.run(
        ["go", "version"], capture_output=True, text=True, check=True, env=_go_env(), timeout=60
    ).stdout
    digest.update(go_version.encode())
    # The govmomi source is part of the binary too: a package upgrade must rebuild.
    go_mod = GOVMOMI_SRC / "go.mod"
    if go_mod.is_file():
        digest.update(go_mod.read_bytes())
    if shutil.which("dpkg-query"):
        pkg = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "golang-github-vmware-govmomi-dev"],
            capture_output=True,
            text=True,
            check=False,
        )
        digest.update(pkg.stdout.encode())
    return digest.hexdigest()[:16]


_built: dict[str, Path] = {}


def build_vcsim() -> Path:
    """Compile ``tests/vcsim/main.go`` (once; cached by content hash) and return the binary's path.

    Safe under concurrent callers: the build runs under a file lock, into a temporary name that is
    then renamed into place atomically.
    """
    reason = missing_toolchain()
    if reason is not None:
        raise VcsimError(f"cannot build vcsim: {reason}")
    key = _build_key()
    if key in _built and _built[key].is_file():
        return _built[key]
    directory = cache_dir()
    target = directory / f"vcsim-{key}"
    if not os.access(target, os.X_OK):
        with file_lock(directory / "vcsim.lock"):
            if not os.access(target, os.X_OK):
                fd, tmp_name = tempfile.mkstemp(prefix=f".vcsim-{key}-", suffix=".tmp", dir=directory)
                os.close(fd)
                tmp = Path(tmp_name)
                try:
                    gopath = vcsim_patch.patched_gopath(GOPATH, directory)
                    result = subprocess.run(
                        ["go", "build", "-o", str(tmp), MAIN_GO.name],
                        cwd=MAIN_GO.parent,
                        env=_go_env(gopath),
                        capture_output=True,
                        text=True,
                        timeout=BUILD_TIMEOUT,
                        check=False,
                    )
                    if result.returncode != 0:
                        raise VcsimError(
                            f"go build of {MAIN_GO} failed (exit {result.returncode}):\n{result.stderr}{result.stdout}"
                        )
                    tmp.chmod(0o755)
                    os.replace(tmp, target)
                finally:
                    tmp.unlink(missing_ok=True)
    _built[key] = target
    return target


class Vcsim:
    """One running vCenter simulator on 127.0.0.1; use as a context manager or call ``start()``/``stop()``.

    The inventory is ``dc`` datacenters, each with ``cluster`` clusters of ``host`` hosts and ``vm`` VMs, plus
    ``standalone_host`` standalone hosts with ``vm`` VMs each. Entities named in ``deny`` come back in
    ``missingSet`` with ``NoPermission``; ``delay_ms`` delays every SOAP call. With ``username`` (and
    ``password``) only those credentials may log in; otherwise any user/password is accepted.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        binary: Path | str | None = None,
        *,
        dc: int = 1,
        cluster: int = 1,
        host: int = 2,
        vm: int = 2,
        standalone_host: int = 0,
        ds: int = 1,
        delay_ms: int = 0,
        tls: bool = True,
        deny: Iterable[str] = (),
        username: str | None = None,
        password: str | None = None,
        workdir: Path | str | None = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.binary = Path(binary) if binary is not None else None
        self.dc = dc
        self.cluster = cluster
        self.hosts_per_cluster = host
        self.vm = vm
        self.standalone_host = standalone_host
        self.ds = ds
        self.delay_ms = delay_ms
        self.tls = tls
        self.deny = [str(name) for name in deny]
        for name in self.deny:
            if "," in name:
                raise ValueError(f"deny names cannot contain commas: {name!r}")
        if password is not None and not username:
            raise ValueError("password needs a username")
        self._login = (username, password or "") if username else None
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._given_workdir = Path(workdir) if workdir is not None else None
        self.workdir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._connections: list[Any] = []
        self._killed = False
        self.url = ""
        self.port = 0
        self.user = ""
        self.password = ""
        self.cert_path: Path | None = None

    # -- derived facts ---------------------------------------------------------------------------------------

    @property
    def vm_count(self) -> int:
        """How many VMs the simulator's inventory holds at start."""
        return self.dc * (self.cluster + self.standalone_host) * self.vm

    @property
    def host_count(self) -> int:
        """How many ESXi hosts (clustered and standalone) the inventory holds at start."""
        return self.dc * (self.cluster * self.hosts_per_cluster + self.standalone_host)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def stderr_text(self) -> str:
        """What the simulator wrote to stderr so far (its Go log)."""
        if self.workdir is None:
            return ""
        path = self.workdir / "vcsim.stderr"
        return path.read_text(errors="replace") if path.exists() else ""

    def args(self) -> list[str]:
        args = [
            "-listen", f"{self.host}:0",
            "-dc", str(self.dc),
            "-cluster", str(self.cluster),
            "-host", str(self.hosts_per_cluster),
            "-standalone-host", str(self.standalone_host),
            "-vm", str(self.vm),
            "-ds", str(self.ds),
            "-delay", str(self.delay_ms),
        ]  # fmt: skip
        if self.tls:
            assert self.workdir is not None
            args += ["-cert-out", str(self.workdir / "vcsim.pem")]
        else:
            args.append("-no-tls")
        if self.deny:
            args += ["-deny", ",".join(self.deny)]
        if self._login is not None:  # only these credentials log in (default: any user/password)
            args += ["-username", self._login[0], "-password", self._login[1]]
        return args

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Vcsim:
        if self._proc is not None:
            raise VcsimError("this Vcsim was already started")
        binary = self.binary or build_vcsim()
        if self._given_workdir is not None:
            self._given_workdir.mkdir(parents=True, exist_ok=True)
            self.workdir = Path(tempfile.mkdtemp(prefix="vcsim-", dir=self._given_workdir))
        else:
            self.workdir = Path(tempfile.mkdtemp(prefix="planner-vcsim-"))
        stdout_path = self.workdir / "vcsim.stdout"
        stderr_path = self.workdir / "vcsim.stderr"
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            # stdin stays a pipe: closing it (or this process dying) stops the simulator.
            self._proc = subprocess.Popen(
                [str(binary), *self.args()], stdin=subprocess.PIPE, stdout=out, stderr=err, cwd=self.workdir
            )
        try:
            info = self._await_banner(stdout_path)
        except BaseException:
            self.stop()
            raise
        self.url = info["url"]
        parts = urlsplit(self.url)
        if parts.hostname != self.host or parts.port is None:
            self.stop()
            raise VcsimError(f"vcsim reported an unexpected URL {self.url!r}")
        self.port = parts.port
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        if self.tls:
            cert = info.get("cert") or ""
            if not cert or not Path(cert).is_file():
                self.stop()
                raise VcsimError(f"vcsim did not write its certificate (reported {cert!r})")
            self.cert_path = Path(cert)
        return self

    def _await_banner(self, stdout_path: Path) -> dict[str, str]:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        while True:
            text = stdout_path.read_text(errors="replace")
            if "\n" in text:
                line = text.split("\n", 1)[0].strip()
                try:
                    info = json.loads(line)
                except ValueError as exc:
                    raise VcsimError(
                        f"vcsim printed {line!r} instead of its JSON banner; stderr:\n{self.stderr_text}"
                    ) from exc
                if not isinstance(info, dict) or "url" not in info:
                    raise VcsimError(f"vcsim banner lacks a url: {line!r}")
                return info
            code = self._proc.poll()
            if code is not None:
                raise VcsimError(
                    f"vcsim exited early with status {code} ({' '.join(self.args())}); stderr:\n{self.stderr_text}"
                )
            if time.monotonic() > deadline:
                raise VcsimError(
                    f"vcsim did not report its URL within {self.start_timeout:.0f}s; stderr:\n{self.stderr_text}"
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """Log out open sessions, close the simulator's stdin, wait for it, and kill it if it lingers."""
        proc = self._proc
        if proc is not None:
            if not self._killed and proc.poll() is None:
                self._disconnect_all()
            self._connections.clear()
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            self._proc = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
            self.cert_path = None

    def kill(self) -> None:
        """SIGKILL the simulator (open connections break, as when a vCenter goes away); ``stop()`` still cleans up."""
        if self._proc is None:
            return
        self._killed = True
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()
        self._proc.wait()
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()

    def __enter__(self) -> Vcsim:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"{self.url}" if self.running else "stopped"
        return f"<Vcsim {state} dc={self.dc} cluster={self.cluster} host={self.hosts_per_cluster} vm={self.vm}>"

    # -- clients ---------------------------------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that verifies the simulator's certificate (and nothing else)."""
        if not self.tls or self.cert_path is None:
            raise VcsimError("this simulator serves plain http (tls=False); there is no certificate")
        return ssl.create_default_context(cafile=str(self.cert_path))

    def connect(self, user: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        """A logged-in pyVmomi ``ServiceInstance``; logged out when the simulator stops."""
        from pyVim.connect import SmartConnect

        if not self.running:
            raise VcsimError("vcsim is not running")
        options: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user if user is None else user,
            "pwd": self.password if password is None else password,
            "httpConnectionTimeout": 60,
        }
        if self.tls:
            options["sslContext"] = self.ssl_context()
        else:
            options["protocol"] = "http"
        options.update(kwargs)
        si = SmartConnect(**options)
        self._connections.append(si)
        return si

    def _disconnect_all(self) -> None:
        from pyVim.connect import Disconnect

        for si in self._connections:
            with contextlib.suppress(Exception):
                Disconnect(si)
