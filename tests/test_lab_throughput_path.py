"""Throughput (and path) in the fault lab: the real `ozon-probe check --throughput` runs in the
office namespace against lab servers over a `tbf`-shaped link of a known rate.

speedtest-cli talks to a speedtest-compatible server the test runs in the lab's "Russia"
(tests/support/speedtestserver.py); www.speedtest.net and c.speedtest.net resolve to it through
the lab's DNS inside the namespaces, so nothing reaches the real speedtest.net.

The measured figures are printed (run with -s, or read the CI log).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import can_netns

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(not can_netns(), reason="needs root and iproute2 (ip netns)"),
]

SPEEDTEST_IP = "198.19.30.10"
SPEEDTEST_NAMES = ("www.speedtest.net", "c.speedtest.net", "speedtest.ru.lab")
RATE_BITS = 8_000_000  # the tbf rate on the international link: 8 Mbit/s = 1 MB/s
# tbf counts whole Ethernet frames; a full TCP segment carries 1448 payload bytes (MSS with
# timestamps) in a 1514-byte frame, so the best goodput is rate * 1448/1514 (TLS records
# add another ~0.1 %)
GOODPUT = RATE_BITS / 8 * 1448 / 1514
TOLERANCE = 0.05


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.lab.lab import Lab

    extra = {name: ("russia", SPEEDTEST_IP) for name in SPEEDTEST_NAMES}
    with Lab(extra_hosts=extra) as lab:
        cert, key = lab.issue_cert(SPEEDTEST_NAMES, [SPEEDTEST_IP])
        log = open(lab.workdir / "logs" / "speedtest.log", "ab")  # noqa: SIM115 - kept by Popen
        argv = [
            "python", "-m", "tests.support.speedtestserver",
            "--listen", f"{SPEEDTEST_IP}:443", "--plain-listen", f"{SPEEDTEST_IP}:80",
            "--cert", cert, "--key", key, "--server-host", "speedtest.ru.lab",
            "--down-length", "30", "--up-length", "3", "--scale", "10",
        ]  # fmt: skip
        lab.speedtest_proc = lab.spawn("russia", argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 15
        while True:
            (r,) = lab.probe([{"kind": "tcp", "host": SPEEDTEST_IP, "port": 443, "timeout": 1}])
            if r.get("ok"):
                break
            assert time.monotonic() < deadline, lab.server_log("speedtest")
            time.sleep(0.2)
        yield lab


def _check(lab: Any, tmp: Path, throughput: dict[str, Any]) -> dict[str, Any]:
    cfg = lab.write_agent_config(tmp / "agent.yaml", throughput=throughput)
    proc = lab.exec(
        "office",
        # each check its own journal, so its own day's budget: tests must not share one
        [
            "python",
            "-m",
            "agent",
            "check",
            "-c",
            str(cfg),
            "--json",
            "--throughput",
            "--state-dir",
            str(tmp / "state"),
        ],
        timeout=180,
    )
    assert proc.returncode in (0, 1), proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc["throughput"]  # type: ignore[no-any-return]


def _shape(lab: Any) -> None:
    lab.inject("intl_rate_limited", rate=f"{RATE_BITS // 1000}kbit")


def _within(measured: float) -> float:
    return measured / GOODPUT - 1


def test_http_download_over_a_shaped_link_measures_the_rate(lab: Any, tmp_path: Path) -> None:
    lab.clear()
    lab.set_web("st.ozone.ru", {"behaviour": "big", "size": 1 << 30})
    _shape(lab)
    tp = _check(
        lab,
        tmp_path,
        {
            "enabled": True,
            "daily_budget": "100MB",
            "timeout": "60s",
            "targets": [
                {"name": "cdn_static", "url": "https://st.ozone.ru/big.bin", "size": "8MB"}
            ],
        },
    )
    (r,) = tp["results"]
    assert r["ok"], r
    rate = r["download"]["bytes_per_second"]
    err = _within(rate)
    print(
        f"\nHTTP download over tbf {RATE_BITS / 1e6:.0f} Mbit/s: {rate * 8 / 1e6:.3f} Mbit/s "
        f"payload ({r['download']['bytes']} bytes in {r['download']['seconds']:.2f} s); "
        f"expected goodput {GOODPUT * 8 / 1e6:.3f} Mbit/s; error {err * 100:+.2f} %"
    )
    assert r["download"]["bytes"] == 8_000_000
    assert abs(err) < TOLERANCE


def test_speedtest_cli_against_the_lab_server_measures_the_rate(lab: Any, tmp_path: Path) -> None:
    lab.clear()
    _shape(lab)
    tp = _check(
        lab,
        tmp_path,
        {
            "enabled": True,
            "daily_budget": "200MB",
            "timeout": "90s",
            "speedtest": {"enabled": True, "servers": [4242], "estimate": "60MB"},
        },
    )
    (r,) = tp["results"]
    assert r["ok"], r
    assert r["method"] == "speedtest" and "Lab" in r["server"], r
    assert "download" in r, r
    rate = r["download"]["bytes_per_second"]
    err = _within(rate)
    up = r.get("upload", {}).get("bytes_per_second")
    print(
        f"\nspeedtest-cli over tbf {RATE_BITS / 1e6:.0f} Mbit/s: download {rate * 8 / 1e6:.3f} "
        f"Mbit/s ({r['download']['bytes']} bytes), upload "
        f"{(up or 0) * 8 / 1e6:.3f} Mbit/s; latency {r.get('latency_seconds')} s; "
        f"expected goodput {GOODPUT * 8 / 1e6:.3f} Mbit/s; error {err * 100:+.2f} %"
    )
    assert abs(err) < TOLERANCE


def test_the_data_budget_stops_a_run_that_would_exceed_it(lab: Any, tmp_path: Path) -> None:
    lab.clear()
    lab.set_web("st.ozone.ru", {"behaviour": "big", "size": 1 << 30})
    tp = _check(
        lab,
        tmp_path,
        {
            "enabled": True,
            "daily_budget": "5MB",
            "targets": [
                {"name": "small", "url": "https://st.ozone.ru/a.bin", "size": "3MB"},
                {"name": "too_big", "url": "https://st.ozone.ru/b.bin", "size": "3MB"},
            ],
        },
    )
    print(f"\nbudget 5 MB, two 3 MB tests: ran {[r['target'] for r in tp['results']]}, "
          f"refused {tp['refused']}, {tp['budget_remaining_bytes']} bytes left")  # fmt: skip
    assert [r["target"] for r in tp["results"]] == ["small"]
    assert tp["results"][0]["download"]["bytes"] == 3_000_000
    assert tp["refused"] == {"budget": 1}
    assert tp["budget_remaining_bytes"] == 2_000_000


@pytest.mark.parametrize("mode, category", [
    ("forbidden", "speedtest_forbidden"),
    ("rate_limited", "speedtest_rate_limited"),
    ("no_servers", "speedtest_no_servers"),
])  # fmt: skip
def test_speedtest_failures_are_classified_and_the_check_still_reports(
    lab: Any, tmp_path: Path, mode: str, category: str
) -> None:
    lab.clear()
    cert, key = lab.issue_cert(SPEEDTEST_NAMES, [SPEEDTEST_IP])
    # a second server on another port would not be found by speedtest-cli: replace the first
    lab.stop(lab.speedtest_proc)
    argv = [
        "python", "-m", "tests.support.speedtestserver",
        "--listen", f"{SPEEDTEST_IP}:443", "--plain-listen", f"{SPEEDTEST_IP}:80",
        "--cert", cert, "--key", key, "--server-host", "speedtest.ru.lab", "--mode", mode,
    ]  # fmt: skip
    proc = lab.spawn("russia", argv)
    try:
        time.sleep(0.5)
        tp = _check(
            lab,
            tmp_path,
            {"enabled": True, "timeout": "30s", "speedtest": {"enabled": True, "servers": [4242]}},
        )
    finally:
        lab.stop(proc)
        argv[argv.index("--mode") + 1] = "ok"
        lab.speedtest_proc = lab.spawn("russia", argv)
        time.sleep(0.3)
    (r,) = tp["results"]
    print(f"\nspeedtest server mode {mode}: {r['error']} ({r['detail']})")
    assert not r["ok"] and r["error"] == category


# ------------------------------------------------------------------------------------- path

# office -> router (lan side) -> isp (its customer side) -> home (its ISP side) -> Russia
LAB_HOPS = ["198.18.1.1", "198.18.2.1", "198.18.3.1"]
SELLER = "198.19.10.10"
PATH_TARGETS = [
    {"name": "gateway", "group": "gateway", "host": "auto", "probes": ["icmp"]},
    {
        "name": "seller_cabinet", "group": "ozon", "service": "cabinet", "country": "RU",
        "url": "https://seller.ozon.ru/", "probes": ["dns", "icmp", "tcp", "tls", "http"],
    },
]  # fmt: skip


def _check_path(lab: Any, tmp: Path, rounds: int = 3) -> dict[str, dict[str, Any]]:
    cfg = lab.write_agent_config(
        tmp / "agent.yaml",
        targets=PATH_TARGETS,
        # two traces of `rounds` rounds about a second apart, one after the other
        probes={
            "path": {"interval": "120s", "timeout": f"{max(60, 3 * rounds)}s", "packets": rounds}
        },
    )
    proc = lab.exec(
        "office", ["python", "-m", "agent", "check", "-c", str(cfg), "--json", "--path"],
        timeout=180,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    out = {f"{r['kind']}:{r['target']}": r for r in doc["results"]}
    out["verdict"] = {"cause": doc["cause"], "summary": doc["summary"], "evidence": doc["evidence"]}
    return out


def _trace(results: dict[str, dict[str, Any]], method: str) -> dict[str, Any]:
    path = results["path:seller_cabinet"]
    return next(t for t in path["traces"] if t["method"] == method)


def _show(trace: dict[str, Any]) -> str:
    return " > ".join(
        f"{h['ttl']}:{h['address']} loss {h['loss_ratio']:.0%} rtt "
        f"{(h['rtt_avg_seconds'] or 0) * 1000:.2f}ms"
        for h in trace["hops"]
    )


def test_traceroute_lists_the_labs_hops_in_order(lab: Any, tmp_path: Path) -> None:
    lab.clear()
    results = _check_path(lab, tmp_path)
    assert results["path:seller_cabinet"]["ok"], results["path:seller_cabinet"]
    for method in ("tcp", "icmp"):
        t = _trace(results, method)
        print(f"\n{method} trace: {_show(t)}; worst hop {t['worst_hop']}")
        assert [h["address"] for h in t["hops"]] == [*LAB_HOPS, SELLER]
        assert t["reached"]
    arp = results["arp:gateway"]
    print(f"gateway ARP: {arp['detail']}")
    assert arp["ok"] and arp["arp_answered"]
    mtu = results["pmtu:seller_cabinet"]
    print(f"path MTU: {mtu['mtu']} ({mtu['detail']})")
    assert mtu["mtu"] == 1500


def test_a_lossy_hop_is_the_worst_hop(lab: Any, tmp_path: Path) -> None:
    lab.clear()
    # the ISP's router (hop 2) drops half of what the office sends it: its own answers and
    # everything it forwards; answers on the way back are untouched. Loss counts as the
    # worst hop's only when every hop after it shows at least 10 % too; with 12 rounds a hop
    # at 50 % shows under 10 % (11 of 12 back) once in 300 (CI saw the destination at 8 %
    # and hop 1 named); with 20 rounds (18 of 20 back) once in 5000
    from tests.lab.lab import LINK, NFT_TABLE, OFFICE_IP

    lab._nft(
        "isp",
        f"add rule inet {NFT_TABLE} f_pre iifname {LINK['uplink'].b_if} ip saddr {OFFICE_IP} "
        "numgen random mod 100 < 50 drop\n",
    )
    try:
        results = _check_path(lab, tmp_path, rounds=20)
    finally:
        lab.clear()
    for method in ("tcp", "icmp"):
        t = _trace(results, method)
        print(f"\nlossy hop 2, {method}: {_show(t)}; worst hop {t['worst_hop']}")
        assert t["worst_hop"] == 2, _show(t)
        worst = t["hops"][1]
        assert worst["address"] == LAB_HOPS[1] and worst["loss_ratio"] >= 0.1


def test_an_mtu_clamp_is_found(lab: Any, tmp_path: Path) -> None:
    lab.clear()
    # the ISP's link to "home" carries 1400-byte packets at most (a tunnel, PPPoE, ...)
    from tests.lab.lab import LINK

    link = LINK["isp_home"]
    ends = ((link.a, link.a_if), (link.b, link.b_if))
    for node, ifname in ends:
        lab._ip(node, "link", "set", ifname, "mtu", "1400")
    try:
        results = _check_path(lab, tmp_path)
    finally:
        for node, ifname in ends:
            lab._ip(node, "link", "set", ifname, "mtu", "1500")
    mtu = results["pmtu:seller_cabinet"]
    print(f"\nMTU clamp 1400 on isp<->home: found {mtu['mtu']} ({mtu['detail']})")
    assert mtu["mtu"] == 1400 and mtu["mtu_reported"]


def test_gateway_arp_tells_a_dead_router_from_a_gone_one(lab: Any, tmp_path: Path) -> None:
    lab.clear()
    lab.inject("gateway_dead")  # drops every IP packet from the LAN; ARP is not IP
    try:
        dead = _check_path(lab, tmp_path)
    finally:
        lab.clear()
    lab.inject("office_link_down")
    try:
        gone = _check_path(lab, tmp_path)
    finally:
        lab.clear()
    print(
        f"\ngateway_dead: ARP {dead['arp:gateway']['detail']}; verdict "
        f"{dead['verdict']['cause']}: {dead['verdict']['summary']}\n"
        f"office_link_down: ARP {gone['arp:gateway']['error']} ({gone['arp:gateway']['detail']});"
        f" verdict {gone['verdict']['cause']}: {gone['verdict']['summary']}"
    )
    assert dead["arp:gateway"]["arp_answered"] is True
    assert dead["verdict"]["cause"] == "local_network"
    assert "answers ARP" in dead["verdict"]["summary"]
    assert gone["arp:gateway"]["ok"] is False
    assert gone["verdict"]["cause"] == "local_network"
