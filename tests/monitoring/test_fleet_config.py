"""The fleet's shipped files, without a lab: promtool on the fleet rules and the office
config, vmalert's own parser on the rules, systemd on the units, the fleet dashboard's
structure and its generation."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.lab.fleet import OFFICE_CONFIG, office_config, rules_for_test

from .dashboard_schema import sdk_available, sdk_errors, structural_errors
from .tools import GRAFANA, ROOT, run, tool

CENTRAL = ROOT / "deploy" / "central"
FLEET_DASHBOARD = GRAFANA / "fleet" / "ozon-probe-fleet.json"


def test_promtool_checks_the_fleet_rules() -> None:
    res = run([tool("promtool"), "check", "rules", str(CENTRAL / "fleet-rules.yml")])
    assert res.returncode == 0, res.stdout + res.stderr


def test_promtool_unit_tests_of_the_fleet_rules() -> None:
    tests = sorted((CENTRAL / "tests").glob("*.yml"))
    assert tests
    res = run([tool("promtool"), "test", "rules", *map(str, tests)], cwd=CENTRAL / "tests")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "FAILED" not in res.stdout + res.stderr


def test_every_fleet_alert_is_tested_firing_and_not_firing() -> None:
    import yaml

    rules = yaml.safe_load((CENTRAL / "fleet-rules.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert alerts == {"OzonOutageConfirmed", "OzonOutageSingleSite", "SiteSilent"}
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in (CENTRAL / "tests").glob("*.yml"):
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (fired if case.get("exp_alerts") else quiet).add(case["alertname"])
    assert alerts <= fired and alerts <= quiet, (fired, quiet)


def test_vmalert_accepts_the_fleet_rules(tmp_path: Path) -> None:
    vmalert = tool("vmalert")
    for text in ((CENTRAL / "fleet-rules.yml").read_text(), rules_for_test(durations={})):
        rules = tmp_path / "rules.yml"
        rules.write_text(text)
        res = run([vmalert, "-dryRun", f"-rule={rules}", "-rule.validateTemplates"])
        assert res.returncode == 0, res.stdout + res.stderr


def test_office_config_is_valid_for_an_agent_mode_prometheus(tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("x\n")
    shipped = tmp_path / "shipped.yml"
    shipped.write_text(
        OFFICE_CONFIG.read_text().replace("/etc/ozon-probe/fleet-password", str(password))
    )
    lab = tmp_path / "lab.yml"
    lab.write_text(office_config(password))
    for cfg in (shipped, lab):
        res = run([tool("promtool"), "check", "config", "--agent", str(cfg)])
        assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize(
    "unit",
    [
        ROOT / "deploy" / "office" / "ozon-probe-prometheus-agent.service",
        CENTRAL / "ozon-probe-vmalert.service",
    ],
    ids=lambda p: p.name,
)
def test_systemd_units_verify(unit: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    res = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    # verify warns about binaries missing on this machine; a syntax error is an error
    assert res.returncode == 0 or "Executable" in res.stderr, res.stderr


def test_fleet_dashboard_structure() -> None:
    dash = json.loads(FLEET_DASHBOARD.read_text())
    assert dash["uid"] == "ozon-probe-fleet"
    assert not structural_errors(dash)
    names = {v["name"] for v in dash["templating"]["list"]}
    assert {"site", "country"} <= names
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            assert 'site=~"$site"' in target["expr"] and 'country=~"$country"' in target["expr"]
    if sdk_available():
        assert sdk_errors(dash) == []


def test_fleet_dashboard_is_generated() -> None:
    res = run(["python3", str(GRAFANA / "generate.py"), "--check"])
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_agent_votes_like_the_rules() -> None:
    """agent/fleet.py decides the status page's words with the rules' two VOTE numbers."""
    import re

    from agent import fleet

    text = (CENTRAL / "fleet-rules.yml").read_text()
    votes = [float(v) for v in re.findall(r">= ([0-9.]+)  # VOTE", text)]
    assert votes == [fleet.MIN_SITES, fleet.MIN_SHARE]
    assert f"[{fleet.WINDOW}]" in text
