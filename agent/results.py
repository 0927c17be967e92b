"""Typed probe results.

A probe returns one `ProbeResult`; its kind-specific figures live in `data`. Every failure
carries an `ErrorCategory`: a bounded vocabulary that is safe to use as a metric label and
that the diagnosis reasons over. Free text goes to `detail` (logs, status API), never to labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.vocabulary import DNS_CATEGORIES, NOT_NETWORK_EVIDENCE, ErrorCategory

#: a reset whose TTL is this far from the server's SYN-ACK's came from elsewhere: a server's
#: own packets share one stack and one path (the same TTL); 1 apart can be a route change
RESET_TTL_APART = 2


class ProbeData:
    """What a probe kind measured, beyond success. Each kind's data answers the questions the
    diagnosis and the scheduler ask of any result (echo statistics? resolver answers? a web
    answer's timing? layer-2 presence? bytes moved?), so that no code outside the probe
    modules has to test which kind of result it holds."""

    __slots__ = ()

    def echo_stats(self) -> IcmpData | None:
        """Round-trip statistics of echo packets, for path-quality rules."""
        return None

    def resolver_answers(self) -> tuple[ResolverAnswer, ...]:
        """Each resolver's own answer, for the DNS rules."""
        return ()

    def web_answer(self) -> HttpData | None:
        """An HTTP answer's status and phase timing, for "slow" and "hanging"."""
        return None

    def layer2_answer(self) -> bool | None:
        """Did the host answer at layer 2 (ARP)? None: not a layer-2 probe."""
        return None

    def rewritten_on_the_way(self) -> tuple[ResolverAnswer, ...]:
        """Resolver answers rewritten between the office and the resolver (a UDP answer the
        same resolver contradicts over TCP): a contrast only the DNS probe makes."""
        return ()

    def untrusted_issuer(self) -> str:
        """The issuer of a certificate that no trusted authority vouches for ("" when the
        certificate verified, failed for another reason, or is no TLS result): the same one
        for Ozon and unrelated sites is a box on the way re-signing TLS."""
        return ""

    def filtered_by_name(self) -> bool:
        """Was this connection stopped for the name it asked for? (the same address answered
        another name at once: a contrast only the TLS probe makes)"""
        return False

    def reset_from_elsewhere(self) -> tuple[int, int] | None:
        """(the reset's TTL, the server's SYN-ACK's) when a connection was reset by a packet
        that did not come the server's way: a box on the way injected it. None when not
        known (no raw socket) or alike."""
        return None

    def stalled_at(self) -> int:
        """Bytes the server had delivered (TLS included) when an answer stopped coming in the
        middle of its body; 0 when it did not stall there. The same count for unrelated
        servers is a box on the way that freezes connections after so many bytes."""
        return 0

    @property
    def bytes_used(self) -> int:
        """Bytes a throughput test moved: what the data budget is charged."""
        return 0


@dataclass(frozen=True, slots=True)
class ResolverAnswer:
    """One resolver's answer for one name, timed for that server alone."""

    resolver: str
    ok: bool
    seconds: float
    addresses: tuple[str, ...] = ()
    error: ErrorCategory | None = None
    rcode: str = ""
    over_tcp: bool = False
    disagrees: bool = False
    #: the answer shares no network with the others', but its address presented a valid
    #: certificate for the name: a CDN or an ISP's cache, honest (not `disagrees`)
    vouched: bool = False
    #: set when this (UDP) answer was rewritten on the way: the same resolver, asked over
    #: TCP, gave these addresses, which present a valid certificate for the name, while the
    #: UDP answer's address did not (or UDP said there is no such name). A transparent DNS
    #: proxy: changing the resolver does not help, every UDP question is answered by it
    rewritten: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DnsData(ProbeData):
    name: str
    answers: tuple[ResolverAnswer, ...]

    def resolver_answers(self) -> tuple[ResolverAnswer, ...]:
        return self.answers

    def rewritten_on_the_way(self) -> tuple[ResolverAnswer, ...]:
        return tuple(a for a in self.answers if a.rewritten)


@dataclass(frozen=True, slots=True)
class IcmpData(ProbeData):
    sent: int
    received: int
    rtts: tuple[float, ...]
    mode: str  # datagram | raw | none

    def echo_stats(self) -> IcmpData:
        return self

    @property
    def loss_ratio(self) -> float:
        return 1.0 - self.received / self.sent if self.sent else 1.0

    @property
    def rtt_min(self) -> float | None:
        return min(self.rtts) if self.rtts else None

    @property
    def rtt_max(self) -> float | None:
        return max(self.rtts) if self.rtts else None

    @property
    def rtt_avg(self) -> float | None:
        return sum(self.rtts) / len(self.rtts) if self.rtts else None

    @property
    def jitter(self) -> float | None:
        """Mean absolute difference of consecutive RTTs (what VoIP people call jitter)."""
        if len(self.rtts) < 2:
            return None
        diffs = [abs(b - a) for a, b in zip(self.rtts, self.rtts[1:], strict=False)]
        return sum(diffs) / len(diffs)


@dataclass(frozen=True, slots=True)
class TcpData(ProbeData):
    connect_seconds: float | None


@dataclass(frozen=True, slots=True)
class TlsData(ProbeData):
    connect_seconds: float | None = None
    handshake_seconds: float | None = None
    version: str = ""
    verified: bool = False
    verify_error: str = ""  # expired | hostname_mismatch | untrusted | other
    cert_not_after: float | None = None  # unix time
    #: after the handshake for the real name was reset: did the same address
    #: answer a neutral name at once? (None: not tried)
    neutral_name_answered: bool | None = None
    issuer: str = ""  # the leaf's issuer, as presented (verified or not)
    #: after a reset of the handshake (raw sockets only): the TTLs of the server's SYN-ACK
    #: and of the reset; a reset from nearer than the server arrives with a higher one
    server_ttl: int | None = None
    reset_ttl: int | None = None

    def filtered_by_name(self) -> bool:
        return self.neutral_name_answered is True

    def reset_from_elsewhere(self) -> tuple[int, int] | None:
        if self.reset_ttl is None or self.server_ttl is None:
            return None
        if abs(self.reset_ttl - self.server_ttl) < RESET_TTL_APART:
            return None
        return self.reset_ttl, self.server_ttl

    def untrusted_issuer(self) -> str:
        return self.issuer if self.verify_error == "untrusted" else ""


@dataclass(frozen=True, slots=True)
class HttpData(ProbeData):
    phases: dict[str, float] = field(
        default_factory=dict
    )  # resolve, connect, tls, processing, transfer
    status: int | None = None
    content_bytes: int = 0
    json_code: int | None = None
    expected: bool = False
    total_seconds: float | None = None
    stalled_in: str = ""  # on failure: the phase in progress (processing = no first byte yet)
    #: a timeout in the body: bytes the server had delivered on the connection, TLS included
    stalled_after: int = 0

    def web_answer(self) -> HttpData:
        return self

    def stalled_at(self) -> int:
        return self.stalled_after


@dataclass(frozen=True, slots=True)
class SellerApiData(ProbeData):
    key_valid: bool | None = None
    key_expires_at: float | None = None  # unix time
    status: int | None = None
    retry_after: float | None = None
    reason: str = ""  # what the answer means (agent/probes/seller_api_errors.py), "" untold
    side: str = ""  # whose side it is on: ok, local, config, key, platform, unknown
    message: str = ""  # the server's message, masked and cut (status API only)


@dataclass(frozen=True, slots=True)
class ThroughputData(ProbeData):
    """One throughput measurement: bytes moved, and the rate over the transfer alone."""

    method: str  # http | speedtest
    download_bytes: int = 0
    download_seconds: float | None = None
    upload_bytes: int = 0
    upload_seconds: float | None = None
    server: str = ""  # speedtest: the server used (status API only, never a label)
    stage: str = ""  # on failure: where it stopped (speedtest: config, servers, download, ...)
    latency_seconds: float | None = None  # speedtest's own ping to its server

    @property
    def bytes_used(self) -> int:
        return self.download_bytes + self.upload_bytes

    @property
    def download_rate(self) -> float | None:
        if not self.download_seconds or self.download_bytes <= 0:
            return None
        return self.download_bytes / self.download_seconds

    @property
    def upload_rate(self) -> float | None:
        if not self.upload_seconds or self.upload_bytes <= 0:
            return None
        return self.upload_bytes / self.upload_seconds


@dataclass(frozen=True, slots=True)
class HopData:
    ttl: int
    address: str  # "" when no probe of this hop was answered
    sent: int
    received: int
    rtts: tuple[float, ...] = ()
    others: tuple[str, ...] = ()  # other responders at this TTL (load-balanced paths)

    @property
    def loss_ratio(self) -> float:
        return 1.0 - self.received / self.sent if self.sent else 1.0

    @property
    def rtt_avg(self) -> float | None:
        return sum(self.rtts) / len(self.rtts) if self.rtts else None


@dataclass(frozen=True, slots=True)
class TraceData:
    method: str  # tcp (SYN to the target's port) | icmp (echo)
    hops: tuple[HopData, ...]
    reached: bool
    route_hash: int  # 48 bits of the ordered responders
    worst_ttl: int | None  # the worst hop (see agent/probes/scapywork.py worst_hop)

    @property
    def worst(self) -> HopData | None:
        return next((h for h in self.hops if h.ttl == self.worst_ttl), None)


@dataclass(frozen=True, slots=True)
class PathData(ProbeData):
    traces: tuple[TraceData, ...]


@dataclass(frozen=True, slots=True)
class PmtuData(ProbeData):
    mtu: int | None  # bytes of the largest IP packet that crossed with DF set
    reported: bool  # a router sent "fragmentation needed" (False: found by silence)
    probes: int


@dataclass(frozen=True, slots=True)
class ArpData(ProbeData):
    answered: bool
    mac: str = ""  # status API only
    seconds: float | None = None

    def layer2_answer(self) -> bool:
        return self.answered


@dataclass(frozen=True, slots=True)
class ProbeResult:
    kind: str
    target: str
    group: str
    ok: bool
    duration: float
    finished_at: float  # unix time
    error: ErrorCategory | None = None
    detail: str = ""  # one line for people; never a label; never a secret
    address: str = ""  # the address actually probed (status API only, never a label)
    data: ProbeData | None = None
    retry_after: float | None = None  # the server asked us to wait this long before the next


__all__ = [
    "DNS_CATEGORIES",
    "NOT_NETWORK_EVIDENCE",
    "ErrorCategory",
]
