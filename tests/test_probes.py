"""Each probe against real loopback servers: DNS, TLS and HTTP servers the tests start."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import pytest

from agent.probes import dns as dns_probe
from agent.probes import http as http_probe
from agent.probes import icmp as icmp_probe
from agent.probes import seller_api as seller_api_probe
from agent.probes import tcp as tcp_probe
from agent.probes import tls as tls_probe
from agent.results import DnsData, ErrorCategory, HttpData, IcmpData, SellerApiData, TlsData
from tests.conftest import config_for, context
from tests.support.dnsserver import DnsServer
from tests.support.pki import CA
from tests.support.webserver import WebServer

FAST = """
probes:
  dns: {interval: 5s, timeout: 700ms}
  icmp: {interval: 5s, timeout: 2s, packets: 5, spacing: 20ms}
  tcp: {interval: 5s, timeout: 1s}
  tls: {interval: 5s, timeout: 1s}
  http: {interval: 5s, timeout: 1500ms}
"""


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


# -- DNS ------------------------------------------------------------------------------------


def _dns_config(*servers: tuple[str, DnsServer]) -> str:
    lines = [f'  - {{name: {n}, address: "127.0.0.1:{s.port}"}}' for n, s in servers]
    return FAST + "resolvers:\n" + "\n".join(lines) + (
        "\ntargets:\n  - {name: seller_cabinet, group: ozon, host: seller.ozon.ru, probes: [dns]}\n"
    )


def dns_once(servers: list[tuple[str, DnsServer]], system: str | None = None):  # type: ignore[no-untyped-def]
    cfg = config_for(_dns_config(*servers))
    ctx = context(cfg, "dns")
    if system:
        ctx.resolvers = [
            type(r)(r.name, r.address, r.port, r.country, system=(r.name == system))
            for r in ctx.resolvers
        ]
    return run(dns_probe.probe(cfg.targets[0], ctx))


def test_dns_answer_timed_per_server(dns_server: DnsServer) -> None:
    r = dns_once([("office", dns_server)])
    assert r.ok and isinstance(r.data, DnsData)
    (a,) = r.data.answers
    assert (a.resolver, a.addresses, a.rcode, a.over_tcp) == ("office", ("127.0.0.1",), "NOERROR", False)
    assert 0 < a.seconds < 0.7


@pytest.mark.parametrize(
    ("mode", "params", "category"),
    [
        ("servfail", {}, ErrorCategory.SERVFAIL),
        ("nxdomain", {}, ErrorCategory.NXDOMAIN),
        ("refused", {}, ErrorCategory.DNS_REFUSED),
        ("silent", {}, ErrorCategory.DNS_TIMEOUT),
        ("garbage", {}, ErrorCategory.DNS_MALFORMED),
    ],
)
def test_dns_failures_are_categorised(dns_server: DnsServer, mode: str, params: dict, category: ErrorCategory) -> None:
    dns_server.set_mode(mode, **params)
    r = dns_once([("office", dns_server)])
    assert not r.ok and r.error is category
    assert r.data.answers[0].error is category  # type: ignore[union-attr]


def test_dns_truncated_answer_retried_over_tcp(dns_server: DnsServer) -> None:
    dns_server.set_mode("truncate")
    r = dns_once([("office", dns_server)])
    assert r.ok and r.data.answers[0].over_tcp  # type: ignore[union-attr]
    assert dns_server.queries["tcp"] == 1 and dns_server.queries["udp"] == 1


def test_dns_closed_port_is_refused() -> None:
    with DnsServer({}) as srv:
        port = srv.port
    cfg = config_for(FAST + f'resolvers: [{{name: gone, address: "127.0.0.1:{port}"}}]\n'
                     "targets: [{name: t, group: ozon, host: seller.ozon.ru, probes: [dns]}]\n")
    r = run(dns_probe.probe(cfg.targets[0], context(cfg, "dns")))
    assert r.error is ErrorCategory.REFUSED


def test_dns_lying_system_resolver_is_flagged() -> None:
    zone = {"seller.ozon.ru": ["198.19.10.10"]}
    with DnsServer(zone) as liar, DnsServer(zone) as honest1, DnsServer(zone) as honest2:
        liar.set_mode("lie", address="198.18.99.99")
        r = dns_once([("system", liar), ("yandex", honest1), ("google", honest2)], system="system")
        assert not r.ok and r.error is ErrorCategory.DNS_MISMATCH
        flags = {a.resolver: a.disagrees for a in r.data.answers}  # type: ignore[union-attr]
        assert flags == {"system": True, "yandex": False, "google": False}
        # a lying public resolver is flagged, but the seller's own lookups are fine
        r = dns_once([("system", honest1), ("yandex", liar), ("google", honest2)], system="system")
        assert r.ok
        assert {a.resolver: a.disagrees for a in r.data.answers}["yandex"]  # type: ignore[union-attr]


def test_dns_same_network_is_not_a_lie() -> None:
    # geo-balanced CDNs give different addresses of one /24 to different resolvers; a resolver
    # whose answer is in another network while the rest agree is flagged
    with DnsServer({"seller.ozon.ru": ["198.19.10.5"]}) as a, \
            DnsServer({"seller.ozon.ru": ["198.19.10.6"]}) as b, \
            DnsServer({"seller.ozon.ru": ["198.19.10.7"]}) as c, \
            DnsServer({"seller.ozon.ru": ["203.0.113.7"]}) as odd:  # fmt: skip
        r = dns_once([("system", a), ("yandex", b), ("google", c)], system="system")
        assert r.ok and not any(x.disagrees for x in r.data.answers)  # type: ignore[union-attr]
        r = dns_once([("system", a), ("yandex", b), ("google", c), ("odd", odd)], system="system")
        flags = {x.resolver: x.disagrees for x in r.data.answers}  # type: ignore[union-attr]
        assert r.ok and flags == {"system": False, "yandex": False, "google": False, "odd": True}


# -- ICMP -----------------------------------------------------------------------------------


def test_icmp_loopback_five_packets() -> None:
    cfg = config_for(FAST + "targets: [{name: lo, group: control, host: 127.0.0.1, probes: [icmp]}]\n")
    ctx = context(cfg, "icmp")
    r = run(icmp_probe.probe(cfg.targets[0], ctx))
    assert r.ok, r.detail
    d = r.data
    assert isinstance(d, IcmpData)
    assert (d.sent, d.received, d.loss_ratio) == (5, 5, 0.0)
    assert d.rtt_min is not None and d.rtt_max is not None and 0 < d.rtt_min <= d.rtt_max < 0.1
    assert d.jitter is not None and d.mode in ("datagram", "raw")
    # packets are spaced, not sent in one burst
    assert r.duration >= 4 * 0.02


def test_icmp_checksum_matches_rfc1071_example() -> None:
    # RFC 1071's worked example: the one's complement sum of these words is 0xddf2
    assert icmp_probe.checksum(bytes.fromhex("0001f203f4f5f6f7")) == (~0xDDF2 & 0xFFFF)
    packet = icmp_probe.echo_request(0x1234, 7, b"abc")
    assert icmp_probe.checksum(packet) == 0


# -- TCP ------------------------------------------------------------------------------------


def test_tcp_connect_and_refused() -> None:
    with WebServer() as ws:
        cfg = config_for(FAST + f"targets: [{{name: web, group: control, host: 127.0.0.1, port: {ws.port}, probes: [tcp]}}]\n")
        r = run(tcp_probe.probe(cfg.targets[0], context(cfg, "tcp")))
        assert r.ok and r.data.connect_seconds is not None  # type: ignore[union-attr]
        port = ws.port
    r = run(tcp_probe.probe(cfg.targets[0], context(cfg, "tcp")))
    assert r.error is ErrorCategory.REFUSED, port


# -- TLS ------------------------------------------------------------------------------------


def _tls(ca: CA, cert: tuple[Path, Path], behaviour: str = "ok"):  # type: ignore[no-untyped-def]
    with WebServer(tls=cert) as ws:
        ws.set_behaviour("default", behaviour)
        cfg = config_for(
            FAST + f"targets: [{{name: seller_cabinet, group: ozon, host: localhost, port: {ws.port}, probes: [tls]}}]\n",
            ca,
        )
        return run(tls_probe.probe(cfg.targets[0], context(cfg, "tls")))


def test_tls_good_certificate(ca: CA, certs: dict) -> None:
    r = _tls(ca, certs["good"])
    assert r.ok, r.detail
    d = r.data
    assert isinstance(d, TlsData) and d.verified and d.version in ("TLSv1.2", "TLSv1.3")
    assert d.handshake_seconds is not None and d.cert_not_after is not None
    days = (d.cert_not_after - time.time()) / 86400
    assert 25 < days < 31


def test_tls_expired_certificate_still_reports_expiry(ca: CA, certs: dict) -> None:
    r = _tls(ca, certs["expired"])
    assert r.error is ErrorCategory.TLS_VERIFY
    d = r.data
    assert isinstance(d, TlsData) and not d.verified and d.verify_error == "expired"
    assert d.cert_not_after is not None and d.cert_not_after < time.time() - 86400


def test_tls_wrong_host(ca: CA, certs: dict) -> None:
    r = _tls(ca, certs["wrong_host"])
    assert r.error is ErrorCategory.TLS_VERIFY
    assert r.data.verify_error == "hostname_mismatch"  # type: ignore[union-attr]


def test_tls_untrusted_without_the_ca(certs: dict) -> None:
    with WebServer(tls=certs["good"]) as ws:
        cfg = config_for(FAST + f"targets: [{{name: t, group: ozon, host: localhost, port: {ws.port}, probes: [tls]}}]\n")
        r = run(tls_probe.probe(cfg.targets[0], context(cfg, "tls")))
    assert r.error is ErrorCategory.TLS_VERIFY and r.data.verify_error == "untrusted"  # type: ignore[union-attr]


def test_tls_handshake_that_never_finishes_times_out(ca: CA, certs: dict) -> None:
    started = time.monotonic()
    r = _tls(ca, certs["good"], "hang_tls")
    assert r.error is ErrorCategory.TIMEOUT
    assert time.monotonic() - started < 3


# -- HTTP -----------------------------------------------------------------------------------


def _http(ca: CA, cert: tuple[Path, Path], behaviour: str, extra: str = "", path: str = "/",
          nameserver: DnsServer | None = None, **params: object):  # type: ignore[no-untyped-def]
    with WebServer(tls=cert) as ws:
        ws.set_behaviour("default", behaviour, **params)
        host = "seller.ozon.ru" if nameserver else "localhost"
        cfg = config_for(
            FAST + f'targets: [{{name: seller_cabinet, group: ozon, url: "https://{host}:{ws.port}{path}", probes: [http]{extra}}}]\n',
            ca,
        )
        ns = [("127.0.0.1", nameserver.port)] if nameserver else None
        result = run(http_probe.probe(cfg.targets[0], context(cfg, "http", ns)))
        return result, ws.requests


def test_http_ok_with_every_phase(ca: CA, certs: dict, dns_server: DnsServer) -> None:
    r, reqs = _http(ca, certs["good"], "ok", nameserver=dns_server)
    assert r.ok, r.detail
    d = r.data
    assert isinstance(d, HttpData) and d.status == 200 and d.expected and d.content_bytes > 0
    assert set(d.phases) == {"resolve", "connect", "tls", "processing", "transfer"}
    assert all(v >= 0 for v in d.phases.values()) and d.phases["resolve"] > 0
    assert reqs[-1].host == "seller.ozon.ru" and reqs[-1].headers["user-agent"].startswith("ozon-probe/")


def test_http_name_is_resolved_again_each_round(ca: CA, certs: dict) -> None:
    with DnsServer({"seller.ozon.ru": ["127.0.0.1"]}) as ns:
        r, _ = _http(ca, certs["good"], "ok", nameserver=ns)
        assert r.ok and r.address == "127.0.0.1"
        ns.set_zone({"seller.ozon.ru": ["127.0.0.2"]})
        r, _ = _http(ca, certs["good"], "ok", nameserver=ns)
        assert r.address == "127.0.0.2"  # nobody listens there on that port: refused
        assert r.error is ErrorCategory.REFUSED
        ns.set_mode("nxdomain")
        r, _ = _http(ca, certs["good"], "ok", nameserver=ns)
        assert r.error is ErrorCategory.NXDOMAIN and r.data.stalled_in == "resolve"  # type: ignore[union-attr]


def test_http_unexpected_status(ca: CA, certs: dict) -> None:
    r, _ = _http(ca, certs["good"], "status", status=503)
    assert r.error is ErrorCategory.HTTP_STATUS and r.data.status == 503  # type: ignore[union-attr]
    assert r.detail == "HTTP 503"


def test_http_seller_api_401_code_16_means_alive(ca: CA, certs: dict) -> None:
    expect = ", method: POST, body: '{}', expect: {status: [401], json_code: 16}"
    r, reqs = _http(ca, certs["good"], "seller_api", expect, path="/v1/roles")
    assert r.ok, r.detail
    assert r.data.status == 401 and r.data.json_code == 16 and r.data.expected  # type: ignore[union-attr]
    assert reqs[-1].method == "POST" and reqs[-1].body == b"{}"
    # a 401 without Ozon's JSON is not Ozon answering
    r, _ = _http(ca, certs["good"], "status", expect, path="/v1/roles", status=401)
    assert r.error is ErrorCategory.HTTP_BODY and "no JSON code" in r.detail


def test_http_hanging_server_times_out_waiting_for_first_byte(ca: CA, certs: dict) -> None:
    started = time.monotonic()
    r, _ = _http(ca, certs["good"], "hang")
    assert r.error is ErrorCategory.TIMEOUT and "first byte" in r.detail
    assert r.data.stalled_in == "processing" and "tls" in r.data.phases  # type: ignore[union-attr]
    assert time.monotonic() - started < 3


def test_http_slow_first_byte_is_measured(ca: CA, certs: dict) -> None:
    r, _ = _http(ca, certs["good"], "slow", delay=0.4)
    assert r.ok and r.data.phases["processing"] >= 0.4  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("behaviour", "category"),
    [("reset", ErrorCategory.RESET), ("garbage", ErrorCategory.HTTP_PROTOCOL)],
)
def test_http_broken_answers(ca: CA, certs: dict, behaviour: str, category: ErrorCategory) -> None:
    r, _ = _http(ca, certs["good"], behaviour)
    assert r.error is category, r.detail


def test_http_big_body_is_capped(ca: CA, certs: dict) -> None:
    r, _ = _http(ca, certs["good"], "big", size=3 * 1024 * 1024)
    assert r.ok and r.data.content_bytes == http_probe.MAX_BODY  # type: ignore[union-attr]


# -- Seller API key -------------------------------------------------------------------------

KEY = "5e1f0c3a-secret-api-key-7d9b"


def _seller(ca: CA, cert: tuple[Path, Path], behaviour: str, secrets: dict[str, str], **params: object):  # type: ignore[no-untyped-def]
    with WebServer(tls=cert) as ws:
        ws.set_behaviour("default", behaviour, **params)
        cfg = config_for(
            FAST + f'seller_api: {{url: "https://localhost:{ws.port}/v1/roles", timeout: 2s}}\n'
            "targets: [{name: g, group: gateway, host: 127.0.0.1, probes: [icmp]}]\n", ca,
        )  # fmt: skip
        ctx = context(cfg, "http", secrets=secrets)
        return run(seller_api_probe.probe(seller_api_probe.TARGET, ctx)), ws.requests


def test_seller_api_key_expiry(ca: CA, certs: dict) -> None:
    creds = {"Client-Id": "12345", "Api-Key": KEY}
    r, reqs = _seller(ca, certs["good"], "seller_api", creds, client_id="12345", api_key=KEY,
                      expires_at="2027-03-01T00:00:00Z")  # fmt: skip
    assert r.ok, r.detail
    d = r.data
    assert isinstance(d, SellerApiData) and d.key_valid
    assert d.key_expires_at == dt.datetime(2027, 3, 1, tzinfo=dt.UTC).timestamp()
    assert (reqs[-1].method, reqs[-1].path, reqs[-1].headers["api-key"]) == ("POST", "/v1/roles", KEY)


def test_seller_api_wrong_key_and_rate_limit(ca: CA, certs: dict) -> None:
    creds = {"Client-Id": "12345", "Api-Key": "wrong-" + KEY}
    r, _ = _seller(ca, certs["good"], "seller_api", creds, client_id="12345", api_key=KEY)
    assert r.error is ErrorCategory.API_KEY_INVALID and r.data.key_valid is False  # type: ignore[union-attr]
    r, _ = _seller(ca, certs["good"], "rate_limited", creds, retry_after=90)
    assert r.error is ErrorCategory.RATE_LIMITED and r.data.retry_after == 90  # type: ignore[union-attr]


def test_seller_api_key_never_in_the_result(ca: CA, certs: dict) -> None:
    creds = {"Client-Id": "12345", "Api-Key": KEY}
    r, reqs = _seller(ca, certs["good"], "echo_key", creds)
    assert KEY in reqs[-1].body.decode() or reqs[-1].headers["api-key"] == KEY
    assert r.error is ErrorCategory.API_KEY_INVALID
    assert KEY not in repr(r)
    assert "***" in r.detail
