"""HTTP/1.1 test server, plain or TLS, with per-virtual-host failure behaviours.

In-process:
    with WebServer(tls=(cert, key)) as ws:
        ws.port
        ws.set_behaviour("api-seller.ozon.ru", "seller_api", client_id="1", api_key="k")
        ws.set_behaviour("default", "status", status=503)
        ws.requests[-1].headers["api-key"]

Program (for the lab):
    python -m tests.support.webserver --listen IP:PORT [--listen IP2:PORT ...]
        [--cert C --key K] [--plain-listen IP:PORT ...] [--mode-file modes.json]
With --cert/--key every --listen is TLS; --plain-listen adds plain HTTP
listeners to the same process (port 80 next to 443). Prints
"ready HOST:PORT [HOST:PORT ...]" on stdout, runs until SIGTERM.

The behaviour is picked by the Host header (port and trailing dot ignored,
case-insensitive), falling back to "default"; for hang_tls, by the TLS SNI name.
Mode file (re-read when it changes; missing = everything "ok"):
    {"default": {"behaviour": "ok"},
     "api-seller.ozon.ru": {"behaviour": "status", "status": 503}}

Behaviours and their parameters (defaults in BEHAVIOURS):
    ok                      200 with a small HTML page
    status      status, body, headers       that status code, small text body
    seller_api  client_id, api_key, expires_at
                            Ozon Seller API: 401 code 16 without credentials or with
                            wrong ones; POST /v1/roles with the right ones -> 200 roles
    echo_key                401 whose JSON message quotes the received Api-Key
    hang                    read the request, never answer, hold the socket until stop()
    hang_tls                TLS: accept TCP but never finish the handshake
                            (plain listener: same as hang)
    slow        delay       wait `delay` s, then 200
    slow_body   delay, size headers at once, `size` body bytes trickled over `delay` s
    reset                   read the request, then close with a TCP RST
    garbage                 answer bytes that are not HTTP, then close
    big         size        200 with a `size`-byte body; the bytes the client acknowledged
                            (TCP_INFO) are appended to `big_acked` when the answer ends
    rate_limited retry_after 429, Retry-After, JSON code 8
Hostile answers (issue 13), each written byte by byte, then the connection closed:
    interim     interim, status         the 1xx answers in `interim` (e.g. [100, 103]), then
                                        `status` with a small body
    long_header size                    200 whose one header line is `size` bytes long
    negative_chunk                      chunked 200 whose first chunk size is -5
    bad_length  value                   200 with Content-Length: `value` (e.g. Arabic digits)
    raw         data                    exactly `data` (a latin-1 string: bytes 0-255)
"""

from __future__ import annotations

import argparse
import http.server
import json
import socket
import socketserver
import ssl
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import (
    ConnectionTracker,
    ModeFile,
    QuietServerMixin,
    ServerGroup,
    family_for,
    log,
    parse_hostport,
    run_until_signal,
    serve_in_thread,
)

COMPONENT = "webserver"

# behaviour -> default parameters; a parameter not listed here is rejected.
BEHAVIOURS: dict[str, dict[str, Any]] = {
    "ok": {},
    "status": {"status": 503, "body": None, "headers": {}},
    "seller_api": {"client_id": None, "api_key": None, "expires_at": "2027-03-01T00:00:00Z"},
    "echo_key": {"pad": 0, "upper": False, "extra": ""},
    "hang": {},
    "hang_tls": {},
    "slow": {"delay": 5.0},
    "slow_body": {"delay": 5.0, "size": 1024},
    "stall": {"after": 12000, "size": 65536},
    "reset": {},
    "garbage": {},
    "big": {"size": 10 * 1024 * 1024},
    "rate_limited": {"retry_after": 1},
    "interim": {"interim": [103], "status": 503},
    "long_header": {"size": 70 * 1024},
    "negative_chunk": {},
    "bad_length": {"value": "\u0661\u0660"},
    "raw": {"data": ""},
}
SELLER_ROLES = [{"name": "orders", "methods": ["/v3/posting/fbs/list"]}]
MSG_NO_CREDENTIALS = "Client-Id and Api-Key headers are required"
MSG_BAD_KEY = "Invalid Api-Key, please contact support"
MSG_RATE_LIMIT = "You have reached request rate limit per second"
# Starts like an SSH banner (a wrong service on the port) and goes binary.
GARBAGE = b"SSH-2.0-NotHttp\r\n\x00\xff\xfe\x01\x02garbage\x7f\x80\r\n\r\n"
_MAX_BODY = 16 * 1024 * 1024
_IDLE_TIMEOUT = 60.0  # keep-alive / stuck clients must not pin threads forever


@dataclass(frozen=True)
class Behaviour:
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def make(cls, name: str, **params: Any) -> Behaviour:
        if name not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {name!r}; known: {', '.join(BEHAVIOURS)}")
        unknown = set(params) - set(BEHAVIOURS[name])
        if unknown:
            raise ValueError(f"behaviour {name!r} does not take {sorted(unknown)}")
        merged = {**BEHAVIOURS[name], **params}
        for key in ("delay",):
            if key in merged:
                merged[key] = float(merged[key])
        for key in ("status", "size", "retry_after", "pad"):
            if key in merged:
                merged[key] = int(merged[key])
        return cls(name, merged)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    host: str  # normalised Host header ("" if none)
    headers: dict[str, str]  # lower-cased names
    body: bytes
    behaviour: str
    port: int  # the listener's port
    tls: bool
    time: float


def normalize_host(value: str | None) -> str:
    """'API-seller.ozon.ru.:443' -> 'api-seller.ozon.ru'; '[::1]:80' -> '::1'."""
    host = (value or "").strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":")[0]
    return host.rstrip(".")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real endpoints
    server_version = "ozon-probe-test"
    timeout = _IDLE_TIMEOUT
    server: _Listener

    def version_string(self) -> str:
        return self.server_version

    # --- connection setup: TLS happens here, in the connection's own thread ---

    def setup(self) -> None:
        self.ws = self.server.owner
        self.dead = False
        self.ws._connection_opened()
        context = self.server.ssl_context
        tls_sock = None
        if context is not None:
            tls_sock = context.wrap_socket(
                self.request, server_side=True, do_handshake_on_connect=False
            )
            self.request = tls_sock
        sock: socket.socket = self.request
        if not self.ws.tracker.add(sock):
            self.dead = True
            sock.close()
            return
        sock.settimeout(self.timeout)
        if tls_sock is not None:
            try:
                tls_sock.do_handshake()  # may block in the SNI callback (hang_tls)
            except (OSError, ValueError):  # ssl.SSLError is an OSError
                self.dead = True
                return
        super().setup()

    def handle(self) -> None:
        if not self.dead:
            super().handle()

    def finish(self) -> None:
        sock: socket.socket = self.request
        try:
            if not self.dead:
                super().finish()
        except OSError:
            pass
        finally:
            self.ws.tracker.discard(sock)
            sock.close()  # the TLS socket is ours to close; socketserver only knows the raw one

    def log_message(self, format: str, *args: Any) -> None:
        if self.ws.verbose:
            log(COMPONENT, f"{self.client_address[0]} {format % args}")

    # --- requests ---------------------------------------------------------------

    def _dispatch(self) -> None:
        body = self._read_body()
        host = normalize_host(self.headers.get("Host"))
        behaviour = self.ws.behaviour_for(host)
        self.ws._record(
            RequestRecord(
                method=self.command,
                path=self.path,
                host=host,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                behaviour=behaviour.name,
                port=self.server.server_address[1],
                tls=self.server.ssl_context is not None,
                time=time.time(),
            )
        )
        getattr(self, f"_do_{behaviour.name}")(behaviour.params)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, _MAX_BODY)) if length > 0 else b""

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/plain; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json", headers)

    def _hold(self) -> None:
        """Keep the socket open, unanswered, until the server stops."""
        self.close_connection = True
        self.ws.tracker.stopping.wait()

    # --- behaviours -------------------------------------------------------------

    def _do_ok(self, p: dict[str, Any]) -> None:
        page = b"<!doctype html><html><body><h1>ozon-probe test server: ok</h1></body></html>\n"
        self._send(200, page, "text/html; charset=utf-8")

    def _do_status(self, p: dict[str, Any]) -> None:
        body = p["body"] if p["body"] is not None else f"status {p['status']}\n"
        self._send(p["status"], body.encode(), headers=p["headers"])

    def _do_seller_api(self, p: dict[str, Any]) -> None:
        client_id, api_key = self.headers.get("Client-Id"), self.headers.get("Api-Key")
        if client_id is None or api_key is None:
            self._send_json(401, {"code": 16, "message": MSG_NO_CREDENTIALS})
        elif p["client_id"] is None or (client_id, api_key) != (p["client_id"], p["api_key"]):
            self._send_json(401, {"code": 16, "message": MSG_BAD_KEY})
        elif self.command == "POST" and self.path.split("?")[0] == "/v1/roles":
            self._send_json(200, {"roles": SELLER_ROLES, "expires_at": p["expires_at"]})
        else:
            self._send_json(404, {"code": 5, "message": "Not Found"})

    def _do_echo_key(self, p: dict[str, Any]) -> None:
        # a hostile or careless server quoting the key back: padded so that a cut at 200
        # characters would fall inside it, upper-cased, or with a forged log line after it
        key = self.headers.get("Api-Key", "")
        key = key.upper() if p["upper"] else key
        message = "x" * int(p["pad"]) + f'Invalid Api-Key "{key}"' + str(p["extra"])
        self._send_json(401, {"code": 16, "message": message})

    def _do_hang(self, p: dict[str, Any]) -> None:
        self._hold()

    def _do_hang_tls(self, p: dict[str, Any]) -> None:
        self._hold()  # handshake already done (plain listener or another SNI name)

    def _do_slow(self, p: dict[str, Any]) -> None:
        if self.ws.tracker.stopping.wait(p["delay"]):
            self.close_connection = True
            return
        self._do_ok(p)

    def _do_slow_body(self, p: dict[str, Any]) -> None:
        size, pieces = p["size"], max(1, min(10, p["size"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.flush()
        sent = 0
        for i in range(1, pieces + 1):
            if self.ws.tracker.stopping.wait(p["delay"] / pieces):
                self.close_connection = True
                return
            end = size * i // pieces
            self.wfile.write(b"s" * (end - sent))
            sent = end

    def _do_stall(self, p: dict[str, Any]) -> None:
        # a page of `size` bytes of which only `after` ever leave: the connection stays
        # open and silent, as behind a box that freezes it after so many bytes
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(p["size"]))
        self.end_headers()
        self.wfile.write(b"f" * p["after"])
        self.wfile.flush()
        self.ws.tracker.stopping.wait(_IDLE_TIMEOUT)
        self.close_connection = True

    def _do_reset(self, p: dict[str, Any]) -> None:
        # SO_LINGER 0 makes close() send RST instead of FIN. The fd only closes
        # once the makefile() objects are closed too.
        self.close_connection = True
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.request.close()

    def _do_garbage(self, p: dict[str, Any]) -> None:
        self.close_connection = True
        self.wfile.write(GARBAGE)

    def _do_big(self, p: dict[str, Any]) -> None:
        size = p["size"]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        block = b"b" * 65536
        remaining = size
        try:
            while remaining > 0:
                n = min(remaining, len(block))
                self.wfile.write(block[:n])
                remaining -= n
        finally:
            # what the client's kernel acknowledged is what the page cost on the wire; what
            # was written into our socket also counts our own send buffer, which it never saw
            self.ws._record_acked(_bytes_acked(self.request))

    def _raw(self, data: bytes) -> None:
        self.close_connection = True
        self.wfile.write(data)
        self.wfile.flush()

    def _do_interim(self, p: dict[str, Any]) -> None:
        head = b"".join(
            b"HTTP/1.1 %d Interim\r\nLink: </style.css>; rel=preload\r\n\r\n" % int(code)
            for code in p["interim"]
        )
        body = b"final status %d\n" % p["status"]
        final = b"HTTP/1.1 %d Final\r\nContent-Length: %d\r\n\r\n" % (p["status"], len(body))
        self._raw(head + final + body)

    def _do_long_header(self, p: dict[str, Any]) -> None:
        self._raw(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * p["size"] + b"\r\n\r\nbody")

    def _do_negative_chunk(self, p: dict[str, Any]) -> None:
        self._raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n")

    def _do_bad_length(self, p: dict[str, Any]) -> None:
        value = str(p["value"]).encode("utf-8")
        self._raw(b"HTTP/1.1 200 OK\r\nContent-Length: " + value + b"\r\n\r\n0123456789")

    def _do_raw(self, p: dict[str, Any]) -> None:
        self._raw(str(p["data"]).encode("latin-1"))

    def _do_rate_limited(self, p: dict[str, Any]) -> None:
        self._send_json(
            429, {"code": 8, "message": MSG_RATE_LIMIT}, {"Retry-After": str(p["retry_after"])}
        )


_TCP_INFO_BYTES_ACKED = 120  # offset of tcpi_bytes_acked (u64) in Linux's struct tcp_info


def _bytes_acked(sock: socket.socket) -> int:
    """Bytes of this connection the peer acknowledged (TLS records and HTTP headers included);
    -1 where the kernel does not say."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    except (OSError, ValueError):
        return -1
    if len(info) < _TCP_INFO_BYTES_ACKED + 8:
        return -1
    return int(struct.unpack_from("=Q", info, _TCP_INFO_BYTES_ACKED)[0])


class _Listener(QuietServerMixin, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True  # lab restarts must not trip over TIME_WAIT
    request_queue_size = 128
    component = COMPONENT

    def __init__(
        self, address: tuple[str, int], owner: WebServer, ssl_context: ssl.SSLContext | None
    ):
        self.address_family = family_for(address[0])
        self.owner = owner
        self.tracker = owner.tracker
        self.ssl_context = ssl_context
        super().__init__(address, _Handler)


class WebServer(ServerGroup):
    def __init__(
        self,
        tls: tuple[str | Path, str | Path] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        listen: Sequence[tuple[str, int]] | None = None,
        plain_listen: Sequence[tuple[str, int]] = (),
        mode_file: str | Path | None = None,
        verbose: bool = False,
    ):
        """tls=(cert, key) makes the `listen` listeners TLS (default one: host:port);
        `plain_listen` listeners are always plain HTTP."""
        self.tls = tls
        self.verbose = verbose
        self._listen = list(listen) if listen is not None else [(host, port)]
        self._plain_listen = list(plain_listen)
        self.host = self._listen[0][0] if self._listen else self._plain_listen[0][0]
        # (host, port) of every listener, `listen` ones first, then `plain_listen`; by start().
        self.addresses: list[tuple[str, int]] = []
        self.requests: list[RequestRecord] = []
        self.connections = 0  # TCP connections accepted (hang_tls ones included)
        self.big_acked: list[int] = []  # per `big` answer: bytes the client acknowledged
        self.tracker = ConnectionTracker()
        self._behaviours: dict[str, Behaviour] = {"default": Behaviour.make("ok")}
        self._lock = threading.Lock()
        self._mode_file = (
            ModeFile(mode_file, self._apply_mode_file, COMPONENT) if mode_file else None
        )
        self._servers: list[_Listener] = []

    @property
    def ports(self) -> list[int]:
        return [port for _, port in self.addresses]

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    # --- behaviours ---------------------------------------------------------------

    def set_behaviour(self, host: str = "default", behaviour: str = "ok", **params: Any) -> None:
        """set_behaviour("api-seller.ozon.ru", "status", status=503); host "default" = fallback."""
        table = dict(self._behaviours)
        table[host if host == "default" else normalize_host(host)] = Behaviour.make(
            behaviour, **params
        )
        self._behaviours = table  # replaced whole: handler threads read it without a lock

    def clear_behaviours(self) -> None:
        self._behaviours = {"default": Behaviour.make("ok")}

    def behaviour_for(self, host: str | None) -> Behaviour:
        if self._mode_file:
            self._mode_file.poll()
        table = self._behaviours
        return table.get(normalize_host(host), table["default"])

    def _apply_mode_file(self, data: dict[str, Any]) -> None:
        table = {"default": Behaviour.make("ok")}
        for host, spec in data.items():
            if not isinstance(spec, dict) or "behaviour" not in spec:
                raise ValueError(f"{host!r}: expected {{'behaviour': ..., params}}")
            params = {k: v for k, v in spec.items() if k != "behaviour"}
            key = host if host == "default" else normalize_host(host)
            table[key] = Behaviour.make(spec["behaviour"], **params)
        self._behaviours = table

    def _sni_callback(
        self, sock: ssl.SSLObject, server_name: str | None, ctx: ssl.SSLContext
    ) -> int | None:
        # Called with the ClientHello: the only moment a TLS-level hang can be
        # chosen per virtual host. Blocking here leaves the client waiting for a
        # ServerHello that never comes; on stop, abort so it never completes.
        if self.behaviour_for(server_name or "default").name == "hang_tls":
            self.tracker.stopping.wait()
            return ssl.ALERT_DESCRIPTION_HANDSHAKE_FAILURE
        return None

    # --- bookkeeping ----------------------------------------------------------------

    def _connection_opened(self) -> None:
        with self._lock:
            self.connections += 1

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def _record_acked(self, n: int) -> None:
        with self._lock:
            self.big_acked.append(n)

    def reset_log(self) -> None:
        with self._lock:
            self.requests = []
            self.connections = 0
            self.big_acked = []

    # --- lifecycle ------------------------------------------------------------------

    def _ssl_context(self) -> ssl.SSLContext:
        assert self.tls is not None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
        context.set_alpn_protocols(["http/1.1"])  # clients offering h2 fall back to 1.1
        context.sni_callback = self._sni_callback
        return context

    def start(self) -> WebServer:
        if self._mode_file:
            self._mode_file.poll()
        context = self._ssl_context() if self.tls else None
        specs = [(a, context) for a in self._listen] + [(a, None) for a in self._plain_listen]
        try:
            for address, ctx in specs:
                server = _Listener(address, self, ctx)
                self._servers.append(server)
                self.addresses.append((address[0], server.server_address[1]))
        except OSError:
            for server in self._servers:
                server.server_close()
            raise
        for server in self._servers:
            serve_in_thread(server, f"web-{server.server_address[1]}")
        return self


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Test HTTP/1.1 server with failure behaviours.")
    parser.add_argument("--listen", action="append", default=[], help="IP:PORT (TLS if --cert)")
    parser.add_argument("--plain-listen", action="append", default=[], help="IP:PORT, plain HTTP")
    parser.add_argument("--cert", type=Path)
    parser.add_argument("--key", type=Path)
    parser.add_argument("--mode-file", type=Path, help="JSON {host|default: {behaviour, params}}")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if not args.listen and not args.plain_listen:
        parser.error("give at least one --listen or --plain-listen")
    if (args.cert is None) != (args.key is None):
        parser.error("--cert and --key go together")
    server = WebServer(
        (args.cert, args.key) if args.cert else None,
        listen=[parse_hostport(a) for a in args.listen],
        plain_listen=[parse_hostport(a) for a in args.plain_listen],
        mode_file=args.mode_file,
        verbose=args.verbose,
    ).start()
    print("ready " + " ".join(f"{h}:{p}" for h, p in server.addresses), flush=True)
    try:
        run_until_signal()
    finally:
        server.stop()
        log(COMPONENT, f"stopped; {len(server.requests)} requests")


if __name__ == "__main__":
    main()
