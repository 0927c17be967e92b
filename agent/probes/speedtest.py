"""Throughput with speedtest-cli, run as a library in a worker thread.

speedtest-cli (sivel, 2.1.3) is blocking, thread-hungry and unmaintained: speedtest.net often
answers it 403 or 429, or lists no servers. So it is imported only when a test runs (not at
daemon start), runs in a worker thread (never on the event loop), always in secure mode (HTTPS:
plain HTTP gets 403 today, and the figures must not pass through a transparent proxy), with the
configured servers pinned when there are any, and every failure is classified into a bounded
category; the rest of the agent never notices it failed.

A thread cannot be killed: the library's own socket timeout and test lengths bound the run,
and the scheduler's deadline merely stops waiting for it (the run is then reported `timeout`).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.error import HTTPError, URLError

from agent.config import Config, Target
from agent.probes import throughput
from agent.probes.base import KindSpec, Lane, Outcome, ProbeContext
from agent.results import ErrorCategory, ThroughputData

from ..net.deadline import within

KIND = "speedtest"
_patch_lock = threading.Lock()
# the SSL context of the running test (the agent's CA file): module-wide, not thread-local,
# because the library downloads from threads of its own; one test runs at a time (scheduler)
_context: ssl.SSLContext | None = None


@dataclass
class _Outcome:
    stage: str = "config"
    error: ErrorCategory | None = None
    detail: str = ""
    down_bytes: int = 0
    down_seconds: float | None = None
    up_bytes: int = 0
    up_seconds: float | None = None
    server: str = ""
    latency: float | None = None
    http_codes: tuple[int, ...] = ()  # HTTP errors the library swallowed (server list fetches)


def _load() -> ModuleType:
    """Import speedtest-cli and make its HTTPS connections use the agent's SSL context (its
    own always use the system default, which would ignore `tls_ca_file`)."""
    import speedtest

    with _patch_lock:
        cls: Any = speedtest.SpeedtestHTTPSConnection
        if not getattr(cls, "_ozon_probe_patched", False):
            original = cls.__init__

            def init(self: Any, *args: Any, **kwargs: Any) -> None:
                context = _context
                if context is not None and kwargs.get("context") is None:
                    kwargs["context"] = context
                original(self, *args, **kwargs)

            cls.__init__ = init
            cls._ozon_probe_patched = True
    module: ModuleType = speedtest
    return module


def classify_code(code: int, stage: str) -> tuple[ErrorCategory, str]:
    if code == 403:
        return ErrorCategory.SPEEDTEST_FORBIDDEN, f"speedtest.net answered 403 ({stage})"
    if code == 429:
        return ErrorCategory.SPEEDTEST_RATE_LIMITED, f"speedtest.net answered 429 ({stage})"
    return ErrorCategory.HTTP_STATUS, f"HTTP {code} during {stage}"


def classify(e: BaseException, stage: str) -> tuple[ErrorCategory, str]:
    """speedtest-cli's exceptions -> a bounded category and one line for people."""
    inner: BaseException | None = e
    seen = 0
    while inner is not None and not isinstance(inner, HTTPError) and seen < 5:
        nested = inner.args[0] if inner.args and isinstance(inner.args[0], BaseException) else None
        inner = nested or inner.__cause__ or inner.__context__
        seen += 1
    if isinstance(inner, HTTPError):
        return classify_code(inner.code, stage)
    name = type(e).__name__
    if isinstance(e, TimeoutError | socket.timeout) or "Timeout" in name:
        return ErrorCategory.TIMEOUT, f"timed out during {stage}"
    if name in ("NoMatchedServers", "SpeedtestBestServerFailure", "ServersRetrievalError"):
        return ErrorCategory.SPEEDTEST_NO_SERVERS, f"no usable speedtest server ({name})"
    if name in ("ConfigRetrievalError", "SpeedtestConfigError") or stage == "config":
        return ErrorCategory.SPEEDTEST_CONFIG, f"no speedtest.net configuration ({name})"
    if isinstance(e, ssl.SSLCertVerificationError):
        return ErrorCategory.TLS_VERIFY, f"certificate not trusted during {stage}"
    if isinstance(e, URLError | OSError):
        return ErrorCategory.UNREACHABLE, f"{name} during {stage}"
    return ErrorCategory.INTERNAL, f"{name} during {stage}"


def run_blocking(
    servers: tuple[int, ...], timeout: float, context: ssl.SSLContext, out: _Outcome
) -> _Outcome:
    """One full speedtest-cli run; fills `out` as it goes and never raises."""
    global _context
    _context = context
    try:
        speedtest = _load()
        # per-request socket timeout: the whole run is bounded by the server's test lengths
        per_request = max(1, min(10, int(timeout / 4)))
        st = speedtest.Speedtest(secure=True, timeout=per_request)
        if "client" not in st.config:
            raise speedtest.ConfigRetrievalError("no configuration")
        out.stage = "servers"
        opener_open = st._opener.open

        def recording_open(*args: Any, **kwargs: Any) -> Any:
            try:
                return opener_open(*args, **kwargs)
            except HTTPError as e:
                out.http_codes += (e.code,)
                raise

        st._opener.open = recording_open
        st.get_servers(list(servers) if servers else None)
        best = st.get_best_server()
        out.server = f"{best.get('sponsor', '')} {best.get('host', '')}".strip()
        out.latency = float(st.results.ping) / 1000.0
        out.stage = "download"
        t0 = time.monotonic()
        st.download()
        out.down_seconds = time.monotonic() - t0
        out.down_bytes = int(st.results.bytes_received)
        if st.results.download > 0:  # the library's own timing excludes thread start-up
            out.down_seconds = out.down_bytes * 8.0 / st.results.download
        out.stage = "upload"
        t0 = time.monotonic()
        st.upload(pre_allocate=False)
        out.up_bytes = int(st.results.bytes_sent)
        out.up_seconds = time.monotonic() - t0
        if st.results.upload > 0:
            out.up_seconds = out.up_bytes * 8.0 / st.results.upload
        out.stage = "done"
    except BaseException as e:  # a broken library must not take the agent down
        out.error, out.detail = classify(e, out.stage)
        if out.error is ErrorCategory.SPEEDTEST_NO_SERVERS and out.http_codes:
            # the server list fetches failed with HTTP errors the library only logged
            code = out.http_codes[-1]
            if code in (403, 429):
                out.error, out.detail = classify_code(code, out.stage)
    return out


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    settings = ctx.config.throughput.speedtest
    timeout = ctx.settings.timeout
    out = _Outcome()
    try:
        await within(
            asyncio.to_thread(run_blocking, settings.servers, timeout, ctx.ssl_context(), out),
            timeout,
        )
    except TimeoutError:
        out.error, out.detail = ErrorCategory.TIMEOUT, f"timed out during {out.stage}"
    data = ThroughputData(
        method="speedtest",
        download_bytes=out.down_bytes,
        download_seconds=out.down_seconds,
        upload_bytes=out.up_bytes,
        upload_seconds=out.up_seconds,
        server=out.server,
        stage=out.stage if out.error else "",
        latency_seconds=out.latency,
    )
    return Outcome(error=out.error, detail=out.detail, data=data)


TARGET = Target(name="speedtest", group="control", probes=(KIND,), host="")


def _targets(config: Config, environ: Mapping[str, str]) -> list[Target]:
    return [TARGET] if config.throughput.speedtest.enabled else []


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    lane=Lane.BUDGETED,
    requires=("speedtest", "speedtest", "speedtest-cli"),
    settings_of=throughput.budgeted_settings,
    targets=_targets,
    families=(throughput.RATE, throughput.BYTES_USED),
    samples=throughput.samples,
    counts=throughput.counts,
    details=throughput.details,
    cost=lambda config, target: config.throughput.speedtest.estimate,
)
