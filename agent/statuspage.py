"""The status page at `/`: the verdict, the layer lights and each Ozon service, for sellers who
run no Grafana. Rendered on the server from the same document as /api/status, one file, no
external assets (it must work when the internet does not), refreshing itself every 10 seconds.
Language: `?lang=ru|zh|en`, else the browser's Accept-Language.
"""

from __future__ import annotations

import html
import time
from typing import Any
from urllib.parse import parse_qs

from agent.diagnosis import LAYERS
from agent.i18n import LANGS, accept_language, cause_text, state_word, word

_COLOURS = {"ok": "#2e7d32", "degraded": "#f9a825", "down": "#c62828", "unknown": "#9e9e9e"}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","PingFang SC",sans-serif;
margin:0;background:#f4f5f7;color:#1b1b1b}
main{max-width:860px;margin:0 auto;padding:24px}
h1{font-size:20px;margin:0 0 16px}
.verdict{border-radius:10px;padding:18px 20px;color:#fff;margin-bottom:18px}
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
"""


def _lang(environ: dict[str, Any]) -> str:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    chosen = str(query.get("lang", [""])[0])
    if chosen in LANGS:
        return chosen
    return accept_language(str(environ.get("HTTP_ACCEPT_LANGUAGE", "")))


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def _light(layer: str, state: str, lang: str) -> str:
    e = html.escape
    return (
        f'<li data-layer="{layer}" data-state="{e(state)}">'
        f'<span class="dot" style="background:{_COLOURS.get(state, "#999")}"></span>'
        f"{e(word(layer, lang))}<br><small>{e(state_word(state, lang))}</small></li>"
    )


def render_page(status: dict[str, Any], environ: dict[str, Any]) -> tuple[str, bytes]:
    lang = _lang(environ)
    e = html.escape
    cause = status.get("cause", "ok")
    what, todo = cause_text(cause, lang)
    colour = {
        "ok": _COLOURS["ok"],
        "platform_degraded": _COLOURS["degraded"],
        "network_degraded": _COLOURS["degraded"],
    }.get(cause, _COLOURS["down"])
    layers = status.get("layers", {})
    lights = "".join(_light(layer, layers.get(layer, "unknown"), lang) for layer in LAYERS)
    latency = {r["target"]: r for r in status.get("results", []) if r.get("kind") == "http"}
    rows = []
    for s in status.get("services", []):
        r = latency.get(s["target"], {})
        # a latency only beside a service judged ok now: an older figure would mislead
        ms = f"{r['seconds'] * 1000:.0f} ms" if r.get("ok") and s["state"] == "ok" else ""
        rows.append(
            f'<tr data-service="{e(s["service"])}" data-state="{e(s["state"])}">'
            f'<td><span class="dot" style="background:{_COLOURS.get(s["state"], "#999")}"></span>'
            f"{e(s['service'])}</td><td>{e(state_word(s['state'], lang))}</td>"
            f"<td>{e(ms)}</td><td>{e(s['text'])}</td></tr>"
        )
    evidence = "".join(f"<li>{e(x)}</li>" for x in status.get("evidence", []))
    langs = " ".join(f'<a href="?lang={code}">{code.upper()}</a>' for code in LANGS)
    page = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="10">
<title>ozon-probe: {e(word("title", lang))}</title><style>{_CSS}</style></head>
<body><main>
<nav>{langs}</nav>
<h1>{e(word("title", lang))} <span class="muted">{e(status.get("site", ""))}</span></h1>
<section class="verdict" id="verdict" data-cause="{e(cause)}" style="background:{colour}">
<h2>{e(what)}</h2>
<p><b>{e(word("todo", lang))}:</b> {e(todo)}</p>
<p class="summary">{e(status.get("summary", ""))}</p>
<p><small>{e(word("since", lang))} {e(_when(status.get("since", 0)))} ·
{e(word("checked", lang))} {e(_when(status.get("evaluated_at", 0)))}</small></p>
</section>
<h3>{e(word("layers", lang))}</h3><ul class="lights">{lights}</ul>
<h3>{e(word("services", lang))}</h3>
<table>{"".join(rows)}</table>
<h3>{e(word("evidence", lang))}</h3><ul class="ev">{evidence}</ul>
<p class="muted">cause={e(cause)} · /metrics · /api/status</p>
</main></body></html>
"""
    return "text/html; charset=utf-8", page.encode("utf-8")
