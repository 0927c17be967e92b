"""`ozon-probe check`: every probe once, now, with progress, then a layered report.

Progress goes to stderr (only on a terminal), the report to stdout, so `--json` output stays
clean for scripts.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from agent.config import Config
from agent.daemon import Agent
from agent.i18n import cause_text, detect_lang, state_word, word
from agent.results import ProbeResult

_LAYERS = ("link", "gateway", "internet", "russia", "dns", "platform")
_MARK = {"ok": "✓", "degraded": "!", "down": "✗", "unknown": "?"}


class Progress:
    def __init__(self, total: int, lang: str, out: TextIO) -> None:
        self.total, self.done, self.lang, self.out = total, 0, lang, out
        self.live = out.isatty()

    def __call__(self, r: ProbeResult) -> None:
        self.done += 1
        if self.live:
            mark = "✓" if r.ok else "✗"
            self.out.write(
                f"\r\033[K{word('running', self.lang)} {self.done}/{self.total}  "
                f"{mark} {r.kind} {r.target}"
            )
            self.out.flush()

    def close(self) -> None:
        if self.live:
            self.out.write(f"\r\033[K{word('running', self.lang)}: {word('done', self.lang)}\n")


async def run_check(config: Config, *, as_json: bool, lang: str | None) -> int:
    lang = lang or detect_lang()
    agent = Agent(config)
    # one round is all `check` has: a soft fault seen in it is reported, not waited for
    agent.diagnoser.min_streak = 1
    sched = agent.scheduler
    total = sum(len(sched.targets(k)) for k in sched.kinds())
    progress = Progress(total, lang, sys.stderr)
    sched.on_result = progress
    sched.on_round = None
    await sched.run_once()
    progress.close()
    agent._after_round("icmp", [])
    doc = agent.status()
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print_report(doc, lang, sys.stdout)
    return 0 if doc["cause"] == "ok" else 1


def print_report(doc: dict[str, Any], lang: str, out: TextIO) -> None:
    what, todo = cause_text(doc["cause"], lang)
    out.write(f"\n{word('title', lang)}  [{doc['site']}]\n\n")
    out.write(f"{word('layers', lang)}:\n")
    for layer in _LAYERS:
        state = doc["layers"].get(layer, "unknown")
        out.write(f"  {_MARK[state]} {word(layer, lang):<28} {state_word(state, lang)}\n")
    if doc["services"]:
        out.write(f"\n{word('services', lang)}:\n")
        for s in doc["services"]:
            out.write(
                f"  {_MARK[s['state']]} {s['service']:<14} {state_word(s['state'], lang):<12} "
                f"{s['text']}\n"
            )
    out.write(f"\n{word('verdict', lang)}: {what}  ({doc['cause']})\n")
    out.write(f"{word('todo', lang)}: {todo}\n")
    if doc["evidence"]:
        out.write(f"{word('evidence', lang)}:\n")
        for line in doc["evidence"]:
            out.write(f"  - {line}\n")
