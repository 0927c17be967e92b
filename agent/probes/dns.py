"""DNS: every resolver asked for the target's name, each timed on its own.

dnspython's `dns.asyncquery` is used rather than `Resolver.resolve`, which retries across
servers and hides which one was slow or failing. UDP first; TCP when the answer is truncated.
"""

from __future__ import annotations

import asyncio
import ipaddress

from agent.config import Target
from agent.probes.base import ProbeContext, finish
from agent.probes.lookup import ask
from agent.results import DnsData, ErrorCategory, ProbeResult, ResolverAnswer

KIND = "dns"


def _networks(addresses: tuple[str, ...]) -> set[str]:
    # CDNs hand out different addresses of one network to different resolvers: compare /24s
    # (/48s for IPv6) so that honest geo-balancing does not look like lying.
    out = set()
    for a in addresses:
        ip = ipaddress.ip_address(a)
        prefix = 24 if ip.version == 4 else 48
        out.add(str(ipaddress.ip_network(f"{a}/{prefix}", strict=False)))
    return out


def flag_disagreement(answers: list[ResolverAnswer]) -> list[ResolverAnswer]:
    """Mark a resolver whose answer shares no network with any other resolver's, when at least
    two others answered and agree with each other (so there is a majority to disagree with)."""
    answered = [a for a in answers if a.ok]
    nets = {a.resolver: _networks(a.addresses) for a in answered}
    out = []
    for a in answers:
        disagrees = False
        if a.ok:
            others = [o for o in answered if o.resolver != a.resolver]
            others_agree = any(
                nets[x.resolver] & nets[y.resolver]
                for i, x in enumerate(others)
                for y in others[i + 1 :]
            )
            if len(others) >= 2 and others_agree:
                disagrees = all(not (nets[a.resolver] & nets[o.resolver]) for o in others)
        out.append(
            ResolverAnswer(
                a.resolver, a.ok, a.seconds, a.addresses, a.error, a.rcode, a.over_tcp, disagrees
            )
        )
    return out


async def probe(target: Target, ctx: ProbeContext) -> ProbeResult:
    """Succeeds when the system resolvers give a usable, honest answer: that is what the
    seller's browser gets. Every resolver's own answer is in `data` for the exporter."""
    started = ctx.clock()
    answers = list(
        await asyncio.gather(
            *(ask(target.host, r, ctx.settings.timeout, ctx) for r in ctx.resolvers)
        )
    )
    answers = flag_disagreement(answers)
    data = DnsData(name=target.host, answers=tuple(answers))
    system = [a for a in answers if _is_system(a, ctx)] or answers
    good = [a for a in system if a.ok and not a.disagrees]
    if good:
        return finish(target, KIND, ctx, started, data=data, address=good[0].addresses[0])
    lying = [a for a in system if a.ok and a.disagrees]
    if lying:
        return finish(
            target, KIND, ctx, started, data=data, ok=False, error=ErrorCategory.DNS_MISMATCH,
            detail=f"{target.host}: {lying[0].resolver} answers {', '.join(lying[0].addresses)}, "
            "which no other resolver confirms",
        )  # fmt: skip
    first = system[0] if system else None
    category = first.error if first and first.error else ErrorCategory.DNS_TIMEOUT
    return finish(
        target, KIND, ctx, started, data=data, error=category,
        detail=f"{target.host}: {category.value} from the system resolver",
    )  # fmt: skip


def _is_system(answer: ResolverAnswer, ctx: ProbeContext) -> bool:
    return any(r.system and r.name == answer.resolver for r in ctx.resolvers)
