"""Name lookups, one server at a time: the DNS probe's per-resolver queries, and the
resolution every other probe does before connecting.

Queries go over a connected UDP socket, so a resolver with nothing listening answers
"refused" at once instead of a silent timeout, and over TCP when the answer is truncated.
"""

from __future__ import annotations

import errno
import socket

import dns.asyncbackend
import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from agent.config import Resolver
from agent.probes.base import ProbeContext, ProbeError, is_ip
from agent.results import DNS_CATEGORIES, ErrorCategory, ResolverAnswer

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
        sock = await backend.make_socket(  # type: ignore[no-untyped-call]
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


async def resolve_host(host: str, ctx: ProbeContext, timeout: float) -> tuple[str, float]:
    """The address to probe and the seconds the lookup took. Re-resolved at every round, as a
    browser would after its cache expires, through the system's resolvers in order."""
    started = ctx.clock()
    if host == "auto":
        gw = ctx.gateway_lookup()
        if gw is None:
            raise ProbeError(ErrorCategory.UNREACHABLE, "no default route: no gateway to probe")
        return gw, 0.0
    if is_ip(host):
        return host, 0.0
    if host == "localhost":
        return "127.0.0.1", 0.0
    if not ctx.system_nameservers:
        raise ProbeError(ErrorCategory.DNS_UNREACHABLE, "no nameserver in /etc/resolv.conf")
    errors: list[ErrorCategory] = []
    for address, port in ctx.system_nameservers:
        remaining = timeout - (ctx.clock() - started)
        if remaining <= 0:
            break
        answer = await ask(host, Resolver("system", address, port, system=True), remaining, ctx)
        if answer.ok:
            return answer.addresses[0], ctx.clock() - started
        assert answer.error is not None
        if answer.error in (ErrorCategory.NXDOMAIN, ErrorCategory.NO_ANSWER):
            raise ProbeError(
                answer.error,
                f"{host}: no such name"
                if answer.error is ErrorCategory.NXDOMAIN
                else f"{host}: the name has no address",
            )
        errors.append(answer.error)
    if errors and all(e in (ErrorCategory.REFUSED, ErrorCategory.UNREACHABLE) for e in errors):
        raise ProbeError(ErrorCategory.DNS_UNREACHABLE, f"{host}: no resolver can be reached")
    dns_errors = [e for e in errors if e in DNS_CATEGORIES]
    category = dns_errors[0] if dns_errors else ErrorCategory.DNS_TIMEOUT
    raise ProbeError(category, f"{host}: {category.value} from the system resolver")
