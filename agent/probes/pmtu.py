"""Path MTU towards a target: ICMP echo with Don't Fragment set (scapy, in the scapy thread).

A router's "fragmentation needed" names the next hop's MTU at once; a path that silently drops
big DF packets (an MTU black hole: the classic "the page half-loads") is found by halving and
reported with `reported = False`.
"""

from __future__ import annotations

from agent.config import Target
from agent.probes.base import ProbeContext, ProbeError, finish
from agent.probes.path import run_scapy, target_address
from agent.results import ErrorCategory, PmtuData, ProbeResult

KIND = "pmtu"


async def probe(target: Target, ctx: ProbeContext) -> ProbeResult:
    started = ctx.clock()
    address = ""
    try:
        address = await target_address(target, ctx)
        from agent.probes import scapywork

        found = await run_scapy(scapywork.path_mtu, address)
    except ProbeError as e:
        return finish(target, KIND, ctx, started, error=e.category, detail=e.detail,
                      address=address)  # fmt: skip
    data = PmtuData(found.mtu, found.reported, found.probes)
    if found.mtu is None:
        return finish(target, KIND, ctx, started, address=address, data=data,
                      error=ErrorCategory.TIMEOUT, detail="no DF echo answered")  # fmt: skip
    how = "reported by a router" if found.reported else "no router reported it"
    detail = f"path MTU {found.mtu} ({how})" if found.mtu < 1500 else f"path MTU {found.mtu}"
    return finish(target, KIND, ctx, started, address=address, data=data, detail=detail)
