"""Throughput over HTTP: download a known object (and optionally upload to an endpoint).

The path that matters to a seller is the one to Ozon's CDN, so the default method is a plain
HTTP(S) GET of a known object there, streamed on asyncio (no thread, no extra client) and cut
off after the configured `size` bytes whatever the object's real size: the data budget is
reserved for exactly that many bytes, so a run can never overspend it. The rate is taken over
the body transfer alone (from the first body byte to the last), so name resolution, the TLS
handshake and the server's think time do not dilute it.

The `Budget` lives here too: bytes per UTC day, reserved before a run and settled after it.
When a run may start (never two at once, never during a probe round) is the scheduler's call.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from agent.config import Target, ThroughputTarget
from agent.probes.base import (
    ProbeContext,
    ProbeError,
    categorize_os_error,
    close_quietly,
    describe_os_error,
    finish,
    open_tcp,
)
from agent.probes.http import USER_AGENT, _parse_status, _read_headers
from agent.probes.lookup import resolve_host
from agent.results import ErrorCategory, ProbeResult, ThroughputData

KIND = "throughput"
CHUNK = 1 << 16
#: refused-run reasons (the `reason` label of ozon_probe_throughput_refused_total)
REFUSED_REASONS = ("budget", "busy", "probes_busy")


@dataclass
class Budget:
    """Bytes a day (UTC), reserved before a run and settled with what it really used."""

    daily: int
    clock: Callable[[], float] = time.time
    used: int = 0
    reserved: int = 0
    day: int = field(default=-1)

    def _roll(self) -> None:
        today = int(self.clock() // 86400)
        if today != self.day:
            self.day, self.used = today, 0

    def remaining(self) -> int:
        self._roll()
        return max(0, self.daily - self.used - self.reserved)

    def reserve(self, amount: int) -> bool:
        """Reserve `amount` bytes; False (nothing reserved) when that would pass the budget."""
        if amount > self.remaining():
            return False
        self.reserved += amount
        return True

    def settle(self, reserved: int, used: int) -> None:
        self._roll()
        self.reserved = max(0, self.reserved - reserved)
        self.used += used


@dataclass
class _Transfer:
    stage: str = "resolve"
    address: str = ""
    status: int | None = None
    bytes: int = 0
    first_at: float | None = None
    last_at: float | None = None

    @property
    def seconds(self) -> float | None:
        if self.first_at is None or self.last_at is None or self.last_at <= self.first_at:
            return None
        return self.last_at - self.first_at


async def _connect(
    url: str, ctx: ProbeContext, timeout: float, t: _Transfer
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    t.address, _ = await resolve_host(host, ctx, timeout)
    t.stage = "connect"
    reader, writer, _ = await open_tcp(t.address, port, ctx)
    if parts.scheme == "https":
        t.stage = "tls"
        await writer.start_tls(ctx.ssl_context(), server_hostname=host)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if port in (80, 443) else f"{host}:{port}"
    return reader, writer, path, host_header


def _head(method: str, path: str, host: str, extra: list[str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: {USER_AGENT}",
        "Accept: */*",
        "Accept-Encoding: identity",  # bytes on the wire are what we count
        "Connection: close",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def download(url: str, limit: int, ctx: ProbeContext, timeout: float, t: _Transfer) -> None:
    reader, writer, path, host = await _connect(url, ctx, timeout, t)
    try:
        t.stage = "processing"
        # a Range request lets a server send only what we want; one that ignores it is cut off
        writer.write(_head("GET", path, host, [f"Range: bytes=0-{limit - 1}"]))
        await writer.drain()
        t.status = _parse_status(await reader.readline())
        # chunked framing, if any, is counted as payload: a few bytes in a megabyte
        await _read_headers(reader)
        if t.status not in (200, 206):
            raise ProbeError(ErrorCategory.HTTP_STATUS, f"HTTP {t.status}")
        t.stage = "transfer"
        while t.bytes < limit:
            chunk = await reader.read(min(CHUNK, limit - t.bytes))
            if not chunk:
                break
            now = ctx.clock()
            if t.first_at is None:
                t.first_at = now
            t.bytes += len(chunk)
            t.last_at = now
    finally:
        writer.transport.abort()  # cut off: no need to drain the rest of a large object
        await close_quietly(writer)


async def upload(url: str, size: int, ctx: ProbeContext, timeout: float, t: _Transfer) -> None:
    reader, writer, path, host = await _connect(url, ctx, timeout, t)
    try:
        t.stage = "transfer"
        extra = ["Content-Type: application/octet-stream", f"Content-Length: {size}"]
        writer.write(_head("POST", path, host, extra))
        await writer.drain()
        block = os.urandom(CHUNK)  # incompressible: a compressing middlebox must not flatter us
        t.first_at = ctx.clock()
        while t.bytes < size:
            n = min(CHUNK, size - t.bytes)
            writer.write(block[:n])
            await writer.drain()
            t.bytes += n
        t.stage = "processing"
        # the server has it all once it answers: the last bytes may still sit in our buffers
        t.status = _parse_status(await reader.readline())
        t.last_at = ctx.clock()
        if not 200 <= t.status < 300:
            raise ProbeError(ErrorCategory.HTTP_STATUS, f"HTTP {t.status}")
    finally:
        await close_quietly(writer)


async def probe(target: Target, ctx: ProbeContext) -> ProbeResult:
    """Download (then upload, when configured) for one throughput target; never raises."""
    started = ctx.clock()
    spec = ctx.config.throughput.target(target.name)
    if spec is None:
        return finish(target, KIND, ctx, started, error=ErrorCategory.INTERNAL, detail="unknown")
    return await measure(spec, target, ctx, started)


async def measure(
    spec: ThroughputTarget, target: Target, ctx: ProbeContext, started: float
) -> ProbeResult:
    timeout = ctx.settings.timeout
    down, up = _Transfer(), _Transfer()
    current = down
    deadline = started + timeout
    try:
        await asyncio.wait_for(download(spec.url, spec.size, ctx, timeout, down), timeout)
        if spec.upload_url:
            current = up
            left = max(0.05, deadline - ctx.clock())
            await asyncio.wait_for(upload(spec.upload_url, spec.upload_size, ctx, left, up), left)
    except ProbeError as e:
        return _result(target, ctx, started, down, up, current, e.category, e.detail)
    except (OSError, TimeoutError, EOFError) as e:
        category = categorize_os_error(e)
        if current.stage == "resolve" and category is ErrorCategory.TIMEOUT:
            category = ErrorCategory.DNS_TIMEOUT
        if category is ErrorCategory.TIMEOUT and current.stage == "transfer" and current.bytes:
            # a slow line that ran out of time still measured something: keep the figure
            current.last_at = current.last_at or ctx.clock()
        detail = f"{describe_os_error(e)} during {current.stage}"
        return _result(target, ctx, started, down, up, current, category, detail)
    if down.bytes < spec.size and down.seconds is not None:
        # the object is smaller than configured: still a measurement, but say so
        detail = f"object ended after {down.bytes} of {spec.size} bytes"
    else:
        detail = ""
    return _result(target, ctx, started, down, up, None, None, detail)


def _result(
    target: Target,
    ctx: ProbeContext,
    started: float,
    down: _Transfer,
    up: _Transfer,
    failed: _Transfer | None,
    error: ErrorCategory | None,
    detail: str,
) -> ProbeResult:
    data = ThroughputData(
        method="http",
        download_bytes=down.bytes,
        download_seconds=down.seconds,
        upload_bytes=up.bytes,
        upload_seconds=up.seconds,
        stage=failed.stage if failed else "",
    )
    return finish(
        target, KIND, ctx, started, error=error, detail=detail, address=down.address, data=data
    )
