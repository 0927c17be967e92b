"""`ozon-probe check`: every probe once, now, with progress, then a layered report.

Progress goes to stderr (only on a terminal), the report to stdout, so `--json` output stays
clean for scripts.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any, TextIO

from agent.config import Config
from agent.i18n import cause_text, detect_lang, state_word, word
from agent.lang import display_width, pad
from agent.probes import KINDS, Lane
from agent.results import ProbeResult
from agent.runtime import Runtime
from agent.vocabulary import Layer

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


class ThroughputProgress:
    """One line per test while it runs (tests take seconds each; a silent terminal worries)."""

    def __init__(self, lang: str, out: TextIO) -> None:
        self.lang, self.out = lang, out
        self.live = out.isatty()

    def __call__(self, name: str) -> None:
        if self.live:
            self.out.write(f"\r\033[K{word('measuring', self.lang)}: {name} ...")
            self.out.flush()

    def close(self) -> None:
        if self.live:
            self.out.write(f"\r\033[K{word('measuring', self.lang)}: {word('done', self.lang)}\n")


def _mbit(bps: float | None) -> str:
    return "-" if bps is None else f"{bps * 8 / 1e6:.1f} Mbit/s"


def with_path_probes(config: Config) -> Config:
    """`check --path`: every kind that `check --path` adds (traces and MTU probes for each
    Ozon host, ARP for the gateway), once per host, whatever the config says; a kind whose
    probes queue up behind each other gets a longer timeout."""
    added: dict[str, set[str]] = {}
    targets = []
    for t in config.targets:
        extra = []
        for name, spec in KINDS.items():
            hosts = added.setdefault(name, set())
            if t.group in spec.path_groups and t.host not in hosts and name not in t.probes:
                hosts.add(t.host)
                extra.append(name)
        targets.append(replace(t, probes=t.probes + tuple(extra)))
    probes = dict(config.probes)
    for name, hosts in added.items():
        stretch = KINDS[name].stretch
        if stretch is not None and name in probes:
            probes[name] = stretch(probes[name], max(1, len(hosts)))
    return replace(config, targets=tuple(targets), probes=probes)


async def run_check(
    config: Config,
    *,
    as_json: bool,
    lang: str | None,
    throughput: bool = False,
    path: bool = False,
    state_dir: str | None = None,
) -> int:
    lang = lang or detect_lang()
    if path:
        config = with_path_probes(config)
    rt = Runtime(config)
    # the journal: this check is recorded (as a manual one), and it shares the daemon's
    # throughput budget for the day
    rt.open_journal(state_dir)
    rt.manual = True
    # one round is all `check` has: a soft fault seen in it is reported, not waited for
    rt.diagnoser.min_streak = 1
    sched = rt.scheduler
    progress = Progress(0, lang, sys.stderr)
    sched.on_result = progress
    sched.on_round = None
    # packet-level kinds after the round, not with it: traces take seconds each and send
    # bursts of packets that would disturb the latency figures
    kinds = [k for k in sched.kinds() if KINDS[k].lane is Lane.ROUND]
    packet_kinds = [k for k in sched.kinds() if KINDS[k].lane is Lane.PACKET]
    progress.total = sum(len(sched.targets(k)) for k in kinds)
    await sched.run_once(kinds)
    for _ in range(CHECK_MORE_ROUNDS):
        # a rule that holds wants another round (silence for a name must be seen three
        # times, a failure wants a control's answer after it): give it one, or two
        if rt.refresh().held is None:
            break
        progress.total += sum(len(sched.targets(k)) for k in kinds)
        await sched.run_once(kinds)
    if packet_kinds:
        progress.total += sum(len(sched.targets(k)) for k in packet_kinds)
        await sched.run_once(packet_kinds)
    progress.close()
    rt.refresh()
    await rt.ask_fleet()
    tp_doc: dict[str, Any] | None = None
    if throughput:
        # `check` asks explicitly: the tests run even when the daemon's schedule is off, but
        # never past the budget, and only now that the probe round above is over
        tp_progress = ThroughputProgress(lang, sys.stderr)
        planned = [t.name for _, t, _ in sched.throughput_plan()]
        results = await sched.run_throughput(on_start=tp_progress)
        tp_progress.close()
        refused = dict(rt.tally.snapshot().throughput_refused)
        tp_doc = {
            "planned": planned,
            "refused": refused,
            "budget_remaining_bytes": sched.budget.remaining(),
            "results": [
                {
                    "kind": r.kind,
                    "target": r.target,
                    "ok": r.ok,
                    "error": r.error.value if r.error else None,
                    "detail": r.detail,
                    **KINDS[r.kind].details(r),
                }
                for r in results
            ],
        }
    doc = rt.status(lang)
    # a rule held its verdict in the only round `check` has (silence for a name, waiting for
    # proof): that is no "ok", and the seller must not read it as one
    doc["decided"] = not (doc["rule"] == 0 and doc["reasons"]["held"] is not None)
    if tp_doc is not None:
        doc["throughput"] = tp_doc
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print_report(doc, lang, sys.stdout)
        if path:
            print_path(doc, lang, sys.stdout)
        if tp_doc is not None:
            print_throughput(tp_doc, lang, sys.stdout)
    return 0 if doc["cause"] == "ok" and doc["decided"] else 1


#: extra rounds `check` runs while the diagnosis holds (3 rounds in all: what silence for a
#: name needs before it is called filtering)
CHECK_MORE_ROUNDS = 2


def print_report(doc: dict[str, Any], lang: str, out: TextIO) -> None:
    what, todo = cause_text(doc["cause"], lang)
    if not doc.get("decided", True):
        what, todo = word("undecided", lang), word("undecided_todo", lang)
    checked = doc.get("evaluated_text") or {}
    out.write(f"\n{word('title', lang)}  [{doc['site']}]\n")
    if checked.get("local"):
        # the record of the error, with its time: the seller's and Moscow's (Ozon's support)
        out.write(
            f"{word('checked_at', lang)}: {checked['local']}"
            f" ({word('moscow', lang)} {checked['moscow']})\n"
        )
    out.write(f"\n{word('layers', lang)}:\n")
    for layer in Layer:
        state = doc["layers"].get(layer, "unknown")
        out.write(f"  {_MARK[state]} {pad(word(layer, lang), 28)} {state_word(state, lang)}\n")
    if doc["services"]:
        out.write(f"\n{word('services', lang)}:\n")
        width = max(display_width(s.get("name") or s["service"]) for s in doc["services"])
        for s in doc["services"]:
            name = pad(s.get("name") or s["service"], min(width, 34))
            out.write(
                f"  {_MARK[s['state']]} {name} {pad(state_word(s['state'], lang), 12)} "
                f"{s['text']}\n"
            )
    # the cause's code is for people who read English and for scripts (--json has it)
    code = f"  ({doc['cause']})" if lang == "en" and doc.get("decided", True) else ""
    out.write(f"\n{word('verdict', lang)}: {what}{code}\n")
    out.write(f"{word('todo', lang)}: {todo}\n")
    if doc["evidence"]:
        out.write(f"{word('evidence', lang)}:\n")
        for line in doc["evidence"]:
            out.write(f"  - {line}\n")
    if doc.get("fleet"):
        out.write(f"{word('fleet', lang)}: {doc['fleet']['text']}\n")


def print_throughput(tp: dict[str, Any], lang: str, out: TextIO) -> None:
    out.write(f"\n{word('throughput', lang)}:\n")
    if not tp["planned"]:
        out.write(f"  {word('no_throughput', lang)}\n")
        return
    done = {r["target"] for r in tp["results"]}
    for r in tp["results"]:
        mark = "✓" if r["ok"] else "✗"
        parts = []
        for direction in ("download", "upload"):
            if direction in r:
                rate = r[direction]["bytes_per_second"]
                parts.append(f"{word(direction, lang)} {_mbit(rate)}")
        figures = ", ".join(parts) or (r["error"] or "")
        tail = f"  ({r['detail']})" if r["detail"] else ""
        out.write(f"  {mark} {r['target']:<14} {figures}{tail}\n")
    why = word("refused_budget" if "budget" in tp["refused"] else "refused_other", lang)
    for name in tp["planned"]:
        if name not in done:
            out.write(f"  - {name:<14} {why}\n")


def print_path(doc: dict[str, Any], lang: str, out: TextIO) -> None:
    """What each packet-level kind found, per target: hops and worst hop, MTU, ARP."""
    by_target: dict[str, list[str]] = {}
    for r in doc["results"]:
        spec = KINDS.get(r["kind"])
        if spec is not None and spec.report is not None:
            by_target.setdefault(r["target"], []).extend(spec.report(r))
    if not by_target:
        return
    out.write(f"\n{word('path', lang)}:\n")
    for target, lines in by_target.items():
        out.write(f"  {target}\n")
        for line in lines:
            out.write(f"    {line}\n")
