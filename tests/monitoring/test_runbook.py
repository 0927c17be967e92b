"""docs/runbook.md: every alert's runbook_url resolves to a section of that file, and every
section says what the alert means, what to check and what to do in English, Russian and
Chinese."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .tools import ROOT, alert_rules

RUNBOOK = ROOT / "docs" / "runbook.md"
RUNBOOK_URL = "https://github.com/ozon-probe/ozon-probe/blob/main/docs/runbook.md"
# the three parts of a section, in each language
PARTS = {
    "en": ("**What it means.**", "**Check.**", "**Do.**"),
    "ru": ("**Что это значит.**", "**Проверьте.**", "**Что делать.**"),
    "zh": ("**含义。**", "**检查。**", "**处理。**"),
}


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _sections() -> dict[str, str]:
    text = RUNBOOK.read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {_anchor(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_alert_links_to_its_own_section() -> None:
    sections = _sections()
    for rule in alert_rules():
        url = rule["annotations"].get("runbook_url", "")
        parts = urlsplit(url)
        assert url.split("#")[0] == RUNBOOK_URL, f"{rule['alert']}: runbook_url {url!r}"
        assert parts.fragment in sections, f"{rule['alert']}: no section #{parts.fragment}"
        assert parts.fragment == _anchor(rule["alert"]), rule["alert"]


def test_every_section_is_complete_in_three_languages() -> None:
    alerts = {_anchor(r["alert"]) for r in alert_rules()}
    sections = _sections()
    assert set(sections) == alerts, "a section for each alert and no other"
    for name, body in sections.items():
        for lang, markers in PARTS.items():
            for marker in markers:
                assert marker in body, f"#{name}: {lang} lacks {marker}"
        assert re.search(r"[а-я]", body) and re.search(r"[\u4e00-\u9fff]", body), name


def test_anchor_follows_github() -> None:
    assert _anchor("OzonProbeAgentAbsent") == "ozonprobeagentabsent"
    assert _anchor("What to do: now!") == "what-to-do-now"
