"""The one place that owns timing: when each kind of probe runs, for how long, how many at once.

One asyncio task per probe kind runs rounds at that kind's interval; kinds start staggered so
their bursts do not coincide. A round launches every target of its kind at once under a shared
concurrency limit, each with its own deadline, so a hanging target never delays the others.
Probes never raise into here; if one does anyway (a bug), it becomes an `internal` result.

Throughput tests (HTTP downloads, speedtest-cli) saturate the line, so they follow their own
rule: one task runs them at `throughput.interval`, one target after another (never two at
once); a test starts only when no probe round is in flight (it waits up to `QUIET_WAIT` for the
rounds to finish, else the run is refused as `probes_busy`), and while it runs, rounds that
fall due wait for it to end, so neither disturbs the other's figures: latency probes would
otherwise see the test's own queueing and the diagnosis would blame the network for it. Each
target's bytes are reserved from the daily budget before it starts (`budget` when they do not
fit). Refused runs are counted by reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping

from agent.config import (
    Config,
    KindSettings,
    Resolver,
    Target,
    expand_resolvers,
    system_nameservers,
)
from agent.probes import PROBES, ProbeContext
from agent.probes import seller_api as seller_api_probe
from agent.probes import throughput as throughput_probe
from agent.probes.base import IcmpCapability
from agent.results import ErrorCategory, ProbeResult, SellerApiData
from agent.store import ResultStore

log = logging.getLogger("ozon_probe.scheduler")

#: added to a probe's own timeout before the scheduler gives up on it: probes time themselves
#: and return a precise result; this only catches one that fails to
GRACE = 0.25
KIND_ORDER = ("icmp", "dns", "tcp", "tls", "http", "arp", "path", "pmtu")
#: how long a throughput test waits for in-flight probe rounds before giving up on this slot
QUIET_WAIT = 30.0
FIRST_THROUGHPUT_DELAY = 600.0
SPEEDTEST_TARGET = Target(name="speedtest", group="control", probes=("speedtest",), host="")

ResultHook = Callable[[ProbeResult], None]
RoundHook = Callable[[str, list[ProbeResult]], None]


class Scheduler:
    def __init__(
        self,
        config: Config,
        store: ResultStore,
        *,
        environ: Mapping[str, str] | None = None,
        icmp: IcmpCapability | None = None,
        resolv_conf: str = "/etc/resolv.conf",
        on_result: ResultHook | None = None,
        on_round: RoundHook | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.environ = dict(os.environ if environ is None else environ)
        self.icmp = icmp or IcmpCapability()
        self.resolv_conf = resolv_conf
        self.on_result = on_result
        self.on_round = on_round
        self._tasks: list[asyncio.Task[None]] = []
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self.last_round_at = 0.0
        self._resolvers: list[Resolver] | None = None
        # throughput coordination (see the module docstring)
        self.budget = throughput_probe.Budget(config.throughput.daily_budget)
        self._in_flight = 0
        self._idle = asyncio.Event()  # set while no probe round is in flight
        self._idle.set()
        self._quiet = asyncio.Event()  # cleared while a throughput test runs
        self._quiet.set()
        self._throughput_busy = False

    # -- one round ---------------------------------------------------------------------------

    @property
    def resolvers(self) -> list[Resolver]:
        """The resolvers as the last round expanded them ("system" -> /etc/resolv.conf's)."""
        if self._resolvers is None:
            self._resolvers = expand_resolvers(
                self.config.resolvers, system_nameservers(self.resolv_conf)
            )
        return self._resolvers

    def context(self, kind: str) -> ProbeContext:
        nameservers = system_nameservers(self.resolv_conf)
        self._resolvers = expand_resolvers(self.config.resolvers, nameservers)
        if kind == "seller_api":
            sa = self.config.seller_api
            settings = KindSettings(interval=sa.interval, timeout=sa.timeout)
        else:
            settings = self.config.probes[kind]
        creds = seller_api_probe.credentials(self.config.seller_api, self.environ) or {}
        return ProbeContext(
            config=self.config,
            settings=settings,
            resolvers=self._resolvers,
            system_nameservers=nameservers,
            icmp=self.icmp,
            secrets=creds,
        )

    def targets(self, kind: str) -> list[Target]:
        if kind == "seller_api":
            creds = seller_api_probe.credentials(self.config.seller_api, self.environ)
            return [seller_api_probe.TARGET] if creds else []
        return self.config.targets_for(kind)

    async def run_round(self, kind: str) -> list[ProbeResult]:
        while not self._quiet.is_set():  # a throughput test is saturating the line: wait
            await self._quiet.wait()  # (re-checked: the next test may have begun meanwhile)
        self._in_flight += 1
        self._idle.clear()
        try:
            started = time.monotonic()
            ctx = self.context(kind)
            results = await asyncio.gather(
                *(self._guarded(kind, t, ctx) for t in self.targets(kind))
            )
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        self.store.record_round(kind, time.monotonic() - started)
        self.last_round_at = time.time()
        if self.on_round:
            self.on_round(kind, list(results))
        return list(results)

    async def run_once(self, kinds: Iterable[str] | None = None) -> list[ProbeResult]:
        """Every kind once, all at the same time (for `ozon-probe check`)."""
        chosen = list(kinds or self.kinds())
        rounds = await asyncio.gather(*(self.run_round(k) for k in chosen))
        return [r for batch in rounds for r in batch]

    # -- throughput ----------------------------------------------------------------------------

    def throughput_plan(self) -> list[tuple[str, Target, int]]:
        """(kind, target, bytes to reserve) for every configured throughput test, in order."""
        tp = self.config.throughput
        plan = [("throughput", t.as_target(), t.size + t.upload_size) for t in tp.targets]
        if tp.speedtest.enabled:
            plan.append(("speedtest", SPEEDTEST_TARGET, tp.speedtest.estimate))
        return plan

    def _throughput_context(self, kind: str) -> ProbeContext:
        ctx = self.context("http")
        tp = self.config.throughput
        ctx.settings = KindSettings(interval=tp.interval, timeout=tp.timeout)
        return ctx

    def _refuse(self, reason: str, count: int = 1) -> None:
        log.info("throughput test refused: %s", reason)
        self.store.record_refused(reason, count)

    async def run_throughput(
        self, on_start: Callable[[str], None] | None = None
    ) -> list[ProbeResult]:
        """Run every configured throughput test once, one after another, inside the budget.
        Refused tests are counted (`store.record_refused`) and produce no result."""
        plan = self.throughput_plan()
        if not plan:
            return []
        if self._throughput_busy:
            self._refuse("busy", len(plan))
            return []
        self._throughput_busy = True
        try:
            return await self._run_throughput(plan, on_start)
        finally:
            self._throughput_busy = False
            self._quiet.set()

    async def _run_throughput(
        self, plan: list[tuple[str, Target, int]], on_start: Callable[[str], None] | None
    ) -> list[ProbeResult]:
        results: list[ProbeResult] = []
        self.budget.daily = self.config.throughput.daily_budget
        for i, (kind, target, estimate) in enumerate(plan):
            if not self.budget.reserve(estimate):
                self._refuse("budget")
                continue
            used = 0
            try:
                try:
                    # no round in flight, then close the door on new ones: no await between
                    # the check and the clear, so nothing can slip in
                    while self._in_flight:
                        await asyncio.wait_for(self._idle.wait(), QUIET_WAIT)
                except TimeoutError:
                    self._refuse("probes_busy", len(plan) - i)
                    return results
                self._quiet.clear()
                if on_start:
                    on_start(target.name)
                result = await self._guarded(kind, target, self._throughput_context(kind))
                used = getattr(result.data, "bytes_used", 0)
                results.append(result)
            finally:
                self.budget.settle(estimate, used)
                self._quiet.set()
        self.store.set_extra("throughput_budget_remaining", self.budget.remaining())
        return results

    async def _throughput_loop(self) -> None:
        # the first test waits (10 minutes at most): an agent restarted in a loop must not
        # burn the budget at every start (the budget itself lives in memory)
        interval = self.config.throughput.interval
        await asyncio.sleep(min(interval, FIRST_THROUGHPUT_DELAY))
        while True:
            await self.run_throughput()
            await asyncio.sleep(interval)

    async def _guarded(self, kind: str, target: Target, ctx: ProbeContext) -> ProbeResult:
        fn = PROBES[kind]
        async with self._semaphore:
            started = time.monotonic()
            try:
                result = await asyncio.wait_for(fn(target, ctx), ctx.settings.timeout + GRACE)
            except TimeoutError:
                result = self._synthetic(kind, target, started, ErrorCategory.TIMEOUT, "timed out")
            except Exception as e:  # a bug in a probe must not stop the others
                log.warning(
                    "probe %s/%s failed internally: %s", kind, target.name, type(e).__name__
                )
                log.debug("probe failure", exc_info=True)
                result = self._synthetic(kind, target, started, ErrorCategory.INTERNAL, "internal")
        self.store.record(result)
        if self.on_result:
            self.on_result(result)
        return result

    @staticmethod
    def _synthetic(
        kind: str, target: Target, started: float, category: ErrorCategory, detail: str
    ) -> ProbeResult:
        return ProbeResult(
            kind=kind, target=target.name, group=target.group, ok=False,
            duration=time.monotonic() - started, finished_at=time.time(),
            error=category, detail=detail,
        )  # fmt: skip

    # -- forever -----------------------------------------------------------------------------

    def kinds(self) -> list[str]:
        kinds = [k for k in KIND_ORDER if self.config.targets_for(k)]
        if self.targets("seller_api"):
            kinds.append("seller_api")
        return kinds

    def interval(self, kind: str) -> float:
        if kind == "seller_api":
            return self.config.seller_api.interval
        return self.config.probes[kind].interval

    async def _loop(self, kind: str, offset: float) -> None:
        await asyncio.sleep(offset)
        next_at = time.monotonic()
        while True:
            results = await self.run_round(kind)
            interval = self.interval(kind)
            for r in results:
                if isinstance(r.data, SellerApiData) and r.data.retry_after:
                    interval = max(interval, r.data.retry_after)  # Ozon asked us to wait
            next_at += interval
            now = time.monotonic()
            if next_at < now:  # a round overran: skip the missed slots, don't burst
                next_at = now
            await asyncio.sleep(next_at - now)

    def start(self) -> None:
        kinds = self.kinds()
        for i, kind in enumerate(kinds):
            # stagger kinds over at most a second so their first bursts do not coincide
            offset = i * min(1.0, self.interval(kind) / 2) / max(len(kinds), 1)
            self._tasks.append(asyncio.create_task(self._loop(kind, offset), name=f"probe-{kind}"))
        if self.config.throughput.enabled and self.throughput_plan():
            self._tasks.append(asyncio.create_task(self._throughput_loop(), name="throughput"))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks.clear()

    async def replace_config(self, config: Config) -> None:
        """Swap to a new, already validated config: restart the loops, drop removed series."""
        await self.stop()
        self.config = config
        self._resolvers = None
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        keep = {(k, t.name) for k in KIND_ORDER for t in config.targets_for(k)}
        keep |= {("seller_api", t.name) for t in self.targets("seller_api")}
        keep |= {(kind, t.name) for kind, t, _ in self.throughput_plan()}
        self.store.prune(keep)
        self.start()
