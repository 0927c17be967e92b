"""Hostile inputs and unlucky timing, against the real daemon and real loopback servers: each
test here failed on the code before its fix (issue 13's list; the listener's and the parsers'
own tests live in test_server.py, test_net_*.py and test_config_fuzz.py)."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from agent.cli import _OneLine
from agent.config import Config, Target
from agent.probes import KINDS
from agent.runtime import Runtime
from agent.scheduler import RESTART_BACKOFF
from tests.agentproc import ROOT, AgentProcess
from tests.conftest import config_for
from tests.support.pki import CA
from tests.support.webserver import WebServer

KEY = "5e1f0c3a-Secret-Api-Key-7d9b4411"


def _loopback(path: Path, extra: str = "") -> Path:
    path.write_text(
        "listen: 127.0.0.1:0\n"
        "probes: {tcp: {interval: 1s, timeout: 500ms}}\n"
        "targets: [{name: closed, group: control, country: RU, host: 127.0.0.1, port: 1, probes: [tcp]}]\n"
        + extra
    )
    return path


def test_sighup_storms_do_not_multiply_probe_loops(tmp_path: Path) -> None:
    # before: a second reload entered while the first was inside stop(); after 20 such pairs a
    # target was probed 21 times a second instead of once
    with AgentProcess(_loopback(tmp_path / "a.yaml")) as agent:
        agent.wait_for(lambda: agent.status()["rounds"].get("tcp", 0) >= 1, 10, "first round")
        for _ in range(20):
            agent.signal(signal.SIGHUP)
            time.sleep(0.05)
            agent.signal(signal.SIGHUP)
            time.sleep(0.05)
        agent.wait_for(lambda: agent.log.count("reloaded") >= 2, 10, "reloads")
        time.sleep(1.5)  # the last reload has settled
        before = agent.status()["rounds"]["tcp"]
        time.sleep(4.0)
        rounds = agent.status()["rounds"]["tcp"] - before
        assert 2 <= rounds <= 6, f"{rounds} tcp rounds in 4 s at a 1 s interval"
        assert agent.proc.poll() is None


def test_reloads_neither_fire_extra_key_checks_nor_forget_retry_after(
    tmp_path: Path, ca: CA, certs: dict
) -> None:
    # before: each SIGHUP fired an immediate POST /v1/roles and forgot Retry-After (10 reloads
    # in 33 s, 11 calls against a 429 asking for 120 s)
    with WebServer(tls=certs["good"]) as web:
        web.set_behaviour("default", "rate_limited", retry_after=120)
        cfg = _loopback(
            tmp_path / "a.yaml",
            f"tls_ca_file: {ca.cert_path}\n"
            f'seller_api: {{url: "https://localhost:{web.port}/v1/roles", interval: 1m}}\n',
        )
        env = {"OZON_CLIENT_ID": "1", "OZON_API_KEY": KEY}
        with AgentProcess(cfg, env=env) as agent:
            agent.wait_for(lambda: len(web.requests) >= 1, 10, "the first key check")
            for _ in range(10):
                agent.signal(signal.SIGHUP)
                time.sleep(0.4)
            agent.wait_for(lambda: agent.log.count("reloaded") >= 5, 10, "reloads")
            time.sleep(1.0)
            calls = [r for r in web.requests if r.path == "/v1/roles"]
            assert len(calls) == 1, f"{len(calls)} calls to /v1/roles"


@pytest.mark.parametrize(
    "params",
    [{"pad": 180}, {"pad": 195, "upper": True}, {"extra": "\n2026-01-01T00:00:00 ERROR forged"}],
    ids=["padded", "padded-upper", "forged-line"],
)
def test_an_echoed_key_never_leaves_the_agent(
    tmp_path: Path, ca: CA, certs: dict, params: dict
) -> None:
    # before: the message was cut at 200 characters before the key was masked (a padded echo
    # leaked most of it), an upper-cased echo was not masked, a newline forged a log line
    with WebServer(tls=certs["good"]) as web:
        web.set_behaviour("default", "echo_key", **params)
        cfg = _loopback(
            tmp_path / "a.yaml",
            f"tls_ca_file: {ca.cert_path}\n"
            f'seller_api: {{url: "https://localhost:{web.port}/v1/roles", interval: 1m}}\n',
        )
        env = {"OZON_CLIENT_ID": "1", "OZON_API_KEY": KEY}
        with AgentProcess(cfg, env=env, args=["--log-level", "debug"]) as agent:
            agent.wait_for(lambda: "seller_api_key" in agent.get("/api/status")[1], 10, "check")
            texts = [agent.get(p)[1] for p in ("/api/status", "/metrics", "/")]
    texts.append(agent.log)
    for text in texts:
        low = text.lower()
        for i in range(len(KEY) - 7):
            assert KEY[i : i + 8].lower() not in low, f"key fragment {KEY[i : i + 8]!r} leaked"
    assert not any(line.startswith("2026-01-01T00:00:00 ERROR forged") for line in agent.lines)


def test_credentials_with_control_characters_are_refused_at_start(tmp_path: Path) -> None:
    cfg = _loopback(tmp_path / "a.yaml")
    for bad in ("abc\r\nX-Injected: 1", "ключ-не-ascii"):
        r = subprocess.run(
            [sys.executable, "-m", "agent", "run", "-c", str(cfg)], cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "OZON_CLIENT_ID": "1", "OZON_API_KEY": bad},
            capture_output=True, text=True, timeout=20,
        )  # fmt: skip
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "OZON_API_KEY" in lines[0], r.stderr
        assert bad not in r.stderr and "Traceback" not in r.stderr


def test_log_lines_cannot_be_forged_by_what_a_peer_says() -> None:
    fmt = _OneLine("%(levelname)s %(message)s")
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "server said %s", ("ok\n2026 ERROR forged\x1b[31m",), None
    )
    out = fmt.format(record)
    assert "\n" not in out and "\x1b" not in out and "\\n2026 ERROR forged" in out


def test_a_failing_round_loop_restarts_and_healthz_names_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # before: any exception inside a round (a resolv.conf line `nameserver 127.0.0.1:²`)
    # killed that kind's loop for good while /healthz stayed 200
    calls = {"n": 0}
    spec = KINDS["tcp"]

    def flaky(config: Config, environ: Mapping[str, str]) -> list[Target]:
        calls["n"] += 1
        if calls["n"] in (2, 3):  # kinds() asks once at start; the first rounds then fail
            raise ValueError("invalid literal for int() with base 10: '²'")
        return config.targets_for("tcp")

    monkeypatch.setitem(KINDS, "tcp", replace(spec, targets=flaky))
    monkeypatch.setattr("agent.scheduler.RESTART_BACKOFF", (0.2, 0.4))
    cfg = config_for(
        "probes: {tcp: {interval: 1s, timeout: 200ms}}\n"
        "targets: [{name: c, group: control, host: 127.0.0.1, port: 1, probes: [tcp]}]\n"
    )
    rt = Runtime(cfg, environ={})
    seen: list[tuple[bool, str]] = []

    async def main() -> None:
        rt.scheduler.start()
        for _ in range(30):
            await asyncio.sleep(0.1)
            seen.append(rt.healthy())
        await rt.scheduler.stop()

    asyncio.run(main())
    assert any(not ok and "tcp" in why for ok, why in seen), seen
    assert rt.scheduler.loop_failures["tcp"] >= 1
    assert rt.tally.snapshot().rounds["tcp"] >= 1  # it came back and probed
    assert seen[-1][0], seen[-1]
    assert RESTART_BACKOFF[0] >= 1.0  # the shipped backoff is not the test's
