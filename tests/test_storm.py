"""A storm, bounded: the real daemon probes 20 loopback targets every second while web and DNS
servers die and come back, SIGHUPs arrive in bursts and garbage hits its own port, for about a
minute (bench/ can run it longer: OZON_PROBE_STORM_SECONDS). Afterwards no probe loop is stuck,
no series was lost, every kind kept its rounds, and RSS and open fds are flat."""

from __future__ import annotations

import os
import random
import signal
import socket
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.agentproc import AgentProcess
from tests.support.dnsserver import DnsServer
from tests.support.webserver import WebServer

SECONDS = float(os.environ.get("OZON_PROBE_STORM_SECONDS", "45"))


def _config(path: Path, web: int, dns: int) -> Path:
    lines = [
        "listen: 127.0.0.1:0",
        "site: {name: storm, country: RU}",
        "probes:",
        "  dns: {interval: 1s, timeout: 500ms}",
        "  tcp: {interval: 1s, timeout: 500ms}",
        "  http: {interval: 1s, timeout: 800ms}",
        "bursts: {watch_interval: 1s, watch_timeout: 300ms, per_minute: 30}",
        "resolvers:",
        f'  - {{name: office, address: "127.0.0.1:{dns}"}}',
        f'  - {{name: yandex, address: "127.0.0.1:{dns}", country: RU}}',
        "targets:",
    ]
    for i in range(20):
        group = "ozon" if i < 10 else "control"
        lines.append(
            f'  - {{name: t{i}, group: {group}, country: RU, url: "http://storm{i}.lab:{web}/",'
            " probes: [dns, tcp, http]}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def _proc(pid: int) -> tuple[int, int]:
    rss = int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def _series(text: str) -> set[tuple[str, str]]:
    return {
        (s.labels["kind"], s.labels["target"])
        for f in text_string_to_metric_families(text)
        if f.name == "ozon_probe_success"
        for s in f.samples
    }


def test_a_storm_leaves_no_stuck_loop_no_lost_series_and_flat_resources(tmp_path: Path) -> None:
    rng = random.Random(7)
    zone = {f"storm{i}.lab": ["127.0.0.1"] for i in range(20)}
    dns = DnsServer(zone).start()
    web = WebServer().start()
    web.set_behaviour("default", "ok")
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(f"nameserver 127.0.0.1:{dns.port}\n")
    cfg = _config(tmp_path / "storm.yaml", web.port, dns.port)
    try:
        with AgentProcess(cfg, env={"OZON_PROBE_RESOLV_CONF": str(resolv)}) as agent:
            agent.wait_for(lambda: len(_series(agent.get("/metrics")[1])) == 60, 15, "every series")
            time.sleep(5)  # warm: caches, first bursts
            start_rss, start_fds = _proc(agent.proc.pid)
            before = agent.status()["rounds"]
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                act = rng.choice(["web", "dns", "hup", "garbage", "behaviour"])
                if act == "web":
                    web.set_behaviour("default", rng.choice(["reset", "hang", "ok", "status"]))
                elif act == "dns":
                    mode = rng.choice(
                        ["servfail", "silent", "normal", "garbage", "many", "other_name"]
                    )
                    params = {"many": {"count": 3000}, "other_name": {"name": "elsewhere.lab"}}
                    dns.set_mode(mode, **params.get(mode, {}))
                elif act == "hup":
                    for _ in range(3):
                        agent.signal(signal.SIGHUP)
                        time.sleep(0.05)
                elif act == "garbage":
                    with socket.create_connection(("127.0.0.1", agent.port or 0), 2) as s:
                        s.sendall(os.urandom(300) + b"\r\n\r\n")
                time.sleep(rng.uniform(0.2, 1.2))
            web.set_behaviour("default", "ok")
            dns.set_mode("normal")
            time.sleep(4)
            text = agent.get("/metrics")[1]
            status = agent.status()
            end_rss, end_fds = _proc(agent.proc.pid)
            healthz = agent.get("/healthz")[0]
            assert agent.proc.poll() is None
        assert _series(text) == {(k, f"t{i}") for k in ("dns", "tcp", "http") for i in range(20)}
        for kind in ("dns", "tcp", "http"):
            assert status["rounds"][kind] >= before[kind] + SECONDS / 3, (
                kind,
                before,
                status["rounds"],
            )
        assert healthz == 200, "a probe loop is stuck"
        assert "ozon_probe_loop_restarts_total" in text
        assert end_rss - start_rss < 15_000, (start_rss, end_rss)  # kB: flat, not leaking
        assert end_fds - start_fds < 20, (start_fds, end_fds)
        assert "Traceback" not in agent.log, agent.log[-3000:]
    finally:
        web.stop()
        dns.stop()
