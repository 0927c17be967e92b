"""The path to a target, MTR-style, with scapy: TCP SYN to the target's port (what a browser's
packets see; many networks drop ICMP but must pass 443) and ICMP echo, several probes per hop
for per-hop loss and round-trip time, the worst hop, and a hash of the route.

The packets themselves are sent by `agent/net/scapywork.py` in the trace lane's worker thread
(`agent/net/scapylane.py`), never on the event loop. Per-hop detail goes to the status API; the
metrics carry hop counts, the route hash and the worst hop's figures (docs/metrics.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from agent.config import KindSettings, Target
from agent.net.scapylane import run_scapy, target_address
from agent.probes.base import Count, Family, KindSpec, Lane, Outcome, ProbeContext, Sample
from agent.results import ErrorCategory, HopData, PathData, ProbeResult, TraceData
from agent.vocabulary import Group

KIND = "path"
METHODS = ("tcp", "icmp")
MAX_HOPS = 30


def _trace_data(trace: Any) -> TraceData:
    from agent.net import scapywork

    hops = tuple(
        HopData(h.ttl, h.address, h.sent, h.received, tuple(h.rtts), tuple(h.others))
        for h in trace.hops
    )
    worst = scapywork.worst_hop(trace.hops)
    return TraceData(
        method=trace.method,
        hops=hops,
        reached=trace.reached,
        route_hash=scapywork.route_hash(trace.hops),
        worst_ttl=worst.ttl if worst else None,
    )


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    address = await target_address(target, ctx, ctx.settings.timeout)
    from agent.net import scapywork  # cheap: scapy itself loads in the worker thread

    traces = []
    for method in METHODS:
        trace = await run_scapy(
            scapywork.trace,
            address,
            method,
            port=target.port,
            max_hops=MAX_HOPS,
            rounds=ctx.settings.packets,
        )
        traces.append(_trace_data(trace))
    data = PathData(tuple(traces))
    reached = [t for t in traces if t.reached]
    if not reached:
        last = max((h.ttl for t in traces for h in t.hops if h.received), default=0)
        return Outcome(
            address=address,
            data=data,
            error=ErrorCategory.TIMEOUT,
            detail=f"not reached; last answer at hop {last}",
        )
    best = reached[0]
    worst = best.worst
    detail = f"{len(best.hops)} hops ({best.method})"
    if worst is not None:
        detail += f"; worst hop {worst.ttl} {worst.address or '*'}: loss {worst.loss_ratio:.0%}"
    return Outcome(address=address, data=data, detail=detail)


def route_moved(before: TraceData, now: TraceData) -> bool:
    """Did the route change between two complete traces? Only hops that answered in both are
    compared: a router that skips an ICMP error now and then has not changed the route, while
    another responder at the same hop, or the target at another distance, has."""
    was = {h.ttl: h.address for h in before.hops if h.address}
    is_ = {h.ttl: h.address for h in now.hops if h.address}
    if len(before.hops) != len(now.hops):
        return True
    return any(was[ttl] != is_[ttl] for ttl in was.keys() & is_.keys())


_LABELS = ("target", "group", "method")
HOPS = Family(
    "path_hops",
    "gauge",
    "Hops to the target in the last trace (to the last answer when not reached).",
    _LABELS,
    always=False,
)
REACHED = Family(
    "path_reached", "gauge", "1 if the last trace reached the target.", _LABELS, always=False
)
ROUTE = Family(
    "path_route_hash",
    "gauge",
    "48-bit hash of the ordered hop addresses of the last trace (changes with the route).",
    _LABELS,
    always=False,
)
WORST = Family(
    "path_worst_hop",
    "gauge",
    "Hop number (TTL) of the worst hop of the last trace.",
    _LABELS,
    always=False,
)
WORST_LOSS = Family(
    "path_worst_hop_loss_ratio",
    "gauge",
    "Share of the worst hop's probes unanswered.",
    _LABELS,
    always=False,
)
WORST_RTT = Family(
    "path_worst_hop_rtt_seconds",
    "gauge",
    "Mean round-trip time to the worst hop.",
    _LABELS,
    always=False,
)
CHANGES = Family(
    "path_route_changes",
    "counter",
    "Times the route (hash) to the target changed between two complete traces.",
    _LABELS,
    always=False,
)


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    if not isinstance(r.data, PathData):
        return
    for t in r.data.traces:
        lv = (r.target, r.group, t.method)
        yield HOPS, lv, len(t.hops)
        yield REACHED, lv, 1 if t.reached else 0
        yield ROUTE, lv, t.route_hash
        w = t.worst
        if w is not None:
            yield WORST, lv, w.ttl
            yield WORST_LOSS, lv, w.loss_ratio
            if (avg := w.rtt_avg) is not None:
                yield WORST_RTT, lv, avg


def counts(r: ProbeResult, previous: ProbeResult | None) -> Iterable[Count]:
    if not isinstance(r.data, PathData):
        return
    before: dict[str, TraceData] = {}
    if previous is not None and isinstance(previous.data, PathData):
        before = {t.method: t for t in previous.data.traces if t.reached}
    for t in r.data.traces:
        lv = (r.target, r.group, t.method)
        yield CHANGES, lv, 0  # the series exists from the first trace on
        # only complete routes compare: a trace cut short is an outage, not a new route
        if t.reached and t.method in before and route_moved(before[t.method], t):
            yield CHANGES, lv, 1


def details(r: ProbeResult) -> dict[str, Any]:
    if not isinstance(r.data, PathData):
        return {}
    return {
        "traces": [
            {
                "method": t.method,
                "reached": t.reached,
                "route_hash": f"{t.route_hash:012x}",
                "worst_hop": t.worst_ttl,
                "hops": [
                    {
                        "ttl": h.ttl,
                        "address": h.address or "*",
                        "loss_ratio": round(h.loss_ratio, 3),
                        "rtt_avg_seconds": round(a, 5) if (a := h.rtt_avg) else None,
                        "sent": h.sent,
                        **({"others": list(h.others)} if h.others else {}),
                    }
                    for h in t.hops
                ],
            }
            for t in r.data.traces
        ]
    }


def stretch(settings: KindSettings, targets: int) -> KindSettings:
    # traces run one after another: the last one waits for all the others
    return replace(settings, timeout=max(settings.timeout, 15.0 * settings.packets / 3 * targets))


def report(entry: dict[str, Any]) -> list[str]:
    lines = [f"{'✓' if entry['ok'] else '✗'} {entry['detail'] or entry['error']}"]
    for t in entry.get("traces", []):
        route = " > ".join(h["address"] for h in t["hops"])
        lines.append(f"    {t['method']:<4} {route}")
    return lines


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    lane=Lane.PACKET,
    requires=("scapy", "path", "scapy"),
    # traces run one at a time (routers rate-limit the ICMP errors they send), so the timeout
    # covers the queue behind the other targets' traces
    settings=KindSettings(interval=60, timeout=60, packets=3),
    options=frozenset({"packets"}),
    families=(HOPS, REACHED, ROUTE, WORST, WORST_LOSS, WORST_RTT, CHANGES),
    samples=samples,
    counts=counts,
    details=details,
    path_groups=frozenset({Group.OZON}),
    stretch=stretch,
    report=report,
)
