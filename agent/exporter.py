"""The Prometheus exporter: one custom Collector that turns a snapshot of results into fresh
metric families at every scrape. Nothing is registered at module level, so a reload that
removes a target removes its series too. `docs/metrics.md` lists every family built here.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from agent import __version__
from agent.config import Config
from agent.diagnosis import CAUSES, LAYERS
from agent.results import (
    ArpData,
    DnsData,
    HttpData,
    IcmpData,
    PathData,
    PmtuData,
    SellerApiData,
    TcpData,
    ThroughputData,
    TlsData,
)
from agent.store import Histogram, ResultStore, Snapshot

P = "ozon_probe_"


def _hist(
    name: str, doc: str, labels: list[str], items: dict[tuple[str, str], Histogram]
) -> HistogramMetricFamily:
    fam = HistogramMetricFamily(name, doc, labels=labels)
    for key, h in sorted(items.items()):
        buckets = [(_fmt(b), float(c)) for b, c in zip(h.bounds, h.counts, strict=True)]
        buckets.append(("+Inf", float(h.count)))
        fam.add_metric(list(key), buckets, h.total)
    return fam


def _fmt(bound: float) -> str:
    return repr(round(bound, 6))


class ProbeCollector(Collector):
    def __init__(self, store: ResultStore, config: Callable[[], Config]) -> None:
        self.store = store
        self.config = config

    def collect(self) -> Iterator[Metric]:
        snap = self.store.snapshot()
        config = self.config()
        yield from self._agent(snap, config)
        yield from self._common(snap)
        yield from self._dns(snap, config)
        yield from self._icmp(snap)
        yield from self._tcp_tls(snap)
        yield from self._http(snap)
        yield from self._seller_api(snap)
        yield from self._throughput(snap)
        yield from self._path(snap)
        yield from self._diagnosis(snap)

    def _agent(self, snap: Snapshot, config: Config) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            P + "build_info", "The agent's version; always 1.", labels=["version", "python"]
        )
        info.add_metric([__version__, platform.python_version()], 1)
        yield info
        ok = snap.extra.get("reload_ok")
        if ok is not None:
            yield GaugeMetricFamily(
                P + "config_last_reload_success",
                "1 if the last configuration load or reload succeeded.",
                value=1 if ok else 0,
            )
            yield GaugeMetricFamily(
                P + "config_last_reload_timestamp_seconds",
                "When the configuration was last loaded or a reload was attempted.",
                value=snap.extra.get("reload_at", 0.0),
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
        for r in snap.extra.get("resolvers", []):
            resolvers.add_metric([r.name, "system" if r.system else "public", r.country], 1)
        yield resolvers
        mode = snap.extra.get("icmp_mode")
        if mode:
            fam = GaugeMetricFamily(
                P + "icmp_socket_mode",
                "1 for the kind of ICMP socket the agent can use (none: ICMP probes are off).",
                labels=["mode"],
            )
            for m in ("datagram", "raw", "none"):
                fam.add_metric([m], 1 if m == mode else 0)
            yield fam
        rounds = CounterMetricFamily(P + "rounds", "Probe rounds run.", labels=["kind"])
        seconds = GaugeMetricFamily(
            P + "round_duration_seconds", "How long the last round took.", labels=["kind"]
        )
        for kind in sorted(snap.rounds):
            rounds.add_metric([kind], snap.rounds[kind])
            seconds.add_metric([kind], snap.round_seconds.get(kind, 0.0))
        yield rounds
        yield seconds

    def _common(self, snap: Snapshot) -> Iterator[Metric]:
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
        for (kind, target), r in sorted(snap.latest.items()):
            lv = [kind, target, r.group]
            success.add_metric(lv, 1 if r.ok else 0)
            duration.add_metric(lv, r.duration)
            last_run.add_metric(lv, r.finished_at)
            if r.error is not None:
                last_error.add_metric([*lv, r.error.value], 1)
        runs = CounterMetricFamily(P + "runs", "Probes run.", labels=labels)
        for key, n in sorted(snap.runs.items()):
            runs.add_metric(list(key), n)
        failures = CounterMetricFamily(
            P + "failures", "Failed probes, by error category.", labels=[*labels, "category"]
        )
        for fkey, n in sorted(snap.failures.items()):
            failures.add_metric(list(fkey), n)
        yield from (success, duration, last_run, last_error, runs, failures)

    def _dns(self, snap: Snapshot, config: Config) -> Iterator[Metric]:
        labels = ["target", "group", "resolver"]
        ok = GaugeMetricFamily(
            P + "dns_success", "1 if this resolver answered with addresses.", labels=labels
        )
        seconds = GaugeMetricFamily(
            P + "dns_lookup_seconds", "How long this one resolver took to answer.", labels=labels
        )
        answers = GaugeMetricFamily(
            P + "dns_answers", "Addresses in this resolver's answer.", labels=labels
        )
        disagree = GaugeMetricFamily(
            P + "dns_disagreement",
            "1 if this resolver's answer shares no network with the other resolvers' answers.",
            labels=labels,
        )
        for (kind, target), r in sorted(snap.latest.items()):
            if kind != "dns" or not isinstance(r.data, DnsData):
                continue
            for a in r.data.answers:
                lv = [target, r.group, a.resolver]
                ok.add_metric(lv, 1 if a.ok else 0)
                seconds.add_metric(lv, a.seconds)
                answers.add_metric(lv, len(a.addresses))
                disagree.add_metric(lv, 1 if a.disagrees else 0)
        failures = CounterMetricFamily(
            P + "dns_failures",
            "Failed answers from one resolver, by error category.",
            labels=[*labels, "category"],
        )
        for key, n in sorted(snap.dns_failures.items()):
            failures.add_metric(list(key), n)
        yield from (ok, seconds, answers, disagree, failures)

    def _icmp(self, snap: Snapshot) -> Iterator[Metric]:
        labels = ["target", "group"]
        rtt = GaugeMetricFamily(
            P + "icmp_rtt_seconds", "Echo round-trip time in the last round.",
            labels=[*labels, "stat"],
        )  # fmt: skip
        jitter = GaugeMetricFamily(
            P + "icmp_jitter_seconds",
            "Mean absolute difference of consecutive RTTs in the last round.",
            labels=labels,
        )
        loss = GaugeMetricFamily(
            P + "icmp_loss_ratio", "Share of echo requests unanswered in the last round.",
            labels=labels,
        )  # fmt: skip
        for (kind, target), r in sorted(snap.latest.items()):
            if kind != "icmp" or not isinstance(r.data, IcmpData) or r.data.sent == 0:
                continue
            d = r.data
            lv = [target, r.group]
            loss.add_metric(lv, d.loss_ratio)
            for stat, value in (("min", d.rtt_min), ("avg", d.rtt_avg), ("max", d.rtt_max)):
                if value is not None:
                    rtt.add_metric([*lv, stat], value)
            if d.jitter is not None:
                jitter.add_metric(lv, d.jitter)
        sent = CounterMetricFamily(P + "icmp_packets_sent", "Echo requests sent.", labels=labels)
        received = CounterMetricFamily(
            P + "icmp_packets_received", "Echo replies received.", labels=labels
        )
        for key in sorted(snap.icmp_sent):
            sent.add_metric(list(key), snap.icmp_sent[key])
            received.add_metric(list(key), snap.icmp_received[key])
        yield from (rtt, jitter, loss, sent, received)
        yield _hist(
            P + "icmp_response_seconds", "Every echo reply's round-trip time.", labels,
            snap.icmp_hist,
        )  # fmt: skip

    def _tcp_tls(self, snap: Snapshot) -> Iterator[Metric]:
        labels = ["target", "group"]
        connect = GaugeMetricFamily(
            P + "tcp_connect_seconds", "TCP handshake time of the last probe.", labels=labels
        )
        handshake = GaugeMetricFamily(
            P + "tls_handshake_seconds", "TLS handshake time of the last probe.", labels=labels
        )
        version = GaugeMetricFamily(
            P + "tls_version_info", "The TLS version negotiated; always 1.",
            labels=[*labels, "version"],
        )  # fmt: skip
        verified = GaugeMetricFamily(
            P + "tls_cert_verified",
            "1 if the certificate chain and host name verified.",
            labels=labels,
        )
        expiry = GaugeMetricFamily(
            P + "tls_cert_expiry_seconds",
            "Seconds until the leaf certificate expires (negative once expired).",
            labels=labels,
        )
        now = time.time()
        for (_, target), r in sorted(snap.latest.items()):
            lv = [target, r.group]
            if isinstance(r.data, TcpData) and r.data.connect_seconds is not None:
                connect.add_metric(lv, r.data.connect_seconds)
            elif isinstance(r.data, TlsData):
                d = r.data
                if d.handshake_seconds is not None:
                    handshake.add_metric(lv, d.handshake_seconds)
                if d.version:
                    version.add_metric([*lv, d.version], 1)
                if d.handshake_seconds is not None or d.verify_error:
                    verified.add_metric(lv, 1 if d.verified else 0)
                if d.cert_not_after is not None:
                    expiry.add_metric(lv, d.cert_not_after - now)
        yield from (connect, handshake, version, verified, expiry)

    def _http(self, snap: Snapshot) -> Iterator[Metric]:
        labels = ["target", "group"]
        phases = GaugeMetricFamily(
            P + "http_phase_seconds", "Time spent in each phase of the last request.",
            labels=[*labels, "phase"],
        )  # fmt: skip
        status = GaugeMetricFamily(
            P + "http_status_code", "HTTP status of the last answer.", labels=labels
        )
        expected = GaugeMetricFamily(
            P + "http_expected", "1 if the last answer matched the target's expectation.",
            labels=labels,
        )  # fmt: skip
        size = GaugeMetricFamily(
            P + "http_content_bytes", "Body bytes read from the last answer.", labels=labels
        )
        for (kind, target), r in sorted(snap.latest.items()):
            if kind != "http" or not isinstance(r.data, HttpData):
                continue
            d = r.data
            lv = [target, r.group]
            for phase in ("resolve", "connect", "tls", "processing", "transfer"):
                if phase in d.phases:
                    phases.add_metric([*lv, phase], d.phases[phase])
            if d.status is not None:
                status.add_metric(lv, d.status)
                size.add_metric(lv, d.content_bytes)
            expected.add_metric(lv, 1 if d.expected else 0)
        yield from (phases, status, expected, size)
        yield _hist(
            P + "http_response_seconds", "Total time of every completed request.", labels,
            snap.http_hist,
        )  # fmt: skip

    def _seller_api(self, snap: Snapshot) -> Iterator[Metric]:
        r = snap.latest.get(("seller_api", "seller_api_key"))
        if r is None or not isinstance(r.data, SellerApiData):
            return
        if r.data.key_valid is not None:
            yield GaugeMetricFamily(
                P + "seller_api_key_valid",
                "1 if Ozon accepted the configured Seller API key at the last check.",
                value=1 if r.data.key_valid else 0,
            )
        if r.data.key_expires_at is not None:
            yield GaugeMetricFamily(
                P + "seller_api_key_expiry_timestamp_seconds",
                "When the Seller API key expires, as Ozon reports it.",
                value=r.data.key_expires_at,
            )

    def _throughput(self, snap: Snapshot) -> Iterator[Metric]:
        from agent.probes.throughput import REFUSED_REASONS

        rate = GaugeMetricFamily(
            P + "throughput_bytes_per_second",
            "Payload rate of the last throughput test, by direction.",
            labels=["target", "direction"],
        )
        for (kind, target), r in sorted(snap.latest.items()):
            if kind not in ("throughput", "speedtest") or not isinstance(r.data, ThroughputData):
                continue
            for direction, value in (
                ("download", r.data.download_rate),
                ("upload", r.data.upload_rate),
            ):
                if value is not None:
                    rate.add_metric([target, direction], value)
        if rate.samples:  # absent until a test has measured something (docs: conditional)
            yield rate
        yield CounterMetricFamily(
            P + "throughput_bytes_used",
            "Bytes moved by throughput tests (the data budget's spending).",
            value=snap.throughput_bytes,
        )
        refused = CounterMetricFamily(
            P + "throughput_refused",
            "Throughput tests not started, by reason: budget, busy, probes_busy.",
            labels=["reason"],
        )
        for reason in REFUSED_REASONS:
            refused.add_metric([reason], snap.throughput_refused.get(reason, 0))
        yield refused

    def _path(self, snap: Snapshot) -> Iterator[Metric]:
        """Packet-level probes: a family appears only once such a probe has run (docs)."""
        labels = ["target", "group", "method"]
        hops = GaugeMetricFamily(
            P + "path_hops", "Hops to the target in the last trace (to the last answer when "
            "not reached).", labels=labels,
        )  # fmt: skip
        reached = GaugeMetricFamily(
            P + "path_reached", "1 if the last trace reached the target.", labels=labels
        )
        route = GaugeMetricFamily(
            P + "path_route_hash",
            "48-bit hash of the ordered hop addresses of the last trace (changes with the route).",
            labels=labels,
        )
        worst = GaugeMetricFamily(
            P + "path_worst_hop", "Hop number (TTL) of the worst hop of the last trace.",
            labels=labels,
        )  # fmt: skip
        worst_loss = GaugeMetricFamily(
            P + "path_worst_hop_loss_ratio", "Share of the worst hop's probes unanswered.",
            labels=labels,
        )  # fmt: skip
        worst_rtt = GaugeMetricFamily(
            P + "path_worst_hop_rtt_seconds", "Mean round-trip time to the worst hop.",
            labels=labels,
        )  # fmt: skip
        mtu = GaugeMetricFamily(
            P + "path_mtu_bytes",
            "Largest IP packet that crossed to the target with Don't Fragment set.",
            labels=["target", "group"],
        )
        arp = GaugeMetricFamily(
            P + "gateway_arp_answered",
            "1 if the default gateway answered ARP (on the LAN, whether or not it routes).",
            labels=["target"],
        )
        for (kind, target), r in sorted(snap.latest.items()):
            d = r.data
            if kind == "path" and isinstance(d, PathData):
                for t in d.traces:
                    lv = [target, r.group, t.method]
                    hops.add_metric(lv, len(t.hops))
                    reached.add_metric(lv, 1 if t.reached else 0)
                    route.add_metric(lv, t.route_hash)
                    w = t.worst
                    if w is not None:
                        worst.add_metric(lv, w.ttl)
                        worst_loss.add_metric(lv, w.loss_ratio)
                        if (avg := w.rtt_avg) is not None:
                            worst_rtt.add_metric(lv, avg)
            elif kind == "pmtu" and isinstance(d, PmtuData) and d.mtu is not None:
                mtu.add_metric([target, r.group], d.mtu)
            elif kind == "arp" and isinstance(d, ArpData):
                arp.add_metric([target], 1 if d.answered else 0)
        changes = CounterMetricFamily(
            P + "path_route_changes",
            "Times the route (hash) to the target changed between two complete traces.",
            labels=labels,
        )
        for key, n in sorted(snap.route_changes.items()):
            changes.add_metric(list(key), n)
        for fam in (hops, reached, route, worst, worst_loss, worst_rtt, changes, mtu, arp):
            if fam.samples:
                yield fam

    def _diagnosis(self, snap: Snapshot) -> Iterator[Metric]:
        diag: Any = snap.extra.get("diagnosis")
        if diag is None:
            return
        verdict = GaugeMetricFamily(
            P + "verdict", "1 for the current cause; exactly one cause is 1.", labels=["cause"]
        )
        for cause in CAUSES:
            verdict.add_metric([cause], 1 if cause == diag.cause else 0)
        yield verdict
        layers = GaugeMetricFamily(
            P + "layer_status",
            "Each layer's state: 0 ok, 1 degraded, 2 down, 3 unknown.",
            labels=["layer"],
        )
        for layer in LAYERS:
            layers.add_metric([layer], diag.layers.get(layer, 3))
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


def make_registry(store: ResultStore, config: Callable[[], Config]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProbeCollector(store, config))
    return registry
