"""The default gateway at layer 2: a broadcast ARP request (scapy, in the ARP lane).

A router that answers ARP is powered and on the LAN even when it no longer pings, resolves or
routes; one that does not answer ARP is gone (off, unplugged, another subnet). The diagnosis
reads this (`ProbeData.layer2_answer`) to tell the two apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agent.config import KindSettings, Target
from agent.net.scapylane import run_scapy, target_address
from agent.probes.base import Family, KindSpec, Lane, Outcome, ProbeContext, Sample
from agent.results import ArpData, ErrorCategory, ProbeResult
from agent.vocabulary import Group

KIND = "arp"


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    address = await target_address(target, ctx, ctx.settings.timeout)
    from agent.net import scapywork

    answer = await run_scapy(
        scapywork.arp, address, lane="arp", tries=3, wait=min(0.5, ctx.settings.timeout / 4)
    )
    data = ArpData(answer.answered, answer.mac, answer.seconds)
    if not answer.answered:
        return Outcome(
            address=address,
            data=data,
            error=ErrorCategory.TIMEOUT,
            detail=f"no ARP answer on {answer.interface}",
        )
    return Outcome(address=address, data=data, detail=f"ARP answered by {answer.mac}")


ANSWERED = Family(
    "gateway_arp_answered",
    "gauge",
    "1 if the default gateway answered ARP (on the LAN, whether or not it routes).",
    ("target",),
    always=False,
)


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    if isinstance(r.data, ArpData):
        yield ANSWERED, (r.target,), 1 if r.data.answered else 0


def details(r: ProbeResult) -> dict[str, Any]:
    if not isinstance(r.data, ArpData):
        return {}
    return {"arp_answered": r.data.answered, "mac": r.data.mac}


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    lane=Lane.PACKET,
    requires=("scapy", "path", "scapy"),
    settings=KindSettings(interval=30, timeout=5),
    check_target=lambda url, host_is_ip, group: (
        None if group == Group.GATEWAY else "the arp probe is for the gateway group"
    ),
    families=(ANSWERED,),
    samples=samples,
    details=details,
    path_groups=frozenset({Group.GATEWAY}),
    report=lambda e: [f"{'✓' if e['ok'] else '✗'} ARP: {e['detail'] or e['error']}"],
)
