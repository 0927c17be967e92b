# The phrase table keeps each sentence on one line, so a translator sees it whole.
# ruff: noqa: E501
"""`ozon-probe report`: the record a seller sends to Ozon support or to their ISP, as it is.

Built from the journal (agent/journal.py), never from worded text stored there: the journal
keeps reason codes, and `describe(reason, lang)` (the agent's wording of reason codes) turns
them into sentences at report time, in the reader's language. Times are shown in the seller's
time zone (`site.timezone`) and in Moscow time, which is what Ozon support works in.

`build_report` gives the JSON form (a dict); `render` prints it as Markdown, one self-contained
printable HTML file, or JSON.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from agent.i18n import word
from agent.journal import Incident, Journal
from agent.vocabulary import OZON_SIDE, YOUR_SIDE, Cause

LANGS = ("en", "ru", "zh")
MOSCOW = ZoneInfo("Europe/Moscow")
PLATFORM_CAUSES = frozenset(c.value for c in OZON_SIDE)
#: causes on the seller's side of the line, DNS apart (it has its own advice), and the slow
#: network in between: the report gives what an ISP's support asks for
NETWORK_CAUSES = frozenset(c.value for c in (*YOUR_SIDE, Cause.NETWORK_DEGRADED) if c != Cause.DNS)

Describe = Callable[[dict[str, Any], str], str]

# Every fixed phrase of the report, in the three languages (a test checks none is missing).
PHRASES: dict[str, dict[str, str]] = {
    "title": {
        "en": "Connection incident report",
        "ru": "Отчёт о сбоях связи",
        "zh": "网络故障报告",
    },
    "generated": {"en": "Generated", "ru": "Составлен", "zh": "生成时间"},
    "site": {"en": "Site", "ru": "Офис", "zh": "站点"},
    "period": {"en": "Period", "ru": "Период", "zh": "时间范围"},
    "no_incidents": {
        "en": "No incidents in this period: everything the agent checked worked.",
        "ru": "За этот период сбоев не было: всё, что проверял агент, работало.",
        "zh": "此期间没有故障：代理检查的所有项目均正常。",
    },
    "no_data": {
        "en": "The journal holds no observations for this period: was the agent running?",
        "ru": "В журнале нет наблюдений за этот период: работал ли агент?",
        "zh": "日志中没有此期间的观测记录：代理是否在运行？",
    },
    "other_notes": {
        "en": "Notes outside incidents",
        "ru": "Заметки вне сбоев",
        "zh": "故障之外的备注",
    },
    "incident": {"en": "Incident", "ru": "Сбой", "zh": "故障"},
    "what": {"en": "What was broken", "ru": "Что не работало", "zh": "故障内容"},
    "side": {"en": "Whose side", "ru": "На чьей стороне", "zh": "责任方"},
    "start": {"en": "Start", "ru": "Начало", "zh": "开始"},
    "end": {"en": "End", "ru": "Конец", "zh": "结束"},
    "ongoing": {
        "en": "still going on",
        "ru": "продолжается",
        "zh": "仍在持续",
    },
    "duration": {"en": "Duration", "ru": "Длительность", "zh": "持续时间"},
    "local_time": {"en": "your time", "ru": "ваше время", "zh": "当地时间"},
    "moscow_time": {"en": "Moscow time", "ru": "МСК", "zh": "莫斯科时间"},
    "services": {
        "en": "Ozon services affected",
        "ru": "Затронутые сервисы Ozon",
        "zh": "受影响的 Ozon 服务",
    },
    "none_seen": {
        "en": "none could be checked",
        "ru": "проверить не удалось",
        "zh": "无法检查",
    },
    "phases": {"en": "Phases", "ru": "Этапы", "zh": "阶段"},
    "evidence": {"en": "Evidence", "ru": "Доказательства", "zh": "证据"},
    "state_down": {"en": "down", "ru": "не работал", "zh": "不可用"},
    "state_degraded": {"en": "errors or slow", "ru": "ошибки или медленно", "zh": "出错或缓慢"},
    "peaks": {"en": "Worst figures", "ru": "Худшие значения", "zh": "最差数值"},
    "notes": {"en": "Your notes", "ru": "Ваши заметки", "zh": "您的备注"},
    "next": {"en": "What to do next", "ru": "Что делать дальше", "zh": "下一步"},
    "support_msg": {
        "en": "Message for Ozon support chat (copy as it is)",
        "ru": "Сообщение в чат поддержки Ozon (скопируйте как есть)",
        "zh": "发给 Ozon 客服的消息（直接复制）",
    },
    "channels": {
        "en": "Where Ozon announces outages",
        "ru": "Где Ozon сообщает о сбоях",
        "zh": "Ozon 发布故障通知的渠道",
    },
    "isp_figures": {
        "en": "Figures for your internet provider's support",
        "ru": "Данные для поддержки вашего интернет-провайдера",
        "zh": "提供给网络运营商客服的数据",
    },
    "hosts": {"en": "Hosts that failed", "ru": "Недоступные узлы", "zh": "故障主机"},
    "resolvers": {
        "en": "DNS resolver answers",
        "ru": "Ответы DNS-серверов",
        "zh": "DNS 服务器的应答",
    },
    "loss": {"en": "packet loss", "ru": "потери пакетов", "zh": "丢包率"},
    "rtt": {"en": "round-trip time", "ru": "задержка (RTT)", "zh": "往返时延"},
    "first_byte": {"en": "time to first byte", "ru": "время до первого байта", "zh": "首字节时间"},
    "manual": {
        "en": "seen by a manual check only",
        "ru": "замечено только ручной проверкой",
        "zh": "仅由手动检查发现",
    },
    "unknown_cause": {"en": "unknown", "ru": "неизвестно", "zh": "未知"},
    # the sides of the line
    "side_local_network": {
        "en": "your side (office network)",
        "ru": "ваша сторона (офисная сеть)",
        "zh": "您这边（办公网络）",
    },
    "side_isp": {
        "en": "your internet provider",
        "ru": "ваш интернет-провайдер",
        "zh": "您的网络运营商",
    },
    "side_international_path": {
        "en": "the international path to Russia",
        "ru": "международный канал до России",
        "zh": "通往俄罗斯的国际线路",
    },
    "side_dns": {
        "en": "DNS (the name resolver)",
        "ru": "DNS (сервер имён)",
        "zh": "DNS（域名解析服务器）",
    },
    "side_network_filtering": {
        "en": "a filter on the way (your provider, a firewall or proxy)",
        "ru": "фильтр на пути (провайдер, межсетевой экран или прокси)",
        "zh": "途中的过滤设备（运营商、防火墙或代理）",
    },
    "side_platform_outage": {"en": "Ozon", "ru": "Ozon", "zh": "Ozon"},
    "side_platform_degraded": {"en": "Ozon", "ru": "Ozon", "zh": "Ozon"},
    "side_network_degraded": {
        "en": "the network between you and Ozon (your side or your provider)",
        "ru": "сеть между вами и Ozon (ваша сторона или провайдер)",
        "zh": "您与 Ozon 之间的网络（您这边或运营商）",
    },
    # what was broken, per cause
    "what_local_network": {
        "en": "This computer or the office router was cut off from the internet.",
        "ru": "Этот компьютер или офисный роутер был отключён от интернета.",
        "zh": "这台电脑或办公室路由器与互联网断开。",
    },
    "what_isp": {
        "en": "The router answered, but the internet provider passed no traffic.",
        "ru": "Роутер отвечал, но интернет-провайдер не пропускал трафик.",
        "zh": "路由器有响应，但网络运营商没有转发流量。",
    },
    "what_international_path": {
        "en": "The internet in your country worked, but the path to Russia was broken or slow.",
        "ru": "Интернет в вашей стране работал, но путь до России был оборван или медленный.",
        "zh": "本国互联网正常，但通往俄罗斯的线路中断或缓慢。",
    },
    "what_dns": {
        "en": "Names of Ozon's sites did not resolve (or resolved wrongly).",
        "ru": "Имена сайтов Ozon не определялись (или определялись неверно).",
        "zh": "Ozon 网站的域名无法解析（或解析错误）。",
    },
    "what_network_filtering": {
        "en": "Connections to some Ozon sites were stopped on the way by the name they asked for, while the same servers answered other names.",
        "ru": "Соединения с частью сайтов Ozon обрывались по пути по имени сайта, хотя те же серверы отвечали на другие имена.",
        "zh": "到部分 Ozon 网站的连接在途中按网站名称被拦截，而同样的服务器对其他名称有响应。",
    },
    "what_platform_outage": {
        "en": "Ozon's services did not work while the network to them did.",
        "ru": "Сервисы Ozon не работали, хотя сеть до них работала.",
        "zh": "网络正常，但 Ozon 的服务无法使用。",
    },
    "what_platform_degraded": {
        "en": "Some Ozon services failed or were slow while the network was fine.",
        "ru": "Часть сервисов Ozon давала ошибки или работала медленно; сеть была в порядке.",
        "zh": "网络正常，但部分 Ozon 服务出错或缓慢。",
    },
    "what_network_degraded": {
        "en": "The network lost packets or was slow on the way to Ozon.",
        "ru": "Сеть теряла пакеты или была медленной на пути к Ozon.",
        "zh": "通往 Ozon 的网络丢包或缓慢。",
    },
    # what to do next, per side
    "next_local_network": {
        "en": "Check the cable or Wi-Fi and restart the router; if it happens again, show this report to whoever runs your office network.",
        "ru": "Проверьте кабель или Wi-Fi и перезагрузите роутер; если повторится, покажите отчёт тому, кто обслуживает офисную сеть.",
        "zh": "检查网线或 Wi-Fi 并重启路由器；如再次发生，请把本报告交给办公网络管理员。",
    },
    "next_isp": {
        "en": "Call your internet provider and give them the figures below.",
        "ru": "Позвоните интернет-провайдеру и сообщите ему данные ниже.",
        "zh": "致电网络运营商并提供下方数据。",
    },
    "next_international_path": {
        "en": "Ask your provider about the international link to Russia, with the figures below; another provider or a line to Russia avoids it. Ozon is not at fault.",
        "ru": "Спросите провайдера о международном канале в Россию, приложив данные ниже; другой провайдер или канал в Россию обходит проблему. Ozon здесь ни при чём.",
        "zh": "带上下方数据向运营商询问通往俄罗斯的国际线路；更换运营商或使用通往俄罗斯的专线可以绕开。这不是 Ozon 的问题。",
    },
    "next_dns": {
        "en": "Switch the router or this computer to a public DNS resolver that answered correctly (see the evidence), or ask your provider to fix theirs.",
        "ru": "Переключите роутер или компьютер на публичный DNS-сервер, который отвечал правильно (см. доказательства), или попросите провайдера исправить свой.",
        "zh": "将路由器或电脑改用应答正确的公共 DNS 服务器（见证据），或请运营商修复其 DNS。",
    },
    "next_network_filtering": {
        "en": "Show this report to your internet provider or network administrator: the evidence names the sites stopped and the addresses that answered other names. Ozon support cannot lift a filter on your line.",
        "ru": "Покажите отчёт провайдеру или администратору сети: в доказательствах указаны заблокированные сайты и адреса, отвечавшие на другие имена. Поддержка Ozon не может снять фильтр на вашей линии.",
        "zh": "请把本报告交给网络运营商或网络管理员：证据列出了被拦截的网站以及对其他名称有响应的地址。Ozon 客服无法解除您线路上的过滤。",
    },
    "next_platform": {
        "en": "Your network was fine. Check Ozon's announcements, then send the message below to Ozon support with this report.",
        "ru": "Ваша сеть работала. Проверьте объявления Ozon, затем отправьте сообщение ниже в поддержку Ozon вместе с этим отчётом.",
        "zh": "您的网络正常。请查看 Ozon 的公告，然后把下方消息连同本报告发给 Ozon 客服。",
    },
    "next_network_degraded": {
        "en": "If it lasts, give the figures below to your internet provider; a wired connection rules out Wi-Fi.",
        "ru": "Если это продолжается, передайте данные ниже провайдеру; подключение по кабелю исключит Wi-Fi.",
        "zh": "如果持续，请把下方数据提供给网络运营商；改用有线连接可排除 Wi-Fi 问题。",
    },
    # Ozon's announcement channels: only what docs research supports (no public status page)
    "channel_dev": {
        "en": "dev.ozon.ru (Ozon for developers: Seller API news)",
        "ru": "dev.ozon.ru (Ozon для разработчиков: новости Seller API)",
        "zh": "dev.ozon.ru（Ozon 开发者网站：Seller API 通知）",
    },
    "channel_telegram": {
        "en": "Ozon's Telegram chat for sellers",
        "ru": "Telegram-чат Ozon для продавцов",
        "zh": "Ozon 卖家 Telegram 群",
    },
    "channel_press": {
        "en": "the news: Ozon has no public status page",
        "ru": "новости: публичной страницы статуса у Ozon нет",
        "zh": "新闻报道：Ozon 没有公开的状态页面",
    },
    # the support message (sentences with {placeholders})
    "msg_hello": {"en": "Hello!", "ru": "Здравствуйте!", "zh": "您好！"},
    "msg_when": {
        "en": "From {start} to {end} (Moscow time) these Ozon services did not work for us: {services}.",
        "ru": "С {start} по {end} (МСК) у нас не работали сервисы Ozon: {services}.",
        "zh": "莫斯科时间 {start} 至 {end}，以下 Ozon 服务无法使用：{services}。",
    },
    "msg_since": {
        "en": "Since {start} (Moscow time) these Ozon services do not work for us: {services}.",
        "ru": "С {start} (МСК) у нас не работают сервисы Ozon: {services}.",
        "zh": "自莫斯科时间 {start} 起，以下 Ozon 服务无法使用：{services}。",
    },
    "msg_network": {
        "en": "Our network worked at that time: other sites and our provider answered normally.",
        "ru": "Наша сеть в это время работала: другие сайты и провайдер отвечали нормально.",
        "zh": "当时我们的网络正常：其他网站和运营商均正常响应。",
    },
    "msg_seen": {"en": "What we saw:", "ru": "Что мы видели:", "zh": "我们看到的情况："},
    "msg_ask": {
        "en": "Please tell us whether this was a failure on Ozon's side and when it will be fixed. The full report is attached.",
        "ru": "Подскажите, пожалуйста, был ли это сбой на стороне Ozon и когда его исправят. Полный отчёт приложен.",
        "zh": "请告知这是否是 Ozon 方面的故障以及何时修复。完整报告已附上。",
    },
    "all_services": {"en": "Ozon services", "ru": "сервисы Ozon", "zh": "Ozon 服务"},
}

SERVICE_NAMES: dict[str, dict[str, str]] = {
    "cabinet": {"en": "seller cabinet", "ru": "личный кабинет продавца", "zh": "卖家后台"},
    "login": {"en": "login (Ozon ID)", "ru": "вход (Ozon ID)", "zh": "登录（Ozon ID）"},
    "seller_api": {"en": "Seller API", "ru": "Seller API", "zh": "Seller API"},
    "ads_api": {"en": "Performance (ads) API", "ru": "Performance API (реклама)", "zh": "广告 API"},
    "storefront": {"en": "storefront", "ru": "витрина", "zh": "前台商店"},
    "cdn_images": {"en": "product images", "ru": "изображения товаров", "zh": "商品图片"},
    "cdn_static": {
        "en": "cabinet pages (static files)",
        "ru": "страницы кабинета (статика)",
        "zh": "后台页面（静态文件）",
    },
}


def phrase(key: str, lang: str) -> str:
    entry = PHRASES[key]
    return entry.get(lang) or entry["en"]


def service_name(service: str, lang: str) -> str:
    names = SERVICE_NAMES.get(service)
    return (names.get(lang) or names["en"]) if names else service


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """1 минута, 2 минуты, 5 минут, 11 минут, 21 минута, 22 минуты."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


_UNITS = {
    # unit: lang: forms (en: one, other; ru: one, few, many; zh: one)
    "d": {"en": ("day", "days"), "ru": ("день", "дня", "дней"), "zh": ("天",)},
    "h": {"en": ("hour", "hours"), "ru": ("час", "часа", "часов"), "zh": ("小时",)},
    "m": {"en": ("minute", "minutes"), "ru": ("минута", "минуты", "минут"), "zh": ("分钟",)},
    "s": {"en": ("second", "seconds"), "ru": ("секунда", "секунды", "секунд"), "zh": ("秒",)},
}


def _count(n: int, unit: str, lang: str) -> str:
    forms = _UNITS[unit].get(lang) or _UNITS[unit]["en"]
    if lang == "ru":
        return f"{n} {plural_ru(n, *forms)}"
    if lang == "zh":
        return f"{n} {forms[0]}"
    return f"{n} {forms[0] if n == 1 else forms[1]}"


def duration_text(seconds: float, lang: str) -> str:
    """Two largest units: '1 час 5 минут', '2 days 3 hours', '45 秒'."""
    s = max(0, round(seconds))
    parts: list[tuple[int, str]] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size or (unit == "s" and not parts):
            parts.append((s // size, unit))
            s %= size
    parts = [(n, u) for n, u in parts[:2] if n or len(parts) == 1]
    return " ".join(_count(n, u, lang) for n, u in parts)


def default_describe(reason: dict[str, Any], lang: str) -> str:
    """Fallback wording: the code and its parameters, readably (`http_status: status=503`)."""
    params = reason.get("params") or {}
    inner = ", ".join(f"{k}={_plain(v)}" for k, v in sorted(params.items()))
    return f"{reason.get('code', '?')}: {inner}" if inner else str(reason.get("code", "?"))


def _plain(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_plain(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={_plain(x)}" for k, x in v.items()) + "}"
    return str(v)


def _times(at: float, tz: ZoneInfo) -> dict[str, str]:
    utc = dt.datetime.fromtimestamp(at, dt.UTC)
    return {
        "utc": utc.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "local": utc.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z"),
        "moscow": utc.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M:%S"),
    }


def _side_key(cause: str) -> str:
    return f"side_{cause}" if f"side_{cause}" in PHRASES else "unknown_cause"


def _hosts(inc: Incident) -> list[str]:
    out: dict[str, None] = {}
    for e in inc.evidence:
        for key in ("target", "host"):
            v = e.params.get(key)
            if isinstance(v, str) and v:
                out[v] = None
    return list(out)


def _resolver_answers(inc: Incident, describe: Describe, lang: str) -> list[str]:
    return [
        describe({"code": e.code, "params": e.params}, lang)
        for e in inc.evidence
        if "resolver" in e.params
    ]


def _figure_lines(peaks: dict[str, float], lang: str) -> list[str]:
    lines = []
    if "loss_ratio" in peaks:
        lines.append(f"{phrase('loss', lang)}: {peaks['loss_ratio'] * 100:.0f}%")
    if "rtt_ms" in peaks:
        lines.append(f"{phrase('rtt', lang)}: {peaks['rtt_ms']:.0f} {word('ms', lang)}")
    if "first_byte_ms" in peaks:
        lines.append(
            f"{phrase('first_byte', lang)}: {peaks['first_byte_ms']:.0f} {word('ms', lang)}"
        )
    for k in sorted(set(peaks) - {"loss_ratio", "rtt_ms", "first_byte_ms"}):
        lines.append(f"{k}: {peaks[k]:g}")
    return lines


def _support_message(
    inc: Incident, lang: str, start: dict[str, str], end: dict[str, str] | None, evidence: list[str]
) -> str:
    services = ", ".join(service_name(s, lang) for s in inc.services) or phrase(
        "all_services", lang
    )
    if end is None:
        when = phrase("msg_since", lang).format(start=start["moscow"], services=services)
    else:
        when = phrase("msg_when", lang).format(
            start=start["moscow"], end=end["moscow"], services=services
        )
    lines = [phrase("msg_hello", lang), when, phrase("msg_network", lang), phrase("msg_seen", lang)]
    lines += [f"- {e}" for e in evidence[:8]]
    lines.append(phrase("msg_ask", lang))
    return "\n".join(lines)


def _incident(
    inc: Incident, lang: str, tz: ZoneInfo, describe: Describe, now: float
) -> dict[str, Any]:
    cause = inc.cause
    start = _times(inc.start, tz)
    end = _times(inc.end, tz) if inc.end is not None else None
    evidence: list[dict[str, Any]] = [
        {
            "code": e.code,
            "params": e.params,
            "text": describe({"code": e.code, "params": e.params}, lang),
            "first": _times(e.first_at, tz),
            "last": _times(e.last_at, tz),
            "count": e.count,
        }
        for e in inc.evidence
    ]
    out: dict[str, Any] = {
        "id": inc.id,
        "cause": cause,
        "causes": inc.causes,
        "side": _side_key(cause).removeprefix("side_"),
        "side_text": phrase(_side_key(cause), lang),
        "what": phrase(f"what_{cause}", lang) if f"what_{cause}" in PHRASES else cause,
        "start": start,
        "end": end,
        "ongoing": inc.end is None,
        "last_seen_broken": _times(inc.last_bad, tz),
        "duration_seconds": round(inc.duration(now)),
        "duration_text": duration_text(inc.duration(now), lang),
        "manual_only": inc.manual_only,
        "phases": [{"cause": p.cause, "start": _times(p.start, tz)} for p in inc.phases],
        "services": {
            s: {"state": st, "name": service_name(s, lang)} for s, st in inc.services.items()
        },
        "evidence": evidence,
        "peaks": inc.peaks,
        "peaks_text": _figure_lines(inc.peaks, lang),
        "notes": [{"at": _times(n.at, tz), "text": n.text} for n in inc.notes],
    }
    texts = [e["text"] for e in evidence]
    if cause in PLATFORM_CAUSES:
        out["next"] = phrase("next_platform", lang)
        messages = {"ru": _support_message(inc, "ru", start, end, texts_ru(inc, describe))}
        if lang != "ru":
            messages[lang] = _support_message(inc, lang, start, end, texts)
        out["support_message"] = messages
        out["channels"] = [
            phrase(k, lang) for k in ("channel_dev", "channel_telegram", "channel_press")
        ]
    else:
        key = f"next_{cause}"
        out["next"] = phrase(key, lang) if key in PHRASES else ""
    if cause in NETWORK_CAUSES or cause == "dns":
        out["isp_figures"] = {
            "start": start,
            "end": end,
            "figures": _figure_lines(inc.peaks, lang),
            "hosts": _hosts(inc),
            "resolvers": _resolver_answers(inc, describe, lang),
        }
    return out


def texts_ru(inc: Incident, describe: Describe) -> list[str]:
    return [describe({"code": e.code, "params": e.params}, "ru") for e in inc.evidence]


def build_report(
    journal: Journal,
    *,
    since: float,
    until: float | None = None,
    incident_id: int | None = None,
    lang: str = "en",
    tz: ZoneInfo | str | None = None,
    describe: Describe = default_describe,
    site: str = "",
    now: float | None = None,
) -> dict[str, Any]:
    """The report as JSON-ready data. `incident_id` picks one incident whatever its time."""
    lang = lang if lang in LANGS else "en"
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz) if tz else _system_zone()
    now = time.time() if now is None else now
    if incident_id is not None:
        one = journal.incident(incident_id)
        incidents = [one] if one is not None else []
    else:
        incidents = journal.incidents(since, until)
    services = journal.services(since)
    return {
        "report": "ozon-probe incident report",
        "lang": lang,
        "site": site,
        "timezone": str(zone.key),
        "generated": _times(now, zone),
        "since": _times(since, zone),
        "until": _times(until if until is not None else now, zone),
        "journal_healthy": journal.healthy,
        "incidents": [_incident(i, lang, zone, describe, now) for i in incidents],
        "availability": {s: journal.availability(s, since, until) for s in services},
        # rows inside the window, not the verdict carried in from before it
        "observed": bool(services) or any(v.at >= since for v in journal.timeline(since, until)),
        "notes": [
            {"at": _times(n.at, zone), "text": n.text}
            for n in journal.notes(since, until)
            if n.incident_id is None and incident_id is None
        ],
    }


def _system_zone() -> ZoneInfo:
    from agent.config import system_timezone

    return ZoneInfo(system_timezone())


# -- rendering --------------------------------------------------------------------------------


def render(report: dict[str, Any], fmt: str, lang: str | None = None) -> str:
    lang = lang or str(report.get("lang", "en"))
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    if fmt == "md":
        return _markdown(report, lang)
    if fmt == "html":
        return _html(report, lang)
    raise ValueError(f"unknown report format {fmt!r} (md, html or json)")


def _when(t: dict[str, str] | None, lang: str) -> str:
    if t is None:
        return phrase("ongoing", lang)
    return (
        f"{t['local']} ({phrase('local_time', lang)}); {t['moscow']} {phrase('moscow_time', lang)}"
    )


def _md_escape(text: str) -> str:
    # the report is read as text as often as rendered: escape only what would restyle it
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in text)


def _sections(inc: dict[str, Any], lang: str) -> list[tuple[str, list[str] | str]]:
    """The parts of an incident shared by the Markdown and HTML forms: (heading, lines)."""
    services = [
        f"{s['name']} ({phrase('state_' + s['state'], lang)})"
        for s in inc["services"].values()
        if "state_" + s["state"] in PHRASES
    ] or [phrase("none_seen", lang)]
    rows: list[tuple[str, list[str] | str]] = [
        (
            phrase("what", lang),
            inc["what"] + (f" ({phrase('manual', lang)})" if inc["manual_only"] else ""),
        ),
        (phrase("side", lang), inc["side_text"]),
        (phrase("start", lang), _when(inc["start"], lang)),
        (phrase("end", lang), _when(inc["end"], lang)),
        (
            phrase("duration", lang),
            inc["duration_text"] + (f" ({phrase('ongoing', lang)})" if inc["ongoing"] else ""),
        ),
        (phrase("services", lang), ", ".join(services)),
    ]
    if len(inc["phases"]) > 1:
        rows.append(
            (
                phrase("phases", lang),
                [f"{p['start']['local']}: {p['cause']}" for p in inc["phases"]],
            )
        )
    if inc["evidence"]:
        rows.append(
            (
                phrase("evidence", lang),
                [
                    f"{e['text']} ({e['first']['local']}"
                    + (f" – {e['last']['local']}, ×{e['count']}" if e["count"] > 1 else "")
                    + ")"
                    for e in inc["evidence"]
                ],
            )
        )
    if inc["peaks_text"]:
        rows.append((phrase("peaks", lang), inc["peaks_text"]))
    if inc["notes"]:
        rows.append(
            (phrase("notes", lang), [f"{n['at']['local']}: {n['text']}" for n in inc["notes"]])
        )
    if inc["next"]:
        rows.append((phrase("next", lang), inc["next"]))
    if "channels" in inc:
        rows.append((phrase("channels", lang), inc["channels"]))
    if "isp_figures" in inc:
        f = inc["isp_figures"]
        lines = [
            f"{phrase('start', lang)}: {_when(f['start'], lang)}",
            f"{phrase('end', lang)}: {_when(f['end'], lang)}",
        ]
        lines += f["figures"]
        if f["hosts"]:
            lines.append(f"{phrase('hosts', lang)}: {', '.join(f['hosts'])}")
        lines += [f"{phrase('resolvers', lang)}: {r}" for r in f["resolvers"]]
        rows.append((phrase("isp_figures", lang), lines))
    return rows


def _header_lines(report: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    out = []
    if report.get("site"):
        out.append((phrase("site", lang), str(report["site"])))
    out.append((phrase("period", lang), f"{report['since']['local']} – {report['until']['local']}"))
    out.append(
        (
            phrase("generated", lang),
            f"{report['generated']['local']}; {report['generated']['moscow']} {phrase('moscow_time', lang)}",
        )
    )
    return out


def _markdown(report: dict[str, Any], lang: str) -> str:
    out = [f"# {phrase('title', lang)}", ""]
    out += [f"- **{k}:** {_md_escape(v)}" for k, v in _header_lines(report, lang)]
    out.append("")
    if not report["incidents"]:
        out += [phrase("no_incidents" if report["observed"] else "no_data", lang), ""]
    for inc in report["incidents"]:
        out += [f"## {phrase('incident', lang)} #{inc['id']}: {_md_escape(inc['side_text'])}", ""]
        for head, body in _sections(inc, lang):
            if isinstance(body, str):
                out.append(f"- **{head}:** {_md_escape(body)}")
            else:
                out.append(f"- **{head}:**")
                out += [f"  - {_md_escape(line)}" for line in body]
        for msg_lang, msg in inc.get("support_message", {}).items():
            out += ["", f"**{phrase('support_msg', msg_lang)}** ({msg_lang}):", "", "```text"]
            out += [line.replace("```", "'''") for line in msg.splitlines()]
            out.append("```")
        out.append("")
    if report["notes"]:
        out += [f"## {phrase('other_notes', lang)}", ""]
        out += [f"- {n['at']['local']}: {_md_escape(n['text'])}" for n in report["notes"]]
        out.append("")
    return "\n".join(out)


_CSS = """
body{font:15px/1.45 system-ui,"Noto Sans","WenQuanYi Zen Hei",sans-serif;margin:2em auto;
max-width:56em;padding:0 1em;color:#111}
h1{font-size:1.6em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.6em 0 .4em;padding:.3em .5em;
border-left:6px solid #c62828;background:#fdecea}
h2.side-dns,h2.side-network_degraded{border-color:#ef6c00;background:#fff3e0}
dl{display:grid;grid-template-columns:minmax(8em,15em) 1fr;gap:.2em 1em;margin:.4em 0}
dt{font-weight:600;color:#333}dd{margin:0}ul{margin:0;padding-left:1.2em}
pre{white-space:pre-wrap;background:#f5f5f5;border:1px solid #ccc;padding:.6em;
font:13px/1.4 ui-monospace,monospace}
.meta{color:#444}.ok{color:#2e7d32;font-weight:600}
@media print{body{margin:0;max-width:none;font-size:11pt}h2{break-after:avoid}
section{break-inside:avoid-page}pre{border-color:#999}a{color:inherit}}
"""


def _html(report: dict[str, Any], lang: str) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(phrase('title', lang))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(phrase('title', lang))}</h1>",
        '<dl class="meta">',
    ]
    parts += [f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _header_lines(report, lang)]
    parts.append("</dl>")
    if not report["incidents"]:
        key = "no_incidents" if report["observed"] else "no_data"
        parts.append(
            f'<p class="{"ok" if report["observed"] else "meta"}">{e(phrase(key, lang))}</p>'
        )
    for inc in report["incidents"]:
        parts.append(
            f'<section data-incident="{int(inc["id"])}" data-cause="{e(inc["cause"])}">'
            f'<h2 class="side-{e(inc["cause"])}">{e(phrase("incident", lang))} #{int(inc["id"])}:'
            f" {e(inc['side_text'])}</h2><dl>"
        )
        for head, body in _sections(inc, lang):
            if isinstance(body, str):
                parts.append(f"<dt>{e(head)}</dt><dd>{e(body)}</dd>")
            else:
                items = "".join(f"<li>{e(line)}</li>" for line in body)
                parts.append(f"<dt>{e(head)}</dt><dd><ul>{items}</ul></dd>")
        parts.append("</dl>")
        for msg_lang, msg in inc.get("support_message", {}).items():
            parts.append(
                f"<h3>{e(phrase('support_msg', msg_lang))}</h3>"
                f'<pre lang="{e(msg_lang)}">{e(msg)}</pre>'
            )
        parts.append("</section>")
    if report["notes"]:
        items = "".join(f"<li>{e(n['at']['local'])}: {e(n['text'])}</li>" for n in report["notes"])
        parts.append(
            f"<section><h3>{e(phrase('other_notes', lang))}</h3><ul>{items}</ul></section>"
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)
