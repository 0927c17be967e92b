"""ICMP echo: several packets a round, for RTT, jitter and loss.

Unprivileged datagram ICMP sockets first (Linux, when the process's group is inside
net.ipv4.ping_group_range), raw sockets next (root or CAP_NET_RAW). When neither is allowed the
probe says so once, returns `permission` (which the diagnosis ignores) and the other kinds go on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
import time
from collections.abc import Iterable
from typing import Any

from agent.config import KindSettings, Target
from agent.net.resolve import resolve_host
from agent.probes.base import (
    Count,
    Family,
    KindSpec,
    Outcome,
    ProbeContext,
    Sample,
    categorize_os_error,
    describe_os_error,
)
from agent.results import ErrorCategory, IcmpData, ProbeResult
from agent.vocabulary import Group

from ..net.deadline import within

KIND = "icmp"
log = logging.getLogger("ozon_probe.icmp")

# Linux's SO_TIMESTAMPNS (asm-generic and x86 alike); the socket module does not name it
SO_TIMESTAMPNS: int = getattr(socket, "SO_TIMESTAMPNS", 35)
_ECHO_REQUEST = 8
_ECHO_REPLY = 0
_DEST_UNREACHABLE = 3
_TIME_EXCEEDED = 11


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, payload: bytes) -> bytes:
    header = struct.pack("!BBHHH", _ECHO_REQUEST, 0, 0, ident, seq)
    csum = checksum(header + payload)
    return struct.pack("!BBHHH", _ECHO_REQUEST, 0, csum, ident, seq) + payload


def open_socket(mode: str) -> socket.socket:
    kind = socket.SOCK_DGRAM if mode == "datagram" else socket.SOCK_RAW
    sock = socket.socket(socket.AF_INET, kind, socket.IPPROTO_ICMP)
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    return sock


def _kernel_time(ancillary: list[tuple[int, int, bytes]]) -> float | None:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = struct.unpack("@qq", data[:16])
            return float(sec + nsec / 1e9)
    return None


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


async def receive_timestamped(
    sock: socket.socket, loop: asyncio.AbstractEventLoop
) -> tuple[bytes, float]:
    """One packet and the moment the kernel received it (SO_TIMESTAMPNS): a busy event loop
    (TLS handshakes of other probes) must not count as network round-trip time."""
    while True:
        try:
            data, ancillary, _, _ = sock.recvmsg(2048, socket.CMSG_SPACE(16))
            return data, _kernel_time(ancillary) or time.time()
        except BlockingIOError:
            ready: asyncio.Future[None] = loop.create_future()
            loop.add_reader(sock.fileno(), _wake, ready)
            try:
                await ready
            finally:
                loop.remove_reader(sock.fileno())


def _detect_mode(ctx: ProbeContext) -> str:
    if ctx.icmp.mode is not None:
        return ctx.icmp.mode
    for mode in ("datagram", "raw"):
        try:
            open_socket(mode).close()
        except PermissionError:
            continue
        except OSError:
            continue
        ctx.icmp.mode = mode
        log.info("ICMP probes use %s sockets", mode)
        return mode
    ctx.icmp.mode = "none"
    return "none"


def _parse_reply(packet: bytes, mode: str) -> tuple[int, int, int] | None:
    """(type, id, seq) of an echo reply or of the echo request quoted in an ICMP error."""
    if mode == "raw":
        if len(packet) < 20:
            return None
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8:
        return None
    icmp_type, _, _, ident, seq = struct.unpack("!BBHHH", packet[:8])
    if icmp_type in (_DEST_UNREACHABLE, _TIME_EXCEEDED):
        # the original IP header + 8 bytes of our echo request follow
        inner = packet[8:]
        if len(inner) < 28:
            return None
        inner = inner[(inner[0] & 0x0F) * 4 :]
        _, _, _, ident, seq = struct.unpack("!BBHHH", inner[:8])
    return icmp_type, ident, seq


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    started = ctx.clock()
    settings = ctx.settings
    mode = _detect_mode(ctx)
    if mode == "none":
        if not ctx.icmp.reported:
            ctx.icmp.reported = True
            log.warning(
                "ICMP probes are off: this process may open neither a datagram ICMP socket "
                "(net.ipv4.ping_group_range) nor a raw one (CAP_NET_RAW); other probes go on"
            )
        return Outcome(
            error=ErrorCategory.PERMISSION,
            detail="ICMP not permitted for this process",
            data=IcmpData(sent=0, received=0, rtts=(), mode="none"),
        )
    address, _ = await resolve_host(target.host, ctx, settings.timeout / 2)
    deadline = started + settings.timeout
    try:
        sock = open_socket(mode)
    except OSError as e:
        return Outcome(error=ErrorCategory.PERMISSION, detail=describe_os_error(e))
    sent_at: dict[int, float] = {}
    rtts: dict[int, float] = {}
    unreachable = False
    loop = asyncio.get_running_loop()
    ident = os.getpid() & 0xFFFF ^ (id(sock) & 0xFFFF)
    payload = b"ozon-probe" + b"\0" * 22
    error: BaseException | None = None

    async def receive() -> None:
        nonlocal unreachable
        while len(rtts) < settings.packets:
            data, now = await receive_timestamped(sock, loop)
            parsed = _parse_reply(data, mode)
            if parsed is None:
                continue
            icmp_type, rid, seq = parsed
            # datagram sockets: the kernel rewrote our id to the socket's port; it demuxes for us
            if mode == "raw" and rid != ident:
                continue
            if icmp_type == _ECHO_REPLY and seq in sent_at and seq not in rtts:
                rtts[seq] = now - sent_at[seq]
            elif icmp_type in (_DEST_UNREACHABLE, _TIME_EXCEEDED) and seq in sent_at:
                unreachable = True

    async def send() -> None:
        for seq in range(settings.packets):
            if ctx.clock() + 0.001 > deadline:
                break
            sent_at[seq] = time.time()
            await loop.sock_sendall(sock, echo_request(ident, seq, payload))
            if seq + 1 < settings.packets:
                await asyncio.sleep(settings.spacing)

    try:
        # connect() so that ICMP errors (host unreachable) come back on this socket
        sock.connect((address, 0))
        receiver = asyncio.ensure_future(receive())
        try:
            await within(send(), max(deadline - ctx.clock(), 0.001))
            await within(asyncio.shield(receiver), max(deadline - ctx.clock(), 0.001))
        except TimeoutError:
            pass
        finally:
            receiver.cancel()
            try:
                await receiver
            except asyncio.CancelledError:
                pass
            except OSError as e:
                error = e
    except OSError as e:
        error = e
    finally:
        sock.close()
    ordered = tuple(rtts[s] for s in sorted(rtts))
    data = IcmpData(sent=len(sent_at), received=len(rtts), rtts=ordered, mode=mode)
    if rtts:
        return Outcome(address=address, data=data)
    if error is not None:
        category = categorize_os_error(error)
        if category is ErrorCategory.PERMISSION:
            category = ErrorCategory.UNREACHABLE
        return Outcome(
            address=address,
            data=data,
            error=category,
            detail=f"{address}: {describe_os_error(error)}",
        )
    if unreachable:
        return Outcome(
            address=address,
            data=data,
            error=ErrorCategory.UNREACHABLE,
            detail=f"{address}: destination unreachable",
        )
    return Outcome(
        address=address,
        data=data,
        error=ErrorCategory.TIMEOUT,
        detail=f"{address}: no echo reply to {len(sent_at)} packets",
    )


_LABELS = ("target", "group")
#: 0.5 ms .. 8.2 s, doubling
BUCKETS = tuple(0.0005 * 2**k for k in range(15))
RTT = Family(
    "icmp_rtt_seconds", "gauge", "Echo round-trip time in the last round.", (*_LABELS, "stat")
)
JITTER = Family(
    "icmp_jitter_seconds",
    "gauge",
    "Mean absolute difference of consecutive RTTs in the last round.",
    _LABELS,
)
LOSS = Family(
    "icmp_loss_ratio", "gauge", "Share of echo requests unanswered in the last round.", _LABELS
)
SENT = Family("icmp_packets_sent", "counter", "Echo requests sent.", _LABELS)
RECEIVED = Family("icmp_packets_received", "counter", "Echo replies received.", _LABELS)
RESPONSE = Family(
    "icmp_response_seconds",
    "histogram",
    "Every echo reply's round-trip time.",
    _LABELS,
    buckets=BUCKETS,
)


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    d = r.data
    if not isinstance(d, IcmpData) or d.sent == 0:
        return
    lv = (r.target, r.group)
    yield LOSS, lv, d.loss_ratio
    for stat, value in (("min", d.rtt_min), ("avg", d.rtt_avg), ("max", d.rtt_max)):
        if value is not None:
            yield RTT, (*lv, stat), value
    if d.jitter is not None:
        yield JITTER, lv, d.jitter


def counts(r: ProbeResult, previous: ProbeResult | None) -> Iterable[Count]:
    d = r.data
    if not isinstance(d, IcmpData):
        return
    lv = (r.target, r.group)
    yield SENT, lv, d.sent
    yield RECEIVED, lv, d.received
    yield RESPONSE, lv, float("nan")  # the histogram exists from the first round on
    for rtt in d.rtts:
        yield RESPONSE, lv, rtt


def details(r: ProbeResult) -> dict[str, Any]:
    d = r.data
    if not isinstance(d, IcmpData) or not d.sent:
        return {}
    out: dict[str, Any] = {"loss_ratio": round(d.loss_ratio, 3)}
    if d.rtt_avg is not None:
        out["rtt_avg_seconds"] = round(d.rtt_avg, 5)
    return out


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    confirms=True,
    watch=frozenset({Group.GATEWAY, Group.CONTROL}),
    settings=KindSettings(interval=30, timeout=4, packets=5, spacing=0.2),
    options=frozenset({"packets", "spacing"}),
    default_on=lambda url, host_is_ip: True,
    families=(RTT, JITTER, LOSS, SENT, RECEIVED, RESPONSE),
    samples=samples,
    counts=counts,
    details=details,
    reach_evidence=True,
    service_rank=3,
)
