"""Simulated guests for discovery tests: Docker containers with host networking, one loopback address each.

Each guest runs its own sshd on its own ``127.0.77.N`` and its services on that address only:

* ``web`` (127.0.77.11): nginx on :8077, reverse-proxying to the app (keepalive upstream);
* ``app`` (127.0.77.12): a tiny Python HTTP server on :8078 that increments a counter in Redis on every request,
  and a health endpoint on the wildcard address (``0.0.0.0:8079``), as many real services have;
* ``redis`` (127.0.77.13): redis-server on :6377;
* sshd on :2277 of each guest's address, for ``root`` and for the unprivileged audit account ``audit``.

Clients bind their source address to their guest's own (nginx ``proxy_bind``, the app's Redis connection), as
connections leave a real host from its own address. The controller (Ansible) connects from its own loopback address
``127.0.77.2`` (``ssh -b``), as a jump host on another subnet would: its SSH sessions must never become edges. A
log shipper on web is started with a password on its command line and every guest has a backup cron line with
one: discovery must never store either.

Nothing leaves 127.0.0.0/8: containers use ``--network host``, no bridge exists. ``--cap-add SYS_PTRACE`` lets
root in a guest see which process owns another user's socket (nginx workers run as www-data).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tarfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GUEST_IMAGE_TAG = "planner-test/guest:bookworm-r3"  # built on the r2 base image; r3: audit account, bound clients
GUEST_PACKAGES = ["openssh-server", "nginx", "python3", "redis-server", "procps", "iproute2"]
LABEL = "planner-test-guest"

WEB_ADDR, APP_ADDR, REDIS_ADDR = "127.0.77.11", "127.0.77.12", "127.0.77.13"
CONTROLLER_ADDR = "127.0.77.2"  # Ansible's SSH connections leave from here (ssh -b)
AUDIT_USER = "audit"  # the unprivileged account of the non-root discovery run
SECRET = "Gu3st-s3cret-value"  # on the app's command line and in a cron line: never stored
UNREACHABLE_ADDR = "127.0.77.19"  # no sshd listens here: discovery must record the host and go on
# Ports below the ephemeral range and away from common services: a machine service listening on 0.0.0.0 with the
# same port would stop a guest from binding its own address.
SSH_PORT, WEB_PORT, APP_PORT, REDIS_PORT, HEALTH_PORT = 2277, 8077, 8078, 6377, 8079

DOCKERFILE = """\
FROM {base}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \\
 && apt-get install -y --no-install-recommends {packages} \\
 && rm -rf /var/lib/apt/lists/* \\
 && rm -f /etc/nginx/sites-enabled/default \\
 && mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh \\
 && ssh-keygen -A \\
 && useradd -m -s /bin/sh {audit} && usermod -p '*' {audit} \\
 && printf '%s\\n' '30 2 * * * root mysqldump -uroot -p{secret} shop > /var/backups/shop.sql' > /etc/cron.d/backup
COPY app.py /opt/app/app.py
COPY start.sh /usr/local/sbin/start-guest
RUN chmod 755 /usr/local/sbin/start-guest
CMD ["/usr/local/sbin/start-guest"]
"""

APP_PY = r'''
"""Tiny web app: GET / increments a counter in Redis over one persistent connection (RESP by hand)."""
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADDR = os.environ["APP_ADDR"]
REDIS = (os.environ["REDIS_ADDR"], int(os.environ.get("REDIS_PORT", "6379")))
HEALTH_PORT = int(os.environ.get("HEALTH_PORT", "8079"))
_lock = threading.Lock()
_conn = None


def incr():
    global _conn
    with _lock:
        for _attempt in range(2):
            try:
                if _conn is None:
                    _conn = socket.create_connection(REDIS, timeout=5, source_address=(ADDR, 0))
                _conn.sendall(b"*2\r\n$4\r\nINCR\r\n$4\r\nhits\r\n")
                reply = _conn.recv(64)
                return int(reply[1:].split(b"\r\n")[0])
            except (OSError, ValueError):
                if _conn is not None:
                    _conn.close()
                _conn = None
        return -1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = f"hits={incr()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


health = ThreadingHTTPServer(("0.0.0.0", HEALTH_PORT), Health)
threading.Thread(target=health.serve_forever, daemon=True).start()
ThreadingHTTPServer((ADDR, int(os.environ.get("APP_PORT", "8080"))), Handler).serve_forever()
'''

START_SH = r"""#!/bin/sh
# Start this guest's role, then sshd in the foreground on the guest's own address.
set -e
printf '%s\n' "$AUTHORIZED_KEY" > /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
install -d -m 700 -o "$AUDIT_USER" -g "$AUDIT_USER" "/home/$AUDIT_USER/.ssh"
printf '%s\n' "$AUTHORIZED_KEY" > "/home/$AUDIT_USER/.ssh/authorized_keys"
chown "$AUDIT_USER:$AUDIT_USER" "/home/$AUDIT_USER/.ssh/authorized_keys"
chmod 600 "/home/$AUDIT_USER/.ssh/authorized_keys"
case "$GUEST_ROLE" in
web)
  cat > /etc/nginx/conf.d/planner.conf <<EOF
upstream app { server $APP_ADDR:$APP_PORT; keepalive 4; }
server {
  listen $GUEST_ADDR:$WEB_PORT;
  location / { proxy_pass http://app; proxy_bind $GUEST_ADDR; proxy_http_version 1.1; proxy_set_header Connection ""; }
}
EOF
  sed -i 's/^\s*worker_processes.*/worker_processes 1;/' /etc/nginx/nginx.conf
  nginx
  # a log shipper with its password on the command line, as real ones are started
  setpriv --reuid=www-data --regid=www-data --clear-groups \
    python3 -c 'import time; time.sleep(10**9)' --db-password="$APP_SECRET" >/dev/null 2>&1 &
  ;;
app)
  setpriv --reuid=nobody --regid=nogroup --clear-groups python3 /opt/app/app.py >/tmp/app.log 2>&1 &
  ;;
redis)
  setpriv --reuid=redis --regid=redis --clear-groups \
    redis-server --bind "$GUEST_ADDR" --port "$REDIS_PORT" --protected-mode no --save '' --appendonly no \
      --daemonize no >/tmp/redis.log 2>&1 &
  ;;
esac
exec /usr/sbin/sshd -D -e -o ListenAddress="$GUEST_ADDR:$SSH_PORT" -o PermitRootLogin=prohibit-password \
  -o PasswordAuthentication=no -o UseDNS=no
"""


@dataclass
class Guest:
    """One running guest container."""

    name: str
    role: str
    address: str
    container: Any = None


@dataclass
class GuestSet:
    """The running guests, the SSH key that reaches them, and an inventory for Ansible."""

    guests: list[Guest]
    key_path: Path
    inventory_path: Path
    """Ansible connects as root."""
    audit_inventory_path: Path
    """Ansible connects as the unprivileged ``audit`` account (no become)."""
    unreachable: list[str] = field(default_factory=list)

    def by_name(self, name: str) -> Guest:
        return next(guest for guest in self.guests if guest.name == name)


def _build_context(base_image: str) -> bytes:
    files = {
        "Dockerfile": DOCKERFILE.format(base=base_image, packages=" ".join(GUEST_PACKAGES), audit=AUDIT_USER,
                                        secret=SECRET),
        "app.py": APP_PY,
        "start.sh": START_SH,
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def ensure_guest_image(client: Any, base_image: str, tag: str = GUEST_IMAGE_TAG) -> str:
    """Build the guest image FROM the local Debian base (``docker build --network host``), once per content."""
    import docker.errors

    context = _build_context(base_image)
    import hashlib

    digest = hashlib.sha256(context).hexdigest()[:12]
    with contextlib.suppress(docker.errors.ImageNotFound):
        image = client.images.get(tag)
        if (image.labels or {}).get("planner-test.context") == digest:
            return tag
    try:
        client.images.build(
            fileobj=io.BytesIO(context), custom_context=True, tag=tag, network_mode="host", rm=True,
            forcerm=True, labels={"planner-test.context": digest}, timeout=1200,
        )
    except docker.errors.BuildError as exc:
        log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in exc.build_log)
        raise RuntimeError(f"building {tag} failed: {exc}\n{log[-4000:]}") from exc
    return tag


def make_ssh_key(directory: Path) -> Path:
    """A fresh ed25519 key pair in ``directory`` (``id_ed25519`` and ``.pub``)."""
    key = directory / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "planner-test", "-f", str(key)],
                   check=True, capture_output=True)
    return key


def write_inventory(path: Path, guests: list[Guest], key: Path, unreachable: list[str], user: str = "root") -> Path:
    """An Ansible YAML inventory for the guests (plus unreachable names), as a user would write one; SSH leaves
    from the controller's own address."""
    import yaml

    ssh_args = (f"-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 "
                f"-b {CONTROLLER_ADDR}")
    hosts: dict[str, dict[str, str]] = {guest.name: {"ansible_host": guest.address} for guest in guests}

    for index, name in enumerate(unreachable):
        hosts[name] = {"ansible_host": UNREACHABLE_ADDR[:-1] + str(9 - index)}
    inventory = {
        "all": {
            "vars": {
                "ansible_user": user,
                "ansible_ssh_private_key_file": str(key),
                "ansible_ssh_common_args": ssh_args,
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_port": SSH_PORT,
            },
            "hosts": hosts,
        }
    }
    path.write_text(yaml.safe_dump(inventory, sort_keys=True))
    return path


def _wait_for(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception as exc:  # keep polling until the deadline
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f"timed out waiting for {what}: {last}")


def _port_open(address: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((address, port)) == 0


@contextlib.contextmanager
def running_guests(client: Any, base_image: str, workdir: Path) -> Iterator[GuestSet]:
    """Start web, app and redis guests (and list one unreachable host); remove the containers afterwards."""
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        raise RuntimeError("ssh and ssh-keygen are needed (apt-get install openssh-client)")
    image = ensure_guest_image(client, base_image)
    key = make_ssh_key(workdir)
    public = key.with_suffix(".pub").read_text().strip()
    guests = [Guest("web", "web", WEB_ADDR), Guest("app", "app", APP_ADDR), Guest("redis", "redis", REDIS_ADDR)]
    for stale in client.containers.list(all=True, filters={"label": LABEL}):
        with contextlib.suppress(Exception):
            stale.remove(force=True)
    in_use = [f"{address}:{port}" for address in (WEB_ADDR, APP_ADDR, REDIS_ADDR, UNREACHABLE_ADDR)
              for port in (SSH_PORT, WEB_PORT, APP_PORT, REDIS_PORT, HEALTH_PORT) if _port_open(address, port)]
    if in_use:
        raise RuntimeError(f"something on this machine already answers on {', '.join(in_use)}: the guests need these")
    env_common = {
        "AUTHORIZED_KEY": public, "SSH_PORT": str(SSH_PORT), "APP_ADDR": APP_ADDR, "APP_PORT": str(APP_PORT),
        "REDIS_ADDR": REDIS_ADDR, "REDIS_PORT": str(REDIS_PORT), "WEB_PORT": str(WEB_PORT),
        "HEALTH_PORT": str(HEALTH_PORT), "AUDIT_USER": AUDIT_USER, "APP_SECRET": SECRET,
    }
    try:
        for guest in reversed(guests):  # redis first, so the app finds it
            guest.container = client.containers.run(
                image, name=f"planner-guest-{guest.name}-{int(time.time() * 1000) % 100000}", detach=True,
                network_mode="host", cap_add=["SYS_PTRACE"], hostname=guest.name, labels={LABEL: guest.name},
                environment={**env_common, "GUEST_ROLE": guest.role, "GUEST_ADDR": guest.address},
            )
        for guest in guests:
            _wait_for(lambda g=guest: _port_open(g.address, SSH_PORT), f"sshd of {guest.name} on {guest.address}")
        _wait_for(lambda: _port_open(REDIS_ADDR, REDIS_PORT), "redis")
        _wait_for(lambda: _port_open(APP_ADDR, APP_PORT), "the app")
        _wait_for(lambda: _port_open(APP_ADDR, HEALTH_PORT), "the app's health endpoint")
        _wait_for(lambda: _port_open(WEB_ADDR, WEB_PORT), "nginx")
        _wait_for(lambda: b"hits=" in urllib.request.urlopen(f"http://{WEB_ADDR}:{WEB_PORT}/", timeout=5).read(),
                  "a request through web -> app -> redis")
        unreachable = ["lost"]
        inventory = write_inventory(workdir / "inventory.yml", guests, key, unreachable)
        audit = write_inventory(workdir / "inventory-audit.yml", guests, key, unreachable, user=AUDIT_USER)
        yield GuestSet(guests, key, inventory, audit, unreachable)
    finally:
        for guest in guests:
            if guest.container is not None:
                with contextlib.suppress(Exception):
                    guest.container.remove(force=True)


class TrafficGenerator:
    """Requests through web -> app -> redis in a background thread while discovery runs."""

    def __init__(self, url: str = f"http://{WEB_ADDR}:{WEB_PORT}/", interval: float = 0.05) -> None:
        self.url = url
        self.interval = interval
        self.requests = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    response.read()
                self.requests += 1
            except OSError:
                self.errors += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> TrafficGenerator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
