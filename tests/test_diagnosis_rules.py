"""Diagnosis rules on recorded results (the lab proves them on a real network; these pin the
edge cases that a lab makes hard to hit on purpose: one lost packet, a filtered ICMP, a
resolver's refusal after the fact)."""

from __future__ import annotations

import time

from agent.config import Config
from agent.diagnosis import Diagnoser
from agent.diagnosis.diagnoser import Diagnosis
from agent.i18n import say
from agent.net.machine import LinkState
from agent.results import ErrorCategory, HttpData, IcmpData, ProbeResult, TlsData
from agent.store import ResultStore
from tests.conftest import config_for

CFG = """
site: {name: t, country: RU}
targets:
  - {name: gateway, group: gateway, host: 198.18.1.1, probes: [icmp]}
  - {name: control_ru, group: control, country: RU, url: "https://ya.ru/", probes: [icmp, http]}
  - {name: seller_cabinet, group: ozon, service: cabinet, country: RU, url: "https://seller.ozon.ru/", probes: [icmp, http]}
"""


class Feed:
    def __init__(self, config: Config) -> None:
        self.store = ResultStore()
        self.diag = Diagnoser(config, self.store, link=lambda: LinkState(True, "", "eth0"))
        self.t = time.time()

    def icmp(self, target: str, group: str, rtts: list[float], sent: int = 5) -> None:
        self.t += 0.01
        data = IcmpData(sent=sent, received=len(rtts), rtts=tuple(rtts), mode="raw")
        err = None if rtts else ErrorCategory.TIMEOUT
        self.store.record(
            ProbeResult("icmp", target, group, bool(rtts), 0.5, self.t, err, data=data)
        )

    def http(
        self, target: str, group: str, status: int | None, error: ErrorCategory | None = None
    ) -> None:
        self.t += 0.01
        data = HttpData(phases={"processing": 0.05}, status=status, expected=error is None)
        self.store.record(
            ProbeResult("http", target, group, error is None, 0.1, self.t, error, data=data)
        )

    def healthy_round(self, loss_on: str = "") -> str:
        for name, group in (
            ("gateway", "gateway"),
            ("control_ru", "control"),
            ("seller_cabinet", "ozon"),
        ):
            self.icmp(name, group, [0.001] * (4 if name == loss_on else 5))
        self.http("control_ru", "control", 200)
        self.http("seller_cabinet", "ozon", 200)
        return self.diag.update().cause


def test_a_single_lost_packet_changes_nothing() -> None:
    f = Feed(config_for(CFG))
    assert [f.healthy_round() for _ in range(3)] == ["ok"] * 3
    assert f.healthy_round(loss_on="control_ru") == "ok"
    assert f.healthy_round() == "ok"
    # but loss in most rounds is a sick path
    causes = [f.healthy_round(loss_on="gateway") for _ in range(3)]
    assert causes[-1] == "network_degraded"


def test_filtered_icmp_does_not_make_a_host_silent() -> None:
    f = Feed(config_for(CFG))
    for _ in range(3):
        f.icmp("gateway", "gateway", [0.001] * 5)
        f.icmp("control_ru", "control", [])  # ICMP filtered on the way: never answered
        f.http("control_ru", "control", 200)
        f.icmp("seller_cabinet", "ozon", [0.02] * 5)
        f.http("seller_cabinet", "ozon", 200)
        assert f.diag.update().cause == "ok"


def test_ozon_failing_alone_is_an_outage_with_like_for_like_proof() -> None:
    f = Feed(config_for(CFG))
    f.healthy_round()
    f.icmp("gateway", "gateway", [0.001] * 5)
    f.icmp("seller_cabinet", "ozon", [0.02] * 5)
    f.icmp("control_ru", "control", [0.02] * 5)
    f.http("seller_cabinet", "ozon", None, ErrorCategory.RESET)
    f.http("control_ru", "control", 200)
    d = f.diag.update()
    assert d.cause == "platform_outage"
    assert any("control_ru http" in say(e, "en") for e in d.evidence)


def test_ozon_failing_while_a_control_fails_too_is_not_blamed_on_ozon() -> None:
    f = Feed(config_for(CFG))
    f.healthy_round()
    f.icmp("gateway", "gateway", [0.001] * 5)
    f.http("seller_cabinet", "ozon", None, ErrorCategory.TIMEOUT)
    f.http("control_ru", "control", None, ErrorCategory.TIMEOUT)
    d = f.diag.update()
    assert not d.cause.startswith("platform")


def test_verdict_metrics_keep_exactly_one_cause_and_count_changes() -> None:
    f = Feed(config_for(CFG))
    f.healthy_round()
    first = f.diag.current
    assert first is not None and first.changes == 0
    f.icmp("gateway", "gateway", [0.001] * 5)
    f.icmp("control_ru", "control", [0.02] * 5)
    f.http("seller_cabinet", "ozon", None, ErrorCategory.REFUSED)
    f.http("control_ru", "control", 200)
    d = f.diag.update()
    assert d.cause == "platform_outage" and d.changes == 1 and d.since >= first.since


def test_an_old_success_does_not_vouch_for_a_target_whose_name_stopped_resolving() -> None:
    # a dead router takes DNS with it: the controls' newest probes fail to look their names up
    # (says nothing of the path), and their older successes must not count as "reached now"
    f = Feed(config_for(CFG))
    f.t += 0.01  # a TLS probe that worked, before; its kind does not run in the next rounds
    f.store.record(ProbeResult("tls", "control_ru", "control", True, 0.1, f.t))
    assert f.healthy_round() == "ok"
    f.icmp("gateway", "gateway", [])  # silent
    f.t += 0.01
    f.store.record(
        ProbeResult("http", "control_ru", "control", False, 1.0, f.t, ErrorCategory.DNS_TIMEOUT,
                    data=HttpData(stalled_in="resolve"))
    )  # fmt: skip
    f.t += 0.01
    f.store.record(
        ProbeResult("icmp", "control_ru", "control", False, 1.0, f.t, ErrorCategory.DNS_TIMEOUT)
    )
    assert f.diag.update().cause == "local_network"


def _tls(f: Feed, target: str, group: str, issuer: str) -> None:
    f.t += 0.01
    data = TlsData(verified=False, verify_error="untrusted", issuer=issuer)
    f.store.record(
        ProbeResult("tls", target, group, False, 0.1, f.t, ErrorCategory.TLS_VERIFY, data=data)
    )


BOX = "O=Corp, CN=Inspection Proxy CA"


def test_one_untrusted_issuer_for_ozon_and_a_control_is_interception() -> None:
    f = Feed(config_for(CFG))
    f.healthy_round()
    f.icmp("gateway", "gateway", [0.001] * 5)
    _tls(f, "control_ru", "control", BOX)
    _tls(f, "seller_cabinet", "ozon", BOX)
    f.http("seller_cabinet", "ozon", None, ErrorCategory.TLS_VERIFY)
    f.http("control_ru", "control", None, ErrorCategory.TLS_VERIFY)
    d = f.diag.update()
    assert d.cause == "network_filtering"
    line = say(d.evidence[0], "en")
    assert "seller.ozon.ru" in line and "Inspection Proxy CA" in line and "ya.ru" in line


def test_an_untrusted_certificate_of_ozon_alone_is_not_interception() -> None:
    # near miss: Ozon (or its CDN) shows a bad certificate while the controls verify: Ozon's
    f = Feed(config_for(CFG))
    f.healthy_round()
    f.icmp("gateway", "gateway", [0.001] * 5)
    f.icmp("control_ru", "control", [0.02] * 5)
    _tls(f, "seller_cabinet", "ozon", BOX)
    f.http("seller_cabinet", "ozon", None, ErrorCategory.TLS_VERIFY)
    f.http("control_ru", "control", 200)
    d = f.diag.update()
    assert d.cause == "platform_outage", [say(e, "en") for e in d.evidence]


def _stalled(f: Feed, target: str, group: str, after: int) -> None:
    f.t += 0.01
    data = HttpData(phases={"processing": 0.05}, status=200, stalled_in="transfer",
                    stalled_after=after)  # fmt: skip
    f.store.record(
        ProbeResult("http", target, group, False, 2.0, f.t, ErrorCategory.TIMEOUT, data=data)
    )


def _stall_round(f: Feed, ozon: int, control: int) -> str:
    for name, group in (("gateway", "gateway"), ("control_ru", "control")):
        f.icmp(name, group, [0.001] * 5)
    f.icmp("seller_cabinet", "ozon", [0.02] * 5)
    _stalled(f, "control_ru", "control", control)
    _stalled(f, "seller_cabinet", "ozon", ozon)
    return f.diag.update().cause


def test_ozon_and_a_control_frozen_at_one_byte_count_twice_is_filtering() -> None:
    # the "16 KB freeze": a box on the way lets so many bytes through, then drops the rest
    f = Feed(config_for(CFG))
    f.healthy_round()
    assert _stall_round(f, 16_200, 16_600) == "ok"  # one round: held, nobody blamed
    assert f.diag.current is not None
    assert _stall_round(f, 16_300, 16_500) == "network_filtering"
    d = f.diag.current
    line = say(d.evidence[0], "en")
    assert "seller.ozon.ru" in line and "16 KB" in line and "ya.ru" in line and "2 rounds" in line
    assert "16 КБ" in say(d.evidence[0], "ru") and "16 KB" in say(d.evidence[0], "zh")


def test_ozon_frozen_alone_or_at_another_count_is_not_filtering() -> None:
    # near misses: Ozon's page stalling at a fixed count while the control's answer is
    # whole is Ozon's own; two stalls far apart in size are a slow path, not a fixed cut
    f = Feed(config_for(CFG))
    f.healthy_round()
    for _ in range(3):
        f.icmp("gateway", "gateway", [0.001] * 5)
        f.icmp("control_ru", "control", [0.02] * 5)
        f.icmp("seller_cabinet", "ozon", [0.02] * 5)
        f.http("control_ru", "control", 200)
        _stalled(f, "seller_cabinet", "ozon", 16_300)
        cause = f.diag.update().cause
    assert cause.startswith("platform_"), cause
    g = Feed(config_for(CFG))
    g.healthy_round()
    assert [_stall_round(g, 16_300, 30_000) for _ in range(3)][-1] != "network_filtering"


def _reset(f: Feed, target: str, group: str, server_ttl: int, reset_ttl: int) -> None:
    f.t += 0.01
    data = TlsData(neutral_name_answered=False, server_ttl=server_ttl, reset_ttl=reset_ttl)
    f.store.record(
        ProbeResult("tls", target, group, False, 0.1, f.t, ErrorCategory.RESET, data=data)
    )


def _reset_round(f: Feed, reset_ttl: int) -> Diagnosis:
    # every name reset at Ozon's address (no contrast by name), the controls fine
    f.icmp("gateway", "gateway", [0.001] * 5)
    f.icmp("control_ru", "control", [0.02] * 5)
    f.icmp("seller_cabinet", "ozon", [0.02] * 5)
    f.t += 0.01
    f.store.record(ProbeResult("tls", "control_ru", "control", True, 0.1, f.t, data=TlsData()))
    _reset(f, "seller_cabinet", "ozon", 61, reset_ttl)
    f.http("seller_cabinet", "ozon", None, ErrorCategory.RESET)
    f.http("control_ru", "control", 200)
    return f.diag.update()


def test_a_reset_from_nearer_than_the_server_is_filtering_whatever_the_name() -> None:
    f = Feed(config_for(CFG))
    f.healthy_round()
    d = _reset_round(f, 63)
    assert d.cause == "network_filtering", [say(e, "en") for e in d.evidence]
    line = say(d.evidence[0], "en")
    assert "seller.ozon.ru" in line and "TTL 63" in line and "TTL 61" in line
    assert say(d.summary, "ru").startswith("соединения с seller.ozon.ru сбрасываются по пути")


def test_a_reset_with_the_servers_own_ttl_is_the_servers() -> None:
    # near misses: the server's own reset (same TTL), and one hop apart (a route change)
    for ttl in (61, 62):
        f = Feed(config_for(CFG))
        f.healthy_round()
        assert _reset_round(f, ttl).cause == "platform_outage"
