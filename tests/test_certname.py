"""The issuer of a certificate read from its DER bytes (agent/net/certname.py): what
cryptography reads, for certificates the tests' CA issues; "" for anything cut or garbled."""

from __future__ import annotations

import random
import ssl
from pathlib import Path

from cryptography import x509

from agent.net.certname import issuer
from tests.support.pki import make_ca


def _der(path: Path) -> bytes:
    pem = path.read_text()
    first = pem[: pem.index("-----END CERTIFICATE-----")] + "-----END CERTIFICATE-----\n"
    return ssl.PEM_cert_to_DER_cert(first)


def test_the_issuer_is_what_cryptography_reads(tmp_path: Path) -> None:
    ca = make_ca(tmp_path / "ca", common_name="Inspection Proxy CA")
    cert, _ = ca.issue(tmp_path / "leaf", ["seller.ozon.ru", "ya.ru"], ["127.0.0.1"])
    der = _der(Path(cert))
    ours = dict(part.split("=", 1) for part in issuer(der).split(", "))
    theirs = x509.load_der_x509_certificate(der).issuer
    assert ours == {
        "CN": theirs.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value,
        "O": theirs.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value,
    }
    assert ours["CN"] == "Inspection Proxy CA"


def test_cut_or_garbled_bytes_give_unknown_never_an_exception(tmp_path: Path) -> None:
    ca = make_ca(tmp_path / "ca")
    cert, _ = ca.issue(tmp_path / "leaf", ["seller.ozon.ru"], [])
    der = _der(Path(cert))
    assert issuer(b"") == "" and issuer(b"\x30\x84\xff\xff\xff\xff") == ""
    for cut in range(0, len(der), 5):
        assert isinstance(issuer(der[:cut]), str)
    rng = random.Random(7)
    for _ in range(3000):
        b = bytearray(der)
        b[rng.randrange(len(b))] = rng.randrange(256)
        assert isinstance(issuer(bytes(b)), str)
