"""Each probe against real loopback servers: DNS, TLS and HTTP servers the tests start."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time
from dataclasses import replace
from pathlib import Path

import pytest

from agent.probes import dns as dns_probe
from agent.probes import http as http_probe
from agent.probes import icmp as icmp_probe
from agent.probes import seller_api as seller_api_probe
from agent.probes import tcp as tcp_probe
from agent.probes import tls as tls_probe
from agent.results import DnsData, ErrorCategory, HttpData, IcmpData, SellerApiData, TlsData
from agent.scheduler import measure
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
    return (
        FAST
        + "resolvers:\n"
        + "\n".join(lines)
        + (
            "\ntargets:\n  - {name: seller_cabinet, group: ozon, host: seller.ozon.ru, probes: [dns]}\n"
        )
    )


def dns_once(servers: list[tuple[str, DnsServer]], system: str | None = None):  # type: ignore[no-untyped-def]
    cfg = config_for(_dns_config(*servers))
    ctx = context(cfg, "dns")
    if system:
        ctx.resolvers = [
            type(r)(r.name, r.address, r.port, r.country, system=(r.name == system))
            for r in ctx.resolvers
        ]
    return run(measure(dns_probe.SPEC, cfg.targets[0], ctx))


def test_dns_answer_timed_per_server(dns_server: DnsServer) -> None:
    r = dns_once([("office", dns_server)])
    assert r.ok and isinstance(r.data, DnsData)
    (a,) = r.data.answers
    assert (a.resolver, a.addresses, a.rcode, a.over_tcp) == (
        "office",
        ("127.0.0.1",),
        "NOERROR",
        False,
    )
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
def test_dns_failures_are_categorised(
    dns_server: DnsServer, mode: str, params: dict, category: ErrorCategory
) -> None:
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
    cfg = config_for(
        FAST + f'resolvers: [{{name: gone, address: "127.0.0.1:{port}"}}]\n'
        "targets: [{name: t, group: ozon, host: seller.ozon.ru, probes: [dns]}]\n"
    )
    r = run(measure(dns_probe.SPEC, cfg.targets[0], context(cfg, "dns")))
    assert r.error is ErrorCategory.REFUSED


def test_dns_lying_system_resolver_is_flagged() -> None:
    # loopback addresses only: a disagreeing answer's address is asked for a certificate
    zone = {"seller.ozon.ru": ["127.0.10.10"]}
    with DnsServer(zone) as liar, DnsServer(zone) as honest1, DnsServer(zone) as honest2:
        liar.set_mode("lie", address="127.0.99.99")
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
    with DnsServer({"seller.ozon.ru": ["127.0.10.5"]}) as a, \
            DnsServer({"seller.ozon.ru": ["127.0.10.6"]}) as b, \
            DnsServer({"seller.ozon.ru": ["127.0.10.7"]}) as c, \
            DnsServer({"seller.ozon.ru": ["127.0.113.7"]}) as odd:  # fmt: skip
        r = dns_once([("system", a), ("yandex", b), ("google", c)], system="system")
        assert r.ok and not any(x.disagrees for x in r.data.answers)  # type: ignore[union-attr]
        r = dns_once([("system", a), ("yandex", b), ("google", c), ("odd", odd)], system="system")
        flags = {x.resolver: x.disagrees for x in r.data.answers}  # type: ignore[union-attr]
        assert r.ok and flags == {"system": False, "yandex": False, "google": False, "odd": True}


def _dns_with_cache(ca: CA, cert: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    """The system resolver sends seller.ozon.ru to 127.0.0.1 (a cache in another network than
    the 127.0.10.0/24 the two independent resolvers agree on), where a TLS server with `cert`
    listens on the target's port."""
    with WebServer(tls=cert) as web, DnsServer({"seller.ozon.ru": ["127.0.0.1"]}) as cache, \
            DnsServer({"seller.ozon.ru": ["127.0.10.5"]}) as a, \
            DnsServer({"seller.ozon.ru": ["127.0.10.6"]}) as b:  # fmt: skip
        cfg, ctx = _dns_setup(ca, [("system", cache), ("yandex", a), ("google", b)], web.port)
        r = run(measure(dns_probe.SPEC, cfg.targets[0], ctx))
        return r, web.connections


def _dns_setup(ca: CA, servers: list[tuple[str, DnsServer]], port: int):  # type: ignore[no-untyped-def]
    """A config and a DNS probe context that ask `servers` (the first is the system
    resolver) for seller.ozon.ru, whose URL names `port`."""
    lines = [f'  - {{name: {n}, address: "127.0.0.1:{s.port}"}}' for n, s in servers]
    cfg = config_for(
        FAST + "resolvers:\n" + "\n".join(lines) + "\ntargets:\n"
        f'  - {{name: seller_cabinet, group: ozon, url: "https://seller.ozon.ru:{port}/",'
        " probes: [dns]}\n",
        ca,
    )
    ctx = context(cfg, "dns")
    ctx.resolvers = [replace(r, system=(r.name == servers[0][0])) for r in ctx.resolvers]
    return cfg, ctx


def test_dns_answer_of_another_network_with_a_valid_certificate_is_honest(
    ca: CA, certs: dict
) -> None:
    # a CDN or an ISP's embedded cache: another network, but it holds the name's certificate
    r, connections = _dns_with_cache(ca, certs["good"])
    assert r.ok, r.detail
    system = next(a for a in r.data.answers if a.resolver == "system")
    assert not system.disagrees and system.vouched and connections >= 1


def test_dns_answer_of_another_network_with_a_wrong_certificate_is_a_lie(
    ca: CA, certs: dict
) -> None:
    # near miss: a hijack page answers TLS, but not with a certificate for the name
    r, connections = _dns_with_cache(ca, certs["wrong_host"])
    assert r.error is ErrorCategory.DNS_MISMATCH
    system = next(a for a in r.data.answers if a.resolver == "system")
    assert system.disagrees and not system.vouched and connections >= 1


def _dns_through_a_proxy(ca: CA, cert: tuple[Path, Path], udp_mode: dict, listen: list[str]):  # type: ignore[no-untyped-def]
    """Every resolver's UDP answers come from a transparent proxy (`udp_mode`); over TCP they
    answer seller.ozon.ru with 127.0.0.1, where a TLS server with `cert` listens on the
    target's port (and on every address of `listen`)."""
    with socket.socket() as probe:  # a port free on 127.0.0.1 (127.0.99.99 is loopback too)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    addresses = [("127.0.0.1", port)] + [(a, port) for a in listen]
    zone = {"seller.ozon.ru": ["127.0.0.1"]}
    with WebServer(tls=cert, listen=addresses) as web, DnsServer(zone) as system, \
            DnsServer(zone) as a, DnsServer(zone) as b:  # fmt: skip
        for srv in (system, a, b):
            srv.set_mode(**udp_mode)
        cfg, ctx = _dns_setup(ca, [("system", system), ("yandex", a), ("google", b)], port)
        first = run(measure(dns_probe.SPEC, cfg.targets[0], ctx))
        second = run(measure(dns_probe.SPEC, cfg.targets[0], ctx))
        return first, second, system.queries["tcp"], web.connections


def test_a_udp_answer_rewritten_on_the_way_is_caught_by_asking_over_tcp(
    ca: CA, certs: dict
) -> None:
    # a transparent proxy answers every UDP question with its block page (127.0.99.99, where
    # nothing holds the name's certificate): all resolvers agree on the lie, no disagreement
    # shows it; the system resolver asked over TCP gives the address with the certificate
    r, again, tcp_queries, _ = _dns_through_a_proxy(
        ca, certs["good"], {"mode": "udp_lie", "address": "127.0.99.99"}, []
    )
    assert not any(a.disagrees for a in r.data.answers)  # type: ignore[union-attr]
    assert not r.ok and r.error is ErrorCategory.DNS_MISMATCH, r.detail
    system = next(a for a in r.data.answers if a.resolver == "system")
    assert system.rewritten == ("127.0.0.1",) and "rewritten on the way" in r.detail
    assert [a.resolver for a in r.data.rewritten_on_the_way()] == ["system"]  # type: ignore[union-attr]
    # and again in the next round, while the rewriting lasts
    assert again.error is ErrorCategory.DNS_MISMATCH and tcp_queries == 2


def test_a_name_denied_over_udp_and_answered_over_tcp_is_rewritten(ca: CA, certs: dict) -> None:
    r, _, _, _ = _dns_through_a_proxy(ca, certs["good"], {"mode": "udp_nxdomain"}, [])
    system = next(a for a in r.data.answers if a.resolver == "system")
    assert not r.ok and system.error is ErrorCategory.NXDOMAIN
    assert system.rewritten == ("127.0.0.1",)


def test_udp_and_tcp_answers_that_both_hold_the_certificate_are_honest(ca: CA, certs: dict) -> None:
    # near miss: a CDN that rotates its answers between networks; each address holds the
    # name's certificate, so UDP's differing answer is no rewrite
    r, _, tcp_queries, connections = _dns_through_a_proxy(
        ca, certs["good"], {"mode": "udp_lie", "address": "127.0.99.99"}, ["127.0.99.99"]
    )
    assert r.ok, r.detail
    assert not any(a.rewritten for a in r.data.answers)  # type: ignore[union-attr]
    # UDP's address shows the certificate: no TCP question, and none in the next round
    assert tcp_queries == 0 and connections == 1


def test_a_tcp_answer_without_the_certificate_proves_no_rewrite(ca: CA, certs: dict) -> None:
    # near miss: TCP's address shows the wrong certificate too: which answer is right is not
    # shown, so nothing is claimed about the path (both are a lie or neither)
    r, _, _, _ = _dns_through_a_proxy(
        ca, certs["wrong_host"], {"mode": "udp_lie", "address": "127.0.99.99"}, []
    )
    assert not any(a.rewritten for a in r.data.answers)  # type: ignore[union-attr]


# -- ICMP -----------------------------------------------------------------------------------


def test_icmp_loopback_five_packets() -> None:
    cfg = config_for(
        FAST + "targets: [{name: lo, group: control, host: 127.0.0.1, probes: [icmp]}]\n"
    )
    ctx = context(cfg, "icmp")
    r = run(measure(icmp_probe.SPEC, cfg.targets[0], ctx))
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
        cfg = config_for(
            FAST
            + f"targets: [{{name: web, group: control, host: 127.0.0.1, port: {ws.port}, probes: [tcp]}}]\n"
        )
        r = run(measure(tcp_probe.SPEC, cfg.targets[0], context(cfg, "tcp")))
        assert r.ok and r.data.connect_seconds is not None  # type: ignore[union-attr]
        port = ws.port
    r = run(measure(tcp_probe.SPEC, cfg.targets[0], context(cfg, "tcp")))
    assert r.error is ErrorCategory.REFUSED, port


# -- TLS ------------------------------------------------------------------------------------


def _tls(ca: CA, cert: tuple[Path, Path], behaviour: str = "ok"):  # type: ignore[no-untyped-def]
    with WebServer(tls=cert) as ws:
        ws.set_behaviour("default", behaviour)
        cfg = config_for(
            FAST
            + f"targets: [{{name: seller_cabinet, group: ozon, host: localhost, port: {ws.port}, probes: [tls]}}]\n",
            ca,
        )
        return run(measure(tls_probe.SPEC, cfg.targets[0], context(cfg, "tls")))


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
        cfg = config_for(
            FAST
            + f"targets: [{{name: t, group: ozon, host: localhost, port: {ws.port}, probes: [tls]}}]\n"
        )
        r = run(measure(tls_probe.SPEC, cfg.targets[0], context(cfg, "tls")))
    assert r.error is ErrorCategory.TLS_VERIFY and r.data.verify_error == "untrusted"  # type: ignore[union-attr]
    # who signed it is read from the certificate all the same: the evidence of interception
    assert r.data.untrusted_issuer() == "O=ozon-probe tests, CN=ozon-probe test CA"  # type: ignore[union-attr]


def test_tls_issuer_of_a_verified_certificate_is_not_untrusted(ca: CA, certs: dict) -> None:
    r = _tls(ca, certs["good"])
    assert r.data.issuer == "O=ozon-probe tests, CN=ozon-probe test CA"  # type: ignore[union-attr]
    assert r.data.untrusted_issuer() == ""  # type: ignore[union-attr]


def test_tls_handshake_that_never_finishes_times_out(ca: CA, certs: dict) -> None:
    started = time.monotonic()
    r = _tls(ca, certs["good"], "hang_tls")
    assert r.error is ErrorCategory.TIMEOUT
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("action", ["reset", "drop"])
def test_tls_name_filtered_on_the_way_is_told_by_a_neutral_name(
    ca: CA, certs: dict, action: str
) -> None:
    # DPI that resets (or swallows) a ClientHello by its name: the same address answers
    # another name at once, which is what network_filtering stands on (silence only in three
    # rounds in a row: one such round is what a lossy path gives now and then)
    from tests.support.namefilter import NameFilter

    with WebServer(tls=certs["good"]) as ws, NameFilter(ws.port, [b"localhost"], action) as nf:
        cfg = config_for(
            "probes: {tls: {interval: 5s, timeout: 3s}}\n"
            f"targets: [{{name: seller_api, group: ozon, host: localhost, port: {nf.port}, probes: [tls]}}]\n",
            ca,
        )
        r = run(measure(tls_probe.SPEC, cfg.targets[0], context(cfg, "tls")))
    assert nf.matched >= 1 and isinstance(r.data, TlsData)
    assert r.error is (ErrorCategory.TIMEOUT if action == "drop" else ErrorCategory.RESET)
    assert r.data.neutral_name_answered is True and r.data.filtered_by_name()
    assert r.duration < 3.5  # within the kind's deadline, contrast included


def test_tls_server_that_resets_every_name_is_not_filtering(ca: CA, certs: dict) -> None:
    # near miss: the server (or whatever stands in its place) resets every ClientHello
    from tests.support.namefilter import NameFilter

    with WebServer(tls=certs["good"]) as ws, NameFilter(ws.port, [], "reset_all") as nf:
        cfg = config_for(
            "probes: {tls: {interval: 5s, timeout: 3s}}\n"
            f"targets: [{{name: t, group: ozon, host: localhost, port: {nf.port}, probes: [tls]}}]\n",
            ca,
        )
        r = run(measure(tls_probe.SPEC, cfg.targets[0], context(cfg, "tls")))
    assert r.error is ErrorCategory.RESET
    assert isinstance(r.data, TlsData) and r.data.neutral_name_answered is False
    assert not r.data.filtered_by_name()


def test_tls_refused_connection_makes_no_contrast(ca: CA) -> None:
    # nothing listens: the connection itself fails, so there is no name to contrast
    cfg = config_for(
        "probes: {tls: {interval: 5s, timeout: 2s}}\n"
        "targets: [{name: t, group: ozon, host: localhost, port: 1, probes: [tls]}]\n",
        ca,
    )
    r = run(measure(tls_probe.SPEC, cfg.targets[0], context(cfg, "tls")))
    assert r.error is ErrorCategory.REFUSED
    assert isinstance(r.data, TlsData) and r.data.neutral_name_answered is None


# -- HTTP -----------------------------------------------------------------------------------


def _http(
    ca: CA,
    cert: tuple[Path, Path],
    behaviour: str,
    extra: str = "",
    path: str = "/",
    nameserver: DnsServer | None = None,
    **params: object,
):  # type: ignore[no-untyped-def]
    with WebServer(tls=cert) as ws:
        ws.set_behaviour("default", behaviour, **params)
        host = "seller.ozon.ru" if nameserver else "localhost"
        cfg = config_for(
            FAST
            + f'targets: [{{name: seller_cabinet, group: ozon, url: "https://{host}:{ws.port}{path}", probes: [http]{extra}}}]\n',
            ca,
        )
        ns = [("127.0.0.1", nameserver.port)] if nameserver else None
        result = run(measure(http_probe.SPEC, cfg.targets[0], context(cfg, "http", ns)))
        return result, ws.requests


def test_http_ok_with_every_phase(ca: CA, certs: dict, dns_server: DnsServer) -> None:
    r, reqs = _http(ca, certs["good"], "ok", nameserver=dns_server)
    assert r.ok, r.detail
    d = r.data
    assert isinstance(d, HttpData) and d.status == 200 and d.expected and d.content_bytes > 0
    assert set(d.phases) == {"resolve", "connect", "tls", "processing", "transfer"}
    assert all(v >= 0 for v in d.phases.values()) and d.phases["resolve"] > 0
    assert reqs[-1].host == "seller.ozon.ru" and reqs[-1].headers["user-agent"].startswith(
        "ozon-probe/"
    )


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
    assert r.data.stalled_at() == 0  # type: ignore[union-attr]  # no body began: no freeze
    assert time.monotonic() - started < 3


def test_http_body_that_freezes_keeps_the_bytes_delivered_tls_included(ca: CA, certs: dict) -> None:
    r, _ = _http(ca, certs["good"], "stall", after=9000, size=65536)
    assert r.error is ErrorCategory.TIMEOUT and r.data.stalled_in == "transfer"  # type: ignore[union-attr]
    # the certificate and the handshake came before the 9000 body bytes, and count
    assert 9000 + 500 < r.data.stalled_at() < 9000 + 8000  # type: ignore[union-attr]
    assert http_probe.details(r)["stalled_after_bytes"] == r.data.stalled_at()  # type: ignore[union-attr]


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


def _seller(
    ca: CA, cert: tuple[Path, Path], behaviour: str, secrets: dict[str, str], **params: object
):  # type: ignore[no-untyped-def]
    with WebServer(tls=cert) as ws:
        ws.set_behaviour("default", behaviour, **params)
        cfg = config_for(
            FAST + f'seller_api: {{url: "https://localhost:{ws.port}/v1/roles", timeout: 2s}}\n'
            "targets: [{name: g, group: gateway, host: 127.0.0.1, probes: [icmp]}]\n", ca,
        )  # fmt: skip
        ctx = context(cfg, "http", secrets=secrets)
        return run(measure(seller_api_probe.SPEC, seller_api_probe.TARGET, ctx)), ws.requests


def test_seller_api_key_expiry(ca: CA, certs: dict) -> None:
    creds = {"Client-Id": "12345", "Api-Key": KEY}
    r, reqs = _seller(ca, certs["good"], "seller_api", creds, client_id="12345", api_key=KEY,
                      expires_at="2027-03-01T00:00:00Z")  # fmt: skip
    assert r.ok, r.detail
    d = r.data
    assert isinstance(d, SellerApiData) and d.key_valid
    assert d.key_expires_at == dt.datetime(2027, 3, 1, tzinfo=dt.UTC).timestamp()
    assert (reqs[-1].method, reqs[-1].path, reqs[-1].headers["api-key"]) == (
        "POST",
        "/v1/roles",
        KEY,
    )


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


def test_http_probe_skips_interim_answers_and_files_hostile_ones_as_protocol_errors(
    ca: CA, certs: dict
) -> None:
    # before: a 503 after a 103 Early Hints read as 103, a success; a 70 KiB header line was
    # filed as `internal`, which the diagnosis ignores (the probe now runs on agent/net/http1.py)
    r, _ = _http(ca, certs["good"], "interim", interim=[100, 103], status=503)
    assert r.error is ErrorCategory.HTTP_STATUS and r.data.status == 503, r.detail
    r, _ = _http(ca, certs["good"], "long_header")
    assert r.error is ErrorCategory.HTTP_PROTOCOL, (r.error, r.detail)
