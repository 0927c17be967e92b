"""What every probe kind is made of: the context it runs in, the outcome it returns, and the
spec that makes one module a complete kind.

A probe is an `async def probe(target, ctx) -> Outcome`. It measures and returns; it does not
schedule, time itself for the record, store or export. The scheduler stamps the outcome with the
kind, the target and the timing (as blackbox_exporter's handler does) and owns the deadline. A
probe may end early by raising `ProbeError`; the scheduler maps it, once, at that boundary.

Everything else about a kind (its settings and their defaults, which targets it applies to, its
lane, the metric families its results add, what `/api/status` shows of them, what the diagnosis
may read from them) is declared in its `KindSpec`, so that the config parser, the scheduler, the
exporter and the view iterate the registry instead of naming kinds.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from agent.config import Config, KindSettings, Resolver, Target
from agent.net.errors import ProbeError, categorize_os_error, describe_os_error
from agent.net.machine import default_gateway
from agent.net.tcp import close_quietly, is_ip, open_tcp
from agent.results import ProbeData, ProbeResult
from agent.vocabulary import ErrorCategory

__all__ = [
    "Count",
    "Family",
    "IcmpCapability",
    "KindSpec",
    "Lane",
    "Outcome",
    "ProbeContext",
    "ProbeError",
    "ProbeFn",
    "Sample",
    "categorize_os_error",
    "close_quietly",
    "describe_os_error",
    "is_ip",
    "open_tcp",
    "stamp",
]


class IcmpCapability:
    """Which ICMP socket this process may open. Found once, reported once."""

    def __init__(self, force_mode: str | None = None) -> None:
        self.mode: str | None = force_mode  # datagram | raw | none; None until first probe
        self.reported = False


@dataclass
class ProbeContext:
    config: Config
    settings: KindSettings
    resolvers: list[Resolver]  # expanded: "system" replaced by /etc/resolv.conf's nameservers
    system_nameservers: list[tuple[str, int]]
    icmp: IcmpCapability = field(default_factory=IcmpCapability)
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    gateway_lookup: Callable[[], str | None] = default_gateway
    secrets: dict[str, str] = field(default_factory=dict)  # seller API credentials

    def ssl_context(self, verify: bool = True) -> ssl.SSLContext:
        return _ssl_context(self.config.tls_ca_file, verify)


@functools.lru_cache(maxsize=8)
def _ssl_context(cafile: str, verify: bool) -> ssl.SSLContext:
    # built once: loading the trust store costs milliseconds of CPU on the event loop
    ctx = ssl.create_default_context(cafile=cafile or None)
    if cafile:
        ctx.load_default_certs()  # the configured CA is added to the system's, not instead
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a probe found; the scheduler turns it into a `ProbeResult`."""

    error: ErrorCategory | None = None
    detail: str = ""  # one line for people; never a label; never a secret
    address: str = ""  # the address actually probed (status API only, never a label)
    data: ProbeData | None = None
    ok: bool | None = None  # None: ok exactly when there is no error
    retry_after: float | None = None  # the server asked us to wait this long


def stamp(kind: str, target: Target, outcome: Outcome, duration: float, at: float) -> ProbeResult:
    return ProbeResult(
        kind=kind,
        target=target.name,
        group=target.group,
        ok=(outcome.error is None) if outcome.ok is None else outcome.ok,
        duration=duration,
        finished_at=at,
        error=outcome.error,
        detail=outcome.detail,
        address=outcome.address,
        data=outcome.data,
        retry_after=outcome.retry_after,
    )


class ProbeFn(Protocol):
    def __call__(self, target: Target, ctx: ProbeContext) -> Awaitable[Outcome]: ...


class Lane(StrEnum):
    """How the scheduler runs a kind."""

    ROUND = "round"  # every target at once, at the kind's interval
    PACKET = "packet"  # rounds too, but raw packets in a worker thread; `check` runs them last
    BUDGETED = "budgeted"  # throughput: one test at a time, inside the daily data budget


@dataclass(frozen=True)
class Family:
    """One metric family a kind's results add (name without the `ozon_probe_` prefix)."""

    name: str
    type: str  # gauge | counter | histogram
    help: str
    labels: tuple[str, ...]
    always: bool = True  # exposed even without samples; False: only once a probe measured it
    buckets: tuple[float, ...] = ()  # histograms


#: (family, label values, value): a gauge's value from the latest result
Sample = tuple[Family, tuple[str, ...], float]
#: (family, label values, amount): added to a counter, or observed by a histogram
Count = tuple[Family, tuple[str, ...], float]


def _no_samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    return ()


def _no_counts(r: ProbeResult, previous: ProbeResult | None) -> Iterable[Count]:
    return ()


def _no_details(r: ProbeResult) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class KindSpec:
    """Everything the rest of the agent knows about one kind of probe."""

    name: str
    probe: ProbeFn
    lane: Lane = Lane.ROUND
    #: defaults of `probes.<kind>` in the config; None: the kind has a section of its own
    settings: KindSettings | None = None
    #: keys besides interval and timeout that `probes.<kind>` accepts (packets, spacing)
    options: frozenset[str] = frozenset()
    #: the settings in force; None: `config.probes[name]`
    settings_of: Callable[[Config], KindSettings] | None = None
    #: the targets this kind probes; None: the targets that list it in `probes:`
    targets: Callable[[Config, Mapping[str, str]], list[Target]] | None = None
    #: in a target's default `probes:` list? (url, whether the host is an IP address)
    default_on: Callable[[str, bool], bool] | None = None
    #: why a target may not list this kind: (url, host is an IP, group) -> message or None
    check_target: Callable[[str, bool, str], str | None] | None = None
    families: tuple[Family, ...] = ()
    samples: Callable[[ProbeResult, float], Iterable[Sample]] = _no_samples
    counts: Callable[[ProbeResult, ProbeResult | None], Iterable[Count]] = _no_counts
    #: kind-specific figures for `/api/status` and `check --json`
    details: Callable[[ProbeResult], dict[str, Any]] = _no_details
    #: an optional dependency the kind needs: (import name, pip extra, its name for people)
    requires: tuple[str, str, str] | None = None
    #: a cheap probe that decides between causes: run at once in a confirmation burst
    confirms: bool = False
    #: groups whose first target this kind watches between rounds (one packet, one query,
    #: one connect every bursts.watch_interval), to notice a change within seconds
    watch: frozenset[str] = frozenset()
    #: a config whose targets list this kind must configure resolvers
    needs_resolvers: bool = False
    #: does success or failure of this kind say whether the host answers at the IP level?
    reach_evidence: bool = False
    #: for an Ozon service's state, the most application-level kind wins (lowest rank)
    service_rank: int | None = None
    #: `check --path` adds this kind to one target per host in these groups
    path_groups: frozenset[str] = frozenset()
    #: how `check --path` stretches the settings when it adds the kind to n targets
    stretch: Callable[[KindSettings, int], KindSettings] | None = None
    #: lines of `check --path`'s report from this kind's entry in the status document
    report: Callable[[dict[str, Any]], list[str]] | None = None
    #: bytes the data budget reserves before a test of this kind (budgeted lane)
    cost: Callable[[Config, Target], int] | None = None

    def settings_in(self, config: Config) -> KindSettings:
        if self.settings_of is not None:
            return self.settings_of(config)
        return config.probes[self.name]

    def targets_in(self, config: Config, environ: Mapping[str, str]) -> list[Target]:
        if self.targets is not None:
            return self.targets(config, environ)
        return config.targets_for(self.name)
