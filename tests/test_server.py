"""The agent's own listener against hostile and unlucky clients, on real sockets on 127.0.0.1:
an idle TLS connection, a thousand idle connections under systemd's fd limit, 200 scrapers at
once, slowloris, garbage, huge headers, request bodies, clients that vanish mid-answer; and the
optional basic auth (bcrypt), alone and together with TLS."""

from __future__ import annotations

import base64
import contextlib
import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter

from agent.config import ConfigError, ListenAuth, ListenTls
from agent.web.server import AgentServer
from tests.agentproc import AgentProcess
from tests.conftest import config_for
from tests.support.pki import CA
from tests.support.webserver import WebServer

bcrypt = pytest.importorskip("bcrypt")  # the [auth] extra, part of [test]

# cost 4 keeps each check cheap for the tests; real configs use 10-12
HASH = bcrypt.hashpw(b"s3cret-pass", bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$", 1)


def make_server(
    tls: ListenTls | None = None, auth: ListenAuth | None = None, **kw: Any
) -> AgentServer:
    registry = CollectorRegistry()
    Counter("demo_scrapes", "a series so /metrics has a body", registry=registry).inc()
    server = AgentServer(
        registry,
        healthy=lambda: (True, "ok"),
        status=lambda lang="en": {"cause": "ok", "rounds": {}},
        page=lambda environ: ("text/html; charset=utf-8", b"<html>page</html>"),
        discovery=lambda environ: [{"targets": ["x:1"], "labels": {}}],
        auth=auth,
        **kw,
    )
    server.start("127.0.0.1", 0, tls)
    return server


@pytest.fixture
def server() -> Iterator[AgentServer]:
    s = make_server()
    yield s
    s.stop()


def get(port: int, path: str, headers: dict[str, str] | None = None,
        context: ssl.SSLContext | None = None, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    conn: http.client.HTTPConnection
    if context is not None:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=timeout)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def raw(port: int, data: bytes, timeout: float = 5) -> bytes:
    """Send bytes, read until the server closes (or the timeout): what a hostile client sees."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        with contextlib.suppress(OSError):
            s.sendall(data)
        out = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                out += chunk
        return out


def client_context(ca: CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca.cert_path))
    ctx.check_hostname = False
    return ctx


# --- issue 13, item 2: each defect against the old server ------------------------------------


def test_an_idle_tls_connection_does_not_block_other_clients(certs: dict, ca: CA) -> None:
    # the old server ran the TLS handshake inside accept() on its only thread: one client that
    # connects and says nothing kept every other client waiting for as long as it liked
    cert, key = certs["good"]
    s = make_server(tls=ListenTls(cert_file=str(cert), key_file=str(key)))
    try:
        with socket.create_connection(("127.0.0.1", s.port)):
            time.sleep(0.2)  # the server has accepted it and is waiting for a ClientHello
            started = time.monotonic()
            status, _, body = get(s.port, "/healthz", context=client_context(ca), timeout=3)
            assert (status, body) == (200, b"ok\n")
            assert time.monotonic() - started < 2
    finally:
        s.stop()


def test_200_concurrent_scrapers_all_connect_at_once(server: AgentServer) -> None:
    # a listen backlog of 5 dropped SYNs under 200 scrapers; a dropped SYN is retransmitted
    # after 1 s (then 3, 7...), which made /metrics p99 31 s. The kernel completes connects
    # into the backlog on its own, so with a real backlog every connect is immediate
    n = 200
    barrier = threading.Barrier(n)
    connect_times: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def scrape() -> None:
        barrier.wait()
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.connect()
        took = time.monotonic() - started
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        r.read()
        conn.close()
        with lock:
            connect_times.append(took)
            statuses.append(r.status)

    threads = [threading.Thread(target=scrape) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [200] * n
    assert max(connect_times) < 0.9, sorted(connect_times)[-5:]


LOOPBACK_CONFIG = """
listen: 127.0.0.1:0
site: {{name: loopback, country: RU}}
probes:
  tcp:  {{interval: 1s, timeout: 1s}}
  http: {{interval: 1s, timeout: 1s}}
resolvers: []
targets:
  - {{name: web_tcp, group: ozon, service: cabinet, country: RU, host: 127.0.0.1, port: {port}, probes: [tcp]}}
  - {{name: web_http, group: ozon, service: cabinet, country: RU, url: "http://127.0.0.1:{port}/", probes: [http]}}
"""


def open_idle(port: int, n: int) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(2)
        with contextlib.suppress(OSError):  # a full backlog (the old server) times out
            s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks


def latest(agent: AgentProcess) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["kind"], r["target"]): r for r in agent.status()["results"]}


def test_1019_idle_connections_under_a_1024_fd_limit_do_not_break_probing(tmp_path: Path) -> None:
    # systemd's default is 1024 fds; the old server kept one thread and one fd per idle
    # connection, so 1019 of them made every TCP/HTTP probe fail as `internal` and the verdict
    # flip to local_network
    with WebServer() as web:
        web.set_behaviour("default", "ok")
        cfg = tmp_path / "agent.yaml"
        cfg.write_text(LOOPBACK_CONFIG.format(port=web.port))
        with AgentProcess(cfg, prefix=["prlimit", "--nofile=1024:1024", "--"]) as agent:
            agent.wait_for(lambda: len(latest(agent)) == 2, 10, "the first rounds")
            socks = open_idle(agent.port or 0, 1019)
            try:
                before = dict(agent.status()["rounds"])
                time.sleep(3.5)  # three rounds of each kind with the idle clients held
                status = agent.status()
                for kind in ("tcp", "http"):
                    assert status["rounds"][kind] >= before[kind] + 2, (before, status["rounds"])
                for r in latest(agent).values():
                    assert r["ok"], r
                assert status["cause"] == "ok", status["summary"]
                assert agent.get("/metrics", timeout=3)[0] == 200
            finally:
                for s in socks:
                    s.close()
        assert "Traceback" not in agent.log and "ERROR" not in agent.log, agent.log


def test_hostile_clients_held_open_do_not_stop_probing(tmp_path: Path) -> None:
    # slowloris (a header trickled byte by byte), idle TLS-less sockets and half-sent bodies,
    # all at once while the daemon probes: rounds keep finishing and scrapes keep answering
    with WebServer() as web:
        web.set_behaviour("default", "ok")
        cfg = tmp_path / "agent.yaml"
        cfg.write_text(LOOPBACK_CONFIG.format(port=web.port))
        with AgentProcess(cfg) as agent:
            agent.wait_for(lambda: len(latest(agent)) == 2, 10, "the first rounds")
            port = agent.port or 0
            stop = threading.Event()
            idle = open_idle(port, 300)
            slow = open_idle(port, 50)

            def trickle() -> None:
                while not stop.wait(0.5):
                    for s in slow:
                        with contextlib.suppress(OSError):
                            s.send(b"X")

            t = threading.Thread(target=trickle)
            for s in slow:
                with contextlib.suppress(OSError):
                    s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            t.start()
            try:
                before = dict(agent.status()["rounds"])
                for _ in range(6):
                    time.sleep(0.5)
                    assert agent.get("/healthz", timeout=2)[0] == 200
                after = agent.status()["rounds"]
                assert after["tcp"] >= before["tcp"] + 2 and after["http"] >= before["http"] + 2
                assert all(r["ok"] for r in latest(agent).values())
            finally:
                stop.set()
                t.join()
                for s in idle + slow:
                    s.close()
        assert "Traceback" not in agent.log, agent.log


# --- hostile requests on the agent's own port -------------------------------------------------


def status_of(answer: bytes) -> int:
    if not answer:
        return 0  # dropped
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize(
    "request_bytes, expected",
    [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n", {400}),
        (b"GARBAGE\r\n\r\n", {400}),
        (b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", {431}),
        (b"GET /metrics HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 300 + b"\r\n", {431}),
        (b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {414, 431}),
        (b"POST /api/status HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", {405, 413}),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            {400, 413},
        ),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", {400}),
        (b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", {505}),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {400, 505}),
        (b"GET /healthz HTTP/1.1\r\nBad Header Line\r\n\r\n", {400}),
        (b"GET /healthz HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n", {200, 400}),
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {404}),
    ],
)
def test_a_bad_request_gets_a_4xx_and_no_traceback(
    server: AgentServer, caplog: pytest.LogCaptureFixture, request_bytes: bytes, expected: set[int]
) -> None:
    with caplog.at_level(logging.DEBUG):
        answer = raw(server.port, request_bytes)
        assert status_of(answer) in expected, answer[:200]
        # the server still answers the next client
        assert get(server.port, "/healthz")[0] == 200
    assert not any(r.exc_info for r in caplog.records)
    assert len([r for r in caplog.records if r.name.startswith("ozon_probe")]) <= 1


def test_a_slowloris_header_is_dropped_after_the_header_timeout() -> None:
    s = make_server(header_timeout=1.0)
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
            started = time.monotonic()
            c.sendall(b"GET /metrics HTTP/1.1\r\n")
            answer = b""
            with contextlib.suppress(OSError):
                for _ in range(20):  # one header byte every 0.2 s, never finishing
                    c.sendall(b"X")
                    time.sleep(0.2)
                answer = c.recv(1000)
            took = time.monotonic() - started
        assert status_of(answer) in {0, 408}
        assert took < 3.5
    finally:
        s.stop()


def test_a_slow_body_is_refused_without_waiting_for_it(server: AgentServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as c:
        c.sendall(b"GET /api/status HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nab")
        answer = c.recv(1000)
    assert status_of(answer) == 413


def test_a_client_that_closes_mid_answer_leaves_no_trace(
    server: AgentServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        for _ in range(20):
            c = socket.create_connection(("127.0.0.1", server.port))
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
            c.close()  # RST while the answers are being written
        assert get(server.port, "/metrics")[0] == 200
    assert not any(r.exc_info for r in caplog.records)


def test_keep_alive_serves_several_requests_on_one_connection(server: AgentServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for path in ("/metrics", "/healthz", "/api/status", "/api/sd", "/"):
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.status == 200, path
        r.read()
    conn.request("HEAD", "/metrics")
    r = conn.getresponse()
    assert r.status == 200 and r.read() == b""
    conn.close()


def test_metrics_keep_prometheus_content_negotiation(server: AgentServer) -> None:
    status, headers, body = get(server.port, "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    assert b"demo_scrapes_total 1.0" in body
    status, headers, body = get(
        server.port, "/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert headers["content-type"].startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")
    status, headers, body = get(server.port, "/metrics", {"Accept-Encoding": "gzip"})
    assert headers.get("content-encoding") == "gzip"


def test_metrics_are_rendered_at_most_once_per_cache_period() -> None:
    registry = CollectorRegistry()
    counter = Counter("demo_rounds", "changes between scrapes", registry=registry)
    Counter("demo_other", "filtered out by name[]", registry=registry)
    epoch = [0]
    s = AgentServer(
        registry, healthy=lambda: (True, "ok"), status=dict, metrics_cache=0.5,
        metrics_epoch=lambda: epoch[0],
    )  # fmt: skip
    s.start("127.0.0.1", 0)
    try:
        counter.inc()
        assert b"demo_rounds_total 1.0" in get(s.port, "/metrics")[2]
        counter.inc()
        assert b"demo_rounds_total 1.0" in get(s.port, "/metrics")[2]  # the same render
        time.sleep(0.6)
        assert b"demo_rounds_total 2.0" in get(s.port, "/metrics")[2]
        epoch[0] += 1  # a reload: rendered anew at once
        counter.inc()
        assert b"demo_rounds_total 3.0" in get(s.port, "/metrics")[2]
        only = get(s.port, "/metrics?name[]=demo_rounds_total")[2]
        assert b"demo_rounds_total" in only and b"demo_other" not in only
    finally:
        s.stop()


def test_connections_beyond_the_limit_evict_the_longest_idle(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = make_server(max_connections=20)
    try:
        idle = open_idle(s.port, 40)
        time.sleep(0.3)
        # the newest client is answered: idle ones made room
        assert get(s.port, "/healthz", timeout=3)[0] == 200
        assert s.open_connections <= 20
        for c in idle:
            c.close()
    finally:
        s.stop()


def test_the_fd_budget_leaves_most_descriptors_to_probing() -> None:
    from agent.web.server import connection_limit

    assert connection_limit(1024) <= 512
    assert 1024 - connection_limit(1024) >= 512
    assert connection_limit(64) >= 4
    assert connection_limit(1_000_000) <= 4096


# --- basic auth -------------------------------------------------------------------------------


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


AUTH = ListenAuth(basic_auth_users=(("prometheus", HASH),))
PROTECTED = ["/", "/metrics", "/api/status", "/api/sd"]


@pytest.mark.parametrize("path", PROTECTED)
def test_basic_auth_right_wrong_and_missing_credentials(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = make_server(auth=AUTH)
    try:
        with caplog.at_level(logging.INFO):
            assert get(s.port, path, basic("prometheus", "s3cret-pass"))[0] == 200
            for headers in (
                {},
                basic("prometheus", "guess-42"),
                basic("nobody", "s3cret-pass"),
                {"Authorization": "Basic !!!not-base64"},
                {"Authorization": "Bearer abc"},
                basic("prometheus", "s3cret-pass\x00"),
            ):
                status, h, _ = get(s.port, path, headers)
                assert status == 401, headers
                assert h["www-authenticate"] == 'Basic realm="ozon-probe", charset="UTF-8"'
            # still right after the cached success, and again wrong after it
            assert get(s.port, path, basic("prometheus", "s3cret-pass"))[0] == 200
            assert get(s.port, path, basic("prometheus", "s3cret-pasS"))[0] == 401
        text = caplog.text
        assert "s3cret" not in text and "guess-42" not in text
        refusals = [
            r for r in caplog.records if "401" in r.getMessage() or "credentials" in r.getMessage()
        ]
        assert len(refusals) == 1  # rate-limited: one line, not one per request
    finally:
        s.stop()


def test_the_daemon_reads_listen_auth_from_its_config(tmp_path: Path) -> None:
    with WebServer() as web:
        web.set_behaviour("default", "ok")
        cfg = tmp_path / "agent.yaml"
        auth = f"listen_auth:\n  basic_auth_users:\n    prometheus: '{HASH}'\n"
        cfg.write_text(LOOPBACK_CONFIG.format(port=web.port) + auth)
        with AgentProcess(cfg) as agent:
            port = agent.port or 0
            assert get(port, "/metrics")[0] == 401
            assert get(port, "/api/status", basic("prometheus", "bad"))[0] == 401
            status, _, body = get(port, "/metrics", basic("prometheus", "s3cret-pass"))
            assert status == 200 and b"ozon_probe_" in body
            assert get(port, "/healthz")[0] == 200
        assert "s3cret" not in agent.log and HASH not in agent.log


def test_healthz_stays_open_with_basic_auth() -> None:
    s = make_server(auth=AUTH)
    try:
        assert get(s.port, "/healthz")[0] == 200
    finally:
        s.stop()


def test_basic_auth_over_tls_with_client_certificates(certs: dict, ca: CA, tmp_path: Path) -> None:
    cert, key = certs["good"]
    client_cert, client_key = ca.issue(tmp_path, ["client"], name="client", client=True)
    tls = ListenTls(cert_file=str(cert), key_file=str(key), client_ca_file=str(ca.cert_path))
    s = make_server(tls=tls, auth=AUTH)
    try:
        ctx = client_context(ca)
        ctx.load_cert_chain(str(client_cert), str(client_key))
        assert get(s.port, "/metrics", basic("prometheus", "s3cret-pass"), context=ctx)[0] == 200
        assert get(s.port, "/metrics", basic("prometheus", "nope"), context=ctx)[0] == 401
        # without a client certificate the handshake fails whatever the password
        with pytest.raises((ssl.SSLError, ConnectionError)):
            get(s.port, "/metrics", basic("prometheus", "s3cret-pass"), context=client_context(ca))
    finally:
        s.stop()


# --- listen_auth in the config ----------------------------------------------------------------


def test_listen_auth_parses_bcrypt_users() -> None:
    cfg = config_for(f"listen_auth:\n  basic_auth_users:\n    prometheus: '{HASH}'\ntargets: []\n")
    assert cfg.listen_auth == ListenAuth(basic_auth_users=(("prometheus", HASH),))


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "  basic_auth_users:\n    prometheus: plain-password\n",
            "listen_auth.basic_auth_users.prometheus: not a bcrypt hash",
        ),
        ("  basic_auth_users: {}\n", "listen_auth.basic_auth_users: must name at least one user"),
        (
            "  basic_auth_users:\n    'a:b': '$HASH'\n",
            "listen_auth.basic_auth_users: a user name cannot hold ':'",
        ),
        ("  users: {}\n", "listen_auth.users: unknown key"),
    ],
)
def test_listen_auth_errors_are_one_line(body: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        config_for("listen_auth:\n" + body.replace("$HASH", HASH) + "targets: []\n")
    assert message in str(e.value) and "\n" not in str(e.value)


def test_listen_auth_without_bcrypt_installed_is_one_clear_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    cfg = tmp_path / "agent.yaml"
    cfg.write_text(f"listen_auth:\n  basic_auth_users:\n    prometheus: '{HASH}'\ntargets: []\n")
    # a real interpreter where `import bcrypt` fails: a shadowing module that raises
    # ImportError as a missing package does (uninstalling the real one would break other tests)
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "bcrypt.py").write_text("raise ImportError('No module named bcrypt')\n")
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run(
        [sys.executable, "-m", "agent", "validate", "-c", str(cfg)],
        capture_output=True, text=True, cwd=root, env={"PYTHONPATH": f"{shadow}:{root}", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "bcrypt" in r.stderr and "Traceback" not in r.stderr
