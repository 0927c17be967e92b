"""A small HTTP/1.1 client on asyncio streams that times each phase and trusts no peer byte.

Why our own: the phases a seller's problem hides in (resolve, connect, TLS, waiting for the
first byte, transfer) are what general-purpose clients do not report, and a hostile or broken
server must end as `http_protocol` (evidence about that server) rather than as an exception
the diagnosis files under `internal`. One request per connection (`Connection: close`).

Limits, each a classified `http_protocol` error when passed: a status, header or chunk-size
line of at most `MAX_LINE` (64 KiB); at most `MAX_HEADERS` header lines and `MAX_HEADER_BYTES`
in all; at most `MAX_INTERIM` 1xx interim answers (100 Continue, 103 Early Hints are skipped,
as RFC 9110 section 15.2 says a client must; 101 is refused: we never ask to switch). The
body is read up to `max_body` bytes, or until `enough(status, headers, body_so_far)` says the
caller has what it judges by: the HTTP probe's default is status + headers + at most
`PROBE_BODY_CAP` (64 KiB, room for a JSON error object), so a large page costs no more.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from agent import __version__
from agent.net.errors import WireError, categorize_os_error, describe_os_error
from agent.results import ErrorCategory

from .deadline import within
from .tcp import bytes_received

USER_AGENT = f"ozon-probe/{__version__} (network health check)"
MAX_LINE = 64 * 1024
MAX_HEADERS = 100
MAX_HEADER_BYTES = 256 * 1024
MAX_INTERIM = 8
PROBE_BODY_CAP = 64 * 1024
CHUNK = 1 << 16

#: enough(status, headers, body_so_far) -> True to stop reading the body there
Enough = Callable[[int, Mapping[str, str], bytes], bool]
#: on_chunk(body_bytes_in_this_chunk, clock_now): streaming mode, the body is not kept
OnChunk = Callable[[int, float], None]
Resolve = Callable[[str], Awaitable[tuple[str, float]]]

_STATUS_RE = re.compile(rb"HTTP/1\.[0-9] ([0-9]{3})(?: [^\r\n]*)?\r?\n", re.ASCII)
_TOKEN_RE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CHUNK_RE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
_LENGTH_RE = re.compile(r"[0-9]{1,19}", re.ASCII)
# names the caller may not set: we frame the request ourselves
_OURS = frozenset({"host", "connection", "content-length", "transfer-encoding"})

STAGE_WORDS = {
    "resolve": "while resolving the name",
    "connect": "while connecting",
    "tls": "during the TLS handshake",
    "upload": "while sending the request body",
    "processing": "waiting for the first byte of the answer",
    "transfer": "while reading the answer",
}


@dataclass
class Response:
    """What one exchange saw; filled as it goes, so a failure still tells how far it got."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""  # empty in streaming mode (on_chunk)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per finished phase
    address: str = ""
    stage: str = "resolve"  # the phase in progress; "done" once the exchange finished
    bytes_read: int = 0  # body bytes received (payload, not chunk framing)
    bytes_sent: int = 0  # request body bytes sent
    interim: list[int] = field(default_factory=list)  # 1xx answers skipped
    complete: bool = False  # the body was read to its end, not cut by max_body or enough
    received: int = 0  # bytes the server delivered on the connection, TLS included (TCP_INFO)


class PhaseTimer:
    """`with timer.phase("connect"):` records the seconds of each phase that finished and
    leaves `response.stage` on the one in progress when something raised."""

    def __init__(self, response: Response, clock: Callable[[], float]) -> None:
        self.response = response
        self.clock = clock

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.response.stage = name
        started = self.clock()
        yield
        self.response.phases[name] = self.clock() - started


def _protocol(detail: str) -> WireError:
    return WireError(ErrorCategory.HTTP_PROTOCOL, detail)


async def _line(reader: asyncio.StreamReader, what: str) -> bytes:
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise _protocol(f"{what} longer than {MAX_LINE // 1024} KiB") from None
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            raise
        raise _protocol(f"the connection closed inside {what}") from None


def _request_head(
    method: str, url: str, headers: Mapping[str, str], length: int | None
) -> tuple[bytes, str, int, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WireError(ErrorCategory.INTERNAL, "the URL has no valid port") from None
    if parts.scheme not in ("http", "https") or not host:
        raise WireError(ErrorCategory.INTERNAL, "not an http(s) URL")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if port == (443 if parts.scheme == "https" else 80) else f"{host}:{port}"
    if ":" in host:
        host_header = f"[{host}]" if port in (80, 443) else f"[{host}]:{port}"
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host_header}",
        f"User-Agent: {USER_AGENT}",
        "Accept: */*",
        "Accept-Encoding: identity",  # bytes on the wire are the bytes we count
        "Connection: close",
    ]
    for name, value in headers.items():
        # the value is never quoted back: an Api-Key must not reach a log line or a label
        if not _TOKEN_RE.fullmatch(name.encode("latin-1", "replace")) or name.lower() in _OURS:
            raise WireError(ErrorCategory.INTERNAL, f"header name {name!r} cannot be sent")
        if not value.isascii() or any(c in value for c in "\r\n\0"):
            raise WireError(
                ErrorCategory.INTERNAL,
                f"the {name} header holds characters HTTP cannot carry (control or non-ASCII)",
            )
        lines.append(f"{name}: {value}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii", "strict")
    return head, host, port, parts.scheme


async def request(
    url: str,
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    timeout: float,
    resolve: Resolve,
    ssl_context: Callable[[], ssl.SSLContext],
    max_body: int,
    enough: Enough | None = None,
    on_chunk: OnChunk | None = None,
    upload_size: int = 0,
    on_sent: OnChunk | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Response:
    """One HTTP/1.1 exchange. Returns the Response (any status: judging it is the caller's);
    raises WireError, carrying the partial Response, for everything else.

    `upload_size` bytes of incompressible data are streamed as the body instead of `body`
    (throughput uploads); `on_sent(n, now)` follows them. `on_chunk(n, now)` switches the
    answer to streaming: bytes are counted and timed, not kept."""
    response = Response()
    timer = PhaseTimer(response, clock)
    started = clock()
    try:
        async with asyncio.timeout(timeout):
            await _exchange(
                url, method, body, headers or {}, resolve, ssl_context, max_body, enough,
                on_chunk, upload_size, on_sent, response, timer,
            )  # fmt: skip
    except WireError as e:
        e.response = response
        if e.category is ErrorCategory.TIMEOUT and response.stage == "resolve":
            e.category = ErrorCategory.DNS_TIMEOUT
        raise
    except (OSError, EOFError, TimeoutError, ValueError, ssl.SSLError) as e:
        # ValueError: asyncio's own limit errors, or bytes a codec refused; all the peer's
        category = categorize_os_error(e)
        if isinstance(e, ValueError) and not isinstance(e, ssl.SSLError | OSError):
            category = ErrorCategory.HTTP_PROTOCOL
        if category is ErrorCategory.TIMEOUT and response.stage == "resolve":
            category = ErrorCategory.DNS_TIMEOUT  # the name, not the host, never answered
        where = STAGE_WORDS.get(response.stage, "")
        raise WireError(category, f"{describe_os_error(e)} {where}".strip(), response) from None
    response.phases["total"] = clock() - started
    return response


async def _exchange(
    url: str,
    method: str,
    body: bytes,
    headers: Mapping[str, str],
    resolve: Resolve,
    ssl_context: Callable[[], ssl.SSLContext],
    max_body: int,
    enough: Enough | None,
    on_chunk: OnChunk | None,
    upload_size: int,
    on_sent: OnChunk | None,
    response: Response,
    timer: PhaseTimer,
) -> None:
    length = upload_size if upload_size else (len(body) if body or method == "POST" else None)
    head, host, port, scheme = _request_head(method, url, headers, length)
    response.stage = "resolve"
    response.address, response.phases["resolve"] = await resolve(host)
    with timer.phase("connect"):
        reader, writer = await asyncio.open_connection(response.address, port, limit=MAX_LINE)
    if on_chunk is None and not upload_size:
        _small_window(writer, max_body)
    finished = False
    try:
        if scheme == "https":
            with timer.phase("tls"):
                await writer.start_tls(ssl_context(), server_hostname=host)
        if upload_size:
            with timer.phase("upload"):
                writer.write(head)
                await _upload(writer, upload_size, response, on_sent, timer.clock)
        with timer.phase("processing"):
            if not upload_size:
                writer.write(head + body)
                response.bytes_sent = len(body)
            await writer.drain()
            status = await _status(reader, response)
        with timer.phase("transfer"):
            response.status = status
            response.headers = await _headers(reader)
            finished = await _body(reader, method, max_body, enough, on_chunk, response, timer)
        response.complete = finished
        response.stage = "done"
    finally:
        response.received = bytes_received(writer.get_extra_info("socket"))
        if not finished:
            writer.transport.abort()  # a cut-off answer: no need to drain the rest
        writer.close()
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            await within(writer.wait_closed(), 0.5)


def _small_window(writer: asyncio.StreamWriter, max_body: int) -> None:
    """A fixed receive buffer of about the body cap stops the kernel from growing the TCP
    window, so what a big page can push before the abort stays near the cap, not the
    autotuned megabytes (a health check on a metered line)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, max(4096, max_body))


async def _upload(
    writer: asyncio.StreamWriter,
    size: int,
    response: Response,
    on_sent: OnChunk | None,
    clock: Callable[[], float],
) -> None:
    block = os.urandom(CHUNK)  # incompressible: a compressing middlebox must not flatter us
    while response.bytes_sent < size:
        n = min(CHUNK, size - response.bytes_sent)
        writer.write(block[:n])
        await writer.drain()
        response.bytes_sent += n
        if on_sent is not None:
            on_sent(n, clock())


async def _status(reader: asyncio.StreamReader, response: Response) -> int:
    """The final status, 1xx interim answers (and their headers) skipped."""
    for _ in range(MAX_INTERIM + 1):
        try:
            line = await _line(reader, "the status line")
        except asyncio.IncompleteReadError:
            raise WireError(
                ErrorCategory.RESET, "the server closed the connection without answering"
            ) from None
        m = _STATUS_RE.fullmatch(line)
        if m is None:
            raise _protocol("the answer is not HTTP/1.x")
        status = int(m.group(1))
        if not 100 <= status <= 599:
            raise _protocol(f"impossible HTTP status {status}")
        if status >= 200:
            return status
        if status == 101:
            raise _protocol("101 Switching Protocols to a request that asked for no switch")
        response.interim.append(status)
        await _headers(reader)  # an interim answer's headers (Link: of 103) are not ours
    raise _protocol(f"more than {MAX_INTERIM} interim (1xx) answers")


async def _headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    total = 0
    for _ in range(MAX_HEADERS + 1):
        try:
            line = await _line(reader, "a header line")
        except asyncio.IncompleteReadError:
            raise _protocol("the connection closed inside the headers") from None
        total += len(line)
        if total > MAX_HEADER_BYTES:
            raise _protocol(f"headers larger than {MAX_HEADER_BYTES // 1024} KiB")
        if line in (b"\r\n", b"\n"):
            return headers
        raw_name, sep, raw_value = line.partition(b":")
        if not sep or not _TOKEN_RE.fullmatch(raw_name):
            # no colon, a space before it, or a folded line (RFC 9112 5.2: reject or fold)
            raise _protocol("a malformed HTTP header line")
        name = raw_name.decode("ascii").lower()
        value = raw_value.strip(b" \t\r\n").decode("latin-1")
        if name in headers:
            if name == "content-length" and headers[name] != value:
                raise _protocol("two different Content-Length headers")
            if name != "content-length":
                headers[name] = f"{headers[name]}, {value}"
        else:
            headers[name] = value
    raise _protocol(f"more than {MAX_HEADERS} HTTP headers")


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    values = {v.strip() for v in value.split(",")}  # "5, 5" is one length said twice
    if len(values) != 1:
        raise _protocol("two different Content-Length values")
    (text,) = values
    if not _LENGTH_RE.fullmatch(text):
        raise _protocol("a malformed Content-Length")
    return int(text)


async def _body(
    reader: asyncio.StreamReader,
    method: str,
    max_body: int,
    enough: Enough | None,
    on_chunk: OnChunk | None,
    response: Response,
    timer: PhaseTimer,
) -> bool:
    """Read the body; True when it was read to its end (False: cut by max_body or enough)."""
    assert response.status is not None
    status, headers = response.status, response.headers
    kept = bytearray()

    def take(data: bytes) -> bool:  # True to stop here
        response.bytes_read += len(data)
        if on_chunk is not None:
            on_chunk(len(data), timer.clock())
        else:
            kept.extend(data)
        response.body = bytes(kept)
        return response.bytes_read >= max_body or (
            enough is not None and enough(status, headers, response.body)
        )

    if method == "HEAD" or status in (204, 304):
        return True
    if max_body <= 0 or (enough is not None and enough(status, headers, b"")):
        return False
    codings = [c.strip().lower() for c in headers.get("transfer-encoding", "").split(",") if c]
    if codings and codings[-1] == "chunked":
        while True:
            line = await _line(reader, "a chunk-size line")
            m = _CHUNK_RE.fullmatch(line)
            if m is None:
                raise _protocol("a malformed chunk size")
            size = int(m.group(1), 16)
            if size == 0:
                for _ in range(MAX_HEADERS + 1):  # trailers, then the empty line
                    if await _line(reader, "a trailer line") in (b"\r\n", b"\n"):
                        return True
                raise _protocol(f"more than {MAX_HEADERS} trailer lines")
            while size:
                data = await reader.read(min(size, CHUNK, max_body - response.bytes_read))
                if not data:
                    raise asyncio.IncompleteReadError(b"", size)
                size -= len(data)
                if take(data):
                    return False
            if await _line(reader, "the end of a chunk") not in (b"\r\n", b"\n"):
                raise _protocol("a chunk longer than its size")
    length = None if codings else _content_length(headers)
    remaining = length
    while remaining is None or remaining > 0:
        want = min(CHUNK, max_body - response.bytes_read)
        if remaining is not None:
            want = min(want, remaining)
        data = await reader.read(want)
        if not data:
            if remaining is not None:
                raise asyncio.IncompleteReadError(b"", remaining)
            return True  # no length: the answer ends when the connection does
        if remaining is not None:
            remaining -= len(data)
        if take(data) and (remaining is None or remaining > 0):
            return False
    return True
