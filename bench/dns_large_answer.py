"""How long one hostile DNS answer holds the event loop, run by hand (not in CI).

    python bench/dns_large_answer.py

A loopback DNS server (tests/support) answers with N A records (over TCP: they do not fit
in UDP); a ticker task sleeping 5 ms beside the query records its longest gap, which is
how long the loop could not run anything else (every other probe's timing inflates by that
much). Compared: agent/probes/lookup.py's ask (parses everything on the loop) and
agent/net/dns.py's ask (refuses > MAX_RECORDS unparsed, parses > 2 kB in a thread).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.config import Resolver  # noqa: E402
from agent.net import dns as wire_dns  # noqa: E402
from agent.probes import lookup  # noqa: E402
from tests.support.dnsserver import DnsServer  # noqa: E402


async def worst_gap(query: Any) -> tuple[float, Any]:
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last - 0.005)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    answer = await query()
    done.set()
    await ticker
    return max(gaps), answer


def main() -> None:
    print("| records | old lookup.ask: worst loop stall, median of 5 | agent.net.dns.ask |")
    print("|---:|---:|---:|")
    with DnsServer({"seller.ozon.ru": ["198.18.0.10"]}) as server:
        resolver = Resolver("bench", "127.0.0.1", server.port)
        ctx: Any = SimpleNamespace(clock=time.monotonic)
        for count in (300, 1000, 4000):
            server.set_mode("many", count=count)
            old, new = [], []

            def old_ask() -> Any:
                return lookup.ask("seller.ozon.ru", resolver, 5, ctx)

            def new_ask() -> Any:
                return wire_dns.ask("seller.ozon.ru", "127.0.0.1", server.port, 5)

            for _ in range(5):
                old.append(asyncio.run(worst_gap(old_ask))[0])
                new.append(asyncio.run(worst_gap(new_ask))[0])
            print(
                f"| {count} | {statistics.median(old) * 1000:.1f} ms |"
                f" {statistics.median(new) * 1000:.1f} ms |"
            )


if __name__ == "__main__":
    main()
