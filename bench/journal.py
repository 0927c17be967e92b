"""What the incident journal costs, run by hand (not in CI: these machines are shared and noisy).

    python bench/journal.py        # prints a Markdown table for docs/performance.md

1. one `observe` (one transaction, fsync'ed: synchronous=FULL) on a tmp file, median and p99;
2. the file's size after 90 days of rounds every 30 s (simulated times, 7 services, a verdict
   change and an incident every few hours): what the default retention keeps;
3. `build_report` + `render` of 24 h and of 7 d from that file.
Nothing here touches the network.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.journal import Journal  # noqa: E402
from agent.journal_report import build_report, render  # noqa: E402

SERVICES = ["cabinet", "login", "seller_api", "ads_api", "storefront", "cdn_images", "cdn_static"]
REASON = [{"code": "http_status", "params": {"target": "cabinet", "status": 503}}]


def _round(j: Journal, at: float, i: int) -> None:
    bad = i % 480 < 6  # three minutes of outage every four hours
    states = {s: ("down" if bad and s == "cabinet" else "ok") for s in SERVICES}
    j.observe(
        at,
        "platform_outage" if bad else "ok",
        REASON if bad else [],
        states,
        {"rtt_ms": 30.0 + i % 7, "loss_ratio": 0.0},
    )


def main() -> None:
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as d:
        j = Journal.open(Path(d))
        t0 = time.time() - 86400
        times = []
        for i in range(600):
            s = time.perf_counter()
            _round(j, t0 + 30 * i, i)
            times.append(time.perf_counter() - s)
        times.sort()
        rows.append(
            (
                "one `observe` (one fsync'ed transaction), median / p99 over 600",
                f"{statistics.median(times) * 1000:.2f}"
                f" / {times[int(len(times) * 0.99)] * 1000:.2f} ms",
            )
        )
    with tempfile.TemporaryDirectory() as d:
        j = Journal.open(Path(d))
        # synchronous=FULL is not what is measured here: the file's size is
        assert j._conn is not None
        j._conn.execute("PRAGMA synchronous=OFF")
        now = time.time()
        start = now - 90 * 86400
        n = 90 * 2880
        s = time.perf_counter()
        for i in range(n):
            _round(j, start + 30 * i, i)
        fill = time.perf_counter() - s
        j.prune(now)
        size = sum(f.stat().st_size for f in Path(d).glob("journal.db*"))
        rows.append(
            (
                f"file size after 90 days of 30 s rounds ({n} rounds,"
                f" {len(j.incidents(0))} incidents, 7 services)",
                f"{size / 1e6:.1f} MB (filled in {fill:.0f} s without fsync)",
            )
        )
        for label, span in (("24 h", 86400), ("7 d", 7 * 86400)):
            s = time.perf_counter()
            report = build_report(j, since=now - span, lang="ru", tz="Europe/Moscow", now=now)
            html = render(report, "html")
            rows.append(
                (
                    f"`build_report` + html render, {label} ({len(report['incidents'])} incidents)",
                    f"{(time.perf_counter() - s) * 1000:.0f} ms, {len(html) / 1000:.0f} kB",
                )
            )
    print("| journal figure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
