"""ozon-probe side by side with Debian's prometheus-blackbox-exporter (run by hand as root).

    python bench/blackbox.py [--probes 500]

Re-executes itself in a fresh network namespace with only loopback (nothing can leave), starts
the loopback servers (tests/support: a TLS and a plain web server, a DNS server), then for
each kind (tcp, tls, http, https, icmp, dns):
- blackbox_exporter (listening on 127.0.0.1 only, with a config written here) gets --probes
  GETs of /probe?module=KIND&target=..., one after another from this script;
- ozon-probe runs a daemon with only that kind, 50 targets on the same servers, every second,
  for as long as it takes to do at least --probes probes (counted by ozon_probe_runs_total).
CPU = utime + stime of each prober's own process (/proc/PID/stat) before and after, per 1000
probes. RSS = VmRSS of each process at the end of its kind's run. ICMP: one echo per probe on
both sides (blackbox sends one; ozon-probe's `packets: 1`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import cpu_seconds, rss_kib, runs_total  # noqa: E402
from tests.support.dnsserver import DnsServer  # noqa: E402
from tests.support.pki import make_ca  # noqa: E402
from tests.support.webserver import WebServer  # noqa: E402

KINDS = ("tcp", "tls", "http", "https", "icmp", "dns")
BLACKBOX_PORT, AGENT_PORT = 19115, 18243
AGENT_TARGETS = 50


def blackbox_config(ca_file: Path) -> str:
    tls = f"{{ca_file: {ca_file}}}"
    return f"""modules:
  tcp: {{prober: tcp, timeout: 5s}}
  tls: {{prober: tcp, timeout: 5s, tcp: {{tls: true, tls_config: {tls}}}}}
  http: {{prober: http, timeout: 5s}}
  https: {{prober: http, timeout: 5s, http: {{tls_config: {tls}}}}}
  icmp: {{prober: icmp, timeout: 5s, icmp: {{preferred_ip_protocol: ip4}}}}
  dns: {{prober: dns, timeout: 5s, dns: {{query_name: seller.ozon.ru, query_type: A,
        transport_protocol: udp, preferred_ip_protocol: ip4}}}}
"""


def blackbox_targets(kind: str, web: int, plain: int, dns: int) -> str:
    return {
        "tcp": f"127.0.0.1:{web}",
        "tls": f"localhost:{web}",
        "http": f"http://127.0.0.1:{plain}/",
        "https": f"https://localhost:{web}/",
        "icmp": "127.0.0.1",
        "dns": f"127.0.0.1:{dns}",
    }[kind]


def agent_config(kind: str, ca_file: Path, web: int, plain: int, dns: int) -> str:
    probe = "http" if kind == "https" else kind
    lines = [
        f"listen: 127.0.0.1:{AGENT_PORT}",
        f"tls_ca_file: {ca_file}",
        "controls: listed",
        "probes:",
        f"  {probe}: {{interval: 1s, timeout: 1s"
        + (", packets: 1" if kind == "icmp" else "")
        + "}",
        "resolvers:",
        f'  - {{name: a, address: "127.0.0.1:{dns}"}}',
        "targets:",
    ]
    for i in range(AGENT_TARGETS):
        if kind == "http":
            where = f'url: "http://127.0.0.1:{plain}/"'
        elif kind in ("https", "dns"):
            where = f'url: "https://seller.ozon.ru:{web}/"'
        elif kind == "icmp":
            where = "host: 127.0.0.1"
        else:
            where = f"host: seller.ozon.ru, port: {web}"
        lines.append(f"  - {{name: t{i}, group: ozon, {where}, probes: [{probe}]}}")
    return "\n".join(lines) + "\n"


def run_blackbox(binary: str, cfg: Path, kind: str, target: str, n: int) -> tuple[float, float]:
    proc = subprocess.Popen(
        [binary, f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{BLACKBOX_PORT}",
         "--log.level=error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{BLACKBOX_PORT}/probe?module={kind}&target={target}"
        _wait(f"http://127.0.0.1:{BLACKBOX_PORT}/metrics")
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        if "probe_success 1" not in body:
            raise SystemExit(f"blackbox {kind} fails against the loopback servers:\n{body}")
        cpu0 = cpu_seconds(proc.pid)
        for _ in range(n):
            urllib.request.urlopen(url, timeout=10).read()
        cpu = cpu_seconds(proc.pid) - cpu0
        return cpu / n * 1000, rss_kib(proc.pid) / 1024
    finally:
        proc.terminate()
        proc.wait(10)


def run_agent(cfg: Path, resolv: Path, n: int) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OZON_PROBE_RESOLV_CONF": str(resolv)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "run", "-c", str(cfg), "--log-level", "error"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        _wait(f"http://127.0.0.1:{AGENT_PORT}/healthz")
        time.sleep(3)  # the first rounds, imports and TLS contexts, are not steady state
        cpu0, runs0 = cpu_seconds(proc.pid), runs_total(AGENT_PORT)
        while runs_total(AGENT_PORT) - runs0 < n:
            time.sleep(0.5)
        cpu1, runs1 = cpu_seconds(proc.pid), runs_total(AGENT_PORT)
        return (cpu1 - cpu0) / (runs1 - runs0) * 1000, rss_kib(proc.pid) / 1024
    finally:
        proc.terminate()
        proc.wait(10)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--probes", type=int, default=500, help="probes per kind and prober")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.inside:
        if os.geteuid() != 0:
            raise SystemExit("needs root: it runs in a network namespace of its own")
        isolated = "/work/shared/bin/isolated"
        cmd = [sys.executable, __file__, "--inside", "--probes", str(args.probes)]
        raise SystemExit(subprocess.run([isolated, *cmd], check=False).returncode)
    binary = shutil.which("prometheus-blackbox-exporter")
    if binary is None:
        raise SystemExit("apt-get install prometheus-blackbox-exporter first")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        ca = make_ca(tmp / "ca")
        cert = ca.issue(tmp, ["seller.ozon.ru", "localhost"], ["127.0.0.1"])
        bb_cfg = tmp / "blackbox.yml"
        bb_cfg.write_text(blackbox_config(ca.cert_path))
        with (
            DnsServer({"seller.ozon.ru": ["127.0.0.1"]}) as dns,
            WebServer(tls=cert) as web,
            WebServer() as plain,
        ):
            resolv = tmp / "resolv.conf"
            resolv.write_text(f"nameserver 127.0.0.1:{dns.port}\n")
            for kind in KINDS:
                target = blackbox_targets(kind, web.port, plain.port, dns.port)
                bb = run_blackbox(binary, bb_cfg, kind, target, args.probes)
                cfg = tmp / f"agent-{kind}.yaml"
                cfg.write_text(agent_config(kind, ca.cert_path, web.port, plain.port, dns.port))
                ours = run_agent(cfg, resolv, args.probes)
                rows.append((kind, bb, ours))
    print("| kind | blackbox CPU s / 1000 | ozon-probe CPU s / 1000 | ratio (target <= 0.5) "
          "| blackbox RSS | ozon-probe RSS |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for kind, (bb_cpu, bb_rss), (our_cpu, our_rss) in rows:
        print(
            f"| {kind} | {bb_cpu:.3f} | {our_cpu:.3f} | {our_cpu / bb_cpu:.2f}x | "
            f"{bb_rss:.1f} MiB | {our_rss:.1f} MiB |"
        )


if __name__ == "__main__":
    main()
