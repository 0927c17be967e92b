"""The status document: the verdict with its evidence, the layers, each Ozon service and every
latest result, as `/api/status`, `ozon-probe check --json`, the status page and `check`'s
report read it. Findings carry their reason codes and parameters (`reasons`) and their wording
in the requested language."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from agent.config import Config
from agent.diagnosis import Diagnosis
from agent.i18n import LANGS, say, word
from agent.lang import service_name
from agent.probes import KINDS
from agent.vocabulary import Group, Layer, State

if TYPE_CHECKING:
    from agent.runtime import Runtime


#: Moscow time, as Ozon's support and announcements give it (no daylight saving since 2014)
MOSCOW = dt.timezone(dt.timedelta(hours=3), "MSK")


def when(ts: float) -> dict[str, str]:
    """A moment as the seller reads it (this machine's local time, with its zone) and as
    Ozon's support reads it (Moscow time)."""
    if not ts:
        return {"local": "", "moscow": ""}
    local = dt.datetime.fromtimestamp(ts).astimezone()
    moscow = dt.datetime.fromtimestamp(ts, MOSCOW)
    return {
        "local": local.strftime("%Y-%m-%d %H:%M:%S UTC%z").replace("UTC+0000", "UTC"),
        "moscow": moscow.strftime("%Y-%m-%d %H:%M:%S") + " MSK",
    }


def names(config: Config, lang: str) -> dict[str, str]:
    """Target and service ids in the reader's words: a service's name, a control's host, the
    router. English keeps the configured ids (what the config, metrics and logs say)."""
    if lang == "en":
        return {}
    out: dict[str, str] = {}
    for t in config.targets:
        if t.group == Group.OZON:
            out[t.name] = service_name(t.service or t.name, lang)
        elif t.group == Group.GATEWAY:
            out[t.name] = word("router", lang)
        else:
            out[t.name] = t.host
        if t.service:
            out[t.service] = service_name(t.service, lang)
    return out


def status_document(rt: Runtime, lang: str = "en") -> dict[str, Any]:
    lang = lang if lang in LANGS else "en"
    snap = rt.store.snapshot()
    d = rt.diagnosis() or Diagnosis()
    named = names(rt.config, lang)
    kinds_run = rt.tally.snapshot().rounds  # one snapshot for "measuring" and "rounds"
    # "measuring" until every kind that runs has finished a first round and a rule has
    # decided (rule 0: the rules have only held so far): before that, no light may be green
    # and no verdict be read as "everything works"
    measuring = (
        rt.diagnosis() is None
        or d.rule == 0
        or any(k not in kinds_run for k in rt.scheduler.kinds())
    )
    results = []
    for (kind, target), r in sorted(snap.latest.items()):
        entry: dict[str, Any] = {
            "kind": kind,
            "target": target,
            "group": r.group,
            "ok": r.ok,
            "error": r.error.value if r.error else None,
            "detail": r.detail,
            "seconds": round(r.duration, 4),
            "at": r.finished_at,
        }
        spec = KINDS.get(kind)
        if spec is not None:
            entry.update(spec.details(r))
        results.append(entry)
    return {
        "site": rt.config.site.name,
        "country": rt.config.site.country,
        "lang": lang,
        "cause": d.cause.value,
        "measuring": measuring,
        "summary": say(d.summary, lang, named),
        "evidence": [say(x, lang, named) for x in d.evidence],
        "reasons": {
            "summary": d.summary.to_json(),
            "evidence": [x.to_json() for x in d.evidence],
            "held": d.held.to_json() if d.held else None,
        },
        "rule": d.rule,
        "since": d.since,
        "evaluated_at": d.evaluated_at,
        "since_text": when(d.since),
        "evaluated_text": when(d.evaluated_at),
        "layers": {layer.value: d.layers.get(layer, State.UNKNOWN).word for layer in Layer}
        if d.layers
        else {},
        "services": [
            {
                "target": s.target,
                "service": s.service,
                "name": service_name(s.service, lang),
                "state": s.state.word,
                "text": say(s.text, lang, named),
                "reason": s.text.to_json(),
            }
            for s in d.services
        ],
        # the other sites' view (never the centre's URL: it may hold a password)
        "fleet": _fleet(rt.fleet, lang),
        "rounds": dict(kinds_run),
        "results": results,
    }


def _fleet(view: Any, lang: str) -> dict[str, Any] | None:
    if view is None:
        return None
    import dataclasses

    doc = dataclasses.asdict(view)
    doc["text"] = view.words(lang)
    return doc
