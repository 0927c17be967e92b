"""The results store: the scheduler writes, the exporter and the diagnosis read snapshots.

Writes come from the event loop, reads from the HTTP server's threads, so every access takes
one lock and readers get copies. Counters and histograms live here (not in prometheus_client
objects) so that a reload can drop a removed target's series completely.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from agent.results import DnsData, HttpData, IcmpData, PathData, ProbeResult, ThroughputData

ICMP_BUCKETS = tuple(0.0005 * 2**k for k in range(15))  # 0.5 ms .. 8.2 s, doubling
HTTP_BUCKETS = tuple(0.05 * 2**k for k in range(10))  # 50 ms .. 25.6 s
HISTORY = 10  # results kept per (kind, target) for the diagnosis's "how many rounds" rules

Key = tuple[str, str]  # (kind, target)


@dataclass
class Histogram:
    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * len(self.bounds)

    def observe(self, value: float) -> None:
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[i] += 1
        self.total += value
        self.count += 1

    def copy(self) -> Histogram:
        return Histogram(self.bounds, list(self.counts), self.total, self.count)


@dataclass
class Snapshot:
    latest: dict[Key, ProbeResult]
    history: dict[Key, list[ProbeResult]]
    runs: Counter[tuple[str, str, str]]
    failures: Counter[tuple[str, str, str, str]]
    dns_failures: Counter[tuple[str, str, str, str]]
    icmp_sent: Counter[tuple[str, str]]
    icmp_received: Counter[tuple[str, str]]
    icmp_hist: dict[tuple[str, str], Histogram]
    http_hist: dict[tuple[str, str], Histogram]
    rounds: Counter[str]
    round_seconds: dict[str, float]
    extra: dict[str, Any]
    throughput_bytes: int = 0
    throughput_refused: Counter[str] = field(default_factory=Counter)
    route_changes: Counter[tuple[str, str, str]] = field(default_factory=Counter)


class ResultStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[Key, ProbeResult] = {}
        self._history: dict[Key, deque[ProbeResult]] = {}
        self._runs: Counter[tuple[str, str, str]] = Counter()
        self._failures: Counter[tuple[str, str, str, str]] = Counter()
        self._dns_failures: Counter[tuple[str, str, str, str]] = Counter()
        self._icmp_sent: Counter[tuple[str, str]] = Counter()
        self._icmp_received: Counter[tuple[str, str]] = Counter()
        self._icmp_hist: dict[tuple[str, str], Histogram] = {}
        self._http_hist: dict[tuple[str, str], Histogram] = {}
        self._rounds: Counter[str] = Counter()
        self._round_seconds: dict[str, float] = {}
        self._throughput_bytes = 0  # every byte throughput tests moved, refused or not kept
        self._throughput_refused: Counter[str] = Counter()
        self._route_changes: Counter[tuple[str, str, str]] = Counter()  # (target, group, method)
        # agent-wide facts other parts publish (icmp mode, config reload, verdict, ...)
        self._extra: dict[str, Any] = {}

    def record(self, result: ProbeResult) -> None:
        key = (result.kind, result.target)
        tg = (result.target, result.group)
        with self._lock:
            previous = self._latest.get(key)
            if isinstance(result.data, PathData):
                self._count_route_changes(result, previous)
            self._latest[key] = result
            self._history.setdefault(key, deque(maxlen=HISTORY)).append(result)
            self._runs[(result.kind, *tg)] += 1
            if result.error is not None:
                self._failures[(result.kind, *tg, result.error.value)] += 1
            data = result.data
            if isinstance(data, IcmpData):
                self._icmp_sent[tg] += data.sent
                self._icmp_received[tg] += data.received
                hist = self._icmp_hist.setdefault(tg, Histogram(ICMP_BUCKETS))
                for rtt in data.rtts:
                    hist.observe(rtt)
            elif isinstance(data, HttpData) and data.total_seconds is not None:
                self._http_hist.setdefault(tg, Histogram(HTTP_BUCKETS)).observe(data.total_seconds)
            elif isinstance(data, ThroughputData):
                self._throughput_bytes += data.bytes_used
            elif isinstance(data, DnsData):
                for a in data.answers:
                    if a.error is not None:
                        self._dns_failures[(*tg, a.resolver, a.error.value)] += 1

    def record_round(self, kind: str, seconds: float) -> None:
        with self._lock:
            self._rounds[kind] += 1
            self._round_seconds[kind] = seconds

    def _count_route_changes(self, result: ProbeResult, previous: ProbeResult | None) -> None:
        assert isinstance(result.data, PathData)
        before = {}
        if previous is not None and isinstance(previous.data, PathData):
            before = {t.method: t.route_hash for t in previous.data.traces if t.reached}
        for t in result.data.traces:
            key = (result.target, result.group, t.method)
            self._route_changes[key] += 0  # the series exists from the first trace on
            # only complete routes compare: a trace cut short is an outage, not a new route
            if t.reached and t.method in before and before[t.method] != t.route_hash:
                self._route_changes[key] += 1

    def record_refused(self, reason: str, count: int = 1) -> None:
        with self._lock:
            self._throughput_refused[reason] += count

    def set_extra(self, key: str, value: Any) -> None:
        with self._lock:
            self._extra[key] = value

    def get_extra(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._extra.get(key, default)

    def prune(self, keep: set[Key]) -> None:
        """Forget every series of a (kind, target) no longer configured: no stale label sets."""
        with self._lock:
            for key in [k for k in self._latest if k not in keep]:
                del self._latest[key]
                self._history.pop(key, None)
            targets = {t for _, t in keep}
            kinds = {k for k, _ in keep}
            for counter in (self._runs, self._failures):
                for ck in [c for c in counter if (c[0], c[1]) not in keep]:
                    del counter[ck]
            for c2 in (self._icmp_sent, self._icmp_received, self._icmp_hist, self._http_hist):
                for tk in [t for t in c2 if t[0] not in targets]:
                    del c2[tk]
            for dk in [d for d in self._dns_failures if ("dns", d[0]) not in keep]:
                del self._dns_failures[dk]
            for rk in [r for r in self._route_changes if ("path", r[0]) not in keep]:
                del self._route_changes[rk]
            for kind in [k for k in self._rounds if k not in kinds]:
                del self._rounds[kind]
                self._round_seconds.pop(kind, None)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                latest=dict(self._latest),
                history={k: list(v) for k, v in self._history.items()},
                runs=Counter(self._runs),
                failures=Counter(self._failures),
                dns_failures=Counter(self._dns_failures),
                icmp_sent=Counter(self._icmp_sent),
                icmp_received=Counter(self._icmp_received),
                icmp_hist={k: v.copy() for k, v in self._icmp_hist.items()},
                http_hist={k: v.copy() for k, v in self._http_hist.items()},
                rounds=Counter(self._rounds),
                round_seconds=dict(self._round_seconds),
                extra=dict(self._extra),
                throughput_bytes=self._throughput_bytes,
                throughput_refused=Counter(self._throughput_refused),
                route_changes=Counter(self._route_changes),
            )
