"""A complete, static /metrics text in the agent's format (docs/metrics.md), for tests of the
monitoring stack without the agent. Targets follow agent/profiles/default.yaml.

    text = metrics_text("platform_outage", tick=3)

`tick` (the scrape number) grows every counter and histogram, so rate() and increase() see
activity. The layer and service states follow the verdict the way the agent sets them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from agent.vocabulary import Cause, Layer

CAUSES = [c.value for c in Cause]
LAYERS = [layer.value for layer in Layer]

# name, group, country, service, probe kinds
TARGETS: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("gateway", "gateway", "CN", "gateway", ("icmp",)),
    ("seller_cabinet", "ozon", "RU", "cabinet", ("dns", "icmp", "tcp", "tls", "http")),
    ("login", "ozon", "RU", "login", ("dns", "tcp", "tls", "http")),
    ("seller_api", "ozon", "RU", "seller_api", ("dns", "tcp", "tls", "http")),
    ("ads_api", "ozon", "RU", "ads_api", ("dns", "tcp", "tls", "http")),
    ("storefront", "ozon", "RU", "storefront", ("dns", "icmp", "tcp", "tls", "http")),
    ("cdn_images", "ozon", "RU", "cdn_images", ("dns", "tcp", "tls", "http")),
    ("cdn_static", "ozon", "RU", "cdn_static", ("dns", "tcp", "tls", "http")),
    ("control_ya", "control", "RU", "control", ("dns", "icmp", "tcp", "tls", "http")),
    ("control_baidu", "control", "CN", "control", ("dns", "icmp", "tcp", "tls", "http")),
]
RESOLVERS = [("system", "system", "CN"), ("yandex", "public", "RU"), ("google", "public", "US")]
ICMP_BOUNDS = [0.0005 * 2**k for k in range(15)]
HTTP_BOUNDS = [0.05 * 2**k for k in range(10)]

# (layers, ozon targets up?, control up?, dns ok?)
SCENARIOS = {
    "ok": ({}, True, True, True),
    "local_network": (
        {"link": 2, "gateway": 2, "internet": 3, "russia": 3, "dns": 3, "platform": 3},
        False,
        False,
        False,
    ),
    "isp": ({"internet": 2, "russia": 2, "dns": 3, "platform": 3}, False, False, False),
    "international_path": ({"russia": 2, "platform": 3}, False, False, True),
    "dns": ({"dns": 2, "platform": 3}, False, True, False),
    "platform_outage": ({"platform": 2}, False, True, True),
    "platform_degraded": ({"platform": 1}, True, True, True),
    "network_degraded": ({"gateway": 1, "internet": 1}, True, True, True),
}


def _labels(d: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in d.items()) + "}" if d else ""


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(
        self,
        name: str,
        typ: str,
        samples: Iterable[tuple[dict[str, str], float]],
        helptext: str = "",
    ) -> None:
        if typ == "counter":
            name += "_total"  # text format 0.0.4 names the family like its samples
        self.lines.append(f"# HELP {name} {helptext or name}")
        self.lines.append(f"# TYPE {name} {typ}")
        for labels, value in samples:
            self.lines.append(f"{name}{_labels(labels)} {value!r}")

    def histogram(
        self, name: str, series: list[tuple[dict[str, str], list[float], list[float], float]]
    ) -> None:
        self.lines.append(f"# HELP {name} {name}")
        self.lines.append(f"# TYPE {name} histogram")
        for labels, bounds, cumulative, total in series:
            for b, c in zip(bounds, cumulative, strict=True):
                self.lines.append(
                    f"{name}_bucket{_labels({**labels, 'le': repr(round(b, 6))})} {c!r}"
                )
            self.lines.append(
                f"{name}_bucket{_labels({**labels, 'le': '+Inf'})} {cumulative[-1]!r}"
            )
            self.lines.append(f"{name}_sum{_labels(labels)} {total!r}")
            self.lines.append(f"{name}_count{_labels(labels)} {cumulative[-1]!r}")


def metrics_text(verdict: str = "ok", tick: int = 1, *, now: float | None = None) -> str:
    """The agent's /metrics for a situation whose verdict is `verdict`."""
    now = time.time() if now is None else now
    if verdict not in CAUSES:
        raise ValueError(verdict)
    layer_over, ozon_up, control_up, dns_ok = SCENARIOS[verdict]
    layers = {layer: 0 for layer in LAYERS} | layer_over
    service_state = 0 if ozon_up else 2
    if verdict == "platform_degraded":
        service_state = 1
    n = float(tick)
    o = _Out()
    o.family("ozon_probe_build_info", "gauge", [({"version": "0.1.0", "python": "3.11.7"}, 1.0)])
    o.family("ozon_probe_config_last_reload_success", "gauge", [({}, 1.0)])
    o.family("ozon_probe_config_last_reload_timestamp_seconds", "gauge", [({}, now - 3600)])
    o.family(
        "ozon_probe_target_info",
        "gauge",
        [({"target": t, "group": g, "country": c, "service": s}, 1.0) for t, g, c, s, _ in TARGETS],
    )
    o.family(
        "ozon_probe_resolver_info",
        "gauge",
        [({"resolver": r, "role": role, "country": c}, 1.0) for r, role, c in RESOLVERS],
    )
    o.family(
        "ozon_probe_icmp_socket_mode",
        "gauge",
        [({"mode": m}, 1.0 if m == "datagram" else 0.0) for m in ("datagram", "raw", "none")],
    )
    kinds = ("dns", "icmp", "tcp", "tls", "http")
    o.family("ozon_probe_rounds", "counter", [({"kind": k}, 10 * n) for k in kinds])
    o.family("ozon_probe_round_duration_seconds", "gauge", [({"kind": k}, 0.5) for k in kinds])

    def up(group: str) -> bool:
        if layers["link"] == 2:
            return False
        if group == "gateway":
            return layers["gateway"] != 2
        return ozon_up if group == "ozon" else control_up

    probes = [(t, g, k) for t, g, _c, _s, ks in TARGETS for k in ks]
    succ = [
        ({"kind": k, "target": t, "group": g}, 1.0 if up(g) and (k != "dns" or dns_ok) else 0.0)
        for t, g, k in probes
    ]
    o.family("ozon_probe_success", "gauge", succ)
    o.family("ozon_probe_duration_seconds", "gauge", [(lb, 0.12) for lb, _ in succ])
    o.family("ozon_probe_last_run_timestamp_seconds", "gauge", [(lb, now) for lb, _ in succ])
    o.family(
        "ozon_probe_last_error",
        "gauge",
        [({**lb, "category": "timeout"}, 1.0) for lb, v in succ if v == 0.0],
    )
    o.family("ozon_probe_runs", "counter", [(lb, 10 * n) for lb, _ in succ])
    o.family(
        "ozon_probe_failures",
        "counter",
        [({**lb, "category": "timeout"}, (10 * n) if v == 0.0 else 0.0) for lb, v in succ],
    )

    dns_targets = [(t, g) for t, g, _c, _s, ks in TARGETS if "dns" in ks]
    dns_lb = [
        {"target": t, "group": g, "resolver": r} for t, g in dns_targets for r, _, _ in RESOLVERS
    ]
    o.family("ozon_probe_dns_success", "gauge", [(lb, 1.0 if dns_ok else 0.0) for lb in dns_lb])
    o.family("ozon_probe_dns_lookup_seconds", "gauge", [(lb, 0.02) for lb in dns_lb])
    o.family("ozon_probe_dns_answers", "gauge", [(lb, 2.0 if dns_ok else 0.0) for lb in dns_lb])
    o.family("ozon_probe_dns_disagreement", "gauge", [(lb, 0.0) for lb in dns_lb])
    o.family(
        "ozon_probe_dns_failures",
        "counter",
        [({**lb, "category": "dns_timeout"}, 0.0 if dns_ok else 10 * n) for lb in dns_lb],
    )

    icmp = [(t, g) for t, g, _c, _s, ks in TARGETS if "icmp" in ks]
    rtt = {"gateway": 0.002, "ozon": 0.180, "control": 0.150}
    o.family(
        "ozon_probe_icmp_rtt_seconds",
        "gauge",
        [
            ({"target": t, "group": g, "stat": s}, rtt[g] * f)
            for t, g in icmp
            if up(g)
            for s, f in (("min", 0.9), ("avg", 1.0), ("max", 1.2))
        ],
    )
    o.family(
        "ozon_probe_icmp_jitter_seconds",
        "gauge",
        [({"target": t, "group": g}, rtt[g] / 20) for t, g in icmp if up(g)],
    )
    o.family(
        "ozon_probe_icmp_loss_ratio",
        "gauge",
        [({"target": t, "group": g}, 0.0 if up(g) else 1.0) for t, g in icmp],
    )
    o.family(
        "ozon_probe_icmp_packets_sent",
        "counter",
        [({"target": t, "group": g}, 5 * n) for t, g in icmp],
    )
    o.family(
        "ozon_probe_icmp_packets_received",
        "counter",
        [({"target": t, "group": g}, 5 * n if up(g) else 0.0) for t, g in icmp],
    )
    hist = []
    for t, g in icmp:
        count = 5 * n if up(g) else 0.0
        cumulative = [count if b >= rtt[g] else 0.0 for b in ICMP_BOUNDS]
        hist.append(({"target": t, "group": g}, ICMP_BOUNDS, cumulative, count * rtt[g]))
    o.histogram("ozon_probe_icmp_response_seconds", hist)

    tls = [(t, g) for t, g, _c, _s, ks in TARGETS if "tls" in ks]
    o.family(
        "ozon_probe_tcp_connect_seconds",
        "gauge",
        [({"target": t, "group": g}, 0.06) for t, g in tls if up(g)],
    )
    o.family(
        "ozon_probe_tls_handshake_seconds",
        "gauge",
        [({"target": t, "group": g}, 0.09) for t, g in tls if up(g)],
    )
    o.family(
        "ozon_probe_tls_version_info",
        "gauge",
        [({"target": t, "group": g, "version": "TLSv1.3"}, 1.0) for t, g in tls if up(g)],
    )
    o.family(
        "ozon_probe_tls_cert_verified",
        "gauge",
        [({"target": t, "group": g}, 1.0) for t, g in tls if up(g)],
    )
    o.family(
        "ozon_probe_tls_cert_expiry_seconds",
        "gauge",
        [({"target": t, "group": g}, 60 * 86400.0) for t, g in tls if up(g)],
    )

    http = [(t, g) for t, g, _c, _s, ks in TARGETS if "http" in ks]
    phases = {"resolve": 0.02, "connect": 0.06, "tls": 0.09, "processing": 0.25, "transfer": 0.05}
    o.family(
        "ozon_probe_http_phase_seconds",
        "gauge",
        [
            ({"target": t, "group": g, "phase": p}, v)
            for t, g in http
            if up(g)
            for p, v in phases.items()
        ],
    )
    o.family(
        "ozon_probe_http_status_code",
        "gauge",
        [({"target": t, "group": g}, 200.0) for t, g in http if up(g)],
    )
    o.family(
        "ozon_probe_http_expected",
        "gauge",
        [({"target": t, "group": g}, 1.0 if up(g) else 0.0) for t, g in http],
    )
    o.family(
        "ozon_probe_http_content_bytes",
        "gauge",
        [({"target": t, "group": g}, 48000.0) for t, g in http if up(g)],
    )
    hist = []
    for t, g in http:
        count = 2 * n if up(g) else 0.0
        cumulative = [count if b >= 0.47 else 0.0 for b in HTTP_BOUNDS]
        hist.append(({"target": t, "group": g}, HTTP_BOUNDS, cumulative, count * 0.47))
    o.histogram("ozon_probe_http_response_seconds", hist)

    o.family("ozon_probe_seller_api_key_valid", "gauge", [({}, 1.0)])
    o.family(
        "ozon_probe_seller_api_key_expiry_timestamp_seconds", "gauge", [({}, now + 90 * 86400)]
    )

    o.family(
        "ozon_probe_throughput_bytes_per_second",
        "gauge",
        [
            ({"target": "cdn_static", "direction": d}, v)
            for d, v in (("download", 4e6), ("upload", 1e6))
        ],
    )
    o.family("ozon_probe_throughput_bytes_used", "counter", [({}, 1e6 * n)])

    o.family(
        "ozon_probe_verdict",
        "gauge",
        [({"cause": c}, 1.0 if c == verdict else 0.0) for c in CAUSES],
    )
    o.family(
        "ozon_probe_layer_status",
        "gauge",
        [({"layer": layer}, float(v)) for layer, v in layers.items()],
    )
    o.family(
        "ozon_probe_service_status",
        "gauge",
        [
            ({"target": t, "service": s}, float(service_state))
            for t, g, _c, s, _k in TARGETS
            if g == "ozon"
        ],
    )
    o.family("ozon_probe_verdict_changes", "counter", [({}, 3.0)])
    o.family("ozon_probe_verdict_since_timestamp_seconds", "gauge", [({}, now - 600)])
    return "\n".join(o.lines) + "\n"
