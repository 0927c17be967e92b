"""The path to a target, MTR-style, with scapy: TCP SYN to the target's port (what a browser's
packets see; many networks drop ICMP but must pass 443) and ICMP echo, several probes per hop
for per-hop loss and round-trip time, the worst hop, and a hash of the route.

Scapy is loaded only when a packet-level probe first runs, and runs in one dedicated worker
thread (`run_scapy`), never on the event loop: sr() blocks, and one trace at a time keeps the
routers' ICMP rate limits from showing up as loss. Per-hop detail goes to the status API; the
metrics carry hop counts, the route hash and the worst hop's figures (docs/metrics.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from agent.config import Target
from agent.probes.base import (
    ProbeContext,
    ProbeError,
    categorize_os_error,
    describe_os_error,
    finish,
    is_ip,
)
from agent.probes.lookup import resolve_host
from agent.results import ErrorCategory, HopData, PathData, ProbeResult, TraceData

KIND = "path"
METHODS = ("tcp", "icmp")
MAX_HOPS = 30
RESOLVE_TIMEOUT = 5.0
T = TypeVar("T")

_executors: dict[str, concurrent.futures.ThreadPoolExecutor] = {}
_executor_lock = threading.Lock()


def _pool(lane: str) -> concurrent.futures.ThreadPoolExecutor:
    with _executor_lock:
        if lane not in _executors:
            # one thread per lane: traces (and MTU probes) one at a time, because concurrent
            # ones add up at each router's ICMP rate limit; ARP in its own lane so that it
            # never waits behind a queue of traces
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


async def target_address(target: Target, ctx: ProbeContext) -> str:
    if target.host == "auto":
        gw = ctx.gateway_lookup()
        if gw is None:
            raise ProbeError(ErrorCategory.UNREACHABLE, "no default route")
        return gw
    if is_ip(target.host):
        return target.host
    # the timeout of these kinds covers a queue of traces: a name gets what a lookup deserves
    timeout = min(ctx.settings.timeout, RESOLVE_TIMEOUT)
    try:
        address, _ = await asyncio.wait_for(resolve_host(target.host, ctx, timeout), timeout)
    except TimeoutError:
        raise ProbeError(ErrorCategory.DNS_TIMEOUT, "timed out resolving the name") from None
    except OSError as e:
        raise ProbeError(categorize_os_error(e), f"{describe_os_error(e)} resolving") from None
    return address


def _trace_data(trace: Any) -> TraceData:
    from agent.probes import scapywork

    hops = tuple(
        HopData(h.ttl, h.address, h.sent, h.received, tuple(h.rtts), tuple(h.others))
        for h in trace.hops
    )
    worst = scapywork.worst_hop(trace.hops)
    return TraceData(
        method=trace.method,
        hops=hops,
        reached=trace.reached,
        route_hash=scapywork.route_hash(trace.hops),
        worst_ttl=worst.ttl if worst else None,
    )


async def probe(target: Target, ctx: ProbeContext) -> ProbeResult:
    started = ctx.clock()
    address = ""
    try:
        address = await target_address(target, ctx)
        from agent.probes import scapywork  # cheap: scapy itself loads in the worker thread

        traces = []
        for method in METHODS:
            trace = await run_scapy(
                scapywork.trace, address, method, port=target.port, max_hops=MAX_HOPS,
                rounds=ctx.settings.packets,
            )  # fmt: skip
            traces.append(_trace_data(trace))
    except ProbeError as e:
        return finish(target, KIND, ctx, started, error=e.category, detail=e.detail,
                      address=address)  # fmt: skip
    data = PathData(tuple(traces))
    reached = [t for t in traces if t.reached]
    if not reached:
        last = max((h.ttl for t in traces for h in t.hops if h.received), default=0)
        return finish(
            target, KIND, ctx, started, address=address, data=data,
            error=ErrorCategory.TIMEOUT, detail=f"not reached; last answer at hop {last}",
        )  # fmt: skip
    best = reached[0]
    worst = best.worst
    detail = f"{len(best.hops)} hops ({best.method})"
    if worst is not None:
        detail += f"; worst hop {worst.ttl} {worst.address or '*'}: loss {worst.loss_ratio:.0%}"
    return finish(target, KIND, ctx, started, address=address, data=data, detail=detail)
