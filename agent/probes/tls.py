"""TLS: handshake time, protocol version, whether the certificate verifies, and its expiry.

When verification fails the probe shakes hands once more without verifying, only to read the
certificate, so that an expired or wrong certificate still shows its expiry date.

When the handshake for the real name is reset (or met by silence) after the connection was
made, the probe at once asks the same address for a neutral name: a server that answers that
but not its own name is behind something that filters by the name a connection asks for (DPI
on the path, a filtering box), the like-for-like contrast of `network_filtering`. With raw
sockets it also reads the TTLs of the connection's SYN-ACK and of the reset (agent/net/ttl.py):
a reset that did not come the server's way was injected on the way, whatever the name.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple

from agent.config import KindSettings, Target
from agent.net import certname
from agent.net.resolve import resolve_host
from agent.net.ttl import ResetWatch, Ttls
from agent.probes.base import (
    Family,
    KindSpec,
    Outcome,
    ProbeContext,
    Sample,
    categorize_os_error,
    close_quietly,
    describe_os_error,
    open_tcp,
)
from agent.results import ErrorCategory, ProbeResult, TlsData

from ..net.deadline import within

KIND = "tls"

_VERIFY_REASONS = {
    10: "expired",  # X509_V_ERR_CERT_HAS_EXPIRED
    9: "not_yet_valid",  # X509_V_ERR_CERT_NOT_YET_VALID
    62: "hostname_mismatch",  # X509_V_ERR_HOSTNAME_MISMATCH
    18: "untrusted",  # self-signed leaf
    19: "untrusted",  # self-signed certificate in chain
    20: "untrusted",  # unable to get local issuer
    21: "untrusted",  # unable to verify the first certificate
}


def verify_reason(e: ssl.SSLCertVerificationError) -> str:
    return _VERIFY_REASONS.get(e.verify_code, "other")


def not_after(ssl_object: ssl.SSLObject | None) -> float | None:
    if ssl_object is None:
        return None
    verified = ssl_object.getpeercert()
    if verified and "notAfter" in verified:
        return float(ssl.cert_time_to_seconds(str(verified["notAfter"])))
    # not verified: the standard library decodes nothing, so parse the DER ourselves; loaded
    # here because cryptography costs ~9 MiB of RSS that a healthy round never needs
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    try:  # the [tls] extra: without it the expiry of an unverified certificate is unknown
        from cryptography import x509
    except ImportError:
        return None
    return x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()


#: the name a contrast handshake asks for: one no filter on the way has a reason to stop, and
#: one no Ozon server is for (it answers with its default certificate or its own alert)
NEUTRAL_NAME = "www.example.com"
#: what a contrast handshake may take; the real one leaves it this much of the deadline
CONTRAST_SECONDS = 2.0
#: the real name's handshake failed like this after the connection was made: a filter's
#: signature when another name gets through. A reset is proof at once; silence is also what
#: a lossy path gives (in the lab, 7 % loss each way to Russia made a timed-out handshake and
#: an answered neutral one look like filtering, twice in 150 s), so the diagnosis wants it in
#: several rounds in a row (agent/diagnosis/evidence.py, SILENT_FILTER_ROUNDS)
_FILTER_LIKE = frozenset({ErrorCategory.RESET, ErrorCategory.TIMEOUT})


@dataclass
class _Attempt:
    connected: bool = False
    local_port: int = 0


class Handshake(NamedTuple):
    connect_seconds: float
    seconds: float
    version: str
    expiry: float | None  # the leaf's notAfter, unix time
    issuer: str  # the leaf's issuer, "CN=..., O=..." ("" unknown)


async def handshake(
    address: str,
    target: Target,
    ctx: ProbeContext,
    verify: bool,
    server_name: str | None = None,
    attempt: _Attempt | None = None,
) -> Handshake:
    _, writer, connect_s = await open_tcp(address, target.port, ctx.clock)
    if attempt is not None:
        attempt.connected = True
        attempt.local_port = int(writer.get_extra_info("sockname")[1])
    shaken = False
    try:
        started = ctx.clock()
        if server_name is None:
            server_name = target.host if target.host != "auto" else address
        await writer.start_tls(ctx.ssl_context(verify), server_hostname=server_name)
        seconds = ctx.clock() - started
        ssl_object = writer.get_extra_info("ssl_object")
        version = ssl_object.version() if ssl_object else ""
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        by = certname.issuer(der) if der else ""
        shaken = True
        return Handshake(connect_s, seconds, version or "", not_after(ssl_object), by)
    finally:
        # a handshake given up on (silence, a reset) is aborted at once: a polite close
        # waited up to 0.5 s on a silent peer, the time the neutral-name contrast needs
        await close_quietly(writer, abort=not shaken)


async def neutral_name_answers(
    address: str, target: Target, ctx: ProbeContext, budget: float
) -> bool:
    """Does the same address shake hands for a neutral name (or refuse it with its own TLS
    alert, which is an answer too)? Asked right after the real name was reset:
    yes means something on the way stopped the connection for the name it asked for."""
    try:
        await within(
            handshake(address, target, ctx, verify=False, server_name=NEUTRAL_NAME), budget
        )
    except ssl.SSLError as e:
        # the server's own alert (unrecognized_name, handshake_failure) is an answer; a
        # connection closed mid-handshake is not
        return not isinstance(e, ssl.SSLEOFError | ssl.SSLZeroReturnError)
    except (OSError, TimeoutError, EOFError, ValueError):
        return False
    return True


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    started = ctx.clock()
    timeout = ctx.settings.timeout
    # the real handshake leaves time for the contrast (a reset comes early; this is for a
    # reset that comes late, after a slow connect)
    reserve = min(CONTRAST_SECONDS, timeout / 4)

    def remaining(keep: float = 0.0) -> float:
        return max(timeout - (ctx.clock() - started) - keep, 0.001)

    address, _ = await resolve_host(target.host, ctx, timeout)
    watch = ResetWatch.open(address)
    try:
        return await _shake(target, ctx, address, watch, remaining, reserve)
    finally:
        if watch is not None:
            watch.close()


async def _shake(
    target: Target,
    ctx: ProbeContext,
    address: str,
    watch: ResetWatch | None,
    remaining: Callable[..., float],
    reserve: float,
) -> Outcome:
    attempt = _Attempt()
    try:
        shake = await within(
            handshake(address, target, ctx, verify=True, attempt=attempt), remaining(reserve)
        )
    except ssl.SSLCertVerificationError as e:
        reason = verify_reason(e)
        data = TlsData(verified=False, verify_error=reason)
        try:
            shake = await within(handshake(address, target, ctx, verify=False), remaining())
            data = TlsData(
                shake.connect_seconds, shake.seconds, shake.version, False, reason, shake.expiry
            )
            data = replace(data, issuer=shake.issuer)
        except (OSError, TimeoutError, ValueError):
            pass
        return Outcome(
            address=address,
            data=data,
            error=ErrorCategory.TLS_VERIFY,
            detail=f"{target.host}: certificate not trusted ({e.verify_message})",
        )
    except (OSError, TimeoutError, EOFError) as e:
        category = categorize_os_error(e)
        if category is ErrorCategory.INTERNAL:
            category = ErrorCategory.TLS_ERROR
        ttls = Ttls(None, None)
        if watch is not None and attempt.connected and category is ErrorCategory.RESET:
            # read before the contrast: its packets would only lengthen the queue
            ttls = watch.ttls(target.port, attempt.local_port)
        contrast: bool | None = None
        if attempt.connected and category in _FILTER_LIKE and target.host != "auto":
            contrast = await neutral_name_answers(address, target, ctx, remaining())
        detail = f"{address}:{target.port}: {describe_os_error(e)}"
        if contrast:
            detail += f"; the same address answers {NEUTRAL_NAME}"
        if ttls.reset is not None and ttls.server is not None:
            detail += f"; the reset came with TTL {ttls.reset}, the server's SYN-ACK {ttls.server}"
        data = TlsData(neutral_name_answered=contrast, server_ttl=ttls.server, reset_ttl=ttls.reset)
        return Outcome(address=address, error=category, detail=detail, data=data)
    data = TlsData(shake.connect_seconds, shake.seconds, shake.version, True, "", shake.expiry)
    return Outcome(address=address, data=replace(data, issuer=shake.issuer))


_LABELS = ("target", "group")
HANDSHAKE = Family(
    "tls_handshake_seconds", "gauge", "TLS handshake time of the last probe.", _LABELS
)
VERSION = Family(
    "tls_version_info", "gauge", "The TLS version negotiated; always 1.", (*_LABELS, "version")
)
VERIFIED = Family(
    "tls_cert_verified", "gauge", "1 if the certificate chain and host name verified.", _LABELS
)
EXPIRY = Family(
    "tls_cert_expiry_seconds",
    "gauge",
    "Seconds until the leaf certificate expires (negative once expired).",
    _LABELS,
)

FILTERED = Family(
    "tls_filtered_by_name",
    "gauge",
    "1 if the last handshake was stopped for the name it asked for while the same address "
    "answered a neutral name at once (filtering on the path); 0 after any other attempt.",
    _LABELS,
)


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    d = r.data
    if not isinstance(d, TlsData):
        return
    lv = (r.target, r.group)
    if d.handshake_seconds is not None:
        yield HANDSHAKE, lv, d.handshake_seconds
    if d.version:
        yield VERSION, (*lv, d.version), 1
    if d.handshake_seconds is not None or d.verify_error:
        yield VERIFIED, lv, 1 if d.verified else 0
    if d.cert_not_after is not None:
        yield EXPIRY, lv, d.cert_not_after - now
    yield FILTERED, lv, 1 if d.filtered_by_name() else 0


def details(r: ProbeResult) -> dict[str, object]:
    """For /api/status: who issued the certificate, and why it did not verify."""
    d = r.data
    if not isinstance(d, TlsData):
        return {}
    return {"issuer": d.issuer, "verify_error": d.verify_error}


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    details=details,
    settings=KindSettings(interval=120, timeout=8),
    default_on=lambda url, host_is_ip: url.startswith("https"),
    families=(HANDSHAKE, VERSION, VERIFIED, EXPIRY, FILTERED),
    samples=samples,
    reach_evidence=True,
    service_rank=1,
)
