"""Benchmarks of the agent's cost, run by hand (not in CI: these machines are shared and noisy).

    python bench/run.py            # prints a Markdown table for docs/performance.md

What it measures, against loopback servers it starts itself (nothing leaves the machine):
1. start-up: seconds from exec to the first answer on /metrics;
2. steady-state RSS of the daemon with every probe kind (dns, icmp, tcp, tls, http) on 100
   targets, probing every 2 s, sampled after a warm-up;
3. CPU seconds (user + system) per 1000 probes over the same window;
4. the import cost of scapy, which must stay out of the daemon's import path;
5. the round of 200 targets of which 50 never answer, against timeout + 1 s;
6. the daemon's RSS again with path and MTU probes on (scapy loaded in worker threads).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.dnsserver import DnsServer  # noqa: E402
from tests.support.pki import make_ca  # noqa: E402
from tests.support.webserver import WebServer  # noqa: E402

TARGETS = 100
WARMUP = 20.0
WINDOW = 40.0


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runs_total(port: int) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("ozon_probe_runs_total{")
    )


def config(tmp: Path, ca_file: Path, web: int, dns: int, port: int, path: bool) -> Path:
    lines = [
        f"listen: 127.0.0.1:{port}",
        f"tls_ca_file: {ca_file}",
        "max_concurrency: 64",
        "probes:",
        "  dns:  {interval: 2s, timeout: 1s}",
        "  icmp: {interval: 2s, timeout: 1s, packets: 5, spacing: 20ms}",
        "  tcp:  {interval: 2s, timeout: 1s}",
        "  tls:  {interval: 2s, timeout: 1s}",
        "  http: {interval: 2s, timeout: 1500ms}",
        "  path: {interval: 10s, timeout: 10s, packets: 2}",
        "  pmtu: {interval: 10s, timeout: 5s}",
        "resolvers:",
        f'  - {{name: a, address: "127.0.0.1:{dns}"}}',
        f'  - {{name: b, address: "127.0.0.1:{dns}"}}',
        "targets:",
    ]
    for i in range(TARGETS):
        group = ("ozon", "control")[i % 2]
        # path probes on the Ozon half: a trace per target, as the default profile would do
        kinds = "dns, icmp, tcp, tls, http" + (", path, pmtu" if path and group == "ozon" else "")
        lines.append(
            f'  - {{name: t{i}, group: {group}, country: RU, url: "https://seller.ozon.ru:{web}/",'
            f" probes: [{kinds}]}}"
        )
    path = tmp / "bench.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def daemon_figures(tmp: Path, path: bool = False) -> dict[str, float]:
    tmp = tmp / ("path" if path else "plain")
    tmp.mkdir()
    ca = make_ca(tmp / "ca")
    cert = ca.issue(tmp, ["seller.ozon.ru"], ["127.0.0.1"])
    port = 18043
    with DnsServer({"seller.ozon.ru": ["127.0.0.1"]}) as dns, WebServer(tls=cert) as web:
        resolv = tmp / "resolv.conf"
        resolv.write_text(f"nameserver 127.0.0.1:{dns.port}\n")
        cfg = config(tmp, ca.cert_path, web.port, dns.port, port, path)
        env = {**os.environ, "OZON_PROBE_RESOLV_CONF": str(resolv), "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        # -X importtime logs every import, lazy ones included: it tells whether scapy was loaded
        imports = tmp / "imports.log"
        proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "agent", "run", "-c", str(cfg),
             "--log-level", "warning"],
            cwd=ROOT, env=env, stderr=imports.open("w"),
        )  # fmt: skip
        try:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.02)
            startup = time.monotonic() - started
            time.sleep(WARMUP)
            cpu0, runs0 = cpu_seconds(proc.pid), runs_total(port)
            samples = []
            t_end = time.monotonic() + WINDOW
            while time.monotonic() < t_end:
                samples.append(rss_kib(proc.pid))
                time.sleep(1)
            cpu1, runs1 = cpu_seconds(proc.pid), runs_total(port)
        finally:
            proc.terminate()
            proc.wait(10)
    return {
        "startup_s": startup,
        "rss_mib_max": max(samples) / 1024,
        "rss_mib_median": sorted(samples)[len(samples) // 2] / 1024,
        "probes": runs1 - runs0,
        "cpu_s_per_1000": (cpu1 - cpu0) / (runs1 - runs0) * 1000,
        "scapy_loaded": float("| scapy" in imports.read_text()),
    }


def import_cost(module: str) -> dict[str, float]:
    code = (
        "import time, resource, sys\n"
        "t = time.perf_counter()\n"
        f"import {module}\n"
        "dt = time.perf_counter() - t\n"
        "rss = int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])\n"
        "print(dt, rss, 'scapy' in ' '.join(sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {"seconds": float(out[0]), "rss_mib": int(out[1]) / 1024, "scapy": out[2] == "True"}


def hanging_round() -> float:
    from agent.scheduler import Scheduler
    from agent.store import ResultStore
    from tests.conftest import config_for

    with WebServer() as ok, WebServer() as hang:
        hang.set_behaviour("default", "hang")
        lines = ["probes:", "  http: {interval: 10s, timeout: 1s}", "targets:"]
        lines += [
            f'  - {{name: ok_{i}, group: control, url: "http://127.0.0.1:{ok.port}/", probes: [http]}}'
            for i in range(150)
        ]
        lines += [
            f'  - {{name: hang_{i}, group: ozon, url: "http://127.0.0.1:{hang.port}/", probes: [http]}}'
            for i in range(50)
        ]
        cfg = config_for("\n".join(lines) + "\n")
        t = time.monotonic()
        asyncio.run(Scheduler(cfg, ResultStore()).run_round("http"))
        return time.monotonic() - t


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        daemon = daemon_figures(Path(d))
        with_path = daemon_figures(Path(d), path=True)
    bare = import_cost("json")
    agent = import_cost("agent.daemon")
    scapy = import_cost("scapy.all")
    rounds = [hanging_round() for _ in range(3)]
    result = {
        "daemon": daemon,
        "daemon_with_path": with_path,
        "import": {"python": bare, "agent.daemon": agent, "scapy.all": scapy},
        "hanging_round_s": rounds,
    }
    print(json.dumps(result, indent=1))
    print()
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| start-up to first /healthz answer | {daemon['startup_s']:.2f} s | |")
    print(
        f"| steady-state RSS, 100 targets x 5 probe kinds every 2 s (median / max) | "
        f"{daemon['rss_mib_median']:.1f} / {daemon['rss_mib_max']:.1f} MiB | <= 60 MB |"
    )
    print(
        f"| CPU per 1000 probes ({daemon['probes']:.0f} probes in {WINDOW:.0f} s) | "
        f"{daemon['cpu_s_per_1000']:.2f} s | |"
    )
    print(f"| scapy loaded by the daemon | {'yes' if daemon['scapy_loaded'] else 'no'} | no |")
    print(
        "| the same with path + pmtu probes on the 50 Ozon targets (scapy in worker threads), "
        f"median / max | {with_path['rss_mib_median']:.1f} / {with_path['rss_mib_max']:.1f} MiB"
        f" (scapy loaded: {'yes' if with_path['scapy_loaded'] else 'no'}) | |"
    )
    print(
        f"| import agent.daemon: time / RSS (bare python: {bare['rss_mib']:.1f} MiB) | "
        f"{agent['seconds']:.2f} s / {agent['rss_mib']:.1f} MiB | scapy not imported: "
        f"{'no' if agent['scapy'] else 'yes'} |"
    )
    print(f"| import scapy.all: time / RSS | {scapy['seconds']:.2f} s / {scapy['rss_mib']:.1f} MiB | |")
    print(
        "| round of 200 HTTP targets, 50 hanging, timeout 1 s (3 runs) | "
        + ", ".join(f"{r:.2f} s" for r in rounds)
        + " | <= 2 s |"
    )


if __name__ == "__main__":
    main()
