"""The agent's HTTP listener: /metrics, /healthz, /api/status, /api/sd and the status page at /.

Built for clients that are hostile or just unlucky (issue 13), because the listener shares a
process, and its file descriptors, with the probes whose verdict it reports:

- One thread runs the listener's own asyncio loop. An idle or slow client costs a socket and a
  few KiB, never a thread, and the daemon's loop (probe timing) never waits on a client.
- The answers (collect() for /metrics, the status page) are made by a small pool of worker
  threads: a slow collect delays scrapes, never the accepting and reading of connections.
- TLS is negotiated per connection, after accept, with a deadline: a client that connects and
  says nothing holds only its own connection.
- Every connection has deadlines: the TLS handshake, the request head from its first byte
  (slowloris), the idle time between keep-alive requests, writing the answer.
- The listen backlog is real (1024, as far as net.core.somaxconn allows).
- The connection limit comes from the fd budget: at most about half of the descriptors above a
  reserve of 256 (see connection_limit), so probes always have descriptors. At the limit the
  longest-idle connection is closed to make room: the newest scraper is answered.
- Request bodies are refused unread (no route takes one); malformed requests get a 4xx and the
  connection is closed. Nothing is logged per request: one rate-limited line per minute.

prometheus_client's WSGI app still makes /metrics (content negotiation, OpenMetrics, gzip,
`name[]`): the listener hands it a WSGI environ.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gzip
import io
import json
import logging
import re
import resource
import socket
import ssl
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, unquote

from prometheus_client.exposition import choose_encoder, gzip_accepted
from prometheus_client.registry import CollectorRegistry

from agent.config import ListenAuth, ListenTls

log = logging.getLogger("ozon_probe")

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

BACKLOG = 1024  # the kernel caps it at net.core.somaxconn
HEADER_TIMEOUT = 10.0  # the request line and headers, from their first byte
IDLE_TIMEOUT = 30.0  # keep-alive: from one answer to the next request's first byte
HANDSHAKE_TIMEOUT = 10.0
WRITE_TIMEOUT = 10.0
MAX_HEAD_BYTES = 16 * 1024  # request line plus headers; a browser sends under 2 KiB
MAX_REQUEST_LINE = 8 * 1024
MAX_HEADERS = 100
WORKERS = 4
FD_RESERVE = 256  # descriptors kept for probes, logs and the config file whatever happens
LOG_EVERY = 60.0
METRICS_CACHE = 1.0  # seconds a rendered /metrics is served again; rounds are >= 1 s apart

# read by a person in a browser: in each of the agent's languages
_UNAUTHORIZED = (
    "401: this agent needs a user name and password\n"
    "401: агенту нужны имя пользователя и пароль\n"
    "401: 此代理需要用户名和密码\n"
).encode()

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")


def connection_limit(fds: int) -> int:
    """Connections the listener may hold when the process may open `fds` descriptors: half of
    what lies above FD_RESERVE, between 4 and 512 (systemd's default 1024 gives 384). The cap
    also keeps descriptor numbers low for code that still uses select()."""
    return max(4, min(512, (fds - FD_RESERVE) // 2))


def fd_budget(want: int = 4096) -> int:
    """Raise the soft RLIMIT_NOFILE towards the hard limit (up to `want`) and return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return want
    if soft < want:
        target = want if hard == resource.RLIM_INFINITY else min(hard, want)
        if target > soft:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
                soft = target
    return soft


class _Reporter:
    """One log line per LOG_EVERY seconds for a kind of refusal, counting the ones it did not
    log: a client that sends garbage in a loop cannot fill the journal."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.last = -LOG_EVERY
        self.unlogged = 0
        self.lock = threading.Lock()

    def note(self, detail: str, traceback: bool = False) -> None:
        now = time.monotonic()
        with self.lock:
            if now - self.last < LOG_EVERY:
                self.unlogged += 1
                return
            more, self.unlogged, self.last = self.unlogged, 0, now
        extra = f"; {more} more since the last such line" if more else ""
        log.warning(
            "listener: %s: %s (logged at most once a minute%s)", self.what, detail, extra,
            exc_info=traceback,
        )  # fmt: skip


class _Refused(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _Conn:
    __slots__ = ("busy", "since", "transport")

    def __init__(self, now: float) -> None:
        self.transport: asyncio.WriteTransport | None = None
        self.since = now  # connected, or last answered: the longest idle is evicted first
        self.busy = False  # a request is being answered: never evicted


class AgentServer:
    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        healthy: Callable[[], tuple[bool, str]],
        status: Callable[[str], dict[str, Any]],
        page: Callable[[Environ], tuple[str, bytes]] | None = None,
        routes: dict[str, Callable[[Environ], tuple[str, bytes]]] | None = None,
        discovery: Callable[[Environ], list[dict[str, Any]]] | None = None,
        auth: ListenAuth | None = None,
        max_connections: int | None = None,
        header_timeout: float = HEADER_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        metrics_cache: float = METRICS_CACHE,
        metrics_epoch: Callable[[], object] = lambda: None,
    ) -> None:
        self.registry = registry
        self.metrics_cache = metrics_cache
        # a value that changes when the metrics must be rendered anew at once (a reload):
        # an operator who reloads and looks expects to see it, not a second-old render
        self.metrics_epoch = metrics_epoch
        self._rendered: dict[tuple[str, bool, tuple[str, ...]], tuple[float, object, bytes]] = {}
        self._render_lock = threading.Lock()
        self.healthy = healthy
        self.status = status
        self.page = page
        #: more paths the daemon serves (/api/history, /api/incidents, /report): (type, body)
        self.routes = dict(routes or {})
        self.discovery = discovery
        self.basic_auth: Any = None
        if auth is not None:
            from agent.webauth import BasicAuth

            self.basic_auth = BasicAuth(auth.basic_auth_users)
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.idle_timeout = idle_timeout
        self.handshake_timeout = handshake_timeout
        self._bad_requests = _Reporter("refused malformed requests")
        self._bad_credentials = _Reporter("401 for wrong or missing credentials")
        self._failures = _Reporter("failed to answer")
        self._no_fds = _Reporter("out of file descriptors, not accepting for 0.1 s")
        self._conns: set[_Conn] = set()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._tls: ssl.SSLContext | None = None
        self._scheme = "http"

    # -- the WSGI side: routes (run on the worker threads) -------------------------------------

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/healthz":  # open even with basic auth: a liveness check carries no data
            ok, why = self.healthy()
            return _reply(start_response, "200 OK" if ok else "503 Service Unavailable",
                          "text/plain; charset=utf-8", (why + "\n").encode())  # fmt: skip
        if self.basic_auth is not None and not self.basic_auth.allows(
            environ.get("HTTP_AUTHORIZATION")
        ):
            self._bad_credentials.note(f"from {environ.get('REMOTE_ADDR', '?')}")
            start_response(
                "401 Unauthorized",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("WWW-Authenticate", 'Basic realm="ozon-probe", charset="UTF-8"'),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [_UNAUTHORIZED]
        if path == "/metrics":
            ctype, gzipped, body = self._metrics(environ)
            status = "200 OK"
            start_response(status, [("Content-Type", ctype)] + (
                [("Content-Encoding", "gzip")] if gzipped else []
            ))  # fmt: skip
            return [body]
        if path == "/api/status":
            # the findings worded in ?lang= (codes and parameters are there whatever the lang)
            lang = parse_qs(str(environ.get("QUERY_STRING", ""))).get("lang", ["en"])[0]
            body = json.dumps(self.status(lang), ensure_ascii=False, indent=1).encode()
            return _reply(start_response, "200 OK", "application/json; charset=utf-8", body)
        if path in self.routes:
            ctype, body = self.routes[path](environ)
            return _reply(start_response, "200 OK", ctype, body)
        if path == "/api/sd" and self.discovery is not None:
            # Prometheus HTTP service discovery: a Prometheus beside the agent (the fleet's
            # office side) learns the site and country labels from the agent itself
            body = json.dumps(self.discovery(environ), ensure_ascii=False).encode()
            return _reply(start_response, "200 OK", "application/json; charset=utf-8", body)
        if path == "/" and self.page is not None:
            ctype, body = self.page(environ)
            return _reply(start_response, "200 OK", ctype, body)
        return _reply(start_response, "404 Not Found", "text/plain", b"not found\n")

    def _metrics(self, environ: Environ) -> tuple[str, bool, bytes]:
        """The exposition, as prometheus_client makes it (its encoder for the Accept header,
        OpenMetrics included; gzip; `name[]`), kept for METRICS_CACHE seconds: a collect costs
        milliseconds of CPU under the GIL the probes share, and 200 scrapers a second would
        otherwise run 200 collects a second. One collect at a time; a scrape that waits for it
        gets its output. The key holds only what changes the bytes, so odd headers cannot
        force a collect each."""
        encoder, ctype = choose_encoder(str(environ.get("HTTP_ACCEPT", "")))
        gzipped = gzip_accepted(str(environ.get("HTTP_ACCEPT_ENCODING", "")))
        names = tuple(sorted(parse_qs(environ.get("QUERY_STRING", "")).get("name[]", [])))
        key = (ctype, gzipped, names)
        epoch = self.metrics_epoch()
        body = self._fresh(key, epoch)
        if body is not None:
            return ctype, gzipped, body
        with self._render_lock:
            body = self._fresh(key, epoch)  # rendered while this scrape waited for the lock
            if body is not None:
                return ctype, gzipped, body
            registry = self.registry.restricted_registry(list(names)) if names else self.registry
            body = encoder(registry)
            if gzipped:
                body = gzip.compress(body)
            if len(self._rendered) >= 16:  # name[] lists are the client's: keep a few only
                self._rendered.clear()
            self._rendered[key] = (time.monotonic(), epoch, body)
            return ctype, gzipped, body

    def _fresh(self, key: tuple[str, bool, tuple[str, ...]], epoch: object) -> bytes | None:
        hit = self._rendered.get(key)
        if hit is None or time.monotonic() - hit[0] >= self.metrics_cache or hit[1] != epoch:
            return None
        return hit[2]

    def _answer(self, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
        got: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
            got[:] = [status, headers]

        try:
            chunks = self(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            return str(got[0]), list(got[1]), body
        except Exception:  # a bug of ours, not the client's: logged with its traceback, rarely
            self._failures.note(_route(environ), traceback=True)
            return "500 Internal Server Error", [("Content-Type", "text/plain")], b"error\n"

    # -- the socket side --------------------------------------------------------------------------

    def start(self, host: str, port: int, tls: ListenTls | None = None) -> None:
        fds = fd_budget()
        if self.max_connections is None:
            self.max_connections = connection_limit(fds)
            if fds < 1024:
                log.warning(
                    "only %d file descriptors (ulimit -n): the listener keeps at most %d "
                    "connections; raise LimitNOFILE for a busier agent",
                    fds, self.max_connections,
                )  # fmt: skip
        if tls is not None:
            self._tls = _server_context(tls)
            self._scheme = "https"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, backlog=BACKLOG)
        sock.setblocking(False)
        self._sock = sock
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="http-answer")
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="http", daemon=True)
        self._thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.run(self._main(ready))

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        accepting = asyncio.create_task(self._accept())
        ready.set()
        try:
            await self._stop.wait()
        finally:
            accepting.cancel()
            for conn in list(self._conns):
                if conn.transport is not None:
                    conn.transport.abort()

    async def _accept(self) -> None:
        # our own accept loop, not asyncio.start_server's: that one accepts up to `backlog`
        # connections in a burst before any handler can count them, so 1019 idle clients
        # still took every descriptor. Here each connection is counted before the next accept
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        while True:
            try:
                client, _ = await loop.sock_accept(self._sock)
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # the probes hold the rest: wait for them rather than spin
                    self._no_fds.note(e.strerror or "accept failed")
                    await asyncio.sleep(0.1)
                continue  # ECONNABORTED and the like: that client is gone already
            conn = _Conn(loop.time())
            if not self._make_room():
                client.close()  # every connection is mid-answer: this one waits for no one
                continue
            self._conns.add(conn)

            def serve(
                r: asyncio.StreamReader, w: asyncio.StreamWriter, conn: _Conn = conn
            ) -> Coroutine[Any, Any, None]:
                return self._serve(r, w, conn)

            def protocol() -> asyncio.StreamReaderProtocol:
                reader = asyncio.StreamReader(limit=MAX_HEAD_BYTES)
                return asyncio.StreamReaderProtocol(reader, serve)

            try:
                transport, _ = await loop.connect_accepted_socket(protocol, client)
            except OSError:
                self._conns.discard(conn)
                client.close()
                continue
            conn.transport = transport

    @property
    def port(self) -> int:
        assert self._sock is not None
        return int(self._sock.getsockname()[1])

    @property
    def open_connections(self) -> int:
        return len(self._conns)

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended already
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._sock is not None:
            self._sock.close()
        self._loop = self._stop = None

    def _make_room(self) -> bool:
        """At the connection limit, close the longest-idle connection; False when every
        connection is being answered."""
        if len(self._conns) < (self.max_connections or 1):
            return True
        idle = [c for c in self._conns if not c.busy and c.transport is not None]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c.since)
        self._conns.discard(oldest)  # now: its task ends only on the loop's next turns
        if oldest.transport is not None:
            oldest.transport.abort()
        return True

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: _Conn
    ) -> None:
        conn.transport = writer.transport
        peer = _peer(writer)
        try:
            if self._tls is not None:
                try:
                    await writer.start_tls(self._tls, ssl_handshake_timeout=self.handshake_timeout)
                except (OSError, ConnectionError, TimeoutError, asyncio.IncompleteReadError):
                    self._bad_requests.note(f"TLS handshake failed or timed out from {peer}")
                    return
                conn.transport = writer.transport
            await self._requests(reader, writer, conn, peer)
        except (OSError, ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the client went away or was evicted: nothing to tell anyone
        except asyncio.CancelledError:
            pass  # stop(): ending quietly, or asyncio's stream callback logs the cancellation
        except Exception:
            self._failures.note(f"a connection from {peer}", traceback=True)
        finally:
            self._conns.discard(conn)
            writer.transport.abort()

    async def _requests(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: _Conn, peer: str
    ) -> None:
        loop = asyncio.get_running_loop()
        first = True
        while True:
            conn.busy = False
            try:
                async with asyncio.timeout(self.header_timeout if first else self.idle_timeout):
                    start = await reader.read(1)
                if not start:
                    return  # closed between requests: the normal end of keep-alive
                async with asyncio.timeout(self.header_timeout):
                    head = start + await reader.readuntil(b"\r\n\r\n")
            except TimeoutError:
                if not first or reader.at_eof():
                    return
                await _error(writer, "408 Request Timeout", "the request did not arrive in time")
                return
            except asyncio.LimitOverrunError:
                self._bad_requests.note(f"request head over {MAX_HEAD_BYTES} bytes from {peer}")
                await _error(writer, "431 Request Header Fields Too Large", "header too large")
                return
            except asyncio.IncompleteReadError:
                return  # closed in the middle of a request
            first = False
            conn.busy = True
            try:
                environ, keep_alive, head_only = self._environ(head, writer, peer)
            except _Refused as e:
                self._bad_requests.note(f"{e.status[:3]} ({e.reason}) from {peer}")
                await _error(writer, e.status, e.reason)
                return
            assert self._pool is not None
            status, headers, body = await loop.run_in_executor(self._pool, self._answer, environ)
            names = {k.lower() for k, _ in headers}
            lines = [f"HTTP/1.1 {status}"]
            lines += [f"{k}: {v}" for k, v in headers if k.lower() not in ("connection",)]
            if "content-length" not in names:
                lines.append(f"Content-Length: {len(body)}")
            lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
            data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            if writer.is_closing():
                return
            writer.write(data if head_only else data + body)
            async with asyncio.timeout(WRITE_TIMEOUT):
                await writer.drain()
            conn.since = loop.time()
            if not keep_alive:
                return

    def _environ(
        self, head: bytes, writer: asyncio.StreamWriter, peer: str
    ) -> tuple[Environ, bool, bool]:
        lines = head[:-4].split(b"\r\n")
        request_line = lines[0]
        if len(request_line) > MAX_REQUEST_LINE:
            raise _Refused("414 URI Too Long", "request line too long")
        parts = request_line.split(b" ")
        if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]):
            raise _Refused("400 Bad Request", "not an HTTP request line")
        method_b, target, version_b = parts
        version = _VERSION.fullmatch(version_b)
        if version is None:
            raise _Refused("400 Bad Request", "not an HTTP version")
        if version_b not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise _Refused("505 HTTP Version Not Supported", "only HTTP/1.0 and 1.1")
        if len(lines) - 1 > MAX_HEADERS:
            raise _Refused("431 Request Header Fields Too Large", "too many header fields")
        environ: Environ = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not _TOKEN.fullmatch(name) or _BAD_VALUE.search(value):
                raise _Refused("400 Bad Request", "malformed header field")
            key = name.decode("ascii").upper().replace("-", "_")
            text = value.strip(b" \t").decode("latin-1")
            key = key if key in ("CONTENT_LENGTH", "CONTENT_TYPE") else "HTTP_" + key
            environ[key] = f"{environ[key]},{text}" if key in environ else text
        if "HTTP_TRANSFER_ENCODING" in environ:
            raise _Refused("413 Content Too Large", "request bodies are not accepted")
        length = environ.get("CONTENT_LENGTH", "0")
        if not (length.isascii() and length.isdigit()):
            raise _Refused("400 Bad Request", "Content-Length is not a number")
        if int(length) > 0:
            raise _Refused("413 Content Too Large", "request bodies are not accepted")
        method = method_b.decode("ascii")
        if method not in ("GET", "HEAD"):
            raise _Refused("405 Method Not Allowed", "only GET and HEAD")
        if not target.startswith(b"/"):
            raise _Refused("400 Bad Request", "the target must be a path")
        path, _, query = target.partition(b"?")
        tokens = {t.strip().lower() for t in environ.get("HTTP_CONNECTION", "").split(",")}
        keep_alive = version_b == b"HTTP/1.1" and "close" not in tokens
        sockname = writer.get_extra_info("sockname") or ("", 0)
        environ.update(
            {
                # prometheus_client answers HEAD with 405: the body is made and then dropped
                "REQUEST_METHOD": "GET",
                "SCRIPT_NAME": "",
                "PATH_INFO": unquote(path.decode("latin-1"), encoding="latin-1"),
                "QUERY_STRING": query.decode("latin-1"),
                "SERVER_NAME": str(sockname[0]),
                "SERVER_PORT": str(sockname[1]),
                "SERVER_PROTOCOL": version_b.decode("ascii"),
                "REMOTE_ADDR": peer,
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": self._scheme,
                "wsgi.input": io.BytesIO(b""),
                "wsgi.errors": io.StringIO(),
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
        )
        return environ, keep_alive, method == "HEAD"


async def _error(writer: asyncio.StreamWriter, status: str, reason: str) -> None:
    if writer.is_closing():
        return
    body = (status + ": " + reason + "\n").encode("latin-1")
    writer.write(
        (
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode("latin-1")
        + body
    )
    with contextlib.suppress(OSError, ConnectionError, TimeoutError):
        async with asyncio.timeout(WRITE_TIMEOUT):
            await writer.drain()


def _route(environ: Environ) -> str:
    # a client's path is never logged as sent: it may carry newlines or terminal escapes
    path = environ.get("PATH_INFO", "")
    known = ("/", "/metrics", "/healthz", "/api/status", "/api/sd", "/api/history",
             "/api/incidents", "/report")  # fmt: skip
    return str(path) if path in known else "?"


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else "?"


def _server_context(tls: ListenTls) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(tls.cert_file, tls.key_file)
    if tls.client_ca_file:
        context.load_verify_locations(cafile=tls.client_ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


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
