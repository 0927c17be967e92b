"""Counters and histograms behind the exporter's counter families.

Kept here rather than in prometheus_client objects so that a reload can drop a removed
target's series completely, and fed explicitly: every result (the common runs and failures, plus
what its kind's spec counts), every finished round, every refused throughput test. Every entry
remembers the (kind, target) it came from, which is what `prune` keeps or drops.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field

from agent.probes import KINDS
from agent.probes.base import Family
from agent.results import ProbeResult

Origin = tuple[str, str]  # (kind, target); ("", "") for agent-wide counters
SeriesKey = tuple[str, tuple[str, ...]]  # (family name, label values)


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


@dataclass(frozen=True)
class TallySnapshot:
    runs: Counter[tuple[str, str, str]]  # (kind, target, group)
    failures: Counter[tuple[str, str, str, str]]  # (kind, target, group, category)
    rounds: Counter[str]
    round_seconds: dict[str, float]
    throughput_refused: Counter[str]
    counters: dict[SeriesKey, float]
    histograms: dict[SeriesKey, Histogram]


class Tally:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: Counter[tuple[str, str, str]] = Counter()
        self._failures: Counter[tuple[str, str, str, str]] = Counter()
        self._rounds: Counter[str] = Counter()
        self._round_seconds: dict[str, float] = {}
        self._refused: Counter[str] = Counter()
        self._counters: dict[SeriesKey, float] = {}
        self._histograms: dict[SeriesKey, Histogram] = {}
        self._origin: dict[SeriesKey, Origin] = {}

    def result(self, r: ProbeResult, previous: ProbeResult | None) -> None:
        spec = KINDS.get(r.kind)
        counts = list(spec.counts(r, previous)) if spec is not None else []
        with self._lock:
            self._runs[(r.kind, r.target, r.group)] += 1
            if r.error is not None:
                self._failures[(r.kind, r.target, r.group, r.error.value)] += 1
            for family, labels, amount in counts:
                # an unlabelled counter is agent-wide (bytes of all throughput tests): it
                # outlives any one target
                origin = (r.kind, r.target) if labels else ("", "")
                self._add(family, labels, amount, origin)

    def _add(self, family: Family, labels: tuple[str, ...], amount: float, origin: Origin) -> None:
        key = (family.name, labels)
        self._origin[key] = origin
        if family.type == "histogram":
            hist = self._histograms.setdefault(key, Histogram(family.buckets))
            if not math.isnan(amount):  # NaN only makes sure the series exists
                hist.observe(amount)
        else:
            self._counters[key] = self._counters.get(key, 0.0) + amount

    def round(self, kind: str, seconds: float) -> None:
        with self._lock:
            self._rounds[kind] += 1
            self._round_seconds[kind] = seconds

    def refused(self, reason: str, count: int = 1) -> None:
        with self._lock:
            self._refused[reason] += count

    def prune(self, keep: set[Origin]) -> None:
        """Forget the series of every (kind, target) no longer configured."""
        kinds = {k for k, _ in keep}
        with self._lock:
            for counter in (self._runs, self._failures):
                for ck in [c for c in counter if (c[0], c[1]) not in keep]:
                    del counter[ck]
            for key in [k for k, o in self._origin.items() if o != ("", "") and o not in keep]:
                self._counters.pop(key, None)
                self._histograms.pop(key, None)
                del self._origin[key]
            for kind in [k for k in self._rounds if k not in kinds]:
                del self._rounds[kind]
                self._round_seconds.pop(kind, None)

    def snapshot(self) -> TallySnapshot:
        with self._lock:
            return TallySnapshot(
                runs=Counter(self._runs),
                failures=Counter(self._failures),
                rounds=Counter(self._rounds),
                round_seconds=dict(self._round_seconds),
                throughput_refused=Counter(self._refused),
                counters=dict(self._counters),
                histograms={k: v.copy() for k, v in self._histograms.items()},
            )
