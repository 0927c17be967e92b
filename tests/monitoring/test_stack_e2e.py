"""The real stack on loopback: Prometheus (shipped rules) scrapes a fake exporter,
Alertmanager (shipped routes and inhibitions, receivers replaced by a webhook) notifies a
webhook in this test. The exporter serves a fixed /metrics text in the agent's format
(sample_metrics.py); a later test can point start_prometheus at the real agent instead.

To keep the run short, the alerts' `for:` durations are rewritten to 2s in a temporary copy
of rules.yml (stack.rules_with_durations; 10 s for alerts on absent(), which holds until
Prometheus's first scrape); the shipped rules are unchanged.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .sample_metrics import metrics_text
from .stack import (
    ABSENT_FOR_SECONDS,
    FakeExporter,
    WebhookReceiver,
    alertmanager_test_config,
    check_dashboard_queries,
    dashboard_queries,
    render_expr,
    start_alertmanager,
    start_prometheus,
)
from .tools import tool


@pytest.fixture(autouse=True)
def _binaries() -> None:
    tool("prometheus")
    tool("prometheus-alertmanager", "alertmanager")


def test_platform_outage_reaches_the_webhook_and_local_alerts_do_not() -> None:
    with (
        WebhookReceiver() as hook,
        start_alertmanager(alertmanager_test_config(hook.url)) as am,
        FakeExporter(lambda n: metrics_text("platform_outage", n)) as exporter,
        start_prometheus(exporter.address, alertmanager_url=am.url, for_override="2s") as prom,
    ):
        alert = hook.wait_for("OzonPlatformOutage", timeout=45)
        assert alert["labels"]["severity"] == "critical"
        assert alert["labels"]["cause"] == "platform_outage"
        assert alert["labels"]["job"] == "ozon-probe"
        assert alert["annotations"]["summary"].startswith("Ozon is down")
        prom.wait_for_series('up{job="ozon-probe"}')
        # several more rounds, and past the agent-absent alert's whole `for:` since the first
        # scrape: a verdict missing from the agent's metrics would have fired it by then
        time.sleep(ABSENT_FOR_SECONDS + 1)
        received = hook.alert_names()
        firing = prom.firing()
        for name in (
            "LocalNetworkDown",
            "IspDown",
            "InternationalPathDown",
            "DnsBroken",
            "OzonProbeAgentAbsent",
        ):
            assert name not in received, received
            assert name not in firing, firing
        assert exporter.scrapes >= 3


def test_local_network_down_reaches_the_webhook_and_platform_alerts_do_not() -> None:
    with (
        WebhookReceiver() as hook,
        start_alertmanager(alertmanager_test_config(hook.url)) as am,
        FakeExporter(lambda n: metrics_text("local_network", n)) as exporter,
        start_prometheus(exporter.address, alertmanager_url=am.url, for_override="2s") as prom,
    ):
        hook.wait_for("LocalNetworkDown", timeout=45)
        time.sleep(3)
        received = hook.alert_names()
        assert "OzonPlatformOutage" not in received and "OzonPlatformDegraded" not in received
        assert not {"OzonPlatformOutage", "OzonPlatformDegraded"} & prom.firing()


def test_every_dashboard_query_parses_and_returns_data() -> None:
    with (
        FakeExporter(lambda n: metrics_text("ok", n)) as exporter,
        start_prometheus(exporter.address) as prom,
    ):
        # rate()-based recording rules need a few scrapes
        prom.wait_for_series("ozon_probe:service_http_response_seconds:avg5m", timeout=30)
        prom.wait_for_series("ozon_probe:target_http_response_seconds:hour_of_day_utc", timeout=30)
        report = check_dashboard_queries(prom.url)
        assert report.ok, report.summary()
        assert not report.failed, report.summary()
        assert not report.no_data, report.summary()


def test_query_checker_reports_parse_errors_and_empty_results(tmp_path: Path) -> None:
    dash = {
        "panels": [
            {
                "id": 1,
                "title": "t",
                "targets": [
                    {"refId": "A", "expr": "sum(rate(up[$__rate_interval])"},  # unbalanced
                    {"refId": "B", "expr": 'up{job=~"$job"}'},
                    {"refId": "C", "expr": "ozon_probe_no_such_metric"},
                ],
            }
        ]
    }
    f = tmp_path / "d.json"
    f.write_text(json.dumps(dash))
    assert [q.ref_id for q in dashboard_queries([f])] == ["A", "B", "C"]
    assert render_expr('x{job=~"$job"}[$__rate_interval]') == 'x{job=~".*"}[1m]'
    with (
        FakeExporter("# TYPE x gauge\nx 1\n") as exporter,
        start_prometheus(exporter.address, rules=None) as prom,
    ):
        prom.wait_for_series("up", timeout=20)
        report = check_dashboard_queries(prom.url, [f])
    assert [q.ref_id for q, _ in report.failed] == ["A"]
    assert "bad_data" in report.failed[0][1]
    assert [q.ref_id for q in report.ok] == ["B"]
    assert [q.ref_id for q in report.no_data] == ["C"]
