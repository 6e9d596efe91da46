"""Per-stack test guests: ONE shared Debian image with the stacks' Debian packages, one container per stack.

Every guest is a container with host networking, its own sshd on ``127.0.78.N:2278`` and its stack bound to that
address, started the way the Debian package starts it without systemd (init scripts, ``service X start``, or the
unit's ExecStart line), as the package's own service user, with its configs in their usual ``/etc`` places.
PID 1 is ``sleep infinity``; sshd and the services are daemons under it. The nginx -> Python (gunicorn) -> Redis
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
    """One stack guest: role (start-script case), address, the port it answers on, and the probe it answers."""

    role: str
    address: str
    port: int
    probe: dict[str, Any]
    peers: tuple[str, ...] = ()


STACKS = {stack.role: stack for stack in [
    Stack("web", "127.0.78.11", 80, {"kind": "http", "path": "/", "expect_status": 200}, ("app",)),
    Stack("app", "127.0.78.12", 8000, {"kind": "http", "path": "/", "expect_status": 200}, ("redis",)),
    Stack("redis", "127.0.78.13", 6379, {"kind": "redis"}),
    Stack("apache", "127.0.78.14", 80, {"kind": "http", "path": "/", "expect_status": 200}),
    Stack("phpfpm", "127.0.78.15", 9000, {"kind": "tcp"}),
    Stack("tomcat", "127.0.78.16", 8080, {"kind": "http", "path": "/", "expect_status": 200}),
    Stack("jar", "127.0.78.17", 8090, {"kind": "http", "path": "/", "expect_status": 200}),
    Stack("pyscript", "127.0.78.18", 8091, {"kind": "http", "path": "/", "expect_status": 200}),
    Stack("node", "127.0.78.19", 3000, {"kind": "http", "path": "/", "expect_status": 200}),
    Stack("gobin", "127.0.78.20", 8092, {"kind": "http", "path": "/", "expect_status": 200}),
    Stack("postgres", "127.0.78.21", 5432, {"kind": "sql", "engine": "postgresql"}),
    Stack("mariadb", "127.0.78.22", 3306, {"kind": "sql", "engine": "mysql"}),
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
 && rm -rf classes && chmod 755 /usr/local/sbin/start-stack /usr/local/bin/hello-go \\
 && chown -R app:app /srv/app /srv/node /opt/hello /opt/pyscript
CMD ["sleep", "infinity"]
"""

WSGI_APP = r'''"""WSGI app: PINGs Redis (REDIS_ADDR, from gunicorn's command line) and says what it got."""
import os
import socket


def application(environ, start_response):
    host, port = os.environ.get("REDIS_ADDR", "127.0.0.1:6379").rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            answer = conn.recv(64).strip().decode(errors="replace").lstrip("+")
    except OSError as exc:
        answer = f"error {exc.__class__.__name__}"
    body = f"app says hello; redis={answer}\n".encode()
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
# start-stack ROLE ADDRESS: configure the role's service for this guest's address, start it as its package does
# without systemd, then sshd (all daemons; PID 1 stays `sleep infinity`).
set -e
ROLE=$1 ADDR=$2
printf '%s\n' "$AUTHORIZED_KEY" > /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
as_app() { setpriv --reuid=app --regid=app --init-groups "$@" </dev/null >/dev/null 2>&1 & }
case "$ROLE" in
web)
  cat > /etc/nginx/sites-available/default <<EOF
server {
  listen $ADDR:80;
  location / { proxy_pass http://$APP_ADDR:8000; }
}
EOF
  sed -i 's/^\s*worker_processes.*/worker_processes 1;/' /etc/nginx/nginx.conf
  service nginx start ;;
app)
  setpriv --reuid=app --regid=app --init-groups gunicorn --bind "$ADDR:8000" --workers 1 --chdir /srv/app \
    --env "REDIS_ADDR=$REDIS_ADDR:6379" --daemon --pid /tmp/gunicorn.pid app:application ;;
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
esac
/usr/sbin/sshd -o ListenAddress="$ADDR:$SSH_PORT" -o PermitRootLogin=prohibit-password \
  -o PasswordAuthentication=no -o UseDNS=no
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
        "files/usr/local/sbin/start-stack": (START_SH.encode(), 0o755),
    }
    digest = hashlib.sha256(repr(sorted((k, v[0]) for k, v in files.items())).encode() + GO_SRC.encode())
    with tempfile.TemporaryDirectory() as tmp:
        files["files/usr/local/bin/hello-go"] = (go_binary(Path(tmp)), 0o755)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, (data, mode) in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue(), digest.hexdigest()[:12]


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

    stacks: list[Stack]
    inventory_path: Path
    key_path: Path
    containers: dict[str, Any] = field(default_factory=dict)


def write_inventory(path: Path, stacks: list[Stack], key: Path) -> Path:
    """A YAML inventory of the guests, host name = role, as a user would write it."""
    inventory = {"all": {
        "vars": {"ansible_user": "root", "ansible_ssh_private_key_file": str(key), "ansible_port": SSH_PORT,
                 "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                                            "-o ConnectTimeout=5",
                 "ansible_python_interpreter": "/usr/bin/python3"},
        "hosts": {stack.role: {"ansible_host": stack.address} for stack in stacks}}}
    path.write_text(yaml.safe_dump(inventory, sort_keys=True))
    return path


@contextlib.contextmanager
def running_stacks(client: Any, base_image: str, workdir: Path, roles: list[str]) -> Iterator[StackGuests]:
    """Start the named stack guests in parallel; wait until each answers on its port; remove them afterwards."""
    image = ensure_stack_image(client, base_image)
    stacks = [STACKS[role] for role in roles]
    busy = [f"{s.address}:{port}" for s in stacks for port in (SSH_PORT, s.port) if _port_open(s.address, port)]
    if busy:
        raise RuntimeError(f"something already answers on {', '.join(busy)}: the stack guests need these")
    for stale in client.containers.list(all=True, filters={"label": LABEL}):
        with contextlib.suppress(Exception):
            stale.remove(force=True)
    key = make_ssh_key(workdir)
    env = {"AUTHORIZED_KEY": key.with_suffix(".pub").read_text().strip(), "SSH_PORT": str(SSH_PORT),
           "APP_ADDR": STACKS["app"].address, "REDIS_ADDR": STACKS["redis"].address}
    guests = StackGuests(stacks, write_inventory(workdir / "inventory.yml", stacks, key), key)

    def start(stack: Stack) -> None:
        container = client.containers.run(
            image, name=f"planner-stack-{stack.role}-{int(time.time() * 1000) % 100000}", detach=True,
            network_mode="host", cap_add=["SYS_PTRACE"], hostname=stack.role, labels={LABEL: stack.role},
            environment=env)
        guests.containers[stack.role] = container
        code, output = container.exec_run(["/usr/local/sbin/start-stack", stack.role, stack.address],
                                          environment=env)
        if code != 0:
            raise RuntimeError(f"starting {stack.role} failed ({code}): {output.decode(errors='replace')}")

    try:
        # the vfs storage driver copies the image per container: create them in parallel
        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(start, stack) for stack in stacks]:
                future.result()
        for stack in stacks:
            _wait_for(lambda s=stack: _port_open(s.address, s.port), f"{stack.role} on {stack.address}:{stack.port}",
                      timeout=120)
            _wait_for(lambda s=stack: _port_open(s.address, SSH_PORT), f"sshd of {stack.role}")
        yield guests
    finally:
        for container in guests.containers.values():
            with contextlib.suppress(Exception):
                container.remove(force=True)
