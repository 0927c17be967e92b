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

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.config import Config, KindSettings, Target, ThroughputTarget
from agent.net.http1 import Response, request
from agent.net.resolve import resolve_host
from agent.probes.base import (
    Count,
    Family,
    KindSpec,
    Lane,
    Outcome,
    ProbeContext,
    ProbeError,
    Sample,
    categorize_os_error,
    describe_os_error,
)
from agent.results import ErrorCategory, ProbeResult, ThroughputData

from ..net.deadline import within

KIND = "throughput"
CHUNK = 1 << 16


class DataBudget(Protocol):
    """What the scheduler needs of a daily data budget: this in-memory `Budget`, or the
    journal's (agent/journal.py JournalBudget), shared by processes."""

    daily: int

    def remaining(self) -> int: ...
    def reserve(self, amount: int) -> bool: ...
    def settle(self, reserved: int, used: int) -> None: ...


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


async def _request(
    url: str, ctx: ProbeContext, timeout: float, t: _Transfer, **kw: Any
) -> Response:
    """One exchange with agent/net/http1.py; `t` follows its stage and address even when it
    fails (a timeout in the transfer still measured something)."""

    async def resolve(host: str) -> tuple[str, float]:
        address, seconds = await resolve_host(host, ctx, timeout)
        t.address, t.stage = address, "connect"
        return address, seconds

    try:
        resp = await request(
            url, timeout=timeout, resolve=resolve, ssl_context=ctx.ssl_context, clock=ctx.clock,
            **kw,
        )  # fmt: skip
    except ProbeError as e:
        if e.response is not None:
            t.stage, t.status = e.response.stage, e.response.status
        raise
    t.stage, t.status = resp.stage, resp.status
    return resp


async def download(url: str, limit: int, ctx: ProbeContext, timeout: float, t: _Transfer) -> None:
    def on_chunk(n: int, now: float) -> None:
        if t.first_at is None:
            t.first_at = now
        t.bytes += n
        t.last_at = now
        t.stage = "transfer"

    # a Range request lets a server send only what we want; one that ignores it is cut off
    resp = await _request(
        url, ctx, timeout, t,
        headers={"Range": f"bytes=0-{limit - 1}"},
        max_body=limit,
        on_chunk=on_chunk,
        enough=lambda status, headers, body: status not in (200, 206),
    )  # fmt: skip
    if resp.status not in (200, 206):
        raise ProbeError(ErrorCategory.HTTP_STATUS, f"HTTP {resp.status}")


async def upload(url: str, size: int, ctx: ProbeContext, timeout: float, t: _Transfer) -> None:
    def on_sent(n: int, now: float) -> None:
        if t.first_at is None:
            t.first_at = now
        t.bytes += n

    resp = await _request(
        url, ctx, timeout, t,
        method="POST",
        headers={"Content-Type": "application/octet-stream"},
        upload_size=size,
        on_sent=on_sent,
        max_body=4096,
    )  # fmt: skip
    # the server has it all once it answers: the last bytes may still sit in our buffers
    t.last_at = ctx.clock() - resp.phases.get("transfer", 0.0)
    if resp.status is None or not 200 <= resp.status < 300:
        raise ProbeError(ErrorCategory.HTTP_STATUS, f"HTTP {resp.status}")


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    """Download (then upload, when configured) for one throughput target."""
    spec = ctx.config.throughput.target(target.name)
    if spec is None:
        return Outcome(error=ErrorCategory.INTERNAL, detail="unknown")
    return await measure(spec, ctx)


async def measure(spec: ThroughputTarget, ctx: ProbeContext) -> Outcome:
    timeout = ctx.settings.timeout
    down, up = _Transfer(), _Transfer()
    current = down
    deadline = ctx.clock() + timeout
    try:
        await within(download(spec.url, spec.size, ctx, timeout, down), timeout)
        if spec.upload_url:
            current = up
            left = max(0.05, deadline - ctx.clock())
            await within(upload(spec.upload_url, spec.upload_size, ctx, left, up), left)
    except ProbeError as e:
        return _outcome(down, up, current, e.category, e.detail)
    except (OSError, TimeoutError, EOFError) as e:
        category = categorize_os_error(e)
        if current.stage == "resolve" and category is ErrorCategory.TIMEOUT:
            category = ErrorCategory.DNS_TIMEOUT
        if (
            category is ErrorCategory.TIMEOUT
            and current.stage in ("transfer", "upload")
            and current.bytes
        ):
            # a slow line that ran out of time still measured something: keep the figure
            current.last_at = current.last_at or ctx.clock()
        detail = f"{describe_os_error(e)} during {current.stage}"
        return _outcome(down, up, current, category, detail)
    if down.bytes < spec.size and down.seconds is not None:
        # the object is smaller than configured: still a measurement, but say so
        detail = f"object ended after {down.bytes} of {spec.size} bytes"
    else:
        detail = ""
    return _outcome(down, up, None, None, detail)


def _outcome(
    down: _Transfer,
    up: _Transfer,
    failed: _Transfer | None,
    error: ErrorCategory | None,
    detail: str,
) -> Outcome:
    data = ThroughputData(
        method="http",
        download_bytes=down.bytes,
        download_seconds=down.seconds,
        upload_bytes=up.bytes,
        upload_seconds=up.seconds,
        stage=failed.stage if failed else "",
    )
    return Outcome(error=error, detail=detail, address=down.address, data=data)


# -- what throughput results add (shared by the speedtest kind) ------------------------------

RATE = Family(
    "throughput_bytes_per_second",
    "gauge",
    "Payload rate of the last throughput test, by direction.",
    ("target", "direction"),
    always=False,  # absent until a test has measured something
)
BYTES_USED = Family(
    "throughput_bytes_used",
    "counter",
    "Bytes moved by throughput tests (the data budget's spending).",
    (),
)


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    d = r.data
    if not isinstance(d, ThroughputData):
        return
    for direction, value in (("download", d.download_rate), ("upload", d.upload_rate)):
        if value is not None:
            yield RATE, (r.target, direction), value


def counts(r: ProbeResult, previous: ProbeResult | None) -> Iterable[Count]:
    yield BYTES_USED, (), r.data.bytes_used if r.data is not None else 0


def details(r: ProbeResult) -> dict[str, Any]:
    d = r.data
    if not isinstance(d, ThroughputData):
        return {}
    out: dict[str, Any] = {"method": d.method, "bytes_used": d.bytes_used}
    for direction, rate, n, secs in (
        ("download", d.download_rate, d.download_bytes, d.download_seconds),
        ("upload", d.upload_rate, d.upload_bytes, d.upload_seconds),
    ):
        if n:
            out[direction] = {
                "bytes": n,
                "seconds": round(secs, 4) if secs else None,
                "bytes_per_second": round(rate, 1) if rate else None,
            }
    if d.server:
        out["server"] = d.server
    if d.latency_seconds is not None:
        out["latency_seconds"] = round(d.latency_seconds, 4)
    if d.stage:
        out["stalled_in"] = d.stage
    return out


def budgeted_settings(config: Config) -> KindSettings:
    return KindSettings(interval=config.throughput.interval, timeout=config.throughput.timeout)


def _targets(config: Config, environ: Mapping[str, str]) -> list[Target]:
    return [t.as_target() for t in config.throughput.targets]


def _cost(config: Config, target: Target) -> int:
    spec = config.throughput.target(target.name)
    return spec.size + spec.upload_size if spec is not None else 0


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    lane=Lane.BUDGETED,
    settings_of=budgeted_settings,
    targets=_targets,
    families=(RATE, BYTES_USED),
    samples=samples,
    counts=counts,
    details=details,
    cost=_cost,
)
