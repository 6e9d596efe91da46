"""Probes `planner verify` sends to an image and to the guest it came from: HTTP, Redis PING, SQL, TCP.

Each probe returns a ``ProbeAnswer``: whether it answered as expected and a short, comparable ``answer`` text
(HTTP status and body, the PING reply, the SQL server's handshake). Answers are bounded and never executed.
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_BODY = 4096
TIMEOUT = 5.0


@dataclass(frozen=True)
class ProbeAnswer:
    ok: bool
    answer: str
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "answer": self.answer, **({"detail": self.detail} if self.detail else {})}


def probe_http(address: str, port: int, path: str = "/", expect_status: int | None = 200) -> ProbeAnswer:
    """GET ``path``; ok when the status is ``expect_status`` (any status below 500 when None)."""
    conn = http.client.HTTPConnection(address, port, timeout=TIMEOUT)
    try:
        conn.request("GET", path or "/", headers={"Host": f"{address}:{port}", "User-Agent": "planner-verify"})
        response = conn.getresponse()
        body = response.read(MAX_BODY).decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException) as exc:
        return ProbeAnswer(False, "", f"no HTTP answer: {exc.__class__.__name__}: {exc}")
    finally:
        conn.close()
    ok = response.status == expect_status if expect_status is not None else response.status < 500
    return ProbeAnswer(ok, f"HTTP {response.status}\n{body}",
                       "" if ok else f"HTTP {response.status}, expected {expect_status}")


def _exchange(address: str, port: int, payload: bytes, size: int = 512) -> bytes:
    with socket.create_connection((address, port), timeout=TIMEOUT) as sock:
        if payload:
            sock.sendall(payload)
        return sock.recv(size)


def probe_redis(address: str, port: int) -> ProbeAnswer:
    """RESP ``PING``; ok on ``+PONG`` (an auth error is an answer too, just not ok)."""
    try:
        reply = _exchange(address, port, b"*1\r\n$4\r\nPING\r\n").split(b"\r\n", 1)[0]
    except OSError as exc:
        return ProbeAnswer(False, "", f"no Redis answer: {exc}")
    text = reply.decode("utf-8", errors="replace")
    return ProbeAnswer(text == "+PONG", text, "" if text == "+PONG" else f"PING answered {text!r}")


def probe_postgresql(address: str, port: int) -> ProbeAnswer:
    """The PostgreSQL wire protocol's SSLRequest: a server answers one byte, ``S`` or ``N``."""
    try:
        reply = _exchange(address, port, struct.pack("!II", 8, 80877103), 1)
    except OSError as exc:
        return ProbeAnswer(False, "", f"no PostgreSQL answer: {exc}")
    ok = reply in {b"S", b"N"}
    return ProbeAnswer(ok, f"postgresql ssl={reply.decode('ascii', errors='replace')}",
                       "" if ok else "not a PostgreSQL server answer")


def probe_mysql(address: str, port: int) -> ProbeAnswer:
    """The MySQL/MariaDB server greeting: protocol version 10 and the server version string."""
    try:
        packet = _exchange(address, port, b"", 512)
    except OSError as exc:
        return ProbeAnswer(False, "", f"no MySQL answer: {exc}")
    if len(packet) < 6:
        return ProbeAnswer(False, "", "short MySQL greeting")
    body = packet[4:]
    if body[0] == 0xFF and len(body) >= 3:  # an error packet before the handshake: still a MySQL server's answer
        code = int.from_bytes(body[1:3], "little")
        return ProbeAnswer(True, f"mysql error {code}", body[3:].decode("utf-8", errors="replace")[:200])
    version = body[1:].split(b"\x00", 1)[0].decode("utf-8", errors="replace")
    ok = body[0] == 10
    return ProbeAnswer(ok, f"mysql protocol {body[0]} server {version}", "" if ok else "unknown MySQL protocol")


def probe_tcp(address: str, port: int) -> ProbeAnswer:
    """A TCP connect."""
    try:
        socket.create_connection((address, port), TIMEOUT).close()
    except OSError as exc:
        return ProbeAnswer(False, "", f"port {port} does not accept connections: {exc}")
    return ProbeAnswer(True, "open")


def run_probe(spec: dict[str, Any], address: str) -> ProbeAnswer:
    """The probe of a generate.json ``probe`` entry against ``address``."""
    kind, port = spec.get("kind"), int(spec.get("port") or 0)
    probes: dict[str, Callable[[], ProbeAnswer]] = {
        "http": lambda: probe_http(address, port, str(spec.get("path") or "/"), spec.get("expect_status", 200)),
        "redis": lambda: probe_redis(address, port),
        "sql": lambda: (probe_mysql if spec.get("engine") == "mysql" else probe_postgresql)(address, port),
        "tcp": lambda: probe_tcp(address, port),
    }
    if kind not in probes or not port:
        return ProbeAnswer(False, "", f"unknown probe {kind!r} (port {port})")
    return probes[str(kind)]()


_POSTGRES_SSL = re.compile(r"^(postgresql) ssl=[SN]$")


def comparable(answer: str) -> str:
    """What ``--compare`` compares of an answer: all of it, except whether PostgreSQL offers TLS — an image never
    has the VM's key (secrets are not captured; generation turns ``ssl`` off with a TODO), so ``ssl=S`` on the guest
    and ``ssl=N`` in the image are the same server."""
    return _POSTGRES_SSL.sub(r"\1", answer)


SQL_SELECT_ONE = {
    "postgresql": (["psql", "-X", "-tAc", "SELECT 1"], "postgres"),
    "mysql": (["mysql", "-N", "-B", "-e", "SELECT 1"], "root"),
}


def sql_select_one(container: Any, engine: str) -> ProbeAnswer:
    """``SELECT 1`` through the server's own client inside the container (``docker exec``, local socket)."""
    argv, user = SQL_SELECT_ONE.get(engine, SQL_SELECT_ONE["postgresql"])
    try:
        code, output = container.exec_run(argv, user=user)
    except Exception as exc:  # the SDK raises APIError for a missing client binary
        return ProbeAnswer(False, "", f"docker exec {argv[0]} failed: {exc}")
    text = (output or b"").decode("utf-8", errors="replace").strip()
    ok = code == 0 and text.splitlines()[-1:] == ["1"]
    return ProbeAnswer(ok, text[-200:], "" if ok else f"{argv[0]} exited {code}: {text[-200:]}")
