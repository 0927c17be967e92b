"""The evidence, assessed once per evaluation from a snapshot of results: what each region
(gateway, home internet, Russia) answers, how sick each path is, what the system resolver does,
and each Ozon service's state. The rules (agent/diagnosis/rules.py) only read this.

Freshness matters more than anything: results of different kinds finish at different times, and
a success from before a fault must not vouch for the network during it. So a region's state
comes from each source's *latest* result, and a platform verdict needs proof (a Russian control
answering, DNS agreeing) from the same round as Ozon's failures or later.

Nothing here names a probe kind: what a result can tell (reachability, echo statistics, resolver
answers, a web answer's timing, layer-2 presence) comes from its kind's spec and its data.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from agent.config import Config, DiagnosisSettings, Resolver, Target
from agent.diagnosis.reasons import R, Reason
from agent.net.machine import LinkState
from agent.probes import KINDS
from agent.results import IcmpData, ProbeResult
from agent.store import Snapshot
from agent.vocabulary import (
    ANSWERED,
    DNS_CATEGORIES,
    NOT_NETWORK_EVIDENCE,
    RUSSIA,
    SILENT,
    ErrorCategory,
    Group,
    Layer,
    State,
)

#: a control's success proves the path only if it ended no more than this before Ozon's
#: failure was concluded: a control that answered just before a link went down, in the
#: same round as an Ozon request that then timed out, proves nothing about the outage
SAME_MOMENT_SLACK = 0.5
#: rounds in a row a handshake must be met by silence for its own name (the same address
#: answering a neutral name each time) before that is filtering
SILENT_FILTER_ROUNDS = 3
#: a body that stopped after fewer bytes than this (TLS included) is no fixed-size freeze
#: worth naming: a stall before that is a slow or lost start
MIN_STALL_BYTES = 4096
#: how far apart two frozen connections' byte counts may be and still be "the same count":
#: a box that counts IP bytes freezes TLS streams whose packets, headers and certificates
#: differ by a few hundred bytes (the lab's freeze: 10,162 to 10,325 delivered, seven hosts)
SAME_STALL_BYTES = 2048
#: rounds in a row an Ozon host must freeze at that count before it is filtering: two
#: answers cut by loss at nearly the same count happen once in a while, twice rarely
STALL_ROUNDS = 2
#: rounds of per-round minimum RTT kept as a path's baseline (3 hours at the default 30 s)
BASELINE_ROUNDS = 360


@dataclass
class ServiceState:
    target: str
    service: str
    state: State
    text: Reason
    streak: int = 0  # rounds in a row this service has failed or been slow


@dataclass
class Reach:
    """Latest evidence for a region: did anything there answer, did anything stay silent."""

    positive: list[tuple[float, Reason]] = field(default_factory=list)  # (started_at, source)
    negative: list[Reason] = field(default_factory=list)  # targets that stay silent
    silent_resolvers: list[Reason] = field(default_factory=list)

    @property
    def state(self) -> State:
        if self.positive:
            return State.OK
        return State.DOWN if self.negative or self.silent_resolvers else State.UNKNOWN


@dataclass
class Layer2:
    """The gateway's newest layer-2 (ARP) answer, when such a probe runs."""

    answered: bool
    said: Reason


@dataclass
class Evidence:
    settings: DiagnosisSettings
    home: str
    link_ok: bool
    link_why: Reason
    gateway: Reach
    home_net: Reach
    russia: Reach
    dns_state: State
    dns_evidence: list[Reason]
    dns_independent_ok: bool
    #: when the oldest failing system-resolver lookup began (0: none fails)
    dns_failed_since: float
    services: list[ServiceState]
    ozon_failures: list[ProbeResult]
    ozon_troubled: list[ProbeResult]
    gateway_sick: list[Reason]
    home_sick: list[Reason]
    russia_sick: list[Reason]
    wobbling: list[Reason]
    #: the part of `wobbling` on this side of the home internet (gateway, home controls):
    #: lookups lost with the packets are the line's trouble, not the resolver's
    office_wobbling: list[Reason]
    #: targets on the way (gateway, home and Russian controls) with a bad echo round among
    #: their last three: not a sick path, but while it stands a service's soft trouble may be
    #: the path's (random loss on the way to Russia hits seven Ozon services before it hits
    #: two controls twice)
    unsteady: list[Reason]
    gateway_layer2: Layer2 | None
    #: connections stopped for the name they asked for while the same address answered a
    #: neutral one (the TLS probe's contrast), Ozon's and the controls' alike; DNS rewritten
    #: on the way; TLS re-signed on the way
    filtering: list[Reason]
    #: a contrast seen, not yet proof (a handshake met by silence for its own name, fewer
    #: rounds in a row than silence needs): no one is blamed until it is settled
    filtering_pending: list[Reason]
    layers: dict[Layer, State]
    #: like-for-like proof that only Ozon fails (None while it is not shown)
    platform_proof: list[Reason] | None
    min_streak: int

    @property
    def in_russia(self) -> bool:
        return self.home == RUSSIA

    @property
    def fine(self) -> list[str]:
        return [s.service for s in self.services if s.state == State.OK]

    @property
    def known(self) -> list[ServiceState]:
        return [s for s in self.services if s.state != State.UNKNOWN]


def started(r: ProbeResult) -> float:
    return r.finished_at - r.duration


def _in_a_row(snap: Snapshot, key: tuple[str, str], this: Callable[[ProbeResult], bool]) -> int:
    """How many of key's newest results in a row are `this` (the newest counted first)."""
    rounds = 0
    for h in reversed(snap.history.get(key, [snap.latest[key]])):
        if not this(h):
            break
        rounds += 1
    return rounds


def _same_stall(r: ProbeResult, n: int) -> bool:
    m = r.data.stalled_at() if r.data is not None else 0
    return m >= MIN_STALL_BYTES and abs(m - n) <= SAME_STALL_BYTES


def _where(name: str, r: ProbeResult, hosts: dict[str, str]) -> dict[str, str]:
    """The target, its host and the address a filtering reason names."""
    return {"target": name, "host": hosts.get(name, name), "address": r.address}


def reach_of(r: ProbeResult) -> bool | None:
    if r.ok or r.error in ANSWERED:
        return True
    if r.data is not None and r.data.stalled_at():
        return True  # the server was answering when its answer froze: the path carried it
    if r.error in SILENT:
        return False
    return None  # DNS failures, permission: says nothing about the IP path


def said(r: ProbeResult) -> Reason:
    """What one result says, in a few words."""
    web = r.data.web_answer() if r.data is not None else None
    echo = r.data.echo_stats() if r.data is not None else None
    ms = round(r.duration * 1000)
    if r.ok:
        if web is not None and web.status is not None:
            if web.status >= 400:  # the answer the target expects (the Seller API's 401)
                return R("said_alive", status=web.status, json_code=web.json_code, ms=ms)
            return R("said_http", status=web.status, ms=ms)
        if echo is not None and echo.rtt_avg is not None:
            # round trips, not the probe's wall time (which is packets x spacing)
            return R(
                "said_echo",
                avg=_ms(echo.rtt_avg),
                min=_ms(echo.rtt_min),
                max=_ms(echo.rtt_max),
                received=echo.received,
                sent=echo.sent,
            )
        return R("said_ok", ms=ms)
    if web is not None and web.status is not None:
        return R("said_http_status", status=web.status)
    return R("said_error", error=r.error.value) if r.error else R("said_failed")


def _ms(seconds: float | None) -> float:
    return round((seconds or 0.0) * 1000, 1)


class Assessor:
    """Assesses a snapshot into `Evidence`. Keeps what must outlive one evaluation: each path's
    RTT baseline."""

    def __init__(self, config: Config, link: Callable[[], LinkState]) -> None:
        self.config = config
        self.link = link
        self.min_streak = 2  # rounds a soft fault must last before it is named
        self._baseline: dict[str, deque[float]] = {}
        self._folded: dict[str, float] = {}

    @property
    def t(self) -> DiagnosisSettings:
        return self.config.diagnosis

    # -- per target -------------------------------------------------------------------------

    def _usable(self, snap: Snapshot, target: Target) -> list[str]:
        """Kinds that tell reachability for a target, and are believed: a kind that never
        worked while another did is filtered on the path (ICMP blocked) and says nothing when
        it fails now."""
        kinds = [
            k for k, s in KINDS.items() if s.reach_evidence and (k, target.name) in snap.latest
        ]
        worked = [k for k in kinds if any(r.ok for r in snap.history.get((k, target.name), []))]
        return worked or kinds

    def _target_reach(self, snap: Snapshot, target: Target) -> tuple[bool | None, float, Reason]:
        """(answered?, when that probe started, what it said) from the newest telling result."""
        best: ProbeResult | None = None
        unresolved = 0.0  # the newest probe that could not even look the name up
        for kind in self._usable(snap, target):
            r = snap.latest[(kind, target.name)]
            if reach_of(r) is None:
                if r.error in DNS_CATEGORIES:
                    unresolved = max(unresolved, r.finished_at)
                continue
            if best is None or r.finished_at > best.finished_at:
                best = r
        if best is None or unresolved > best.finished_at:
            # a success from before the name stopped resolving says nothing about now: a dead
            # router takes DNS with it, and the old answer must not vouch for the path
            return None, 0.0, R("no_results")
        return (
            reach_of(best),
            started(best),
            R("probe_said", target=target.name, kind=best.kind, said=said(best)),
        )

    @staticmethod
    def _echo_history(snap: Snapshot, target: Target) -> list[IcmpData]:
        rows: list[tuple[float, IcmpData]] = []
        for (_, name), hist in snap.history.items():
            if name != target.name:
                continue
            for r in hist:
                stats = r.data.echo_stats() if r.data is not None else None
                if stats is not None and stats.sent:
                    rows.append((r.finished_at, stats))
        return [d for _, d in sorted(rows, key=lambda x: x[0])]

    @staticmethod
    def _latest_echo(snap: Snapshot, target: Target) -> IcmpData | None:
        newest: tuple[float, IcmpData] | None = None
        for (_, name), r in snap.latest.items():
            stats = r.data.echo_stats() if r.data is not None else None
            if name != target.name or stats is None:
                continue
            if newest is None or r.finished_at > newest[0]:
                newest = (r.finished_at, stats)
        return newest[1] if newest else None

    # -- regions ----------------------------------------------------------------------------

    def _targets(self, group: Group, country: str | None = None) -> list[Target]:
        return [
            t
            for t in self.config.targets
            if t.group == group and (country is None or t.country == country)
        ]

    def _reach(self, snap: Snapshot, targets: list[Target]) -> Reach:
        reach = Reach()
        for t in targets:
            ok, when, text = self._target_reach(snap, t)
            if ok is True:
                reach.positive.append((when, text))
            elif ok is False:
                reach.negative.append(text)
        return reach

    def _region(self, snap: Snapshot, country: str, resolvers: list[Resolver]) -> Reach:
        reach = self._reach(snap, self._targets(Group.CONTROL, country))
        # a public resolver that answers at all proves the IP path to its country
        public = {r.name for r in resolvers if not r.system and r.country == country}
        seen: dict[str, tuple[float, bool]] = {}
        for r in snap.latest.values():
            for a in r.data.resolver_answers() if r.data is not None else ():
                if a.resolver not in public:
                    continue
                answered = a.error not in (ErrorCategory.DNS_TIMEOUT, ErrorCategory.UNREACHABLE)
                if a.resolver not in seen or seen[a.resolver][0] < r.finished_at:
                    seen[a.resolver] = (r.finished_at, answered)
                elif seen[a.resolver][0] == r.finished_at and answered:
                    seen[a.resolver] = (r.finished_at, True)
        for name, (when, answered) in seen.items():
            if answered:
                reach.positive.append((when, R("resolver_answers", resolver=name)))
            else:
                reach.silent_resolvers.append(R("resolver_silent", resolver=name))
        return reach

    # -- path quality -----------------------------------------------------------------------

    def _fold_baselines(self, snap: Snapshot) -> None:
        """Remember each target's lowest RTT per round over a long window: the path's
        'empty' RTT, against which queueing (a saturated uplink) shows as an increase."""
        for (_, name), r in snap.latest.items():
            stats = r.data.echo_stats() if r.data is not None else None
            if stats is None or not stats.rtts:
                continue
            if self._folded.get(name) == r.finished_at:
                continue
            self._folded[name] = r.finished_at
            self._baseline.setdefault(name, deque(maxlen=BASELINE_ROUNDS)).append(min(stats.rtts))

    def _bad_round(self, d: IcmpData, name: str, rtt_limit: float, jitter: float) -> Reason | None:
        if d.loss_ratio >= self.t.loss_ratio - 1e-9:  # 1 - 4/5 is 0.19999...96
            return R("path_loss", percent=round(d.loss_ratio * 100))
        if d.rtt_avg is not None:
            if d.rtt_avg > rtt_limit:
                return R("path_rtt", ms=round(d.rtt_avg * 1000))
            base = min(self._baseline.get(name) or [d.rtt_avg])
            if d.rtt_avg - base > self.t.rtt_increase:
                return R("path_rtt_rise", ms=round(d.rtt_avg * 1000), usual=round(base * 1000))
        if d.jitter is not None and d.jitter > jitter:
            return R("path_jitter", ms=round(d.jitter * 1000))
        return None

    def _sick(
        self, snap: Snapshot, targets: list[Target], rtt: float, jitter: float
    ) -> list[Reason]:
        """A target is sick when at least two of its last three rounds were bad: one lost
        packet or one slow round is noise, and a path that is bad most of the time does not
        flap to ok."""
        out = []
        for t in targets:
            hist = self._echo_history(snap, t)[-3:]
            if len(hist) < 2 or not any(d.received for d in hist):
                continue  # not enough rounds, or the target is gone: that is not "degraded"
            # a round in which nothing answered is an outage (the hard rules' business), not
            # a lossy path: counted here, a link that came back read as `network_degraded`
            # for as long as its silent rounds stayed in the window
            bad = [
                why for d in hist if d.received and (why := self._bad_round(d, t.name, rtt, jitter))
            ]
            if len(bad) >= 2:
                out.append(R("path_sick", target=t.name, why=bad[-1]))
        return out

    def _latest_bad(
        self, snap: Snapshot, targets: list[Target], rtt: float, jitter: float
    ) -> list[Reason]:
        """Targets whose newest echo round alone was bad: not enough to name a cause, but
        enough to refuse blaming Ozon while the path itself is wobbling."""
        out = []
        for t in targets:
            d = self._latest_echo(snap, t)
            if d is None or not d.received:
                continue
            if why := self._bad_round(d, t.name, rtt, jitter):
                out.append(R("path_sick", target=t.name, why=why))
        return out

    def _recently_bad(
        self, snap: Snapshot, targets: list[Target], rtt: float, jitter: float
    ) -> list[Reason]:
        """Targets with a bad round among their last three (the window `_sick` counts in)."""
        out = []
        for t in targets:
            for d in reversed(self._echo_history(snap, t)[-3:]):
                if d.received and (why := self._bad_round(d, t.name, rtt, jitter)):
                    out.append(R("path_sick", target=t.name, why=why))
                    break
        return out

    # -- DNS --------------------------------------------------------------------------------

    def _dns(
        self, snap: Snapshot, resolvers: list[Resolver]
    ) -> tuple[State, list[Reason], bool, float]:
        """(state, evidence, whether an independent resolver answered most of the names the
        system resolver failed) for the system resolvers."""
        system_names = {r.name for r in resolvers if r.system}
        ozon = {t.name for t in self._targets(Group.OZON)}
        hosts = {t.name: t.host for t in self.config.targets}
        failing: list[Reason] = []
        lying: list[Reason] = []
        total = independent = 0
        failed_since = 0.0
        for (_, name), r in snap.latest.items():
            answers = r.data.resolver_answers() if r.data is not None else ()
            system = [a for a in answers if a.resolver in system_names]
            if not system:
                continue
            total += 1
            if any(a.rewritten for a in system):
                continue  # the path's doing, not the resolver's: network_filtering's evidence
            qname = hosts.get(name, name)  # the DNS probe asks for its target's host
            if not any(a.ok for a in system):
                err = next((a.error for a in system if a.error), ErrorCategory.DNS_TIMEOUT)
                failing.append(R("dns_failure", name=qname, error=err.value))
                since = started(r)
                if not failed_since or since < failed_since:
                    failed_since = since
                if any(a.ok for a in answers if a not in system):
                    independent += 1
            elif name in ozon and all(a.disagrees for a in system if a.ok):
                addrs = ", ".join(next(a for a in system if a.ok).addresses)
                lying.append(R("dns_lie", name=qname, addresses=addrs))
        independent_ok = bool(failing) and independent * 2 >= len(failing)
        if total == 0:
            return State.UNKNOWN, [], False, failed_since
        if lying:
            return State.DEGRADED, [R("dns_lying", lies=lying)], independent_ok, failed_since
        if len(failing) * 2 >= total:
            evidence = [R("dns_failing", failures=failing[:4])]
            if independent_ok:
                evidence.append(R("dns_others_answer"))
            return State.DOWN, evidence, independent_ok, failed_since
        return State.OK, [], False, failed_since

    # -- Ozon's services --------------------------------------------------------------------

    def slow(self, r: ProbeResult) -> bool:
        web = r.data.web_answer() if r.data is not None else None
        if web is None:
            return False
        if r.ok:
            return web.phases.get("processing", 0.0) > self.t.slow_first_byte
        # connected (and shook hands) but no first byte before the deadline: hanging, not gone
        return r.error is ErrorCategory.TIMEOUT and web.stalled_in == "processing"

    def _services(
        self, snap: Snapshot
    ) -> tuple[list[ServiceState], list[ProbeResult], list[ProbeResult]]:
        """Each Ozon service's state from its most application-level probe (HTTP, else TLS,
        TCP), the failed results among those, and the failed-or-slow ones."""
        ranked = sorted((s.service_rank, k) for k, s in KINDS.items() if s.service_rank is not None)
        out: list[ServiceState] = []
        hard: list[ProbeResult] = []
        troubled: list[ProbeResult] = []
        for t in self._targets(Group.OZON):
            kind = next((k for _, k in ranked if (k, t.name) in snap.latest), None)
            label = t.service or t.name
            if kind is None:
                out.append(ServiceState(t.name, label, State.UNKNOWN, R("svc_no_result")))
                continue
            hist = snap.history.get((kind, t.name), [])
            r = hist[-1]
            prev = hist[-2] if len(hist) > 1 else None
            streak = 0
            for h in reversed(hist):
                if h.ok and not self.slow(h):
                    break
                streak += 1
            if r.error in NOT_NETWORK_EVIDENCE:
                out.append(ServiceState(t.name, label, State.UNKNOWN, said(r)))
            elif r.error in DNS_CATEGORIES:
                assert r.error is not None
                text = R("svc_no_name", error=r.error.value)
                out.append(ServiceState(t.name, label, State.UNKNOWN, text))
            elif self.slow(r):
                troubled.append(r)
                text = R("svc_slow", said=said(r), rounds=streak)
                out.append(ServiceState(t.name, label, State.DEGRADED, text, streak))
            elif not r.ok:
                hard.append(r)
                troubled.append(r)
                firm = self.min_streak <= 1 or (prev is not None and not prev.ok)
                text = R("svc_failing", said=said(r), rounds=streak)
                state = State.DOWN if firm else State.DEGRADED
                out.append(ServiceState(t.name, label, state, text, streak))
            else:
                out.append(ServiceState(t.name, label, State.OK, said(r)))
        return out, hard, troubled

    def _platform_proof(self, snap: Snapshot, failures: list[ProbeResult]) -> list[Reason] | None:
        """Like-for-like evidence that only Ozon is failing: for each kind of probe that fails
        on Ozon, Russian control targets pass the same kind of probe in the same round or
        later, and none fails it. And the addresses Ozon's probes used are ones an honest
        resolver gives. None while that is not shown (then the verdict holds)."""
        if not failures:
            return None
        controls = self._targets(Group.CONTROL, RUSSIA)
        evidence: list[Reason] = []
        for kind in sorted({r.kind for r in failures}):
            results = [r for t in controls if (r := snap.latest.get((kind, t.name)))]
            if not results:
                continue
            if any(
                (not r.ok and r.error not in NOT_NETWORK_EVIDENCE) or self.slow(r) for r in results
            ):
                return None  # a control fails (or crawls) the same way: not Ozon alone
            # Ozon's trouble of this kind was first concluded then (the first troubled round
            # of the newest streak); a control must have answered at about that moment or
            # later: one that answered earlier in the same round, just before a link went
            # down, proves nothing
            concluded = max(self._streak_began(snap, r) for r in failures if r.kind == kind)
            fresh = [r for r in results if r.finished_at >= concluded - SAME_MOMENT_SLACK]
            if not fresh:
                return None
            evidence += [
                R("probe_said", target=r.target, kind=kind, said=said(r)) for r in fresh[:2]
            ]
        if not evidence:
            return None
        honest: set[str] = set()
        for r in snap.latest.values():
            for a in r.data.resolver_answers() if r.data is not None else ():
                if a.ok and not a.disagrees and not a.rewritten:
                    honest.update(a.addresses)
                honest.update(a.rewritten)  # what the resolver said before the rewrite
        if any(r.address and honest and r.address not in honest for r in failures):
            return None  # Ozon was reached at an address no honest resolver gives
        return evidence

    def _streak_began(self, snap: Snapshot, r: ProbeResult) -> float:
        """When the first result of r's current run of failed or slow results finished."""
        began = r.finished_at
        for h in reversed(snap.history.get((r.kind, r.target), [])):
            if h.ok and not self.slow(h):
                break
            began = h.finished_at
        return began

    def _filtering(
        self, snap: Snapshot, resolvers: list[Resolver]
    ) -> tuple[list[Reason], list[Reason]]:
        """(proven, pending) contrasts that show something on the way altering connections:
        a handshake reset (or silenced, rounds in a row) for the real name only (the TLS
        probe), a system resolver's UDP answer that the same resolver contradicts over TCP
        (the DNS probe), one untrusted issuer re-signing Ozon's and a control's certificates,
        Ozon's and a control's answers frozen after the same number of bytes (the HTTP probe),
        a handshake reset by a packet that did not come the server's way (its TTL)."""
        hosts = {t.name: t.host for t in self.config.targets}
        system = {r.name for r in resolvers if r.system}
        rewritten: list[Reason] = []
        for (_, name), r in sorted(snap.latest.items()):
            for a in r.data.rewritten_on_the_way() if r.data is not None else ():
                if a.resolver not in system:
                    continue
                said = {"target": name, "host": hosts.get(name, name), "resolver": a.resolver}
                said["tcp"] = ", ".join(a.rewritten)
                if a.ok:
                    rewritten.append(R("filter_dns", **said, udp=", ".join(a.addresses)))
                else:
                    error = a.error.value if a.error else ""
                    rewritten.append(R("filter_dns_denied", **said, error=error))
        by_name, pending = self._by_name(snap, hosts)
        stalled, stalling = self._stalled(snap, hosts)
        proven = rewritten + self._intercepted(snap, hosts) + by_name + stalled
        proven += self._reset_elsewhere(snap, hosts)
        return proven, pending + stalling

    @staticmethod
    def _by_name(snap: Snapshot, hosts: dict[str, str]) -> tuple[list[Reason], list[Reason]]:
        """(proven, pending) contrasts of a connection stopped for its own name: a reset is
        proof at once; silence only in SILENT_FILTER_ROUNDS rounds in a row, each with the
        neutral name answered (a lossy path gives one such round now and then, not three)."""
        proven: list[Reason] = []
        pending: list[Reason] = []
        for key, r in sorted(snap.latest.items()):
            if r.data is None or not r.data.filtered_by_name():
                continue
            said = _where(key[1], r, hosts)
            if r.error is not ErrorCategory.TIMEOUT:
                proven.append(R("filter_sni", **said, error=r.error.value if r.error else ""))
                continue
            silent = _in_a_row(
                snap,
                key,
                lambda h: (
                    h.error is ErrorCategory.TIMEOUT
                    and h.data is not None
                    and h.data.filtered_by_name()
                ),
            )
            reason = R("filter_sni_silent", **said, rounds=silent)
            (proven if silent >= SILENT_FILTER_ROUNDS else pending).append(reason)
        return proven, pending

    @staticmethod
    def _intercepted(snap: Snapshot, hosts: dict[str, str]) -> list[Reason]:
        """One issuer that this machine does not trust, signing the certificates of Ozon's
        hosts and of a control (another company's site) alike: a box on the way re-signs TLS
        (a company's inspection proxy, a provider's). An untrusted certificate for Ozon alone
        is Ozon's own (or its CDN's) and stays a platform matter."""
        signed: dict[str, dict[str, list[str]]] = {}
        for (_, name), r in sorted(snap.latest.items()):
            by = r.data.untrusted_issuer() if r.data is not None else ""
            if by:
                signed.setdefault(by, {}).setdefault(r.group, []).append(name)
        out = []
        for by, groups in signed.items():
            controls = groups.get(Group.CONTROL, [])
            for name in groups.get(Group.OZON, []) if controls else []:
                control = hosts.get(controls[0], controls[0])
                out.append(
                    R(
                        "filter_tls",
                        target=name,
                        host=hosts.get(name, name),
                        issuer=by,
                        control=control,
                    )
                )
        return out

    @staticmethod
    def _reset_elsewhere(snap: Snapshot, hosts: dict[str, str]) -> list[Reason]:
        """Handshakes reset by a packet whose TTL is not the server's: the SYN-ACK and a
        server's own reset come one way, a reset a box on the way injects starts nearer
        (raw sockets only; without them nothing is claimed). Proof at once, whatever name."""
        out = []
        for (_, name), r in sorted(snap.latest.items()):
            ttls = r.data.reset_from_elsewhere() if r.data is not None else None
            if ttls is not None:
                said = _where(name, r, hosts)
                out.append(R("filter_rst_ttl", **said, reset_ttl=ttls[0], server_ttl=ttls[1]))
        return out

    @staticmethod
    def _stalled(snap: Snapshot, hosts: dict[str, str]) -> tuple[list[Reason], list[Reason]]:
        """(proven, pending): an Ozon host's answer frozen in its body after the same number
        of bytes as a control's (another company's server, a different page): one server
        stalling is its own matter, two unrelated ones cut at one count are a box on the way
        (the Russian "16 KB freeze"). Proof once the Ozon host froze there STALL_ROUNDS
        rounds in a row; until then the rules hold rather than blame Ozon."""
        stalls = {
            key: (r, n)
            for key, r in sorted(snap.latest.items())
            if r.data is not None and (n := r.data.stalled_at()) >= MIN_STALL_BYTES
        }
        controls = [(key[1], n) for key, (r, n) in stalls.items() if r.group == Group.CONTROL]
        proven: list[Reason] = []
        pending: list[Reason] = []
        for key, (r, n) in stalls.items():
            like = [c for c, m in controls if abs(m - n) <= SAME_STALL_BYTES]
            if r.group != Group.OZON or not like:
                continue
            rounds = _in_a_row(snap, key, partial(_same_stall, n=n))
            said = _where(key[1], r, hosts)
            control = hosts.get(like[0], like[0])
            reason = R("filter_stall", **said, kb=round(n / 1024), control=control, rounds=rounds)
            (proven if rounds >= STALL_ROUNDS else pending).append(reason)
        return proven, pending

    def _gateway_layer2(self, snap: Snapshot, gateways: list[Target]) -> Layer2 | None:
        names = {t.name for t in gateways}
        for (kind, name), r in sorted(snap.latest.items()):
            answered = r.data.layer2_answer() if r.data is not None else None
            if name in names and answered is not None:
                detail = r.detail or ("" if answered else "no answer")
                return Layer2(answered, R("probe_detail", target=name, kind=kind, detail=detail))
        return None

    # -- all of it --------------------------------------------------------------------------

    def assess(self, snap: Snapshot, resolvers: list[Resolver]) -> Evidence:
        t = self.t
        self._fold_baselines(snap)
        home = self.config.site.country
        link = self.link()
        link_ok = link.ok
        link_why = (
            R(f"link_{link.problem}", iface=link.iface)
            if link.problem
            else R("link_ok", iface=link.iface)
        )
        gateways = self._targets(Group.GATEWAY)
        gw = self._reach(snap, gateways)
        home_net = self._region(snap, home, resolvers)
        russia = home_net if home == RUSSIA else self._region(snap, RUSSIA, resolvers)
        dns_state, dns_evidence, dns_independent_ok, dns_failed_since = self._dns(snap, resolvers)
        services, failures, troubled = self._services(snap)
        home_controls = self._targets(Group.CONTROL, home)
        ru_controls = self._targets(Group.CONTROL, RUSSIA)
        gw_sick = self._sick(snap, gateways, t.gateway_rtt, t.gateway_jitter)
        home_sick = self._sick(snap, home_controls, t.home_rtt, t.path_jitter)
        ru_sick = (
            home_sick
            if home == RUSSIA
            else self._sick(snap, ru_controls, t.russia_rtt, t.path_jitter)
        )
        office_wobbling = self._latest_bad(
            snap, gateways, t.gateway_rtt, t.gateway_jitter
        ) + self._latest_bad(snap, home_controls, t.home_rtt, t.path_jitter)
        wobbling = office_wobbling + (
            []
            if home == RUSSIA
            else self._latest_bad(snap, ru_controls, t.russia_rtt, t.path_jitter)
        )
        filtering, filtering_pending = self._filtering(snap, resolvers)
        unsteady = (
            self._recently_bad(snap, gateways, t.gateway_rtt, t.gateway_jitter)
            + self._recently_bad(snap, home_controls, t.home_rtt, t.path_jitter)
            + (
                []
                if home == RUSSIA
                else self._recently_bad(snap, ru_controls, t.russia_rtt, t.path_jitter)
            )
        )
        layers = {
            Layer.LINK: State.OK if link_ok else State.DOWN,
            Layer.GATEWAY: gw.state,
            Layer.INTERNET: home_net.state,
            Layer.RUSSIA: russia.state,
            Layer.DNS: dns_state,
        }
        for layer, sick in (
            (Layer.GATEWAY, gw_sick),
            (Layer.INTERNET, home_sick),
            (Layer.RUSSIA, ru_sick),
        ):
            if sick and layers[layer] == State.OK:
                layers[layer] = State.DEGRADED
        known = [s for s in services if s.state != State.UNKNOWN]
        if not known:
            layers[Layer.PLATFORM] = State.UNKNOWN
        elif all(s.state == State.OK for s in known):
            layers[Layer.PLATFORM] = State.OK
        elif len(failures) == len(known) and all(s.state != State.OK for s in known):
            layers[Layer.PLATFORM] = State.DOWN
        else:
            layers[Layer.PLATFORM] = State.DEGRADED
        return Evidence(
            settings=t,
            home=home,
            link_ok=link_ok,
            link_why=link_why,
            gateway=gw,
            home_net=home_net,
            russia=russia,
            dns_state=dns_state,
            dns_evidence=dns_evidence,
            dns_independent_ok=dns_independent_ok,
            dns_failed_since=dns_failed_since,
            services=services,
            ozon_failures=failures,
            ozon_troubled=troubled,
            gateway_sick=gw_sick,
            home_sick=home_sick,
            russia_sick=ru_sick,
            wobbling=wobbling,
            office_wobbling=office_wobbling,
            unsteady=unsteady,
            filtering=filtering,
            filtering_pending=filtering_pending,
            gateway_layer2=self._gateway_layer2(snap, gateways),
            layers=layers,
            platform_proof=self._platform_proof(snap, troubled),
            min_streak=self.min_streak,
        )
