"""grafana/: the committed dashboards are what generate.py makes, and they validate."""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType
from typing import Any

import pytest
import yaml

from .dashboard_schema import sdk_available, sdk_errors, structural_errors
from .tools import DASHBOARDS, GRAFANA


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ozon_probe_grafana_generate", GRAFANA / "generate.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def test_regenerating_changes_nothing() -> None:
    rendered = _generator().render_all()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in DASHBOARDS.glob("*.json")}
    assert sorted(rendered) == sorted(on_disk), (
        "dashboards directory differs from generate.py's list"
    )
    stale = [n for n in rendered if rendered[n] != on_disk[n]]
    assert not stale, f"run python3 grafana/generate.py and commit: {stale}"


def test_generate_check_mode() -> None:
    assert _generator().main(["--check"]) == 0


def test_expected_dashboards() -> None:
    uids = {d["uid"] for d in _dashboards().values()}
    assert uids == {
        "ozon-probe-overview",
        "ozon-probe-network",
        "ozon-probe-dns",
        "ozon-probe-services",
        "ozon-probe-capacity",
    }


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARDS.glob("*.json")))
def test_dashboard_structure(name: str) -> None:
    errors = structural_errors(json.loads((DASHBOARDS / name).read_text()))
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARDS.glob("*.json")))
def test_dashboard_against_grafana_foundation_sdk(name: str) -> None:
    if not sdk_available():
        pytest.skip(
            "grafana-foundation-sdk not installed "
            "(pip install 'grafana-foundation-sdk==1769699379!11.6.0')"
        )
    errors = sdk_errors(json.loads((DASHBOARDS / name).read_text()))
    assert errors == [], "\n".join(errors or [])


def test_validator_catches_mistakes() -> None:
    """The validators are only worth something if they reject broken dashboards."""
    dash = json.loads((DASHBOARDS / "ozon-probe-overview.json").read_text())
    broken = json.loads(json.dumps(dash))
    broken["panels"][1]["id"] = broken["panels"][0]["id"]
    broken["panels"][2]["gridPos"]["x"] = 20
    broken["panels"][3]["targets"][0]["expr"] = 'ozon_probe_layer_status{layer="link"}'
    broken["panels"][4]["targets"][0]["expr"] += " + on() $undefined_var"
    errors = "\n".join(structural_errors(broken))
    for needle in (
        "ids must be unique",
        "outside the 24-column grid",
        "does not filter on $job",
        "undefined $undefined_var",
    ):
        assert needle in errors, errors
    if sdk_available():
        bad = json.loads(json.dumps(dash))
        bad["panels"][0]["options"]["colourMode"] = "background"  # typo: unknown to the schema
        bad["panels"][0]["options"]["textMode"] = "shouting"  # not in the enum
        bad["panels"][9]["fieldConfig"]["defaults"]["custom"] = {"lineWidht": 1}
        sdk = "\n".join(sdk_errors(bad) or [])
        assert "colourMode: not in Grafana's schema" in sdk, sdk
        assert "'shouting' is not one of" in sdk, sdk
        assert "lineWidht: not in Grafana's schema" in sdk, sdk


def test_overview_answers_is_it_me_or_ozon() -> None:
    dash = json.loads((DASHBOARDS / "ozon-probe-overview.json").read_text())
    panels = dash["panels"]
    timelines = [p for p in panels if p["type"] == "state-timeline"]
    assert any("ozon_probe:verdict:code" in t["expr"] for p in timelines for t in p["targets"])
    lights = [
        p
        for p in panels
        if p["type"] == "stat" and "ozon_probe_layer_status" in p["targets"][0]["expr"]
    ]
    assert len(lights) == 6
    for p in lights:
        texts = {
            r["text"]
            for m in p["fieldConfig"]["defaults"]["mappings"]
            if m["type"] == "value"
            for r in m["options"].values()
        }
        assert {"OK", "Degraded", "Down", "Unknown"} <= texts
    exprs = " ".join(t["expr"] for p in panels for t in p.get("targets", []))
    assert "ozon_probe:service_availability:ratio_avg5m" in exprs
    assert "ozon_probe:service_http_response_seconds:avg5m" in exprs
    names = {v["name"] for v in dash["templating"]["list"]}
    assert {"instance", "job"} <= names


def test_detail_dashboards_have_the_required_views() -> None:
    d = _dashboards()
    net = json.dumps(d["ozon-probe-network.json"])
    assert '"type": "heatmap"' in net and "ozon_probe_icmp_response_seconds_bucket" in net
    assert "ozon_probe_icmp_loss_ratio" in net and "ozon_probe_icmp_jitter_seconds" in net
    dns = json.dumps(d["ozon-probe-dns.json"])
    assert all(
        m in dns
        for m in (
            "ozon_probe_dns_lookup_seconds",
            "ozon_probe_dns_failures_total",
            "ozon_probe_dns_disagreement",
        )
    )
    svc = json.dumps(d["ozon-probe-services.json"])
    assert all(
        m in svc
        for m in (
            "ozon_probe_http_phase_seconds",
            "ozon_probe_tls_cert_expiry_seconds",
            "ozon_probe_tls_cert_verified",
        )
    )
    cap = json.dumps(d["ozon-probe-capacity.json"])
    assert "ozon_probe_throughput_bytes_per_second" in cap and "hour_of_day_utc" in cap


def test_provisioning_files() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "ozon-probe.yml").read_text())
    assert ds["apiVersion"] == 1
    (source,) = ds["datasources"]
    assert source["type"] == "prometheus" and source["uid"] == "ozon-probe-prometheus"
    assert source["access"] == "proxy" and source["url"].startswith("http")
    assert source.get("isDefault") is False  # never fight an existing default data source
    # the dashboards default to this data source
    gen = _generator()
    assert source["uid"] == gen.PROVISIONED_DS_UID
    dp = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "ozon-probe.yml").read_text())
    assert dp["apiVersion"] == 1
    (provider,) = dp["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]
    assert provider["folder"]
