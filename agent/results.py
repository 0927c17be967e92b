"""Typed probe results.

A probe returns one `ProbeResult`; its kind-specific figures live in `data`. Every failure
carries an `ErrorCategory`: a bounded vocabulary that is safe to use as a metric label and
that the diagnosis reasons over. Free text goes to `detail` (logs, status API), never to labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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


ProbeData = DnsData | IcmpData | TcpData | TlsData | HttpData | SellerApiData


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
