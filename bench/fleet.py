"""What one site costs the fleet, measured in the fleet lab (run by hand, as root; not in CI).

    python bench/fleet.py [--minutes 10]     # prints a Markdown table for docs/fleet.md

One lab office (tests/lab/fleet.py: the real agent with the lab's config, the office's
Prometheus agent from deploy/office/prometheus-agent.yml at its shipped 15 s scrape interval)
remote-writes to the centre's VictoriaMetrics. After a warm-up of two scrapes, over the
measured window:
1. series per site: distinct series of that site at the centre (count({site=...}));
2. samples per site per day: from VictoriaMetrics' count_over_time over the window;
3. remote-write bytes per site per day: the office Prometheus's
   prometheus_remote_storage_bytes_total (compressed payload), and the bytes on the wire
   both ways (an nftables counter on the ISP's link to the centre: HTTP, TCP and IP included);
4. the office Prometheus agent's RSS and the size of its WAL at the end.
Per-day figures are the window's rate times 86,400 s. Nothing leaves the lab's namespaces.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.lab.fleet import FLEET_TABLE, Fleet  # noqa: E402
from tests.lab.lab import _run  # noqa: E402

SITE = "bench"


def metric(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def wire_bytes(fleet: Fleet) -> tuple[int, int]:
    """(office -> centre, centre -> office) bytes counted on the ISP's link to the centre."""
    out = _run(
        ["ip", "netns", "exec", fleet.labs[0].ns("isp"), "nft", "list", "chain", "ip",
         FLEET_TABLE, "wire_bytes"],
    )  # fmt: skip
    counts = [int(n) for n in re.findall(r"bytes (\d+)", out)]
    return counts[0], counts[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    with Fleet(sites=[(SITE, "CN")], scrape_interval="15s", quick_retries=False) as fleet:
        _run(
            ["ip", "netns", "exec", fleet.labs[0].ns("isp"), "nft", "-f", "-"],
            input=f"add chain ip {FLEET_TABLE} wire_bytes "
            "{ type filter hook forward priority -20; policy accept; }\n"
            f"add rule ip {FLEET_TABLE} wire_bytes oifname centre0 counter\n"
            f"add rule ip {FLEET_TABLE} wire_bytes iifname centre0 counter\n",
        )
        fleet.start_offices()
        time.sleep(45)  # the agent's first rounds, two scrapes, the first remote-write batch
        fleet.check_alive()
        t0 = time.time()
        m0 = fleet.office_metrics(0)
        w0 = wire_bytes(fleet)
        time.sleep(args.minutes * 60)
        fleet.check_alive()
        t1 = time.time()
        m1 = fleet.office_metrics(0)
        w1 = wire_bytes(fleet)
        time.sleep(20)  # the last batch reaches the centre
        elapsed = t1 - t0
        day = 86400 / elapsed
        series = int(fleet.query(f'count({{site="{SITE}"}})')[0]["value"][1])
        samples = fleet.query(f'sum(count_over_time({{site="{SITE}"}}[{int(elapsed)}s]))', at=t1)
        n_samples = int(float(samples[0]["value"][1]))
        payload = metric(m1, "prometheus_remote_storage_bytes_total") - metric(
            m0, "prometheus_remote_storage_bytes_total"
        )
        sent = metric(m1, "prometheus_remote_storage_samples_total") - metric(
            m0, "prometheus_remote_storage_samples_total"
        )
        rss = metric(m1, "process_resident_memory_bytes")
        wal = sum(
            p.stat().st_size for p in (fleet.workdir / "office0" / "wal").rglob("*") if p.is_file()
        )
        up, down = w1[0] - w0[0], w1[1] - w0[1]
        rows = [
            ("measured window", f"{elapsed / 60:.1f} min at a 15 s scrape interval"),
            ("series per site (lab config: 16 targets)", f"{series}"),
            ("samples per site per day", f"{n_samples * day / 1e6:.2f} M"),
            ("samples sent by remote_write in the window", f"{int(sent)}"),
            (
                "remote-write payload per site per day (prometheus_remote_storage_bytes_total)",
                f"{payload * day / 1e6:.1f} MB ({payload / max(sent, 1):.2f} B/sample)",
            ),
            (
                "bytes on the wire per site per day, office -> centre / back",
                f"{up * day / 1e6:.1f} MB / {down * day / 1e6:.1f} MB",
            ),
            ("office Prometheus agent RSS", f"{rss / 2**20:.0f} MiB"),
            ("its WAL on disk at the end", f"{wal / 2**20:.1f} MiB"),
        ]
        print("| figure | value |\n|---|---|")
        for k, v in rows:
            print(f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
