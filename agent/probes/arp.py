"""The default gateway at layer 2: a broadcast ARP request (scapy, in the scapy thread).

A router that answers ARP is powered and on the LAN even when it no longer pings, resolves or
routes; one that does not answer ARP is gone (off, unplugged, another subnet). The diagnosis
reads this to tell the two apart (agent/diagnosis.py).
"""

from __future__ import annotations

from agent.config import Target
from agent.probes.base import ProbeContext, ProbeError, finish
from agent.probes.path import run_scapy, target_address
from agent.results import ArpData, ErrorCategory, ProbeResult

KIND = "arp"


async def probe(target: Target, ctx: ProbeContext) -> ProbeResult:
    started = ctx.clock()
    address = ""
    try:
        address = await target_address(target, ctx)
        from agent.probes import scapywork

        answer = await run_scapy(
            scapywork.arp, address, lane="arp", tries=3, wait=min(0.5, ctx.settings.timeout / 4)
        )
    except ProbeError as e:
        return finish(target, KIND, ctx, started, error=e.category, detail=e.detail,
                      address=address)  # fmt: skip
    data = ArpData(answer.answered, answer.mac, answer.seconds)
    if not answer.answered:
        detail = f"no ARP answer on {answer.interface}"
        return finish(target, KIND, ctx, started, address=address, data=data,
                      error=ErrorCategory.TIMEOUT, detail=detail)  # fmt: skip
    return finish(target, KIND, ctx, started, address=address, data=data,
                  detail=f"ARP answered by {answer.mac}")  # fmt: skip
