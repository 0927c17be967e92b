"""TCP connections as the probes open them: the three-way handshake timed alone."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import time
from collections.abc import Callable

from .deadline import within


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def open_tcp(
    address: str, port: int, clock: Callable[[], float] = time.monotonic
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, float]:
    """Connect and time the three-way handshake alone."""
    started = clock()
    reader, writer = await asyncio.open_connection(address, port)
    return reader, writer, clock() - started


async def close_quietly(writer: asyncio.StreamWriter, *, abort: bool = False) -> None:
    """Close a connection without letting a stuck peer hold the probe: a connection given up
    on (a timeout, a protocol error) is aborted at once, not shut down politely, so the probe
    reports within its own deadline rather than the scheduler's."""
    if abort:
        writer.transport.abort()
        return
    writer.close()
    with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
        await within(writer.wait_closed(), 0.5)
