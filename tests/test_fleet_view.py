"""agent/fleet.py against a real VictoriaMetrics on loopback (Debian's victoria-metrics), fed
through its Prometheus text import; and the `fleet:` config section.

The VictoriaMetrics runs with basic auth, as deploy/central ships it, so the credentials in
the query URL are exercised too (and must never show in a reason or the words).
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import ConfigError, parse_config
from agent.fleet import FleetView, decide, fleet_view

VM_BIN = shutil.which("victoria-metrics")
USER, PASSWORD = "ozon-probe", "s3cret-fleet-Pa55"
CAUSES = (
    "ok", "network_degraded", "platform_degraded", "platform_outage", "dns",
    "international_path", "isp", "local_network",
)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class VM:
    def __init__(self) -> None:
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ozp-vm-"))
        env = {**os.environ, "httpAuth_username": USER, "httpAuth_password": PASSWORD}
        assert VM_BIN
        self.proc = subprocess.Popen(
            [
                VM_BIN,
                f"-storageDataPath={self.dir / 'data'}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                "-envflag.enable",
                "-search.disableCache",
                "-search.latencyOffset=0s",
                "-loggerLevel=ERROR",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("victoria-metrics did not start") from None
                time.sleep(0.1)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{USER}:{PASSWORD}@127.0.0.1:{self.port}"

    def _post(self, path: str, body: bytes = b"") -> None:
        req = urllib.request.Request(f"{self.base}{path}", data=body, method="POST")
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()

    def sites(self, verdicts: dict[str, str], age: float = 5.0) -> None:
        """Each site's one-hot verdict, as an office would have remote-written it."""
        self._post("/api/v1/admin/tsdb/delete_series?match[]=ozon_probe_verdict")
        ms = int((time.time() - age) * 1000)
        lines = [
            f'ozon_probe_verdict{{cause="{c}",site="{site}",country="RU",job="ozon-probe"}} '
            f"{int(c == cause)} {ms}"
            for site, cause in verdicts.items()
            for c in CAUSES
        ]
        self._post("/api/v1/import/prometheus", "\n".join(lines).encode() + b"\n")
        self._post("/internal/force_flush")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def vm() -> Iterator[VM]:
    if VM_BIN is None:
        pytest.skip("victoria-metrics is not installed (Debian package victoria-metrics)")
    v = VM()
    yield v
    v.stop()


def view(url: str, site: str = "moscow", timeout: float = 5.0) -> FleetView:
    return asyncio.run(fleet_view(url, timeout, site))


def test_three_of_four_sites_confirm(vm: VM) -> None:
    vm.sites(
        {
            "moscow": "platform_outage",
            "kazan": "platform_outage",
            "yiwu": "platform_outage",
            "spb": "ok",
        }
    )
    v = view(vm.url)
    assert (v.state, v.reporting, v.sound, v.seeing) == ("confirmed", 4, 4, 3), v
    assert v.this_site_reports and v.this_site_sees
    assert v.words("en") == "Ozon is down at 3 of 4 of your sites"
    assert v.words("ru") == "Ozon не работает на 3 из 4 ваших площадок"
    assert v.words("zh") == "您的 4 个站点中有 3 个看到 Ozon 故障"


def test_a_site_cut_off_itself_is_left_out_of_the_vote(vm: VM) -> None:
    vm.sites({"moscow": "platform_outage", "kazan": "platform_outage", "yiwu": "isp"})
    v = view(vm.url)
    assert (v.state, v.reporting, v.sound, v.seeing) == ("confirmed", 3, 2, 2), v


def test_only_this_office_sees_it(vm: VM) -> None:
    vm.sites({"moscow": "platform_outage", "kazan": "ok", "yiwu": "network_degraded"})
    here = view(vm.url, site="moscow")
    assert (here.state, here.seeing, here.sound) == ("single_site", 1, 3)
    assert here.words("en") == "Only this office sees Ozon down; your other sites reach it"
    elsewhere = view(vm.url, site="kazan")
    assert elsewhere.state == "single_site" and not elsewhere.this_site_sees
    assert "this office reaches it" in elsewhere.words("en")


def test_below_the_share_is_not_confirmed(vm: VM) -> None:
    vm.sites({f"s{i}": ("platform_outage" if i < 2 else "ok") for i in range(5)})
    v = view(vm.url, site="s4")
    assert (v.state, v.seeing, v.sound) == ("clear", 2, 5)
    assert "too few to confirm" in v.words("en")
    vm.sites({"moscow": "ok", "kazan": "ok"})
    v = view(vm.url)
    assert (v.state, v.seeing, v.sound) == ("clear", 0, 2)
    assert v.words("ru") == "Ни одна из 2 ваших площадок не видит сбоя Ozon"


def test_a_site_silent_for_over_two_minutes_does_not_count(vm: VM) -> None:
    vm.sites({"moscow": "platform_outage", "kazan": "platform_outage"}, age=180)
    v = view(vm.url)
    assert (v.state, v.reason) == ("unknown", "no_sites")
    assert v.words("en") == "Your other sites: unknown (no site reports to the centre)"


def test_wrong_password_is_unknown_without_the_secret(vm: VM) -> None:
    v = view(f"http://{USER}:wrong-{PASSWORD}@127.0.0.1:{vm.port}")
    assert (v.state, v.reason) == ("unknown", "http_status")
    assert "401" in v.detail
    for lang in ("en", "ru", "zh"):
        assert PASSWORD not in v.words(lang) and "wrong" not in v.words(lang)
    assert PASSWORD not in v.detail and USER not in v.detail


def test_unreachable_centre_is_unknown() -> None:
    port = _free_port()  # nothing listens there
    v = view(f"http://{USER}:{PASSWORD}@127.0.0.1:{port}")
    assert (v.state, v.reason) == ("unknown", "unreachable")
    assert PASSWORD not in v.detail
    assert v.words("zh") == "您的其他站点：未知（无法连接到中心）"


class _Server:
    """A loopback TCP server that answers every connection with `answer` (None: accept and
    never answer): the centre misbehaving in ways a real VictoriaMetrics will not."""

    def __init__(self, answer: bytes | None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.answer is not None:
                conn.recv(65536)
                conn.sendall(self.answer)
                conn.close()

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def test_a_centre_that_never_answers_is_unknown_within_the_timeout() -> None:
    srv = _Server(None)
    try:
        started = time.monotonic()
        v = view(f"http://127.0.0.1:{srv.port}", timeout=0.5)
        assert time.monotonic() - started < 1.5
        assert (v.state, v.reason) == ("unknown", "timeout")
        assert v.words("en") == "Your other sites: unknown (the centre did not answer in time)"
    finally:
        srv.close()


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>captive portal</html>",
        b'HTTP/1.0 200 OK\r\n\r\n{"status": "success", "data": {"resultType": "matrix"}}',
        b'HTTP/1.0 200 OK\r\n\r\n{"status": "success", "data": {"resultType": "vector",'
        b' "result": [{"metric": {"site": "a"}, "value": [1, "x"]}]}}',
        b"SSH-2.0-OpenSSH_9.2\r\n",
    ],
    ids=["html", "matrix", "not-a-number", "not-http"],
)
def test_garbage_from_the_centre_is_unknown(answer: bytes) -> None:
    srv = _Server(answer)
    try:
        v = view(f"http://127.0.0.1:{srv.port}")
        assert (v.state, v.reason) == ("unknown", "bad_answer"), v
    finally:
        srv.close()


def test_decide_is_the_rules_vote() -> None:
    # the numbers of deploy/central/fleet-rules.yml: >= 2 sites and >= half the sound ones
    assert decide({"a": 1, "b": 1, "c": 0, "d": 0}, {}, "a").state == "confirmed"
    assert decide({"a": 1, "b": 1, "c": 0, "d": 0, "e": 0}, {}, "a").state == "clear"
    assert decide({"a": 1}, {}, "a").state == "clear"  # nobody to compare with
    assert decide({"a": 1, "b": 0}, {"b": 1}, "a").state == "clear"  # b is cut off itself


BASE = "targets:\n  - {name: t, group: control, host: 127.0.0.1, probes: [icmp]}\n"


def test_config_fleet_section() -> None:
    assert parse_config(BASE, "c.yaml").fleet is None
    c = parse_config(
        BASE + "fleet: {query_url: 'https://fleet.example.org:8428', timeout: 3s}\n", "c.yaml"
    )
    assert c.fleet is not None
    assert (c.fleet.query_url, c.fleet.timeout) == ("https://fleet.example.org:8428", 3.0)
    assert parse_config(BASE + "fleet: {query_url: 'http://c:8428'}\n", "c.yaml").fleet


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fleet: {query_url: 'fleet.example.org:8428'}", "c.yaml:3: fleet.query_url: not a URL"),
        ("fleet: {timeout: 3s}", "c.yaml:3: fleet.query_url: required key is missing"),
        ("fleet: {query_url: 'http://c', timeout: 2h}", "c.yaml:3: fleet.timeout:"),
        ("fleet: {query_url: 'http://c', colour: red}", "c.yaml:3: fleet.colour: unknown key"),
    ],
)
def test_config_fleet_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_config(BASE + text + "\n", "c.yaml")
    assert str(e.value).startswith(message), str(e.value)
    assert "\n" not in str(e.value)
