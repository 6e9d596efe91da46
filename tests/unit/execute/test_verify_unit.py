"""Probes against real local servers, free-address picking, the index reader, and the CLI's failure lines."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from planner.cli import main
from planner.errors import InputError, NotFoundError
from planner.execute.docker_ops import free_address, port_free, remove
from planner.execute.probe import (
    comparable,
    probe_http,
    probe_mysql,
    probe_postgresql,
    probe_redis,
    probe_tcp,
    run_probe,
)
from planner.execute.verify import _groups, load_index

ADDR = "127.0.0.1"


@pytest.fixture
def http_server() -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"hello\n" if self.path == "/" else b"missing\n"
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((ADDR, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _one_shot(reply: bytes, greet: bool = False) -> int:
    """A TCP server answering one connection with ``reply`` (after reading a request unless ``greet``)."""
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            if not greet:
                self.request.recv(64)
            self.request.sendall(reply)

    server = socketserver.TCPServer((ADDR, 0), Handler)
    threading.Thread(target=server.handle_request, daemon=True).start()
    return int(server.server_address[1])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind((ADDR, 0))
        return int(sock.getsockname()[1])


def test_http_probe_status_and_body(http_server: int) -> None:
    assert probe_http(ADDR, http_server, "/").answer == "HTTP 200\nhello\n"
    missing = probe_http(ADDR, http_server, "/x", 200)
    assert not missing.ok and missing.answer.startswith("HTTP 404") and "expected 200" in missing.detail
    assert not probe_http(ADDR, _closed_port()).ok


def test_redis_sql_tcp_probes() -> None:
    assert probe_redis(ADDR, _one_shot(b"+PONG\r\n")).ok
    noauth = probe_redis(ADDR, _one_shot(b"-NOAUTH Authentication required.\r\n"))
    assert not noauth.ok and noauth.answer.startswith("-NOAUTH")
    assert probe_postgresql(ADDR, _one_shot(b"N")).answer == "postgresql ssl=N"
    greeting = b"\x0a10.11.6-MariaDB-0+deb12u1\x00" + b"\x00" * 20
    packet = len(greeting).to_bytes(3, "little") + b"\x00" + greeting
    mysql = probe_mysql(ADDR, _one_shot(packet, greet=True))
    assert mysql.ok and mysql.answer == "mysql protocol 10 server 10.11.6-MariaDB-0+deb12u1"
    assert probe_tcp(ADDR, _one_shot(b"", greet=True)).ok and not probe_tcp(ADDR, _closed_port()).ok
    assert not run_probe({"kind": "ftp", "port": 21}, ADDR).ok


def test_free_address_skips_busy_ports() -> None:
    import ipaddress

    network = ipaddress.IPv4Network("127.0.79.0/29")
    with socket.socket() as busy:
        busy.bind(("127.0.79.2", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken: set[str] = set()
        assert not port_free("127.0.79.2", port)
        assert free_address([port], taken, network) == "127.0.79.3"
        assert free_address([port], taken, network) == "127.0.79.4" and taken == {"127.0.79.3", "127.0.79.4"}


def _index(tmp_path: Path, images: list[dict[str, object]]) -> Path:
    (tmp_path / "generate.json").write_text(json.dumps({"format_version": 1, "images": images}))
    return tmp_path


def test_index_filters_groups_and_errors(tmp_path: Path) -> None:
    images = [{"name": "web-nginx", "vm_name": "web", "group": 1}, {"name": "app-python", "vm_name": "app",
                                                                    "group": 1}, {"name": "db", "vm_name": "db"}]
    folder = _index(tmp_path, images)
    assert [i["name"] for i in load_index(folder, ["web", "db"])] == ["web-nginx", "db"]
    assert [[i["name"] for i in g] for g in _groups(images)] == [["web-nginx", "app-python"], ["db"]]
    chained = [{"name": "web", "group": 4, "peers": {"app": "127.0.77.12"}}, {"name": "app", "group": 1,
               "peers": {"redis": "127.0.77.13"}}, {"name": "redis", "group": 2}, {"name": "lone", "group": 3}]
    assert [[i["name"] for i in g] for g in _groups(chained)] == [["web", "app", "redis"], ["lone"]]
    with pytest.raises(InputError, match="--vm nope names no image"):
        load_index(folder, ["nope"])
    with pytest.raises(NotFoundError):
        load_index(tmp_path / "missing")
    (tmp_path / "generate.json").write_text("{")
    with pytest.raises(InputError):
        load_index(folder)


def test_cli_without_docker_engine_is_one_line_exit_5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = _index(tmp_path, [{"name": "web-nginx", "vm_name": "web", "dir": "images/web-nginx"}])
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    with pytest.raises(SystemExit) as exited:
        main(["verify", str(folder)])
    assert exited.value.code == 5
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no Docker engine answers") and len(err.splitlines()) == 1


def test_cli_missing_folder_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["verify", str(tmp_path / "nope")])
    assert exited.value.code == 4 and "generate.json does not exist" in capsys.readouterr().err


def test_mysql_error_packet_is_an_answer() -> None:
    """MariaDB refusing the client's host (error 1130) still proves a MySQL server answers; compare sees the code."""
    body = b"\xff" + (1130).to_bytes(2, "little") + b"Host '127.0.0.1' is not allowed to connect"
    answer = probe_mysql(ADDR, _one_shot(len(body).to_bytes(3, "little") + b"\x00" + body, greet=True))
    assert answer.ok and answer.answer == "mysql error 1130" and "not allowed" in answer.detail


def test_remove_takes_the_anonymous_volumes_along() -> None:
    """An image's VOLUME gives every verify run an anonymous volume: removing the container must remove it too
    (``docker rm -f`` without ``-v`` left them to fill the disk)."""
    calls: list[dict[str, object]] = []

    class Container:
        def remove(self, **kwargs: object) -> None:
            calls.append(kwargs)

    class Gone:
        def remove(self, **kwargs: object) -> None:
            raise RuntimeError("No such container")

    remove([Container(), Gone(), Container()])
    assert calls == [{"force": True, "v": True}] * 2


def test_compare_takes_postgres_without_tls_for_the_same_server() -> None:
    """The guest offers TLS (ssl=S); the image cannot (its key is a secret, never captured: ssl turned off with a
    TODO). --compare must not call that a different answer; anything else still differs."""
    guest = probe_postgresql(ADDR, _one_shot(b"S")).answer
    image = probe_postgresql(ADDR, _one_shot(b"N")).answer
    assert guest != image and comparable(guest) == comparable(image) == "postgresql"
    assert comparable("mysql protocol 10 server 10.11.6") == "mysql protocol 10 server 10.11.6"
    assert comparable("HTTP 200\nssl=N") == "HTTP 200\nssl=N"
