"""TLS: handshake time, protocol version, whether the certificate verifies, and its expiry.

When verification fails the probe shakes hands once more without verifying, only to read the
certificate, so that an expired or wrong certificate still shows its expiry date.
"""

from __future__ import annotations

import asyncio
import ssl

from agent.config import Target
from agent.probes.base import (
    ProbeContext,
    ProbeError,
    categorize_os_error,
    close_quietly,
    describe_os_error,
    finish,
    open_tcp,
)
from agent.probes.lookup import resolve_host
from agent.results import ErrorCategory, ProbeResult, TlsData

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
    from cryptography import x509

    return x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()


async def handshake(
    address: str, target: Target, ctx: ProbeContext, verify: bool
) -> tuple[float, float, str, float | None]:
    """(connect seconds, handshake seconds, version, notAfter)."""
    _, writer, connect_s = await open_tcp(address, target.port, ctx)
    try:
        started = ctx.clock()
        server_name = target.host if target.host != "auto" else address
        await writer.start_tls(ctx.ssl_context(verify), server_hostname=server_name)
        seconds = ctx.clock() - started
        ssl_object = writer.get_extra_info("ssl_object")
        version = ssl_object.version() if ssl_object else ""
        return connect_s, seconds, version or "", not_after(ssl_object)
    finally:
        await close_quietly(writer)


async def probe(target: Target, ctx: ProbeContext) -> ProbeResult:
    started = ctx.clock()
    timeout = ctx.settings.timeout
    address = ""

    def remaining() -> float:
        return max(timeout - (ctx.clock() - started), 0.001)

    try:
        address, _ = await resolve_host(target.host, ctx, timeout)
        connect_s, hs, version, expiry = await asyncio.wait_for(
            handshake(address, target, ctx, verify=True), remaining()
        )
    except ProbeError as e:
        return finish(target, KIND, ctx, started, error=e.category, detail=e.detail)
    except ssl.SSLCertVerificationError as e:
        reason = verify_reason(e)
        data = TlsData(verified=False, verify_error=reason)
        try:
            connect_s, hs, version, expiry = await asyncio.wait_for(
                handshake(address, target, ctx, verify=False), remaining()
            )
            data = TlsData(connect_s, hs, version, False, reason, expiry)
        except (OSError, TimeoutError, ValueError):
            pass
        return finish(
            target, KIND, ctx, started, address=address, data=data,
            error=ErrorCategory.TLS_VERIFY,
            detail=f"{target.host}: certificate not trusted ({e.verify_message})",
        )  # fmt: skip
    except (OSError, TimeoutError, EOFError) as e:
        category = categorize_os_error(e)
        if category is ErrorCategory.INTERNAL:
            category = ErrorCategory.TLS_ERROR
        return finish(
            target, KIND, ctx, started, address=address, error=category,
            detail=f"{address}:{target.port}: {describe_os_error(e)}", data=TlsData(),
        )  # fmt: skip
    return finish(
        target, KIND, ctx, started, address=address,
        data=TlsData(connect_s, hs, version, True, "", expiry),
    )  # fmt: skip
