#!/usr/bin/env python3
"""Probe one migrated service the way `planner verify` does; exit 0 when it answers as expected.

Usage: planner-probe.py PROBE_JSON ADDRESS   (PROBE_JSON: {"kind": "http"|"redis"|"sql"|"tcp", "port": N, ...})
Written by planner; standard library only, no shell.
"""
import http.client
import json
import socket
import sys


def http_probe(probe, address):
    connection = http.client.HTTPConnection(address, int(probe["port"]), timeout=10)
    connection.request("GET", probe.get("path") or "/")
    response = connection.getresponse()
    body = response.read(4096)
    expected = int(probe.get("expect_status") or 200)
    print(f"HTTP {response.status}: {body[:200]!r}")
    return response.status == expected


def redis_probe(probe, address):
    with socket.create_connection((address, int(probe["port"])), timeout=10) as sock:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        reply = sock.recv(64)
    print(f"redis: {reply!r}")
    return reply.startswith(b"+PONG")


def tcp_probe(probe, address):
    with socket.create_connection((address, int(probe["port"])), timeout=10):
        print(f"tcp {address}:{probe['port']} open")
    return True


PROBES = {"http": http_probe, "redis": redis_probe, "tcp": tcp_probe, "sql": tcp_probe}


def main():
    probe, address = json.loads(sys.argv[1]), sys.argv[2]
    try:
        ok = PROBES.get(probe.get("kind"), tcp_probe)(probe, address)
    except OSError as exc:
        print(f"{probe.get('kind')} probe of {address}:{probe.get('port')} failed: {exc}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
