"""A deadline on an awaitable that never swallows a cancellation.

Python 3.11's `asyncio.wait_for` returns the inner result when its task is cancelled in the
instant the inner awaitable completes (CPython gh-86296, mended in 3.12): the cancel is lost
and the task runs on. The scheduler stops its loops by cancelling them, so one lost cancel
(a burst woken as the daemon stops or reloads) left `stop()` waiting for ever and a reload
with two copies of a loop. `asyncio.timeout()` counts cancellations and has no such window;
every deadline in the agent goes through here."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within(aw: Awaitable[T], seconds: float | None) -> T:
    """`await aw`, or TimeoutError after `seconds` (None: no deadline)."""
    async with asyncio.timeout(seconds):
        return await aw
