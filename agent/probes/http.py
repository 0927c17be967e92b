"""HTTP(S): one request, timed phase by phase, checked against the target's expectation.

The request goes through agent/net/http1.py, the agent's own HTTP/1.1 client, because the
phases a seller's problem hides in (resolve, connect, TLS, waiting for the first byte,
transfer) are exactly what general-purpose clients do not report. It sends
`Connection: close` and reads at most `MAX_BODY` bytes of body, then aborts the connection:
a health check, not a download. 1xx interim answers are skipped as HTTP says; every malformed
byte of the answer is `http_protocol`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from agent.config import KindSettings, Target
from agent.net.http1 import USER_AGENT, Response, request
from agent.net.resolve import resolve_host
from agent.probes.base import (
    Count,
    Family,
    KindSpec,
    Outcome,
    ProbeContext,
    ProbeError,
    Sample,
)
from agent.results import ErrorCategory, HttpData, ProbeResult

__all__ = ["MAX_BODY", "USER_AGENT", "fetch", "json_code", "probe"]

KIND = "http"
#: What the probe judges is the status, the headers and, for the Seller API, the JSON `code` of
#: a 401 of about 100 bytes; 16 KiB keeps that with room to spare while a 10 MB page costs the
#: cap plus what TCP already had in flight (docs/performance.md: the default profile's day).
MAX_BODY = 16 * 1024


def json_code(body: bytes) -> int | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    code = doc.get("code") if isinstance(doc, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


async def fetch(
    url: str,
    ctx: ProbeContext,
    timeout: float,
    *,
    method: str = "GET",
    body: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    """One request with agent/net/http1.py, resolved the probes' way, the body capped:
    raises ProbeError (carrying what the exchange saw: phases, the stage it stopped in)."""

    async def resolve(host: str) -> tuple[str, float]:
        return await resolve_host(host, ctx, timeout)

    extra = dict(headers or {})
    if body or method == "POST":
        extra.setdefault("Content-Type", "application/json")
    return await request(
        url,
        method=method,
        body=body.encode(),
        headers=extra,
        timeout=timeout,
        resolve=resolve,
        ssl_context=ctx.ssl_context,
        max_body=MAX_BODY,
        clock=ctx.clock,
    )


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    try:
        resp = await fetch(
            target.url, ctx, ctx.settings.timeout, method=target.method, body=target.body
        )
    except ProbeError as e:
        return failed(e.response or Response(), e.category, e.detail)
    assert resp.status is not None
    code = json_code(resp.body) if target.expect.json_code is not None else None
    data = HttpData(
        phases={k: v for k, v in resp.phases.items() if k != "total"},
        status=resp.status,
        content_bytes=len(resp.body),
        json_code=code,
        total_seconds=resp.phases.get("total"),
    )
    if not target.expect.status_ok(resp.status):
        return Outcome(
            address=resp.address,
            data=data,
            error=ErrorCategory.HTTP_STATUS,
            detail=f"HTTP {resp.status}",
        )
    if target.expect.json_code is not None and code != target.expect.json_code:
        got = "no JSON code" if code is None else f"code {code}"
        return Outcome(
            address=resp.address,
            data=data,
            error=ErrorCategory.HTTP_BODY,
            detail=f"HTTP {resp.status} with {got}, expected code {target.expect.json_code}",
        )
    data = HttpData(data.phases, data.status, data.content_bytes, code, True, data.total_seconds)
    return Outcome(address=resp.address, data=data)


def failed(resp: Response, category: ErrorCategory, detail: str) -> Outcome:
    # a body that stops coming keeps how much had come: DPI that freezes a connection after
    # so many bytes shows the same count on unrelated servers (agent/diagnosis/evidence.py)
    stalled = category is ErrorCategory.TIMEOUT and resp.stage == "transfer"
    data = HttpData(
        phases={k: v for k, v in resp.phases.items() if k != "total"},
        status=resp.status,
        stalled_in=resp.stage,
        stalled_after=resp.received if stalled else 0,
    )
    return Outcome(address=resp.address, data=data, error=category, detail=detail)


_LABELS = ("target", "group")
#: 50 ms .. 25.6 s
BUCKETS = tuple(0.05 * 2**k for k in range(10))
PHASES = ("resolve", "connect", "tls", "processing", "transfer")
PHASE = Family(
    "http_phase_seconds",
    "gauge",
    "Time spent in each phase of the last request.",
    (*_LABELS, "phase"),
)
STATUS = Family("http_status_code", "gauge", "HTTP status of the last answer.", _LABELS)
EXPECTED = Family(
    "http_expected", "gauge", "1 if the last answer matched the target's expectation.", _LABELS
)
SIZE = Family("http_content_bytes", "gauge", "Body bytes read from the last answer.", _LABELS)
STALLED = Family(
    "http_stalled_after_bytes",
    "gauge",
    "Bytes the server had delivered (TLS included) when the last answer froze mid-body; 0 if "
    "it did not.",
    _LABELS,
)
RESPONSE = Family(
    "http_response_seconds",
    "histogram",
    "Total time of every completed request.",
    _LABELS,
    buckets=BUCKETS,
)


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    d = r.data
    if not isinstance(d, HttpData):
        return
    lv = (r.target, r.group)
    for phase in PHASES:
        if phase in d.phases:
            yield PHASE, (*lv, phase), d.phases[phase]
    if d.status is not None:
        yield STATUS, lv, d.status
        yield SIZE, lv, d.content_bytes
    yield EXPECTED, lv, 1 if d.expected else 0
    yield STALLED, lv, d.stalled_after


def counts(r: ProbeResult, previous: ProbeResult | None) -> Iterable[Count]:
    if isinstance(r.data, HttpData) and r.data.total_seconds is not None:
        yield RESPONSE, (r.target, r.group), r.data.total_seconds


def details(r: ProbeResult) -> dict[str, Any]:
    if not isinstance(r.data, HttpData):
        return {}
    said: dict[str, Any] = {
        "status": r.data.status,
        "phases": {k: round(v, 4) for k, v in r.data.phases.items()},
    }
    if r.data.stalled_after:
        said["stalled_after_bytes"] = r.data.stalled_after
    return said


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    settings=KindSettings(interval=40, timeout=15),
    default_on=lambda url, host_is_ip: bool(url),
    check_target=lambda url, host_is_ip, group: None if url else "the http probe needs a url",
    families=(PHASE, STATUS, EXPECTED, SIZE, STALLED, RESPONSE),
    samples=samples,
    counts=counts,
    details=details,
    reach_evidence=True,
    service_rank=0,
)
