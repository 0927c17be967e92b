"""Path MTU towards a target: ICMP echo with Don't Fragment set (scapy, in the trace lane).

A router's "fragmentation needed" names the next hop's MTU at once; a path that silently drops
big DF packets (an MTU black hole: the classic "the page half-loads") is found by halving and
reported with `reported = False`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agent.config import KindSettings, Target
from agent.net.scapylane import run_scapy, target_address
from agent.probes.base import Family, KindSpec, Lane, Outcome, ProbeContext, Sample
from agent.results import ErrorCategory, PmtuData, ProbeResult
from agent.vocabulary import Group

KIND = "pmtu"


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    address = await target_address(target, ctx, ctx.settings.timeout)
    from agent.net import scapywork

    found = await run_scapy(scapywork.path_mtu, address)
    data = PmtuData(found.mtu, found.reported, found.probes)
    if found.mtu is None:
        return Outcome(
            address=address, data=data, error=ErrorCategory.TIMEOUT, detail="no DF echo answered"
        )
    how = "reported by a router" if found.reported else "no router reported it"
    detail = f"path MTU {found.mtu} ({how})" if found.mtu < 1500 else f"path MTU {found.mtu}"
    return Outcome(address=address, data=data, detail=detail)


MTU = Family(
    "path_mtu_bytes",
    "gauge",
    "Largest IP packet that crossed to the target with Don't Fragment set.",
    ("target", "group"),
    always=False,
)


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    if isinstance(r.data, PmtuData) and r.data.mtu is not None:
        yield MTU, (r.target, r.group), r.data.mtu


def details(r: ProbeResult) -> dict[str, Any]:
    if not isinstance(r.data, PmtuData):
        return {}
    return {"mtu": r.data.mtu, "mtu_reported": r.data.reported, "mtu_probes": r.data.probes}


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    lane=Lane.PACKET,
    requires=("scapy", "path", "scapy"),
    settings=KindSettings(interval=60, timeout=30),
    families=(MTU,),
    samples=samples,
    details=details,
    path_groups=frozenset({Group.OZON}),
    report=lambda e: [f"{'✓' if e['ok'] else '✗'} MTU: {e.get('mtu') or e['error']}"],
)
