"""Path analysis without packets: the worst hop, the route hash, the route-change counter, and
scapy / speedtest-cli staying out of the daemon's import path. (The packets themselves are
tested in the lab: tests/test_lab_throughput_path.py.)"""

from __future__ import annotations

import subprocess
import sys
import time

from agent.config import parse_config
from agent.net.scapywork import Hop, route_hash, worst_hop
from agent.probes import path as path_probe
from agent.report import with_path_probes
from agent.results import HopData, PathData, ProbeResult, TraceData
from agent.scheduler import Scheduler
from agent.store import ResultStore
from tests.conftest import ROOT


def _hop(ttl: int, addr: str, received: int, rtt: float, sent: int = 10) -> Hop:
    return Hop(ttl, addr, sent, received, [rtt] * received)


def test_worst_hop_is_where_lasting_loss_begins() -> None:
    hops = [
        _hop(1, "10.0.0.1", 10, 0.001),
        _hop(2, "10.0.1.1", 6, 0.010),
        _hop(3, "10.0.2.1", 4, 0.011),
        _hop(4, "10.0.3.1", 5, 0.012),
    ]
    assert worst_hop(hops) is hops[1]


def test_loss_that_does_not_last_is_a_routers_rate_limit_not_the_worst_hop() -> None:
    hops = [
        _hop(1, "10.0.0.1", 10, 0.001),
        _hop(2, "10.0.1.1", 2, 0.002),  # answers few ICMP errors, forwards everything
        _hop(3, "10.0.2.1", 10, 0.150),  # the big step in round-trip time
        _hop(4, "10.0.3.1", 10, 0.152),
    ]
    assert worst_hop(hops) is hops[2]


def _trace(hops: list[Hop]) -> TraceData:
    data = tuple(HopData(h.ttl, h.address, h.sent, h.received, tuple(h.rtts)) for h in hops)
    return TraceData("tcp", data, True, route_hash(hops), None)


def test_silent_hops_do_not_count_and_an_empty_trace_has_no_worst_hop() -> None:
    assert worst_hop([Hop(1, "", 3, 0), Hop(2, "", 3, 0)]) is None
    a = [_hop(1, "10.0.0.1", 3, 0.001), Hop(2, "", 3, 0), _hop(3, "10.0.2.1", 3, 0.02)]
    b = [_hop(1, "10.0.0.1", 3, 0.001), _hop(2, "10.0.1.1", 1, 0.01), _hop(3, "10.0.2.1", 3, 0.02)]
    c = [_hop(1, "10.0.0.1", 3, 0.001), _hop(2, "10.9.9.9", 3, 0.01), _hop(3, "10.0.2.1", 3, 0.02)]
    # hop 2 silent in one trace and answering in the next: the same route
    assert not path_probe.route_moved(_trace(a), _trace(b))
    assert not path_probe.route_moved(_trace(b), _trace(a))
    # another router answering at hop 2: a new route
    assert path_probe.route_moved(_trace(b), _trace(c))
    # the target one hop further away: a new route
    assert path_probe.route_moved(_trace(b), _trace([*b, _hop(4, "10.0.3.1", 3, 0.03)]))
    assert 0 <= route_hash(a) < 2**48  # exact in a float64 gauge


def test_route_changes_count_only_between_complete_traces() -> None:
    sched = Scheduler(parse_config("targets: []\n", "t.yaml"), ResultStore())

    def record(router: str, reached: bool = True) -> None:
        hop = HopData(1, router, 3, 3, (0.001,) * 3)
        trace = TraceData("tcp", (hop,), reached, hash(router) & 0xFFFFFFFFFFFF, 1)
        sched.record(
            ProbeResult("path", "seller", "ozon", True, 1.0, time.time(), data=PathData((trace,)))
        )

    record("10.0.0.1")
    record("10.0.0.1")
    record("10.0.0.2", reached=False)  # cut short: an outage, not a new route
    record("10.0.0.1")
    record("10.0.0.3")
    changes = {
        labels: n
        for (family, labels), n in sched.tally.snapshot().counters.items()
        if family == "path_route_changes"
    }
    assert changes == {("seller", "ozon", "tcp"): 1}


def test_check_path_adds_one_trace_per_ozon_host_and_arp_for_the_gateway() -> None:
    cfg = parse_config(
        "resolvers: [{name: y, address: 198.18.0.53}]\n"
        "targets:\n"
        "  - {name: gw, group: gateway, host: auto, probes: [icmp]}\n"
        "  - {name: a, group: ozon, url: 'https://seller.ozon.ru/'}\n"
        "  - {name: b, group: ozon, url: 'https://seller.ozon.ru/api'}\n"
        "  - {name: c, group: control, url: 'https://ya.ru/'}\n",
        "t.yaml",
    )
    probes = {t.name: t.probes for t in with_path_probes(cfg).targets}
    assert probes["gw"] == ("icmp", "arp")
    assert probes["a"][-2:] == ("path", "pmtu")
    assert "path" not in probes["b"] and "path" not in probes["c"]


def test_scapy_and_speedtest_stay_out_of_the_daemons_import_path() -> None:
    code = (
        "import sys, agent.daemon, agent.cli, agent.report, agent.probes\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('scapy', 'speedtest'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
