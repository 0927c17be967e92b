"""Deadlines never lose a cancellation. Python 3.11's asyncio.wait_for returned the inner
result when its task was cancelled in the instant the inner awaitable completed (CPython
gh-86296): the burst loop, woken as the scheduler stopped, lived on and `stop()` waited for
ever (CI: test_bursts hung 300 s). The agent's deadlines go through `within`; `stop()` cancels
again whatever outlives a cancel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
from collections.abc import Awaitable, Callable

import pytest

from agent.net.deadline import within
from agent.runtime import Runtime
from tests.conftest import ROOT, config_for

Deadline = Callable[[Awaitable[bool], float], Awaitable[bool]]


async def _lost_cancels(deadline: Deadline) -> list[int]:
    """A loop waiting on an event under a deadline, cancelled 0, 1, 2... loop turns after the
    event is set: the turns after which the cancel was lost (the loop still running)."""

    async def loop(ev: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await deadline(ev.wait(), 3)
            ev.clear()

    lost = []
    for turns in range(6):
        ev = asyncio.Event()
        task = asyncio.create_task(loop(ev))
        await asyncio.sleep(0.01)
        ev.set()
        for _ in range(turns):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=0.3)
        if not done:
            lost.append(turns)
            task.cancel()
            await asyncio.wait({task}, timeout=1)
    return lost


def test_within_never_loses_a_cancel() -> None:
    assert asyncio.run(_lost_cancels(within)) == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for was mended in 3.12")
def test_the_harness_sees_wait_for_lose_a_cancel_on_3_11() -> None:
    # the test above proves something only if this harness catches the old deadline
    assert asyncio.run(_lost_cancels(asyncio.wait_for)) != []


def test_no_deadline_in_the_agent_uses_wait_for() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted((ROOT / "agent").rglob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\bwait_for\(", line.split("#", 1)[0])
    ]
    assert not found, found


def test_stop_cancels_again_a_loop_that_outlives_a_cancel(caplog: pytest.LogCaptureFixture) -> None:
    cfg = config_for(
        "probes: {tcp: {interval: 60s, timeout: 500ms}}\n"
        "targets:\n  - {name: ctl, group: control, country: RU, host: 127.0.0.1, port: 1, probes: [tcp]}\n"
    )
    rt = Runtime(cfg, {})
    swallowed = 0

    async def stubborn() -> None:
        # swallows its first cancel, as a 3.11 wait_for did, then behaves
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3)
            except asyncio.CancelledError:
                swallowed += 1
                if swallowed > 1:
                    raise

    async def main() -> float:
        rt.scheduler.start()
        rt.scheduler._tasks.append(asyncio.create_task(stubborn(), name="stubborn"))
        await asyncio.sleep(0.2)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        async with asyncio.timeout(10):  # the old stop() waited here for ever
            await rt.scheduler.stop()
        return loop.time() - t0

    with caplog.at_level(logging.WARNING, logger="agent.scheduler"):
        took = asyncio.run(main())
    assert swallowed == 2
    assert took < 5
    assert "outlived a cancel" in caplog.text
