"""The incident report built from a real journal file: the JSON form, Markdown and HTML in the
three languages, Moscow and local times, the Seller API key kept out, the commands, and the
HTML looked at in headless Chromium inside a namespace with only loopback."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.journal import Journal
from agent.journal_report import (
    LANGS,
    PHRASES,
    build_report,
    duration_text,
    plural_ru,
    render,
)
from tests.conftest import ROOT, Netns

# 2026-05-20 09:00:00 UTC = 12:00 in Moscow (UTC+3) = 17:00 in Shanghai (UTC+8)
T0 = 1_779_267_600.0
KEY = "9c1e7f2a-55b0-4d3e-8a61-0b2f4c6d8e1a"
STATES = {"cabinet": "ok", "seller_api": "ok", "login": "ok"}


def _platform_reasons() -> list[dict[str, Any]]:
    return [
        {"code": "http_status", "params": {"target": "cabinet", "host": "seller.ozon.ru", "status": 503}},
        {"code": "seller_api_error", "params": {"status": 500, "code": 13, "message": "internal error, Api-Key [redacted]"}},
    ]  # fmt: skip


def _scripted(tmp_path: Path) -> Journal:
    """An outage of the cabinet (25 min), then an ISP cut (5 min), then DNS lying (1 min)."""
    j = Journal.open(tmp_path, secrets=[KEY])
    t = T0
    for _ in range(4):
        j.observe(t, "ok", [], STATES, {"rtt_ms": 30.0})
        t += 30
    for _ in range(50):  # 25 minutes
        j.observe(
            t,
            "platform_outage",
            _platform_reasons(),
            {**STATES, "cabinet": "down", "seller_api": "degraded"},
            {"rtt_ms": 31.0, "first_byte_ms": 5100.0},
        )
        t += 30
    j.add_note("заказы не подтверждались <script>alert(1)</script>", at=t - 600)
    for _ in range(20):
        j.observe(t, "ok", [], STATES, {"rtt_ms": 30.0})
        t += 30
    isp = [
        {"code": "gateway_ok", "params": {"target": "gateway", "rtt_ms": 0.8}},
        {"code": "control_silent", "params": {"target": "yandex_ru", "host": "ya.ru"}},
    ]
    for _ in range(10):  # 5 minutes
        j.observe(t, "isp", isp, {k: "unknown" for k in STATES}, {"loss_ratio": 1.0, "rtt_ms": 0.8})
        t += 30
    for _ in range(10):
        j.observe(t, "ok", [], STATES, {})
        t += 30
    dns = [
        {"code": "dns_answer", "params": {"resolver": "system", "name": "seller.ozon.ru", "answer": ["10.0.0.1"]}},
        {"code": "dns_answer", "params": {"resolver": "yandex", "name": "seller.ozon.ru", "answer": ["185.73.193.1"]}},
    ]  # fmt: skip
    j.observe(t, "dns", dns, STATES, {})
    j.observe(t + 30, "dns", dns, STATES, {})
    j.observe(t + 60, "ok", [], STATES, {})
    j.observe(t + 60 + 150, "ok", [], STATES, {})
    return j


def test_the_json_report_names_sides_times_and_evidence(tmp_path: Path) -> None:
    j = _scripted(tmp_path)
    r = build_report(
        j, since=T0 - 3600, lang="zh", tz="Asia/Shanghai", now=T0 + 7200, site="Shenzhen"
    )
    r = json.loads(render(r, "json"))  # the JSON form is the same data
    outage, isp, dns = r["incidents"]
    assert (outage["cause"], outage["side"], outage["side_text"]) == (
        "platform_outage",
        "platform_outage",
        "Ozon",
    )
    assert outage["start"]["utc"] == "2026-05-20T09:02:00Z"
    assert outage["start"]["moscow"] == "2026-05-20 12:02:00"
    assert outage["start"]["local"] == "2026-05-20 17:02:00 CST"
    assert outage["end"]["moscow"] == "2026-05-20 12:27:00"
    assert outage["duration_seconds"] == 1500 and outage["duration_text"] == "25 分钟"
    assert outage["services"]["cabinet"]["state"] == "down"
    assert outage["services"]["seller_api"]["state"] == "degraded"
    assert {e["code"] for e in outage["evidence"]} == {"http_status", "seller_api_error"}
    assert outage["evidence"][0]["count"] == 50
    assert outage["peaks"]["first_byte_ms"] == 5100.0
    assert outage["notes"][0]["text"].startswith("заказы не подтверждались")
    # a platform incident: a message for Ozon's support in Russian and in the seller's language
    assert set(outage["support_message"]) == {"ru", "zh"}
    ru = outage["support_message"]["ru"]
    assert "С 2026-05-20 12:02:00 по 2026-05-20 12:27:00 (МСК)" in ru
    assert "личный кабинет продавца" in ru and "status=503" in ru
    assert any("dev.ozon.ru" in c for c in outage["channels"])
    assert "isp_figures" not in outage
    # an ISP incident: what the provider's support line asks for
    assert (isp["side"], isp["duration_text"]) == ("isp", "5 分钟")
    assert "support_message" not in isp
    assert set(isp["isp_figures"]["hosts"]) == {"gateway", "yandex_ru", "ya.ru"}
    assert any("100%" in f for f in isp["isp_figures"]["figures"])
    assert isp["services"] == {}
    # DNS: the answer of each resolver
    assert dns["cause"] == "dns" and len(dns["isp_figures"]["resolvers"]) == 2
    assert any("yandex" in x and "185.73.193.1" in x for x in dns["isp_figures"]["resolvers"])
    assert r["availability"]["cabinet"] == pytest.approx((93 - 50) / 93, abs=0.02)


def test_one_incident_by_id_and_an_empty_window(tmp_path: Path) -> None:
    j = _scripted(tmp_path)
    one = build_report(j, since=0, incident_id=2, lang="en", tz="Europe/Moscow", now=T0 + 7200)
    assert [i["cause"] for i in one["incidents"]] == ["isp"]
    empty = build_report(j, since=T0 + 100_000, lang="ru", tz="UTC", now=T0 + 200_000)
    assert empty["incidents"] == [] and not empty["observed"]
    assert "нет наблюдений" in render(empty, "md")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_every_language_and_format_renders_the_fixed_phrases(
    tmp_path: Path, lang: str, fmt: str
) -> None:
    j = _scripted(tmp_path)
    text = render(build_report(j, since=0, lang=lang, tz="Asia/Shanghai", now=T0 + 7200), fmt)
    words = {
        "en": [
            "Whose side",
            "your internet provider",
            "Where Ozon announces outages",
            "25 minutes",
        ],
        "ru": [
            "На чьей стороне",
            "ваш интернет-провайдер",
            "Где Ozon сообщает о сбоях",
            "25 минут",
        ],
        "zh": ["责任方", "您的网络运营商", "Ozon 发布故障通知的渠道", "25 分钟"],
    }[lang]
    if fmt == "json":
        words = words[1:2] + words[3:]  # the JSON has no headings, only the texts
    for w in words:
        assert w in text, w
    # a note's markup never becomes markup (JSON keeps the note's text as it was typed)
    assert ("<script>" in text) == (fmt == "json")


def test_every_phrase_is_in_every_language() -> None:
    for key, entry in PHRASES.items():
        assert set(entry) == set(LANGS), key
        assert all(v.strip() for v in entry.values()), key
        holes = {lang: set(re.findall(r"{(\w+)}", v)) for lang, v in entry.items()}
        assert len({frozenset(h) for h in holes.values()}) == 1, key


def test_russian_plurals_and_durations() -> None:
    forms = ("минута", "минуты", "минут")
    assert [plural_ru(n, *forms) for n in (1, 2, 5, 11, 12, 14, 21, 22, 25, 101, 111, 122)] == [
        "минута", "минуты", "минут", "минут", "минут", "минут", "минута", "минуты", "минут",
        "минута", "минут", "минуты",
    ]  # fmt: skip
    assert duration_text(60, "ru") == "1 минута"
    assert duration_text(120, "ru") == "2 минуты"
    assert duration_text(300, "ru") == "5 минут"
    assert duration_text(3600 + 21 * 60, "ru") == "1 час 21 минута"
    assert duration_text(2 * 86400 + 3600, "en") == "2 days 1 hour"
    assert duration_text(45, "zh") == "45 秒"
    assert duration_text(3600, "en") == "1 hour"


def test_the_html_is_self_contained_escaped_and_printable(tmp_path: Path) -> None:
    j = _scripted(tmp_path)
    page = render(build_report(j, since=0, lang="ru", tz="Europe/Moscow", now=T0 + 7200), "html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page
    assert not re.search(r"""(src|href)\s*=|<link|@import|url\(""", page), "an external asset"
    assert "@media print" in page and '<html lang="ru">' in page


def test_the_api_key_is_in_no_journal_file_and_no_render(tmp_path: Path) -> None:
    j = _scripted(tmp_path)
    # an upstream redaction that missed the key, in evidence and in a note
    leak = [
        {
            "code": "seller_api_error",
            "params": {"status": 403, "message": f"Api-Key {KEY} is invalid"},
        }
    ]
    j.observe(T0 + 9000, "platform_degraded", leak, {"seller_api": "down"}, {})
    j.add_note(f"support asked for key {KEY}", at=T0 + 9000)
    j.observe(T0 + 9030, "platform_degraded", leak, {"seller_api": "down"}, {}, manual=True)
    raw = KEY.encode()
    files = list(tmp_path.glob("journal.db*"))
    assert {f.name for f in files} >= {"journal.db", "journal.db-wal"}
    for f in files:
        assert raw not in f.read_bytes(), f.name
    for lang in LANGS:
        report = build_report(j, since=0, lang=lang, tz="UTC", now=T0 + 9100)
        for fmt in ("md", "html", "json"):
            text = render(report, fmt)
            assert "[redacted]" in text
            assert KEY not in text, (lang, fmt)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=ROOT,
    )  # fmt: skip


def test_report_and_note_commands(tmp_path: Path) -> None:
    _scripted(tmp_path).close()
    state = str(tmp_path)
    # the note command scrubs the key it is given in the environment
    r = _cli("note", "--state-dir", state, "cabinet says", KEY, env={"OZON_API_KEY": KEY})
    assert r.returncode == 0, r.stderr
    for f in tmp_path.glob("journal.db*"):
        assert KEY.encode() not in f.read_bytes()
    out = tmp_path / "r.html"
    r = _cli(
        "report",
        "--state-dir",
        state,
        "--since",
        "2026-05-19",
        "--lang",
        "zh",
        "--format",
        "html",
        "-o",
        str(out),
    )
    assert r.returncode == 0 and r.stdout == "", r.stderr
    assert "责任方" in out.read_text(encoding="utf-8")
    r = _cli(
        "report", "--state-dir", state, "--since", "3650d", "--format", "json", "--incident", "3"
    )
    assert r.returncode == 0, r.stderr
    assert [i["cause"] for i in json.loads(r.stdout)["incidents"]] == ["dns"]
    r = _cli("report", "--state-dir", state, "--since", "3650d", "--lang", "ru")
    assert "# Отчёт о сбоях связи" in r.stdout and "Заметки вне сбоев" in r.stdout
    for bad, says in [
        (["--since", "last tuesday"], "--since: not a time"),
        (["--incident", "42"], "--incident: no incident 42"),
        (["--format", "pdf"], "invalid choice"),
    ]:
        r = _cli("report", "--state-dir", state, *bad)
        assert r.returncode == 2, (bad, r.stderr)
        assert says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    r = _cli("note", "--state-dir", str(blocked / "x"), "hello")
    assert (
        r.returncode == 1
        and r.stderr.startswith("ozon-probe: journal off")
        and "Traceback" not in r.stderr
    )


def test_the_russian_report_in_headless_chromium(tmp_path: Path, netns: Netns) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed")
    from PIL import Image

    j = _scripted(tmp_path / "state")
    page = tmp_path / "report-ru.html"
    page.write_text(
        render(
            build_report(
                j,
                since=T0 - 3600,
                lang="ru",
                tz="Europe/Moscow",
                now=T0 + 7200,
                site="Склад Подольск",
            ),
            "html",
        ),
        encoding="utf-8",
    )
    shot = tmp_path / "report-ru.png"
    flags = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,1400",
        "--hide-scrollbars",
    ]  # fmt: skip
    url = page.as_uri()
    r = netns.run(*flags, f"--screenshot={shot}", url, check=False, timeout=90)
    assert shot.exists(), r.stderr[-2000:]
    dom = netns.run(*flags, "--dump-dom", url, check=False, timeout=90).stdout
    assert 'data-cause="platform_outage"' in dom and 'data-cause="isp"' in dom
    assert "Сообщение в чат поддержки Ozon" in dom and "12:02:00 МСК" in dom
    img = Image.open(shot).convert("RGB")
    w, h = img.size
    # the first incident's heading is drawn with a red bar at its left edge
    pixels = [
        img.getpixel((x, y)) for x in range(0, min(w, 140), 2) for y in range(0, min(h, 400), 2)
    ]
    red = sum(1 for (r_, g, b) in pixels if r_ > 170 and g < 80 and b < 80)
    assert red > 50, f"no red incident bar in the screenshot ({red})"
    saved = ROOT / "docs" / "img" / "report-ru.png"
    if os.environ.get("OZON_PROBE_UPDATE_DOCS"):
        saved.parent.mkdir(exist_ok=True)
        shutil.copy(shot, saved)
