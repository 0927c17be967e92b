"""Seller API key: one authenticated `POST /v1/roles`, to export when the key expires.

Runs only when both credential variables are set, never more than once a minute (the config
refuses less), and backs off on 429 as Ozon's `Retry-After` asks. The key travels in one request
header and nowhere else: every text this module produces passes through `redact`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from agent.config import Config, KindSettings, SellerApiSettings, Target
from agent.probes.base import (
    Family,
    KindSpec,
    Outcome,
    ProbeContext,
    ProbeError,
    Sample,
)
from agent.probes.http import fetch
from agent.probes.seller_api_errors import classify_roles_answer, mask_secrets
from agent.results import ErrorCategory, ProbeResult, SellerApiData

KIND = "seller_api"
TARGET = Target(name="seller_api_key", group="ozon", probes=(KIND,), host="", service="seller_api")


def redact(text: str, secrets: dict[str, str]) -> str:
    """Every echo of a secret masked (before any cut), control characters removed."""
    return mask_secrets(text, secrets.values())


def credentials(settings: SellerApiSettings, environ: Mapping[str, str]) -> dict[str, str] | None:
    return settings.credentials(environ)


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


#: what the key check's answer means -> the category it is filed under
_CATEGORY = {
    "key": ErrorCategory.API_KEY_INVALID,
    "local": ErrorCategory.API_KEY_INVALID,
    "config": ErrorCategory.API_KEY_INVALID,
    "platform": ErrorCategory.HTTP_STATUS,
    "unknown": ErrorCategory.HTTP_STATUS,
}


async def probe(target: Target, ctx: ProbeContext) -> Outcome:
    settings = ctx.config.seller_api
    secrets = ctx.secrets

    def masked(text: str) -> str:
        return mask_secrets(text, secrets.values())

    try:
        ex = await fetch(
            settings.url, ctx, settings.timeout, method="POST", body="{}", headers=dict(secrets)
        )
    except ProbeError as e:
        address = e.response.address if e.response is not None else ""
        return Outcome(e.category, masked(e.detail), address, SellerApiData())
    assert ex.status is not None
    verdict = classify_roles_answer(
        ex.status, ex.body, ex.headers, credentials_sent=True, secrets=secrets.values()
    )
    data = SellerApiData(
        key_valid=True if verdict.side == "ok" else False if verdict.side == "key" else None,
        key_expires_at=parse_expiry(ex.body) if verdict.side == "ok" else None,
        status=ex.status,
        retry_after=verdict.retry_after,
        reason=verdict.reason,
        side=verdict.side,
        message=verdict.message,
    )
    if verdict.side == "ok":
        return Outcome(address=ex.address, data=data)
    category = _CATEGORY.get(verdict.side, ErrorCategory.HTTP_STATUS)
    if verdict.reason == "rate_limited":
        category = ErrorCategory.RATE_LIMITED
    detail = f"HTTP {ex.status}: {verdict.message or verdict.reason}"
    return Outcome(category, detail, ex.address, data, retry_after=verdict.retry_after)


VALID = Family(
    "seller_api_key_valid",
    "gauge",
    "1 if Ozon accepted the configured Seller API key at the last check.",
    (),
    always=False,
)
EXPIRY = Family(
    "seller_api_key_expiry_timestamp_seconds",
    "gauge",
    "When the Seller API key expires, as Ozon reports it.",
    (),
    always=False,
)


def details(r: ProbeResult) -> dict[str, Any]:
    if not isinstance(r.data, SellerApiData) or not r.data.reason:
        return {}
    d = r.data
    return {"reason": d.reason, "side": d.side, "status": d.status, "message": d.message}


def samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    if not isinstance(r.data, SellerApiData):
        return
    if r.data.key_valid is not None:
        yield VALID, (), 1 if r.data.key_valid else 0
    if r.data.key_expires_at is not None:
        yield EXPIRY, (), r.data.key_expires_at


def _targets(config: Config, environ: Mapping[str, str]) -> list[Target]:
    # the key is checked only when the seller gave one; without it the Seller API is still
    # probed as an ordinary http target (401 with code 16 means "alive")
    return [TARGET] if credentials(config.seller_api, environ) else []


SPEC = KindSpec(
    name=KIND,
    probe=probe,
    settings_of=lambda c: KindSettings(
        interval=c.seller_api.interval, timeout=c.seller_api.timeout
    ),
    targets=_targets,
    families=(VALID, EXPIRY),
    samples=samples,
    details=details,
)
