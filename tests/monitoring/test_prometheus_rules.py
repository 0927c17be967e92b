"""deploy/prometheus: promtool checks, promtool unit tests, and the rules' conventions."""

from __future__ import annotations

import json
import re

import yaml

from .tools import (
    DASHBOARDS,
    METRICS_DOC,
    PROM_CONFIG,
    PROM_DIR,
    PROM_TESTS,
    RULES,
    alert_rules,
    load_rules,
    run,
    tool,
)

REQUIRED_ALERTS = {
    "OzonPlatformOutage",
    "OzonPlatformDegraded",
    "LocalNetworkDown",
    "IspDown",
    "InternationalPathDown",
    "InternationalPathDegraded",
    "DnsBroken",
    "DnsLying",
    "NetworkDegraded",
    "ThroughputFarBelowUsual",
    "SellerApiKeyExpiring",
    "OzonTlsCertExpiring",
    "OzonTlsVerifyFailing",
    "OzonProbeAgentAbsent",
}
LOCAL_CAUSES = ("local_network", "isp", "international_path", "dns")
# metrics the agent does not export yet (the throughput probe comes later)
FUTURE_METRICS: set[str] = set()  # metrics the rules may use before the agent exports them


def test_promtool_check_rules() -> None:
    res = run([tool("promtool"), "check", "rules", str(RULES)])
    assert res.returncode == 0, res.stdout + res.stderr


def test_promtool_check_example_config() -> None:
    res = run([tool("promtool"), "check", "config", str(PROM_CONFIG)])
    assert res.returncode == 0, res.stdout + res.stderr


def test_promtool_unit_tests() -> None:
    assert PROM_TESTS, "no promtool test files in deploy/prometheus/tests"
    res = run([tool("promtool"), "test", "rules", *map(str, PROM_TESTS)], cwd=PROM_DIR)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "FAILED" not in res.stdout + res.stderr


def test_required_alerts_exist() -> None:
    names = {r["alert"] for r in alert_rules()}
    assert names >= REQUIRED_ALERTS, REQUIRED_ALERTS - names


def test_every_alert_has_a_firing_and_a_silent_promtool_case() -> None:
    firing: dict[str, int] = {}
    silent: dict[str, int] = {}
    for f in PROM_TESTS:
        doc = yaml.safe_load(f.read_text())
        for t in doc.get("tests", []):
            for case in t.get("alert_rule_test", []):
                bucket = firing if case.get("exp_alerts") else silent
                bucket[case["alertname"]] = bucket.get(case["alertname"], 0) + 1
    names = {r["alert"] for r in alert_rules()}
    assert not (set(firing) | set(silent)) - names, "tests name alerts that do not exist"
    missing_fire = sorted(n for n in names if n not in firing)
    missing_silent = sorted(n for n in names if n not in silent)
    assert not missing_fire, f"alerts never shown firing in a promtool test: {missing_fire}"
    assert not missing_silent, f"alerts never shown silent in a promtool test: {missing_silent}"


def test_local_network_down_case_covers_every_platform_alert() -> None:
    """The brief's key promise, checked on the test files themselves: a test where the local
    network is down expects LocalNetworkDown and no platform alert."""
    for f in PROM_TESTS:
        for t in yaml.safe_load(f.read_text()).get("tests", []):
            cases = t.get("alert_rule_test", [])
            fires = {c["alertname"] for c in cases if c.get("exp_alerts")}
            silent = {c["alertname"] for c in cases if not c.get("exp_alerts")}
            if (
                "LocalNetworkDown" in fires
                and {"OzonPlatformOutage", "OzonPlatformDegraded"} <= silent
            ):
                return
    raise AssertionError(
        "no promtool test shows LocalNetworkDown firing with both platform alerts silent"
    )


def test_alert_labels_and_annotations() -> None:
    for r in alert_rules():
        name = r["alert"]
        labels = r.get("labels", {})
        assert labels.get("severity") in ("critical", "warning", "info"), name
        assert re.fullmatch(r"[a-z_]+", labels.get("cause", "")), f"{name}: cause label"
        ann = r.get("annotations", {})
        assert ann.get("summary") and ann.get("description"), f"{name}: summary and description"
        assert "What to do" in ann["description"], f"{name}: description must say what to do"
        assert r.get("for"), f"{name}: needs a for: duration against flapping"


def test_platform_alerts_exclude_local_causes() -> None:
    for r in alert_rules():
        if r["labels"]["cause"] in ("platform_outage", "platform_degraded"):
            expr = " ".join(r["expr"].split())
            m = re.search(
                r"unless on \(instance, job\) "
                r'\(ozon_probe_verdict\{cause=~"([a-z_|]+)"\} == 1\)\s*$',
                expr,
            )
            assert m, f"{r['alert']} must end with an explicit exclusion of the local causes"
            assert set(LOCAL_CAUSES) <= set(m.group(1).split("|")), r["alert"]


def test_verdict_alerts_use_the_verdict() -> None:
    by_cause = {
        "LocalNetworkDown": "local_network",
        "IspDown": "isp",
        "InternationalPathDown": "international_path",
        "InternationalPathDegraded": "international_path",
        "DnsBroken": "dns",
        "NetworkDegraded": "network_degraded",
        "OzonPlatformOutage": "platform_outage",
        "OzonPlatformDegraded": "platform_degraded",
    }
    rules = {r["alert"]: r for r in alert_rules()}
    for name, cause in by_cause.items():
        assert f'ozon_probe_verdict{{cause="{cause}"}} == 1' in rules[name]["expr"], name


def _metric_names(text: str) -> set[str]:
    return set(re.findall(r"\b(ozon_probe_[a-z0-9_]+)", text))


def test_rules_and_dashboards_use_only_metrics_of_the_contract() -> None:
    """Every ozon_probe_* name in rules and dashboards is in docs/metrics.md (the agent's
    contract, tested against the agent's real /metrics), modulo histogram suffixes."""
    documented = _metric_names(METRICS_DOC.read_text())
    hist = {m for m in documented if re.search(rf"\| {m} \| histogram", METRICS_DOC.read_text())}
    documented |= {h + s for h in hist for s in ("_bucket", "_sum", "_count")}
    used = set().union(*(_metric_names(r["expr"]) for r in load_rules()))
    for f in sorted(DASHBOARDS.glob("*.json")):
        for expr in re.findall(r'"expr": "((?:[^"\\]|\\.)*)"', f.read_text()):
            used |= _metric_names(json.loads(f'"{expr}"'))
    unknown = sorted(used - documented - FUTURE_METRICS)
    assert not unknown, f"not in docs/metrics.md: {unknown}"


def test_dashboards_use_only_recorded_series() -> None:
    recorded = {r["record"] for r in load_rules() if "record" in r}
    used: set[str] = set()
    for f in sorted(DASHBOARDS.glob("*.json")):
        used |= set(re.findall(r"\bozon_probe:[a-z0-9_:]+", f.read_text()))
    assert used, "dashboards should use the recording rules"
    assert not used - recorded, used - recorded
