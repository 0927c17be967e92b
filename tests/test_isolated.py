"""The built-in default profile in a namespace with nothing but loopback (as ../shared/bin/isolated
makes): the daemon keeps running and fails every target with the right category; both the daemon
and `ozon-probe check` say local_network, in English, Russian and Chinese."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.config import load_default
from tests.conftest import ROOT, Netns, needs_netns

pytestmark = needs_netns

FETCH = (
    "import sys, urllib.request\n"
    "print(urllib.request.urlopen('http://127.0.0.1:10043' + sys.argv[1], timeout=5).read().decode())"
)

VERDICT_WORDS = {
    "en": "The problem is in your office network",
    "ru": "Проблема в вашей офисной сети",
    "zh": "问题出在您的办公网络",
}


def _isolate(netns: Netns) -> None:
    # what ../shared/bin/isolated does: a resolv.conf naming loopback, where nothing listens
    d = Path("/etc/netns") / netns.name
    d.mkdir(parents=True, exist_ok=True)
    (d / "resolv.conf").write_text("nameserver 127.0.0.1\n")


def test_default_profile_daemon_in_isolation(netns: Netns) -> None:
    _isolate(netns)
    proc = subprocess.Popen(
        ["ip", "netns", "exec", netns.name, sys.executable, "-m", "agent", "run"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        config = load_default()
        expected = {(k, t.name) for t in config.targets for k in t.probes}
        deadline = time.monotonic() + 40
        doc: dict = {}
        while time.monotonic() < deadline:
            time.sleep(1)
            r = netns.run(sys.executable, "-c", FETCH, "/api/status", check=False, cwd=ROOT)
            if r.returncode == 0:
                doc = json.loads(r.stdout)
                if {(x["kind"], x["target"]) for x in doc["results"]} >= expected:
                    break
        seen = {(x["kind"], x["target"]): x for x in doc["results"]}
        assert set(seen) >= expected, sorted(expected - set(seen))
        assert proc.poll() is None, "the daemon must keep running"
        assert not any(x["ok"] for x in seen.values())
        for (kind, target), x in seen.items():
            host = next(t.host for t in config.targets if t.name == target)
            if kind == "icmp" and host == "auto":
                want = {"unreachable"}  # no default route: no gateway
            elif kind == "icmp" and x["error"] == "permission":
                want = {"permission"}
            elif kind == "dns":
                want = {"dns_unreachable", "refused", "unreachable"}
            elif host[0].isdigit():
                want = {"unreachable"}  # an IP target with no route to it
            else:
                want = {"dns_unreachable"}  # the name cannot even be looked up
            assert x["error"] in want, (kind, target, x)
        assert doc["cause"] == "local_network"
        assert doc["layers"]["link"] == "down"
        for lang, words in VERDICT_WORDS.items():
            page = netns.run(sys.executable, "-c", FETCH, f"/?lang={lang}", cwd=ROOT).stdout
            assert words in page and 'data-cause="local_network"' in page
        metrics = netns.run(sys.executable, "-c", FETCH, "/metrics", cwd=ROOT).stdout
        assert 'ozon_probe_verdict{cause="local_network"} 1.0' in metrics
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode == 0


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_check_in_isolation_says_local_network(netns: Netns, lang: str) -> None:
    _isolate(netns)
    started = time.monotonic()
    r = netns.run(
        sys.executable, "-m", "agent", "check", "--lang", lang, check=False, cwd=ROOT, timeout=60
    )
    assert r.returncode == 1, r.stderr
    assert VERDICT_WORDS[lang] in r.stdout
    # the cause's code is for English readers and scripts (--json below); a Russian or
    # Chinese seller reads only their own words (issue 9)
    assert ("(local_network)" in r.stdout) == (lang == "en")
    assert time.monotonic() - started < 30  # nothing waits out a resolver that is not there
    j = netns.run(
        sys.executable, "-m", "agent", "check", "--json", check=False, cwd=ROOT, timeout=60
    )
    assert j.returncode == 1 and json.loads(j.stdout)["cause"] == "local_network"


def test_check_shows_live_progress_on_a_terminal(netns: Netns) -> None:
    """On a terminal (a pseudo-terminal here), `check` shows each probe as it finishes."""
    import os
    import pty

    _isolate(netns)
    pid, fd = pty.fork()
    if pid == 0:  # the child: `check` with its stderr on the terminal
        os.chdir(ROOT)
        os.execvp(
            "ip",
            [
                "ip",
                "netns",
                "exec",
                netns.name,
                sys.executable,
                "-m",
                "agent",
                "check",
                "--lang",
                "en",
            ],
        )
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    total = sum(len(t.probes) for t in load_default().targets)
    assert f"Checking {total}/{total}" in text and "Checking 1/" in text
    assert "Checking: done" in text and "(local_network)" in text
