"""TCP connections as the probes open them: the three-way handshake timed alone."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import struct
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


#: struct tcp_info (linux/tcp.h): tcpi_bytes_received, a u64 after tcpi_bytes_acked at 120;
#: there since Linux 4.1, older kernels return a shorter struct
_BYTES_RECEIVED_AT = 128


def bytes_received(sock: socket.socket | None) -> int:
    """Payload bytes the peer delivered on this TCP connection, TLS records included (the
    kernel's count; 0 when it cannot tell): what a box on the way that cuts a connection
    after so many bytes counts, where the body alone misses the handshake."""
    if sock is None or not hasattr(socket, "TCP_INFO"):
        return 0
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    except OSError:
        return 0
    if len(info) < _BYTES_RECEIVED_AT + 8:
        return 0
    (count,) = struct.unpack_from("=Q", info, _BYTES_RECEIVED_AT)
    return int(count)


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
