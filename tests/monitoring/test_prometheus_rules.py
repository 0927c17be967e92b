"""deploy/prometheus: promtool checks, promtool unit tests, and the rules' conventions."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from agent.i18n import ALERTS, LANGS
from tests.support.wording import english_words

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
    "NetworkFiltering",
    "NetworkDegraded",
    "ThroughputFarBelowUsual",
    "SellerApiKeyExpiring",
    "OzonTlsCertExpiring",
    "OzonTlsVerifyFailing",
    "OzonProbeAgentAbsent",
    "OzonProbeRoundsFrozen",
    "OzonProbeConfigReloadFailed",
    "OzonProbeIcmpOff",
    "OzonProbeJournalFailing",
}
LOCAL_CAUSES = ("local_network", "isp", "international_path", "dns", "network_filtering")
# metrics the agent does not export yet (the throughput probe comes later)
# metrics the rules may use before the agent exports them: the journal (being built) exports
# ozon_probe_journal_healthy, 1 while it is written, 0 when writing fails
FUTURE_METRICS: set[str] = {"ozon_probe_journal_healthy"}


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


# -- the alerts' words: agent/i18n.py ALERTS, written into rules.yml by words.py ----------


def _words_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ozon_probe_rule_words", PROM_DIR / "words.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)
WHAT_TO_DO = {"en": "What to do", "ru": "Что делать", "zh": "处理方法"}


def test_rules_annotations_are_the_words_of_i18n() -> None:
    words = _words_tool()
    assert words.main(["--check"]) == 0, "run python3 deploy/prometheus/words.py and commit"
    for r in alert_rules():
        ann = dict(r["annotations"])
        assert ann.pop("runbook_url")
        assert ann == words.annotations(r["alert"]), r["alert"]
        for lang in LANGS:
            summary, description = ALERTS[r["alert"]][lang]
            s = "" if lang == "en" else f"_{lang}"
            assert (ann[f"summary{s}"], ann[f"description{s}"]) == (summary, description)
    assert set(ALERTS) == {r["alert"] for r in alert_rules()}, "ALERTS and rules.yml differ"


def test_the_words_check_sees_a_stale_rules_file(tmp_path: Path) -> None:
    words = _words_tool()
    stale = RULES.read_text().replace("Проба не может выйти", "Проба не выходит", 1)
    assert stale != RULES.read_text()
    assert words.render(stale) == RULES.read_text()  # regenerating restores the words
    words.RULES = tmp_path / "rules.yml"
    words.RULES.write_text(stale)
    assert words.main(["--check"]) == 1


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_each_alert_is_worded_in_every_language(alert: str) -> None:
    texts = ALERTS[alert]
    assert set(texts) == set(LANGS)
    en_fields = [sorted(TEMPLATE.findall(t)) for t in texts["en"]]
    for lang in LANGS:
        summary, description = texts[lang]
        assert WHAT_TO_DO[lang] in description, f"{alert}[{lang}]: says what to do"
        for n, text in enumerate((summary, description)):
            # the same labels, values and conditions in every language
            assert sorted(TEMPLATE.findall(text)) == en_fields[n], f"{alert}[{lang}][{n}]"
            if lang == "en":
                continue
            plain = TEMPLATE.sub(" ", text)
            script = re.compile(r"[\u0400-\u04ff]" if lang == "ru" else r"[\u4e00-\u9fff]")
            assert script.search(plain), f"{alert}[{lang}] is not in {lang}"
            found = english_words(plain, ALLOWED_IN_ALERTS)
            assert not found, f"{alert}[{lang}]: English words {found}"


# commands, file names and protocol names quoted in the alerts' advice
ALLOWED_IN_ALERTS = {
    "Wi-Fi",
    "VPN",
    "HTTPS",
    "B/s",
    "sysctl",
    "systemctl",
    "restart",
    "reload",
    "journalctl",
    "validate",
    "ozon-probe",
    "report",  # `ozon-probe report`
    "raw",
    "ping",
    "df",
    "CAP_NET_RAW",
    "upload",
    "c",
    "h",
    "u",
    "w",
}  # fmt: skip  (the last: command flags)


def test_the_english_word_check_sees_english() -> None:
    assert english_words("Офисная сеть is down", ALLOWED_IN_ALERTS) == ["down"]


def test_every_cause_has_a_verdict_code_a_side_and_a_dashboard_colour() -> None:
    # a cause added to the agent must reach the numbers the dashboards and the fleet read:
    # network_filtering once existed in ozon_probe_verdict but had no code, so a site that
    # was filtered showed "No data" on every timeline
    import re

    from agent.vocabulary import Cause

    spec = importlib.util.spec_from_file_location(
        "ozon_probe_gen", DASHBOARDS.parent / "generate.py"
    )
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    rules = RULES.read_text()
    fleet = (PROM_DIR.parent / "central" / "fleet-rules.yml").read_text()

    def causes_in(text: str, record: str) -> set[str]:
        expr = text.split(f"record: {record}", 1)[1].split("- record:", 1)[0]
        found = set(re.findall(r'cause="(\w+)"', expr))
        for alternatives in re.findall(r'cause=~"([\w|]+)"', expr):
            found |= set(alternatives.split("|"))
        return found

    every = {c.value for c in Cause}
    assert causes_in(rules, "ozon_probe:verdict:code") == every
    assert causes_in(rules, "ozon_probe:verdict:side") == every
    assert causes_in(fleet, "fleet:site_verdict:code") == every
    assert {cause for _, cause, _, _ in gen.VERDICT_CODES} == every
