#!/usr/bin/env python3
"""Generate the ozon-probe Grafana dashboards, in English, Russian and Chinese.

Standard library only. The JSON files are committed; regenerate after editing this file or
dashboard_words.py (the Russian and Chinese words, keyed by the English text):

    python3 grafana/generate.py            # write every language's dashboards
    python3 grafana/generate.py --check    # exit 1 if the committed JSON is out of date

English: grafana/dashboards/ and grafana/fleet/; Russian and Chinese: grafana/ru/... and
grafana/zh/... (uids with -ru, -zh). Exit 2 when a text has no translation, a translation
matches no text, or a translation drops a label template or variable.

The dashboards use the recording rules of deploy/prometheus/rules.yml (ozon_probe:...), so
load those rules into the Prometheus the dashboards read from.

Every query filters on the template variables $job ("Site") and $instance ("Agent");
detail dashboards add $group, $target or $resolver. Output is deterministic (sorted keys,
sequential panel ids) so that regenerating changes nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "dashboards"

SCHEMA_VERSION = 39  # Grafana 10.4 / 11.x dashboard JSON
TAG = "ozon-probe"
DS = {"type": "prometheus", "uid": "${datasource}"}
PROVISIONED_DS_UID = "ozon-probe-prometheus"  # grafana/provisioning/datasources/ozon-probe.yml
SEL = 'job=~"$job", instance=~"$instance"'

Json = dict[str, Any]

# ---------------------------------------------------------------------------------------
# Value encodings shared with the agent and deploy/prometheus/rules.yml

STATUS_MAPPINGS: list[Json] = [
    {
        "type": "value",
        "options": {
            "0": {"text": "OK", "color": "green", "index": 0},
            "1": {"text": "Degraded", "color": "yellow", "index": 1},
            "2": {"text": "Down", "color": "red", "index": 2},
            "3": {"text": "Unknown", "color": "text", "index": 3},
        },
    },
    {
        "type": "special",
        "options": {"match": "null", "result": {"text": "No data", "color": "text", "index": 4}},
    },
]

# "Your side" and "Ozon's side" told apart by more than words: an icon and a colour family.
# Your side (office network, provider, route to Russia, DNS): 🏠, reds and oranges (act
# locally). Ozon's side: 🛒, purples (wait for Ozon). The network in between: 🌐 yellow.
YOUR_SIDE_ICON, OZON_SIDE_ICON, BETWEEN_ICON = "🏠", "🛒", "🌐"
YOUR_SIDE_COLOURS = ("red", "dark-red", "orange", "dark-orange", "semi-dark-red")
OZON_SIDE_COLOURS = ("purple", "dark-purple")

# ozon_probe:verdict:code (rules.yml): mild to basic
VERDICT_CODES: list[tuple[int, str, str, str]] = [
    # code, cause, text, colour
    (0, "ok", "✅ OK", "green"),
    (1, "network_degraded", f"{BETWEEN_ICON} Network slow / lossy", "yellow"),
    (2, "platform_degraded", f"{OZON_SIDE_ICON} Ozon degraded", "purple"),
    (3, "platform_outage", f"{OZON_SIDE_ICON} Ozon outage", "dark-purple"),
    (4, "dns", f"{YOUR_SIDE_ICON} DNS failing", "dark-orange"),
    (5, "international_path", f"{YOUR_SIDE_ICON} Route to Russia broken", "orange"),
    (6, "isp", f"{YOUR_SIDE_ICON} Internet provider down", "red"),
    (7, "local_network", f"{YOUR_SIDE_ICON} Office network down", "dark-red"),
    (8, "network_filtering", f"{YOUR_SIDE_ICON} Filtered on the way", "semi-dark-red"),
]
VERDICT_MAPPINGS: list[Json] = [
    {
        "type": "value",
        "options": {
            str(code): {"text": text, "color": color, "index": code}
            for code, _cause, text, color in VERDICT_CODES
        },
    },
    {
        "type": "special",
        "options": {
            "match": "null",
            "result": {"text": "No data", "color": "text", "index": len(VERDICT_CODES)},
        },
    },
]

# ozon_probe:verdict:side (rules.yml)
SIDE_MAPPINGS: list[Json] = [
    {
        "type": "value",
        "options": {
            "0": {"text": "✅ All good", "color": "green", "index": 0},
            "1": {"text": f"{BETWEEN_ICON} Slow network in between", "color": "yellow", "index": 1},
            "2": {
                "text": f"{OZON_SIDE_ICON} Ozon's side: wait for Ozon",
                "color": "dark-purple",
                "index": 2,
            },
            "3": {"text": f"{YOUR_SIDE_ICON} Your side, not Ozon", "color": "red", "index": 3},
        },
    },
    {
        "type": "special",
        "options": {"match": "null", "result": {"text": "No data", "color": "text", "index": 4}},
    },
]

OK_FAIL_MAPPINGS: list[Json] = [
    {
        "type": "value",
        "options": {
            "1": {"text": "OK", "color": "green", "index": 0},
            "0": {"text": "Failed", "color": "red", "index": 1},
        },
    }
]


def thresholds(*steps: tuple[float | None, str]) -> Json:
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in steps]}


GREEN = thresholds((None, "green"))

# ---------------------------------------------------------------------------------------
# Building blocks


def query(
    expr: str, legend: str = "", ref: str = "A", *, instant: bool = False, fmt: str = "time_series"
) -> Json:
    q: Json = {
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "refId": ref,
        "range": not instant,
        "instant": instant,
        "format": fmt,
    }
    return q


def _panel(kind: str, title: str, targets: list[Json], description: str, w: int, h: int) -> Json:
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": targets,
        "gridPos": {"h": h, "w": w, "x": 0, "y": 0},
    }


def legend(mode: str = "list", placement: str = "bottom", calcs: list[str] | None = None) -> Json:
    return {
        "showLegend": mode != "hidden",
        "displayMode": mode,
        "placement": placement,
        "calcs": calcs or [],
    }


TOOLTIP = {"mode": "multi", "sort": "desc"}


def stat(
    title: str,
    targets: list[Json],
    *,
    description: str = "",
    unit: str = "none",
    mappings: list[Json] | None = None,
    thresh: Json | None = None,
    color_mode: str = "background",
    text_mode: str = "auto",
    decimals: int | None = None,
    w: int = 6,
    h: int = 4,
) -> Json:
    p = _panel("stat", title, targets, description, w, h)
    defaults: Json = {
        "unit": unit,
        "mappings": mappings or [],
        "thresholds": thresh or GREEN,
        "color": {"mode": "thresholds"},
    }
    if decimals is not None:
        defaults["decimals"] = decimals
    p["fieldConfig"] = {"defaults": defaults, "overrides": []}
    p["options"] = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": color_mode,
        "graphMode": "none",
        "justifyMode": "center",
        "orientation": "auto",
        "textMode": text_mode,
        "wideLayout": True,
        "showPercentChange": False,
    }
    return p


def timeseries(
    title: str,
    targets: list[Json],
    *,
    description: str = "",
    unit: str = "s",
    w: int = 12,
    h: int = 8,
    draw: str = "line",
    stack: bool = False,
    points: str = "never",
    min_val: float | None = 0,
    max_val: float | None = None,
    legend_calcs: list[str] | None = None,
    thresh: Json | None = None,
    thresholds_style: str = "off",
    overrides: list[Json] | None = None,
) -> Json:
    p = _panel("timeseries", title, targets, description, w, h)
    defaults: Json = {
        "unit": unit,
        "color": {"mode": "palette-classic"},
        "thresholds": thresh or GREEN,
        "custom": {
            "drawStyle": draw,
            "lineWidth": 1,
            "fillOpacity": 60 if (stack or draw == "bars") else 10,
            "showPoints": points,
            "pointSize": 4,
            "spanNulls": False,
            "stacking": {"mode": "normal" if stack else "none", "group": "A"},
            "thresholdsStyle": {"mode": thresholds_style},
            "axisPlacement": "auto",
        },
    }
    if min_val is not None:
        defaults["min"] = min_val
    if max_val is not None:
        defaults["max"] = max_val
    p["fieldConfig"] = {"defaults": defaults, "overrides": overrides or []}
    calcs = legend_calcs if legend_calcs is not None else ["mean", "max", "lastNotNull"]
    p["options"] = {"legend": legend("table", "bottom", calcs), "tooltip": TOOLTIP}
    return p


def state_timeline(
    title: str,
    targets: list[Json],
    *,
    mappings: list[Json],
    description: str = "",
    w: int = 24,
    h: int = 6,
    show_value: str = "auto",
) -> Json:
    p = _panel("state-timeline", title, targets, description, w, h)
    p["fieldConfig"] = {
        "defaults": {
            "mappings": mappings,
            "thresholds": GREEN,
            "color": {"mode": "thresholds"},
            "custom": {"lineWidth": 0, "fillOpacity": 80},
        },
        "overrides": [],
    }
    p["options"] = {
        "mergeValues": True,
        "showValue": show_value,
        "alignValue": "left",
        "rowHeight": 0.9,
        "legend": legend("list", "bottom"),
        "tooltip": {"mode": "single", "sort": "none"},
    }
    return p


def heatmap(
    title: str, targets: list[Json], *, description: str = "", w: int = 12, h: int = 8
) -> Json:
    p = _panel("heatmap", title, targets, description, w, h)
    p["fieldConfig"] = {
        "defaults": {
            "custom": {
                "hideFrom": {"legend": False, "tooltip": False, "viz": False},
                "scaleDistribution": {"type": "linear"},
            }
        },
        "overrides": [],
    }
    p["options"] = {
        "calculate": False,
        "cellGap": 1,
        "color": {
            "mode": "scheme",
            "scheme": "Oranges",
            "fill": "dark-orange",
            "scale": "exponential",
            "exponent": 0.5,
            "steps": 64,
            "reverse": False,
        },
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
        "filterValues": {"le": 1e-9},
        "legend": {"show": True},
        "rowsFrame": {"layout": "auto"},
        "showValue": "never",
        "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
        "yAxis": {"axisPlacement": "left", "reverse": False, "unit": "s"},
    }
    return p


def barchart(
    title: str,
    targets: list[Json],
    *,
    description: str = "",
    unit: str = "s",
    transformations: list[Json] | None = None,
    w: int = 24,
    h: int = 8,
) -> Json:
    p = _panel("barchart", title, targets, description, w, h)
    p["fieldConfig"] = {
        "defaults": {
            "unit": unit,
            "min": 0,
            "color": {"mode": "palette-classic"},
            "thresholds": GREEN,
            "custom": {
                "lineWidth": 1,
                "fillOpacity": 80,
                "gradientMode": "none",
                "axisPlacement": "auto",
            },
        },
        "overrides": [],
    }
    p["options"] = {
        "orientation": "vertical",
        "xTickLabelRotation": 0,
        "xTickLabelSpacing": 0,
        "showValue": "never",
        "stacking": "none",
        "groupWidth": 0.7,
        "barWidth": 0.97,
        "barRadius": 0,
        "fullHighlight": False,
        "legend": legend("list", "bottom"),
        "tooltip": {"mode": "multi", "sort": "none"},
    }
    p["transformations"] = transformations or []
    return p


def table(
    title: str,
    targets: list[Json],
    *,
    description: str = "",
    hide: list[str] | None = None,
    w: int = 12,
    h: int = 6,
) -> Json:
    p = _panel("table", title, targets, description, w, h)
    p["fieldConfig"] = {
        "defaults": {"thresholds": GREEN, "color": {"mode": "thresholds"}},
        "overrides": [],
    }
    p["options"] = {
        "showHeader": True,
        "cellHeight": "sm",
        "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": ""},
    }
    p["transformations"] = [
        {"id": "organize", "options": {"excludeByName": {name: True for name in (hide or [])}}}
    ]
    return p


def text(title: str, content: str, *, w: int = 24, h: int = 6) -> Json:
    return {
        "type": "text",
        "title": title,
        "gridPos": {"h": h, "w": w, "x": 0, "y": 0},
        "options": {"mode": "markdown", "content": content.strip() + "\n"},
    }


def row(title: str) -> Json:
    return {
        "type": "row",
        "title": title,
        "collapsed": False,
        "panels": [],
        "gridPos": {"h": 1, "w": 24, "x": 0, "y": 0},
    }


def repeat(panel: Json, var: str, max_per_row: int = 2) -> Json:
    panel["repeat"] = var
    panel["repeatDirection"] = "h"
    panel["maxPerRow"] = max_per_row
    return panel


def layout(panels: list[Json]) -> list[Json]:
    """Flow panels left to right, top to bottom on the 24-column grid; assign ids."""
    x = y = row_h = 0
    for i, p in enumerate(panels, start=1):
        p["id"] = i
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if p["type"] == "row" or x + w > 24:
            y += row_h
            x = row_h = 0
        p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        x += w
        row_h = max(row_h, h)
        if p["type"] == "row":
            y += h
            x = row_h = 0
    return panels


# ---------------------------------------------------------------------------------------
# Template variables


def datasource_var() -> Json:
    return {
        "name": "datasource",
        "label": "Prometheus",
        "type": "datasource",
        "query": "prometheus",
        "current": {
            "selected": False,
            "text": "Ozon probe Prometheus",
            "value": PROVISIONED_DS_UID,
        },
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
        "includeAll": False,
        "multi": False,
    }


def query_var(name: str, label: str, q: str, *, description: str = "", multi: bool = True) -> Json:
    return {
        "name": name,
        "label": label,
        "description": description,
        "type": "query",
        "datasource": DS,
        "query": q,
        "refresh": 2,  # on time range change
        "sort": 1,
        "regex": "",
        "hide": 0,
        "multi": multi,
        "includeAll": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
    }


def base_vars() -> list[Json]:
    return [
        datasource_var(),
        query_var(
            "job",
            "Site",
            "label_values(ozon_probe_build_info, job)",
            description="Prometheus job of the agent; use one job per office (ozon-probe-<site>).",
        ),
        query_var(
            "instance",
            "Agent",
            'label_values(ozon_probe_build_info{job=~"$job"}, instance)',
            description="The ozon-probe agent (host:port).",
        ),
    ]


def dashboard(
    uid: str,
    title: str,
    description: str,
    panels: list[Json],
    variables: list[Json],
    *,
    time_from: str = "now-24h",
    refresh: str = "1m",
) -> Json:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": [TAG],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": refresh,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {"refresh_intervals": ["30s", "1m", "5m", "15m", "1h"]},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "links": [
            {
                "title": "Ozon probe dashboards",
                "type": "dashboards",
                "tags": [TAG],
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
                "targetBlank": False,
                "icon": "external link",
                "tooltip": "",
                "url": "",
            }
        ],
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "templating": {"list": variables},
        "panels": layout(panels),
    }


# ---------------------------------------------------------------------------------------
# Dashboards

LAYERS: list[tuple[str, str, str]] = [
    ("link", "Link", "This computer's own network connection (cable or Wi-Fi)."),
    ("gateway", "Router", "The office router (default gateway) answers."),
    ("internet", "Internet", "Well-known sites outside Russia answer: your provider's line works."),
    (
        "russia",
        "Russia",
        "Well-known Russian sites (not Ozon) answer: the route into Russia works.",
    ),
    ("dns", "DNS", "Names like ozon.ru are turned into addresses by the DNS resolvers."),
    ("platform", "Ozon", "Ozon's own services answer."),
]


def overview() -> Json:
    verdict_help = (
        "The agent's diagnosis. Red causes on your side (office network, provider, route to "
        "Russia, DNS) mean: act locally. Ozon outage/degraded means: wait for Ozon and keep the "
        "record for Ozon seller support."
    )
    panels: list[Json] = [
        stat(
            "Is it me or Ozon?",
            [query(f"ozon_probe:verdict:side{{{SEL}}}", "{{instance}}")],
            description="The short answer. 'Your side' covers the office network, your provider, "
            "the route into Russia and DNS.",
            mappings=SIDE_MAPPINGS,
            w=9,
            h=5,
        ),
        stat(
            "Diagnosis",
            [query(f"ozon_probe:verdict:code{{{SEL}}}", "{{instance}}")],
            description=verdict_help,
            mappings=VERDICT_MAPPINGS,
            w=9,
            h=5,
        ),
        stat(
            "For how long",
            [
                query(
                    "time() - max by (instance) "
                    f"(ozon_probe_verdict_since_timestamp_seconds{{{SEL}}})",
                    "{{instance}}",
                )
            ],
            description="How long the current diagnosis has lasted.",
            unit="dtdurations",
            color_mode="none",
            w=6,
            h=5,
        ),
    ]
    for layer, title, desc in LAYERS:
        panels.append(
            stat(
                title,
                [query(f'ozon_probe_layer_status{{{SEL}, layer="{layer}"}}', "{{instance}}")],
                description=desc + " OK / Degraded (slow or losing packets) / Down / Unknown.",
                mappings=STATUS_MAPPINGS,
                w=4,
                h=4,
            )
        )
    panels += [
        state_timeline(
            "Diagnosis over time",
            [query(f"ozon_probe:verdict:code{{{SEL}}}", "{{instance}}")],
            description=verdict_help,
            mappings=VERDICT_MAPPINGS,
            h=5,
        ),
        state_timeline(
            "Layers over time",
            [query(f"ozon_probe_layer_status{{{SEL}}}", "{{layer}} {{instance}}")],
            description="Each layer from this computer outwards. The first layer that is not "
            "green is usually where the problem is.",
            mappings=STATUS_MAPPINGS,
            h=8,
        ),
        stat(
            "Share of the last hour each layer was OK",
            [query(f"ozon_probe:layer_ok:ratio_avg1h{{{SEL}}}", "{{layer}}")],
            description="100% = the layer was fine all hour. Short dips show trouble that came "
            "and went too fast for an alert.",
            unit="percentunit",
            decimals=0,
            thresh=thresholds((None, "red"), (0.9, "orange"), (0.99, "green")),
            w=24,
            h=3,
        ),
        row("Ozon services"),
        stat(
            "Availability, last 5 minutes",
            [query(f"ozon_probe:service_availability:ratio_avg5m{{{SEL}}}", "{{service}}")],
            description="Share of successful end-to-end checks (web page or API call) per Ozon "
            "service over the last 5 minutes.",
            unit="percentunit",
            decimals=0,
            thresh=thresholds((None, "red"), (0.9, "orange"), (0.99, "green")),
            w=24,
            h=4,
        ),
        state_timeline(
            "Service status",
            [query(f"max by (service) (ozon_probe_service_status{{{SEL}}})", "{{service}}")],
            description="Per Ozon service: OK, Degraded (slow or failing now and then), Down.",
            mappings=STATUS_MAPPINGS,
            h=7,
        ),
        timeseries(
            "Availability by service",
            [query(f"ozon_probe:service_availability:ratio_avg5m{{{SEL}}}", "{{service}}")],
            description="Share of successful checks, 5 minute average.",
            unit="percentunit",
            max_val=1,
        ),
        timeseries(
            "Response time by service",
            [query(f"ozon_probe:service_http_response_seconds:avg5m{{{SEL}}}", "{{service}}")],
            description="Average time for a full answer from each Ozon service, 5 minute average.",
        ),
        text(
            "How to read this dashboard",
            """
**Top row** answers the question. *Your side, not Ozon*: something between this office and
Russia is broken - restart the router, call your provider, or change DNS as the alert says.
*Ozon's side*: your network works but Ozon does not - nothing to restart; wait and keep the
alert as your record for Ozon seller support. *Slow network in between*: everything answers,
but slowly or with lost packets.

**The six lights** follow the road from this computer to Ozon: Link, Router, Internet,
Russia, DNS, Ozon. The first one that is not green is usually where the trouble is.

**Diagnosis over time** keeps the history: after an outage you can see when it started, what
the cause was and when it ended, even if no message could leave the office at the time.

Details: *Gateway & network*, *DNS*, *Ozon services*, *Throughput & busy hours* (links at
the top right).
""",
            h=8,
        ),
    ]
    return dashboard(
        "ozon-probe-overview",
        "Ozon probe: is it me or Ozon?",
        "At a glance: is the problem in this office, at the provider, on the way to Russia, in "
        "DNS, or at Ozon?",
        panels,
        base_vars(),
        refresh="30s",
    )


def network() -> Json:
    sel = f'{SEL}, group=~"$group", target=~"$target"'
    variables = [
        *base_vars(),
        query_var(
            "group",
            "Group",
            f"label_values(ozon_probe_icmp_rtt_seconds{{{SEL}}}, group)",
            description="gateway = the office router, control = well-known non-Ozon sites, "
            "ozon = Ozon's own hosts.",
        ),
        query_var(
            "target",
            "Target",
            f'label_values(ozon_probe_icmp_rtt_seconds{{{SEL}, group=~"$group"}}, target)',
        ),
    ]
    panels: list[Json] = [
        timeseries(
            "Ping round trip (average per round)",
            [query(f'ozon_probe_icmp_rtt_seconds{{{sel}, stat="avg"}}', "{{target}}")],
            description="Time for a ping to go to the target and back. The router should answer "
            "in a few milliseconds; far-away hosts take longer.",
        ),
        timeseries(
            "Packet loss",
            [query(f"ozon_probe_icmp_loss_ratio{{{sel}}}", "{{target}}")],
            description="Share of pings without an answer in the last round. Loss already at "
            "the router points at the office network; loss only further out points at the "
            "provider or the route.",
            unit="percentunit",
            max_val=1,
            thresh=thresholds((None, "green"), (0.02, "orange"), (0.1, "red")),
            thresholds_style="line",
        ),
        timeseries(
            "Jitter",
            [query(f"ozon_probe_icmp_jitter_seconds{{{sel}}}", "{{target}}")],
            description="How much the round trip varies from one ping to the next. High jitter "
            "makes pages stall and uploads slow even without loss.",
        ),
        timeseries(
            "Ping round trip, best and worst",
            [
                query(
                    f'ozon_probe_icmp_rtt_seconds{{{sel}, stat=~"min|max"}}', "{{target}} {{stat}}"
                )
            ],
            description="Fastest and slowest reply in each round.",
        ),
        repeat(
            heatmap(
                "Ping round-trip distribution: $target",
                [
                    query(
                        "sum by (le) (increase(ozon_probe_icmp_response_seconds_bucket"
                        f'{{{SEL}, target=~"$target"}}[$__rate_interval]))',
                        "{{le}}",
                        fmt="heatmap",
                    )
                ],
                description="Every ping reply sorted into round-trip buckets. A band that moves "
                "up or spreads out shows congestion.",
            ),
            "target",
        ),
        timeseries(
            "TCP connect time",
            [query(f"ozon_probe_tcp_connect_seconds{{{sel}}}", "{{target}}")],
            description="Time to open a connection to the target's web port.",
        ),
        state_timeline(
            "Check results",
            [query(f"ozon_probe_success{{{sel}}}", "{{target}} {{kind}}")],
            description="Every check (DNS, ping, TCP, TLS, HTTP, API): green passed, red failed.",
            mappings=OK_FAIL_MAPPINGS,
            w=12,
            h=8,
            show_value="never",
        ),
        timeseries(
            "Failures by category",
            [
                query(
                    "sum by (target, category) (increase(ozon_probe_failures_total"
                    f"{{{sel}}}[$__rate_interval]))",
                    "{{target}}: {{category}}",
                )
            ],
            description="Failed checks and why (timeout, refused, unreachable, ...).",
            unit="short",
            draw="bars",
            stack=True,
            legend_calcs=["sum"],
        ),
        stat(
            "Ping mode",
            [query(f"ozon_probe_icmp_socket_mode{{{SEL}}} == 1", "{{mode}}")],
            description="How the agent sends pings. 'none' means it cannot ping at all (no "
            "permission); ping panels then stay empty.",
            text_mode="name",
            color_mode="none",
            w=6,
        ),
        stat(
            "Probe rounds, last hour",
            [query(f"sum by (kind) (increase(ozon_probe_rounds_total{{{SEL}}}[1h]))", "{{kind}}")],
            description="How many rounds of each kind of check the agent ran.",
            unit="short",
            decimals=0,
            color_mode="none",
            w=18,
        ),
    ]
    return dashboard(
        "ozon-probe-network",
        "Ozon probe: gateway & network",
        "Ping, loss, jitter and connection times to the office router, well-known control sites "
        "and Ozon.",
        panels,
        variables,
        time_from="now-6h",
    )


def dns() -> Json:
    sel = f'{SEL}, resolver=~"$resolver", target=~"$target"'
    variables = [
        *base_vars(),
        query_var(
            "resolver", "Resolver", f"label_values(ozon_probe_dns_success{{{SEL}}}, resolver)"
        ),
        query_var("target", "Name", f"label_values(ozon_probe_dns_success{{{SEL}}}, target)"),
    ]
    panels: list[Json] = [
        timeseries(
            "Lookup time by resolver",
            [query(f"avg by (resolver) (ozon_probe_dns_lookup_seconds{{{sel}}})", "{{resolver}}")],
            description="Average time each DNS resolver takes to answer.",
        ),
        state_timeline(
            "Resolver answers",
            [query(f"min by (resolver) (ozon_probe_dns_success{{{sel}}})", "{{resolver}}")],
            description="Green: the resolver answered correctly for every name; red: it failed "
            "for at least one.",
            mappings=OK_FAIL_MAPPINGS,
            w=12,
            h=8,
        ),
        timeseries(
            "Failures by category",
            [
                query(
                    "sum by (resolver, category) (increase(ozon_probe_dns_failures_total"
                    f"{{{sel}}}[$__rate_interval]))",
                    "{{resolver}}: {{category}}",
                )
            ],
            description="Why lookups failed: nxdomain (name does not exist), servfail, "
            "dns_timeout, dns_refused, ...",
            unit="short",
            draw="bars",
            stack=True,
            legend_calcs=["sum"],
        ),
        state_timeline(
            "Disagreement",
            [query(f"ozon_probe_dns_disagreement{{{sel}}}", "{{resolver}} {{target}}")],
            description="Red: this resolver's answer shares no address with the other resolvers' "
            "answers - it may be redirecting (hijacking) traffic. Content networks may "
            "disagree now and then; a resolver that disagrees all the time should not be used.",
            mappings=[
                {
                    "type": "value",
                    "options": {
                        "0": {"text": "Agrees", "color": "green", "index": 0},
                        "1": {"text": "Disagrees", "color": "red", "index": 1},
                    },
                }
            ],
            w=12,
            h=8,
            show_value="never",
        ),
        timeseries(
            "Lookup time by name",
            [query(f"ozon_probe_dns_lookup_seconds{{{sel}}}", "{{resolver}} {{target}}")],
            description="Time for each resolver to answer for each name.",
        ),
        timeseries(
            "Addresses in the answer",
            [query(f"ozon_probe_dns_answers{{{sel}}}", "{{resolver}} {{target}}")],
            description="How many addresses each answer had. Zero means no answer.",
            unit="short",
            legend_calcs=["lastNotNull"],
        ),
        table(
            "Resolvers",
            [query(f"ozon_probe_resolver_info{{{SEL}}}", "", instant=True, fmt="table")],
            description="The resolvers the agent asks. role: system = the one this computer "
            "uses, public = a public resolver for comparison.",
            hide=["Time", "Value", "__name__"],
            w=24,
        ),
    ]
    return dashboard(
        "ozon-probe-dns",
        "Ozon probe: DNS",
        "Each DNS resolver: lookup time, failures and answers that disagree with the others.",
        panels,
        variables,
        time_from="now-6h",
    )


def services() -> Json:
    variables = [
        *base_vars(),
        query_var(
            "target", "Ozon target", f"label_values(ozon_probe_http_phase_seconds{{{SEL}}}, target)"
        ),
    ]
    sel = f'{SEL}, target=~"$target"'
    ozon = f'{SEL}, group="ozon"'
    panels: list[Json] = [
        row("HTTP"),
        repeat(
            timeseries(
                "Where the time goes: $target",
                [query(f"ozon_probe_http_phase_seconds{{{sel}}}", "{{phase}}")],
                description="One request split into phases: resolve (DNS), connect (TCP), tls "
                "(secure handshake), processing (Ozon's server thinking), transfer (download). "
                "A tall 'processing' is Ozon; tall resolve/connect/tls point at the network.",
                stack=True,
                legend_calcs=["mean", "max"],
            ),
            "target",
            max_per_row=3,
        ),
        timeseries(
            "Response time, 90th percentile over 10 minutes",
            [
                query(
                    "histogram_quantile(0.9, sum by (le, target) "
                    f"(rate(ozon_probe_http_response_seconds_bucket{{{sel}}}[10m])))",
                    "{{target}}",
                )
            ],
            description="9 out of 10 requests were faster than this.",
        ),
        state_timeline(
            "Answer as expected",
            [query(f"ozon_probe_http_expected{{{sel}}}", "{{target}}")],
            description="Green: the status code (and the JSON answer, where configured) was what "
            "a working Ozon service returns.",
            mappings=OK_FAIL_MAPPINGS,
            w=12,
            h=8,
        ),
        stat(
            "Last HTTP status",
            [query(f"ozon_probe_http_status_code{{{sel}}}", "{{target}}")],
            description="The last HTTP status code per target (200 = fine, 4xx/5xx = error).",
            thresh=thresholds((None, "green"), (300, "yellow"), (400, "red")),
            w=12,
        ),
        timeseries(
            "Page size",
            [query(f"ozon_probe_http_content_bytes{{{sel}}}", "{{target}}")],
            description="Size of the answer. A sudden change can mean an error page instead of "
            "the real one.",
            unit="bytes",
            legend_calcs=["lastNotNull"],
        ),
        row("TLS certificates"),
        stat(
            "Certificate trusted",
            [query(f"ozon_probe_tls_cert_verified{{{ozon}}}", "{{target}}")],
            description="Red: this computer does not trust the certificate it got - usually "
            "something (antivirus, proxy, provider) intercepts the connection, or the clock is "
            "wrong.",
            mappings=[
                {
                    "type": "value",
                    "options": {
                        "1": {"text": "Trusted", "color": "green", "index": 0},
                        "0": {"text": "NOT trusted", "color": "red", "index": 1},
                    },
                }
            ],
            w=12,
        ),
        stat(
            "Certificate expires in",
            [query(f"ozon_probe_tls_cert_expiry_seconds{{{ozon}}}", "{{target}}")],
            description="Time until the certificate each Ozon host presents expires.",
            unit="dtdurations",
            thresh=thresholds((None, "red"), (7 * 86400, "orange"), (30 * 86400, "green")),
            w=12,
        ),
        timeseries(
            "TLS handshake time",
            [query(f"ozon_probe_tls_handshake_seconds{{{ozon}}}", "{{target}}")],
            description="Time to set up the secure connection.",
        ),
        stat(
            "TLS version",
            [query(f"ozon_probe_tls_version_info{{{ozon}}} == 1", "{{target}}: {{version}}")],
            description="Protocol version negotiated with each host.",
            text_mode="name",
            color_mode="none",
            w=12,
            h=8,
        ),
        row("Seller API key"),
        stat(
            "Seller API key",
            [query(f"ozon_probe_seller_api_key_valid{{{SEL}}}", "{{instance}}")],
            description="Whether Ozon accepts the configured Seller API key (only when a key is "
            "configured).",
            mappings=[
                {
                    "type": "value",
                    "options": {
                        "1": {"text": "Accepted", "color": "green", "index": 0},
                        "0": {"text": "Rejected", "color": "red", "index": 1},
                    },
                }
            ],
            w=12,
        ),
        stat(
            "Seller API key expires in",
            [
                query(
                    f"(ozon_probe_seller_api_key_expiry_timestamp_seconds{{{SEL}}} > 0) - time()",
                    "{{instance}}",
                )
            ],
            description="Time until the Seller API key expires. Create a new one in the seller "
            "cabinet before it does.",
            unit="dtdurations",
            thresh=thresholds((None, "red"), (3 * 86400, "orange"), (14 * 86400, "green")),
            w=12,
        ),
    ]
    return dashboard(
        "ozon-probe-services",
        "Ozon probe: Ozon services",
        "Each Ozon service: where the time of a request goes, answers, TLS certificates and the "
        "Seller API key.",
        panels,
        variables,
        time_from="now-6h",
    )


def _by_hour(rule: str, sel: str, ref: str = "A") -> Json:
    return query(
        f"avg by (hour, target) (avg_over_time({rule}{{{sel}}}[$__range]))",
        "{{target}}",
        ref,
        instant=True,
        fmt="table",
    )


BY_HOUR_TRANSFORMS: list[Json] = [
    # sort the rows by hour first; groupingToMatrix keeps that order
    {"id": "sortBy", "options": {"fields": {}, "sort": [{"field": "hour", "desc": False}]}},
    {
        "id": "groupingToMatrix",
        "options": {"columnField": "target", "rowField": "hour", "valueField": "Value"},
    },
]


def capacity() -> Json:
    variables = [
        *base_vars(),
        query_var(
            "target", "Target", f"label_values(ozon_probe_icmp_rtt_seconds{{{SEL}}}, target)"
        ),
    ]
    sel = f'{SEL}, target=~"$target"'
    by_hour_help = (
        "Average over the selected time range (default: the last 7 days) for each hour of the "
        "day, in UTC (Moscow time is UTC+3). Bars that rise at the same hours every day show "
        "when the line or the route is congested."
    )
    panels: list[Json] = [
        timeseries(
            "Speed test results",
            [
                query(
                    f"ozon_probe_throughput_bytes_per_second{{{SEL}}}",
                    "{{target}} {{direction}}",
                    "A",
                ),
                query(
                    f"quantile_over_time(0.5, ozon_probe_throughput_bytes_per_second{{{SEL}}}[7d])",
                    "usual {{target}} {{direction}}",
                    "B",
                ),
            ],
            description="Download and upload speed measured by the agent's speed tests, and the "
            "usual speed (median of the past week, dashed). The ThroughputFarBelowUsual alert "
            "fires when a result is under a third of the usual.",
            unit="Bps",
            points="always",
            w=18,
            overrides=[
                {
                    # by query, not by legend: the legend is in the reader's language
                    "matcher": {"id": "byFrameRefID", "options": "B"},
                    "properties": [
                        {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}}
                    ],
                }
            ],
        ),
        stat(
            "Data used by speed tests, 24h",
            [
                query(
                    "sum by (instance) "
                    f"(increase(ozon_probe_throughput_bytes_used_total{{{SEL}}}[24h]))",
                    "{{instance}}",
                )
            ],
            description="Traffic the speed tests used in the last 24 hours (counts against a "
            "metered plan).",
            unit="bytes",
            color_mode="none",
            w=6,
            h=8,
        ),
        barchart(
            "Ping round trip by hour of day (UTC)",
            [_by_hour("ozon_probe:icmp_rtt_avg_seconds:hour_of_day_utc", sel)],
            description=by_hour_help,
            transformations=BY_HOUR_TRANSFORMS,
        ),
        barchart(
            "Packet loss by hour of day (UTC)",
            [_by_hour("ozon_probe:icmp_loss_ratio:hour_of_day_utc", sel)],
            description=by_hour_help,
            unit="percentunit",
            transformations=BY_HOUR_TRANSFORMS,
        ),
        barchart(
            "Ozon response time by hour of day (UTC)",
            [
                _by_hour(
                    "ozon_probe:target_http_response_seconds:hour_of_day_utc",
                    f'{SEL}, group="ozon"',
                )
            ],
            description=by_hour_help + " Here: full HTTP answers from Ozon's services.",
            transformations=BY_HOUR_TRANSFORMS,
        ),
    ]
    return dashboard(
        "ozon-probe-capacity",
        "Ozon probe: throughput & busy hours",
        "Speed tests and the hours of the day when the line or the route to Russia is slow.",
        panels,
        variables,
        time_from="now-7d",
        refresh="5m",
    )


# ---------------------------------------------------------------------------------------
# Fleet (docs/fleet.md): for the centre's Grafana, reading VictoriaMetrics, where every series
# carries `site` and `country`. Raw series only: the centre evaluates deploy/central/
# fleet-rules.yml, not the single-office recording rules. Written to grafana/fleet/ (not
# grafana/dashboards/, whose dashboards read an office's own Prometheus).

FLEET_OUT_DIR = HERE / "fleet"
FSEL = f'{SEL}, site=~"$site", country=~"$country"'
SOUND_CAUSES = "ok|network_degraded|platform_outage|platform_degraded"


def _fleet_verdict_code() -> str:
    """The per-site verdict code of fleet-rules.yml's fleet:site_verdict:code."""
    parts = [
        f'(last_over_time(ozon_probe_verdict{{{FSEL}, cause="{cause}"}}[2m]) == 1) * {code}'
        for code, cause, _text, _colour in VERDICT_CODES
    ]
    return "max by (site) (\n     " + "\n  or ".join(parts) + "\n)"


def fleet() -> Json:
    variables = [
        *base_vars(),
        query_var("country", "Country", f"label_values(ozon_probe_verdict{{{SEL}}}, country)"),
        query_var(
            "site",
            "Site",
            f'label_values(ozon_probe_verdict{{{SEL}, country=~"$country"}}, site)',
            description="site.name in each agent's config (served to the office's Prometheus "
            "agent at /api/sd).",
        ),
    ]
    seeing = (
        "count(max by (site) (last_over_time(ozon_probe_verdict"
        f'{{{FSEL}, cause="platform_outage"}}[2m])) == 1)'
    )
    sound = (
        "count(max by (site) (last_over_time(ozon_probe_verdict"
        f'{{{FSEL}, cause=~"{SOUND_CAUSES}"}}[2m])) == 1)'
    )
    reporting = f"count(max by (site) (last_over_time(ozon_probe_verdict{{{FSEL}}}[2m])))"
    panels: list[Json] = [
        stat(
            "Sites that see Ozon down",
            [query(f"{seeing} or vector(0)", "seeing", instant=True)],
            description="Sites whose own network works and whose verdict is 'Ozon outage'. "
            "OzonOutageConfirmed fires at 2 or more sites that are also at least half of the "
            "sound sites.",
            thresh=thresholds((None, "green"), (1, "orange"), (2, "red")),
            w=8,
        ),
        stat(
            "Sound sites (can see Ozon)",
            [query(f"{sound} or vector(0)", "sound", instant=True)],
            description="Sites reporting a verdict that is not their own network, provider, "
            "route or DNS: only these can tell whether Ozon works.",
            color_mode="none",
            w=8,
        ),
        stat(
            "Sites reporting",
            [query(f"{reporting} or vector(0)", "reporting", instant=True)],
            description="Sites whose data reached the centre in the last 2 minutes. A site "
            "missing here is silent (SiteSilent): its uplink or its computer.",
            color_mode="none",
            w=8,
        ),
        table(
            "Sites x layers (now)",
            [
                query(
                    f"max by (site, layer) (last_over_time(ozon_probe_layer_status{{{FSEL}}}[2m]))",
                    instant=True,
                    fmt="table",
                )
            ],
            description="Each site's layers, from its own network out to Ozon. A column red at "
            "every site is Ozon (or the route everyone shares); a row red from some layer on is "
            "that site's own problem.",
            w=24,
            h=8,
        ),
        timeseries(
            "Consensus over time",
            [
                query(f"{seeing} or vector(0)", "sites seeing Ozon down", "A"),
                query(f"{sound} or vector(0)", "sound sites", "B"),
                query(f"{reporting} or vector(0)", "sites reporting", "C"),
            ],
            description="How many sites saw Ozon down, among how many that could see it.",
            unit="none",
            w=24,
            legend_calcs=["max", "lastNotNull"],
        ),
        state_timeline(
            "Verdict per site",
            [query(_fleet_verdict_code(), "{{site}}")],
            description="Each site's own verdict. Gaps are silences: nothing reached the centre "
            "(an office's Prometheus agent sends its backlog later, and the gap fills in).",
            mappings=VERDICT_MAPPINGS,
            h=10,
        ),
        table(
            "Seconds since each site's last report",
            [
                query(
                    f"time() - max by (site, country) (timestamp(ozon_probe_verdict{{{FSEL}}}))",
                    instant=True,
                    fmt="table",
                )
            ],
            description="Over 120 s means the site is silent at the centre.",
            w=24,
            h=6,
        ),
    ]
    grid = panels[3]
    grid["transformations"].append(
        {
            "id": "groupingToMatrix",
            "options": {"columnField": "layer", "rowField": "site", "valueField": "Value"},
        }
    )
    grid["transformations"].append(  # the layers' names as the overview's lights say them
        {"id": "organize", "options": {"renameByName": {k: t for k, t, _ in LAYERS}}}
    )
    grid["fieldConfig"]["defaults"]["mappings"] = STATUS_MAPPINGS
    grid["fieldConfig"]["defaults"]["custom"] = {"cellOptions": {"type": "color-background"}}
    return dashboard(
        "ozon-probe-fleet",
        "Ozon probe: fleet",
        "Every site of the seller at once: who sees Ozon down, who is cut off, who is silent.",
        panels,
        variables,
        refresh="1m",
    )


FLEET_DASHBOARDS = {"ozon-probe-fleet.json": fleet}


DASHBOARDS = {
    "ozon-probe-overview.json": overview,
    "ozon-probe-network.json": network,
    "ozon-probe-dns.json": dns,
    "ozon-probe-services.json": services,
    "ozon-probe-capacity.json": capacity,
}


# ---------------------------------------------------------------------------------------
# Languages: one set of dashboards per language. The dashboards above are written in English;
# localize() turns a copy into Russian or Chinese with the table of grafana/dashboard_words.py
# (keyed by the English text). A text without a translation is an error, never English
# left in a Russian or Chinese dashboard. PromQL, units and label templates stay as they are.

LANGS = ("en", "ru", "zh")
LANG_NAMES = {"en": "English", "ru": "Русский", "zh": "中文"}  # each in its own language
WORDS_FILE = HERE / "dashboard_words.py"

# The same in every language: names (see tests/support/wording.py) and nothing else.
SAME_IN_EVERY_LANGUAGE = frozenset({"", "DNS", "HTTP", "Ozon", "Prometheus", "__auto"})

# The keys whose string values a person reads. `current` (Grafana's remembered selection,
# replaced on load), names, ids, units, expressions and tags are never translated.
READ_KEYS = frozenset({"title", "description", "label", "tooltip", "content", "text"})
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}|\$\{\w+(?::\w+)?\}|\$\w+")


class MissingTranslation(Exception):
    """Texts of the English dashboards that dashboard_words.py does not translate."""

    def __init__(self, lang: str, texts: list[str]) -> None:
        self.lang, self.texts = lang, texts
        listed = "\n".join(f"  {t!r}" for t in texts)
        super().__init__(
            f"no {lang} translation in {WORDS_FILE.name} for {len(texts)} text(s):\n{listed}"
        )


def load_words() -> dict[str, dict[str, str]]:
    """WORDS of dashboard_words.py, loaded by path (generate.py runs standalone)."""
    spec = importlib.util.spec_from_file_location("ozon_probe_dashboard_words", WORDS_FILE)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    words: dict[str, dict[str, str]] = mod.WORDS
    return words


def templates(text: str) -> list[str]:
    """The label templates and variables of a text ({{target}}, $target), which a
    translation must keep."""
    return sorted(_TEMPLATE.findall(text))


def only_templates(text: str) -> bool:
    """A legend such as '{{target}}: {{version}}': nothing in it to translate."""
    return not any(c.isalpha() for c in _TEMPLATE.sub("", text))


class Translator:
    def __init__(self, lang: str, words: dict[str, dict[str, str]]) -> None:
        self.lang, self.words = lang, words
        self.missing: list[str] = []
        self.used: set[str] = set()

    def __call__(self, text: str) -> str:
        if text in SAME_IN_EVERY_LANGUAGE or only_templates(text):
            return text
        entry = self.words.get(text)
        if entry is None or not entry.get(self.lang):
            if text not in self.missing:
                self.missing.append(text)
            return text
        self.used.add(text)
        out = entry[self.lang]
        if templates(out) != templates(text):
            raise ValueError(
                f"{self.lang} translation of {text!r} must keep {templates(text)}, "
                f"has {templates(out)}"
            )
        return out

    def walk(self, node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            if key == "current":
                return node
            if key == "renameByName":  # column names shown in a table
                return {k: self(v) for k, v in node.items()}
            return {k: self.walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [self.walk(v, key) for v in node]
        if isinstance(node, str) and (key in READ_KEYS or key == "legendFormat"):
            return self(node)
        return node


def localize(dash: Json, lang: str, tr: Translator | None) -> Json:
    """The dashboard in `lang`: its own uid and language tag, links to the dashboards of the
    same language and to this dashboard in the other languages, every text translated."""
    base = dash["uid"]
    out: Json = tr.walk(dash) if tr else json.loads(json.dumps(dash))
    out["uid"] = base if lang == "en" else f"{base}-{lang}"
    out["tags"] = [TAG, lang]
    out["links"][0]["tags"] = [TAG, lang]
    for other in LANGS:
        if other != lang:
            out["links"].append(
                {
                    "title": LANG_NAMES[other],
                    "type": "link",
                    "url": "/d/" + (base if other == "en" else f"{base}-{other}"),
                    "asDropdown": False,
                    "includeVars": True,
                    "keepTime": True,
                    "targetBlank": False,
                    "icon": "doc",
                    "tooltip": "",
                    "tags": [],
                }
            )
    return out


def out_dir(lang: str, fleet_set: bool = False) -> Path:
    """English where it always was (grafana/dashboards, grafana/fleet: the same uids, so old
    links keep working); the others in grafana/<lang>/dashboards and grafana/<lang>/fleet,
    outside grafana/dashboards, whose provider would otherwise load them twice."""
    base = HERE if lang == "en" else HERE / lang
    return base / ("fleet" if fleet_set else "dashboards")


def render_all(
    dashboards: dict[str, Any] | None = None,
    lang: str = "en",
    words: dict[str, dict[str, str]] | None = None,
    used: set[str] | None = None,
) -> dict[str, str]:
    """File name -> JSON text, exactly as written to grafana/dashboards/ (or, for
    FLEET_DASHBOARDS, grafana/fleet/; for ru and zh, grafana/<lang>/...). Raises
    MissingTranslation when a text has no translation into `lang`."""
    tr = None if lang == "en" else Translator(lang, load_words() if words is None else words)
    out = {
        name: json.dumps(localize(build(), lang, tr), indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
        for name, build in (DASHBOARDS if dashboards is None else dashboards).items()
    }
    if tr and tr.missing:
        raise MissingTranslation(lang, tr.missing)
    if tr and used is not None:
        used |= tr.used
    return out


def render_every_set() -> list[tuple[Path, dict[str, str]]]:
    """(directory, file name -> JSON text) for every language and both sets. Raises
    MissingTranslation for a text without a translation and ValueError for a translation
    nobody uses (a leftover of a text that changed)."""
    words = load_words()
    used: set[str] = set()
    outputs = []
    for lang in LANGS:
        outputs.append((out_dir(lang), render_all(DASHBOARDS, lang, words, used)))
        outputs.append((out_dir(lang, True), render_all(FLEET_DASHBOARDS, lang, words, used)))
    unused = sorted(set(words) - used)
    if unused:
        listed = "\n".join(f"  {t!r}" for t in unused)
        raise ValueError(f"{WORDS_FILE.name} translates texts no dashboard has:\n{listed}")
    return outputs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--check", action="store_true", help="only check that the committed JSON is current"
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write only the English office dashboards, to this directory",
    )
    args = ap.parse_args(argv)

    try:
        if args.out is not None and args.out.resolve() != OUT_DIR:
            outputs = [(args.out, render_all())]
        else:
            outputs = render_every_set()
    except (MissingTranslation, ValueError) as err:
        print(f"generate.py: {err}", file=sys.stderr)
        return 2
    if args.check:
        failed = False
        for out, rendered in outputs:
            stale = [
                n
                for n, t in rendered.items()
                if not (out / n).is_file() or (out / n).read_text(encoding="utf-8") != t
            ]
            extra = sorted(p.name for p in out.glob("*.json") if p.name not in rendered)
            for n in stale:
                print(f"out of date: {out / n}", file=sys.stderr)
            for n in extra:
                print(f"not generated by generate.py: {out / n}", file=sys.stderr)
            failed = failed or bool(stale or extra)
        return 1 if failed else 0

    for out, rendered in outputs:
        out.mkdir(parents=True, exist_ok=True)
        for name, content in rendered.items():
            (out / name).write_text(content, encoding="utf-8")
            print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
