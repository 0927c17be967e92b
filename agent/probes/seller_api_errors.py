"""What an answer of Ozon's Seller API (`POST /v1/roles`) means, and whose side it is on.

A pure function of the answer (status, body, headers): no I/O, no clock unless the caller
gives none and Retry-After is a date. The meanings come from public client libraries and
documentation mirrors (see /work/shared/research/ozon-endpoints.md, "Seller API behaviour"):

- without credentials: HTTP 401, `{"code":16,"message":"Client-Id and Api-Key headers are
  required"}`: the API is alive and answering;
- "Invalid Api-Key", "Api-key is deactivated": the key (the seller replaces it);
- "missing a required role": the key lacks a role (the seller's configuration);
- "Api-Key is restricted to specific IP addresses": the office's public address is no longer
  on the key's list, e.g. after an ISP failover: a local cause, not Ozon's;
- "Circle is open" (Ozon sheds load on the method), "Internal error", any 5xx: Ozon's side;
- "You have reached request rate limit per second" (HTTP 429, code 8): Ozon's side too, and
  the probe waits as Retry-After says;
- the legacy body `{"error": {"code": "ACCESS_DENIED", ...}}` still appears.

Every text taken from the answer goes through `mask_secrets` before it is kept anywhere.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal

Side = Literal["ok", "local", "config", "key", "platform", "unknown"]

MAX_RETRY_AFTER = 3600.0  # a Retry-After of days is a broken header, not a plan: wait 1 h at most
DEFAULT_RATE_LIMIT_WAIT = 60.0  # a 429 without Retry-After: wait a minute, do not hammer
MESSAGE_LIMIT = 200  # characters of the server's message kept, after masking
MIN_ECHO = 8  # a secret's substring this long in a text counts as an echo of it

SIDES: dict[str, Side] = {
    "alive": "ok",  # 401 code 16 without credentials: answering as documented
    "key_ok": "ok",  # 200 with credentials
    "ip_restricted": "local",
    "key_invalid": "key",
    "key_deactivated": "key",
    "access_denied": "key",
    "role_missing": "config",
    "rate_limited": "platform",
    "circuit_open": "platform",
    "server_error": "platform",
    "unexpected": "unknown",
}

# What each reason means to a seller. The view layer will move these; their keys are the
# reasons above and the problems of check_secret.
WORDS: dict[str, dict[str, str]] = {
    "alive": {
        "en": "The Seller API answers (without a key it asks for one, as it should).",
        "ru": "Seller API отвечает (без ключа он просит ключ, как и положено).",
        "zh": "Seller API 正常响应（未提供密钥时要求提供密钥，属正常行为）。",
    },
    "key_ok": {
        "en": "The Seller API accepts your key.",
        "ru": "Seller API принимает ваш ключ.",
        "zh": "Seller API 接受您的密钥。",
    },
    "ip_restricted": {
        "en": "Your API key only works from listed IP addresses, and your office's public "
        "address has changed (for example after your provider switched lines). Add the new "
        "address to the key in the seller cabinet. Ozon is not at fault.",
        "ru": "Ваш API-ключ работает только с указанных IP-адресов, а внешний адрес офиса "
        "сменился (например, провайдер переключил канал). Добавьте новый адрес к ключу в "
        "личном кабинете. Ozon здесь ни при чём.",
        "zh": "您的 API 密钥仅允许从指定的 IP 地址使用，而办公室的公网地址已变更（例如运营商"
        "切换了线路）。请在卖家后台为该密钥添加新地址。这不是 Ozon 的问题。",
    },
    "key_invalid": {
        "en": "Ozon does not accept the API key: check Client-Id and Api-Key, or create a "
        "new key in the seller cabinet.",
        "ru": "Ozon не принимает API-ключ: проверьте Client-Id и Api-Key или создайте новый "
        "ключ в личном кабинете.",
        "zh": "Ozon 不接受该 API 密钥：请检查 Client-Id 和 Api-Key，或在卖家后台创建新密钥。",
    },
    "key_deactivated": {
        "en": "The API key has been deactivated: create a new one in the seller cabinet.",
        "ru": "API-ключ деактивирован: создайте новый в личном кабинете.",
        "zh": "该 API 密钥已被停用：请在卖家后台创建新密钥。",
    },
    "access_denied": {
        "en": "Ozon denies this key access: check the key and its rights in the seller cabinet.",
        "ru": "Ozon отказывает этому ключу в доступе: проверьте ключ и его права в личном "
        "кабинете.",
        "zh": "Ozon 拒绝该密钥访问：请在卖家后台检查密钥及其权限。",
    },
    "role_missing": {
        "en": "The API key lacks a role this call needs: give the key that role in the seller "
        "cabinet. This is a setting, not an outage.",
        "ru": "У API-ключа нет нужной роли: добавьте ключу эту роль в личном кабинете. Это "
        "настройка, а не сбой.",
        "zh": "该 API 密钥缺少此调用所需的角色：请在卖家后台为密钥添加该角色。这是设置问题，"
        "不是故障。",
    },
    "rate_limited": {
        "en": "Ozon limits the request rate for this key: the agent waits as Ozon asks.",
        "ru": "Ozon ограничивает частоту запросов для этого ключа: агент ждёт, сколько просит "
        "Ozon.",
        "zh": "Ozon 限制了该密钥的请求频率：代理会按 Ozon 的要求等待。",
    },
    "circuit_open": {
        "en": 'Ozon is shedding load on this method ("Circle is open"): Ozon\'s side; it '
        "usually recovers within minutes.",
        "ru": "Ozon сбрасывает нагрузку на этом методе («Circle is open»): проблема на стороне "
        "Ozon, обычно проходит за несколько минут.",
        "zh": "Ozon 正在对该接口限流（“Circle is open”）：问题在 Ozon 一侧，通常几分钟内恢复。",
    },
    "server_error": {
        "en": "The Seller API fails on Ozon's side (a server error).",
        "ru": "Seller API даёт сбой на стороне Ozon (ошибка сервера).",
        "zh": "Seller API 在 Ozon 一侧出错（服务器错误）。",
    },
    "unexpected": {
        "en": "The Seller API gave an answer the agent does not know.",
        "ru": "Seller API дал ответ, которого агент не знает.",
        "zh": "Seller API 返回了代理无法识别的响应。",
    },
    # problems of a credential, found before it is ever sent
    "secret_empty": {
        "en": "{name} is empty.",
        "ru": "{name} пуст.",
        "zh": "{name} 为空。",
    },
    "secret_control": {
        "en": "{name} contains a control character (a line break, tab or escape) at "
        "position {position}: copy it again without it.",
        "ru": "{name} содержит управляющий символ (перевод строки, табуляцию или escape) в "
        "позиции {position}: скопируйте его заново без этого символа.",
        "zh": "{name} 在第 {position} 个字符处包含控制字符（换行、制表符或转义符）：请重新复制，"
        "去掉该字符。",
    },
    "secret_non_ascii": {
        "en": "{name} contains a character that is not plain ASCII at position {position} "
        "(a typographic quote or a Cyrillic letter?): copy it again from the seller cabinet.",
        "ru": "{name} содержит символ не из ASCII в позиции {position} (типографская кавычка "
        "или кириллическая буква?): скопируйте его заново из личного кабинета.",
        "zh": "{name} 在第 {position} 个字符处包含非 ASCII 字符（中文引号或全角字符？）："
        "请从卖家后台重新复制。",
    },
}


@dataclass(frozen=True)
class SellerApiVerdict:
    reason: str  # a key of SIDES and WORDS
    side: Side
    retry_after: float | None  # seconds to wait before the next call; None: the usual interval
    message: str  # the server's own message, masked, one line, at most MESSAGE_LIMIT chars


# --------------------------------------------------------------------------------------------
# Masking

_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
MASK = "***"


def _fold(text: str) -> str:
    # lower-case character by character so that positions stay those of the original text
    # ("İ".lower() is two characters; such a character is kept as it is)
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def _one_line(text: str) -> str:
    text = _ANSI.sub("", text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf":  # zero-width and bidi controls: invisible, they can disguise a line
            continue
        if cat in ("Cc", "Zl", "Zp"):  # CR, LF, tab, ESC left over, C1, line separators
            out.append(" ")
            continue
        out.append(ch)
    return " ".join("".join(out).split())


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` safe for a log line, a metric or a report: every echo of a secret (the whole of
    it, or any stretch of MIN_ECHO or more of its characters, in any letter case) replaced by
    ***; control characters and ANSI sequences, which could forge log lines, removed; then,
    and only then, cut to MESSAGE_LIMIT characters, so that a cut can never leave part of a
    secret behind."""
    text = _one_line(text)
    folded = _fold(text)
    hidden = [False] * len(text)
    for secret in secrets:
        secret = _fold(secret.strip())
        if not secret:
            continue
        # every common substring of MIN_ECHO+ characters is the union of the MIN_ECHO-long
        # windows it contains, so marking every window's occurrences marks all of them
        size = min(len(secret), MIN_ECHO)
        windows = {secret[i : i + size] for i in range(len(secret) - size + 1)}
        for window in windows:
            start = folded.find(window)
            while start >= 0:
                hidden[start : start + size] = [True] * size
                start = folded.find(window, start + 1)
    out: list[str] = []
    for i, ch in enumerate(text):
        if not hidden[i]:
            out.append(ch)
        elif i == 0 or not hidden[i - 1]:
            out.append(MASK)
    masked = "".join(out)
    if len(masked) > MESSAGE_LIMIT:
        masked = masked[: MESSAGE_LIMIT - 1] + "…"
    return masked


def check_secret(value: str, name: str = "Api-Key", lang: str = "en") -> str | None:
    """A one-line problem with a credential taken from the environment, or None when it can be
    sent as an HTTP header: a control character (a pasted line break; also a way to inject a
    second header) or a non-ASCII character is refused when the config loads, never sent.
    Surrounding whitespace is not a problem: it is stripped before use. The text never
    contains the value itself."""
    words = _words(lang)
    stripped = value.strip()
    if not stripped:
        return words["secret_empty"].format(name=name)
    for position, ch in enumerate(stripped, 1):
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return words["secret_control"].format(name=name, position=position)
        if not ch.isascii():
            return words["secret_non_ascii"].format(name=name, position=position)
    return None


def _words(lang: str) -> dict[str, str]:
    return {key: texts.get(lang, texts["en"]) for key, texts in WORDS.items()}


def reason_text(reason: str, lang: str) -> str:
    texts = WORDS.get(reason, WORDS["unexpected"])
    return texts.get(lang, texts["en"])


# --------------------------------------------------------------------------------------------
# Classification


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After (RFC 9110 10.2.3: seconds, or an HTTP date) as seconds from now, clamped to
    0..MAX_RETRY_AFTER; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _body_fields(body: bytes | str | Mapping[str, Any]) -> tuple[int | str | None, str, str]:
    """(code, message, details as text) of an error body; the legacy form too."""
    doc: Any = body
    if isinstance(body, bytes | str):
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            return None, text, ""
    if not isinstance(doc, Mapping):
        return None, "", ""
    if isinstance(doc.get("error"), Mapping):  # {"error": {"code": "ACCESS_DENIED", ...}}
        doc = doc["error"]
    code = doc.get("code")
    if not isinstance(code, int | str) or isinstance(code, bool):
        code = None
    message = doc.get("message")
    message = message if isinstance(message, str) else ""
    details = doc.get("details")
    details_text = json.dumps(details, ensure_ascii=False) if details else ""
    return code, message, details_text


# substrings of Ozon's messages, lower-cased, in the order they are tried
_MESSAGES: tuple[tuple[str, str], ...] = (
    ("restricted to specific ip", "ip_restricted"),
    ("deactivated", "key_deactivated"),
    ("missing a required role", "role_missing"),
    ("required role", "role_missing"),
    ("circle is open", "circuit_open"),
    ("rate limit", "rate_limited"),
    ("invalid api-key", "key_invalid"),
    ("invalid api key", "key_invalid"),
    ("invalid client-id", "key_invalid"),
    ("internal error", "server_error"),
)


def classify_roles_answer(
    status: int,
    body: bytes | str | Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    *,
    credentials_sent: bool,
    secrets: Iterable[str] = (),
    now: float | None = None,
) -> SellerApiVerdict:
    """The reason behind one answer of `POST /v1/roles`. `credentials_sent` tells the expected
    401 of a keyless health check ("alive") from a refused key; `secrets` are masked out of
    the message kept; `now` is the clock for a Retry-After given as a date."""
    lowered_headers = {k.lower(): v for k, v in (headers or {}).items()}
    retry_after = retry_after_seconds(lowered_headers.get("retry-after"), now)
    code, message, details = _body_fields(body)
    said = f"{message} {details}".lower()
    secrets = tuple(secrets)
    shown = mask_secrets(message or details, secrets)

    def verdict(reason: str, wait: float | None = retry_after) -> SellerApiVerdict:
        return SellerApiVerdict(reason, SIDES[reason], wait, shown)

    reason = next((r for needle, r in _MESSAGES if needle in said), None)
    if isinstance(code, str) and code.upper() == "ACCESS_DENIED" and reason is None:
        reason = "access_denied"
    if status == 429 or code == 8 or reason == "rate_limited":
        wait = DEFAULT_RATE_LIMIT_WAIT if retry_after is None else retry_after
        return verdict("rate_limited", wait)
    if reason is not None:
        return verdict(reason)
    if status == 200:
        return verdict("key_ok" if credentials_sent else "unexpected")
    if status == 401 and code == 16:
        # "Client-Id and Api-Key headers are required": alive when we sent none; when we did,
        # the headers did not arrive (a proxy stripped them) or were empty: the key's setup
        return verdict("alive" if not credentials_sent else "key_invalid")
    if status in (401, 403) and credentials_sent and code is not None:
        return verdict("key_invalid")
    if status >= 500:
        return verdict("server_error")
    return verdict("unexpected")
