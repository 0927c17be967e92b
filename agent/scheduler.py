"""The one place that owns timing: when each kind of probe runs, for how long, how many at once.
It knows no probe kind by name: it reads each kind's lane, settings and targets from the
registry (agent/probes/__init__.py).

One asyncio task per kind runs rounds at that kind's interval; kinds start staggered so their
bursts do not coincide. A round launches every target of its kind at once under a shared
concurrency limit, each with its own deadline, so a hanging target never delays the others.
The scheduler turns what a probe returns (or raises) into a stamped `ProbeResult`: the kind,
the target, the duration and the time are set here, as blackbox_exporter's handler does; a bug
in a probe becomes an `internal` result. Each round loop runs under a supervisor: an exception
outside the probes is logged once with its traceback, counted, and the loop restarts with
backoff; `stuck` says which kind is failing so `/healthz` can name it.

Confirmation bursts: an agent that owns its timing need not wait for the next round to learn
that something changed. A cheap watch asks a few sentinels every `bursts.watch_interval` (one
echo to the gateway and to a home and a Russian control, one TCP connect and one name lookup at
the system resolver for an Ozon host; each kind's spec says what it watches); the watch's
answers are not results, they only wake the burst loop. So do a round result that changes from
ok to failing or back, and the kernel announcing a link or route change (rtnetlink). Woken, the
burst loop runs at once a round of every kind that decides between causes (`spec.confirms`),
of every kind the changed target lists and of every kind now failing or, by the runtime's
word, troubled (an Ozon page that answers slowly: the verdict waits for a second such round,
which must not wait for the kind's own interval); then, while the runtime says the verdict is
unsettled (not ok, held for proof, or the path wobbling; not while a cleared fault waits out
its all-clear), it keeps that faster cadence (`bursts.fast_interval`). A token bucket bounds
it all (`bursts.per_minute`), so a flapping network cannot turn bursts into a flood; refused
bursts are counted.

Throughput tests (the budgeted lane: HTTP downloads, speedtest-cli) saturate the line, so they
follow their own rule: one task runs them at `throughput.interval`, one target after another
(never two at once); a test starts only when no probe round is in flight (it waits up to
`QUIET_WAIT` for the rounds to finish, else the run is refused as `probes_busy`), and while it
runs, rounds that fall due wait for it to end, so neither disturbs the other's figures: latency
probes would otherwise see the test's own queueing and the diagnosis would blame the network
for it. Each target's bytes are reserved from the daily budget before it starts (`budget` when
they do not fit). Refused runs are counted by reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from agent.config import Config, Resolver, Target, expand_resolvers
from agent.net import netlink
from agent.net.errors import ProbeError
from agent.net.machine import system_nameservers
from agent.probes import KINDS, KindSpec, Lane, Outcome, ProbeContext
from agent.probes.base import IcmpCapability, stamp
from agent.probes.throughput import Budget, DataBudget
from agent.results import ProbeResult
from agent.store import ResultStore
from agent.tally import Tally
from agent.vocabulary import RUSSIA, ErrorCategory, Group

from .net.deadline import within

log = logging.getLogger("ozon_probe.scheduler")

#: added to a probe's own timeout before the scheduler gives up on it: probes time themselves
#: and return a precise result; this only catches one that fails to
GRACE = 0.25
#: how long a throughput test waits for in-flight probe rounds before giving up on this slot
QUIET_WAIT = 30.0
FIRST_THROUGHPUT_DELAY = 600.0
#: refused-run reasons (the `reason` label of ozon_probe_throughput_refused_total)
REFUSED_REASONS = ("budget", "busy", "probes_busy")
#: a supervised loop that fails waits this long before it starts again, doubling to the cap
RESTART_BACKOFF = (1.0, 60.0)


class TokenBucket:
    """At most `per_minute` takes a minute on average, `burst` at once."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = per_minute / 60.0
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.at = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


ResultHook = Callable[[ProbeResult], None]
RoundHook = Callable[[str, list[ProbeResult]], None]


async def measure(
    spec: KindSpec, target: Target, ctx: ProbeContext, *, grace: float = GRACE
) -> ProbeResult:
    """One probe under its deadline, its outcome stamped with kind, target and timing. Never
    raises: a `ProbeError` is the probe's own verdict, a blown deadline is `timeout`, any other
    exception a bug (`internal`)."""
    started = ctx.clock()
    try:
        outcome = await within(spec.probe(target, ctx), ctx.settings.timeout + grace)
    except ProbeError as e:
        outcome = Outcome(error=e.category, detail=e.detail)
    except TimeoutError:
        outcome = Outcome(error=ErrorCategory.TIMEOUT, detail="timed out")
    except Exception as e:  # a bug in a probe must not stop the others
        log.warning("probe %s/%s failed internally: %s", spec.name, target.name, type(e).__name__)
        log.debug("probe failure", exc_info=True)
        outcome = Outcome(error=ErrorCategory.INTERNAL, detail="internal")
    return stamp(spec.name, target, outcome, ctx.clock() - started, ctx.wall_clock())


# how stop() waits for its loops: a loop that outlives a cancel is cancelled again
STOP_WAIT = 2.0
STOP_TRIES = 5


class Scheduler:
    def __init__(
        self,
        config: Config,
        store: ResultStore,
        *,
        tally: Tally | None = None,
        environ: Mapping[str, str] | None = None,
        icmp: IcmpCapability | None = None,
        resolv_conf: str = "/etc/resolv.conf",
        on_result: ResultHook | None = None,
        on_round: RoundHook | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.tally = tally or Tally()
        self.environ = dict(os.environ if environ is None else environ)
        self.icmp = icmp or IcmpCapability()
        self.resolv_conf = resolv_conf
        self.on_result = on_result
        self.on_round = on_round
        self._tasks: list[asyncio.Task[None]] = []
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self.last_round_at = 0.0
        self._resolvers: list[Resolver] | None = None
        #: per kind: when its next round is due (monotonic); kept across reloads, so that a
        #: reload neither fires an extra round nor forgets a server's Retry-After
        self.next_due: dict[str, float] = {}
        #: per kind: the last exception that stopped its loop, while it is restarting
        self.stuck: dict[str, str] = {}
        self.loop_failures: Counter[str] = Counter()
        # throughput coordination (see the module docstring)
        self.budget: DataBudget = Budget(config.throughput.daily_budget)
        self._in_flight = 0
        self._idle = asyncio.Event()  # set while no probe round is in flight
        self._idle.set()
        self._quiet = asyncio.Event()  # cleared while a throughput test runs
        self._quiet.set()
        self._throughput_busy = False
        # confirmation bursts (see the module docstring)
        self.unsettled: Callable[[], bool] = lambda: False  # the runtime tells
        #: kinds whose newest results the verdict waits on though they succeeded (an Ozon
        #: page that answers, but slowly): a burst runs them again like the failing ones
        self.troubled: Callable[[], set[str]] = set
        self.bursts: Counter[str] = Counter()  # run, by what woke them
        self.bursts_refused = 0
        self._bucket = TokenBucket(config.bursts.per_minute, max(2, config.bursts.per_minute // 2))
        self._wake = asyncio.Event()
        self._woken_by = ""
        self._wanted: set[str] = set()
        self._watched: dict[tuple[str, str], bool] = {}
        self._round_locks: dict[str, asyncio.Lock] = {}
        self._netlink: socket.socket | None = None

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
        return ProbeContext(
            config=self.config,
            settings=KINDS[kind].settings_in(self.config),
            resolvers=self._resolvers,
            system_nameservers=nameservers,
            icmp=self.icmp,
            secrets=self.config.seller_api.credentials(self.environ) or {},
        )

    def targets(self, kind: str) -> list[Target]:
        return KINDS[kind].targets_in(self.config, self.environ)

    def keep(self) -> set[tuple[str, str]]:
        """Every (kind, target) the config probes: what a reload keeps."""
        return {(k, t.name) for k in KINDS for t in self.targets(k)}

    def _lock(self, kind: str) -> asyncio.Lock:
        return self._round_locks.setdefault(kind, asyncio.Lock())

    async def run_round(self, kind: str, timeout: float | None = None) -> list[ProbeResult]:
        """One round of a kind (`timeout`: shorter than the kind's own, for a burst)."""
        # one round of a kind at a time: a burst and the kind's own loop never overlap
        async with self._lock(kind):
            return await self._run_round(kind, timeout)

    async def _run_round(self, kind: str, timeout: float | None = None) -> list[ProbeResult]:
        while not self._quiet.is_set():  # a throughput test is saturating the line: wait
            await self._quiet.wait()  # (re-checked: the next test may have begun meanwhile)
        self._in_flight += 1
        self._idle.clear()
        try:
            started = time.monotonic()
            ctx = self.context(kind)
            if timeout is not None and timeout < ctx.settings.timeout:
                ctx.settings = replace(ctx.settings, timeout=timeout)
            results = await asyncio.gather(
                *(self._guarded(kind, t, ctx) for t in self.targets(kind))
            )
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        self.tally.round(kind, time.monotonic() - started)
        self.last_round_at = time.time()
        self.stuck.pop(kind, None)
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
        plan = []
        for name, spec in KINDS.items():
            if spec.lane is Lane.BUDGETED and spec.cost is not None:
                plan += [(name, t, spec.cost(self.config, t)) for t in self.targets(name)]
        return plan

    def _refuse(self, reason: str, count: int = 1) -> None:
        log.info("throughput test refused: %s", reason)
        self.tally.refused(reason, count)

    async def run_throughput(
        self, on_start: Callable[[str], None] | None = None
    ) -> list[ProbeResult]:
        """Run every configured throughput test once, one after another, inside the budget.
        Refused tests are counted (`tally.refused`) and produce no result."""
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
                        await within(self._idle.wait(), QUIET_WAIT)
                except TimeoutError:
                    self._refuse("probes_busy", len(plan) - i)
                    return results
                self._quiet.clear()
                if on_start:
                    on_start(target.name)
                result = await self._guarded(kind, target, self.context(kind))
                used = result.data.bytes_used if result.data is not None else 0
                results.append(result)
            finally:
                self.budget.settle(estimate, used)
                self._quiet.set()
        return results

    async def _throughput_loop(self) -> None:
        # the first test waits (10 minutes at most): an agent restarted in a loop must not
        # burn the budget at every start
        interval = self.config.throughput.interval
        await asyncio.sleep(min(interval, FIRST_THROUGHPUT_DELAY))
        while True:
            await self.run_throughput()
            await asyncio.sleep(interval)

    async def _guarded(self, kind: str, target: Target, ctx: ProbeContext) -> ProbeResult:
        async with self._semaphore:
            result = await measure(KINDS[kind], target, ctx)
        self.record(result)
        if self.on_result:
            self.on_result(result)
        return result

    def record(self, result: ProbeResult) -> None:
        """The one way a result is kept: the store (latest, history) and the tally (counters,
        which may compare it with the result it replaces)."""
        previous = self.store.record(result)
        self.tally.result(result, previous)
        if previous is not None and previous.ok != result.ok:
            self.poke("round", self._kinds_of(result.target))

    # -- forever -----------------------------------------------------------------------------

    def kinds(self) -> list[str]:
        """The kinds that run in rounds and have targets, in the registry's order."""
        return [k for k, s in KINDS.items() if s.lane is not Lane.BUDGETED and self.targets(k)]

    def interval(self, kind: str) -> float:
        return KINDS[kind].settings_in(self.config).interval

    async def _loop(self, kind: str, offset: float) -> None:
        now = time.monotonic()
        next_at = max(now + offset, self.next_due.get(kind, 0.0))
        await asyncio.sleep(next_at - now)
        while True:
            results = await self.run_round(kind)
            interval = self.interval(kind)
            for r in results:
                if r.retry_after:
                    interval = max(interval, r.retry_after)  # the server asked us to wait
            next_at += interval
            now = time.monotonic()
            if next_at < now:  # a round overran: skip the missed slots, don't burst
                next_at = now
            self.next_due[kind] = next_at
            await asyncio.sleep(next_at - now)

    # -- confirmation bursts ----------------------------------------------------------------

    def _kinds_of(self, target: str) -> set[str]:
        for t in self.config.targets:
            if t.name == target:
                return set(t.probes)
        return set()

    def poke(self, why: str, kinds: Iterable[str] = ()) -> None:
        """Something changed: wake the burst loop now (kinds: also run these)."""
        if not self.config.bursts.enabled:
            return
        self._wanted |= set(kinds)
        if not self._wake.is_set():
            self._woken_by = why
            self._wake.set()

    def watch_plan(self) -> list[tuple[str, Target]]:
        """The sentinels: for each kind that watches a group, that group's first target
        listing the kind (controls: the first at home and the first in Russia)."""
        home = self.config.site.country
        plan: list[tuple[str, Target]] = []
        for name, spec in KINDS.items():
            for group in sorted(spec.watch):
                targets = [t for t in self.targets(name) if t.group == group]
                if group == Group.CONTROL:
                    firsts = {t.country: t for t in reversed(targets) if t.country}
                    picked = [firsts[c] for c in dict.fromkeys((home, RUSSIA)) if c in firsts]
                else:
                    picked = targets[:1]
                plan += [(name, t) for t in picked]
        return plan

    async def _watch_once(self, plan: list[tuple[str, Target]]) -> None:
        b = self.config.bursts
        checks = []
        for kind, target in plan:
            ctx = self.context(kind)
            # one packet, one query (system resolvers only: what the browser asks), short
            ctx.settings = replace(
                ctx.settings, packets=1, timeout=min(ctx.settings.timeout, b.watch_timeout)
            )
            ctx.resolvers = [r for r in ctx.resolvers if r.system] or ctx.resolvers
            checks.append(measure(KINDS[kind], target, ctx, grace=0.1))
        for r in await asyncio.gather(*checks):
            key = (r.kind, r.target)
            before = self._watched.get(key)
            self._watched[key] = r.ok
            if before is not None and before != r.ok:
                self.poke(f"watch:{r.kind}", self._kinds_of(r.target))

    async def _watch_loop(self) -> None:
        interval = self.config.bursts.watch_interval
        await asyncio.sleep(min(interval, 1.0))
        while True:
            started = time.monotonic()
            await self._watch_once(self.watch_plan())
            await asyncio.sleep(max(0.1, interval - (time.monotonic() - started)))

    async def _burst_loop(self) -> None:
        fast = self.config.bursts.fast_interval
        while True:
            with contextlib.suppress(TimeoutError):
                await within(self._wake.wait(), fast)
            woken, why = self._wake.is_set(), self._woken_by
            self._wake.clear()
            if not woken:
                if not self.unsettled():
                    continue
                why = "unsettled"
            await self.burst(why)

    async def burst(self, why: str) -> list[str]:
        """One confirmation burst: rounds, at once, of the deciding kinds, the kinds asked
        for and the kinds failing now (after a round of that kind already in flight). Returns
        the kinds run ([] when the rate limit refused it)."""
        if not self._bucket.take():
            self.bursts_refused += 1
            self._wanted.clear()
            return []
        running = set(self.kinds())
        failing = {k for (k, _), r in self.store.snapshot().latest.items() if not r.ok}
        failing |= self.troubled()
        wanted = {k for k, s in KINDS.items() if s.confirms} | self._wanted | failing
        self._wanted.clear()
        # a kind whose own round is in flight runs again right after it: that round may
        # have begun before the change, and only a round begun after it confirms anything
        kinds = [k for k in running if k in wanted]
        if kinds:
            self.bursts[why.split(":", 1)[0]] += 1
            # a deciding probe in a burst waits twice a sentinel's deadline, not its full
            # timeout: silence is what it confirms, and it must be named within seconds
            quick = 2 * self.config.bursts.watch_timeout
            await asyncio.gather(
                *(self.run_round(k, quick if KINDS[k].confirms else None) for k in kinds)
            )
        return kinds

    def _on_route_event(self) -> None:
        sock = self._netlink
        if sock is not None and netlink.drain(sock):
            self.poke("link")

    def _start_bursts(self) -> None:
        if not self.config.bursts.enabled:
            return
        self._tasks.append(asyncio.create_task(self._supervise("watch", self._watch_loop)))
        self._tasks.append(asyncio.create_task(self._supervise("burst", self._burst_loop)))
        sock = netlink.route_events()
        if sock is not None:
            self._netlink = sock
            asyncio.get_running_loop().add_reader(sock.fileno(), self._on_route_event)

    def _stop_bursts(self) -> None:
        sock = self._netlink
        if sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()
            self._netlink = None

    async def _supervise(self, name: str, make: Callable[[], object]) -> None:
        """Run a loop forever: an exception is logged once with its traceback, counted, and
        the loop starts again after a backoff; cancellation stops it."""
        delay = RESTART_BACKOFF[0]
        while True:
            try:
                coro = make()
                assert asyncio.iscoroutine(coro)
                await coro
                return
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.loop_failures[name] += 1
                self.stuck[name] = f"{type(e).__name__}: {e}"[:200]
                if self.loop_failures[name] == 1:
                    log.exception("the %s loop failed; restarting it in %.0fs", name, delay)
                else:
                    log.error("the %s loop failed again (%s); restarting", name, type(e).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RESTART_BACKOFF[1])

    def start(self) -> None:
        kinds = self.kinds()
        for i, kind in enumerate(kinds):
            # stagger kinds over at most a second so their first bursts do not coincide
            offset = i * min(1.0, self.interval(kind) / 2) / max(len(kinds), 1)

            def make(kind: str = kind, offset: float = offset) -> object:
                return self._loop(kind, offset)

            self._tasks.append(
                asyncio.create_task(self._supervise(kind, make), name=f"probe-{kind}")
            )
        if self.config.throughput.enabled and self.throughput_plan():
            self._tasks.append(
                asyncio.create_task(
                    self._supervise("throughput", self._throughput_loop), name="throughput"
                )
            )
        self._start_bursts()

    async def stop(self) -> None:
        """Cancel every loop and wait for each to end. A loop that lives through a cancel (a
        library that swallows one, as 3.11's wait_for did) is cancelled again rather than
        waited on for ever: a stop or a reload must not hang, nor leave two copies running."""
        self._stop_bursts()
        tasks, self._tasks = self._tasks, []
        for _ in range(STOP_TRIES):
            if not tasks:
                return
            for t in tasks:
                t.cancel()
            done, pending = await asyncio.wait(tasks, timeout=STOP_WAIT)
            for t in done:
                if not t.cancelled() and t.exception() is not None:
                    log.error("the %s loop ended with %r", t.get_name(), t.exception())
            tasks = list(pending)
            if tasks:
                log.warning("%d loop(s) outlived a cancel; cancelling again", len(tasks))
        if tasks:
            log.error("%d loop(s) would not stop: %s", len(tasks), [t.get_name() for t in tasks])

    async def replace_config(self, config: Config) -> None:
        """Swap to a new, already validated config: restart the loops, drop removed series."""
        await self.stop()
        self.config = config
        self._resolvers = None
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self._bucket = TokenBucket(config.bursts.per_minute, max(2, config.bursts.per_minute // 2))
        keep = self.keep()
        self.store.prune(keep)
        self.tally.prune(keep)
        self.start()
