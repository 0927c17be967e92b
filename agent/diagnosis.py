"""Is it me or Ozon? The rules that name exactly one cause from the probes' results.

Layer by layer, from the machine outwards: link, gateway, the home country's internet, the
path to Russia, DNS, and only then Ozon. The first layer that is broken is the cause, so a
local, ISP, international or DNS fault can never be called a platform outage. docs/diagnosis.md
states every rule in words; keep the two in step.

Freshness matters more than anything: results of different kinds finish at different times, and
a success from before a fault must not vouch for the network during it. So a region's state
comes from each source's *latest* result, and a platform verdict needs proof (a Russian control
answering, DNS agreeing) from the same round as Ozon's failures or later.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config import Config, DiagnosisSettings, Target
from agent.results import (
    DNS_CATEGORIES,
    NOT_NETWORK_EVIDENCE,
    ArpData,
    DnsData,
    ErrorCategory,
    HttpData,
    IcmpData,
    ProbeResult,
    probe_details,
)
from agent.store import ResultStore, Snapshot

#: every cause the agent can name, and the layers it reports, in the order people read them
CAUSES = (
    "ok",
    "local_network",
    "isp",
    "international_path",
    "dns",
    "platform_outage",
    "platform_degraded",
    "network_degraded",
)
LAYERS = ("link", "gateway", "internet", "russia", "dns", "platform")
OK, DEGRADED, DOWN, UNKNOWN = 0, 1, 2, 3
TRANSPORT_KINDS = ("icmp", "tcp", "tls", "http")
RUSSIA = "RU"
#: probes of one round start within this of each other; evidence this much older than a
#: failure still counts as "the same round"
SAME_ROUND_SLACK = 1.0
#: causes under which Ozon is out of sight: its services are reported unknown, not down
CUT_OFF_CAUSES = frozenset({"local_network", "isp", "international_path"})
#: rounds of per-round minimum RTT kept as a path's baseline (3 hours at the default 30 s)
BASELINE_ROUNDS = 360

#: results that prove a host answered at the IP level, even though the probe failed
_ANSWERED = frozenset(
    {
        ErrorCategory.REFUSED,
        ErrorCategory.RESET,
        ErrorCategory.TLS_VERIFY,
        ErrorCategory.TLS_ERROR,
        ErrorCategory.HTTP_STATUS,
        ErrorCategory.HTTP_BODY,
        ErrorCategory.HTTP_PROTOCOL,
        ErrorCategory.API_KEY_INVALID,
        ErrorCategory.RATE_LIMITED,
    }
)
_SILENT = frozenset({ErrorCategory.TIMEOUT, ErrorCategory.UNREACHABLE})


@dataclass
class ServiceState:
    target: str
    service: str
    state: int
    text: str
    streak: int = 0  # rounds in a row this service has failed or been slow


@dataclass
class Diagnosis:
    cause: str = "ok"
    summary: str = "no results yet"
    evidence: list[str] = field(default_factory=list)
    layers: dict[str, int] = field(default_factory=dict)
    services: list[ServiceState] = field(default_factory=list)
    since: float = field(default_factory=time.time)
    changes: int = 0
    evaluated_at: float = 0.0
    hard: bool = False


@dataclass
class _Reach:
    """Latest evidence for a region: did anything there answer, did anything stay silent."""

    positive: list[tuple[float, str]] = field(default_factory=list)  # (started_at, source)
    negative: list[str] = field(default_factory=list)  # targets that stay silent
    silent_resolvers: list[str] = field(default_factory=list)

    @property
    def state(self) -> int:
        if self.positive:
            return OK
        return DOWN if self.negative or self.silent_resolvers else UNKNOWN


def link_state(
    route_file: str = "/proc/net/route", sys_net: str = "/sys/class/net"
) -> tuple[bool, str]:
    """Does this machine have a usable way out: a default route over an interface that is up?"""
    try:
        lines = Path(route_file).read_text().splitlines()[1:]
    except OSError:
        return False, "cannot read the routing table"
    routes = [c for c in (line.split() for line in lines) if len(c) > 7 and c[1] == "00000000"]
    if not routes:
        return False, "no default route: the network cable, Wi-Fi or DHCP is down"
    for cols in routes:
        try:
            oper = (Path(sys_net) / cols[0] / "operstate").read_text().strip()
        except OSError:
            oper = "unknown"
        if oper in ("up", "unknown"):
            return True, f"default route via {cols[0]}"
    return False, f"the interface of the default route ({routes[0][0]}) is down"


def _started(r: ProbeResult) -> float:
    return r.finished_at - r.duration


def _reach_of(r: ProbeResult) -> bool | None:
    if r.ok or r.error in _ANSWERED:
        return True
    if r.error in _SILENT:
        return False
    return None  # DNS failures, permission: says nothing about the IP path


class Diagnoser:
    def __init__(
        self,
        config: Config,
        store: ResultStore,
        *,
        link: Callable[[], tuple[bool, str]] = link_state,
    ) -> None:
        self.config = config
        self.store = store
        self.link = link
        self.current: Diagnosis | None = None
        self.min_streak = 2  # rounds a soft fault must last before it is named
        self._baseline: dict[str, deque[float]] = {}
        self._folded: dict[str, float] = {}

    def replace_config(self, config: Config) -> None:
        self.config = config

    @property
    def t(self) -> DiagnosisSettings:
        return self.config.diagnosis

    # -- the evidence ------------------------------------------------------------------------

    def _usable_kinds(self, snap: Snapshot, target: Target) -> list[str]:
        """Transport kinds to believe for a target: a kind that never worked while another did
        is filtered on the path (e.g. ICMP blocked) and says nothing when it fails now."""
        kinds = [k for k in TRANSPORT_KINDS if (k, target.name) in snap.latest]
        worked = [k for k in kinds if any(r.ok for r in snap.history.get((k, target.name), []))]
        return worked or kinds

    def _target_reach(self, snap: Snapshot, target: Target) -> tuple[bool | None, float, str]:
        """(answered?, when that probe started, what it said) from the newest telling result."""
        best: ProbeResult | None = None
        for kind in self._usable_kinds(snap, target):
            r = snap.latest[(kind, target.name)]
            if _reach_of(r) is None:
                continue
            if best is None or r.finished_at > best.finished_at:
                best = r
        if best is None:
            return None, 0.0, ""
        return _reach_of(best), _started(best), f"{target.name} {best.kind}: {_say(best)}"

    def _region(self, snap: Snapshot, country: str) -> _Reach:
        reach = _Reach()
        for t in self.config.targets:
            if t.group != "control" or t.country != country:
                continue
            ok, started, text = self._target_reach(snap, t)
            if ok is True:
                reach.positive.append((started, text))
            elif ok is False:
                reach.negative.append(text)
        # a public resolver that answers at all proves the IP path to its country
        public = {
            r.name: r
            for r in snap.extra.get("resolvers", self.config.resolvers)
            if not r.system and r.country == country
        }
        seen: dict[str, tuple[float, bool]] = {}
        for (kind, _), r in snap.latest.items():
            if kind != "dns" or not isinstance(r.data, DnsData):
                continue
            for a in r.data.answers:
                if a.resolver not in public:
                    continue
                answered = a.error not in (ErrorCategory.DNS_TIMEOUT, ErrorCategory.UNREACHABLE)
                if a.resolver not in seen or seen[a.resolver][0] < r.finished_at:
                    seen[a.resolver] = (r.finished_at, answered)
                elif seen[a.resolver][0] == r.finished_at and answered:
                    seen[a.resolver] = (r.finished_at, True)
        for name, (when, answered) in seen.items():
            if answered:
                reach.positive.append((when, f"resolver {name} answers"))
            else:
                reach.silent_resolvers.append(f"resolver {name} does not answer")
        return reach

    def _fold_baselines(self, snap: Snapshot) -> None:
        """Remember each target's lowest RTT per round over a long window: the path's
        'empty' RTT, against which queueing (a saturated uplink) shows as an increase."""
        for (kind, name), r in snap.latest.items():
            if kind != "icmp" or not isinstance(r.data, IcmpData) or not r.data.rtts:
                continue
            if self._folded.get(name) == r.finished_at:
                continue
            self._folded[name] = r.finished_at
            self._baseline.setdefault(name, deque(maxlen=BASELINE_ROUNDS)).append(min(r.data.rtts))

    def _bad_round(self, d: IcmpData, name: str, rtt_limit: float, jitter_limit: float) -> str:
        if d.loss_ratio >= self.t.loss_ratio - 1e-9:  # 1 - 4/5 is 0.19999...96
            return f"{d.loss_ratio:.0%} packet loss"
        if d.rtt_avg is not None:
            if d.rtt_avg > rtt_limit:
                return f"round-trip {d.rtt_avg * 1000:.0f} ms"
            base = min(self._baseline.get(name) or [d.rtt_avg])
            if d.rtt_avg - base > self.t.rtt_increase:
                return f"round-trip {d.rtt_avg * 1000:.0f} ms, usually {base * 1000:.0f} ms"
        if d.jitter is not None and d.jitter > jitter_limit:
            return f"jitter {d.jitter * 1000:.0f} ms"
        return ""

    def _icmp_sick(
        self, snap: Snapshot, target: Target, rtt_limit: float, jitter_limit: float
    ) -> str:
        """Sick when at least two of the last three rounds were bad: one lost packet or one
        slow round is noise, and a path that is bad most of the time does not flap to ok."""
        hist = [
            r.data
            for r in snap.history.get(("icmp", target.name), [])
            if isinstance(r.data, IcmpData) and r.data.sent
        ][-3:]
        if len(hist) < 2 or not any(d.received for d in hist):
            return ""  # not enough rounds, or the target is gone: that is not "degraded"
        bad = [
            why for d in hist if (why := self._bad_round(d, target.name, rtt_limit, jitter_limit))
        ]
        return f"{target.name}: {bad[-1]}" if len(bad) >= 2 else ""

    def _latest_bad(
        self, snap: Snapshot, targets: list[Target], rtt: float, jitter: float
    ) -> list[str]:
        """Targets whose newest ICMP round alone was bad: not enough to name a cause, but
        enough to refuse blaming Ozon while the path itself is wobbling."""
        out = []
        for t in targets:
            r = snap.latest.get(("icmp", t.name))
            data = r.data if r is not None else None
            if not isinstance(data, IcmpData) or not data.received:
                continue
            if why := self._bad_round(data, t.name, rtt, jitter):
                out.append(f"{t.name}: {why}")
        return out

    def _sick(self, snap: Snapshot, targets: list[Target], rtt: float, jitter: float) -> list[str]:
        return [s for t in targets if (s := self._icmp_sick(snap, t, rtt, jitter))]

    def _dns_state(self, snap: Snapshot) -> tuple[int, list[str], bool]:
        """(state, evidence, whether an independent resolver answered most of the names the
        system resolver failed) for the system resolvers."""
        failing, lying, total = [], [], 0
        independent = 0
        for (kind, name), r in snap.latest.items():
            if kind != "dns" or not isinstance(r.data, DnsData):
                continue
            target = self._target(name)
            system = [a for a in r.data.answers if self._is_system(snap, a.resolver)]
            if not system:
                continue
            total += 1
            if not any(a.ok for a in system):
                err = next((a.error for a in system if a.error), ErrorCategory.DNS_TIMEOUT)
                failing.append(f"{r.data.name}: {err.value}")
                if any(a.ok for a in r.data.answers if a not in system):
                    independent += 1
            elif (
                target is not None
                and target.group == "ozon"
                and all(a.disagrees for a in system if a.ok)
            ):
                addrs = ", ".join(next(a for a in system if a.ok).addresses)
                lying.append(f"{r.data.name} -> {addrs}, which no independent resolver confirms")
        independent_ok = bool(failing) and independent * 2 >= len(failing)
        if total == 0:
            return UNKNOWN, [], False
        if lying:
            evidence = ["the system resolver gives wrong addresses: " + "; ".join(lying)]
            return DEGRADED, evidence, independent_ok
        if len(failing) * 2 >= total:
            evidence = ["the system resolver fails: " + "; ".join(failing[:4])]
            if independent_ok:
                evidence.append("other resolvers answer the same names")
            return DOWN, evidence, independent_ok
        return OK, [], False

    def _is_system(self, snap: Snapshot, resolver: str) -> bool:
        return any(
            r.system and r.name == resolver
            for r in snap.extra.get("resolvers", self.config.resolvers)
        )

    def _target(self, name: str) -> Target | None:
        return next((t for t in self.config.targets if t.name == name), None)

    def _services(
        self, snap: Snapshot
    ) -> tuple[list[ServiceState], list[ProbeResult], list[ProbeResult]]:
        """Each Ozon service's state from its application-level probe (HTTP, else TLS, TCP),
        the failed results among those, and the failed-or-slow ones."""
        out: list[ServiceState] = []
        hard_failures: list[ProbeResult] = []
        troubled: list[ProbeResult] = []
        for t in self.config.targets:
            if t.group != "ozon":
                continue
            kind = next(
                (k for k in ("http", "tls", "tcp", "icmp") if (k, t.name) in snap.latest), None
            )
            label = t.service or t.name
            if kind is None:
                out.append(ServiceState(t.name, label, UNKNOWN, "no result yet"))
                continue
            hist = snap.history.get((kind, t.name), [])
            r = hist[-1]
            prev = hist[-2] if len(hist) > 1 else None
            streak = 0
            for h in reversed(hist):
                if h.ok and not self._slow(h):
                    break
                streak += 1
            if r.error in NOT_NETWORK_EVIDENCE:
                out.append(ServiceState(t.name, label, UNKNOWN, _say(r)))
            elif r.error in DNS_CATEGORIES:
                out.append(
                    ServiceState(t.name, label, UNKNOWN, f"name does not resolve ({r.error})")
                )
            elif self._slow(r):
                troubled.append(r)
                out.append(
                    ServiceState(
                        t.name, label, DEGRADED, f"slow: {_say(r)} for {_rounds(streak)}", streak
                    )
                )
            elif not r.ok:
                hard_failures.append(r)
                troubled.append(r)
                firm = self.min_streak <= 1 or (prev is not None and not prev.ok)
                state = DOWN if firm else DEGRADED
                out.append(
                    ServiceState(t.name, label, state, f"{_say(r)} for {_rounds(streak)}", streak)
                )
            else:
                out.append(ServiceState(t.name, label, OK, _say(r)))
        return out, hard_failures, troubled

    def _slow(self, r: ProbeResult) -> bool:
        if not isinstance(r.data, HttpData):
            return False
        if r.ok:
            return r.data.phases.get("processing", 0.0) > self.t.slow_first_byte
        # connected (and shook hands) but no first byte before the deadline: hanging, not gone
        return r.error is ErrorCategory.TIMEOUT and r.data.stalled_in == "processing"

    # -- the verdict -------------------------------------------------------------------------

    def evaluate(self, snap: Snapshot) -> Diagnosis:
        cfg = self.config
        self._fold_baselines(snap)
        home = cfg.site.country
        layers: dict[str, int] = {}
        link_ok, link_why = self.link()
        layers["link"] = OK if link_ok else DOWN

        gateways = [t for t in cfg.targets if t.group == "gateway"]
        gw_reach = _Reach()
        for t in gateways:
            ok, started, text = self._target_reach(snap, t)
            if ok is True:
                gw_reach.positive.append((started, text))
            elif ok is False:
                gw_reach.negative.append(text)
        layers["gateway"] = gw_reach.state
        home_reach = self._region(snap, home)
        russia_reach = home_reach if home == RUSSIA else self._region(snap, RUSSIA)
        layers["internet"] = home_reach.state
        layers["russia"] = russia_reach.state
        dns_state, dns_evidence, dns_independent_ok = self._dns_state(snap)
        layers["dns"] = dns_state
        services, ozon_failures, ozon_troubled = self._services(snap)

        gw_sick = self._sick(snap, gateways, self.t.gateway_rtt, self.t.gateway_jitter)
        home_controls = [t for t in cfg.targets if t.group == "control" and t.country == home]
        ru_controls = [t for t in cfg.targets if t.group == "control" and t.country == RUSSIA]
        home_sick = self._sick(snap, home_controls, self.t.home_rtt, self.t.path_jitter)
        ru_sick = (
            home_sick
            if home == RUSSIA
            else self._sick(snap, ru_controls, self.t.russia_rtt, self.t.path_jitter)
        )
        wobbling = (
            self._latest_bad(snap, gateways, self.t.gateway_rtt, self.t.gateway_jitter)
            + self._latest_bad(snap, home_controls, self.t.home_rtt, self.t.path_jitter)
            + self._latest_bad(snap, ru_controls, self.t.russia_rtt, self.t.path_jitter)
        )
        if gw_sick and layers["gateway"] == OK:
            layers["gateway"] = DEGRADED
        if home_sick and layers["internet"] == OK:
            layers["internet"] = DEGRADED
        if ru_sick and layers["russia"] == OK:
            layers["russia"] = DEGRADED

        known = [s for s in services if s.state != UNKNOWN]
        if not known:
            layers["platform"] = UNKNOWN
        elif all(s.state == OK for s in known):
            layers["platform"] = OK
        elif len(ozon_failures) == len(known) and all(s.state != OK for s in known):
            layers["platform"] = DOWN
        else:
            layers["platform"] = DEGRADED

        def verdict(cause: str, summary: str, evidence: list[str], hard: bool) -> Diagnosis:
            if hard and cause in CUT_OFF_CAUSES:
                # Ozon cannot be seen from here: say "unknown", not "down", so that nobody
                # reads a red Ozon light while the office is cut off
                layers["platform"] = UNKNOWN
                for s in services:
                    s.state, s.text = UNKNOWN, f"cannot be reached from here ({cause})"
            return Diagnosis(cause, summary, evidence, layers, services, hard=hard)

        fine = ", ".join(s.service for s in services if s.state == OK)
        if not link_ok:
            return verdict("local_network", link_why, [link_why], True)
        if gw_reach.state == DOWN and home_reach.state != OK:
            # layer 2 (the arp probe, when configured) tells "powered but not routing" from
            # "gone": the first wants a router restart, the second a cable or power check
            summary, arp_evidence = "the office router (default gateway) does not answer", []
            arp = [r for t in gateways if (r := snap.latest.get(("arp", t.name)))]
            if arp and isinstance(arp[0].data, ArpData):
                if arp[0].data.answered:
                    summary = "the office router is on the LAN (it answers ARP) but does not route"
                    arp_evidence = [f"{arp[0].target} arp: {arp[0].detail}"]
                else:
                    summary = "the office router is gone from the LAN: it does not answer ARP"
                    arp_evidence = [f"{arp[0].target} arp: {arp[0].detail or 'no answer'}"]
            return verdict(
                "local_network", summary,
                gw_reach.negative[:3] + home_reach.negative[:2] + arp_evidence, True,
            )  # fmt: skip
        if home_reach.state == DOWN or (home_reach.state == UNKNOWN and russia_reach.state == DOWN):
            where = "the router answers, but nothing on the internet beyond it does"
            return verdict(
                "isp",
                where,
                [text for _, text in gw_reach.positive[:1]]
                + (home_reach.negative + home_reach.silent_resolvers)[:4],
                True,
            )
        if home != RUSSIA and russia_reach.state == DOWN:
            return verdict(
                "international_path",
                f"the internet in {home} works, but hosts in Russia do not answer",
                (russia_reach.negative + russia_reach.silent_resolvers)[:4]
                + [p for _, p in home_reach.positive[:2]],
                True,
            )  # fmt: skip
        if dns_state == DEGRADED:  # lying: definite whatever else is going on
            return verdict("dns", dns_evidence[0], dns_evidence, False)
        if home != RUSSIA and ru_sick and not home_sick and not gw_sick:
            return verdict(
                "international_path",
                f"the path to Russia is degraded: {'; '.join(ru_sick[:3])}",
                ru_sick, False,
            )  # fmt: skip
        if gw_sick or home_sick:
            sick = gw_sick + home_sick
            return verdict(
                "network_degraded", f"the network path is degraded: {'; '.join(sick[:3])}",
                sick, False,
            )  # fmt: skip
        if dns_state == DOWN:
            # the system resolver fails: DNS's fault if another resolver answers, or if the
            # network visibly carries everything else; otherwise it may be the network's
            network_fine = bool(home_reach.positive) and not home_reach.negative
            if dns_independent_ok or network_fine:
                return verdict("dns", dns_evidence[0], dns_evidence, True)
            return self._hold("DNS fails; waiting to see whether the network itself works")
        if ozon_failures or any(s.state != OK for s in known):
            if wobbling:
                return self._hold(f"the path itself is unsteady ({wobbling[0]})")
            proof = self._platform_proof(snap, ozon_troubled)
            if proof is None:
                return self._hold("waiting for fresh evidence that the network to Russia works")
            broken = [s for s in known if s.state != OK]
            text = "; ".join(f"{s.service}: {s.text}" for s in broken)
            evidence = [text, *proof] + ([f"{fine} fine"] if fine else [])
            if layers["platform"] == DOWN:
                return verdict("platform_outage", f"Ozon does not answer: {text}", evidence, True)
            # a soft fault needs two rounds in a row: one failed request is not news
            if any(s.streak >= self.min_streak for s in broken):
                summary = f"{text}" + (f"; {fine} fine" if fine else "")
                return verdict("platform_degraded", summary, evidence, False)
            return self._hold("one failed round of an Ozon service: waiting for the next")
        return verdict("ok", "every layer answers" + (f": {fine} fine" if fine else ""), [], False)

    def _platform_proof(self, snap: Snapshot, failures: list[ProbeResult]) -> list[str] | None:
        """Like-for-like evidence that only Ozon is failing: for each kind of probe that fails
        on Ozon, Russian control targets pass the same kind of probe in the same round or
        later, and none fails it. And the addresses Ozon's probes used are ones an honest
        resolver gives. None while that is not shown (then the verdict holds)."""
        onset = min((_started(r) for r in failures), default=time.time())
        controls = [t for t in self.config.targets if t.group == "control" and t.country == RUSSIA]
        evidence: list[str] = []
        for kind in sorted({r.kind for r in failures} or {"http"}):
            results = [r for t in controls if (r := snap.latest.get((kind, t.name)))]
            if not results:
                continue
            if any(
                (not r.ok and r.error not in NOT_NETWORK_EVIDENCE) or self._slow(r) for r in results
            ):
                return None  # a control fails (or crawls) the same way: not Ozon alone
            fresh = [r for r in results if _started(r) >= onset - SAME_ROUND_SLACK]
            if not fresh:
                return None
            evidence += [f"{r.target} {kind}: {_say(r)}" for r in fresh[:2]]
        if not evidence:
            return None
        honest: set[str] = set()
        for (kind, _), r in snap.latest.items():
            if kind == "dns" and isinstance(r.data, DnsData):
                for a in r.data.answers:
                    if a.ok and not a.disagrees:
                        honest.update(a.addresses)
        if any(r.address and honest and r.address not in honest for r in failures):
            return None  # Ozon was reached at an address no honest resolver gives
        return evidence

    def _hold(self, why: str) -> Diagnosis:
        held = self.current or Diagnosis()
        return Diagnosis(
            held.cause, held.summary, [*held.evidence, f"(held: {why})"], held.layers,
            held.services, hard=held.hard,
        )  # fmt: skip

    def update(self) -> Diagnosis:
        snap = self.store.snapshot()
        d = self.evaluate(snap)
        prev = self.current
        now = time.time()
        d.evaluated_at = now
        if prev is None or prev.cause != d.cause:
            d.since = now
            d.changes = (prev.changes + 1) if prev is not None else 0
        else:
            d.since, d.changes = prev.since, prev.changes
        self.current = d
        self.store.set_extra("diagnosis", d)
        return d

    def status_document(self) -> dict[str, Any]:
        snap = self.store.snapshot()
        d = self.current or Diagnosis()
        names = {0: "ok", 1: "degraded", 2: "down", 3: "unknown"}
        results = []
        for (kind, target), r in sorted(snap.latest.items()):
            entry: dict[str, Any] = {
                "kind": kind,
                "target": target,
                "group": r.group,
                "ok": r.ok,
                "error": r.error.value if r.error else None,
                "detail": r.detail,
                "seconds": round(r.duration, 4),
                "at": r.finished_at,
            }
            if isinstance(r.data, IcmpData) and r.data.sent:
                entry["loss_ratio"] = round(r.data.loss_ratio, 3)
                if r.data.rtt_avg is not None:
                    entry["rtt_avg_seconds"] = round(r.data.rtt_avg, 5)
            if isinstance(r.data, HttpData):
                entry["status"] = r.data.status
                entry["phases"] = {k: round(v, 4) for k, v in r.data.phases.items()}
            entry.update(probe_details(r))
            results.append(entry)
        return {
            "site": self.config.site.name,
            "country": self.config.site.country,
            "cause": d.cause,
            "summary": d.summary,
            "evidence": d.evidence,
            "since": d.since,
            "evaluated_at": d.evaluated_at,
            "layers": {k: names[v] for k, v in d.layers.items()},
            "services": [
                {"target": s.target, "service": s.service, "state": names[s.state], "text": s.text}
                for s in d.services
            ],
            "rounds": dict(snap.rounds),
            "results": results,
        }


def _rounds(n: int) -> str:
    return f"{n} round" if n == 1 else f"{n} rounds"


def _say(r: ProbeResult) -> str:
    if r.ok:
        if isinstance(r.data, HttpData) and r.data.status is not None:
            return f"HTTP {r.data.status} in {r.duration * 1000:.0f} ms"
        return f"ok in {r.duration * 1000:.0f} ms"
    if isinstance(r.data, HttpData) and r.data.status is not None:
        return f"HTTP {r.data.status}"
    return r.error.value if r.error else "failed"
