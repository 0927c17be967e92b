"""The verdict over time: assess the evidence, run the rules, and keep what a seller needs to
read a verdict (since when, how many changes, whether it is held for want of proof).

Hysteresis lives here, in one place: entering a cause takes what its rule says (one round of
a hard fault, two bad rounds of three for a soft one); leaving it for `ok` takes an all-clear
that holds `recover_hard` or `recover_soft` seconds (docs/diagnosis.md), and a cause named
`intermittent_count` times within `intermittent_window` is one intermittent fault that ends
only after `recover_intermittent` seconds of all-clear. Meanwhile the verdict is held, and
says why. A different cause replaces a verdict at once: that is new evidence, not recovery."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from agent.config import Config, Resolver
from agent.diagnosis.evidence import Assessor, Evidence, ServiceState
from agent.diagnosis.reasons import R, Reason
from agent.diagnosis.rules import Finding, Hold, decide
from agent.net.machine import LinkState, link_state
from agent.store import ResultStore, Snapshot
from agent.vocabulary import CUT_OFF_CAUSES, Cause, Layer, State


@dataclass
class Diagnosis:
    cause: Cause = Cause.OK
    summary: Reason = field(default_factory=lambda: R("no_results"))
    evidence: list[Reason] = field(default_factory=list)
    layers: dict[Layer, State] = field(default_factory=dict)
    services: list[ServiceState] = field(default_factory=list)
    since: float = field(default_factory=time.time)
    changes: int = 0
    evaluated_at: float = 0.0
    hard: bool = False
    rule: int = 0  # the row of docs/diagnosis.md that decided it (0: none yet)
    held: Reason | None = None  # why the verdict stands although the evidence moved on

    @property
    def recovering(self) -> bool:
        """The fault has cleared; the verdict waits out the all-clear its cause needs."""
        return self.held is not None and self.held.code in RECOVERY_HOLDS


class Diagnoser:
    def __init__(
        self,
        config: Config,
        store: ResultStore,
        *,
        link: Callable[[], LinkState] = link_state,
        resolvers: Callable[[], list[Resolver]] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.assessor = Assessor(config, link)
        self.resolvers = resolvers or (lambda: list(self.config.resolvers))
        self.current: Diagnosis | None = None
        self.evidence: Evidence | None = None  # as the last evaluation assessed it
        self.clock: Callable[[], float] = time.time
        self._clear_since: float | None = None  # the all-clear began (while recovering)
        self._entered: deque[tuple[float, Cause]] = deque(maxlen=64)  # when causes were named

    @property
    def min_streak(self) -> int:
        return self.assessor.min_streak

    @min_streak.setter
    def min_streak(self, rounds: int) -> None:
        self.assessor.min_streak = rounds

    def replace_config(self, config: Config) -> None:
        self.config = config
        self.assessor.config = config

    def evaluate(self, snap: Snapshot) -> Diagnosis:
        e = self.assessor.assess(snap, self.resolvers())
        self.evidence = e
        row, verdict = decide(e)
        if isinstance(verdict, Hold):
            # nothing decided before: what was measured is shown all the same (lights, not
            # "no data"), under no cause
            first = Diagnosis(layers=dict(e.layers), services=e.services)
            return _held(self.current or first, verdict.why)
        return self._verdict(e, row, verdict)

    @staticmethod
    def _verdict(e: Evidence, row: int, f: Finding) -> Diagnosis:
        layers = dict(e.layers)
        services = e.services
        if f.hard and f.cause in CUT_OFF_CAUSES:
            # Ozon cannot be seen from here: say "unknown", not "down", so that nobody reads a
            # red Ozon light while the office is cut off
            layers[Layer.PLATFORM] = State.UNKNOWN
            services = [
                replace(s, state=State.UNKNOWN, text=R("svc_out_of_sight", cause=f.cause.value))
                for s in services
            ]
        return Diagnosis(f.cause, f.summary, f.evidence, layers, services, hard=f.hard, rule=row)

    def _intermittent(self, cause: Cause, now: float) -> tuple[int, int] | None:
        """(times named, window in minutes) when `cause` is an intermittent fault."""
        s = self.config.diagnosis
        times = sum(
            1 for at, c in self._entered if c is cause and now - at <= s.intermittent_window
        )
        if not s.intermittent_count or not s.recover_intermittent or times < s.intermittent_count:
            return None
        return times, round(s.intermittent_window / 60)

    def _recovering(self, prev: Diagnosis, d: Diagnosis, now: float) -> Diagnosis:
        """`d` says ok after `prev` named a cause: hold `prev` until the all-clear has lasted
        long enough for that cause."""
        s = self.config.diagnosis
        if self._clear_since is None:
            self._clear_since = now
        clear = now - self._clear_since
        intermittent = self._intermittent(prev.cause, now)
        if intermittent:
            needed = s.recover_intermittent
            times, minutes = intermittent
            why = R("hold_intermittent", times=times, minutes=minutes, seconds=round(clear))
        else:
            needed = s.recover_hard if prev.hard else s.recover_soft
            why = R("hold_recovering", seconds=round(clear), needed=round(needed))
        if clear >= needed:
            self._clear_since = None
            return d
        return _held(prev, why)

    def _dwells(self, prev: Diagnosis, d: Diagnosis, now: float) -> bool:
        """Does `prev`, a soft cause named less than min_dwell ago, stay although the rules
        now name another soft cause? (The all-clear has its own wait; a hard cause is news.)"""
        soft_to_soft = prev.cause not in (Cause.OK, d.cause) and d.cause != Cause.OK
        if not soft_to_soft or prev.hard or d.hard or d.held is not None:
            return False
        return now - prev.since < self.config.diagnosis.min_dwell

    def update(self) -> Diagnosis:
        d = self.evaluate(self.store.snapshot())
        prev = self.current
        now = self.clock()
        recurred = False
        if prev is not None and prev.cause != Cause.OK and d.cause == Cause.OK:
            d = self._recovering(prev, d, now)
        elif self._clear_since is not None and d.held is not None:
            # the rules hold for want of proof (of anything): neither the fault back nor the
            # end of the all-clear; resetting the all-clear here kept a healed lossy path
            # named for minutes in the lab, as healthy rounds held now and then
            pass
        elif self._clear_since is not None:
            # the fault is back while its verdict was held for recovery. It is named once more
            # only after an all-clear that lasted: the clean rounds now and then inside a
            # lossy stretch are that one fault (counted, they made a lossy path to Russia
            # "intermittent", and it ended 5 minutes after it healed instead of 2)
            recurred = now - self._clear_since >= self.config.diagnosis.recover_hard
            self._clear_since = None
        if prev is not None and self._dwells(prev, d, now):
            seconds, needed = round(now - prev.since), round(self.config.diagnosis.min_dwell)
            d = _held(prev, R("hold_dwell", cause=d.cause.value, seconds=seconds, needed=needed))
        if d.cause != Cause.OK and (prev is None or prev.cause != d.cause or recurred):
            self._entered.append((now, d.cause))
        if d.cause != Cause.OK and d.held is None:
            intermittent = self._intermittent(d.cause, now)
            if intermittent:
                times, minutes = intermittent
                reason = R("intermittent", times=times, minutes=minutes)
                d = replace(d, evidence=[*d.evidence, reason])
        d.evaluated_at = now
        if prev is None or prev.cause != d.cause:
            d.since = now
            d.changes = (prev.changes + 1) if prev is not None else 0
        else:
            d.since, d.changes = prev.since, prev.changes
        self.current = d
        return d


#: the holds of a verdict whose fault has cleared and that waits out its all-clear
RECOVERY_HOLDS = frozenset({"hold_recovering", "hold_intermittent"})


def _held(d: Diagnosis, why: Reason) -> Diagnosis:
    """`d` again, held: one "held" line, the newest (a verdict held for many rounds says why
    once)."""
    return replace(
        d,
        evidence=[*(x for x in d.evidence if x.code != "held"), R("held", why=why)],
        layers=dict(d.layers),
        services=list(d.services),
        held=why,
    )
