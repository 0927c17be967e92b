"""The one exception of agent.net, and the translation of OS and TLS errors into categories."""

from __future__ import annotations

import asyncio
import errno
import ssl
from typing import TYPE_CHECKING

from agent.results import ErrorCategory

if TYPE_CHECKING:
    from agent.net.http1 import Response


class WireError(Exception):
    """A request or query ended with a category. `response` holds what an HTTP exchange saw
    before it failed (phases so far, the stage in progress) when there is one."""

    def __init__(
        self, category: ErrorCategory, detail: str, response: Response | None = None
    ) -> None:
        super().__init__(detail)
        self.category = category
        self.detail = detail
        self.response = response


_UNREACHABLE = {
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
    errno.EADDRNOTAVAIL,
    errno.EACCES,  # a firewall's "administratively prohibited"
    errno.EPERM,  # the same from a local nftables reject
}
_RESET = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}
# this machine is out of something: no evidence about the network at all
_LOCAL = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def categorize_os_error(e: BaseException) -> ErrorCategory:
    if isinstance(e, WireError):
        return e.category
    if isinstance(e, TimeoutError | asyncio.TimeoutError):
        return ErrorCategory.TIMEOUT
    if isinstance(e, ssl.SSLCertVerificationError):
        return ErrorCategory.TLS_VERIFY
    if isinstance(e, ssl.SSLZeroReturnError | ssl.SSLEOFError):
        return ErrorCategory.RESET  # the peer closed mid-handshake: a cut, not a TLS fault
    if isinstance(e, ssl.SSLError):
        return ErrorCategory.TLS_ERROR
    if isinstance(e, ConnectionRefusedError):
        return ErrorCategory.REFUSED
    if isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return ErrorCategory.RESET
    if isinstance(e, asyncio.IncompleteReadError | EOFError):
        return ErrorCategory.RESET
    if isinstance(e, asyncio.LimitOverrunError):
        return ErrorCategory.HTTP_PROTOCOL  # a peer's line longer than the reader takes
    if isinstance(e, OSError):
        if e.errno in _LOCAL:
            return ErrorCategory.INTERNAL
        if e.errno == errno.ECONNREFUSED:
            return ErrorCategory.REFUSED
        if e.errno in _UNREACHABLE:
            return ErrorCategory.UNREACHABLE
        if e.errno in _RESET:
            return ErrorCategory.RESET
        if e.errno == errno.ETIMEDOUT:
            return ErrorCategory.TIMEOUT
    return ErrorCategory.INTERNAL


def describe_os_error(e: BaseException) -> str:
    """A short phrase for a person; never the peer's bytes or the request's headers."""
    if isinstance(e, WireError):
        return e.detail
    if isinstance(e, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {e.verify_message}"
    if isinstance(e, ssl.SSLError):
        return f"TLS failed: {(e.reason or 'handshake error').replace('_', ' ').lower()}"
    if isinstance(e, asyncio.IncompleteReadError | EOFError):
        return "the connection closed in the middle of the answer"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return type(e).__name__


#: what a probe raises to end with a category: the same exception, mapped once by the
#: scheduler (agent/scheduler.py measure) into the probe's outcome
ProbeError = WireError
