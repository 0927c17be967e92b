"""A throwaway certificate authority for TLS tests.

    ca = make_ca(tmp)                                   # tmp/ca.pem is a cafile
    cert, key = ca.issue(tmp, ["api-seller.ozon.ru"])   # good
    ca.issue(tmp, ["api-seller.ozon.ru"], name="expired",
             not_before=now - 30 days, not_after=now - 1 day)
    ca.issue(tmp, ["wrong.example.net"])                 # wrong host

Also a program, for the lab:
    python -m tests.support.pki DIR --host api-seller.ozon.ru [--ip 10.0.0.2]
        [--name NAME] [--expired]
which creates DIR/ca.pem (or reuses it) and prints the leaf's cert and key paths.

EC P-256 keys: generation is instant, and every TLS client accepts them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.pem"
CA_KEY = "ca.key"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ozon-probe tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass(frozen=True)
class CA:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_path: Path  # PEM; pass as cafile to ssl.create_default_context()
    key_path: Path

    def issue(
        self,
        dir: str | Path,
        hostnames: Sequence[str],
        ips: Sequence[str] = (),
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        name: str | None = None,
        client: bool = False,
    ) -> tuple[Path, Path]:
        """Write a server certificate and key signed by this CA; return (cert_path, key_path).

        Defaults: valid from a day ago for 30 days. Pass a past not_after for an
        expired certificate, or other hostnames for a wrong-host one. Files are
        <name>.pem / <name>.key, name defaulting to the first hostname or IP.
        """
        if not hostnames and not ips:
            raise ValueError("a certificate needs at least one hostname or IP")
        now = _now()
        not_before = not_before or now - dt.timedelta(days=1)
        not_after = not_after or now + dt.timedelta(days=30)
        first = (list(hostnames) + list(ips))[0]
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", name or first)
        key = ec.generate_private_key(ec.SECP256R1())
        san: list[x509.GeneralName] = [x509.DNSName(h) for h in hostnames]
        san += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(first))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                # a client certificate (client=True) for listeners that ask for one
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]
                ),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            # Strict verifiers (Python 3.13+ VERIFY_X509_STRICT) insist on the AKI.
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .sign(self.key, hashes.SHA256())
        )
        out = Path(dir)
        out.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = out / f"{stem}.pem", out / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key_path, key)
        return cert_path, key_path


def make_ca(dir: str | Path, common_name: str = "ozon-probe test CA") -> CA:
    """Create a CA in `dir` (ca.pem, ca.key), replacing any existing one."""
    out = Path(dir)
    out.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = out / CA_CERT, out / CA_KEY
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key_path, key)
    return CA(cert, key, cert_path, key_path)


def load_ca(dir: str | Path) -> CA:
    """Load a CA previously written by make_ca(dir)."""
    out = Path(dir)
    cert_path, key_path = out / CA_CERT, out / CA_KEY
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path}: not an EC key written by make_ca")
    return CA(cert, key, cert_path, key_path)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Issue a test certificate (creating the CA).")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--host", action="append", default=[], help="DNS SAN (repeatable)")
    parser.add_argument("--ip", action="append", default=[], help="IP SAN (repeatable)")
    parser.add_argument("--name", help="file stem for the leaf (default: first host)")
    parser.add_argument("--expired", action="store_true", help="validity ended yesterday")
    args = parser.parse_args(argv)
    ca = load_ca(args.dir) if (args.dir / CA_CERT).exists() else make_ca(args.dir)
    now = _now()
    window = (now - dt.timedelta(days=30), now - dt.timedelta(days=1)) if args.expired else None
    cert, key = ca.issue(
        args.dir,
        args.host,
        args.ip,
        not_before=window[0] if window else None,
        not_after=window[1] if window else None,
        name=args.name,
    )
    print(f"ca={ca.cert_path}\ncert={cert}\nkey={key}")


if __name__ == "__main__":
    main()
