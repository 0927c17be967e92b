"""The probe registry: every kind of probe, one module each, one signature.

    async def probe(target: Target, ctx: ProbeContext) -> ProbeResult

To add a kind: write `agent/probes/<kind>.py` with that function and register it here.
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
from agent.probes.base import ProbeContext, ProbeFn

PROBES: dict[str, ProbeFn] = {
    "dns": dns.probe,
    "icmp": icmp.probe,
    "tcp": tcp.probe,
    "tls": tls.probe,
    "http": http.probe,
    # packet-level (scapy, loaded on first use in a worker thread: agent/probes/scapywork.py)
    "path": path.probe,
    "pmtu": pmtu.probe,
    "arp": arp.probe,
    "seller_api": seller_api.probe,
    # throughput kinds: scheduled apart, inside the data budget (agent/scheduler.py)
    "throughput": throughput.probe,
    "speedtest": speedtest.probe,
}

__all__ = ["PROBES", "ProbeContext", "ProbeFn"]
