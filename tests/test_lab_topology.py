"""The fault lab proves itself with plain tools run inside the office namespace.

Healthy: the gateway pings, every control and Ozon host answers HTTPS with the lab CA, every
name resolves through the system resolver and each public one. Then each fault: it bites where
it should and nothing else breaks. One lab per module; every test leaves it cleared (and
`clear()` itself waits until the lab is healthy again, so reversibility is checked each time).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` without `python -m`: make `tests.*` importable
    sys.path.insert(0, str(ROOT))

from tests.lab import cleanup  # noqa: E402
from tests.lab.lab import (  # noqa: E402
    FAULTS,
    GATEWAY,
    HOME_CONTROLS,
    HOSTS,
    LIE_ADDRESS,
    NS_PREFIX,
    OZON_HOSTS,
    RESOLVERS,
    RU_CONTROLS,
    Lab,
    lab_available,
)

pytestmark = [pytest.mark.lab, pytest.mark.timeout(120)]

PUBLIC = {name: addr for name, (_, addr) in RESOLVERS.items() if name != "system"}


@pytest.fixture(scope="module")
def lab() -> Any:
    reason = lab_available()
    if reason:
        pytest.skip(reason)
    with Lab() as built:
        yield built


@pytest.fixture
def fresh(lab: Lab) -> Any:
    """The module's lab, cleared after the test whatever happened."""
    yield lab
    lab.clear()


# -------------------------------------------------------------------------------- helpers


def https(host: str, by_ip: bool = True, **kw: Any) -> dict[str, Any]:
    """An HTTPS check of `host`; by_ip skips DNS (connect to the lab's address directly)."""
    check: dict[str, Any] = {"kind": "https", "url": f"https://{host}/", "timeout": 1.5, **kw}
    if by_ip:
        check["ip"] = HOSTS[host][1]
    return check


def seller_api(**kw: Any) -> dict[str, Any]:
    return https(
        "api-seller.ozon.ru",
        url="https://api-seller.ozon.ru/v1/roles",
        method="POST",
        body="{}",
        **kw,
    )


def ping(host: str, count: int = 3, **kw: Any) -> dict[str, Any]:
    return {"kind": "ping", "host": host, "count": count, "timeout": 1.0, **kw}


def dns(name: str, server: str = "system", **kw: Any) -> dict[str, Any]:
    return {"kind": "dns", "name": name, "server": server, "timeout": 1.0, **kw}


def run(lab: Lab, checks: list[dict[str, Any]], node: str = "office") -> list[dict[str, Any]]:
    return lab.probe(checks, node=node)


def ok(r: dict[str, Any]) -> bool:
    return bool(r.get("ok"))


def why(results: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{r['check']}: ok={r.get('ok')} status={r.get('status')} error={r.get('error')} "
        f"{r.get('detail', '')}"
        for r in results
    )


def assert_all_ok(results: list[dict[str, Any]]) -> None:
    bad = [r for r in results if not ok(r)]
    assert not bad, why(bad)


def assert_all_fail(results: list[dict[str, Any]]) -> None:
    good = [r for r in results if ok(r)]
    assert not good, why(good)


# -------------------------------------------------------------------------------- healthy


def test_healthy_lab_answers_everything(lab: Lab) -> None:
    checks = [ping(GATEWAY)]
    checks += [ping(addr) for addr in sorted({a for _, a in HOSTS.values()})]
    checks += [https(h, by_ip=False) for h in HOSTS]  # through the system resolver
    checks += [dns(h) for h in HOSTS]
    checks += [dns(h, addr) for h in HOSTS for addr in PUBLIC.values()]
    checks += [dns("seller.ozon.ru", addr, tcp=True) for addr in PUBLIC.values()]
    checks += [{"kind": "getaddrinfo", "name": h} for h in HOSTS]
    checks.append(seller_api())
    results = run(lab, checks)
    assert_all_ok(results)
    for r in results:
        c = r["check"]
        if c["kind"] in ("dns", "getaddrinfo"):
            assert r["addresses"] == [HOSTS[c["name"]][1]], why([r])
        if c["kind"] == "https":
            assert r["status"] == (401 if c["url"].startswith("https://api-seller") else 200)
        if c["kind"] == "ping":
            assert r["loss"] == 0, why([r])
    api = results[-1]
    assert '"code": 16' in api["body"]


def test_office_namespace_setup(lab: Lab) -> None:
    resolv = lab.exec("office", ["cat", "/etc/resolv.conf"], check=True).stdout
    assert f"nameserver {GATEWAY}" in resolv
    route = lab.exec("office", ["ip", "route", "show", "default"], check=True).stdout
    assert f"default via {GATEWAY}" in route
    assert lab.office_ns.startswith(NS_PREFIX)
    assert Path(lab.ca_file).is_file()
    for node in ("office", "router", "isp", "home", "russia"):
        addrs = lab.exec(node, ["ip", "-4", "-o", "addr"], check=True).stdout
        for line in addrs.splitlines():
            ip = line.split()[3].split("/")[0]
            assert ip.startswith(("127.", "198.18.", "198.19.")), line


def test_agent_config_matches_lab(lab: Lab, tmp_path: Path) -> None:
    path = lab.write_agent_config(tmp_path / "agent.yaml", site={"name": "lab-x"})
    text = path.read_text()
    assert lab.ca_file in text
    try:
        from agent.config import parse_config
    except ImportError:  # pragma: no cover - the agent is developed alongside
        pytest.skip("agent.config is not importable")
    config = parse_config(text, str(path))
    assert config.site.name == "lab-x" and config.site.country == "CN"
    assert config.tls_ca_file == lab.ca_file
    resolvers = {r.name: r.address for r in config.resolvers if not r.system}
    assert resolvers == PUBLIC
    for target in config.targets:
        if target.url:
            assert target.host in HOSTS, target
        elif target.host != "auto":
            assert target.host in PUBLIC.values(), target
    services = {t.service for t in config.targets if t.group == "ozon"}
    assert {"cabinet", "login", "seller_api"} <= services
    hosts = {t.host for t in config.targets}
    assert set(HOME_CONTROLS) <= hosts and set(RU_CONTROLS) <= hosts


def test_unknown_fault_is_refused(lab: Lab) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        lab.inject("no_such_fault")


# -------------------------------------------------------------------------------- faults


def test_office_link_down(fresh: Lab) -> None:
    fresh.inject("office_link_down")
    assert_all_fail(run(fresh, [ping(GATEWAY), https("www.baidu.lab"), dns("ya.ru")]))
    state = fresh.exec("office", ["ip", "-o", "link", "show", "lan0"]).stdout
    assert "NO-CARRIER" in state
    # the rest of the world is fine: the router still reaches home and Russia
    assert_all_ok(run(fresh, [https("www.baidu.lab"), https("ya.ru")], node="router"))


def test_gateway_dead(fresh: Lab) -> None:
    fresh.inject("gateway_dead")
    assert_all_fail(run(fresh, [ping(GATEWAY), https("www.baidu.lab"), dns("ya.ru")]))
    state = fresh.exec("office", ["ip", "-o", "link", "show", "lan0"]).stdout
    assert "NO-CARRIER" not in state and "state UP" in state  # the link itself is fine
    assert_all_ok(run(fresh, [https("www.baidu.lab"), dns("ya.ru")], node="router"))


def test_isp_uplink_down(fresh: Lab) -> None:
    fresh.inject("isp_uplink_down")
    assert_all_ok(run(fresh, [ping(GATEWAY)]))
    assert_all_fail(
        run(
            fresh,
            [
                https("www.baidu.lab"),
                https("ya.ru"),
                ping(HOSTS["www.baidu.lab"][1]),
                dns("www.baidu.lab", timeout=3),
            ],
        )
    )
    assert_all_ok(run(fresh, [https("www.baidu.lab"), https("seller.ozon.ru")], node="isp"))


def test_intl_link_down(fresh: Lab) -> None:
    fresh.inject("intl_link_down")
    home = run(
        fresh,
        [
            ping(GATEWAY),
            https("www.baidu.lab"),
            https("www.qq.lab"),
            dns("seller.ozon.ru"),
            dns("ya.ru", PUBLIC["home_public"]),
            https("www.baidu.lab", by_ip=False),
        ],
    )
    assert_all_ok(home)
    russia = run(
        fresh,
        [
            https("ya.ru"),
            https("vk.com"),
            https("seller.ozon.ru"),
            seller_api(),
            ping(HOSTS["ya.ru"][1]),
            dns("ya.ru", PUBLIC["yandex"]),
            dns("ya.ru", PUBLIC["ru_national"]),
        ],
    )
    assert_all_fail(russia)


def test_intl_lossy(fresh: Lab) -> None:
    fresh.inject("intl_lossy", percent=30)
    ru, home = run(
        fresh,
        [
            ping(HOSTS["ya.ru"][1], count=60, interval=0.01),
            ping(HOSTS["www.baidu.lab"][1], count=60, interval=0.01),
        ],
    )
    # 30% each way: ~51% of round trips lost
    assert 0.2 <= ru["loss"] <= 0.85, why([ru])
    assert home["loss"] == 0, why([home])


def test_intl_rate_limited(fresh: Lab) -> None:
    fresh.inject("intl_rate_limited", rate="512kbit")
    assert_all_ok(run(fresh, [https("seller.ozon.ru"), ping(HOSTS["ya.ru"][1])]))
    ru, home = run(
        fresh,
        [
            https("bulk.ru.lab", read=1 << 30, max_time=1.5, timeout=3),
            https("bulk.cn.lab", read=1 << 30, max_time=1.5, timeout=3),
        ],
    )
    assert ok(ru) and ok(home), why([ru, home])
    ru_bps = ru["bytes"] * 8 / ru["body_time"]
    home_bps = home["bytes"] * 8 / home["body_time"]
    assert ru_bps < 1.5e6, ru_bps
    assert home_bps > 20e6, home_bps


def test_system_dns_down(fresh: Lab) -> None:
    fresh.inject("system_dns_down")
    assert_all_fail(run(fresh, [dns("seller.ozon.ru"), dns("www.baidu.lab"), dns("ya.ru")]))
    assert_all_ok(
        run(
            fresh,
            [dns("seller.ozon.ru", addr) for addr in PUBLIC.values()]
            + [ping(GATEWAY), https("seller.ozon.ru"), https("www.baidu.lab")],
        )
    )


def test_system_dns_servfail(fresh: Lab) -> None:
    fresh.inject("system_dns_servfail")
    results = run(fresh, [dns("seller.ozon.ru"), dns("www.baidu.lab")])
    assert [r.get("rcode") for r in results] == ["SERVFAIL", "SERVFAIL"], why(results)
    assert_all_ok(run(fresh, [dns("seller.ozon.ru", addr) for addr in PUBLIC.values()]))


def test_system_dns_lying(fresh: Lab) -> None:
    fresh.inject("system_dns_lying")
    results = run(
        fresh,
        [dns(h) for h in OZON_HOSTS]
        + [
            dns("www.baidu.lab"),
            dns("ya.ru"),
            dns("seller.ozon.ru", PUBLIC["yandex"]),
            dns("seller.ozon.ru", PUBLIC["home_public"]),
            https("seller.ozon.ru", by_ip=False),
            https("ya.ru", by_ip=False),
        ],
    )
    for r in results[: len(OZON_HOSTS)]:
        assert r.get("addresses") == [LIE_ADDRESS], why([r])
    baidu, ya, yandex, home, seller, ya_https = results[len(OZON_HOSTS) :]
    assert baidu["addresses"] == [HOSTS["www.baidu.lab"][1]]
    assert ya["addresses"] == [HOSTS["ya.ru"][1]]
    assert yandex["addresses"] == home["addresses"] == [HOSTS["seller.ozon.ru"][1]]
    # the lie leads to the hijack page, whose certificate is not Ozon's
    assert not ok(seller) and seller["error"] == "tls_verify", why([seller])
    assert seller["ip"] == LIE_ADDRESS
    assert ok(ya_https) and ya_https["status"] == 200


def test_all_dns_down(fresh: Lab) -> None:
    fresh.inject("all_dns_down")
    assert_all_fail(
        run(fresh, [dns("seller.ozon.ru")] + [dns("seller.ozon.ru", a) for a in PUBLIC.values()])
    )
    assert_all_ok(run(fresh, [https("seller.ozon.ru"), https("www.baidu.lab"), ping(GATEWAY)]))


def test_ozon_down(fresh: Lab) -> None:
    fresh.inject("ozon_down")
    results = run(fresh, [https(h) for h in OZON_HOSTS] + [seller_api()])
    assert_all_fail(results)
    assert {r["error"] for r in results} <= {"reset", "refused"}, why(results)
    assert {r["stage"] for r in results} == {"connect"}
    assert_all_ok(
        run(
            fresh,
            [
                ping(HOSTS["seller.ozon.ru"][1]),
                ping(HOSTS["api-seller.ozon.ru"][1]),
                https("ya.ru"),
                https("www.baidu.lab"),
                dns("seller.ozon.ru"),
            ],
        )
    )


def test_ozon_blackholed(fresh: Lab) -> None:
    fresh.inject("ozon_blackholed")
    results = run(fresh, [https("seller.ozon.ru"), seller_api(), ping(HOSTS["seller.ozon.ru"][1])])
    assert_all_fail(results)
    assert results[0]["error"] == "timeout", why(results[:1])
    assert_all_ok(
        run(
            fresh,
            [
                https("ya.ru"),
                https("vk.com"),
                ping(HOSTS["ya.ru"][1]),
                dns("seller.ozon.ru"),
                dns("seller.ozon.ru", PUBLIC["yandex"]),
            ],
        )
    )


def test_seller_api_5xx(fresh: Lab) -> None:
    fresh.inject("seller_api_5xx")
    api, cabinet, login = run(fresh, [seller_api(), https("seller.ozon.ru"), https("id.ozon.ru")])
    assert api.get("status") == 503, why([api])
    assert cabinet.get("status") == 200 and login.get("status") == 200


def test_login_hangs(fresh: Lab) -> None:
    fresh.inject("login_hangs")
    login, cabinet, api = run(fresh, [https("id.ozon.ru"), https("seller.ozon.ru"), seller_api()])
    assert not ok(login) and login["error"] == "timeout" and login["stage"] == "http", why([login])
    assert "tls" in login  # the handshake went through: only the answer never comes
    assert cabinet.get("status") == 200 and api.get("status") == 401


def test_ozon_slow(fresh: Lab) -> None:
    fresh.inject("ozon_slow", delay=2.0)
    cabinet, static, ya, api = run(
        fresh,
        [
            https("seller.ozon.ru", timeout=5),
            https("st.ozone.ru", timeout=5),
            https("ya.ru"),
            seller_api(),
        ],
    )
    assert cabinet.get("status") == 200 and cabinet["ttfb"] >= 1.8, why([cabinet])
    assert static.get("status") == 200 and static["ttfb"] >= 1.8, why([static])
    assert ya.get("status") == 200 and ya["ttfb"] < 0.5
    assert api.get("status") == 401 and api["ttfb"] < 0.5


def test_office_lossy(fresh: Lab) -> None:
    fresh.inject("office_lossy", percent=20)
    (gw,) = run(fresh, [ping(GATEWAY, count=60, interval=0.01)])
    # 20% each way: ~36% of round trips lost
    assert 0.1 <= gw["loss"] <= 0.7, why([gw])
    (router_side,) = run(
        fresh, [ping(HOSTS["www.baidu.lab"][1], count=30, interval=0.01)], node="router"
    )
    assert router_side["loss"] == 0, why([router_side])


def test_uplink_saturated(fresh: Lab) -> None:
    (before,) = run(fresh, [ping(HOSTS["www.baidu.lab"][1], count=5, interval=0.05)])
    fresh.inject("uplink_saturated", rate="2mbit")
    loaded, gw = run(
        fresh,
        [
            ping(HOSTS["www.baidu.lab"][1], count=10, interval=0.1, timeout=2.0),
            ping(GATEWAY, count=10, interval=0.1),
        ],
    )
    assert before["loss"] == 0 and statistics.median(before["rtts"]) < 0.02, why([before])
    assert loaded["rtts"], why([loaded])
    assert statistics.median(loaded["rtts"]) > 0.05, why([loaded])
    assert gw["loss"] == 0 and statistics.median(gw["rtts"]) < 0.02, why([gw])
    # still working, only slow
    (page,) = run(fresh, [https("www.baidu.lab", timeout=5)])
    assert page.get("status") == 200, why([page])


def test_every_fault_clears(fresh: Lab) -> None:
    for name in FAULTS:
        params = {"settle": 0} if name == "uplink_saturated" else {}
        fresh.inject(name, **params)
    assert fresh.unhealthy()
    fresh.clear()  # waits until healthy, or raises
    test_healthy_lab_answers_everything(fresh)


# -------------------------------------------------------------------------------- teardown


def _namespaces() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in out.stdout.splitlines() if line.strip()}


def test_lab_tears_down_completely(lab: Lab) -> None:
    with Lab() as other:
        names = set(other.namespaces.values())
        assert names <= _namespaces()
        pids = [p.pid for _, p in other._procs]
        workdir = other.workdir
    assert not names & _namespaces()
    assert not any((Path("/etc/netns") / n).exists() for n in names)
    assert not workdir.exists()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid), pid


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_cleanup_removes_leftovers(lab: Lab) -> None:
    prefix = f"{NS_PREFIX}{os.getpid()}-stray-"
    ns = prefix + "office"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    (Path("/etc/netns") / ns).mkdir(parents=True, exist_ok=True)
    try:
        assert cleanup.cleanup(dry_run=True, prefix=prefix) == [
            f"netns {ns}",
            str(Path("/etc/netns") / ns),
        ]
        cleanup.cleanup(prefix=prefix)
        assert ns not in _namespaces()
        assert not (Path("/etc/netns") / ns).exists()
        assert lab.office_ns in _namespaces()  # another lab's namespaces are left alone
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
