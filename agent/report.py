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
from agent.daemon import Agent
from agent.diagnosis import LAYERS
from agent.i18n import cause_text, detect_lang, state_word, word
from agent.results import ProbeResult, probe_details

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


PATH_KINDS = ("arp", "path", "pmtu")


def with_path_probes(config: Config) -> Config:
    """`check --path`: trace and MTU-probe every Ozon host once (one target per host), ARP the
    gateway, whatever the config says; traces run one at a time, so the timeout grows with
    their number."""
    seen: set[str] = set()
    targets = []
    for t in config.targets:
        extra: tuple[str, ...] = ()
        if t.group == "ozon" and t.host not in seen:
            seen.add(t.host)
            extra = ("path", "pmtu")
        elif t.group == "gateway":
            extra = ("arp",)
        targets.append(replace(t, probes=t.probes + tuple(k for k in extra if k not in t.probes)))
    probes = dict(config.probes)
    n = max(1, len(seen))
    path = probes["path"]
    probes["path"] = replace(path, timeout=max(path.timeout, 15.0 * path.packets / 3 * n))
    return replace(config, targets=tuple(targets), probes=probes)


async def run_check(
    config: Config,
    *,
    as_json: bool,
    lang: str | None,
    throughput: bool = False,
    path: bool = False,
) -> int:
    lang = lang or detect_lang()
    if path:
        config = with_path_probes(config)
    agent = Agent(config)
    # one round is all `check` has: a soft fault seen in it is reported, not waited for
    agent.diagnoser.min_streak = 1
    sched = agent.scheduler
    total = sum(len(sched.targets(k)) for k in sched.kinds())
    progress = Progress(total, lang, sys.stderr)
    sched.on_result = progress
    sched.on_round = None
    kinds = [k for k in sched.kinds() if k not in PATH_KINDS]
    path_kinds = [k for k in sched.kinds() if k in PATH_KINDS]
    progress.total = sum(len(sched.targets(k)) for k in kinds)
    await sched.run_once(kinds)
    if path_kinds:
        # after the round, not with it: traces take seconds each and send bursts of packets
        progress.total += sum(len(sched.targets(k)) for k in path_kinds)
        await sched.run_once(path_kinds)
    progress.close()
    agent.refresh()
    tp_doc: dict[str, Any] | None = None
    if throughput:
        # `check` asks explicitly: the tests run even when the daemon's schedule is off, but
        # never past the budget, and only now that the probe round above is over
        tp_progress = ThroughputProgress(lang, sys.stderr)
        planned = [t.name for _, t, _ in sched.throughput_plan()]
        results = await sched.run_throughput(on_start=tp_progress)
        tp_progress.close()
        refused = dict(agent.store.snapshot().throughput_refused)
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
                    **probe_details(r),
                }
                for r in results
            ],
        }
    doc = agent.status()
    if tp_doc is not None:
        doc["throughput"] = tp_doc
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print_report(doc, lang, sys.stdout)
        if path:
            print_path(doc, sys.stdout)
        if tp_doc is not None:
            print_throughput(tp_doc, lang, sys.stdout)
    return 0 if doc["cause"] == "ok" else 1


def print_report(doc: dict[str, Any], lang: str, out: TextIO) -> None:
    what, todo = cause_text(doc["cause"], lang)
    out.write(f"\n{word('title', lang)}  [{doc['site']}]\n\n")
    out.write(f"{word('layers', lang)}:\n")
    for layer in LAYERS:
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


def print_path(doc: dict[str, Any], out: TextIO) -> None:
    """Hops, worst hop and MTU per Ozon host; the gateway's ARP answer."""
    by_target: dict[str, dict[str, dict[str, Any]]] = {}
    for r in doc["results"]:
        if r["kind"] in PATH_KINDS:
            by_target.setdefault(r["target"], {})[r["kind"]] = r
    if not by_target:
        return
    out.write("\nPath:\n")
    for target, kinds in by_target.items():
        if "arp" in kinds:
            a = kinds["arp"]
            out.write(
                f"  {'✓' if a['ok'] else '✗'} {target:<16} ARP: {a['detail'] or a['error']}\n"
            )
        if "path" in kinds:
            p = kinds["path"]
            mtu = kinds.get("pmtu", {})
            mtu_text = f", MTU {mtu['mtu']}" if mtu.get("mtu") else ""
            out.write(
                f"  {'✓' if p['ok'] else '✗'} {target:<16} {p['detail'] or p['error']}{mtu_text}\n"
            )
            for t in p.get("traces", []):
                route = " > ".join(h["address"] for h in t["hops"])
                out.write(f"      {t['method']:<4} {route}\n")
