"""What the seller's other sites see: the fleet's view of Ozon, read from the centre.

With `fleet: {query_url: ...}` in the config, the agent asks the centre's PromQL API
(VictoriaMetrics, docs/fleet.md) two instant queries and decides, with the same vote as
deploy/central/fleet-rules.yml, whether an Ozon outage is confirmed by several sites, seen
by one site only, or not seen. One office alone cannot tell its own path to Ozon from Ozon;
the fleet can.

    view = await fleet_view("http://fleet.example.org:8428", timeout=5.0, site="moscow")
    view.state      # "confirmed" | "single_site" | "clear" | "unknown"
    view.words("ru")

Plain HTTP/1.0 over asyncio streams: no dependency, no keep-alive to manage, and the whole
exchange sits inside one timeout. Credentials in the URL (`https://user:password@host/`) are
sent as basic auth and never appear in a reason, a log line or the words.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from base64 import b64encode
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .net.deadline import within

# The vote: the same two numbers as OzonOutageConfirmed in deploy/central/fleet-rules.yml.
MIN_SITES = 2
MIN_SHARE = 0.5
# A site "reports" while its verdict is at most this old at the centre (fleet-rules.yml).
WINDOW = "2m"
LOCAL_CAUSES = ("local_network", "isp", "international_path", "dns")
MAX_ANSWER = 4 << 20  # bytes; a fleet's two answers are a few kB

STATES = ("confirmed", "single_site", "clear", "unknown")

# Words a seller reads, per state (the integrator moves them to agent/i18n.py).
WORDS: dict[str, dict[str, str]] = {
    "confirmed": {
        "en": "Ozon is down at {seeing} of {sound} of your sites",
        "ru": "Ozon не работает на {seeing} из {sound} ваших площадок",
        "zh": "您的 {sound} 个站点中有 {seeing} 个看到 Ozon 故障",
    },
    "single_here": {
        "en": "Only this office sees Ozon down; your other sites reach it",
        "ru": "Сбой Ozon видит только этот офис; остальные ваши площадки до Ozon доходят",
        "zh": "只有本办公室看到 Ozon 故障；您的其他站点可以正常访问 Ozon",
    },
    "single_other": {
        "en": "Only one of your sites sees Ozon down; this office reaches it",
        "ru": "Сбой Ozon видит только одна ваша площадка; этот офис до Ozon доходит",
        "zh": "只有您的一个站点看到 Ozon 故障；本办公室可以正常访问 Ozon",
    },
    "clear": {
        "en": "None of your {sound} sites sees Ozon down",
        "ru": "Ни одна из {sound} ваших площадок не видит сбоя Ozon",
        "zh": "您的 {sound} 个站点都没有看到 Ozon 故障",
    },
    "clear_some": {
        "en": "{seeing} of {sound} of your sites see Ozon down: too few to confirm an outage",
        "ru": "Сбой Ozon видят {seeing} из {sound} ваших площадок: этого мало для подтверждения",
        "zh": "您的 {sound} 个站点中有 {seeing} 个看到 Ozon 故障：不足以确认故障",
    },
    "unknown": {
        "en": "Your other sites: unknown ({reason})",
        "ru": "Ваши другие площадки: неизвестно ({reason})",
        "zh": "您的其他站点：未知（{reason}）",
    },
}
REASONS: dict[str, dict[str, str]] = {
    "timeout": {
        "en": "the centre did not answer in time",
        "ru": "центр не ответил вовремя",
        "zh": "中心未及时响应",
    },
    "unreachable": {
        "en": "the centre cannot be reached",
        "ru": "до центра не достучаться",
        "zh": "无法连接到中心",
    },
    "http_status": {
        "en": "the centre answered with an error",
        "ru": "центр ответил ошибкой",
        "zh": "中心返回了错误",
    },
    "bad_answer": {
        "en": "the centre's answer is not a PromQL result",
        "ru": "ответ центра не похож на результат PromQL",
        "zh": "中心的响应不是 PromQL 结果",
    },
    "no_sites": {
        "en": "no site reports to the centre",
        "ru": "ни одна площадка не передаёт данные в центр",
        "zh": "没有任何站点向中心报告",
    },
}


@dataclass(frozen=True)
class FleetView:
    """The fleet's view of Ozon. Counts are sites: `reporting` sent a verdict within the
    last 2 minutes; `sound` of those are not cut off themselves (their own verdict is not
    local_network, isp, international_path or dns); `seeing` of those see Ozon down."""

    state: str
    reporting: int = 0
    sound: int = 0
    seeing: int = 0
    this_site_reports: bool = False
    this_site_sees: bool = False
    reason: str = ""  # unknown only: a REASONS key
    detail: str = ""  # unknown only: one line for the log, without credentials

    def words(self, lang: str = "en") -> str:
        """One line for the status page and `check`, in en, ru or zh."""
        if self.state == "confirmed":
            key = "confirmed"
        elif self.state == "single_site":
            key = "single_here" if self.this_site_sees else "single_other"
        elif self.state == "clear":
            key = "clear_some" if self.seeing else "clear"
        else:
            key = "unknown"
        text = _pick(WORDS[key], lang)
        reason = _pick(REASONS.get(self.reason, REASONS["bad_answer"]), lang)
        return text.format(seeing=self.seeing, sound=self.sound, reason=reason)


def _pick(words: dict[str, str], lang: str) -> str:
    return words.get(lang) or words["en"]


class _Unknown(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


async def fleet_view(query_url: str, timeout: float, site: str) -> FleetView:
    """Ask the centre at `query_url` (the base of its Prometheus-compatible API, e.g.
    http://fleet.example.org:8428) what the fleet sees, within `timeout` seconds overall.
    Never raises for a bad centre: that is FleetView(state="unknown", reason=...)."""
    platform_q = (
        f'max by (site) (last_over_time(ozon_probe_verdict{{cause="platform_outage"}}[{WINDOW}]))'
    )
    local_q = (
        f'max by (site) (last_over_time(ozon_probe_verdict{{cause=~"{"|".join(LOCAL_CAUSES)}"}}'
        f"[{WINDOW}]))"
    )
    try:
        platform, local = await within(
            asyncio.gather(_instant(query_url, platform_q), _instant(query_url, local_q)),
            timeout,
        )
    except TimeoutError:
        return FleetView(
            "unknown", reason="timeout", detail=f"{_where(query_url)}: no answer in {timeout:g}s"
        )
    except _Unknown as e:
        return FleetView("unknown", reason=e.reason, detail=e.detail)
    return decide(platform, local, site)


def decide(platform: dict[str, float], local: dict[str, float], site: str) -> FleetView:
    """The vote, from site -> value of the two queries (platform_outage, local causes)."""
    reporting = set(platform) | set(local)
    if not reporting:
        return FleetView("unknown", reason="no_sites", detail="no ozon_probe_verdict at the centre")
    sound = {s for s in reporting if local.get(s, 0.0) != 1.0}
    seeing = {s for s in sound if platform.get(s, 0.0) == 1.0}
    if len(seeing) >= MIN_SITES and len(seeing) >= MIN_SHARE * len(sound):
        state = "confirmed"
    elif len(seeing) == 1 and len(sound) >= 2:
        state = "single_site"
    else:
        state = "clear"
    return FleetView(
        state,
        reporting=len(reporting),
        sound=len(sound),
        seeing=len(seeing),
        this_site_reports=site in reporting,
        this_site_sees=site in seeing,
    )


def _where(query_url: str) -> str:
    """host:port of the centre, for messages: never the credentials of the URL."""
    parts = urlsplit(query_url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    return f"{host}:{port}" if port else host


async def _instant(query_url: str, expr: str) -> dict[str, float]:
    """site -> value of an instant vector query."""
    status, body = await _get(query_url, "/api/v1/query?query=" + quote(expr, safe=""))
    where = _where(query_url)
    if status != 200:
        raise _Unknown("http_status", f"{where}: HTTP {status}")
    try:
        doc = json.loads(body)
        if doc.get("status") != "success" or doc["data"]["resultType"] != "vector":
            raise ValueError(str(doc.get("error", "not a vector"))[:200])
        out: dict[str, float] = {}
        for row in doc["data"]["result"]:
            out[str(row["metric"].get("site", ""))] = float(row["value"][1])
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
        raise _Unknown("bad_answer", f"{where}: not a PromQL vector: {e}") from None
    out.pop("", None)  # a verdict without a site label is no site
    return out


async def _get(query_url: str, path_and_query: str) -> tuple[int, bytes]:
    parts = urlsplit(query_url)
    where = _where(query_url)
    try:
        port = parts.port
    except ValueError:
        raise _Unknown("unreachable", f"{where}: not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Unknown("unreachable", f"{where}: not an http(s) URL")
    tls = parts.scheme == "https"
    port = port or (443 if tls else 80)
    host_header = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        host_header += f":{parts.port}"
    lines = [
        f"GET {parts.path.rstrip('/')}{path_and_query} HTTP/1.0",
        f"Host: {host_header}",
        "Accept: application/json",
        "User-Agent: ozon-probe-fleet",
    ]
    if parts.username is not None:
        user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        lines.append("Authorization: Basic " + b64encode(user_pass.encode()).decode())
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    try:
        reader, writer = await asyncio.open_connection(
            parts.hostname,
            port,
            ssl=ssl.create_default_context() if tls else None,
            server_hostname=parts.hostname if tls else None,
        )
    except ssl.SSLError as e:
        raise _Unknown("unreachable", f"{where}: TLS: {e.reason or e.__class__.__name__}") from None
    except OSError as e:
        raise _Unknown("unreachable", f"{where}: {e.strerror or e.__class__.__name__}") from None
    try:
        writer.write(request)
        await writer.drain()
        raw = await reader.read(MAX_ANSWER + 1)
        while raw and len(raw) <= MAX_ANSWER:
            more = await reader.read(MAX_ANSWER + 1 - len(raw))
            if not more:
                break
            raw += more
    except (OSError, ssl.SSLError) as e:
        raise _Unknown("unreachable", f"{where}: {getattr(e, 'strerror', None) or e}") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    if len(raw) > MAX_ANSWER:
        raise _Unknown("bad_answer", f"{where}: answer larger than {MAX_ANSWER} bytes")
    return _parse_response(raw, where)


def _parse_response(raw: bytes, where: str) -> tuple[int, bytes]:
    head, sep, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    fields: list[Any] = status_line.split(" ", 2)
    if not sep or len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
        raise _Unknown("bad_answer", f"{where}: not an HTTP answer")
    return int(fields[1]), body
