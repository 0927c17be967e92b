"""The blocking, packet-level half of the path, path-MTU and gateway-ARP probes (scapy).

Scapy is not imported by the daemon at start: `agent/probes/path.py`, `pmtu.py` and `arp.py`
call into this module (through `agent/net/scapylane.py`) from worker threads, and it imports
scapy on first use, so an agent without those probes never loads it (tens of MB). Every
function here blocks (scapy's sr/srp) and must only be called from a worker thread: traces and
MTU probes from one thread, one at a time (routers rate-limit the ICMP errors they send), ARP
from another, so that a queue of traces never delays the gateway check; loading scapy and
refreshing its routes (process-global state) happen under `LOCK`.

Raw sockets need root or CAP_NET_RAW; without them these functions raise PermissionError and
the probe reports `permission`."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

LOCK = threading.Lock()
_loaded: dict[str, Any] = {}


def _scapy() -> dict[str, Any]:
    with LOCK:
        return _load()


def _load() -> dict[str, Any]:
    if not _loaded:
        from scapy.config import conf

        conf.verb = 0
        conf.use_pcap = False
        from scapy.layers.inet import ICMP, IP, TCP, UDP
        from scapy.layers.l2 import ARP, Ether
        from scapy.packet import Raw
        from scapy.sendrecv import sr, srp

        _loaded.update(
            conf=conf, IP=IP, TCP=TCP, UDP=UDP, ICMP=ICMP, ARP=ARP, Ether=Ether, Raw=Raw,
            sr=sr, srp=srp,
        )  # fmt: skip
    # routes and addresses change (DHCP, a cable, a VPN): read them fresh for every probe
    _loaded["conf"].route.resync()
    return _loaded


# --------------------------------------------------------------------------------- traceroute


@dataclass
class Hop:
    ttl: int
    address: str = ""  # the responder most of this hop's probes heard from ("" = silent)
    sent: int = 0
    received: int = 0
    rtts: list[float] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # other responders (load balancing)

    @property
    def loss(self) -> float:
        return 1.0 - self.received / self.sent if self.sent else 1.0


@dataclass
class Trace:
    method: str  # tcp | icmp
    hops: list[Hop]
    reached: bool


def trace(
    dst: str,
    method: str,
    *,
    port: int = 443,
    max_hops: int = 30,
    rounds: int = 3,
    wait: float = 1.0,
) -> Trace:
    """MTR-style: `rounds` rounds, each one probe per TTL 1..max_hops sent together; rounds
    about a second apart, because routers rate-limit the ICMP errors they send (Linux: a
    burst of 6, then one a second per source) and a faster MTR shows that as loss."""
    s = _scapy()
    IP, TCP, ICMP, sr = s["IP"], s["TCP"], s["ICMP"], s["sr"]
    ident = (threading.get_ident() ^ int(time.time() * 1000)) & 0xFFFF
    samples: dict[int, list[tuple[str, float, bool]]] = {t: [] for t in range(1, max_hops + 1)}
    sent: Counter[int] = Counter()
    dest_ttl: int | None = None
    for rnd in range(rounds):
        started = time.monotonic()
        top = dest_ttl or max_hops  # once the destination answered, stop probing past it
        pkts = []
        for ttl in range(1, top + 1):
            if method == "tcp":
                sport = 33000 + ((ident + rnd * 64 + ttl) % 30000)
                pkt = IP(dst=dst, ttl=ttl) / TCP(sport=sport, dport=port, flags="S", seq=ident)
            else:
                pkt = IP(dst=dst, ttl=ttl) / ICMP(id=ident, seq=rnd * 256 + ttl)
            pkts.append(pkt)
            sent[ttl] += 1
        answered, _ = sr(pkts, timeout=wait, verbose=0, inter=0.002)
        for snd, rcv in answered:
            ttl = int(snd[IP].ttl)
            src = str(rcv[IP].src)
            at_dest = src == dst
            samples[ttl].append((src, float(rcv.time - snd.sent_time), at_dest))
            if at_dest and (dest_ttl is None or ttl < dest_ttl):
                dest_ttl = ttl
        if rnd + 1 < rounds:
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    last = dest_ttl or max(
        (t for t, v in samples.items() if v), default=0
    )  # unreached: up to the last hop that answered
    hops: list[Hop] = []
    for ttl in range(1, last + 1):
        got = samples[ttl]
        # a TTL past the destination's is answered by the destination itself: ignore those
        by_src = Counter(src for src, _, _ in got)
        hop = Hop(ttl=ttl, sent=sent[ttl], received=len(got))
        if by_src:
            hop.address = by_src.most_common(1)[0][0]
            hop.others = sorted(a for a in by_src if a != hop.address)
        hop.rtts = [rtt for _, rtt, _ in got]
        hops.append(hop)
    return Trace(method=method, hops=hops, reached=dest_ttl is not None)


#: loss at a hop counts as real only when it carries on to the end of the path (a router that
#: merely rate-limits its own ICMP errors loses nothing it forwards)
LOSS_FLOOR = 0.1


def worst_hop(hops: list[Hop]) -> Hop | None:
    """Where persistent loss begins; without any, the hop adding the most round-trip time."""
    answering = [h for h in hops if h.received]
    if not answering:
        return None
    end = answering[-1]
    if end.loss >= LOSS_FLOOR:
        for i, h in enumerate(answering):
            if h.loss >= LOSS_FLOOR and all(x.loss >= LOSS_FLOOR for x in answering[i:]):
                return h
    best, best_step, prev = answering[0], -1.0, 0.0
    for h in answering:
        avg = sum(h.rtts) / len(h.rtts)
        if avg - prev > best_step:
            best, best_step = h, avg - prev
        prev = max(prev, avg)
    return best


def route_hash(hops: list[Hop]) -> int:
    """48 bits (exact in a float64 gauge) of what answered at each hop: an identifier of the
    route as this trace saw it. A hop silent in one trace and answering in the next gives
    another hash; whether the route really changed is decided by comparing only the hops
    that answered both times (`agent/probes/path.py` route_moved), not by the hash."""
    text = "|".join(f"{h.ttl}:{h.address}" for h in hops if h.address)
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


# --------------------------------------------------------------------------------- path MTU


@dataclass
class Mtu:
    mtu: int | None  # the largest DF packet (IP bytes) that got through; None: nothing did
    reported: bool  # a router said "fragmentation needed" (else found by silence: a black hole)
    probes: int


def path_mtu(dst: str, *, high: int = 1500, low: int = 576, wait: float = 1.0) -> Mtu:
    """ICMP echo with DF set: a router's "fragmentation needed" gives the next-hop MTU at once;
    silence (an MTU black hole) is searched by halving."""
    s = _scapy()
    IP, ICMP, Raw, sr = s["IP"], s["ICMP"], s["Raw"], s["sr"]
    ident = (threading.get_ident() ^ int(time.time() * 1000)) & 0xFFFF
    probes = 0
    reported = False

    def fits(size: int) -> bool | int:
        """True: echo answered; an int: a router's MTU; False: silence."""
        nonlocal probes, reported
        probes += 1
        pkt = IP(dst=dst, flags="DF") / ICMP(id=ident, seq=probes) / Raw(b"\0" * (size - 28))
        answered, _ = sr(pkt, timeout=wait, verbose=0)
        for _, rcv in answered:
            icmp = rcv.getlayer(ICMP)
            if icmp is None:
                continue
            if icmp.type == 0:
                return True
            if icmp.type == 3 and icmp.code == 4:
                reported = True
                nexthop = int(getattr(icmp, "nexthopmtu", 0) or 0)
                return nexthop if 68 <= nexthop < size else size - 1
        return False

    size = high
    for _ in range(4):  # follow "fragmentation needed" reports down the path
        got = fits(size)
        if got is True:
            return Mtu(size, reported, probes)
        if got is False:
            break
        size = int(got)
    if fits(low) is not True:
        return Mtu(None, reported, probes)
    lo, hi = low, size  # lo fits, hi does not
    while hi - lo > 8:
        mid = (lo + hi) // 2
        got = fits(mid)
        if got is True:
            lo = mid
        elif got is False:
            hi = mid
        else:
            hi = min(mid, int(got) + 1)
            if fits(int(got)) is True:
                lo = int(got)
    return Mtu(lo, reported, probes)


# --------------------------------------------------------------------------------- ARP


@dataclass
class ArpAnswer:
    answered: bool
    mac: str = ""
    seconds: float | None = None
    interface: str = ""


def arp(address: str, *, tries: int = 3, wait: float = 0.5) -> ArpAnswer:
    """Ask the LAN who has `address` (broadcast ARP): a powered router answers even when it
    no longer routes, pings or resolves."""
    s = _scapy()
    ARP, Ether, srp, conf = s["ARP"], s["Ether"], s["srp"], s["conf"]
    iface = conf.route.route(address)[0]
    for _ in range(tries):
        answered, _ = srp(
            Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=address), iface=iface, timeout=wait, verbose=0
        )
        for snd, rcv in answered:
            return ArpAnswer(True, str(rcv[ARP].hwsrc), float(rcv.time - snd.sent_time), str(iface))
    return ArpAnswer(False, interface=str(iface))
