"""The one place that owns timing: when each kind of probe runs, for how long, how many at once.

One asyncio task per probe kind runs rounds at that kind's interval; kinds start staggered so
their bursts do not coincide. A round launches every target of its kind at once under a shared
concurrency limit, each with its own deadline, so a hanging target never delays the others.
Probes never raise into here; if one does anyway (a bug), it becomes an `internal` result.
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
    Target,
    expand_resolvers,
    system_nameservers,
)
from agent.probes import PROBES, ProbeContext
from agent.probes import seller_api as seller_api_probe
from agent.probes.base import IcmpCapability
from agent.results import ErrorCategory, ProbeResult, SellerApiData
from agent.store import ResultStore

log = logging.getLogger("ozon_probe.scheduler")

#: added to a probe's own timeout before the scheduler gives up on it: probes time themselves
#: and return a precise result; this only catches one that fails to
GRACE = 0.25
KIND_ORDER = ("icmp", "dns", "tcp", "tls", "http")

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

    # -- one round ---------------------------------------------------------------------------

    def context(self, kind: str) -> ProbeContext:
        nameservers = system_nameservers(self.resolv_conf)
        if kind == "seller_api":
            sa = self.config.seller_api
            settings = KindSettings(interval=sa.interval, timeout=sa.timeout)
        else:
            settings = self.config.probes[kind]
        creds = seller_api_probe.credentials(self.config.seller_api, self.environ) or {}
        return ProbeContext(
            config=self.config,
            settings=settings,
            resolvers=expand_resolvers(self.config.resolvers, nameservers),
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
        started = time.monotonic()
        ctx = self.context(kind)
        results = await asyncio.gather(*(self._guarded(kind, t, ctx) for t in self.targets(kind)))
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
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        keep = {(k, t.name) for k in KIND_ORDER for t in config.targets_for(k)}
        keep |= {("seller_api", t.name) for t in self.targets("seller_api")}
        self.store.prune(keep)
        self.start()
