"""Language tools: gettext's order of variables, Accept-Language q-values, Russian plurals,
terminal widths of Chinese text, and the services' names in the seller's words."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agent.lang import (
    SERVICE_NAMES,
    UNITS,
    accept_language,
    detect_lang,
    display_width,
    pad,
    plural,
    plural_ru,
    service_name,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "ru_RU.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "ru_RU.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        # LANGUAGE outranks LC_ALL, and is a list tried in order (de has no words here)
        ({"LC_ALL": "en_US.UTF-8", "LANGUAGE": "de:zh_CN:ru"}, "zh"),
        ({"LANG": "ru_RU.UTF-8", "LANGUAGE": "zh"}, "zh"),
        # ... but gettext ignores it when the locale is C or POSIX, or unset (which is C)
        ({"LANG": "C", "LANGUAGE": "ru"}, "en"),
        ({"LC_ALL": "POSIX", "LANGUAGE": "zh"}, "en"),
        ({"LANGUAGE": "ru"}, "en"),
        ({"LANG": "C.UTF-8", "LANGUAGE": "ru"}, "ru"),
        # an empty variable counts as unset
        ({"LC_ALL": "", "LANG": "ru_RU.UTF-8"}, "ru"),
        # a locale we have no words for speaks English, it does not fall through to LANG
        ({"LC_ALL": "de_DE.UTF-8", "LANG": "ru_RU.UTF-8"}, "en"),
        ({"LANG": "ru_RU.UTF-8", "LANGUAGE": "de:fr"}, "ru"),
        ({"LANG": "sr_RS@latin"}, "en"),
    ],
)
def test_detect_lang_follows_gettext(environ: dict[str, str], expected: str) -> None:
    assert detect_lang(environ) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "en"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
        ("en;q=0.5, zh-CN;q=0.9", "zh"),
        ("zh-TW", "zh"),
        ("zh-HK,en;q=0.1", "zh"),
        ("zh-Hant-TW;q=0.8,fr", "zh"),
        ("ru;q=0, zh;q=0.3", "zh"),  # q=0: "not Russian"
        ("ru;q=0.000", "en"),
        ("de, ru;q=0.5, zh;q=0.5", "ru"),  # a tie goes to the one named first
        ("zh;q=0.5, ru;q=0.5", "zh"),
        ("ru;q=abc, zh;q=0.2", "zh"),  # a malformed q-value drops only its entry
        ("ru;q=1.5, zh;q=0.2", "zh"),
        ("fr, de", "en"),
        ("*", "en"),
        ("fr, *;q=0.5, ru;q=0.4", "en"),
        ("RU", "ru"),
        (" , ;q=1, zh ", "zh"),
    ],
)
def test_accept_language_by_q_value(header: str, expected: str) -> None:
    assert accept_language(header) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "раундов"), (1, "раунд"), (2, "раунда"), (3, "раунда"), (4, "раунда"),
        (5, "раундов"), (11, "раундов"), (12, "раундов"), (14, "раундов"), (21, "раунд"),
        (22, "раунда"), (25, "раундов"), (101, "раунд"), (111, "раундов"), (112, "раундов"),
        (1001, "раунд"), (-2, "раунда"),
    ],
)  # fmt: skip
def test_plural_ru(n: int, expected: str) -> None:
    assert plural_ru(n, "раунд", "раунда", "раундов") == expected


def test_plural_in_three_languages() -> None:
    rounds = UNITS["rounds"]
    assert [plural(n, rounds, "ru") for n in (1, 2, 5, 21)] == [
        "1 раунд", "2 раунда", "5 раундов", "21 раунд",
    ]  # fmt: skip
    assert [plural(n, rounds, "en") for n in (0, 1, 2)] == ["0 rounds", "1 round", "2 rounds"]
    assert [plural(n, rounds, "zh") for n in (1, 4)] == ["1 轮", "4 轮"]
    assert plural(3, rounds, "de") == "3 rounds"
    # every unit has the number of forms its language's rule needs, each with {n}
    for unit, forms in UNITS.items():
        assert (len(forms["en"]), len(forms["ru"]), len(forms["zh"])) == (2, 3, 1), unit
        assert all("{n}" in f for fs in forms.values() for f in fs), unit


def test_display_width_counts_terminal_columns() -> None:
    assert display_width("Ozon") == 4
    assert display_width("卖家后台") == 8
    assert display_width("ＡＢ") == 4  # fullwidth Latin
    assert display_width("Личный") == 6
    assert display_width("e\u0301") == 1  # e + combining acute: one column
    assert display_width("a\u200db") == 2  # a zero-width joiner takes none
    assert display_width("（登录）") == 8
    assert display_width("") == 0


def test_pad_aligns_chinese_and_latin_columns() -> None:
    rows = [("卖家后台", "正常"), ("Seller API", "正常"), ("Ozon ID（登录）", "无法访问")]
    width = max(display_width(name) for name, _ in rows) + 2
    lines = [pad(name, width) + state for name, state in rows]
    # the second column starts at the same terminal column on every line
    assert {display_width(line.split("正常")[0].split("无法访问")[0]) for line in lines} == {width}
    assert pad("卖家", 6) == "卖家  "
    assert pad("卖家", 6, right=True) == "  卖家"
    assert pad("toolong", 3) == "toolong"


def test_every_service_of_the_default_profile_has_a_sellers_name() -> None:
    profile = yaml.safe_load((ROOT / "agent" / "profiles" / "default.yaml").read_text())
    services = {t["service"] for t in profile["targets"] if t.get("service")}
    assert services and services <= SERVICE_NAMES.keys()
    assert service_name("cabinet", "ru") == "Личный кабинет продавца"
    assert service_name("cabinet", "zh") == "卖家后台"
    assert service_name("cabinet", "fr") == "Seller cabinet"
    assert service_name("no_such_service", "ru") == "no_such_service"


def test_check_columns_align_in_a_real_terminal_render() -> None:
    """The widths agree with a second, independent source: the C library's wcswidth, which
    terminals and `column` use (run in a child so the test's own locale stays untouched)."""
    code = (
        "import ctypes, ctypes.util, locale, sys\n"
        "locale.setlocale(locale.LC_ALL, 'C.UTF-8')\n"
        "libc = ctypes.CDLL(ctypes.util.find_library('c'))\n"
        "libc.wcswidth.argtypes = [ctypes.c_wchar_p, ctypes.c_size_t]\n"
        "for s in sys.argv[1:]:\n"
        "    print(libc.wcswidth(s, len(s)))\n"
    )
    samples = ["卖家后台", "Ozon ID（登录）", "Личный кабинет", "前台（ozon.ru）", "e\u0301"]
    proc = subprocess.run(
        [sys.executable, "-c", code, *samples], capture_output=True, text=True, timeout=30
    )
    if proc.returncode != 0 or not re.fullmatch(r"(-?\d+\n)+", proc.stdout):
        pytest.skip(f"no usable wcswidth here: {proc.stderr.strip()[:200]}")
    libc_widths = [int(x) for x in proc.stdout.split()]
    assert libc_widths == [display_width(s) for s in samples]
