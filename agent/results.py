"""Typed probe results.

A probe returns one `ProbeResult`; its kind-specific figures live in `data`. Every failure
carries an `ErrorCategory`: a bounded vocabulary that is safe to use as a metric label and
that the diagnosis reasons over. Free text goes to `detail` (logs, status API), never to labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ErrorCategory(StrEnum):
    # transport
    TIMEOUT = "timeout"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    RESET = "reset"
    # name resolution (of the probed name, or of a target's host before connecting)
    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"
    DNS_REFUSED = "dns_refused"
    NO_ANSWER = "no_answer"
    DNS_TIMEOUT = "dns_timeout"
    DNS_MALFORMED = "dns_malformed"
    DNS_MISMATCH = "dns_mismatch"  # the answer disagrees with every independent resolver
    DNS_UNREACHABLE = "dns_unreachable"  # no resolver could be reached to look the name up
    # TLS
    TLS_VERIFY = "tls_verify"
    TLS_ERROR = "tls_error"
    # HTTP
    HTTP_STATUS = "http_status"
    HTTP_BODY = "http_body"
    HTTP_PROTOCOL = "http_protocol"
    # Seller API key
    API_KEY_INVALID = "api_key_invalid"
    RATE_LIMITED = "rate_limited"
    # throughput (speedtest-cli's own failure modes; the HTTP method uses the ones above)
    SPEEDTEST_CONFIG = "speedtest_config"  # speedtest.net's configuration could not be fetched
    SPEEDTEST_FORBIDDEN = "speedtest_forbidden"  # HTTP 403 from speedtest.net
    SPEEDTEST_RATE_LIMITED = "speedtest_rate_limited"  # HTTP 429
    SPEEDTEST_NO_SERVERS = "speedtest_no_servers"  # no (pinned) server available
    # the probe could not run at all: says nothing about the network
    PERMISSION = "permission"
    INTERNAL = "internal"


#: categories that describe this machine, not the network: the diagnosis ignores them
NOT_NETWORK_EVIDENCE = frozenset({ErrorCategory.PERMISSION, ErrorCategory.INTERNAL})

DNS_CATEGORIES = frozenset(
    {
        ErrorCategory.NXDOMAIN,
        ErrorCategory.SERVFAIL,
        ErrorCategory.DNS_REFUSED,
        ErrorCategory.NO_ANSWER,
        ErrorCategory.DNS_TIMEOUT,
        ErrorCategory.DNS_MALFORMED,
        ErrorCategory.DNS_MISMATCH,
        ErrorCategory.DNS_UNREACHABLE,
    }
)


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


@dataclass(frozen=True, slots=True)
class DnsData:
    name: str
    answers: tuple[ResolverAnswer, ...]


@dataclass(frozen=True, slots=True)
class IcmpData:
    sent: int
    received: int
    rtts: tuple[float, ...]
    mode: str  # datagram | raw | none

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
class TcpData:
    connect_seconds: float | None


@dataclass(frozen=True, slots=True)
class TlsData:
    connect_seconds: float | None = None
    handshake_seconds: float | None = None
    version: str = ""
    verified: bool = False
    verify_error: str = ""  # expired | hostname_mismatch | untrusted | other
    cert_not_after: float | None = None  # unix time


@dataclass(frozen=True, slots=True)
class HttpData:
    phases: dict[str, float] = field(
        default_factory=dict
    )  # resolve, connect, tls, processing, transfer
    status: int | None = None
    content_bytes: int = 0
    json_code: int | None = None
    expected: bool = False
    total_seconds: float | None = None
    stalled_in: str = ""  # on failure: the phase in progress (processing = no first byte yet)


@dataclass(frozen=True, slots=True)
class SellerApiData:
    key_valid: bool | None = None
    key_expires_at: float | None = None  # unix time
    status: int | None = None
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class ThroughputData:
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
class PathData:
    traces: tuple[TraceData, ...]


@dataclass(frozen=True, slots=True)
class PmtuData:
    mtu: int | None  # bytes of the largest IP packet that crossed with DF set
    reported: bool  # a router sent "fragmentation needed" (False: found by silence)
    probes: int


@dataclass(frozen=True, slots=True)
class ArpData:
    answered: bool
    mac: str = ""  # status API only
    seconds: float | None = None


ProbeData = (
    DnsData | IcmpData | TcpData | TlsData | HttpData | SellerApiData | ThroughputData
    | PathData | PmtuData | ArpData
)  # fmt: skip


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


def probe_details(r: ProbeResult) -> dict[str, Any]:
    """Kind-specific figures for the status API (`/api/status`, `check --json`): detail that is
    too rich or too unbounded for metric labels."""
    d = r.data
    if isinstance(d, ThroughputData):
        out: dict[str, Any] = {"method": d.method, "bytes_used": d.bytes_used}
        for direction, rate, n, secs in (
            ("download", d.download_rate, d.download_bytes, d.download_seconds),
            ("upload", d.upload_rate, d.upload_bytes, d.upload_seconds),
        ):
            if n:
                out[direction] = {
                    "bytes": n,
                    "seconds": round(secs, 4) if secs else None,
                    "bytes_per_second": round(rate, 1) if rate else None,
                }
        if d.server:
            out["server"] = d.server
        if d.latency_seconds is not None:
            out["latency_seconds"] = round(d.latency_seconds, 4)
        if d.stage:
            out["stalled_in"] = d.stage
        return out
    if isinstance(d, PathData):
        return {
            "traces": [
                {
                    "method": t.method,
                    "reached": t.reached,
                    "route_hash": f"{t.route_hash:012x}",
                    "worst_hop": t.worst_ttl,
                    "hops": [
                        {
                            "ttl": h.ttl,
                            "address": h.address or "*",
                            "loss_ratio": round(h.loss_ratio, 3),
                            "rtt_avg_seconds": round(a, 5) if (a := h.rtt_avg) else None,
                            "sent": h.sent,
                            **({"others": list(h.others)} if h.others else {}),
                        }
                        for h in t.hops
                    ],
                }
                for t in d.traces
            ]
        }
    if isinstance(d, PmtuData):
        return {"mtu": d.mtu, "mtu_reported": d.reported, "mtu_probes": d.probes}
    if isinstance(d, ArpData):
        return {"arp_answered": d.answered, "mac": d.mac}
    return {}
