"""TCP: how long the three-way handshake to the target's port takes."""

from __future__ import annotations

from collections.abc import Iterable

from agent.config import KindSettings, Target
from agent.net.resolve import resolve_host
from agent.probes.base import (
    Family,
    KindSpec,
    Outcome,
    ProbeContext,
    Sample,
    categorize_os_error,
    close_quietly,
    describe_os_error,
    open_tcp,
)
from agent.results import ProbeResult, TcpData
from agent.vocabulary import Group

from ..net.deadline import within

KIND = "tcp"


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    timeout = ctx.settings.timeout
    started = ctx.clock()
    address, _ = await resolve_host(target.host, ctx, timeout)
    try:
        remaining = max(timeout - (ctx.clock() - started), 0.001)
        _, writer, seconds = await within(open_tcp(address, target.port, ctx.clock), remaining)
    except (OSError, TimeoutError) as e:
        return Outcome(
            address=address,
            error=categorize_os_error(e),
            detail=f"{address}:{target.port}: {describe_os_error(e)}",
            data=TcpData(None),
        )
    await close_quietly(writer)
    return Outcome(address=address, data=TcpData(seconds))


CONNECT = Family(
    "tcp_connect_seconds", "gauge", "TCP handshake time of the last probe.", ("target", "group")
)


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    if isinstance(r.data, TcpData) and r.data.connect_seconds is not None:
        yield CONNECT, (r.target, r.group), r.data.connect_seconds


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    confirms=True,
    watch=frozenset({Group.OZON}),
    settings=KindSettings(interval=30, timeout=5),
    default_on=lambda url, host_is_ip: bool(url),
    families=(CONNECT,),
    samples=samples,
    reach_evidence=True,
    service_rank=2,
)
