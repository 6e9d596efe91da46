"""Per-stack test guests: ONE shared Debian image with the stacks' Debian packages, four guest containers.

Every guest is a container with host networking, its own sshd on ``127.0.78.N:2278`` and its stacks bound to that
address, started the way the Debian package starts it without systemd (init scripts, ``service X start``, or the
unit's ExecStart line), as the package's own service user, with its configs in their usual ``/etc`` places (the
start script is copied in at start, so changing it never rebuilds the image).
PID 1 is Docker's init (tini) running ``sleep infinity``: it reaps orphaned daemons as a VM's init does, so an
init script's ``stop`` sees its daemon gone (with ``sleep`` as PID 1, nginx's master stayed a zombie and
``service nginx stop`` failed). sshd and the services are daemons under it. The nginx -> Python (gunicorn) -> Redis
guests form one move group. The image is built once per content (a label holds the content hash).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.guests import _port_open, _wait_for, make_ssh_key

STACK_IMAGE_TAG = "planner-test/stacks:bookworm-r1"
LABEL = "planner-test-stack-guest"
SSH_PORT = 2278
PACKAGES = [
    "openssh-server", "procps", "iproute2", "nginx", "apache2", "php-fpm", "tomcat10", "openjdk-17-jdk-headless",
    "python3", "gunicorn", "nodejs", "redis-server", "postgresql", "mariadb-server",
]


@dataclass(frozen=True)
class Stack:
    """One stack: role (start-script case), the guest it runs on, the port it answers on, and its probe."""

    role: str
    guest: str
    port: int
    probe: dict[str, Any]

    @property
    def address(self) -> str:
        return GUESTS[self.guest]


GUESTS = {"web": "127.0.78.11", "app": "127.0.78.12", "redis": "127.0.78.13", "servers": "127.0.78.14"}
"""Guest (VM) name -> its own address. The move group's stacks have a guest each; the other stacks share the
``servers`` guest (a VM holding several stacks: one image each), which keeps the vfs engine's per-container copy
of the 1.6 GB image to four."""

_HTTP = {"kind": "http", "path": "/", "expect_status": 200}
STACKS = {stack.role: stack for stack in [
    Stack("web", "web", 80, _HTTP),
    Stack("app", "app", 8000, _HTTP),
    Stack("redis", "redis", 6379, {"kind": "redis"}),
    Stack("apache", "servers", 80, _HTTP),
    Stack("phpfpm", "servers", 9000, {"kind": "tcp"}),
    Stack("tomcat", "servers", 8080, _HTTP),
    Stack("jar", "servers", 8090, _HTTP),
    Stack("pyscript", "servers", 8091, _HTTP),
    Stack("node", "servers", 3000, _HTTP),
    Stack("gobin", "servers", 8092, _HTTP),
    Stack("postgres", "servers", 5432, {"kind": "sql", "engine": "postgresql"}),
    Stack("mariadb", "servers", 3306, {"kind": "sql", "engine": "mysql"}),
]}
MOVE_GROUP = ("web", "app", "redis")

DOCKERFILE = """\
FROM {base}
ENV DEBIAN_FRONTEND=noninteractive
RUN printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d \\
 && apt-get update \\
 && apt-get install -y --no-install-recommends {packages} \\
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \\
 && mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh && ssh-keygen -A \\
 && useradd --system --home-dir /srv/app --shell /usr/sbin/nologin app
COPY files/ /
RUN cd /opt/hello && javac -d classes Hello.java && jar --create --file hello.jar --main-class Hello -C classes . \\
 && rm -rf classes && chmod 755 /usr/local/bin/hello-go \\
 && chown -R app:app /srv/app /srv/node /opt/hello /opt/pyscript
CMD ["sleep", "infinity"]
"""

WSGI_APP = r'''"""WSGI app: PINGs Redis (REDIS_ADDR, from gunicorn's command line) over one kept connection."""
import os
import socket
import threading

_lock = threading.Lock()
_conn = None


def ping():
    global _conn
    host, port = os.environ.get("REDIS_ADDR", "127.0.0.1:6379").rsplit(":", 1)
    with _lock:
        for _attempt in range(2):
            try:
                if _conn is None:
                    _conn = socket.create_connection((host, int(port)), timeout=5)
                _conn.sendall(b"*1\r\n$4\r\nPING\r\n")
                return _conn.recv(64).strip().decode(errors="replace").lstrip("+")
            except OSError as exc:
                if _conn is not None:
                    _conn.close()
                _conn = None
                error = f"error {exc.__class__.__name__}"
        return error


def application(environ, start_response):
    body = f"app says hello; redis={ping()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''

PY_SCRIPT = r'''"""A plain Python script server: python3 server.py ADDRESS PORT."""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"python script says hello\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
'''

NODE_JS = r"""// node server.js ADDRESS PORT
const http = require("http");
http.createServer((req, res) => { res.writeHead(200, {"Content-Type": "text/plain"}); res.end("node says hello\n"); })
  .listen(Number(process.argv[3]), process.argv[2]);
"""

JAVA = r"""import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;

/** java -jar hello.jar ADDRESS PORT */
public class Hello {
    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 16);
        byte[] body = "java jar says hello\n".getBytes("UTF-8");
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }
}
"""

GO_SRC = r"""package main

import (
	"fmt"
	"net/http"
	"os"
)

// hello-go ADDRESS:PORT
func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "go binary says hello\n") })
	if err := http.ListenAndServe(os.Args[1], nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"""

START_SH = r"""#!/bin/sh
# start-stack ROLE ADDRESS: configure the role's service for this guest's address and start it as its package does
# without systemd (daemons; PID 1 is docker-init running `sleep infinity`). Role sshd: the guest's own sshd.
set -e
ROLE=$1 ADDR=$2 APP=$APP_ADDR REDIS=$REDIS_ADDR SSHP=$SSH_PORT KEY=$AUTHORIZED_KEY
unset APP_ADDR REDIS_ADDR SSH_PORT AUTHORIZED_KEY  # the test's settings are no service's environment
printf '%s\n' "$KEY" > /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
as_app() { setpriv --reuid=app --regid=app --init-groups "$@" </dev/null >/dev/null 2>&1 & }
case "$ROLE" in
web)
  cat > /etc/nginx/sites-available/default <<EOF
upstream app { server $APP:8000; keepalive 2; }
server {
  listen $ADDR:80;
  location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
}
EOF
  sed -i 's/^\s*worker_processes.*/worker_processes 1;/' /etc/nginx/nginx.conf
  service nginx start ;;
app)
  cd /srv/app && as_app gunicorn --bind "$ADDR:8000" --workers 1 --threads 2 --chdir /srv/app \
    --env "REDIS_ADDR=$REDIS:6379" app:application ;;
redis)
  sed -i "s/^bind .*/bind $ADDR/; s/^protected-mode .*/protected-mode no/; s/^save .*//" /etc/redis/redis.conf
  service redis-server start ;;
apache)
  sed -i "s/^Listen 80$/Listen $ADDR:80/" /etc/apache2/ports.conf
  echo "apache says hello" > /var/www/html/index.html
  service apache2 start ;;
phpfpm)
  sed -i "s|^listen = .*|listen = $ADDR:9000|" /etc/php/8.2/fpm/pool.d/www.conf
  service php8.2-fpm start ;;
tomcat)
  sed -i -e "s/<Server port=\"[0-9-]*\"/<Server port=\"-1\"/" \
    -e "s/<Connector port=\"8080\"/<Connector address=\"$ADDR\" port=\"8080\"/" /etc/tomcat10/server.xml
  mkdir -p /var/lib/tomcat10/webapps/ROOT
  echo "tomcat says hello" > /var/lib/tomcat10/webapps/ROOT/index.html
  chown -R tomcat:tomcat /var/lib/tomcat10/webapps/ROOT
  # the tomcat10.service unit's ExecStart, as its User=tomcat
  cd /var/lib/tomcat10
  setpriv --reuid=tomcat --regid=tomcat --init-groups env CATALINA_HOME=/usr/share/tomcat10 \
    CATALINA_BASE=/var/lib/tomcat10 CATALINA_TMPDIR=/tmp JAVA_OPTS=-Djava.awt.headless=true \
    /usr/libexec/tomcat10/tomcat-start.sh </dev/null >/tmp/tomcat.log 2>&1 & ;;
jar) cd /opt/hello && as_app java -jar /opt/hello/hello.jar "$ADDR" 8090 ;;
pyscript) cd /opt/pyscript && as_app python3 /opt/pyscript/server.py "$ADDR" 8091 ;;
node) cd /srv/node && as_app node /srv/node/server.js "$ADDR" 3000 ;;
gobin) as_app /usr/local/bin/hello-go "$ADDR:8092" ;;
postgres)
  sed -i "s/^#\?listen_addresses.*/listen_addresses = '$ADDR'/" /etc/postgresql/15/main/postgresql.conf
  service postgresql start ;;
mariadb)
  sed -i "s/^bind-address.*/bind-address = $ADDR/" /etc/mysql/mariadb.conf.d/50-server.cnf
  service mariadb start ;;
sshd)
  /usr/sbin/sshd -o ListenAddress="$ADDR:$SSHP" -o PermitRootLogin=prohibit-password \
    -o PasswordAuthentication=no -o UseDNS=no ;;
esac
"""


def go_binary(workdir: Path) -> bytes:
    """The static Go HTTP server, compiled on the controller (Go is there for vcsim anyway)."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("go is needed to build the static-binary stack (apt-get install golang-go)")
    (workdir / "main.go").write_text(GO_SRC)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "GO111MODULE": "off", "CGO_ENABLED": "0",
           "GOCACHE": str(workdir / "cache"), "GOPATH": str(workdir / "gopath")}
    subprocess.run([go, "build", "-trimpath", "-o", str(workdir / "hello-go"), "main.go"], cwd=workdir, env=env,
                   check=True, capture_output=True)
    return (workdir / "hello-go").read_bytes()


def _context(base_image: str) -> tuple[bytes, str]:
    files: dict[str, tuple[bytes, int]] = {
        "Dockerfile": (DOCKERFILE.format(base=base_image, packages=" ".join(PACKAGES)).encode(), 0o644),
        "files/srv/app/app.py": (WSGI_APP.encode(), 0o644),
        "files/opt/pyscript/server.py": (PY_SCRIPT.encode(), 0o644),
        "files/srv/node/server.js": (NODE_JS.encode(), 0o644),
        "files/opt/hello/Hello.java": (JAVA.encode(), 0o644),
    }
    digest = hashlib.sha256(repr(sorted((k, v[0]) for k, v in files.items())).encode() + GO_SRC.encode())
    with tempfile.TemporaryDirectory() as tmp:
        files["files/usr/local/bin/hello-go"] = (go_binary(Path(tmp)), 0o755)
    return _tar(files), digest.hexdigest()[:12]


def _tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, (data, mode) in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def ensure_stack_image(client: Any, base_image: str, tag: str = STACK_IMAGE_TAG) -> str:
    """Build the shared stack guest image FROM the local Debian base, once per content hash."""
    import docker.errors

    context, digest = _context(base_image)
    with contextlib.suppress(docker.errors.ImageNotFound):
        if (client.images.get(tag).labels or {}).get("planner-test.context") == digest:
            return tag
    try:
        client.images.build(fileobj=io.BytesIO(context), custom_context=True, tag=tag, network_mode="host",
                            rm=True, forcerm=True, labels={"planner-test.context": digest}, timeout=3600)
    except docker.errors.BuildError as exc:
        log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in exc.build_log)
        raise RuntimeError(f"building {tag} failed: {exc}\n{log[-4000:]}") from exc
    return tag


@dataclass
class StackGuests:
    """The running stack guests and the inventory that reaches them over SSH."""

    guests: list[str]
    inventory_path: Path
    key_path: Path
    containers: dict[str, Any] = field(default_factory=dict)


def write_inventory(path: Path, guests: list[str], key: Path) -> Path:
    """A YAML inventory of the guests (host name = guest name), as a user would write it."""
    inventory = {"all": {
        "vars": {"ansible_user": "root", "ansible_ssh_private_key_file": str(key), "ansible_port": SSH_PORT,
                 "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                                            "-o ConnectTimeout=5",
                 "ansible_python_interpreter": "/usr/bin/python3"},
        "hosts": {guest: {"ansible_host": GUESTS[guest]} for guest in guests}}}
    path.write_text(yaml.safe_dump(inventory, sort_keys=True))
    return path


@contextlib.contextmanager
def running_stacks(client: Any, base_image: str, workdir: Path, guests: list[str]) -> Iterator[StackGuests]:
    """Start the named guests (in parallel) with their stacks; wait until each stack answers; remove them after."""
    image = ensure_stack_image(client, base_image)
    stacks = [stack for stack in STACKS.values() if stack.guest in guests]
    for stale in client.containers.list(all=True, filters={"label": LABEL}):
        with contextlib.suppress(Exception):
            stale.remove(force=True)
    _wait_until_free(stacks)
    key = make_ssh_key(workdir)
    env = {"AUTHORIZED_KEY": key.with_suffix(".pub").read_text().strip(), "SSH_PORT": str(SSH_PORT),
           "APP_ADDR": GUESTS["app"], "REDIS_ADDR": GUESTS["redis"]}
    started = StackGuests(guests, write_inventory(workdir / "inventory.yml", guests, key), key)

    def start(guest: str) -> None:
        container = client.containers.run(
            image, name=f"planner-stack-{guest}-{int(time.time() * 1000) % 100000}", detach=True,
            network_mode="host", cap_add=["SYS_PTRACE"], hostname=guest, labels={LABEL: guest},
            init=True)  # a reaping PID 1, as on a VM: stopped daemons must not linger as zombies
        started.containers[guest] = container
        container.put_archive("/usr/local/sbin", _tar({"start-stack": (START_SH.encode(), 0o755)}))
        for stack in (s for s in stacks if s.guest == guest):
            code, output = container.exec_run(["/usr/local/sbin/start-stack", stack.role, stack.address],
                                              environment=env)
            if code != 0:
                raise RuntimeError(f"starting {stack.role} failed ({code}): {output.decode(errors='replace')}\n"
                                   f"listeners on port {stack.port}: {_listeners(container, stack.port)}")
        code, output = container.exec_run(["/usr/local/sbin/start-stack", "sshd", GUESTS[guest]], environment=env)
        if code != 0:
            raise RuntimeError(f"starting sshd on {guest} failed ({code}): {output.decode(errors='replace')}")

    try:
        # the vfs storage driver copies the whole image per container: create them in parallel
        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(start, guest) for guest in guests]:
                future.result()
        for stack in stacks:
            _wait_for(lambda s=stack: _port_open(s.address, s.port), f"{stack.role} on {stack.address}:{stack.port}",
                      timeout=120)
        for guest in guests:
            _wait_for(lambda g=guest: _port_open(GUESTS[g], SSH_PORT), f"sshd of {guest}")
        yield started
    finally:
        for container in started.containers.values():
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
        _wait_until_free(stacks)


def _wait_until_free(stacks: list[Stack], timeout: float = 60.0) -> None:
    """Every guest address:port the stacks need is free (a removed guest's daemons can take a moment to die)."""
    def busy() -> list[str]:
        return sorted({f"{s.address}:{port}" for s in stacks for port in (SSH_PORT, s.port)
                       if _port_open(s.address, port)})

    deadline = time.monotonic() + timeout
    while (taken := busy()) and time.monotonic() < deadline:
        time.sleep(0.5)
    if taken:
        raise RuntimeError(f"something still answers on {', '.join(taken)}: the stack guests need these addresses")


def _listeners(container: Any, port: int) -> str:
    """Who listens on ``port`` on the host network (for a start failure's message)."""
    code, output = container.exec_run(["ss", "-Hltnp", f"sport = :{port}"])
    return output.decode(errors="replace").strip() or f"none (ss exited {code})"
