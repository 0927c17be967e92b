"""Seller API key: one authenticated `POST /v1/roles`, to export when the key expires.

Runs only when both credential variables are set, never more than once a minute (the config
refuses less), and backs off on 429 as Ozon's `Retry-After` asks. The key travels in one request
header and nowhere else: every text this module produces passes through `redact`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from agent.config import SellerApiSettings, Target
from agent.probes.base import ProbeContext, ProbeError, categorize_os_error, describe_os_error
from agent.probes.base import finish as _finish
from agent.probes.http import Exchange, exchange
from agent.results import ErrorCategory, ProbeResult, SellerApiData

KIND = "seller_api"
TARGET = Target(name="seller_api_key", group="ozon", probes=(KIND,), host="", service="seller_api")


def redact(text: str, secrets: dict[str, str]) -> str:
    for value in secrets.values():
        if value:
            text = text.replace(value, "***")
    return text


def credentials(settings: SellerApiSettings, environ: dict[str, str]) -> dict[str, str] | None:
    client_id = environ.get(settings.client_id_env, "").strip()
    api_key = environ.get(settings.api_key_env, "").strip()
    if not client_id or not api_key:
        return None
    return {"Client-Id": client_id, "Api-Key": api_key}


def parse_expiry(body: bytes) -> float | None:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict):
        return None
    raw = doc.get("expires_at")
    if raw is None and isinstance(doc.get("result"), dict):
        raw = doc["result"].get("expires_at")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _message(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    message = doc.get("message") if isinstance(doc, dict) else None
    if isinstance(message, str):
        return message[:200]
    return ""


async def probe(target: Target, ctx: ProbeContext) -> ProbeResult:
    started = ctx.clock()
    settings = ctx.config.seller_api
    secrets = ctx.secrets
    ex = Exchange()

    def finish(**kw: object) -> ProbeResult:
        if "detail" in kw:
            kw["detail"] = redact(str(kw["detail"]), secrets)
        return _finish(TARGET, KIND, ctx, started, address=ex.address, **kw)  # type: ignore[arg-type]

    try:
        await asyncio.wait_for(
            exchange(settings.url, "POST", "{}", dict(secrets), ctx, settings.timeout, ex),
            settings.timeout,
        )
    except ProbeError as e:
        return finish(error=e.category, detail=e.detail, data=SellerApiData())
    except (OSError, TimeoutError, EOFError) as e:
        return finish(
            error=categorize_os_error(e), detail=describe_os_error(e), data=SellerApiData()
        )
    status = ex.status
    message = _message(ex.body)
    if status == 200:
        expiry = parse_expiry(ex.body)
        return finish(data=SellerApiData(key_valid=True, key_expires_at=expiry, status=status))
    if status == 429:
        retry = ex.headers.get("retry-after", "")
        return finish(
            error=ErrorCategory.RATE_LIMITED,
            detail=f"HTTP 429: rate limited by Ozon {message}".strip(),
            data=SellerApiData(status=status, retry_after=float(retry) if retry.isdigit() else 60),
        )
    if status in (401, 403):
        return finish(
            error=ErrorCategory.API_KEY_INVALID,
            detail=f"HTTP {status}: {message or 'the key was refused'}",
            data=SellerApiData(key_valid=False, status=status),
        )
    return finish(
        error=ErrorCategory.HTTP_STATUS,
        detail=f"HTTP {status}: {message}".rstrip(": "),
        data=SellerApiData(status=status),
    )
