"""Name lookups as the probes need them, on agent/net/dns.py (the one implementation): a
resolver's own answer for the DNS probe, and the resolution every other probe does before
connecting, through the system's nameservers in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from agent.config import Resolver
from agent.net import dns as wire
from agent.results import ResolverAnswer


class ResolveContext(Protocol):
    """What a lookup needs of the probe's context (a ProbeContext is one)."""

    @property
    def clock(self) -> Callable[[], float]: ...
    @property
    def gateway_lookup(self) -> Callable[[], str | None]: ...
    @property
    def system_nameservers(self) -> list[tuple[str, int]]: ...


async def ask(
    name: str, resolver: Resolver, timeout: float, ctx: ResolveContext, *, tcp: bool = False
) -> ResolverAnswer:
    """`resolver`'s answer for `name`, timed for that server alone (`tcp`: over TCP only)."""
    a = await wire.ask(name, resolver.address, resolver.port, timeout, clock=ctx.clock, tcp=tcp)
    return ResolverAnswer(resolver.name, a.ok, a.seconds, a.addresses, a.error, a.rcode, a.over_tcp)


async def resolve_host(host: str, ctx: ResolveContext, timeout: float) -> tuple[str, float]:
    """The address to probe and the seconds the lookup took. Re-resolved at every round, as a
    browser would after its cache expires. Raises ProbeError (agent.net's WireError)."""
    return await wire.resolve_host(
        host, ctx.system_nameservers, timeout, gateway=ctx.gateway_lookup, clock=ctx.clock
    )
