"""The probe registry: every kind of probe, one module each, each a complete `KindSpec`.

    async def probe(target: Target, ctx: ProbeContext) -> Outcome

To add a kind: write `agent/probes/<kind>.py` with its probe function and its `SPEC`, and add
the spec to `KINDS` below (docs/architecture.md walks through it). The config parser, the
scheduler, the exporter and the view learn about the kind from here.
"""

from __future__ import annotations

from agent.probes import (
    arp,
    dns,
    http,
    icmp,
    path,
    pmtu,
    seller_api,
    speedtest,
    tcp,
    throughput,
    tls,
)
from agent.probes.base import KindSpec, Lane, Outcome, ProbeContext, ProbeFn

#: in this order: the config's default probe lists, the scheduler's stagger, the exporter
KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        dns.SPEC,
        icmp.SPEC,
        tcp.SPEC,
        tls.SPEC,
        http.SPEC,
        # packet-level (scapy, loaded on first use in a worker thread: agent/net/scapylane.py)
        path.SPEC,
        pmtu.SPEC,
        arp.SPEC,
        seller_api.SPEC,
        # throughput: one test at a time, inside the daily data budget (agent/scheduler.py)
        throughput.SPEC,
        speedtest.SPEC,
    )
}


def configurable() -> list[str]:
    """Kinds a target may list in `probes:` (and tune in the config's `probes:` section)."""
    return [k for k, spec in KINDS.items() if spec.settings is not None]


__all__ = ["KINDS", "KindSpec", "Lane", "Outcome", "ProbeContext", "ProbeFn", "configurable"]
