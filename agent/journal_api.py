"""The journal seen from outside: Prometheus metrics, and the JSON the status page and
`/api/history`, `/api/incidents` serve. Nothing here writes the journal.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agent.journal import Incident, Journal

DAY = 86400.0


class JournalCollector(Collector):
    """`ozon_probe_journal_healthy` and `ozon_probe_incidents_total{cause}`. The counter comes
    from the journal's own never-pruned counts, so it does not restart at zero with the agent
    (Prometheus's rate() copes with a reset, but the total would be a lie)."""

    def __init__(self, journal: Journal, causes: tuple[str, ...] = ()) -> None:
        self.journal = journal
        self.causes = causes  # exported at 0 before their first incident, so alerts can rate()

    def collect(self) -> Iterator[Metric]:
        j = self.journal
        yield GaugeMetricFamily(
            "ozon_probe_journal_healthy",
            "1 while the incident journal records, 0 when it is off (see the log line)",
            value=1.0 if j.healthy else 0.0,
        )
        counts = {c: 0 for c in self.causes if c != "ok"}
        counts.update(j.counts_by_cause())
        total = CounterMetricFamily(
            "ozon_probe_incidents",
            "Incidents opened, by the cause they started with",
            labels=["cause"],
        )
        for cause, n in sorted(counts.items()):
            total.add_metric([cause], float(n))
        yield total


def _incident_json(inc: Incident, now: float) -> dict[str, Any]:
    return {
        "id": inc.id,
        "cause": inc.cause,
        "causes": inc.causes,
        "start": inc.start,
        "end": inc.end,
        "ongoing": inc.end is None,
        "duration_seconds": round(inc.duration(now)),
        "services": inc.services,
        "peaks": inc.peaks,
        "notes": len(inc.notes),
        "manual_only": inc.manual_only,
    }


def incidents_document(journal: Journal, since: float, now: float | None = None) -> dict[str, Any]:
    """`/api/incidents`: incidents since `since`, newest first (times in UTC epoch seconds)."""
    now = time.time() if now is None else now
    incidents = journal.incidents(since)
    return {
        "journal_healthy": journal.healthy,
        "since": since,
        "incidents": [_incident_json(i, now) for i in reversed(incidents)],
    }


def history_document(journal: Journal, now: float | None = None) -> dict[str, Any]:
    """`/api/history` and the status page's history: the last 24 h as verdict segments, the
    recent incidents, and each service's availability over 24 h and 7 d (None: not observed)."""
    now = time.time() if now is None else now
    since = now - DAY
    changes = journal.timeline(since)
    segments = []
    for i, v in enumerate(changes):
        if v.manual:
            continue  # a manual check is a point, not a stretch of the daemon's verdict
        nxt = next((w.at for w in changes[i + 1 :] if not w.manual), now)
        segments.append({"cause": v.cause, "start": max(v.at, since), "end": nxt})
    services = sorted(set(journal.services(now - 7 * DAY)))
    return {
        "journal_healthy": journal.healthy,
        "now": now,
        "timeline": segments,
        "manual_checks": [{"at": v.at, "cause": v.cause} for v in changes if v.manual],
        "incidents": incidents_document(journal, now - 7 * DAY, now)["incidents"],
        "availability": {
            s: {
                "24h": journal.availability(s, now - DAY),
                "7d": journal.availability(s, now - 7 * DAY),
            }
            for s in services
        },
    }
