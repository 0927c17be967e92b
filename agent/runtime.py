"""The agent's working parts, shared by the daemon and `ozon-probe check`: the config, the
results store, the exporter's tally, the scheduler and the diagnoser, and the facts about this
machine they learn as they go. The daemon adds the HTTP server and signals; `check` runs one
round and renders.

A result travels: probe -> Scheduler.measure (stamped) -> ResultStore (latest, history) and
Tally (counters) -> Runtime.refresh: Diagnoser (evidence -> rules -> verdict) -> the exporter's
collectors, the status document and page, `check`'s report (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.config import Config, Resolver
from agent.diagnosis import Diagnoser, Diagnosis
from agent.i18n import say
from agent.journal import Journal, JournalBudget, resolve_state_dir
from agent.results import ProbeResult
from agent.scheduler import Scheduler
from agent.store import ResultStore
from agent.tally import Tally
from agent.vocabulary import Cause

log = logging.getLogger("ozon_probe")


@dataclass
class AgentFacts:
    """What the agent knows about itself and this machine, for metrics and the view."""

    reload_ok: bool = True
    reload_at: float = field(default_factory=time.time)
    icmp_mode: str | None = None  # datagram | raw | none; None until the first ICMP probe
    resolvers: list[Resolver] = field(default_factory=list)  # as the last round expanded them
    loop_restarts: dict[str, int] = field(default_factory=dict)
    stuck: dict[str, str] = field(default_factory=dict)  # kind -> why its loop is restarting
    bursts: dict[str, int] = field(default_factory=dict)  # confirmation bursts, by what woke them
    bursts_refused: int = 0  # bursts the rate limit refused


class Runtime:
    def __init__(self, config: Config, environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.environ = dict(os.environ if environ is None else environ)
        self.store = ResultStore()
        self.tally = Tally()
        self.scheduler = Scheduler(
            config,
            self.store,
            tally=self.tally,
            environ=self.environ,
            on_round=self._after_round,
            # where the system resolvers are listed: systemd-resolved users may point this at
            # /run/systemd/resolve/resolv.conf to probe the real upstreams, tests at their own
            resolv_conf=self.environ.get("OZON_PROBE_RESOLV_CONF", "/etc/resolv.conf"),
        )
        self.diagnoser = Diagnoser(config, self.store, resolvers=lambda: self.scheduler.resolvers)
        self.journal: Journal | None = None
        self.fleet: Any = None  # agent.fleet.FleetView: what the seller's other sites see
        self.manual = False  # `check`: its verdicts go to the journal as manual checks
        self.scheduler.unsettled = self.unsettled
        self.scheduler.troubled = self.troubled
        self._facts = AgentFacts(resolvers=self.scheduler.resolvers)

    # -- what the readers get ----------------------------------------------------------------

    def facts(self) -> AgentFacts:
        f = self._facts
        f.icmp_mode = self.scheduler.icmp.mode
        f.resolvers = self.scheduler.resolvers
        # every running kind has its series, at 0 until its loop ever fails
        failures = self.scheduler.loop_failures
        f.loop_restarts = {k: failures.get(k, 0) for k in self.scheduler.kinds()} | dict(failures)
        f.stuck = dict(self.scheduler.stuck)
        f.bursts = dict(self.scheduler.bursts)
        f.bursts_refused = self.scheduler.bursts_refused
        return f

    def diagnosis(self) -> Diagnosis | None:
        return self.diagnoser.current

    def status(self, lang: str = "en") -> dict[str, Any]:
        from agent.web.status import status_document

        return status_document(self, lang)

    # -- the journal ----------------------------------------------------------------------

    def open_journal(self, state_dir: str | None = None) -> Journal:
        """The incident journal (agent/journal.py), shared by the daemon and `check`: every
        verdict goes in, and the throughput budget is kept there, so a day's bytes hold across
        processes and restarts. A journal that cannot be written says so once and probing
        goes on."""
        c = self.config
        secrets = list((c.seller_api.credentials(self.environ) or {}).values())
        journal = Journal.open(
            resolve_state_dir(state_dir, c.state_dir or None, self.environ),
            retention_days=c.journal.retention_days,
            max_bytes=c.journal.max_bytes,
            secrets=secrets,
        )
        if journal.problem:
            log.warning("journal: %s", journal.problem)
        self.journal = journal
        self.scheduler.budget = JournalBudget(journal, c.throughput.daily_budget)
        return journal

    def _journal(self, d: Diagnosis) -> None:
        if self.journal is None:
            return
        self.journal.observe(
            d.evaluated_at,
            d.cause.value,
            [r.to_json() for r in (d.summary, *d.evidence)],
            {s.service: s.state.word for s in d.services},
            self._figures(),
            manual=self.manual,
        )

    def _figures(self) -> dict[str, float]:
        """The numbers worth keeping the peak of in an incident: loss, round trip, first byte."""
        loss = rtt = first = 0.0
        for r in self.store.snapshot().latest.values():
            if r.data is None:
                continue
            echo, web = r.data.echo_stats(), r.data.web_answer()
            if echo is not None and echo.sent:
                loss = max(loss, echo.loss_ratio)
                rtt = max(rtt, (echo.rtt_avg or 0.0) * 1000)
            if web is not None:
                first = max(first, web.phases.get("processing", 0.0) * 1000)
        return {
            "loss_ratio": round(loss, 3),
            "rtt_ms": round(rtt, 1),
            "first_byte_ms": round(first),
        }

    # -- what changes it ---------------------------------------------------------------------

    def refresh(self) -> Diagnosis:
        """Decide the verdict again from the latest results: after every round in the daemon,
        once after each of `check`'s rounds (one, or up to three while a rule holds)."""
        current = self.diagnoser.current
        before = current.cause if current else None
        held_before = current.held if current else None
        diag = self.diagnoser.update()
        # newly held (for want of a second round, say): confirm now, not at the next interval.
        # By its code, not its figures (a recovery hold counts its seconds, and each new count
        # would have woken a burst), and not for recovery, which waits for time, not rounds
        held = diag.held
        if held and not diag.recovering and (not held_before or held_before.code != held.code):
            self.scheduler.poke("round", self.troubled())
        if diag.cause != before:
            log.info("verdict: %s (%s)", diag.cause, say(diag.summary, "en"))
        self._journal(diag)
        return diag

    def _after_round(self, kind: str, results: list[ProbeResult]) -> None:
        self.refresh()
        for r in results:
            if not r.ok and r.error is not None:
                log.debug("%s %s failed: %s %s", r.kind, r.target, r.error.value, r.detail)

    def unsettled(self) -> bool:
        """Should the scheduler keep its faster cadence? While the verdict is not ok, is held
        for want of proof, or the path wobbles (a bad round not yet a sick path); not while a
        cleared fault waits out its all-clear, which is counted in seconds, not rounds (that
        would be bursts for up to 5 minutes on a network that works)."""
        d, e = self.diagnoser.current, self.diagnoser.evidence
        if d is None:
            return False
        wobbling = bool(e is not None and e.wobbling)
        if d.recovering:
            return wobbling
        return d.cause != Cause.OK or d.held is not None or wobbling

    def troubled(self) -> set[str]:
        """The kinds of the Ozon results that fail or crawl now: what a burst runs again."""
        e = self.diagnoser.evidence
        return {r.kind for r in e.ozon_troubled} if e is not None else set()

    async def ask_fleet(self) -> None:
        """What the centre says the other sites see (config `fleet:`); never raises, and a
        centre out of reach is a clear "fleet unknown", not a wait."""
        if self.config.fleet is None:
            return
        from agent.fleet import fleet_view

        f = self.config.fleet
        self.fleet = await fleet_view(f.query_url, f.timeout, self.config.site.name)

    async def fleet_loop(self, every: float = 30.0) -> None:
        while True:
            await self.ask_fleet()
            await asyncio.sleep(every)

    def replace_config(self, config: Config) -> None:
        self.config = config
        self.diagnoser.replace_config(config)

    @property
    def reload_epoch(self) -> tuple[float, bool]:
        """Changes with every reload attempt: what the listener's render cache keys on."""
        return (self._facts.reload_at, self._facts.reload_ok)

    def reload_result(self, ok: bool) -> None:
        self._facts.reload_ok = ok
        self._facts.reload_at = time.time()

    def healthy(self) -> tuple[bool, str]:
        sched = self.scheduler
        if sched.stuck:
            kind, why = sorted(sched.stuck.items())[0]
            return False, f"the {kind} probe loop is restarting after an error: {why}"
        if not sched.last_round_at:
            return True, "starting"
        # only the kinds that run: an unused kind's long interval must not loosen the check
        longest = max([sched.interval(k) for k in sched.kinds()] + [1.0])
        age = time.time() - sched.last_round_at
        if age > 3 * longest + 30:
            return False, f"no probe round finished for {age:.0f}s"
        return True, "ok"
