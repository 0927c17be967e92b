"""What every probe shares: the context it runs in, name resolution, and error translation.

A probe is an `async def probe(target, ctx) -> ProbeResult`. It measures and returns; it does not
schedule, store or export. Exceptions from the network are translated into an `ErrorCategory`
here, at the boundary, so that no probe needs its own errno table.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import ipaddress
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from agent.config import Config, KindSettings, Resolver, Target, default_gateway
from agent.results import ErrorCategory, ProbeData, ProbeResult

log = logging.getLogger("ozon_probe.probe")


class ProbeError(Exception):
    """Raised inside a probe to end it with a category; never escapes the probe."""

    def __init__(self, category: ErrorCategory, detail: str) -> None:
        super().__init__(detail)
        self.category = category
        self.detail = detail


class IcmpCapability:
    """Which ICMP socket this process may open. Found once, reported once."""

    def __init__(self, force_mode: str | None = None) -> None:
        self.mode: str | None = force_mode  # datagram | raw | none; None until first probe
        self.reported = False


@dataclass
class ProbeContext:
    config: Config
    settings: KindSettings
    resolvers: list[Resolver]  # expanded: "system" replaced by /etc/resolv.conf's nameservers
    system_nameservers: list[tuple[str, int]]
    icmp: IcmpCapability = field(default_factory=IcmpCapability)
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    gateway_lookup: Callable[[], str | None] = default_gateway
    secrets: dict[str, str] = field(default_factory=dict)  # seller API credentials

    def ssl_context(self, verify: bool = True) -> ssl.SSLContext:
        return _ssl_context(self.config.tls_ca_file, verify)


@functools.lru_cache(maxsize=8)
def _ssl_context(cafile: str, verify: bool) -> ssl.SSLContext:
    # built once: loading the trust store costs milliseconds of CPU on the event loop
    ctx = ssl.create_default_context(cafile=cafile or None)
    if cafile:
        ctx.load_default_certs()  # the configured CA is added to the system's, not instead
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class ProbeFn(Protocol):
    def __call__(self, target: Target, ctx: ProbeContext) -> Awaitable[ProbeResult]: ...


def finish(
    target: Target,
    kind: str,
    ctx: ProbeContext,
    started: float,
    *,
    error: ErrorCategory | None = None,
    detail: str = "",
    address: str = "",
    data: ProbeData | None = None,
    ok: bool | None = None,
) -> ProbeResult:
    return ProbeResult(
        kind=kind,
        target=target.name,
        group=target.group,
        ok=(error is None) if ok is None else ok,
        duration=ctx.clock() - started,
        finished_at=ctx.wall_clock(),
        error=error,
        detail=detail,
        address=address,
        data=data,
    )


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


_UNREACHABLE = {
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
    errno.EADDRNOTAVAIL,
    errno.EACCES,  # a firewall's "administratively prohibited"
    errno.EPERM,
}
_RESET = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


def categorize_os_error(e: BaseException) -> ErrorCategory:
    if isinstance(e, TimeoutError | asyncio.TimeoutError):
        return ErrorCategory.TIMEOUT
    if isinstance(e, ssl.SSLCertVerificationError):
        return ErrorCategory.TLS_VERIFY
    if isinstance(e, ssl.SSLError):
        return ErrorCategory.TLS_ERROR
    if isinstance(e, ConnectionRefusedError):
        return ErrorCategory.REFUSED
    if isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return ErrorCategory.RESET
    if isinstance(e, asyncio.IncompleteReadError):
        return ErrorCategory.RESET
    if isinstance(e, OSError):
        if e.errno == errno.ECONNREFUSED:
            return ErrorCategory.REFUSED
        if e.errno in _UNREACHABLE:
            return ErrorCategory.UNREACHABLE
        if e.errno in _RESET:
            return ErrorCategory.RESET
        if e.errno == errno.ETIMEDOUT:
            return ErrorCategory.TIMEOUT
    return ErrorCategory.INTERNAL


def describe_os_error(e: BaseException) -> str:
    if isinstance(e, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {e.verify_message}"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return type(e).__name__


async def open_tcp(
    address: str, port: int, ctx: ProbeContext
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, float]:
    """Connect and time the three-way handshake alone."""
    started = ctx.clock()
    reader, writer = await asyncio.open_connection(address, port)
    return reader, writer, ctx.clock() - started


async def close_quietly(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
        await asyncio.wait_for(writer.wait_closed(), 0.5)
