"""Load on the agent's own listener, run by hand (not in CI: these machines are shared and noisy).

    python bench/load.py                      # this tree's agent
    python bench/load.py --root /tmp/oldtree  # another checkout's agent (the "before" figures)

The real daemon (`python -m agent run`, from --root) probes 50 loopback targets (tcp and plain
http, every second) under `prlimit --nofile=1024:1024`, systemd's classic limit; the client
side is asyncio in this process (stdlib only). Nothing leaves the machine. Scenarios:

1. idle: one scraper twice a second; the baseline of scrape cost and probe timing.
2. steady: 200 scrapers, each scraping /metrics once a second, staggered, for 20 s.
3. burst: 200 scrapes started at the same instant, 5 times, 2 s apart.
4. hostile: 1000 idle connections and 100 slowloris ones (a header byte every second) held
   for 20 s, while one scraper asks /metrics 5 times a second.

For each: /metrics latency p50/p99/max (a scrape is connect + request + whole answer, a new
connection each time) and failures; the probe schedule, from /api/status polled twice a
second: rounds done against rounds due, the spacing of one TCP target's rounds (due every
1 s: the worst deviation is the drift), and the TCP probes' own connect times on loopback
(which a stalled event loop would inflate into false evidence).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.webserver import WebServer  # noqa: E402

TARGETS = 50
SCRAPERS = 200
TIMEOUT = 40.0  # longer than the old server's worst (31 s): a slow answer is measured, not lost


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp: Path, web: int, port: int) -> Path:
    lines = [
        f"listen: 127.0.0.1:{port}",
        "probes:",
        "  tcp:  {interval: 1s, timeout: 1s}",
        "  http: {interval: 1s, timeout: 1s}",
        "resolvers: []",
        "targets:",
    ]
    for i in range(TARGETS):
        lines.append(
            f"  - {{name: t{i}, group: ozon, service: cabinet, country: RU,"
            f' url: "http://127.0.0.1:{web}/", probes: [tcp, http]}}'
        )
    path = tmp / "load.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def get(port: int, path: str, timeout: float = TIMEOUT) -> tuple[float, int, bytes]:
    """One request on a new connection: (seconds, status or 0 for a failure, body)."""
    started = time.perf_counter()
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n".encode()
            )
            data = await reader.read(-1)
        head, _, body = data.partition(b"\r\n\r\n")
        return time.perf_counter() - started, int(head.split(b" ", 2)[1]), body
    except (OSError, TimeoutError, ValueError, IndexError):
        return time.perf_counter() - started, 0, b""
    finally:
        if writer is not None:
            writer.close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class Schedule:
    """Polls /api/status twice a second: round finish times of one TCP target, rounds per
    kind, and the TCP probes' connect times."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.finishes: set[float] = set()
        self.tcp_seconds: list[float] = []
        self.rounds: list[dict[str, int]] = []
        self.unanswered = 0
        self.failed_probes = 0
        self.probes = 0

    async def run(self, stop: asyncio.Event) -> None:
        seen: set[tuple[str, float]] = set()
        while not stop.is_set():
            _, status, body = await get(self.port, "/api/status", timeout=2)
            if status != 200:
                self.unanswered += 1
            else:
                doc = json.loads(body)
                self.rounds.append(doc["rounds"])
                for r in doc["results"]:
                    key = (f"{r['kind']}/{r['target']}", r["at"])
                    if key in seen:
                        continue
                    seen.add(key)
                    self.probes += 1
                    self.failed_probes += not r["ok"]
                    if r["kind"] == "tcp":
                        self.tcp_seconds.append(r["seconds"])
                        if r["target"] == "t0":
                            self.finishes.add(r["at"])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    def figures(self, window: float) -> dict[str, Any]:
        times = sorted(self.finishes)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        done = (
            {k: self.rounds[-1][k] - self.rounds[0][k] for k in ("tcp", "http")}
            if len(self.rounds) > 1
            else {"tcp": 0, "http": 0}
        )
        return {
            "rounds_done": done,
            "rounds_due": int(window),
            "drift_p50_s": pct([abs(g - 1.0) for g in gaps], 50),
            "drift_max_s": max((abs(g - 1.0) for g in gaps), default=float("nan")),
            "tcp_connect_p50_ms": pct(self.tcp_seconds, 50) * 1000,
            "tcp_connect_max_ms": max(self.tcp_seconds, default=float("nan")) * 1000,
            "probe_failures": f"{self.failed_probes}/{self.probes}",
            "status_unanswered": self.unanswered,
        }


async def scenario(port: int, name: str, load: Any, window: float) -> dict[str, Any]:
    stop = asyncio.Event()
    schedule = Schedule(port)
    poller = asyncio.create_task(schedule.run(stop))
    started = time.monotonic()
    latencies, failures = await load(port, window)
    stop.set()
    await poller
    elapsed = max(window, time.monotonic() - started)
    out = {"scenario": name, "scrapes": len(latencies) + failures, "failures": failures}
    if latencies:
        out |= {
            "p50_ms": pct(latencies, 50) * 1000,
            "p99_ms": pct(latencies, 99) * 1000,
            "max_ms": max(latencies) * 1000,
        }
    return out | schedule.figures(elapsed)


async def idle(port: int, window: float) -> tuple[list[float], int]:
    # one scraper twice a second: what one scrape (collect() included) costs on a quiet agent
    latencies: list[float] = []
    failures = 0
    end = time.monotonic() + window
    while time.monotonic() < end:
        took, status, _ = await get(port, "/metrics")
        if status == 200:
            latencies.append(took)
        else:
            failures += 1
        await asyncio.sleep(0.5)
    return latencies, failures


async def steady(port: int, window: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0

    async def scraper(i: int) -> None:
        nonlocal failures
        await asyncio.sleep(i / SCRAPERS)  # staggered over the first second
        end = time.monotonic() + window
        while time.monotonic() < end:
            due = time.monotonic() + 1.0
            took, status, _ = await get(port, "/metrics")
            if status == 200:
                latencies.append(took)
            else:
                failures += 1
            await asyncio.sleep(max(0.0, due - time.monotonic()))

    await asyncio.gather(*(scraper(i) for i in range(SCRAPERS)))
    return latencies, failures


async def burst(port: int, window: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    for _ in range(5):
        due = time.monotonic() + 2.0
        for took, status, _ in await asyncio.gather(
            *(get(port, "/metrics") for _ in range(SCRAPERS))
        ):
            if status == 200:
                latencies.append(took)
            else:
                failures += 1
        await asyncio.sleep(max(0.0, due - time.monotonic()))
    return latencies, failures


async def hostile(port: int, window: float) -> tuple[list[float], int]:
    loop = asyncio.get_running_loop()

    async def connect(i: int) -> socket.socket:
        s = socket.socket()
        s.setblocking(False)
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(loop.sock_connect(s, ("127.0.0.1", port)), 5)
            if i >= 1000:  # slowloris: a request head that never ends
                s.send(b"GET /metrics HTTP/1.1\r\nHost: agent\r\n")
        return s

    # all at once, as a hostile client would; a full backlog (the old server) must not make
    # this take 1100 connect timeouts
    held = list(await asyncio.gather(*(connect(i) for i in range(1100))))
    latencies: list[float] = []
    failures = 0
    end = time.monotonic() + window
    tick = 0
    while time.monotonic() < end:
        took, status, _ = await get(port, "/metrics", timeout=5)
        if status == 200:
            latencies.append(took)
        else:
            failures += 1
        tick += 1
        if tick % 5 == 0:
            for s in held[1000:]:
                with contextlib.suppress(OSError):
                    s.send(b"X")
        await asyncio.sleep(0.2)
    for s in held:
        s.close()
    return latencies, failures


async def run_all(port: int) -> list[dict[str, Any]]:
    out = []
    for name, load, window in (
        ("idle", idle, 10.0),
        ("steady", steady, 20.0),
        ("burst", burst, 10.0),
        ("hostile", hostile, 20.0),
    ):
        out.append(await scenario(port, name, load, window))
        await asyncio.sleep(3)  # let connections drain between scenarios
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=str(ROOT), help="the checkout whose agent to run")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    with tempfile.TemporaryDirectory() as tmpdir, WebServer() as web:
        web.set_behaviour("default", "ok")
        port = free_port()
        cfg = write_config(Path(tmpdir), web.port, port)
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.Popen(
            ["prlimit", "--nofile=1024:1024", "--", sys.executable, "-m", "agent", "run",
             "-c", str(cfg), "--log-level", "warning"],
            cwd=root, env=env, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while asyncio.run(get(port, "/healthz", timeout=1))[1] != 200:
                if time.monotonic() > deadline or proc.poll() is not None:
                    proc.kill()
                    raise SystemExit("the agent did not start: " + (proc.communicate()[1] or ""))
                time.sleep(0.1)
            time.sleep(3)  # the first rounds
            results = asyncio.run(run_all(port))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps({"root": str(root), "results": results}, indent=1))


if __name__ == "__main__":
    main()
