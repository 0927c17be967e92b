"""The Prometheus exporter: small collectors, one concern each, over typed snapshots, building
fresh metric families at every scrape. Nothing is registered at module level, so a reload that
removes a target removes its series too. `docs/metrics.md` lists every family built here and
in the probe kinds' specs.

- AgentCollector: what the agent knows about itself (version, reloads, targets, resolvers,
  ICMP socket mode, probe rounds and their loops);
- ResultCollector: what every probe shares (success, duration, runs, failures);
- KindCollector: the families each kind's spec declares, from its results and its counters;
- BudgetCollector: refused throughput tests;
- VerdictCollector: the diagnosis.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from agent import __version__
from agent.config import Config
from agent.diagnosis import Diagnosis
from agent.probes import KINDS
from agent.probes.base import Family
from agent.runtime import AgentFacts, Runtime
from agent.scheduler import REFUSED_REASONS
from agent.store import ResultStore
from agent.tally import Histogram, Tally
from agent.vocabulary import Cause, Layer, State

P = "ozon_probe_"


def _bound(b: float) -> str:
    return repr(round(b, 6))


def _histogram(fam: HistogramMetricFamily, labels: tuple[str, ...], h: Histogram) -> None:
    buckets = [(_bound(b), float(c)) for b, c in zip(h.bounds, h.counts, strict=True)]
    buckets.append(("+Inf", float(h.count)))
    fam.add_metric(list(labels), buckets, h.total)


class AgentCollector(Collector):
    def __init__(
        self, config: Callable[[], Config], facts: Callable[[], AgentFacts], tally: Tally
    ) -> None:
        self.config, self.facts, self.tally = config, facts, tally

    def collect(self) -> Iterator[Metric]:
        facts = self.facts()
        config = self.config()
        info = GaugeMetricFamily(
            P + "build_info", "The agent's version; always 1.", labels=["version", "python"]
        )
        info.add_metric([__version__, platform.python_version()], 1)
        yield info
        yield GaugeMetricFamily(
            P + "config_last_reload_success",
            "1 if the last configuration load or reload succeeded.",
            value=1 if facts.reload_ok else 0,
        )
        yield GaugeMetricFamily(
            P + "config_last_reload_timestamp_seconds",
            "When the configuration was last loaded or a reload was attempted.",
            value=facts.reload_at,
        )
        targets = GaugeMetricFamily(
            P + "target_info",
            "The configured targets and their roles; always 1.",
            labels=["target", "group", "country", "service"],
        )
        for t in config.targets:
            targets.add_metric([t.name, t.group, t.country, t.service or t.group], 1)
        yield targets
        resolvers = GaugeMetricFamily(
            P + "resolver_info",
            "The resolvers DNS probes ask; role is system or public; always 1.",
            labels=["resolver", "role", "country"],
        )
        for r in facts.resolvers:
            resolvers.add_metric([r.name, "system" if r.system else "public", r.country], 1)
        yield resolvers
        if facts.icmp_mode:
            mode = GaugeMetricFamily(
                P + "icmp_socket_mode",
                "1 for the kind of ICMP socket the agent can use (none: ICMP probes are off).",
                labels=["mode"],
            )
            for m in ("datagram", "raw", "none"):
                mode.add_metric([m], 1 if m == facts.icmp_mode else 0)
            yield mode
        tally = self.tally.snapshot()
        rounds = CounterMetricFamily(P + "rounds", "Probe rounds run.", labels=["kind"])
        seconds = GaugeMetricFamily(
            P + "round_duration_seconds", "How long the last round took.", labels=["kind"]
        )
        for kind in sorted(tally.rounds):
            rounds.add_metric([kind], tally.rounds[kind])
            seconds.add_metric([kind], tally.round_seconds.get(kind, 0.0))
        yield rounds
        yield seconds
        restarts = CounterMetricFamily(
            P + "loop_restarts",
            "Times a probe loop failed outside its probes and was restarted.",
            labels=["kind"],
        )
        for kind, n in sorted(facts.loop_restarts.items()):
            restarts.add_metric([kind], n)
        yield restarts
        bursts = CounterMetricFamily(
            P + "bursts",
            "Confirmation bursts run, by what woke them: watch, round, link, unsettled.",
            labels=["reason"],
        )
        for reason in ("watch", "round", "link", "unsettled"):
            bursts.add_metric([reason], facts.bursts.get(reason, 0))
        yield bursts
        yield CounterMetricFamily(
            P + "bursts_refused",
            "Confirmation bursts the rate limit (bursts.per_minute) refused.",
            value=facts.bursts_refused,
        )


class ResultCollector(Collector):
    def __init__(self, store: ResultStore, tally: Tally) -> None:
        self.store, self.tally = store, tally

    def collect(self) -> Iterator[Metric]:
        labels = ["kind", "target", "group"]
        success = GaugeMetricFamily(
            P + "success", "1 if the last probe got the expected outcome.", labels=labels
        )
        duration = GaugeMetricFamily(
            P + "duration_seconds", "Wall time of the last probe.", labels=labels
        )
        last_run = GaugeMetricFamily(
            P + "last_run_timestamp_seconds", "When the last probe finished.", labels=labels
        )
        last_error = GaugeMetricFamily(
            P + "last_error",
            "1 for the error category of the current failure; absent while succeeding.",
            labels=[*labels, "category"],
        )
        for (kind, target), r in sorted(self.store.snapshot().latest.items()):
            lv = [kind, target, r.group]
            success.add_metric(lv, 1 if r.ok else 0)
            duration.add_metric(lv, r.duration)
            last_run.add_metric(lv, r.finished_at)
            if r.error is not None:
                last_error.add_metric([*lv, r.error.value], 1)
        tally = self.tally.snapshot()
        runs = CounterMetricFamily(P + "runs", "Probes run.", labels=labels)
        for key, n in sorted(tally.runs.items()):
            runs.add_metric(list(key), n)
        failures = CounterMetricFamily(
            P + "failures", "Failed probes, by error category.", labels=[*labels, "category"]
        )
        for fkey, n in sorted(tally.failures.items()):
            failures.add_metric(list(fkey), n)
        yield from (success, duration, last_run, last_error, runs, failures)


def kind_families() -> list[Family]:
    """Every family the registered kinds declare, once each (kinds may share one)."""
    seen: dict[str, Family] = {}
    for spec in KINDS.values():
        for fam in spec.families:
            seen.setdefault(fam.name, fam)
    return list(seen.values())


class KindCollector(Collector):
    """The families the probe kinds declare: gauges from each kind's latest results, counters
    and histograms from the tally."""

    def __init__(self, store: ResultStore, tally: Tally) -> None:
        self.store, self.tally = store, tally

    def collect(self) -> Iterator[Metric]:
        families = kind_families()
        gauges: dict[str, GaugeMetricFamily] = {}
        counters: dict[str, CounterMetricFamily] = {}
        histograms: dict[str, HistogramMetricFamily] = {}
        for fam in families:
            name, labels = P + fam.name, list(fam.labels)
            if fam.type == "histogram":
                histograms[fam.name] = HistogramMetricFamily(name, fam.help, labels=labels)
            elif fam.type == "counter":
                counters[fam.name] = CounterMetricFamily(name, fam.help, labels=labels)
            else:
                gauges[fam.name] = GaugeMetricFamily(name, fam.help, labels=labels)
        now = time.time()
        for (kind, _), r in sorted(self.store.snapshot().latest.items()):
            spec = KINDS.get(kind)
            if spec is not None:
                for fam, lv, value in spec.samples(r, now):
                    gauges[fam.name].add_metric(list(lv), value)
        tally = self.tally.snapshot()
        for (fname, lv), value in sorted(tally.counters.items()):
            if fname in counters:
                counters[fname].add_metric(list(lv), value)
        for fam in families:
            # an agent-wide counter (no labels) reads 0 before anything has counted
            if fam.type == "counter" and not fam.labels and not counters[fam.name].samples:
                counters[fam.name].add_metric([], 0)
        for (fname, lv), hist in sorted(tally.histograms.items()):
            if fname in histograms:
                _histogram(histograms[fname], lv, hist)
        by_type: dict[str, dict[str, Metric]] = {
            "histogram": dict(histograms),
            "counter": dict(counters),
            "gauge": dict(gauges),
        }
        for fam in families:
            metric = by_type[fam.type][fam.name]
            if fam.always or metric.samples:
                yield metric


class BudgetCollector(Collector):
    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def collect(self) -> Iterator[Metric]:
        refused = CounterMetricFamily(
            P + "throughput_refused",
            "Throughput tests not started, by reason: budget, busy, probes_busy.",
            labels=["reason"],
        )
        counts = self.tally.snapshot().throughput_refused
        for reason in REFUSED_REASONS:
            refused.add_metric([reason], counts.get(reason, 0))
        yield refused


class VerdictCollector(Collector):
    def __init__(self, diagnosis: Callable[[], Diagnosis | None]) -> None:
        self.diagnosis = diagnosis

    def collect(self) -> Iterator[Metric]:
        diag = self.diagnosis()
        if diag is None:
            return
        verdict = GaugeMetricFamily(
            P + "verdict", "1 for the current cause; exactly one cause is 1.", labels=["cause"]
        )
        for cause in Cause:
            verdict.add_metric([cause.value], 1 if cause == diag.cause else 0)
        yield verdict
        layers = GaugeMetricFamily(
            P + "layer_status",
            "Each layer's state: 0 ok, 1 degraded, 2 down, 3 unknown.",
            labels=["layer"],
        )
        for layer in Layer:
            layers.add_metric([layer.value], diag.layers.get(layer, State.UNKNOWN))
        yield layers
        services = GaugeMetricFamily(
            P + "service_status",
            "Each Ozon service's state: 0 ok, 1 degraded, 2 down, 3 unknown.",
            labels=["target", "service"],
        )
        for s in diag.services:
            services.add_metric([s.target, s.service], s.state)
        yield services
        yield CounterMetricFamily(
            P + "verdict_changes", "Times the verdict changed.", value=diag.changes
        )
        yield GaugeMetricFamily(
            P + "verdict_since_timestamp_seconds",
            "When the current verdict began.",
            value=diag.since,
        )


def make_registry(rt: Runtime) -> CollectorRegistry:
    """One registry of small collectors over a Runtime's parts."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AgentCollector(lambda: rt.config, rt.facts, rt.tally))
    registry.register(ResultCollector(rt.store, rt.tally))
    registry.register(KindCollector(rt.store, rt.tally))
    registry.register(BudgetCollector(rt.tally))
    registry.register(VerdictCollector(rt.diagnosis))
    if rt.journal is not None:
        from agent.journal_api import JournalCollector

        registry.register(JournalCollector(rt.journal, tuple(c.value for c in Cause)))
    return registry
