"""The status page at `/`: the verdict, the layer lights and each Ozon service, for sellers who
run no Grafana. Rendered on the server from the same document as /api/status
(agent/web/status.py), one file, no external assets (it must work when the internet does not),
refreshing itself every 10 seconds. Language: `?lang=ru|zh|en`, else the browser's Accept-
Language."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from agent.i18n import LANGS, accept_language, cause_text, state_word, word
from agent.probes import KINDS
from agent.vocabulary import Layer

if TYPE_CHECKING:
    from agent.runtime import Runtime

_COLOURS = {"ok": "#2e7d32", "degraded": "#f9a825", "down": "#c62828", "unknown": "#9e9e9e"}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","PingFang SC",sans-serif;
margin:0;background:#f4f5f7;color:#1b1b1b}
main{max-width:860px;margin:0 auto;padding:24px}
h1{font-size:20px;margin:0 0 16px}
.verdict{border-radius:10px;padding:18px 20px;margin-bottom:18px}
.verdict h2{margin:0 0 6px;font-size:22px}.verdict p{margin:4px 0}
.lights{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 18px;padding:0;list-style:none}
.lights li{background:#fff;border-radius:8px;padding:10px 12px;flex:1 1 120px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
.dot{display:inline-block;width:12px;height:12px;border-radius:50%;margin-right:6px;
vertical-align:middle}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:8px;overflow:hidden}
td,th{padding:8px 10px;border-bottom:1px solid #eee;text-align:left;font-size:14px}
.ev{background:#fff;border-radius:8px;padding:10px 16px;font-size:13px}
nav a{margin-right:10px;font-size:13px}
.muted{color:#666;font-size:12px}
.strip{position:relative;height:18px;background:#e0e0e0;border-radius:4px;overflow:hidden}
.strip span{position:absolute;top:0;bottom:0}
@media print{nav,meta{display:none}}
"""


def page_lang(environ: dict[str, Any]) -> str:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    chosen = str(query.get("lang", [""])[0])
    if chosen in LANGS:
        return chosen
    return accept_language(str(environ.get("HTTP_ACCEPT_LANGUAGE", "")))


def _light(layer: str, state: str, lang: str) -> str:
    e = html.escape
    return (
        f'<li data-layer="{layer}" data-state="{e(state)}">'
        f'<span class="dot" style="background:{_COLOURS.get(state, "#999")}"></span>'
        f"{e(word(layer, lang))}<br><small>{e(state_word(state, lang))}</small></li>"
    )


def render_page(runtime: Runtime, environ: dict[str, Any]) -> tuple[str, bytes]:
    lang = page_lang(environ)
    history = None
    if runtime.journal is not None:
        from agent.journal_api import history_document

        history = history_document(runtime.journal)
    return render_status(runtime.status(lang), lang, history)


_CAUSE_COLOURS = {
    "ok": _COLOURS["ok"],
    "platform_degraded": _COLOURS["degraded"],
    "network_degraded": _COLOURS["degraded"],
}


def _history(history: dict[str, Any] | None, lang: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """The last 24 h as a strip of verdicts, the last week's incidents, and each service's
    availability (for the services table)."""
    from agent.i18n import cause_name
    from agent.journal_report import duration_text

    e = html.escape
    if history is None:
        return "", {}
    if not history.get("journal_healthy", True):
        return f'<p class="muted">{e(word("journal_off", lang))}</p>', {}
    now = float(history["now"])
    start = now - 86400
    cells = []
    for seg in history.get("timeline", []):
        left = max(0.0, (seg["start"] - start) / 86400 * 100)
        width = max(0.2, (seg["end"] - max(seg["start"], start)) / 86400 * 100)
        colour = _CAUSE_COLOURS.get(seg["cause"], _COLOURS["down"])
        cells.append(
            f'<span title="{e(cause_name(seg["cause"], lang))}" data-cause="{e(seg["cause"])}" '
            f'style="left:{left:.2f}%;width:{width:.2f}%;background:{colour}"></span>'
        )
    strip = f'<div class="strip">{"".join(cells)}</div>'
    rows = []
    for inc in history.get("incidents", [])[:10]:
        began = _local(inc["start"])
        length = duration_text(inc["duration_seconds"], lang)
        tail = f" ({e(word('ongoing', lang))})" if inc["ongoing"] else ""
        rows.append(
            f'<tr data-incident="{inc["id"]}"><td>{e(began)}</td>'
            f"<td>{e(cause_name(inc['cause'], lang))}</td><td>{e(length)}{tail}</td></tr>"
        )
    table = (
        f"<table>{''.join(rows)}</table>"
        if rows
        else f'<p class="muted">{e(word("no_incidents", lang))}</p>'
    )
    link = f'<p><a href="/report?lang={lang}">{e(word("report_link", lang))}</a></p>'
    section = (
        f"<h3>{e(word('history', lang))}</h3>{strip}"
        f"<h3>{e(word('incidents', lang))}</h3>{table}{link}"
    )
    return section, history.get("availability", {})


def _local(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


def _availability(s: dict[str, Any], availability: dict[str, Any], lang: str) -> str:
    if not availability:
        return ""
    a = availability.get(s["service"], {})
    return (
        f'<td class="muted">{html.escape(word("day", lang))} {_percent(a.get("24h"))} · '
        f"{html.escape(word('week', lang))} {_percent(a.get('7d'))}</td>"
    )


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


#: the verdict banner: (background, text) per kind of verdict, each pair at least 4.5:1 in
#: contrast (WCAG AA for normal text; a test computes it)
BANNER = {
    "ok": ("#2e7d32", "#ffffff"),
    "degraded": ("#f9a825", "#1b1b1b"),
    "down": ("#c62828", "#ffffff"),
    "measuring": ("#616161", "#ffffff"),
}
_DEGRADED_CAUSES = frozenset({"platform_degraded", "network_degraded"})


def banner(cause: str, measuring: bool) -> tuple[str, str]:
    if measuring:
        return BANNER["measuring"]
    if cause == "ok":
        return BANNER["ok"]
    return BANNER["degraded" if cause in _DEGRADED_CAUSES else "down"]


def render_status(
    status: dict[str, Any], lang: str, history: dict[str, Any] | None = None
) -> tuple[str, bytes]:
    e = html.escape
    history_html, availability = _history(history, lang)
    fleet = status.get("fleet")
    fleet_html = (
        f'<p class="fleet" data-fleet="{html.escape(fleet["state"])}"><b>'
        f"{html.escape(word('fleet', lang))}:</b> {html.escape(fleet['text'])}</p>"
        if fleet
        else ""
    )
    cause = status.get("cause", "ok")
    measuring = bool(status.get("measuring"))
    what, todo = cause_text(cause, lang)
    if measuring:
        what, todo = word("first_round", lang), ""
    bg, fg = banner(cause, measuring)
    layers = {} if measuring else status.get("layers", {})
    lights = "".join(_light(layer, layers.get(layer, "unknown"), lang) for layer in Layer)
    # beside each service, the time of the probe its state comes from (the most
    # application-level kind: HTTP before TLS before TCP)
    rank = {k: s.service_rank for k, s in KINDS.items() if s.service_rank is not None}
    latency: dict[str, dict[str, Any]] = {}
    for r in status.get("results", []):
        best = latency.get(r["target"])
        if r["kind"] in rank and (best is None or rank[r["kind"]] < rank[best["kind"]]):
            latency[r["target"]] = r
    rows = []
    ms_word = word("ms", lang)
    for s in status.get("services", []):
        r = latency.get(s["target"], {})
        # a latency only beside a service judged ok now: an older figure would mislead
        shown = r.get("ok") and s["state"] == "ok" and not measuring
        ms = f"{r['seconds'] * 1000:.0f} {ms_word}" if shown else ""
        state = "unknown" if measuring else s["state"]
        rows.append(
            f'<tr data-service="{e(s["service"])}" data-state="{e(state)}">'
            f'<td><span class="dot" style="background:{_COLOURS.get(state, "#999")}"></span>'
            f"{e(s.get('name') or s['service'])}</td><td>{e(state_word(state, lang))}</td>"
            f"<td>{e(ms)}</td><td>{e(s['text'])}</td>{_availability(s, availability, lang)}</tr>"
        )
    evidence = "".join(f"<li>{e(x)}</li>" for x in status.get("evidence", []))
    langs = " ".join(f'<a href="?lang={code}">{code.upper()}</a>' for code in LANGS)
    since, checked = status.get("since_text") or {}, status.get("evaluated_text") or {}
    todo_html = f"<p><b>{e(word('todo', lang))}:</b> {e(todo)}</p>" if todo else ""
    summary = "" if measuring else status.get("summary", "")
    page = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="10">
<title>ozon-probe: {e(word("title", lang))}</title><style>{_CSS}</style></head>
<body><main>
<nav>{langs}</nav>
<h1>{e(word("title", lang))} <span class="muted">{e(status.get("site", ""))}</span></h1>
<section class="verdict" id="verdict" data-cause="{e(cause)}"
 data-measuring="{"true" if measuring else "false"}" style="background:{bg};color:{fg}">
<h2>{e(what)}</h2>
{todo_html}
<p class="summary">{e(summary)}</p>
<p><small>{e(word("since", lang))} {e(since.get("local", ""))}
({e(word("moscow", lang))} {e(since.get("moscow", ""))}) ·
{e(word("checked", lang))} {e(checked.get("local", ""))}
({e(word("moscow", lang))} {e(checked.get("moscow", ""))})</small></p>
</section>
<h3>{e(word("layers", lang))}</h3><ul class="lights">{lights}</ul>
<h3>{e(word("services", lang))}</h3>
<table>{"".join(rows)}</table>
<h3>{e(word("evidence", lang))}</h3><ul class="ev">{evidence}</ul>
{fleet_html}
{history_html}
<p class="muted">/metrics · /api/status</p>
</main></body></html>
"""
    return "text/html; charset=utf-8", page.encode("utf-8")
