"""Seller API answers of `POST /v1/roles`, shaped like the documented ones
(/work/shared/research/ozon-endpoints.md), each with its reason and whose side it is on; and
the masking that keeps the key out of every text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from agent.probes.seller_api_errors import (
    DEFAULT_RATE_LIMIT_WAIT,
    MAX_RETRY_AFTER,
    MESSAGE_LIMIT,
    SIDES,
    WORDS,
    check_secret,
    classify_roles_answer,
    mask_secrets,
    reason_text,
    retry_after_seconds,
)

KEY = "3f9c2a71-5b4e-4d0a-9e61-7c2b8f0d4a19"  # shaped like an Ozon Api-Key (a UUID)
CLIENT_ID = "1943061"


def body(code: int, message: str, details: list[object] | None = None) -> bytes:
    return json.dumps({"code": code, "message": message, "details": details or []}).encode()


CASES = [
    # (status, body, headers, credentials sent, reason, side)
    (401, body(16, "Client-Id and Api-Key headers are required"), {}, False, "alive", "ok"),
    (200, json.dumps({"roles": [{"name": "Admin"}], "expires_at": "2027-03-01T00:00:00Z"}).encode(), {}, True, "key_ok", "ok"),
    (403, body(7, "Api-Key is restricted to specific IP addresses"), {}, True, "ip_restricted", "local"),
    (401, body(16, "Invalid Api-Key, please contact support"), {}, True, "key_invalid", "key"),
    (403, body(7, "Api-key is deactivated"), {}, True, "key_deactivated", "key"),
    (403, body(7, "You are missing a required role for this method"), {}, True, "role_missing", "config"),
    (429, body(8, "You have reached request rate limit per second"), {"Retry-After": "3"}, True, "rate_limited", "platform"),
    (503, body(14, "Circle is open"), {}, True, "circuit_open", "platform"),
    (500, body(13, "Internal error"), {}, True, "server_error", "platform"),
    (502, b"<html><body>502 Bad Gateway</body></html>", {}, True, "server_error", "platform"),
    (403, json.dumps({"error": {"code": "ACCESS_DENIED", "message": "Access denied", "data": []}}).encode(), {}, True, "access_denied", "key"),
    (403, b"<html>antibot</html>", {}, False, "unexpected", "unknown"),
    (404, body(5, "Not Found"), {}, True, "unexpected", "unknown"),
    (200, b"{}", {}, False, "unexpected", "unknown"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "raw", "headers", "sent", "reason", "side"), CASES)
def test_each_answer_has_its_reason_and_side(
    status: int, raw: bytes, headers: dict[str, str], sent: bool, reason: str, side: str
) -> None:
    v = classify_roles_answer(status, raw, headers, credentials_sent=sent, secrets=[KEY])
    assert (v.reason, v.side) == (reason, side)
    assert SIDES[v.reason] == v.side
    assert len(v.message) <= MESSAGE_LIMIT and "\n" not in v.message


def test_the_keyless_401_is_alive_but_the_same_answer_to_a_key_is_not() -> None:
    answer = body(16, "Client-Id and Api-Key headers are required")
    assert classify_roles_answer(401, answer, credentials_sent=False).side == "ok"
    # we sent the headers and Ozon says they are missing: stripped by a proxy, or empty
    assert classify_roles_answer(401, answer, credentials_sent=True).side == "key"


def test_the_ip_restriction_is_a_local_cause_whatever_the_status() -> None:
    for status in (401, 403):
        v = classify_roles_answer(
            status, body(7, "Api-Key is restricted to specific IP addresses"), credentials_sent=True
        )
        assert v.side == "local"
    assert "Ozon" in reason_text("ip_restricted", "en")
    assert "IP" in reason_text("ip_restricted", "zh")


def test_the_message_can_also_be_in_details() -> None:
    v = classify_roles_answer(
        403, body(7, "", [{"typeUrl": "x", "value": "Circle is open"}]), credentials_sent=True
    )
    assert v.reason == "circuit_open"


def test_rate_limit_honours_retry_after_within_an_hour() -> None:
    limited = body(8, "You have reached request rate limit per second")
    v = classify_roles_answer(429, limited, {"retry-after": "7"}, credentials_sent=True)
    assert v.retry_after == 7.0
    v = classify_roles_answer(429, limited, {"Retry-After": "999999"}, credentials_sent=True)
    assert v.retry_after == MAX_RETRY_AFTER == 3600.0
    v = classify_roles_answer(429, limited, {}, credentials_sent=True)
    assert v.retry_after == DEFAULT_RATE_LIMIT_WAIT
    v = classify_roles_answer(429, limited, {"Retry-After": "soon"}, credentials_sent=True)
    assert v.retry_after == DEFAULT_RATE_LIMIT_WAIT
    # code 8 with another status is still the rate limit
    assert classify_roles_answer(400, limited, credentials_sent=True).reason == "rate_limited"
    # a date: seconds from now
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    later = format_datetime(datetime(2026, 12, 1, 12, 2, 0, tzinfo=UTC), usegmt=True)
    v = classify_roles_answer(429, limited, {"Retry-After": later}, credentials_sent=True, now=now)
    assert v.retry_after == 120.0
    v = classify_roles_answer(
        503, body(14, "Circle is open"), {"Retry-After": "30"}, credentials_sent=True
    )
    assert (v.reason, v.retry_after) == ("circuit_open", 30.0)


def test_retry_after_edges() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    past = format_datetime(datetime(2026, 11, 30, tzinfo=UTC), usegmt=True)
    assert retry_after_seconds(past, now) == 0.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("") is None
    assert retry_after_seconds("-5") is None
    assert retry_after_seconds("Mon, 32 Foo 2026 99:99:99") is None
    assert retry_after_seconds("0") == 0.0


def test_an_echoed_key_never_reaches_the_message() -> None:
    echoes = {
        "whole": f"Invalid Api-Key {KEY}",
        "padded": f"Invalid Api-Key '{' ' * 40}{KEY}{' ' * 40}' for client",
        "glued": f"Invalid Api-Key xx{KEY}yy",
        "upper-cased": f"INVALID API-KEY {KEY.upper()}",
        "partial": f"Invalid Api-Key {KEY[5:17]}...",
        "tail": f"key ending {KEY[-9:]} is invalid",
        "in details": "",
    }
    for what, message in echoes.items():
        details: list[object] = [{"key": KEY}] if what == "in details" else []
        v = classify_roles_answer(
            401, body(16, message, details), credentials_sent=True, secrets=[KEY, CLIENT_ID]
        )
        folded = v.message.lower()
        for i in range(len(KEY) - 7):
            assert KEY[i : i + 8].lower() not in folded, (what, v.message)
        assert "***" in v.message, what


def test_masking_happens_before_truncation() -> None:
    # the key straddles the 200th character: cutting first would leave its head behind
    text = "x" * (MESSAGE_LIMIT - 10) + KEY + " and more"
    masked = mask_secrets(text, [KEY])
    assert len(masked) <= MESSAGE_LIMIT
    assert KEY[:8] not in masked and KEY[:10] not in masked
    assert masked.startswith("x" * (MESSAGE_LIMIT - 10) + "***")


def test_masking_strips_what_could_forge_a_log_line() -> None:
    forged = "Invalid key\r\n2026-12-01T00:00:00 INFO all good\x1b[2K\x1b[1A\x07\u2028\u202eevil"
    masked = mask_secrets(forged, [KEY])
    assert masked == "Invalid key 2026-12-01T00:00:00 INFO all good evil"
    assert all(ch.isprintable() for ch in masked)
    v = classify_roles_answer(500, body(13, forged), credentials_sent=True, secrets=[KEY])
    assert "\r" not in v.message and "\n" not in v.message and "\x1b" not in v.message


def test_masking_leaves_ordinary_text_and_short_secrets_alone() -> None:
    assert mask_secrets("Client-Id and Api-Key headers are required", [KEY]) == (
        "Client-Id and Api-Key headers are required"
    )
    # a secret shorter than the echo length is masked only whole
    assert mask_secrets("client 1943061 and 1943", [CLIENT_ID]) == "client *** and 1943"
    assert mask_secrets("nothing", ["", "   "]) == "nothing"
    # a secret given with stray whitespace (as pasted into the env file) still matches
    assert KEY not in mask_secrets(f"echo {KEY}", [f"  {KEY}\n"])


def test_a_key_with_a_line_break_or_non_ascii_is_refused_in_one_line() -> None:
    assert check_secret(KEY) is None
    assert check_secret(f"  {KEY}\n") is None  # surrounding whitespace is stripped, not sent
    crlf = check_secret(f"{KEY[:10]}\r\nX-Injected: 1")
    assert crlf is not None and "position 11" in crlf and "control character" in crlf
    assert check_secret(f"{KEY[:4]}\t{KEY[4:]}") is not None
    assert check_secret(f"{KEY[:4]}\x1b[0m") is not None
    assert check_secret(f"{KEY[:4]}\u200b{KEY[4:]}") is not None  # a zero-width space
    cyrillic = check_secret("3f9с2a71")  # the fourth letter is Cyrillic "с"
    assert cyrillic is not None and "position 4" in cyrillic
    assert check_secret("«" + KEY + "»") is not None
    assert check_secret("   ") == "Api-Key is empty."
    for problem in (crlf, cyrillic):
        assert problem is not None and "\n" not in problem and KEY[:10] not in problem
    ru = check_secret("ключ", name="OZON_API_KEY", lang="ru")
    assert ru is not None and ru.startswith("OZON_API_KEY содержит символ не из ASCII")
    zh = check_secret("a\nb", lang="zh")
    assert zh is not None and "控制字符" in zh


def test_every_reason_is_worded() -> None:
    assert set(SIDES) <= set(WORDS)
    assert reason_text("no_such_reason", "ru") == WORDS["unexpected"]["ru"]
