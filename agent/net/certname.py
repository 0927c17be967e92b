"""Who issued a certificate, read from its DER bytes with no X.509 library.

Only the issuer of the leaf is wanted (to see one unknown issuer signing certificates for Ozon
and for unrelated sites alike: TLS intercepted on the way), so a few lines of DER walking do,
rather than loading cryptography (~9 MiB of RSS) into a daemon that would otherwise never need
it. Anything that is not the expected shape gives "" (unknown), never an exception.
"""

from __future__ import annotations

#: attribute type OIDs (DER-encoded bodies) -> the short names of RFC 4514
_ATTRIBUTES = {
    bytes.fromhex("550403"): "CN",
    bytes.fromhex("55040a"): "O",
    bytes.fromhex("550406"): "C",
}
_MAX_NAME = 200


def _tlv(der: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of the value, end of the value) of the element at `at`."""
    tag, length = der[at], der[at + 1]
    at += 2
    if length & 0x80:
        n = length & 0x7F
        if not 1 <= n <= 4:
            raise ValueError("a length DER does not allow here")
        length = int.from_bytes(der[at : at + n], "big")
        at += n
    end = at + length
    if end > len(der):
        raise ValueError("an element longer than the certificate")
    return tag, at, end


def _children(der: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out, at = [], start
    while at < end:
        tag, s, e = _tlv(der, at)
        out.append((tag, s, e))
        at = e
    return out


def issuer(der: bytes) -> str:
    """The leaf certificate's issuer as "CN=..., O=..., C=..." ("" when it cannot be read)."""
    try:
        _, s, e = _tlv(der, 0)  # Certificate
        _, s, e = _children(der, s, e)[0]  # TBSCertificate
        fields = _children(der, s, e)
        if fields and fields[0][0] == 0xA0:  # [0] version: present in v3 certificates
            fields = fields[1:]
        _, s, e = fields[2]  # serialNumber, signature, issuer
        parts = []
        for _, rs, re_ in _children(der, s, e):  # RDNs (SET) of AttributeTypeAndValue
            for _, as_, ae in _children(der, rs, re_):
                (otag, os_, oe), (_, vs, ve) = _children(der, as_, ae)[:2]
                name = _ATTRIBUTES.get(der[os_:oe]) if otag == 0x06 else None
                if name:
                    parts.append(f"{name}={der[vs:ve].decode('utf-8', 'replace')}")
        return ", ".join(parts)[:_MAX_NAME]
    except (IndexError, ValueError):
        return ""
