"""The test servers in tests/support do what they claim.

Everything talks to 127.0.0.1 on kernel-chosen ports; no resolver or outside host
is ever contacted (TLS clients connect to 127.0.0.1 and only *name* the host
for SNI and certificate checks).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

ROOT = Path(__file__).resolve().parents[1]
# `pytest` (unlike `python -m pytest`) does not put the repo root on sys.path.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.dnsserver import DnsServer  # noqa: E402
from tests.support.pki import CA, make_ca  # noqa: E402
from tests.support.webserver import WebServer  # noqa: E402

LOOPBACK = "127.0.0.1"
SELLER = "api-seller.ozon.ru"
ZONE = {"API-Seller.ozon.ru.": ["10.20.0.2"], "www.ozon.ru": ["10.20.0.3", "10.20.0.4"]}


# --- helpers ------------------------------------------------------------------


def dns_ask(
    port: int, name: str, rdtype: str = "A", *, tcp: bool = False, timeout: float = 1.0
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, LOOPBACK, port=port, timeout=timeout)


def addresses(response: dns.message.Message) -> list[str]:
    return sorted(rd.address for rrset in response.answer for rd in rrset)


class PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS naming `host` (SNI, certificate check) but connecting to 127.0.0.1,
    as if a resolver had answered 127.0.0.1, without asking one."""

    def connect(self) -> None:
        raw = socket.create_connection((LOOPBACK, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def http_request(
    port: int,
    *,
    method: str = "GET",
    path: str = "/",
    host: str = "example.test",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    context: ssl.SSLContext | None = None,
    timeout: float = 2.0,
) -> tuple[int, http.client.HTTPResponse, bytes]:
    conn: http.client.HTTPConnection
    if context is None:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    else:
        conn = PinnedHTTPS(host, port, timeout=timeout, context=context)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, response, response.read()
    finally:
        conn.close()


def write_atomically(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)


def start_program(module: str, *args: str) -> tuple[subprocess.Popen[str], list[tuple[str, int]]]:
    """Run `python -m module args` from the repo root; wait for its 'ready H:P ...' line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout=10)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("ready "):
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"{module} did not start: {line!r}\n{err}")
    listeners = []
    for item in line.split()[1:]:
        h, _, p = item.rpartition(":")
        listeners.append((h, int(p)))
    return proc, listeners


def stop_program(proc: subprocess.Popen[str]) -> None:
    """SIGTERM must end the program promptly and cleanly."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- fixtures -------------------------------------------------------------------


class Certs:
    def __init__(self, root: Path):
        now = dt.datetime.now(dt.UTC)
        self.ca: CA = make_ca(root / "ca")
        self.good = self.ca.issue(root, [SELLER, "www.ozon.ru"], ["127.0.0.1"])
        self.expired = self.ca.issue(
            root,
            [SELLER],
            name="expired",
            not_before=now - dt.timedelta(days=30),
            not_after=now - dt.timedelta(days=1),
        )
        self.wrong_host = self.ca.issue(root, ["wrong.example.net"])
        self.other_ca = make_ca(root / "other-ca")
        self.untrusted = self.other_ca.issue(root, [SELLER], name="untrusted")

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca.cert_path))


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(zone=ZONE) as srv:
        yield srv


@pytest.fixture
def web() -> Iterator[WebServer]:
    with WebServer() as ws:
        yield ws


# --- DNS -----------------------------------------------------------------------


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dns_normal_answers_from_zone(dns_server: DnsServer, tcp: bool) -> None:
    r = dns_ask(dns_server.port, "aPi-SELLER.ozon.ru", tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    assert addresses(r) == ["10.20.0.2"]
    assert addresses(dns_ask(dns_server.port, "www.ozon.ru.", tcp=tcp)) == [
        "10.20.0.3",
        "10.20.0.4",
    ]
    assert dns_server.queries == ({"udp": 0, "tcp": 2} if tcp else {"udp": 2, "tcp": 0})


def test_dns_aaaa_for_known_name_is_empty_noerror(dns_server: DnsServer) -> None:
    r = dns_ask(dns_server.port, SELLER, "AAAA")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.answer == []


def test_dns_unknown_name_is_nxdomain(dns_server: DnsServer) -> None:
    assert dns_ask(dns_server.port, "nope.ozon.ru").rcode() == dns.rcode.NXDOMAIN


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
@pytest.mark.parametrize("mode", ["servfail", "nxdomain", "refused"])
def test_dns_rcode_modes(dns_server: DnsServer, mode: str, tcp: bool) -> None:
    dns_server.set_mode(mode)
    r = dns_ask(dns_server.port, SELLER, tcp=tcp)
    assert r.rcode() == dns.rcode.from_text(mode.upper())
    assert r.answer == []


def test_dns_silent_never_replies(dns_server: DnsServer) -> None:
    dns_server.set_mode("silent")
    for tcp in (False, True):
        with pytest.raises(dns.exception.Timeout):
            dns_ask(dns_server.port, SELLER, tcp=tcp, timeout=0.3)
    # The queries did arrive: silence is deliberate, not a dead server.
    assert dns_server.queries == {"udp": 1, "tcp": 1}
    assert [q.mode for q in dns_server.log] == ["silent", "silent"]


def test_dns_lie_answers_every_a_query(dns_server: DnsServer) -> None:
    dns_server.set_mode("lie", address="198.51.100.66")
    for name in (SELLER, "anything.example"):
        r = dns_ask(dns_server.port, name)
        assert (r.rcode(), addresses(r)) == (dns.rcode.NOERROR, ["198.51.100.66"])
    aaaa = dns_ask(dns_server.port, "anything.example", "AAAA")
    assert (aaaa.rcode(), aaaa.answer) == (dns.rcode.NOERROR, [])


def test_dns_truncate_forces_tcp_fallback(dns_server: DnsServer) -> None:
    dns_server.set_mode("truncate")
    r = dns_ask(dns_server.port, SELLER)
    assert r.flags & dns.flags.TC
    assert r.answer == []
    query = dns.message.make_query(SELLER, "A")
    r, used_tcp = dns.query.udp_with_fallback(query, LOOPBACK, port=dns_server.port, timeout=1)
    assert used_tcp
    assert addresses(r) == ["10.20.0.2"]
    assert dns_server.queries == {"udp": 2, "tcp": 1}


def test_dns_oversized_udp_answer_is_truncated() -> None:
    many = [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(60)]  # > 512 bytes of answers
    with DnsServer(zone={"many.test": many}) as srv:
        assert dns_ask(srv.port, "many.test").flags & dns.flags.TC
        assert len(dns_ask(srv.port, "many.test", tcp=True).answer[0]) == 60


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dns_garbage_is_not_a_dns_message(dns_server: DnsServer, tcp: bool) -> None:
    dns_server.set_mode("garbage")
    # FormError, not Timeout: a reply came, and it failed to parse.
    with pytest.raises(dns.exception.FormError):
        dns_ask(dns_server.port, SELLER, tcp=tcp)


def test_dns_delay(dns_server: DnsServer) -> None:
    dns_server.set_mode("delay", seconds=0.4)
    with pytest.raises(dns.exception.Timeout):
        dns_ask(dns_server.port, SELLER, timeout=0.15)
    start = time.monotonic()
    r = dns_ask(dns_server.port, SELLER, timeout=2)
    assert time.monotonic() - start >= 0.35
    assert addresses(r) == ["10.20.0.2"]


def test_dns_forward_relays_unknown_names_to_upstream() -> None:
    with (
        DnsServer(zone={"upstream.test": ["10.9.9.9"]}) as upstream,
        DnsServer(zone={"local.test": ["10.1.1.1"]}, forward=(LOOPBACK, upstream.port)) as fwd,
    ):
        assert addresses(dns_ask(fwd.port, "local.test")) == ["10.1.1.1"]
        assert upstream.queries == {"udp": 0, "tcp": 0}
        for tcp in (False, True):
            r = dns_ask(fwd.port, "upstream.test", tcp=tcp)
            assert addresses(r) == ["10.9.9.9"]
            assert r.flags & dns.flags.RA
        assert upstream.queries == {"udp": 1, "tcp": 1}  # same transport as the client
        assert dns_ask(fwd.port, "missing.test").rcode() == dns.rcode.NXDOMAIN
        assert upstream.queries["udp"] == 2


def test_dns_forward_to_dead_upstream_is_servfail() -> None:
    with DnsServer(zone={}) as upstream:
        upstream.set_mode("silent")
        with DnsServer(zone={}, forward=(LOOPBACK, upstream.port), forward_timeout=0.2) as fwd:
            assert dns_ask(fwd.port, "x.test", timeout=2).rcode() == dns.rcode.SERVFAIL


def test_dns_set_mode_rejects_bad_input(dns_server: DnsServer) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("nonsense", {}),
        ("lie", {}),
        ("lie", {"address": "not-an-ip"}),
        ("delay", {}),
        ("servfail", {"seconds": 1}),
    ]
    for mode, params in cases:
        with pytest.raises(ValueError):
            dns_server.set_mode(mode, **params)
    assert dns_server.mode == "normal"


def test_dns_program_mode_file_and_forward(tmp_path: Path) -> None:
    zone, modes = tmp_path / "zone.json", tmp_path / "modes.json"
    zone.write_text(json.dumps(ZONE))
    with DnsServer(zone={"upstream.test": ["10.9.9.9"]}) as upstream:
        proc, [(_, port)] = start_program(
            "tests.support.dnsserver",
            *("--listen", "127.0.0.1:0", "--zone", str(zone), "--mode-file", str(modes)),
            *("--forward", f"127.0.0.1:{upstream.port}"),
        )
        try:
            assert addresses(dns_ask(port, SELLER)) == ["10.20.0.2"]  # no mode file yet
            assert addresses(dns_ask(port, "upstream.test", tcp=True)) == ["10.9.9.9"]
            write_atomically(modes, {"mode": "servfail"})
            assert dns_ask(port, SELLER).rcode() == dns.rcode.SERVFAIL
            modes.write_text(json.dumps({"mode": "lie", "address": "198.51.100.66"}))  # in place
            assert addresses(dns_ask(port, SELLER)) == ["198.51.100.66"]
            modes.write_text("{not json")  # half-written: the old mode stays
            assert addresses(dns_ask(port, SELLER)) == ["198.51.100.66"]
            write_atomically(modes, {"mode": "truncate"})
            assert dns_ask(port, SELLER).flags & dns.flags.TC
            modes.unlink()  # no file: back to normal
            assert addresses(dns_ask(port, SELLER)) == ["10.20.0.2"]
        finally:
            stop_program(proc)


# --- HTTP ----------------------------------------------------------------------


def test_web_ok(web: WebServer) -> None:
    status, response, body = http_request(web.port)
    assert status == 200
    assert response.getheader("Content-Type", "").startswith("text/html")
    assert b"ok" in body


def test_web_status_with_body_and_headers(web: WebServer) -> None:
    web.set_behaviour("default", "status", status=503, headers={"X-Test": "yes"})
    status, response, body = http_request(web.port)
    assert (status, response.getheader("X-Test"), body) == (503, "yes", b"status 503\n")


def test_web_behaviour_follows_host_header_and_request_log(web: WebServer) -> None:
    web.set_behaviour(SELLER, "status", status=502)
    assert http_request(web.port, host="API-SELLER.ozon.ru:443")[0] == 502
    assert http_request(web.port, host="other.test")[0] == 200  # falls back to default
    first, second = web.requests
    assert (first.method, first.path, first.host, first.behaviour) == ("GET", "/", SELLER, "status")
    assert first.headers["host"] == "API-SELLER.ozon.ru:443"
    assert (second.host, second.behaviour, second.port, second.tls) == (
        "other.test",
        "ok",
        web.port,
        False,
    )


def test_web_keep_alive_serves_several_requests_per_connection(web: WebServer) -> None:
    conn = http.client.HTTPConnection(LOOPBACK, web.port, timeout=2)
    try:
        # HEAD first: a body sent after it would corrupt the next response.
        for method in ("HEAD", "GET", "GET"):
            conn.request(method, "/", headers={"Host": "a.test"})
            response = conn.getresponse()
            assert response.status == 200
            assert int(response.getheader("Content-Length", "0")) > 0
            response.read()
    finally:
        conn.close()
    assert web.connections == 1
    assert [r.method for r in web.requests] == ["HEAD", "GET", "GET"]


def test_web_seller_api(web: WebServer) -> None:
    web.set_behaviour(
        SELLER, "seller_api", client_id="123", api_key="s3cret", expires_at="2030-01-01T00:00:00Z"
    )

    def call(headers: dict[str, str], method: str = "POST", path: str = "/v1/roles") -> Any:
        status, response, body = http_request(
            web.port, method=method, path=path, host=SELLER, headers=headers, body=b"{}"
        )
        assert response.getheader("Content-Type") == "application/json"
        return status, json.loads(body)

    required = {"code": 16, "message": "Client-Id and Api-Key headers are required"}
    invalid = {"code": 16, "message": "Invalid Api-Key, please contact support"}
    assert call({}) == (401, required)
    assert call({"Api-Key": "s3cret"}) == (401, required)
    assert call({"Client-Id": "123", "Api-Key": "wrong"}) == (401, invalid)
    assert call({"Client-Id": "999", "Api-Key": "s3cret"}) == (401, invalid)
    good = {"Client-Id": "123", "Api-Key": "s3cret"}
    assert call(good) == (
        200,
        {
            "roles": [{"name": "orders", "methods": ["/v3/posting/fbs/list"]}],
            "expires_at": "2030-01-01T00:00:00Z",
        },
    )
    assert call(good, method="GET")[0] == 404
    assert call(good, path="/v1/nothing")[0] == 404
    assert web.requests[-1].body == b"{}"
    assert web.requests[-1].headers["api-key"] == "s3cret"


def test_web_reads_chunked_request_bodies(web: WebServer) -> None:
    conn = http.client.HTTPConnection(LOOPBACK, web.port, timeout=2)
    try:
        conn.request("POST", "/", body=iter([b"ab", b"cde"]), encode_chunked=True)
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    assert web.requests[0].body == b"abcde"


def test_web_echo_key_quotes_the_key(web: WebServer) -> None:
    web.set_behaviour("default", "echo_key")
    status, _, body = http_request(web.port, headers={"Client-Id": "1", "Api-Key": "leak-me-42"})
    assert status == 401
    assert "leak-me-42" in json.loads(body)["message"]


def test_web_hang_holds_the_socket_until_stop() -> None:
    ws = WebServer().start()
    try:
        ws.set_behaviour("default", "hang")
        sock = socket.create_connection((LOOPBACK, ws.port), timeout=0.3)
        sock.sendall(b"GET /hang HTTP/1.1\r\nHost: h.test\r\n\r\n")
        with pytest.raises(TimeoutError):
            sock.recv(1)
        assert [r.path for r in ws.requests] == ["/hang"]  # the request was read
    finally:
        start = time.monotonic()
        ws.stop()
    assert time.monotonic() - start < 1.0
    sock.settimeout(1)
    assert sock.recv(1) == b""  # stop() closed the held connection
    sock.close()


def test_web_slow(web: WebServer) -> None:
    web.set_behaviour("default", "slow", delay=0.4)
    with pytest.raises(TimeoutError):
        http_request(web.port, timeout=0.15)
    start = time.monotonic()
    assert http_request(web.port)[0] == 200
    assert time.monotonic() - start >= 0.35


def test_web_slow_body(web: WebServer) -> None:
    web.set_behaviour("default", "slow_body", delay=0.8, size=1000)
    conn = http.client.HTTPConnection(LOOPBACK, web.port, timeout=2)
    try:
        start = time.monotonic()
        conn.request("GET", "/")
        response = conn.getresponse()
        headers_after = time.monotonic() - start
        body = response.read(1)
        first_byte_after = time.monotonic() - start
        body += response.read()
        body_after = time.monotonic() - start
    finally:
        conn.close()
    assert (response.status, len(body)) == (200, 1000)
    assert headers_after < 0.4  # headers did not wait for the body
    assert first_byte_after < 0.5  # the body trickles, it is not just late
    assert body_after >= 0.75


def test_web_reset(web: WebServer) -> None:
    web.set_behaviour("default", "reset")
    with socket.create_connection((LOOPBACK, web.port), timeout=2) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: r.test\r\n\r\n")
        with pytest.raises(ConnectionResetError):  # a real RST, not an orderly FIN (b"")
            sock.recv(1)
    assert len(web.requests) == 1


def test_web_garbage(web: WebServer) -> None:
    web.set_behaviour("default", "garbage")
    with pytest.raises(http.client.BadStatusLine):
        http_request(web.port)


def test_web_big(web: WebServer) -> None:
    web.set_behaviour("default", "big", size=3_000_001)
    status, response, body = http_request(web.port)
    assert (status, len(body), response.getheader("Content-Length")) == (200, 3_000_001, "3000001")


def test_web_rate_limited(web: WebServer) -> None:
    web.set_behaviour("default", "rate_limited", retry_after=7)
    status, response, body = http_request(web.port)
    assert (status, response.getheader("Retry-After")) == (429, "7")
    assert json.loads(body)["code"] == 8


def test_web_set_behaviour_rejects_bad_input(web: WebServer) -> None:
    with pytest.raises(ValueError):
        web.set_behaviour("default", "nonsense")
    with pytest.raises(ValueError):
        web.set_behaviour("default", "slow", dealy=1)
    assert web.behaviour_for("x").name == "ok"


# --- TLS -----------------------------------------------------------------------


def test_tls_good_certificate_verifies(certs: Certs) -> None:
    with WebServer(tls=certs.good) as ws:
        status, _, _ = http_request(ws.port, host=SELLER, context=certs.client_context())
        assert status == 200
        assert ws.requests[0].tls
        # The IP SAN works too.
        ctx = certs.client_context()
        with (
            socket.create_connection((LOOPBACK, ws.port), timeout=2) as raw,
            ctx.wrap_socket(raw, server_hostname=LOOPBACK) as tls,
        ):
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize(
    ("which", "reason"),
    [
        ("expired", "certificate has expired"),
        ("wrong_host", "Hostname mismatch"),
        ("untrusted", "unable to get local issuer certificate"),
    ],
)
def test_tls_bad_certificates_fail_verification(certs: Certs, which: str, reason: str) -> None:
    with WebServer(tls=getattr(certs, which)) as ws:
        with pytest.raises(ssl.SSLCertVerificationError) as err:
            http_request(ws.port, host=SELLER, context=certs.client_context())
        assert reason in err.value.verify_message
        assert ws.requests == []


def test_tls_hang_tls_never_completes_handshake(certs: Certs) -> None:
    ws = WebServer(tls=certs.good).start()
    try:
        ws.set_behaviour(SELLER, "hang_tls")
        # Another virtual host on the same listener still works: the hang is per SNI name.
        assert http_request(ws.port, host="www.ozon.ru", context=certs.client_context())[0] == 200
        raw = socket.create_connection((LOOPBACK, ws.port), timeout=0.3)  # TCP is accepted
        tls = certs.client_context().wrap_socket(
            raw, server_hostname=SELLER, do_handshake_on_connect=False
        )
        with pytest.raises(TimeoutError):
            tls.do_handshake()
        assert ws.connections == 2
    finally:
        start = time.monotonic()
        ws.stop()
    assert time.monotonic() - start < 1.0
    tls.settimeout(1)
    with pytest.raises((ssl.SSLError, ConnectionError)):  # aborted, still never completed
        tls.do_handshake()
    tls.close()


def test_stop_is_fast_with_hanging_and_idle_clients() -> None:
    ws = WebServer().start()
    ws.set_behaviour("default", "hang")
    ws.set_behaviour("idle.test", "ok")
    clients = []
    for _ in range(10):
        sock = socket.create_connection((LOOPBACK, ws.port), timeout=2)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        clients.append(sock)
    # Keep-alive connections left idle after a complete answer.
    idle = []
    for _ in range(10):
        conn = http.client.HTTPConnection(LOOPBACK, ws.port, timeout=2)
        conn.request("GET", "/", headers={"Host": "idle.test"})
        conn.getresponse().read()
        assert conn.sock is not None
        idle.append(conn)
    deadline = time.monotonic() + 2
    while len(ws.requests) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(ws.requests) == 20
    before = threading.active_count()
    start = time.monotonic()
    ws.stop()
    assert time.monotonic() - start < 1.0
    for sock in clients + [conn.sock for conn in idle]:
        sock.settimeout(1)
        assert sock.recv(1) == b""  # closed by stop(), within the timeout
        sock.close()
    deadline = time.monotonic() + 2
    while threading.active_count() > before - 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before - 20  # the handler threads ended


def test_dns_stop_closes_idle_tcp_connections() -> None:
    srv = DnsServer(zone=ZONE).start()
    sock = socket.create_connection((LOOPBACK, srv.port), timeout=1)
    try:
        query = dns.message.make_query(SELLER, "A")
        dns.query.send_tcp(sock, query)
        response, _ = dns.query.receive_tcp(sock)
        assert addresses(response) == ["10.20.0.2"]
        srv.stop()
        assert sock.recv(1) == b""  # not a 1 s timeout: stop() cut the idle connection
    finally:
        srv.stop()
        sock.close()


# --- the web server as a program -------------------------------------------------------


def test_web_program_mode_file_tls_and_plain(tmp_path: Path) -> None:
    # The pki CLI makes the certificate the lab would use.
    out = subprocess.run(
        [sys.executable, "-m", "tests.support.pki", str(tmp_path), "--host", SELLER],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    paths = dict(line.split("=", 1) for line in out.splitlines())
    ctx = ssl.create_default_context(cafile=paths["ca"])
    modes = tmp_path / "modes.json"
    write_atomically(modes, {SELLER: {"behaviour": "status", "status": 503}})
    proc, listeners = start_program(
        "tests.support.webserver",
        *("--listen", "127.0.0.1:0", "--plain-listen", "127.0.0.1:0"),
        *("--cert", paths["cert"], "--key", paths["key"], "--mode-file", str(modes)),
    )
    (_, tls_port), (_, plain_port) = listeners
    try:
        assert http_request(tls_port, host=SELLER, context=ctx)[0] == 503
        assert http_request(plain_port, host=SELLER)[0] == 503
        assert http_request(plain_port, host="other.test")[0] == 200
        write_atomically(
            modes,
            {
                "default": {"behaviour": "rate_limited"},
                SELLER: {"behaviour": "seller_api", "client_id": "1", "api_key": "k"},
            },
        )
        assert http_request(plain_port, host="other.test")[0] == 429
        assert http_request(tls_port, host=SELLER, context=ctx)[0] == 401
        status, _, body = http_request(
            tls_port,
            method="POST",
            path="/v1/roles",
            host=SELLER,
            headers={"Client-Id": "1", "Api-Key": "k"},
            context=ctx,
        )
        assert (status, json.loads(body)["expires_at"]) == (200, "2027-03-01T00:00:00Z")
        modes.write_text('{"default": {"behaviour": "nonsense"}}')  # invalid: old table stays
        assert http_request(plain_port, host="other.test")[0] == 429
        modes.unlink()  # no file: everything ok
        assert http_request(plain_port, host=SELLER)[0] == 200
    finally:
        stop_program(proc)
