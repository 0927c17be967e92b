"""Finds English words in text meant for a Russian or Chinese reader.

Names are allowed (the issue's words: Ozon, DNS, HTTP, TLS, host names, resolver names): any
token with a dot, slash, colon, digit or underscore (hosts, addresses, paths, identifiers), any
all-capital acronym (DNS, HTTP, ICMP, MTU, MSK, UTC), and the product and service names below.
Everything else made of Latin letters is an English word that should have been translated.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

NAMES = frozenset(
    {
        "Ozon", "ID", "Seller", "API", "Performance", "Wi-Fi", "Wi", "Fi", "ozon-probe",
        "Grafana", "Prometheus", "Telegram", "Client-Id", "Api-Key", "speedtest",
        "Circle", "is", "open",  # Ozon's own message "Circle is open", quoted
    }
)  # fmt: skip
_TOKEN = re.compile(r"/?[A-Za-z][A-Za-z0-9_.\-:/@%]*")


def visible_text(page: str) -> str:
    """The text of an HTML page as a person sees it: no tags, no style or script."""
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<title>.*?</title>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def english_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    allow = NAMES | frozenset(allowed)
    found = []
    for token in _TOKEN.findall(text):
        word = token.rstrip(".-:/")
        if not word or word in allow or word.isupper():
            continue
        if any(c in word for c in "._/:@%") or any(c.isdigit() for c in word):
            continue  # a host, an address, a path, an identifier
        found.append(word)
    return found
