"""Throughput tests on loopback: the HTTP method, the daily data budget, the scheduling rule
(never two at once, never during a probe round), speedtest-cli's failure classification, and
the conditional metrics table of docs/metrics.md against the exporter's output."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from urllib.error import HTTPError

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from agent.config import Target
from agent.exporter import make_registry
from agent.probes import KINDS
from agent.probes import speedtest as speedtest_probe
from agent.probes.base import Outcome, ProbeContext
from agent.probes.throughput import Budget
from agent.results import (
    ArpData,
    ErrorCategory,
    HopData,
    PathData,
    PmtuData,
    ProbeResult,
    ThroughputData,
    TraceData,
)
from agent.runtime import Runtime
from agent.scheduler import REFUSED_REASONS, Scheduler
from agent.store import ResultStore
from tests.conftest import ROOT, config_for
from tests.support.webserver import WebServer


def _config(url: str, size: str, budget: str = "300MB", extra: str = "") -> str:
    return (
        "targets:\n  - {name: gw, group: gateway, host: 127.0.0.1, probes: [tcp], port: 1}\n"
        "throughput:\n"
        "  enabled: true\n  interval: 1h\n  timeout: 10s\n"
        f"  daily_budget: {budget}\n"
        f'  targets:\n    - {{name: cdn_static, url: "{url}", size: {size}{extra}}}\n'
    )


@contextmanager
def sink() -> Iterator[tuple[int, list[int]]]:
    """An upload endpoint: reads Content-Length bytes, answers 200."""
    received: list[int] = []
    loop = asyncio.new_event_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        m = re.search(rb"content-length: *(\d+)", head, re.I)
        n = int(m.group(1)) if m else 0
        got = 0
        while got < n:
            chunk = await reader.read(1 << 16)
            if not chunk:
                break
            got += len(chunk)
        received.append(got)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    import threading

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port, received
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(2)


def test_download_stops_at_size_and_upload_sends_exactly_upload_size() -> None:
    with WebServer() as web, sink() as (up_port, received):
        web.set_behaviour("default", "big", size=50_000_000)
        cfg = config_for(
            _config(
                f"http://127.0.0.1:{web.port}/big",
                "3MB",
                extra=f', upload_url: "http://127.0.0.1:{up_port}/up", upload_size: 2MB',
            )
        )
        store = ResultStore()
        sched = Scheduler(cfg, store)
        results = asyncio.run(sched.run_throughput())
    (r,) = results
    assert r.ok, r
    assert isinstance(r.data, ThroughputData)
    assert r.data.download_bytes == 3_000_000  # cut off: never more than the budget reserved
    assert r.data.upload_bytes == 2_000_000 and received == [2_000_000]
    assert r.data.download_rate and r.data.download_rate > 1e6
    assert r.data.upload_rate and r.data.upload_rate > 1e6
    print(
        f"\nloopback: download {r.data.download_rate / 1e6:.1f} MB/s, "
        f"upload {r.data.upload_rate / 1e6:.1f} MB/s"
    )
    assert sched.tally.snapshot().counters[("throughput_bytes_used", ())] == 5_000_000
    assert sched.budget.used == 5_000_000 and sched.budget.reserved == 0


def test_a_failing_download_is_a_result_not_an_exception() -> None:
    with WebServer() as web:
        web.set_behaviour("default", "status", status=404)
        cfg = config_for(_config(f"http://127.0.0.1:{web.port}/", "1MB"))
        (r,) = asyncio.run(Scheduler(cfg, ResultStore()).run_throughput())
    assert not r.ok and r.error is ErrorCategory.HTTP_STATUS
    cfg = config_for(_config("http://127.0.0.1:1/", "1MB"))
    (r,) = asyncio.run(Scheduler(cfg, ResultStore()).run_throughput())
    assert r.error is ErrorCategory.REFUSED and isinstance(r.data, ThroughputData)


def test_budget_reserves_settles_and_rolls_over_at_midnight_utc() -> None:
    now = [86400 * 100 + 10.0]
    b = Budget(1000, clock=lambda: now[0])
    assert b.reserve(600) and not b.reserve(600)  # 600 reserved: 400 left
    b.settle(600, 550)
    assert b.remaining() == 450
    assert not b.reserve(451) and b.reserve(450)
    b.settle(450, 450)
    assert b.remaining() == 0
    now[0] += 86400  # the next UTC day
    assert b.remaining() == 1000


def test_the_budget_refuses_a_run_that_would_exceed_it_and_counts_it() -> None:
    with WebServer() as web:
        web.set_behaviour("default", "big", size=10_000_000)
        cfg = config_for(_config(f"http://127.0.0.1:{web.port}/", "4MB", budget="10MB"))
        store = ResultStore()
        sched = Scheduler(cfg, store)

        async def three() -> list[list[ProbeResult]]:
            return [await sched.run_throughput() for _ in range(3)]

        runs = asyncio.run(three())
    assert [len(r) for r in runs] == [1, 1, 0]  # 4 + 4 fit in 10 MB, a third 4 MB does not
    tally = sched.tally.snapshot()
    assert tally.throughput_refused == {"budget": 1}
    assert tally.counters[("throughput_bytes_used", ())] == 8_000_000


def test_never_two_at_once_and_never_during_a_probe_round(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []

    async def slow_throughput(target: Target, ctx: ProbeContext) -> Outcome:
        events.append("tp-start")
        await asyncio.sleep(0.3)
        events.append("tp-end")
        return Outcome()

    async def slow_tcp(target: Target, ctx: ProbeContext) -> Outcome:
        events.append("round-start")
        await asyncio.sleep(0.2)
        events.append("round-end")
        return Outcome()

    monkeypatch.setitem(KINDS, "throughput", replace(KINDS["throughput"], probe=slow_throughput))
    monkeypatch.setitem(KINDS, "tcp", replace(KINDS["tcp"], probe=slow_tcp))
    cfg = config_for(_config("http://127.0.0.1:1/", "1MB"))
    store = ResultStore()
    sched = Scheduler(cfg, store)

    async def scenario() -> None:
        round1 = asyncio.create_task(sched.run_round("tcp"))
        await asyncio.sleep(0.05)  # a round is in flight
        first = asyncio.create_task(sched.run_throughput())
        await asyncio.sleep(0.05)
        second = await sched.run_throughput()  # refused: the first is still waiting/running
        assert second == []
        await asyncio.sleep(0.2)  # round1 over, throughput running
        round2 = asyncio.create_task(sched.run_round("tcp"))  # must wait for the test
        await asyncio.gather(round1, first, round2)

    asyncio.run(scenario())
    assert events == [
        "round-start", "round-end", "tp-start", "tp-end", "round-start", "round-end",
    ]  # fmt: skip
    assert sched.tally.snapshot().throughput_refused == {"busy": 1}


def test_speedtest_failures_are_classified() -> None:
    class ConfigRetrievalError(Exception):
        pass

    class NoMatchedServers(Exception):
        pass

    def http_error(code: int) -> HTTPError:
        return HTTPError("https://www.speedtest.net/", code, "x", None, None)  # type: ignore[arg-type]

    c = speedtest_probe.classify
    assert (
        c(ConfigRetrievalError(http_error(403)), "config")[0] is ErrorCategory.SPEEDTEST_FORBIDDEN
    )
    assert (
        c(ConfigRetrievalError(http_error(429)), "config")[0]
        is ErrorCategory.SPEEDTEST_RATE_LIMITED
    )
    assert c(ConfigRetrievalError(OSError("x")), "config")[0] is ErrorCategory.SPEEDTEST_CONFIG
    assert c(KeyError("client"), "config")[0] is ErrorCategory.SPEEDTEST_CONFIG
    assert c(NoMatchedServers(), "servers")[0] is ErrorCategory.SPEEDTEST_NO_SERVERS
    assert c(TimeoutError(), "download")[0] is ErrorCategory.TIMEOUT
    assert c(RuntimeError(), "download")[0] is ErrorCategory.INTERNAL


def test_speedtest_library_failure_leaves_a_classified_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a stand-in for the library: no packet may go towards the real speedtest.net from here
    import speedtest

    class Forbidden:
        def __init__(self, *a: object, **kw: object) -> None:
            raise speedtest.ConfigRetrievalError(
                HTTPError("https://www.speedtest.net/", 403, "Forbidden", None, None)  # type: ignore[arg-type]
            )

    monkeypatch.setattr(speedtest, "Speedtest", Forbidden)
    cfg = config_for(
        "targets:\n  - {name: gw, group: gateway, host: 127.0.0.1, probes: [tcp], port: 1}\n"
        "throughput: {enabled: true, daily_budget: 100MB, speedtest: {enabled: true, estimate: 30MB}}\n"
    )
    store = ResultStore()
    (r,) = asyncio.run(Scheduler(cfg, store).run_throughput())
    assert (r.kind, r.target, r.ok, r.error) == (
        "speedtest", "speedtest", False, ErrorCategory.SPEEDTEST_FORBIDDEN,
    )  # fmt: skip
    assert isinstance(r.data, ThroughputData) and r.data.stage == "config"


def _conditional_docs() -> dict[str, tuple[str, frozenset[str]]]:
    text = (ROOT / "docs/metrics.md").read_text()
    rows = re.findall(r"^\| `(ozon_probe_\w+)` \| (\w+) \|([\w, ]*)\|", text, re.M)
    return {n: (t, frozenset(x.strip() for x in ls.split(",") if x.strip())) for n, t, ls in rows}


def test_throughput_metrics_match_the_docs() -> None:
    cfg = config_for(_config("http://127.0.0.1:1/", "1MB"))
    rt = Runtime(cfg)
    store = rt.scheduler  # results are kept the one way the scheduler keeps them
    now = time.time()
    for kind, target in (("throughput", "cdn_static"), ("speedtest", "speedtest")):
        data = ThroughputData(kind, 4_000_000, 2.0, 1_000_000, 1.0)
        store.record(ProbeResult(kind, target, "ozon", True, 3.0, now, data=data))
    rt.tally.refused("budget")
    hops = (
        HopData(1, "198.18.1.1", 3, 3, (0.001, 0.001, 0.001)),
        HopData(2, "198.18.2.1", 3, 1, (0.01,)),
        HopData(3, "198.19.10.10", 3, 1, (0.02,)),
    )
    trace = TraceData("tcp", hops, True, 0xABCDEF012345, 2)
    for _ in range(2):  # the same route twice, then another: one change
        store.record(ProbeResult("path", "seller", "ozon", True, 3.0, now, data=PathData((trace,))))
    moved = TraceData("tcp", hops[:1] + hops[2:], True, 0x123, 1)
    store.record(ProbeResult("path", "seller", "ozon", True, 3.0, now, data=PathData((moved,))))
    store.record(
        ProbeResult("pmtu", "seller", "ozon", True, 1.0, now, data=PmtuData(1400, True, 3))
    )
    store.record(ProbeResult("arp", "gateway", "gateway", True, 0.1, now, data=ArpData(True)))
    text = generate_latest(make_registry(rt)).decode()
    fams: dict[str, tuple[str, frozenset[str]]] = {}
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for fam in text_string_to_metric_families(text):
        labels: set[str] = set()
        for s in fam.samples:
            labels |= set(s.labels)
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
        fams[fam.name + ("_total" if fam.type == "counter" else "")] = (fam.type, frozenset(labels))
    documented = _conditional_docs()
    assert documented, "docs/metrics.md lost its conditional table"
    for name, spec in documented.items():
        assert fams.get(name) == spec, name
    rate = "ozon_probe_throughput_bytes_per_second"
    assert values[(rate, (("direction", "download"), ("target", "cdn_static")))] == 2e6
    assert values[(rate, (("direction", "upload"), ("target", "speedtest")))] == 1e6
    assert values[("ozon_probe_throughput_bytes_used_total", ())] == 10_000_000
    path_key = (("group", "ozon"), ("method", "tcp"), ("target", "seller"))
    assert values[("ozon_probe_path_route_changes_total", path_key)] == 1
    assert values[("ozon_probe_path_worst_hop", path_key)] == 1  # of the last trace
    assert values[("ozon_probe_path_mtu_bytes", (("group", "ozon"), ("target", "seller")))] == 1400
    for reason in REFUSED_REASONS:
        assert ("ozon_probe_throughput_refused_total", (("reason", reason),)) in values
    # without a test run the rate family is absent, the counters are there (at 0)
    empty = generate_latest(make_registry(Runtime(cfg))).decode()
    assert rate not in empty and "ozon_probe_throughput_bytes_used_total 0.0" in empty


def test_a_round_woken_between_two_tests_never_overlaps_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[str] = []

    async def tp(target: Target, ctx: ProbeContext) -> Outcome:
        events.append(f"tp-start-{target.name}")
        await asyncio.sleep(0.2)
        events.append(f"tp-end-{target.name}")
        return Outcome()

    async def tcp(target: Target, ctx: ProbeContext) -> Outcome:
        events.append("round-start")
        await asyncio.sleep(0.05)
        events.append("round-end")
        return Outcome()

    monkeypatch.setitem(KINDS, "throughput", replace(KINDS["throughput"], probe=tp))
    monkeypatch.setitem(KINDS, "tcp", replace(KINDS["tcp"], probe=tcp))
    text = (
        _config("http://127.0.0.1:1/", "1MB")
        + '    - {name: second, url: "http://127.0.0.1:1/", size: 1MB}\n'
    )
    sched = Scheduler(config_for(text), ResultStore())

    async def scenario() -> None:
        tests = asyncio.create_task(sched.run_throughput())
        await asyncio.sleep(0.05)
        rounds = asyncio.create_task(sched.run_round("tcp"))  # due during the first test
        await asyncio.gather(tests, rounds)

    asyncio.run(scenario())
    starts = [i for i, e in enumerate(events) if e.startswith("tp-start")]
    ends = [i for i, e in enumerate(events) if e.startswith("tp-end")]
    r = events.index("round-start")
    assert not any(s < r < e for s, e in zip(starts, ends, strict=True)), events
