"""Every word a person reads from the modules of issue 9 exists in en, ru and zh, and is
translated: a Russian text has Cyrillic in it and a Chinese one Chinese characters, unless it
is a name (Ozon, Seller API, DNS, ...) that reads the same everywhere. Placeholders match."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

import pytest

from agent import configshow, countries, lang
from agent.probes import seller_api_errors

LANGS = ("en", "ru", "zh")
# Names that every language writes the same way
NAMES = {"Seller API", "Ozon ID", "Ozon", "DNS", "HTTP", "TLS", "API", "CDN", "IP"}

TABLES: dict[str, dict[str, dict[str, str]]] = {
    "lang.SERVICE_NAMES": lang.SERVICE_NAMES,
    "countries.REASON_WORDS": countries.REASON_WORDS,
    "countries.COUNTRY_NAMES": countries.COUNTRY_NAMES,
    "countries.DOUBT_WORDS": countries.DOUBT_WORDS,
    "configshow._HEADER": configshow._HEADER,
    "seller_api_errors.WORDS": seller_api_errors.WORDS,
    # plural forms: each language's forms joined, so the same checks apply
    "lang.UNITS": {
        unit: {lg: " / ".join(fs) for lg, fs in forms.items()} for unit, forms in lang.UNITS.items()
    },
}
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")


def entries() -> Iterator[tuple[str, str, dict[str, str]]]:
    for table, words in TABLES.items():
        for key, texts in words.items():
            yield table, key, texts


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


@pytest.mark.parametrize(
    ("table", "key", "texts"), list(entries()), ids=lambda x: x if isinstance(x, str) else ""
)
def test_each_text_exists_and_is_translated(table: str, key: str, texts: dict[str, str]) -> None:
    assert set(texts) == set(LANGS), f"{table}[{key!r}] has {sorted(texts)}"
    assert all(texts[lg].strip() for lg in LANGS), f"{table}[{key!r}] has an empty text"
    if texts["en"] in NAMES:
        return
    for lg, script in (("ru", CYRILLIC), ("zh", HAN)):
        assert texts[lg] != texts["en"], f"{table}[{key!r}][{lg}] is the English text"
        assert script.search(texts[lg]), f"{table}[{key!r}][{lg}] is not in {lg}: {texts[lg]!r}"
    assert _fields(texts["ru"]) == _fields(texts["en"]) == _fields(texts["zh"]), (
        f"{table}[{key!r}]: the placeholders differ between languages"
    )


def test_the_check_itself_catches_a_missing_or_untranslated_text() -> None:
    # the same checks, on a table with the two mistakes they exist for
    bad = {
        "missing": {"en": "Hello", "ru": "Привет"},
        "untranslated": {"en": "Hello", "ru": "Hello", "zh": "你好"},
    }
    with pytest.raises(AssertionError, match="has \\['en', 'ru'\\]"):
        test_each_text_exists_and_is_translated("t", "missing", bad["missing"])
    with pytest.raises(AssertionError, match="is the English text"):
        test_each_text_exists_and_is_translated("t", "untranslated", bad["untranslated"])
