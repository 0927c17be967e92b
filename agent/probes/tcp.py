"""TCP: how long the three-way handshake to the target's port takes."""

from __future__ import annotations

import asyncio

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
from agent.results import ProbeResult, TcpData

KIND = "tcp"


async def probe(target: Target, ctx: ProbeContext) -> ProbeResult:
    started = ctx.clock()
    timeout = ctx.settings.timeout
    address = ""
    try:
        address, _ = await resolve_host(target.host, ctx, timeout)
        remaining = max(timeout - (ctx.clock() - started), 0.001)
        _, writer, seconds = await asyncio.wait_for(open_tcp(address, target.port, ctx), remaining)
    except ProbeError as e:
        return finish(target, KIND, ctx, started, error=e.category, detail=e.detail)
    except (OSError, TimeoutError) as e:
        return finish(
            target, KIND, ctx, started, address=address, error=categorize_os_error(e),
            detail=f"{address}:{target.port}: {describe_os_error(e)}", data=TcpData(None),
        )  # fmt: skip
    await close_quietly(writer)
    return finish(target, KIND, ctx, started, address=address, data=TcpData(seconds))
