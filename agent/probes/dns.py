"""DNS: every resolver asked for the target's name, each timed on its own.

dnspython's `dns.asyncquery` is used rather than `Resolver.resolve`, which retries across
servers and hides which one was slow or failing. UDP first; TCP when the answer is truncated.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket

import dns.asyncbackend
import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from agent.config import Resolver, Target
from agent.probes.base import ProbeContext, finish
from agent.results import DnsData, ErrorCategory, ProbeResult, ResolverAnswer

KIND = "dns"

_RCODE_CATEGORY = {
    dns.rcode.NXDOMAIN: ErrorCategory.NXDOMAIN,
    dns.rcode.SERVFAIL: ErrorCategory.SERVFAIL,
    dns.rcode.REFUSED: ErrorCategory.DNS_REFUSED,
}


async def ask(name: str, resolver: Resolver, timeout: float, ctx: ProbeContext) -> ResolverAnswer:
    query = dns.message.make_query(name, dns.rdatatype.A)
    started = ctx.clock()
    over_tcp = False
    try:
        # a connected socket, so that "port unreachable" comes back as refused, not a timeout
        backend = dns.asyncbackend.get_default_backend()
        family = socket.AF_INET6 if ":" in resolver.address else socket.AF_INET
        sock = await backend.make_socket(
            family, socket.SOCK_DGRAM, 0, None, (resolver.address, resolver.port)
        )
        async with sock:
            response = await dns.asyncquery.udp(
                query, resolver.address, timeout=timeout, port=resolver.port,
                ignore_unexpected=True, sock=sock,
            )  # fmt: skip
        if response.flags & dns.flags.TC:
            over_tcp = True
            remaining = max(timeout - (ctx.clock() - started), 0.05)
            response = await dns.asyncquery.tcp(
                query, resolver.address, timeout=remaining, port=resolver.port
            )
    except dns.exception.Timeout:
        return _failed(resolver, ctx.clock() - started, ErrorCategory.DNS_TIMEOUT, over_tcp)
    except ConnectionRefusedError:
        return _failed(resolver, ctx.clock() - started, ErrorCategory.REFUSED, over_tcp)
    except OSError as e:
        category = (
            ErrorCategory.REFUSED if e.errno == errno.ECONNREFUSED else ErrorCategory.UNREACHABLE
        )
        return _failed(resolver, ctx.clock() - started, category, over_tcp)
    except (dns.exception.DNSException, ValueError, EOFError):
        # FormError, a truncated TCP stream, bytes that are not DNS at all
        return _failed(resolver, ctx.clock() - started, ErrorCategory.DNS_MALFORMED, over_tcp)
    seconds = ctx.clock() - started
    rcode = response.rcode()
    rcode_text = dns.rcode.to_text(rcode)
    if rcode != dns.rcode.NOERROR:
        category = _RCODE_CATEGORY.get(rcode, ErrorCategory.SERVFAIL)
        return ResolverAnswer(resolver.name, False, seconds, (), category, rcode_text, over_tcp)
    addresses = sorted(
        {
            item.address
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.A
            for item in rrset
        }
    )
    if not addresses:
        return ResolverAnswer(
            resolver.name, False, seconds, (), ErrorCategory.NO_ANSWER, rcode_text, over_tcp
        )
    return ResolverAnswer(
        resolver.name, True, seconds, tuple(addresses), None, rcode_text, over_tcp
    )


def _failed(
    resolver: Resolver, seconds: float, category: ErrorCategory, over_tcp: bool
) -> ResolverAnswer:
    return ResolverAnswer(resolver.name, False, seconds, (), category, "", over_tcp)


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
