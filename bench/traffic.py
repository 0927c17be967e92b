"""Daily traffic of the default profile, counted on the wire (run by hand as root; not in CI).

    python bench/traffic.py [--minutes 2] [--scale 10] [--page-size 10MB] [--agent-root DIR]

Method: two network namespaces this script creates and removes, joined by a veth pair on
198.18.0.0/24. "world" holds every address the default profile (site.country: RU, controls:
auto) talks to, on its loopback: the five public resolvers and a "system" resolver (DNS
servers from tests/support/dnsserver.py), one TLS web server (tests/support/webserver.py) that
every Ozon and control name resolves to, and the gateway (world's end of the veth, answering
ping). "agent" holds the agent, whose default route goes through the veth, and an nftables
counter on its veth end in both directions: every byte of every probe, IP and TCP/UDP headers
included (no Ethernet framing), crosses it; the agent's own /metrics on 127.0.0.1 does not.
The profile is agent/profiles/default.yaml itself with every interval divided by --scale; the
bytes counted over --minutes after a warm-up are extrapolated to a day at the shipped
intervals: bytes / minutes * 1440 / scale. Every Ozon page but the Seller API's 401 is
--page-size bytes long (default 10 MB: an upper bound, every read reaching the probe's cap).
--agent-root runs another checkout's agent (e.g. `git archive <commit>` unpacked) for a
before/after figure. Nothing leaves the two namespaces.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.pki import make_ca  # noqa: E402

RESOLVERS = ["77.88.8.8", "77.88.8.1", "195.208.4.1", "195.208.5.1", "8.8.8.8"]
SYSTEM_RESOLVER = "198.19.0.53"
WEB = "198.19.0.10"
GATEWAY, AGENT_ADDR = "198.18.0.1", "198.18.0.2"
LISTEN = "127.0.0.1:18143"


def sh(*args: str) -> None:
    subprocess.run(args, check=True)


@contextlib.contextmanager
def namespaces() -> Iterator[tuple[str, str]]:
    agent, world = f"trafagent{os.getpid()}", f"trafworld{os.getpid()}"
    try:
        for ns in (agent, world):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "va", "netns", agent, "type", "veth", "peer", "vw", "netns", world)
        sh("ip", "-n", agent, "addr", "add", f"{AGENT_ADDR}/24", "dev", "va")
        sh("ip", "-n", world, "addr", "add", f"{GATEWAY}/24", "dev", "vw")
        for ns, dev in ((agent, "va"), (world, "vw")):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", agent, "route", "add", "default", "via", GATEWAY)
        for addr in [*RESOLVERS, SYSTEM_RESOLVER, WEB]:
            sh("ip", "-n", world, "addr", "add", f"{addr}/32", "dev", "lo")
        rules = (
            "table inet traffic {\n"
            ' chain in { type filter hook input priority 0; iifname "va" counter; }\n'
            ' chain out { type filter hook output priority 0; oifname "va" counter; }\n'
            "}\n"
        )
        subprocess.run(
            ["ip", "netns", "exec", agent, "nft", "-f", "-"], input=rules.encode(), check=True
        )
        yield agent, world
    finally:
        for ns in (agent, world):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL, check=False)


def counted(agent: str) -> tuple[int, int]:
    """(bytes into the agent, bytes out of it) so far."""
    text = subprocess.run(
        ["ip", "netns", "exec", agent, "nft", "list", "table", "inet", "traffic"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = [int(b) for b in re.findall(r"counter packets \d+ bytes (\d+)", text)]
    return found[0], found[1]


def spawn(
    ns: str, args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    # `python -m` puts the working directory first on sys.path: it picks which agent/ runs
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, *args], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=log.open("w"),
    )  # fmt: skip


def wait_ready(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith(b"ready"):
        raise SystemExit(f"a test server did not start: {line!r}")


def profile(tmp: Path, ca_file: Path, scale: float) -> tuple[Path, list[str]]:
    doc = yaml.safe_load((ROOT / "agent/profiles/default.yaml").read_text())
    doc["listen"] = LISTEN
    doc["tls_ca_file"] = str(ca_file)
    doc["site"]["country"] = "RU"
    for kind, settings in doc["probes"].items():
        interval_ms = int(str(settings["interval"]).rstrip("s")) * 1000 / scale
        timeout_ms = int(str(settings["timeout"]).rstrip("s")) * 1000
        settings["interval"] = f"{interval_ms:.0f}ms"
        # every probe here answers, so a shorter timeout costs nothing on the wire
        settings["timeout"] = f"{min(interval_ms, timeout_ms):.0f}ms"
        _ = kind
    hosts = [t["url"].split("/")[2] for t in doc["targets"] if "url" in t] + ["ya.ru", "vk.com"]
    path = tmp / "agent.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path, hosts


def measure(
    minutes: float, scale: float, page: int, agent_root: Path, warmup: float
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d, namespaces() as (agent, world):
        tmp = Path(d)
        ca = make_ca(tmp / "ca")
        cfg, hosts = profile(tmp, ca.cert_path, scale)
        cert = ca.issue(tmp, hosts, [WEB])
        zone = tmp / "zone.json"
        zone.write_text(json.dumps({h: [WEB] for h in hosts}))
        modes = tmp / "modes.json"
        modes.write_text(json.dumps({
            "default": {"behaviour": "big", "size": page},
            "api-seller.ozon.ru": {"behaviour": "seller_api"},
        }))  # fmt: skip
        resolv = tmp / "resolv.conf"
        resolv.write_text(f"nameserver {SYSTEM_RESOLVER}\n")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [
            spawn(world, [sys.executable, "-m", "tests.support.dnsserver", "--listen", f"{a}:53",
                          "--zone", str(zone)], env, tmp / f"dns-{a}.log")
            for a in [*RESOLVERS, SYSTEM_RESOLVER]
        ]  # fmt: skip
        procs.append(spawn(world, [sys.executable, "-m", "tests.support.webserver", "--listen",
                                   f"{WEB}:443", "--cert", str(cert[0]), "--key", str(cert[1]),
                                   "--mode-file", str(modes)], env, tmp / "web.log"))  # fmt: skip
        try:
            for p in procs:
                wait_ready(p)
            agent_env = {
                **env,
                "PYTHONPATH": str(agent_root),
                "OZON_PROBE_RESOLV_CONF": str(resolv),
            }
            proc = spawn(agent, [sys.executable, "-m", "agent", "run", "-c", str(cfg),
                                 "--log-level", "warning"], agent_env, tmp / "agent.log",
                         agent_root)  # fmt: skip
            procs.append(proc)
            time.sleep(warmup)
            in0, out0 = counted(agent)
            rss = []
            t_end = time.monotonic() + minutes * 60
            while time.monotonic() < t_end:
                status = Path(f"/proc/{proc.pid}/task").exists() and _agent_rss(proc.pid)
                if status:
                    rss.append(status)
                time.sleep(5)
            in1, out1 = counted(agent)
            if proc.poll() is not None:
                raise SystemExit("the agent died: " + (tmp / "agent.log").read_text()[-2000:])
        finally:
            for p in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, signal.SIGTERM)
            for p in procs:
                p.wait(10)
    day = 1440 / minutes / scale
    return {
        "in_per_day": (in1 - in0) * day,
        "out_per_day": (out1 - out0) * day,
        "rss_mib": sorted(rss)[len(rss) // 2] / 1024 if rss else 0.0,
    }


def _agent_rss(ip_netns_pid: int) -> int:
    """VmRSS (KiB) of the agent: `ip netns exec` execs it in place, so the pid is the agent's."""
    for line in Path(f"/proc/{ip_netns_pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--scale", type=float, default=10.0, help="intervals divided by this")
    ap.add_argument("--page-size", default="10MB", help="body of every Ozon and control page")
    ap.add_argument("--agent-root", type=Path, default=ROOT, help="checkout whose agent/ runs")
    ap.add_argument("--warmup", type=float, default=15.0, help="seconds before counting")
    args = ap.parse_args()
    page = (
        int(float(args.page_size[:-2]) * 1e6)
        if args.page_size.endswith("MB")
        else int(args.page_size)
    )
    if os.geteuid() != 0:
        raise SystemExit("needs root: it creates network namespaces and nftables counters")
    r = measure(args.minutes, args.scale, page, args.agent_root, args.warmup)
    total = r["in_per_day"] + r["out_per_day"]
    print("| agent | page | in / day | out / day | total / day | target | RSS (median) |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.agent_root} | {page / 1e6:g} MB | {r['in_per_day'] / 1e6:.1f} MB | "
        f"{r['out_per_day'] / 1e6:.1f} MB | {total / 1e6:.1f} MB | <= 50 MB | "
        f"{r['rss_mib']:.1f} MiB |"
    )


if __name__ == "__main__":
    main()
