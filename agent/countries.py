"""Where the office is, and the control targets and public resolvers that fit it.

`site.country: auto` is decided from the time zone (the TZ variable, then the system's zone),
with the locale as a tie-breaker, and defaults to RU with the reason "could not tell". The
reason travels with the country (Site.country_reason) so that every display can say why.

`controls: auto` (the built-in profile's setting) adds the built-in control targets and public
resolvers of the office's country (agent/profiles/countries/<CC>.yaml) and, outside Russia,
Russia's too: "the internet at home works but Russia does not answer" then needs no editing.
Targets and resolvers listed in the config stay as they are; a built-in entry whose name (or,
for a resolver, address) is already listed is left out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from agent.config import Config, ConfigError, Resolver, Target, parse_config

RUSSIA = "RU"
PROFILE_COUNTRIES = ("RU", "CN", "KZ", "BY", "TR")
DEFAULT_COUNTRY = RUSSIA

# Time zones of the profile countries (tzdata's zone.tab, and its backward-compatible names)
ZONES: dict[str, str] = {
    **dict.fromkeys(
        (
            "Europe/Moscow", "Europe/Kaliningrad", "Europe/Kirov", "Europe/Volgograd",
            "Europe/Astrakhan", "Europe/Saratov", "Europe/Ulyanovsk", "Europe/Samara",
            "Asia/Yekaterinburg", "Asia/Omsk", "Asia/Novosibirsk", "Asia/Barnaul", "Asia/Tomsk",
            "Asia/Novokuznetsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Chita",
            "Asia/Yakutsk", "Asia/Khandyga", "Asia/Vladivostok", "Asia/Ust-Nera",
            "Asia/Magadan", "Asia/Sakhalin", "Asia/Srednekolymsk", "Asia/Kamchatka",
            "Asia/Anadyr", "W-SU",
        ),
        "RU",
    ),
    **dict.fromkeys(
        (
            "Asia/Shanghai", "Asia/Urumqi", "PRC", "Asia/Chongqing", "Asia/Chungking",
            "Asia/Harbin", "Asia/Kashgar",
            # Hong Kong and Macau have no profile of their own; their offices reach the
            # mainland controls (Baidu, Tencent, Alibaba) and their path to Russia is as
            # international as the mainland's, so the CN profile serves them
            "Asia/Hong_Kong", "Hongkong", "Asia/Macau", "Asia/Macao",
        ),
        "CN",
    ),
    **dict.fromkeys(
        (
            "Asia/Almaty", "Asia/Qyzylorda", "Asia/Qostanay", "Asia/Aqtobe", "Asia/Aqtau",
            "Asia/Atyrau", "Asia/Oral",
        ),
        "KZ",
    ),
    "Europe/Minsk": "BY",
    **dict.fromkeys(("Europe/Istanbul", "Asia/Istanbul", "Turkey"), "TR"),
}  # fmt: skip

# A locale's language alone, when it names no territory: the country it most likely means
_LANGUAGE_COUNTRY = {"zh": "CN", "ru": "RU", "kk": "KZ", "be": "BY", "tr": "TR"}

# How the country was decided: the first part of a reason ("source:value;...")
REASON_WORDS: dict[str, dict[str, str]] = {
    "config": {
        "en": "set in the config file",
        "ru": "задана в файле настроек",
        "zh": "在配置文件中设置",
    },
    "tz": {
        "en": "from the time zone {value} (the TZ variable)",
        "ru": "по часовому поясу {value} (переменная TZ)",
        "zh": "根据时区 {value}（TZ 环境变量）",
    },
    "localtime": {
        "en": "from the system time zone {value}",
        "ru": "по системному часовому поясу {value}",
        "zh": "根据系统时区 {value}",
    },
    "timezone_file": {
        "en": "from the system time zone {value} (/etc/timezone)",
        "ru": "по системному часовому поясу {value} (/etc/timezone)",
        "zh": "根据系统时区 {value}（/etc/timezone）",
    },
    "locale": {
        "en": "from the locale {value} (the time zone did not tell)",
        "ru": "по локали {value} (часовой пояс ничего не сказал)",
        "zh": "根据区域设置 {value}（时区无法判断）",
    },
    "default": {
        "en": "could not tell from the time zone or the locale: Russia assumed; set site.country",
        "ru": "не удалось определить по часовому поясу и локали: выбрана Россия; укажите "
        "site.country",
        "zh": "无法根据时区或区域设置判断：默认按俄罗斯处理；请设置 site.country",
    },
    "locale_other": {
        "en": "but the locale {value} suggests {country}",
        "ru": "но локаль {value} указывает на {country}",
        "zh": "但区域设置 {value} 指向{country}",
    },
}

DOUBT_WORDS: dict[str, dict[str, str]] = {
    "country_doubt": {
        "en": "The control hosts in {home} do not answer while those in {answering} do: is this "
        "office really in {home} ({why})? If not, set site.country.",
        "ru": "Контрольные узлы в стране {home} не отвечают, а в стране {answering} отвечают: "
        "офис точно в стране {home} ({why})? Если нет, укажите site.country.",
        "zh": "{home}的对照主机无响应，而{answering}的对照主机有响应："
        "办公室真的在{home}吗（{why}）？如果不是，请设置 site.country。",
    },
}

COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "RU": {"en": "Russia", "ru": "Россия", "zh": "俄罗斯"},
    "CN": {"en": "China", "ru": "Китай", "zh": "中国"},
    "KZ": {"en": "Kazakhstan", "ru": "Казахстан", "zh": "哈萨克斯坦"},
    "BY": {"en": "Belarus", "ru": "Беларусь", "zh": "白俄罗斯"},
    "TR": {"en": "Turkey", "ru": "Турция", "zh": "土耳其"},
}


def country_name(country: str, lang: str) -> str:
    names = COUNTRY_NAMES.get(country)
    return names.get(lang, names["en"]) if names else country


def country_reason_text(reason: str, lang: str) -> str:
    """A reason of detect_country (or "config") worded for a person."""
    parts: list[str] = []
    for part in reason.split(";"):
        code, _, value = part.partition(":")
        texts = REASON_WORDS.get(code)
        if texts is None:
            parts.append(part)
            continue
        other, _, locale_value = value.partition("=")
        if code == "locale_other":
            value, country = locale_value, country_name(other, lang)
        else:
            country = ""
        parts.append(texts.get(lang, texts["en"]).format(value=value, country=country))
    return ", ".join(parts) if lang != "zh" else "，".join(parts)


@dataclass(frozen=True)
class CountryDoubt:
    """Evidence against the office's country: its own controls are silent while another
    country's answer. Not a verdict (a home-only outage looks the same), a doubt to show."""

    home: str
    answering: tuple[str, ...]
    reason: str  # how the home country was decided (Site.country_reason)

    code = "country_doubt"


def country_doubt(
    home: str, answered: Mapping[str, bool | None], reason: str = "config"
) -> CountryDoubt | None:
    """`answered` maps a country to whether any of its control targets (or public resolvers)
    answered in the latest round: True, False (all silent) or None (no data yet). A doubt when
    home is False and some other country is True; nothing while home has no data."""
    if answered.get(home) is not False:
        return None
    others = tuple(sorted(c for c, ok in answered.items() if ok is True and c != home))
    return CountryDoubt(home, others, reason) if others else None


def country_doubt_text(doubt: CountryDoubt, lang: str) -> str:
    texts = DOUBT_WORDS[doubt.code]
    sep = "、" if lang == "zh" else ", "
    return texts.get(lang, texts["en"]).format(
        home=country_name(doubt.home, lang),
        answering=sep.join(country_name(c, lang) for c in doubt.answering),
        why=country_reason_text(doubt.reason, lang),
    )


# --------------------------------------------------------------------------------------------
# Deciding the country


def _zone_name(text: str) -> str:
    """'Asia/Shanghai', ':Asia/Shanghai', '/usr/share/zoneinfo/Asia/Shanghai' -> 'Asia/Shanghai'."""
    text = text.strip().lstrip(":")
    if "zoneinfo/" in text:
        text = text.split("zoneinfo/", 1)[1]
    return text


def _localtime_zone(localtime: Path, zoneinfo: Path) -> str | None:
    try:
        if localtime.is_symlink():
            return _zone_name(str(localtime.readlink()))
        content = localtime.read_bytes()
    except OSError:
        return None
    # a copied zone file (containers often copy instead of linking): find which zone it is,
    # among the ones that decide something
    for zone in ZONES:
        try:
            if (zoneinfo / zone).read_bytes() == content:
                return zone
        except OSError:
            continue
    return None


_LOCALE_TAG = re.compile(r"^([A-Za-z]{2,3})(?:_([A-Za-z]{2}))?$")


def _locale_country(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(country, locale tag) from the first set of LC_ALL, LC_MESSAGES, LANG, LANGUAGE's
    items. Only the tag (zh_CN) is kept for the reason: the variable itself may hold anything,
    and the reason ends up in comments and on the page."""
    candidates = [environ.get(v, "") for v in ("LC_ALL", "LC_MESSAGES", "LANG")]
    candidates += environ.get("LANGUAGE", "").split(":")
    for value in candidates:
        if not value or value in ("C", "POSIX") or value.startswith("C."):
            continue
        m = _LOCALE_TAG.match(value.split(".", 1)[0].split("@", 1)[0].replace("-", "_"))
        if not m:
            return None  # not a locale name: it tells nothing
        language, territory = m.group(1).lower(), (m.group(2) or "").upper()
        tag = f"{language}_{territory}" if territory else language
        if territory in PROFILE_COUNTRIES:
            return territory, tag
        if not territory and language in _LANGUAGE_COUNTRY:
            return _LANGUAGE_COUNTRY[language], tag
        return None  # a locale of another country: it tells nothing about these
    return None


def detect_country(
    environ: Mapping[str, str],
    *,
    localtime: Path = Path("/etc/localtime"),
    timezone_file: Path = Path("/etc/timezone"),
    zoneinfo: Path = Path("/usr/share/zoneinfo"),
) -> tuple[str, str]:
    """(country, reason). The time zone decides: the TZ variable, then /etc/localtime (what
    the C library reads), then Debian's /etc/timezone; a zone outside the profile countries'
    (UTC, say) decides nothing and the next source is asked. Then the locale's territory
    (zh_CN -> CN). Then RU, with the reason "default". When the zone decided and the locale
    points at another profile country, the reason says so (";locale_other:CN=zh_CN"),
    so the display can show the doubt instead of hiding it."""
    sources: list[tuple[str, str | None]] = [("tz", _zone_name(environ.get("TZ", "")) or None)]
    sources.append(("localtime", _localtime_zone(localtime, zoneinfo)))
    with contextlib.suppress(OSError, UnicodeDecodeError):
        sources.append(("timezone_file", _zone_name(timezone_file.read_text()) or None))
    by_locale = _locale_country(environ)
    for source, zone in sources:
        if zone and zone in ZONES:
            country = ZONES[zone]
            reason = f"{source}:{zone}"
            if by_locale and by_locale[0] != country:
                reason += f";locale_other:{by_locale[0]}={by_locale[1]}"
            return country, reason
    if by_locale:
        return by_locale[0], f"locale:{by_locale[1]}"
    return DEFAULT_COUNTRY, "default"


# --------------------------------------------------------------------------------------------
# The built-in profiles


@dataclass(frozen=True)
class CountryProfile:
    country: str
    controls: tuple[Target, ...]  # the country's own, then (outside Russia) Russia's
    resolvers: tuple[Resolver, ...]


def profile_text(country: str) -> str:
    path = resources.files("agent").joinpath(f"profiles/countries/{country}.yaml")
    return path.read_text(encoding="utf-8")


def _entries(country: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    doc = yaml.safe_load(profile_text(country))
    if doc.get("country") != country:
        raise ValueError(f"profiles/countries/{country}.yaml says country {doc.get('country')}")
    controls = [{"group": "control", "country": country, **c} for c in doc.get("controls") or []]
    resolvers = [{"country": country, **r} for r in doc.get("resolvers") or []]
    return controls, resolvers


@cache
def load_profile(country: str) -> CountryProfile:
    """The built-in profile of a country (one of PROFILE_COUNTRIES); KeyError for another."""
    if country not in PROFILE_COUNTRIES:
        raise KeyError(country)
    controls, resolvers = _entries(country)
    if country != RUSSIA:
        ru_controls, ru_resolvers = _entries(RUSSIA)
        controls += [c for c in ru_controls if c["country"] == RUSSIA]
        resolvers += [r for r in ru_resolvers if r["country"] == RUSSIA]
    # the config parser checks the entries as strictly as a user's file; the placeholder
    # `system` resolver only lets a profile without public resolvers carry dns probes
    doc = {"resolvers": [{"name": "system", "address": "system"}, *resolvers], "targets": controls}
    parsed = parse_config(yaml.safe_dump(doc, sort_keys=False), f"<profile {country}>")
    return CountryProfile(country, parsed.targets, parsed.resolvers[1:])


def apply_country_profile(
    config: Config,
    environ: Mapping[str, str],
    *,
    localtime: Path = Path("/etc/localtime"),
    timezone_file: Path = Path("/etc/timezone"),
    zoneinfo: Path = Path("/usr/share/zoneinfo"),
) -> Config:
    """The config as it will run: `site.country: auto` decided (with its reason), and for
    `controls: auto` the built-in controls and resolvers of that country and Russia added.
    The result says `controls: listed`: applying it again changes nothing."""
    site = config.site
    if site.country == "auto":
        country, reason = detect_country(
            environ, localtime=localtime, timezone_file=timezone_file, zoneinfo=zoneinfo
        )
    else:
        country, reason = site.country, site.country_reason or "config"
    targets, resolvers = config.targets, config.resolvers
    if config.controls == "auto":
        if country not in PROFILE_COUNTRIES:
            raise ConfigError(
                f"{config.source}: controls: auto: no built-in controls for {country} (built-in:"
                f" {', '.join(sorted(PROFILE_COUNTRIES))}); list your control targets and"
                " resolvers and set controls: listed"
            )
        profile = load_profile(country)
        names = {t.name for t in targets}
        targets += tuple(t for t in profile.controls if t.name not in names)
        taken: set[str | tuple[str, int]] = {r.name for r in resolvers}
        taken |= {(r.address, r.port) for r in resolvers}
        resolvers += tuple(
            r for r in profile.resolvers if r.name not in taken and (r.address, r.port) not in taken
        )
    return dataclasses.replace(
        config,
        site=dataclasses.replace(site, country=country, country_reason=reason),
        targets=targets,
        resolvers=resolvers,
        controls="listed",
    )
