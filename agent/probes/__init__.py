"""The probe registry: every kind of probe, one module each, one signature.

    async def probe(target: Target, ctx: ProbeContext) -> ProbeResult

To add a kind: write `agent/probes/<kind>.py` with that function and register it here.
"""

from __future__ import annotations

from agent.probes import dns, http, icmp, seller_api, tcp, tls
from agent.probes.base import ProbeContext, ProbeFn

PROBES: dict[str, ProbeFn] = {
    "dns": dns.probe,
    "icmp": icmp.probe,
    "tcp": tcp.probe,
    "tls": tls.probe,
    "http": http.probe,
    "seller_api": seller_api.probe,
}

__all__ = ["PROBES", "ProbeContext", "ProbeFn"]
