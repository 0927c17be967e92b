"""DNS: every resolver asked for the target's name, each timed on its own.

dnspython's `dns.asyncquery` is used rather than `Resolver.resolve`, which retries across
servers and hides which one was slow or failing. UDP first; TCP when the answer is truncated.

An answer that shares no network with the others' is not yet a lie: CDNs and the caches ISPs
embed answer one name with different networks per resolver. Before such an answer is flagged,
its address is asked for the name over TLS (on the target's port, 443 for https; the name as
SNI, the certificate verified as a browser would); a valid certificate vouches for it, as OONI
counts an answer consistent. A hijack page cannot show one. Vouched addresses are remembered
for an hour.

A transparent DNS proxy on the way answers every UDP question itself, whichever resolver it
was sent to, so all resolvers agree on its lie. The contrast: the first system resolver is
asked the same question over TCP (which such proxies mostly let pass); when TCP gives an
address with a valid certificate and the UDP answer's address has none (or UDP denied the
name), the UDP answer was rewritten on the way: `network_filtering`'s evidence, not the
resolver's fault. An answer whose address shows the name's certificate needs no contrast (and
is remembered for an hour), so a healthy network sees no TCP question at all.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from agent.config import KindSettings, Resolver, Target
from agent.net.resolve import ask
from agent.probes.base import Count, Family, KindSpec, Outcome, ProbeContext, Sample
from agent.probes.tls import handshake
from agent.results import DnsData, ErrorCategory, ProbeResult, ResolverAnswer
from agent.vocabulary import Group

from ..net.deadline import within

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
        out.append(replace(a, disagrees=disagrees))
    return out


#: (name, address, port) -> until when a valid certificate vouches for it (bounded)
_VOUCHED: dict[tuple[str, str, int], float] = {}
VOUCH_TTL = 3600.0
VOUCH_SECONDS = 1.5  # the TLS check of one disagreeing address, at most
_VOUCH_MAX = 512


async def _certificate_vouches(
    address: str, target: Target, ctx: ProbeContext, budget: float
) -> bool:
    """Does `address` present, on the target's port, a certificate that verifies for the
    target's name? The TLS probe's own handshake, verified as a browser would."""
    key, now = (target.host, address, target.port), time.monotonic()
    if _VOUCHED.get(key, 0.0) > now:
        return True
    try:
        await within(handshake(address, target, ctx, verify=True), budget)
    except (OSError, TimeoutError, EOFError, ValueError):  # ssl.SSLError is an OSError
        return False
    if len(_VOUCHED) >= _VOUCH_MAX:
        _VOUCHED.clear()
    _VOUCHED[key] = now + VOUCH_TTL
    return True


async def vouch(
    target: Target, answers: list[ResolverAnswer], ctx: ProbeContext, budget: float
) -> list[ResolverAnswer]:
    """Clear `disagrees` on answers whose first address shows a valid certificate for `name`."""
    doubted = [a for a in answers if a.disagrees and a.addresses]
    if not doubted or budget <= 0.05:
        return answers
    seconds = min(VOUCH_SECONDS, budget)
    verdicts = await asyncio.gather(
        *(_certificate_vouches(a.addresses[0], target, ctx, seconds) for a in doubted)
    )
    cleared = {a.resolver for a, ok in zip(doubted, verdicts, strict=True) if ok}
    return [
        replace(a, disagrees=False, vouched=True) if a.resolver in cleared else a for a in answers
    ]


#: what a rewriting proxy answers for a name it blocks, besides a block page's address
_DENIALS = (ErrorCategory.NXDOMAIN, ErrorCategory.NO_ANSWER)


async def _tcp_contradicts(
    target: Target, udp: ResolverAnswer, resolver: Resolver, ctx: ProbeContext, budget: float
) -> tuple[str, ...]:
    """The addresses the same resolver gives over TCP, when they show that the UDP answer was
    rewritten on the way: TCP's address presents a valid certificate for the name while the
    UDP answer's does not (or UDP denied the name). () otherwise. An answer whose address
    shows the name's certificate is right whatever TCP says, and that is remembered for an
    hour: on a healthy network the contrast costs one handshake per name and hour, and no
    TCP question at all."""
    started = ctx.clock()

    def left() -> float:
        return min(VOUCH_SECONDS, budget - (ctx.clock() - started))

    if udp.ok and await _certificate_vouches(udp.addresses[0], target, ctx, left()):
        return ()
    if left() <= 0.05:
        return ()
    tcp = await ask(target.host, resolver, left(), ctx, tcp=True)
    if not tcp.ok or (udp.ok and _networks(udp.addresses) & _networks(tcp.addresses)):
        return ()  # no contrast, or none to make: TCP blocked too, or the same network
    if left() <= 0.05 or not await _certificate_vouches(tcp.addresses[0], target, ctx, left()):
        return ()  # which of the two is right is not shown: nothing is claimed
    return tcp.addresses


async def contrast(
    target: Target, answers: list[ResolverAnswer], ctx: ProbeContext, budget: float
) -> list[ResolverAnswer]:
    """Mark the first system resolver's UDP answer `rewritten` when the same resolver, asked
    over TCP, contradicts it with a certificate to show. A transparent proxy that rewrites
    every UDP answer makes all resolvers agree on its lie, so this is asked whatever the
    others say. Only for names served over TLS: a certificate is the only proof of which
    answer is right."""
    system = next((r for r in ctx.resolvers if r.system), None)
    udp = next((a for a in answers if system and a.resolver == system.name), None)
    tls = target.scheme == "https" or (not target.scheme and target.port == 443)
    if system is None or udp is None or udp.over_tcp or not tls or budget <= 0.1:
        return answers
    if not udp.ok and udp.error not in _DENIALS:
        return answers  # silence or SERVFAIL: the resolver's own trouble, not a rewrite
    rewritten = await _tcp_contradicts(target, udp, system, ctx, budget)
    if not rewritten:
        return answers
    return [replace(a, rewritten=rewritten) if a is udp else a for a in answers]


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    """Succeeds when the system resolvers give a usable, honest answer: that is what the
    seller's browser gets. Every resolver's own answer is in `data` for the exporter."""
    started = ctx.clock()
    answers = list(
        await asyncio.gather(
            *(ask(target.host, r, ctx.settings.timeout, ctx) for r in ctx.resolvers)
        )
    )
    answers = flag_disagreement(answers)
    left = ctx.settings.timeout - (ctx.clock() - started)
    answers = await vouch(target, answers, ctx, left)
    left = ctx.settings.timeout - (ctx.clock() - started)
    answers = await contrast(target, answers, ctx, left)
    data = DnsData(name=target.host, answers=tuple(answers))
    system = [a for a in answers if _is_system(a, ctx)] or answers
    rewritten = [a for a in system if a.rewritten]
    if rewritten:
        a = rewritten[0]
        said = ", ".join(a.addresses) or (a.error.value if a.error else "?")
        return Outcome(
            data=data,
            ok=False,
            error=ErrorCategory.DNS_MISMATCH,
            detail=f"{target.host}: {a.resolver} answers {said} over UDP but "
            f"{', '.join(a.rewritten)} over TCP: rewritten on the way",
        )
    good = [a for a in system if a.ok and not a.disagrees]
    if good:
        return Outcome(data=data, address=good[0].addresses[0])
    lying = [a for a in system if a.ok and a.disagrees]
    if lying:
        return Outcome(
            data=data,
            ok=False,
            error=ErrorCategory.DNS_MISMATCH,
            detail=f"{target.host}: {lying[0].resolver} answers {', '.join(lying[0].addresses)}, "
            "which no other resolver confirms",
        )
    first = system[0] if system else None
    category = first.error if first and first.error else ErrorCategory.DNS_TIMEOUT
    return Outcome(
        data=data,
        error=category,
        detail=f"{target.host}: {category.value} from the system resolver",
    )


def _is_system(answer: ResolverAnswer, ctx: ProbeContext) -> bool:
    return any(r.system and r.name == answer.resolver for r in ctx.resolvers)


_LABELS = ("target", "group", "resolver")
SUCCESS = Family("dns_success", "gauge", "1 if this resolver answered with addresses.", _LABELS)
SECONDS = Family(
    "dns_lookup_seconds", "gauge", "How long this one resolver took to answer.", _LABELS
)
ANSWERS = Family("dns_answers", "gauge", "Addresses in this resolver's answer.", _LABELS)
DISAGREE = Family(
    "dns_disagreement",
    "gauge",
    "1 if this resolver's answer shares no network with the other resolvers' answers.",
    _LABELS,
)
REWRITTEN = Family(
    "dns_rewritten",
    "gauge",
    "1 if this resolver's UDP answer was rewritten on the way (the same resolver over TCP "
    "gave an address with a valid certificate, the UDP answer's had none).",
    _LABELS,
)
FAILURES = Family(
    "dns_failures",
    "counter",
    "Failed answers from one resolver, by error category.",
    (*_LABELS, "category"),
)


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    if not isinstance(r.data, DnsData):
        return
    for a in r.data.answers:
        lv = (r.target, r.group, a.resolver)
        yield SUCCESS, lv, 1 if a.ok else 0
        yield SECONDS, lv, a.seconds
        yield ANSWERS, lv, len(a.addresses)
        yield DISAGREE, lv, 1 if a.disagrees else 0
        yield REWRITTEN, lv, 1 if a.rewritten else 0


def counts(r: ProbeResult, previous: ProbeResult | None) -> Iterable[Count]:
    if not isinstance(r.data, DnsData):
        return
    for a in r.data.answers:
        if a.error is not None:
            yield FAILURES, (r.target, r.group, a.resolver, a.error.value), 1


def details(r: ProbeResult) -> dict[str, Any]:
    """Each resolver's answer, for /api/status: what it said, whether it stands alone against
    the others, and whether a valid certificate vouched for it all the same."""
    d = r.data
    if not isinstance(d, DnsData):
        return {}
    return {
        "answers": [
            {
                "resolver": a.resolver,
                "ok": a.ok,
                "addresses": list(a.addresses),
                "error": a.error.value if a.error else None,
                "disagrees": a.disagrees,
                "vouched": a.vouched,
                "over_tcp_instead": list(a.rewritten),
            }
            for a in d.answers
        ]
    }


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    details=details,
    confirms=True,
    watch=frozenset({Group.OZON}),
    settings=KindSettings(interval=30, timeout=3),
    default_on=lambda url, host_is_ip: not host_is_ip,
    check_target=lambda url, host_is_ip, group: (
        "the dns probe needs a host name" if host_is_ip else None
    ),
    needs_resolvers=True,
    families=(SUCCESS, SECONDS, ANSWERS, DISAGREE, REWRITTEN, FAILURES),
    samples=samples,
    counts=counts,
)
