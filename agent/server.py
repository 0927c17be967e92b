"""The agent's HTTP server: /metrics, /healthz, /api/status and the status page at /.

prometheus_client's own WSGI app serves /metrics; its threading server and TLS context builder
give the listener optional TLS and client-certificate authentication.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer, _get_ssl_ctx
from prometheus_client.registry import CollectorRegistry

from agent.config import ListenTls

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes are not news
        pass


class AgentServer:
    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        healthy: Callable[[], tuple[bool, str]],
        status: Callable[[], dict[str, Any]],
        page: Callable[[Environ], tuple[str, bytes]] | None = None,
    ) -> None:
        self.metrics_app = make_wsgi_app(registry)
        self.healthy = healthy
        self.status = status
        self.page = page
        self._httpd: Any = None
        self._thread: threading.Thread | None = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            return self.metrics_app(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            ok, why = self.healthy()
            return _reply(start_response, "200 OK" if ok else "503 Service Unavailable",
                          "text/plain; charset=utf-8", (why + "\n").encode())  # fmt: skip
        if path == "/api/status":
            body = json.dumps(self.status(), ensure_ascii=False, indent=1).encode()
            return _reply(start_response, "200 OK", "application/json; charset=utf-8", body)
        if path == "/" and self.page is not None:
            ctype, body = self.page(environ)
            return _reply(start_response, "200 OK", ctype, body)
        return _reply(start_response, "404 Not Found", "text/plain", b"not found\n")

    def start(self, host: str, port: int, tls: ListenTls | None = None) -> None:
        class Server(ThreadingWSGIServer):
            pass

        if ":" in host:
            import socket

            Server.address_family = socket.AF_INET6
        httpd = make_server(host, port, self, Server, handler_class=_QuietHandler)
        if tls is not None:
            context = _get_ssl_ctx(
                tls.cert_file,
                tls.key_file,
                protocol=_tls_server_protocol(),
                cafile=tls.client_ca_file or None,
                capath=None,
                client_auth_required=bool(tls.client_ca_file),
            )
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="http", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


def _tls_server_protocol() -> int:
    import ssl

    return ssl.PROTOCOL_TLS_SERVER


def _reply(start_response: StartResponse, status: str, ctype: str, body: bytes) -> Iterable[bytes]:
    start_response(
        status,
        [
            ("Content-Type", ctype),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [body]
