"""Language tools for the words a seller reads: which language, plural forms, column widths,
and the names of Ozon's services as sellers say them.

Three languages: en, ru, zh (Simplified Chinese; zh-TW, zh-HK and zh-Hant readers get it too,
since no Traditional wording exists and Simplified is far more readable to them than English).
Nothing here does I/O: the caller passes the environment or the header.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

LANGS = ("en", "ru", "zh")
DEFAULT_LANG = "en"


def lang_of(tag: str) -> str | None:
    """'ru_RU.UTF-8', 'zh-Hant-TW', 'en' -> 'ru', 'zh', 'en'; None for a language we lack."""
    primary = tag.strip().replace("-", "_").split(".", 1)[0].split("@", 1)[0].split("_", 1)[0]
    primary = primary.lower()
    return primary if primary in LANGS else None


def _is_c_locale(value: str) -> bool:
    # gettext ignores LANGUAGE when the messages locale is "C" (POSIX is its other name);
    # C.UTF-8 is a different locale name and keeps LANGUAGE, as glibc's gettext does
    return value in ("C", "POSIX")


def detect_lang(environ: Mapping[str, str]) -> str:
    """The language gettext would pick: the messages locale is the first set of LC_ALL,
    LC_MESSAGES, LANG; LANGUAGE (a colon-separated list, tried in order) wins over it unless
    that locale is C/POSIX or unset (unset is C). A locale in a language we lack means English,
    as an untranslated program would speak; it does not fall through to LANG."""
    locale_name = next(
        (environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(v)), "C"
    )
    if not _is_c_locale(locale_name):
        for item in environ.get("LANGUAGE", "").split(":"):
            if item and (found := lang_of(item)):
                return found
    return lang_of(locale_name) or DEFAULT_LANG


def accept_language(header: str, default: str = DEFAULT_LANG) -> str:
    """The best of en/ru/zh that an HTTP Accept-Language header asks for (RFC 9110 12.5.4):
    by q-value, ties by the order given; q=0 means "not this one"; a malformed q-value drops
    only its own entry; "*" means any language, i.e. the default."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        if not tag:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
        if not 0 < q <= 1:
            continue
        ranked.append((-q, index, tag))
    for _, _, tag in sorted(ranked):
        if tag == "*":
            return default
        if found := lang_of(tag):
            return found
    return default


# --------------------------------------------------------------------------------------------
# Plural forms


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1, 21, 101 раунд; 2-4, 22-24 раунда; 0, 5-20, 11-14, 111 раундов."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def plural(n: int, forms: Mapping[str, Sequence[str]], lang: str) -> str:
    """`forms[lang]` holds en (one, other), ru (one, few, many) or zh (one form: Chinese has
    no plural); the chosen form has `{n}` filled in. Unknown languages get English."""
    if lang not in forms:
        lang = DEFAULT_LANG
    words = forms[lang]
    if lang == "ru":
        chosen = plural_ru(n, words[0], words[1], words[2])
    elif lang == "zh":
        chosen = words[0]
    else:
        chosen = words[0] if abs(n) == 1 else words[1]
    return chosen.format(n=n)


# Counted things the evidence lines name
UNITS: dict[str, dict[str, tuple[str, ...]]] = {
    "rounds": {
        "en": ("{n} round", "{n} rounds"),
        "ru": ("{n} раунд", "{n} раунда", "{n} раундов"),
        "zh": ("{n} 轮",),
    },
    "minutes": {
        "en": ("{n} minute", "{n} minutes"),
        "ru": ("{n} минута", "{n} минуты", "{n} минут"),
        "zh": ("{n} 分钟",),
    },
    "seconds": {
        "en": ("{n} second", "{n} seconds"),
        "ru": ("{n} секунда", "{n} секунды", "{n} секунд"),
        "zh": ("{n} 秒",),
    },
    "targets": {
        "en": ("{n} host", "{n} hosts"),
        "ru": ("{n} узел", "{n} узла", "{n} узлов"),
        "zh": ("{n} 个主机",),
    },
}


# --------------------------------------------------------------------------------------------
# Terminal columns


def char_width(ch: str) -> int:
    """Columns one character takes in a terminal: 2 for East Asian Wide and Fullwidth, 0 for
    combining marks, format characters (zero-width joiners, bidi marks) and controls."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf", "Cc"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` filled with spaces to `width` terminal columns (on the left when `right`), so
    that columns of Chinese and Latin text line up; text already wider is left whole."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


# --------------------------------------------------------------------------------------------
# Service names: the `service:` ids of agent/profiles/default.yaml as a seller says them

SERVICE_NAMES: dict[str, dict[str, str]] = {
    "cabinet": {
        "en": "Seller cabinet",
        "ru": "Личный кабинет продавца",
        "zh": "卖家后台",
    },
    "login": {"en": "Ozon ID (login)", "ru": "Ozon ID (вход)", "zh": "Ozon ID（登录）"},
    "seller_api": {"en": "Seller API", "ru": "Seller API", "zh": "Seller API"},
    "ads_api": {
        "en": "Performance API (ads)",
        "ru": "Performance API (реклама)",
        "zh": "Performance API（广告）",
    },
    "storefront": {
        "en": "Storefront (ozon.ru)",
        "ru": "Витрина ozon.ru",
        "zh": "前台（ozon.ru）",
    },
    "cdn_images": {
        "en": "Product images (CDN)",
        "ru": "Фото товаров (CDN)",
        "zh": "商品图片（CDN）",
    },
    "cdn_static": {
        "en": "Cabinet scripts and styles (CDN)",
        "ru": "Скрипты и стили кабинета (CDN)",
        "zh": "后台脚本和样式（CDN）",
    },
    "video": {"en": "Video (CDN)", "ru": "Видео (CDN)", "zh": "视频（CDN）"},
    "docs": {
        "en": "Seller documentation",
        "ru": "Документация для продавцов",
        "zh": "卖家文档",
    },
}

# names that read the same in every language (a test allows them to)
SAME_IN_EVERY_LANGUAGE = frozenset({"Seller API"})


def service_name(service: str, lang: str) -> str:
    """The seller's word for a service id; an id we do not know is shown as it is."""
    names = SERVICE_NAMES.get(service)
    if names is None:
        return service
    return names.get(lang, names[DEFAULT_LANG])
