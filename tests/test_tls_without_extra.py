"""Without the [tls] extra (cryptography), a certificate that fails verification is still
reported as failing, with its expiry unknown instead of a crash.

cryptography is installed for the tests, so the test makes it absent for this interpreter:
its modules leave sys.modules and a finder at the front of sys.meta_path refuses to locate it,
which is what importlib reports when the package is not installed."""

from __future__ import annotations

import importlib.abc
import sys
import time

import pytest

from agent.results import ErrorCategory, TlsData
from tests.support.pki import CA
from tests.test_probes import _tls


class _NoCryptography(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] == "cryptography":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def test_expired_certificate_without_cryptography(
    ca: CA, certs: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "cryptography"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoCryptography(), *sys.meta_path])
    with pytest.raises(ModuleNotFoundError):
        import cryptography  # noqa: F401
    r = _tls(ca, certs["expired"])
    assert r.error is ErrorCategory.TLS_VERIFY
    d = r.data
    assert isinstance(d, TlsData) and not d.verified and d.verify_error == "expired"
    assert d.cert_not_after is None  # unknown, not a crash


def test_verified_certificate_needs_no_cryptography(
    ca: CA, certs: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "cryptography"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoCryptography(), *sys.meta_path])
    r = _tls(ca, certs["good"])
    assert r.ok, r.detail
    d = r.data
    assert isinstance(d, TlsData) and d.cert_not_after is not None
    assert d.cert_not_after > time.time()
