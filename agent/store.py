"""The results store: the latest result and a short history per (kind, target). Nothing else:
counters live with the exporter (agent/tally.py), agent facts and the verdict are handed to
their readers explicitly (agent/runtime.py).

Writes come from the event loop, reads from the HTTP server's threads, so every access takes
one lock and readers get copies.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from agent.results import ProbeResult

HISTORY = 10  # results kept per (kind, target) for the diagnosis's "how many rounds" rules

Key = tuple[str, str]  # (kind, target)


@dataclass(frozen=True)
class Snapshot:
    latest: dict[Key, ProbeResult]
    history: dict[Key, list[ProbeResult]]


class ResultStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[Key, ProbeResult] = {}
        self._history: dict[Key, deque[ProbeResult]] = {}

    def record(self, result: ProbeResult) -> ProbeResult | None:
        """Keep a result; returns the one it replaces (for counters that compare the two)."""
        key = (result.kind, result.target)
        with self._lock:
            previous = self._latest.get(key)
            self._latest[key] = result
            self._history.setdefault(key, deque(maxlen=HISTORY)).append(result)
        return previous

    def prune(self, keep: set[Key]) -> None:
        """Forget every (kind, target) no longer configured: no stale results or series."""
        with self._lock:
            for key in [k for k in self._latest if k not in keep]:
                del self._latest[key]
                self._history.pop(key, None)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                latest=dict(self._latest),
                history={k: list(v) for k, v in self._history.items()},
            )
