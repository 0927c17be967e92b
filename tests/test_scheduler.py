"""The scheduler: hanging targets never delay the others; a probe's bug never escapes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from agent.config import Target
from agent.probes import KINDS
from agent.probes.base import Outcome, ProbeContext
from agent.results import ErrorCategory
from agent.scheduler import Scheduler
from agent.store import ResultStore
from tests.conftest import config_for
from tests.support.webserver import WebServer


def _round_config(ok_port: int, hang_port: int, n_ok: int, n_hang: int) -> str:
    lines = ["probes:", "  http: {interval: 10s, timeout: 1s}", "targets:"]
    for i in range(n_ok):
        lines.append(
            f'  - {{name: ok_{i}, group: control, url: "http://127.0.0.1:{ok_port}/", probes: [http]}}'
        )
    for i in range(n_hang):
        lines.append(
            f'  - {{name: hang_{i}, group: ozon, url: "http://127.0.0.1:{hang_port}/", probes: [http]}}'
        )
    return "\n".join(lines) + "\n"


def test_200_targets_50_hanging_round_ends_within_timeout_plus_margin() -> None:
    with WebServer() as ok, WebServer() as hang:
        hang.set_behaviour("default", "hang")
        cfg = config_for(_round_config(ok.port, hang.port, 150, 50))
        store = ResultStore()
        sched = Scheduler(cfg, store)
        started = time.monotonic()
        results = asyncio.run(sched.run_round("http"))
        elapsed = time.monotonic() - started
    assert len(results) == 200
    by_name = {r.target: r for r in results}
    assert all(by_name[f"ok_{i}"].ok for i in range(150))
    assert all(by_name[f"hang_{i}"].error is ErrorCategory.TIMEOUT for i in range(50))
    # generous slack for a shared machine; the exact figure is in bench/ and docs/performance.md
    assert elapsed < 1.0 + 1.0, elapsed
    snap = store.snapshot()
    assert sched.tally.snapshot().rounds["http"] == 1 and len(snap.latest) == 200


def test_a_probe_that_raises_becomes_an_internal_result(monkeypatch: pytest.MonkeyPatch) -> None:
    # a stand-in probe kind: there is no real server that makes our own code raise
    async def broken(target: Target, ctx: ProbeContext) -> Outcome:
        if target.name == "bad":
            raise RuntimeError("bug")
        return Outcome()

    monkeypatch.setitem(KINDS, "tcp", replace(KINDS["tcp"], probe=broken))
    cfg = config_for(
        "targets:\n  - {name: bad, group: control, host: 127.0.0.1, port: 1, probes: [tcp]}\n"
        "  - {name: good, group: control, host: 127.0.0.1, port: 1, probes: [tcp]}\n"
    )
    results = {r.target: r for r in asyncio.run(Scheduler(cfg, ResultStore()).run_round("tcp"))}
    assert results["bad"].error is ErrorCategory.INTERNAL and results["bad"].detail == "internal"
    assert results["good"].ok


def test_a_probe_that_ignores_its_deadline_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    async def sleepy(target: Target, ctx: ProbeContext) -> Outcome:
        await asyncio.sleep(30)
        raise AssertionError("unreachable")

    monkeypatch.setitem(KINDS, "tcp", replace(KINDS["tcp"], probe=sleepy))
    cfg = config_for(
        "probes: {tcp: {interval: 5s, timeout: 200ms}}\n"
        "targets: [{name: t, group: control, host: 127.0.0.1, port: 1, probes: [tcp]}]\n"
    )
    started = time.monotonic()
    (r,) = asyncio.run(Scheduler(cfg, ResultStore()).run_round("tcp"))
    assert r.error is ErrorCategory.TIMEOUT and time.monotonic() - started < 1.5


def test_loops_repeat_at_the_interval_and_stagger_kinds() -> None:
    with WebServer() as ok:
        cfg = config_for(
            "probes:\n  tcp: {interval: 500ms, timeout: 200ms}\n  http: {interval: 500ms, timeout: 200ms}\n"
            f'targets: [{{name: w, group: control, url: "http://127.0.0.1:{ok.port}/", probes: [tcp, http]}}]\n'
        )
        store = ResultStore()
        sched = Scheduler(cfg, store)

        async def main() -> None:
            sched.start()
            await asyncio.sleep(1.7)
            await sched.stop()

        asyncio.run(main())
    snap = store.snapshot()
    rounds = sched.tally.snapshot().rounds
    assert 3 <= rounds["tcp"] <= 5 and 3 <= rounds["http"] <= 5
    tcp_t = snap.latest[("tcp", "w")].finished_at
    http_t = snap.latest[("http", "w")].finished_at
    assert abs(tcp_t - http_t) > 0.05  # the kinds do not fire together
