"""A tiny HTTPS proxy on 127.0.0.1 in front of the simulator that breaks one chosen answer on purpose.

Everything is forwarded as is, except the first answer to a request whose body holds every byte string of
`trigger` (by default the VirtualMachine RetrievePropertiesEx): that one is truncated, corrupted, replaced by a
SOAP fault, given a DOCTYPE, or the connection is dropped, as `mode` says.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MODES = ("truncate", "cut-clean", "corrupt", "drop", "fault", "doctype")
VM_RETRIEVE = (b"<RetrievePropertiesEx", b"<type>VirtualMachine</type>")

SOAP_FAULT = (b'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/'
              b'soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
              b'<faultcode>ServerFaultCode</faultcode><faultstring>vpxd is out of memory</faultstring><detail>'
              b'<SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError"><reason>vpxd is out of memory</reason>'
              b'</SystemErrorFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>')


def _mangle(mode: str, body: bytes) -> bytes:
    if mode == "corrupt":
        middle = len(body) // 2
        return body[:middle] + b"</val></oops><<&" + body[middle:]
    if mode == "doctype":
        header, _, rest = body.partition(b"?>")
        return header + b'?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/hostname">]>' + rest
    return body


class SoapProxy:
    """Forwards to `upstream_port` (TLS, verified with `upstream_ca`) and serves TLS with `certificate`."""

    def __init__(self, upstream_port: int, upstream_ca: Path, certificate: tuple[Path, Path], mode: str,
                 trigger: tuple[bytes, ...] = VM_RETRIEVE) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        self.mode = mode
        self.broken = 0
        lock = threading.Lock()
        upstream_context = ssl.create_default_context(cafile=str(upstream_ca))
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = http.client.HTTPSConnection("127.0.0.1", upstream_port, context=upstream_context,
                                                       timeout=60)
                try:
                    upstream.request(self.command, self.path, body, headers)
                    answer = upstream.getresponse()
                    payload, status, reply_headers = answer.read(), answer.status, answer.getheaders()
                finally:
                    upstream.close()
                with lock:
                    chosen = all(needle in body for needle in trigger) and proxy.broken == 0
                    if chosen:
                        proxy.broken += 1
                if chosen:
                    self._broken(payload)
                    return
                self._reply(status, reply_headers, payload)

            def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _broken(self, payload: bytes) -> None:
                mode = proxy.mode
                xml = [("Content-Type", "text/xml; charset=utf-8")]
                if mode == "drop":
                    self.close_connection = True
                    return
                if mode == "fault":
                    self._reply(500, xml, SOAP_FAULT)
                    return
                if mode in ("corrupt", "doctype"):
                    self._reply(200, xml, _mangle(mode, payload))
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                if mode == "truncate":  # promises the whole body, sends half, hangs up
                    self.send_header("Content-Length", str(len(payload)))
                else:  # cut-clean: a body delimited by the end of the connection, which ends early
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload[:len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _forward

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.cert_path = certificate[0]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SoapProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
