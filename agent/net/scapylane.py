"""The worker lanes of packet-level probes (scapy): blocking sr()/srp() calls run in one
dedicated thread per lane, never on the event loop.

One thread for traces and MTU probes, because concurrent ones add up at each router's ICMP rate
limit; ARP in its own lane so that it never waits behind a queue of traces. Scapy itself is
imported by `agent/net/scapywork.py` on first use, inside those threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from agent.config import Target
from agent.net.errors import ProbeError, categorize_os_error, describe_os_error
from agent.net.resolve import ResolveContext, resolve_host
from agent.net.tcp import is_ip
from agent.vocabulary import ErrorCategory

from .deadline import within

RESOLVE_TIMEOUT = 5.0
T = TypeVar("T")

_executors: dict[str, concurrent.futures.ThreadPoolExecutor] = {}
_executor_lock = threading.Lock()


def _pool(lane: str) -> concurrent.futures.ThreadPoolExecutor:
    with _executor_lock:
        if lane not in _executors:
            _executors[lane] = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix=f"scapy-{lane}"
            )
        return _executors[lane]


async def run_scapy(fn: Callable[..., T], *args: Any, lane: str = "trace", **kwargs: Any) -> T:
    """Run a blocking scapy function in its lane's thread. Its OSErrors become ProbeErrors here,
    once for every scapy probe: no raw socket -> `permission`, no route -> `unreachable`, any
    other -> `internal`."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_pool(lane), lambda: fn(*args, **kwargs))
    except PermissionError:
        raise ProbeError(ErrorCategory.PERMISSION, "raw sockets need root or CAP_NET_RAW") from None
    except OSError as e:
        if e.errno in (errno.EPERM, errno.EACCES):
            raise ProbeError(ErrorCategory.PERMISSION, "raw sockets need CAP_NET_RAW") from None
        category = categorize_os_error(e)
        if category not in (ErrorCategory.UNREACHABLE, ErrorCategory.TIMEOUT):
            category = ErrorCategory.INTERNAL
        raise ProbeError(category, f"scapy: {e}") from None


async def target_address(target: Target, ctx: ResolveContext, timeout: float) -> str:
    """The address a packet-level probe aims at. The kinds' timeouts cover a queue of traces,
    so a name gets only what a lookup deserves."""
    if target.host == "auto":
        gw = ctx.gateway_lookup()
        if gw is None:
            raise ProbeError(ErrorCategory.UNREACHABLE, "no default route")
        return gw
    if is_ip(target.host):
        return target.host
    timeout = min(timeout, RESOLVE_TIMEOUT)
    try:
        address, _ = await within(resolve_host(target.host, ctx, timeout), timeout)
    except TimeoutError:
        raise ProbeError(ErrorCategory.DNS_TIMEOUT, "timed out resolving the name") from None
    except OSError as e:
        raise ProbeError(categorize_os_error(e), f"{describe_os_error(e)} resolving") from None
    return address
