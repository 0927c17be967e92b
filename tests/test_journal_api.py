"""The journal's metrics (checked by the real promtool) and the history JSON of the status page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from agent.journal import Journal
from agent.journal_api import JournalCollector, history_document, incidents_document

NOW = 1_779_300_000.0


def _metrics(j: Journal) -> str:
    reg = CollectorRegistry()
    reg.register(JournalCollector(j, ("ok", "dns", "isp", "platform_outage")))
    return generate_latest(reg).decode()


def test_metrics_say_health_and_count_incidents_across_a_restart(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    j.observe(NOW - 600, "dns", [], {}, {})
    j.observe(NOW - 570, "ok", [], {}, {})
    j.observe(NOW - 300, "dns", [], {}, {})
    j.close()
    text = _metrics(Journal.open(tmp_path))  # a restarted agent keeps the count
    assert "ozon_probe_journal_healthy 1.0" in text
    assert 'ozon_probe_incidents_total{cause="dns"} 2.0' in text
    assert 'ozon_probe_incidents_total{cause="isp"} 0.0' in text
    assert 'cause="ok"' not in text
    if shutil.which("promtool"):
        r = subprocess.run(
            ["promtool", "check", "metrics"], input=text, capture_output=True, text=True
        )
        assert r.returncode == 0, r.stdout + r.stderr
    blocked = tmp_path / "f"
    blocked.write_text("")
    assert "ozon_probe_journal_healthy 0.0" in _metrics(Journal.open(blocked / "x"))


def test_history_has_the_timeline_incidents_and_availability(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    start = NOW - 2 * 86400  # an ok verdict from two days ago still holds at the window's edge
    j.observe(start, "ok", [], {"cabinet": "ok"}, {})
    t = start + 30
    while t < NOW - 3600:
        j.observe(t, "ok", [], {"cabinet": "ok"}, {})
        t += 30
    while t < NOW - 1800:
        j.observe(t, "platform_outage", [], {"cabinet": "down"}, {"rtt_ms": 50.0})
        t += 30
    while t <= NOW:
        j.observe(t, "ok", [], {"cabinet": "ok"}, {})
        if t == NOW - 990:  # the seller ran `check` just then, and it saw the line down
            j.observe(t + 5, "isp", [], {"cabinet": "unknown"}, {}, manual=True)
        t += 30
    h = history_document(j, now=NOW)
    causes = [(s["cause"], round(s["start"] - NOW), round(s["end"] - NOW)) for s in h["timeline"]]
    assert causes == [("ok", -86400, -3600), ("platform_outage", -3600, -1800), ("ok", -1800, 0)]
    assert [m["cause"] for m in h["manual_checks"]] == ["isp"]
    # newest first; the manual check's incident is marked as such
    assert [(i["cause"], i["manual_only"]) for i in h["incidents"]] == [
        ("isp", True),
        ("platform_outage", False),
    ]
    outage = h["incidents"][1]
    assert outage["duration_seconds"] == 1800 and not outage["ongoing"]
    assert outage["causes"] == ["platform_outage"]
    a = h["availability"]["cabinet"]
    # 24 h from NOW's hour boundary back: whole hours, so a little more than 24 h is counted
    assert a["24h"] == pytest.approx(1 - 1800 / (24 * 3600), abs=0.002)
    assert a["7d"] == pytest.approx(1 - 1800 / (2 * 86400), abs=0.002)
    assert incidents_document(j, NOW - 900, NOW)["incidents"] == []
