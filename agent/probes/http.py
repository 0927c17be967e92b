"""HTTP(S): one request, timed phase by phase, checked against the target's expectation.

A small HTTP/1.1 client of our own, on asyncio streams, because the phases a seller's problem
hides in (resolve, connect, TLS, waiting for the first byte, transfer) are exactly what
general-purpose clients do not report. It sends `Connection: close` and reads at most
`MAX_BODY` bytes: a health check, not a download.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from agent import __version__
from agent.config import Target
from agent.probes.base import (
    ProbeContext,
    ProbeError,
    categorize_os_error,
    close_quietly,
    describe_os_error,
    finish,
    open_tcp,
)
from agent.probes.lookup import resolve_host
from agent.results import ErrorCategory, HttpData, ProbeResult

KIND = "http"
MAX_BODY = 1 << 20
MAX_HEADERS = 100
USER_AGENT = f"ozon-probe/{__version__} (network health check)"


@dataclass
class Exchange:
    """What one request saw; filled as it goes, so a timeout still tells how far it got."""

    phases: dict[str, float] = field(default_factory=dict)
    address: str = ""
    stage: str = "resolve"  # the phase in progress: resolve, connect, tls, processing, transfer
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


async def exchange(
    url: str,
    method: str,
    body: str,
    headers: dict[str, str],
    ctx: ProbeContext,
    timeout: float,
    ex: Exchange,
) -> Exchange:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = ctx.clock()
    ex.address, ex.phases["resolve"] = await resolve_host(host, ctx, timeout)
    ex.stage = "connect"
    reader, writer, ex.phases["connect"] = await open_tcp(ex.address, port, ctx)
    try:
        if parts.scheme == "https":
            ex.stage = "tls"
            t0 = ctx.clock()
            await writer.start_tls(ctx.ssl_context(), server_hostname=host)
            ex.phases["tls"] = ctx.clock() - t0
        ex.stage = "processing"
        t0 = ctx.clock()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        host_header = host if port in (80, 443) else f"{host}:{port}"
        payload = body.encode()
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {host_header}",
            f"User-Agent: {USER_AGENT}",
            "Accept: */*",
            "Connection: close",
        ]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if payload or method == "POST":
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        await writer.drain()
        status_line = await reader.readline()
        ex.phases["processing"] = ctx.clock() - t0
        ex.stage = "transfer"
        t0 = ctx.clock()
        ex.status = _parse_status(status_line)
        ex.headers = await _read_headers(reader)
        ex.body = await _read_body(reader, ex, method)
        ex.phases["transfer"] = ctx.clock() - t0
        ex.stage = "done"
    finally:
        await close_quietly(writer)
    ex.phases["total"] = ctx.clock() - started
    return ex


def _parse_status(line: bytes) -> int:
    if not line:
        raise ProbeError(ErrorCategory.RESET, "the server closed the connection without answering")
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ProbeError(ErrorCategory.HTTP_PROTOCOL, "the answer is not HTTP/1.x")
    status = int(parts[1])
    if not 100 <= status <= 599:
        raise ProbeError(ErrorCategory.HTTP_PROTOCOL, f"impossible HTTP status {status}")
    return status


async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return headers
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name.strip():
            raise ProbeError(ErrorCategory.HTTP_PROTOCOL, "a malformed HTTP header line")
        headers[name.strip().lower()] = value.strip()
    raise ProbeError(ErrorCategory.HTTP_PROTOCOL, f"more than {MAX_HEADERS} HTTP headers")


async def _read_body(reader: asyncio.StreamReader, ex: Exchange, method: str) -> bytes:
    assert ex.status is not None
    if method == "HEAD" or ex.status in (204, 304) or 100 <= ex.status < 200:
        return b""
    if "chunked" in ex.headers.get("transfer-encoding", "").lower():
        out = bytearray()
        while len(out) < MAX_BODY:
            size_line = await reader.readline()
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ProbeError(ErrorCategory.HTTP_PROTOCOL, "a malformed chunk size") from None
            if size == 0:
                break
            out += await reader.readexactly(min(size, MAX_BODY - len(out)))
            if len(out) < MAX_BODY:
                await reader.readline()
        return bytes(out)
    length = ex.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise ProbeError(ErrorCategory.HTTP_PROTOCOL, "a malformed Content-Length")
        return await reader.readexactly(min(int(length), MAX_BODY))
    return await reader.read(MAX_BODY)


def json_code(body: bytes) -> int | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    code = doc.get("code") if isinstance(doc, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


_STAGE_WORDS = {
    "resolve": "while resolving the name",
    "connect": "while connecting",
    "tls": "during the TLS handshake",
    "processing": "waiting for the first byte of the answer",
    "transfer": "while reading the answer",
}


async def probe(target: Target, ctx: ProbeContext) -> ProbeResult:
    started = ctx.clock()
    timeout = ctx.settings.timeout
    ex = Exchange()
    try:
        await asyncio.wait_for(
            exchange(target.url, target.method, target.body, {}, ctx, timeout, ex), timeout
        )
    except ProbeError as e:
        return _failed(target, ctx, started, ex, e.category, e.detail)
    except (OSError, TimeoutError, EOFError) as e:
        where = _STAGE_WORDS.get(ex.stage, "")
        category = categorize_os_error(e)
        if ex.stage == "resolve" and category is ErrorCategory.TIMEOUT:
            category = ErrorCategory.DNS_TIMEOUT  # the name, not the host, never answered
        return _failed(target, ctx, started, ex, category, f"{describe_os_error(e)} {where}")
    assert ex.status is not None
    code = json_code(ex.body) if target.expect.json_code is not None else None
    data = HttpData(
        phases={k: v for k, v in ex.phases.items() if k != "total"},
        status=ex.status,
        content_bytes=len(ex.body),
        json_code=code,
        total_seconds=ex.phases.get("total"),
    )
    if not target.expect.status_ok(ex.status):
        return finish(
            target, KIND, ctx, started, address=ex.address, data=data,
            error=ErrorCategory.HTTP_STATUS, detail=f"HTTP {ex.status}",
        )  # fmt: skip
    if target.expect.json_code is not None and code != target.expect.json_code:
        got = "no JSON code" if code is None else f"code {code}"
        return finish(
            target, KIND, ctx, started, address=ex.address, data=data,
            error=ErrorCategory.HTTP_BODY,
            detail=f"HTTP {ex.status} with {got}, expected code {target.expect.json_code}",
        )  # fmt: skip
    data = HttpData(data.phases, data.status, data.content_bytes, code, True, data.total_seconds)
    return finish(target, KIND, ctx, started, address=ex.address, data=data)


def _failed(
    target: Target,
    ctx: ProbeContext,
    started: float,
    ex: Exchange,
    category: ErrorCategory,
    detail: str,
) -> ProbeResult:
    data = HttpData(
        phases={k: v for k, v in ex.phases.items() if k != "total"},
        status=ex.status,
        stalled_in=ex.stage,
    )
    return finish(
        target, KIND, ctx, started, address=ex.address, data=data, error=category, detail=detail
    )
