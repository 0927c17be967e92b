"""Every word a seller reads, in the seller's language: reason codes worded in three languages,
the status page and `check`'s report free of English (names aside) for every cause, the first
minute shown as "measuring" (grey), and a verdict banner people can read (WCAG AA contrast).
The lab does the same on real faults and in headless Chromium (tests/test_lab_diagnosis.py)."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest

from agent.config import load_default
from agent.diagnosis.diagnoser import Diagnoser, Diagnosis
from agent.diagnosis.diagnoser import _held as _held_first
from agent.diagnosis.reasons import R
from agent.diagnosis.rules import Finding, Hold, decide
from agent.i18n import ERROR_NAMES, LANGS, REASONS, cause_text, say, word
from agent.report import print_report
from agent.runtime import Runtime
from agent.vocabulary import Cause, ErrorCategory
from agent.web.page import BANNER, render_status
from tests.conftest import ROOT
from tests.support.wording import english_words, visible_text
from tests.test_rules import CASES

RESOLVERS = {
    "office",
    "system",
    "yandex",
    "yandex_2",
    "nsdi",
    "ru_national",
    "ru_national_2",
    "google",
}


def test_every_reason_code_the_diagnosis_emits_is_worded_in_three_languages() -> None:
    emitted: set[str] = set()
    for path in (ROOT / "agent").rglob("*.py"):
        emitted |= set(re.findall(r"\bR\(\s*[\"']([a-z_]+)[\"']", path.read_text()))
    emitted |= {f"link_{p}" for p in ("no_table", "no_route", "iface_down", "ok")}
    missing = sorted(c for c in emitted if c not in REASONS)
    assert not missing, missing
    for code, words in REASONS.items():
        assert set(words) == set(LANGS), code
        placeholders = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in words.items()}
        assert placeholders["ru"] == placeholders["en"] == placeholders["zh"], code
        for lang in ("ru", "zh"):
            assert not english_words(
                words[lang].format_map({k: "1" for k in placeholders["en"]})
            ), (code, lang)
    for category in ErrorCategory:
        assert set(ERROR_NAMES[category.value]) == {"ru", "zh"}, category


def test_russian_plurals_of_rounds() -> None:
    text = {
        n: say(R("svc_failing", said=R("said_failed"), rounds=n), "ru") for n in (1, 2, 5, 11, 21)
    }
    assert text[1].endswith("(1 раунд подряд)") and text[2].endswith("(2 раунда подряд)")
    assert text[5].endswith("(5 раундов подряд)") and text[11].endswith("(11 раундов подряд)")
    assert text[21].endswith("(21 раунд подряд)")


def _runtime_with(diagnosis: Diagnosis) -> Runtime:
    rt = Runtime(load_default(), environ={})
    rt.diagnoser.current = diagnosis
    for kind in rt.scheduler.kinds():  # every kind has run a round: past the first minute
        rt.tally.round(kind, 0.1)
    return rt


def _diagnoses() -> list[tuple[str, Diagnosis]]:
    out = []
    for rule, evidence, _, _ in CASES:
        row, verdict = decide(evidence)
        assert isinstance(verdict, Finding)
        out.append((rule.__name__, Diagnoser._verdict(evidence, row, verdict)))
    held = out[-2][1]
    out.append(
        ("held", replace(held, evidence=[*held.evidence, R("held", why=R("hold_need_proof"))]))
    )
    return out


@pytest.mark.parametrize("lang", ["ru", "zh", "en"])
def test_check_says_not_decided_when_its_rounds_were_held(lang: str) -> None:
    # nothing decided yet, a rule holding: no "ok", no "everything works" in any language
    held = _held_first(Diagnosis(), R("hold_need_proof"))
    doc = _runtime_with(held).status(lang)
    doc["decided"] = False
    out = io.StringIO()
    print_report(doc, lang, out)
    text = out.getvalue()
    assert word("undecided", lang) in text and word("undecided_todo", lang) in text
    assert cause_text("ok", lang)[0] not in text
    if lang != "en":
        assert not english_words(text, RESOLVERS), text


def test_a_page_whose_rules_have_only_held_is_measuring_not_green() -> None:
    # every kind ran, but no rule decided yet (silence for a name, waiting for proof): the
    # page is grey, as in the first minute; the first decided verdict ends that
    held = _runtime_with(_held_first(Diagnosis(), R("hold_need_proof"))).status("ru")
    assert held["measuring"] and held["cause"] == "ok"
    decided = _diagnoses()[-1][1]
    assert not _runtime_with(_held_first(decided, R("hold_need_proof"))).status("ru")["measuring"]


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_page_and_check_have_no_english_for_any_cause(lang: str) -> None:
    causes = set()
    for name, d in _diagnoses():
        causes.add(d.cause)
        doc = _runtime_with(d).status(lang)
        _, page = render_status(doc, lang)
        found = english_words(visible_text(page.decode()), RESOLVERS)
        assert not found, (name, lang, found)
        out = io.StringIO()
        print_report(doc, lang, out)
        found = english_words(out.getvalue(), RESOLVERS)
        assert not found, (name, lang, found, out.getvalue())
    assert causes == set(Cause)


def test_the_first_minute_is_measuring_grey_not_green() -> None:
    rt = Runtime(load_default(), environ={})
    doc = rt.status("ru")
    assert doc["measuring"] is True
    _, page = render_status(doc, "ru")
    text = page.decode()
    assert 'data-measuring="true"' in text and BANNER["measuring"][0] in text
    assert BANNER["ok"][0] not in text  # no green anywhere before the first round
    assert "Идёт измерение" in text
    assert 'data-state="ok"' not in text


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_the_verdict_banner_meets_wcag_aa_contrast() -> None:
    for kind, (bg, fg) in BANNER.items():
        hi, lo = sorted((_luminance(bg), _luminance(fg)), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, kind


def test_api_status_carries_codes_and_words() -> None:
    e = CASES[2][1]  # the ISP is down
    row, verdict = decide(e)
    assert isinstance(verdict, Finding)
    rt = _runtime_with(Diagnoser._verdict(e, row, verdict))
    doc = rt.status("zh")
    assert doc["reasons"]["summary"]["code"] == "isp_cut" and doc["rule"] == 3
    assert doc["summary"] == say(R("isp_cut"), "zh")
    assert all("code" in s["reason"] for s in doc["services"])
    assert isinstance(decide(replace(e, home_net=CASES[0][1].home_net))[1], Finding | Hold)


@pytest.mark.parametrize("lang", ["ru", "zh", "en"])
def test_the_page_shows_the_last_day_the_incidents_and_availability(tmp_path, lang: str) -> None:  # type: ignore[no-untyped-def]
    import time

    from agent.journal import Journal
    from agent.web.page import render_page

    journal = Journal.open(tmp_path)
    now = time.time()
    up = {"cabinet": "ok", "login": "ok"}
    down = {"cabinet": "down", "login": "ok"}
    reasons = [R("platform_down", services=[]).to_json()]
    for i, (cause, services) in enumerate(
        [("ok", up), ("platform_outage", down), ("platform_outage", down), ("ok", up)]
    ):
        journal.observe(now - 3600 + i * 600, cause, reasons, services, {"rtt_ms": 40.0})
    rt = _runtime_with(_diagnoses()[0][1])
    rt.journal = journal
    _, body = render_page(rt, {"QUERY_STRING": f"lang={lang}"})
    page = body.decode()
    assert 'class="strip"' in page and 'data-cause="platform_outage"' in page
    assert "data-incident=" in page and f"/report?lang={lang}" in page
    assert "%" in page  # availability beside the services
    if lang != "en":
        assert not english_words(visible_text(page), RESOLVERS)
