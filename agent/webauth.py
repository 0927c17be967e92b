"""HTTP basic auth for the agent's listener, with bcrypt-hashed passwords as Prometheus's
exporter-toolkit web config has them (`basic_auth_users: {name: $2y$...}`).

bcrypt is deliberately slow (tens of milliseconds at cost 10), and Prometheus sends the same
credentials on every scrape: a success is remembered as an HMAC of the credentials under a key
that lives only in this process, so a scrape costs one bcrypt check per user per process, not
one per request. Failures are never remembered: every wrong guess costs a full bcrypt check,
one at a time (a guessing client cannot take every worker thread).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable

#: answers a name that is not configured: bcrypt runs all the same, so a wrong name and a wrong
#: password take as long (the name list does not leak by timing)
_NO_SUCH_USER = b"$2b$10$" + b"." * 53

_MAX_REMEMBERED = 64


class BasicAuth:
    def __init__(self, users: Iterable[tuple[str, str]]) -> None:
        import bcrypt  # the [auth] extra; config parsing has already said so if it is missing

        self._checkpw = bcrypt.checkpw
        self._users = {name: hashed.encode("ascii") for name, hashed in users}
        self._key = secrets.token_bytes(32)
        self._good: frozenset[bytes] = frozenset()  # replaced whole: readers need no lock
        self._slow_lock = threading.Lock()

    def allows(self, authorization: str | None) -> bool:
        """True when an `Authorization` header value names a configured user and that user's
        password. Never raises: anything malformed is a refusal."""
        credentials = _basic_credentials(authorization)
        if credentials is None:
            return False
        user, password = credentials
        mac = hmac.new(self._key, user + b"\x00" + password, hashlib.sha256).digest()
        if any(hmac.compare_digest(mac, good) for good in self._good):
            return True
        try:
            name = user.decode("utf-8")
        except UnicodeDecodeError:
            name = ""
        hashed = self._users.get(name)
        with self._slow_lock:
            try:
                ok = bool(self._checkpw(password, hashed or _NO_SUCH_USER)) and hashed is not None
            except ValueError:  # a password bcrypt will not take (a NUL byte, over 72 bytes)
                ok = False
        if ok and len(self._good) < _MAX_REMEMBERED:
            self._good = self._good | {mac}
        return ok


def _basic_credentials(authorization: str | None) -> tuple[bytes, bytes] | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        # the WSGI environ carries header bytes as latin-1 text
        decoded = base64.b64decode(token.strip().encode("latin-1"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    user, colon, password = decoded.partition(b":")
    if not colon:
        return None
    return user, password
