"""ICMP socket modes, each in a namespace of its own where the test sets the kernel's rules:
unprivileged datagram sockets first, raw sockets next, and neither: said once, in the log and
a metric, while the other probes go on."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, Netns, needs_netns

pytestmark = needs_netns

PROBE = """
import asyncio, json
from agent.probes import icmp
from agent.scheduler import measure
from tests.conftest import config_for, context
cfg = config_for("targets: [{name: lo, group: control, host: 127.0.0.1, probes: [icmp]}]\\n"
                 "probes: {icmp: {interval: 5s, timeout: 1s, packets: 3, spacing: 10ms}}\\n")
r = asyncio.run(measure(icmp.SPEC, cfg.targets[0], context(cfg, "icmp")))
print(json.dumps({"ok": r.ok, "mode": r.data.mode, "received": r.data.received, "error": r.error}))
"""


def _probe(netns: Netns, *prefix: str) -> dict:
    r = netns.run(*prefix, sys.executable, "-c", PROBE, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    return json.loads(r.stdout)


def test_datagram_socket_when_the_group_may_ping(netns: Netns) -> None:
    netns.run("sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
    assert _probe(netns) == {"ok": True, "mode": "datagram", "received": 3, "error": None}


def test_raw_socket_when_datagram_is_not_allowed(netns: Netns) -> None:
    netns.run("sysctl", "-qw", "net.ipv4.ping_group_range=1 0")
    assert _probe(netns) == {"ok": True, "mode": "raw", "received": 3, "error": None}


def test_neither_allowed_is_said_once_and_the_rest_goes_on(netns: Netns, tmp_path: Path) -> None:
    netns.run("sysctl", "-qw", "net.ipv4.ping_group_range=1 0")
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(
        "listen: 127.0.0.1:10043\n"
        "probes: {icmp: {interval: 1s, timeout: 500ms, packets: 2, spacing: 10ms}, tcp: {interval: 1s, timeout: 500ms}}\n"
        "targets:\n"
        "  - {name: lo_ping, group: control, host: 127.0.0.1, probes: [icmp]}\n"
        "  - {name: lo_tcp, group: control, host: 127.0.0.1, port: 10043, probes: [tcp]}\n"
    )
    import subprocess

    # root without CAP_NET_RAW, and a group outside ping_group_range: no ICMP socket at all
    proc = subprocess.Popen(
        ["ip", "netns", "exec", netns.name, "setpriv", "--bounding-set=-net_raw",
         "--inh-caps=-net_raw", sys.executable, "-m", "agent", "run", "-c", str(cfg)],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        time.sleep(4.5)  # four rounds
        fetch = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:10043/metrics').read().decode())"
        metrics = netns.run(sys.executable, "-c", fetch).stdout
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert 'ozon_probe_icmp_socket_mode{mode="none"} 1.0' in metrics
    assert (
        'ozon_probe_last_error{category="permission",group="control",kind="icmp",target="lo_ping"} 1.0'
        in metrics
    )
    assert 'ozon_probe_success{group="control",kind="tcp",target="lo_tcp"} 1.0' in metrics
    rounds = [
        line
        for line in metrics.splitlines()
        if line.startswith('ozon_probe_rounds_total{kind="icmp"}')
    ]
    assert rounds and float(rounds[0].split()[-1]) >= 3
    assert err.count("ICMP probes are off") == 1, err
