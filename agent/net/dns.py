"""DNS queries to one server at a time, with the answer checked against the question.

Over a connected UDP socket (so a server with nothing listening answers "refused" at once
instead of a silent timeout), and again over TCP when the answer is truncated; over TCP alone
when asked (the contrast that shows a UDP answer rewritten on the way). An answer
counts only when it is for the question asked: same id and question section (dnspython's
`is_response`), and address records owned by the name or its CNAME chain; a resolver
answering for another name is `dns_malformed`, not used. Answers are bounded: one with more
than `MAX_RECORDS` records is refused unparsed, one larger than `PARSE_INLINE_BYTES` is parsed
in a worker thread (an answer of ~4000 records once held the event loop for 550 ms, inflating
every other probe's timing), and at most `MAX_ADDRESSES` addresses are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from agent.net.errors import WireError
from agent.results import DNS_CATEGORIES, ErrorCategory

MAX_RECORDS = 512  # answer + authority + additional, from the header, before parsing
MAX_ADDRESSES = 64
PARSE_INLINE_BYTES = 2048
MAX_CNAME_CHAIN = 16

_RCODE_CATEGORY = {
    dns.rcode.NXDOMAIN: ErrorCategory.NXDOMAIN,
    dns.rcode.SERVFAIL: ErrorCategory.SERVFAIL,
    dns.rcode.REFUSED: ErrorCategory.DNS_REFUSED,
}


@dataclass(frozen=True)
class Answer:
    """One server's answer to one question (agent.results.ResolverAnswer without the name)."""

    ok: bool
    seconds: float
    addresses: tuple[str, ...] = ()
    error: ErrorCategory | None = None
    rcode: str = ""
    over_tcp: bool = False
    detail: str = ""


async def ask(
    name: str,
    address: str,
    port: int,
    timeout: float,
    *,
    rdtype: dns.rdatatype.RdataType = dns.rdatatype.A,
    clock: Callable[[], float] = time.monotonic,
    tcp: bool = False,
) -> Answer:
    """Ask `address:port` for `name`'s `rdtype` records (`tcp`: over TCP only, the contrast
    for an answer rewritten on the way); never raises for what the server or the network
    does."""
    started = clock()
    over_tcp = tcp
    try:
        query = dns.message.make_query(name, rdtype)
    except (dns.exception.DNSException, ValueError):
        return Answer(False, 0.0, error=ErrorCategory.INTERNAL, detail="not a DNS name")
    try:
        async with asyncio.timeout(timeout):
            wire = await (_tcp if tcp else _udp)(query, address, port)
            response = await _parse(query, wire)
            if response.flags & dns.flags.TC and not tcp:
                over_tcp = True
                response = await _parse(query, await _tcp(query, address, port))
    except TimeoutError:
        return _failed(clock() - started, ErrorCategory.DNS_TIMEOUT, over_tcp, "timed out")
    except WireError as e:
        return _failed(clock() - started, e.category, over_tcp, e.detail)
    except ConnectionRefusedError:
        return _failed(clock() - started, ErrorCategory.REFUSED, over_tcp, "refused")
    except (asyncio.IncompleteReadError, EOFError, ConnectionResetError):
        return _failed(clock() - started, ErrorCategory.DNS_MALFORMED, over_tcp, "a cut TCP answer")
    except OSError as e:
        category = ErrorCategory.UNREACHABLE
        return _failed(clock() - started, category, over_tcp, e.strerror or "unreachable")
    seconds = clock() - started
    rcode = response.rcode()
    rcode_text = dns.rcode.to_text(rcode)
    if rcode != dns.rcode.NOERROR:
        category = _RCODE_CATEGORY.get(rcode, ErrorCategory.SERVFAIL)
        return Answer(False, seconds, (), category, rcode_text, over_tcp)
    try:
        addresses = _addresses(response, query.question[0].name, rdtype)
    except WireError as e:
        return Answer(False, seconds, (), e.category, rcode_text, over_tcp, e.detail)
    if not addresses:
        return Answer(False, seconds, (), ErrorCategory.NO_ANSWER, rcode_text, over_tcp)
    return Answer(True, seconds, addresses, None, rcode_text, over_tcp)


def _failed(seconds: float, category: ErrorCategory, over_tcp: bool, detail: str) -> Answer:
    return Answer(False, seconds, (), category, "", over_tcp, detail)


async def _udp(query: dns.message.Message, address: str, port: int) -> bytes:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        # connected, so that an ICMP port unreachable comes back as ConnectionRefusedError
        sock.connect((address, port))
        await loop.sock_sendall(sock, query.to_wire())
        while True:
            wire = await loop.sock_recv(sock, 65535)
            # another id is a late answer to an earlier query, or a spoof: keep waiting
            if len(wire) >= 2 and wire[:2] == struct.pack("!H", query.id):
                return wire


async def _tcp(query: dns.message.Message, address: str, port: int) -> bytes:
    reader, writer = await asyncio.open_connection(address, port)
    try:
        wire = query.to_wire()
        writer.write(struct.pack("!H", len(wire)) + wire)
        await writer.drain()
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        return await reader.readexactly(length)
    finally:
        writer.transport.abort()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _from_wire(wire: bytes) -> dns.message.Message:
    return dns.message.from_wire(wire, ignore_trailing=False)


async def _parse(query: dns.message.Message, wire: bytes) -> dns.message.Message:
    if len(wire) < 12:
        raise WireError(ErrorCategory.DNS_MALFORMED, "an answer shorter than a DNS header")
    records = sum(struct.unpack("!HHH", wire[6:12]))
    if records > MAX_RECORDS:
        raise WireError(ErrorCategory.DNS_MALFORMED, f"an answer of {records} records")
    try:
        if len(wire) > PARSE_INLINE_BYTES:
            response = await asyncio.to_thread(_from_wire, wire)
        else:
            response = _from_wire(wire)
    except Exception:
        # any failure of the parser is about the peer's bytes (FormError, a bad label, a
        # name compression loop, trailing junk...): evidence about the server, not a bug here
        raise WireError(ErrorCategory.DNS_MALFORMED, "an answer that is not DNS") from None
    if not query.is_response(response):
        raise WireError(ErrorCategory.DNS_MALFORMED, "an answer to another question")
    return response


def _addresses(
    response: dns.message.Message, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> tuple[str, ...]:
    """Addresses owned by qname or its CNAME chain; records for other names are not ours."""
    owners = {qname}
    current = qname
    for _ in range(MAX_CNAME_CHAIN):
        cname = next(
            (r for r in response.answer if r.rdtype == dns.rdatatype.CNAME and r.name == current),
            None,
        )
        if cname is None:
            break
        current = next(iter(cname)).target
        owners.add(current)
    found: set[str] = set()
    foreign = False
    for rrset in response.answer:
        if rrset.rdtype != rdtype or rrset.rdclass != dns.rdataclass.IN:
            continue  # another class (hypothesis found CLASS257 "A" records) is no address
        if rrset.name not in owners:
            foreign = True
            continue
        for item in rrset:
            address = getattr(item, "address", None)
            if not isinstance(address, str):
                raise WireError(ErrorCategory.DNS_MALFORMED, "an address record without address")
            found.add(str(ipaddress.ip_address(address)))
    if not found and foreign:
        raise WireError(ErrorCategory.DNS_MALFORMED, "address records for another name")
    return tuple(sorted(found)[:MAX_ADDRESSES])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def resolve_host(
    host: str,
    nameservers: Sequence[tuple[str, int]],
    timeout: float,
    *,
    gateway: Callable[[], str | None],
    clock: Callable[[], float] = time.monotonic,
    rdtype: dns.rdatatype.RdataType = dns.rdatatype.A,
) -> tuple[str, float]:
    """The address to connect to and the seconds the lookup took, through the system's
    nameservers in order (as agent/probes/lookup.py's resolve_host, without a ProbeContext).
    "auto" is the default gateway; an IP is itself. Raises WireError."""
    started = clock()
    if host == "auto":
        gw = gateway()
        if gw is None:
            raise WireError(ErrorCategory.UNREACHABLE, "no default route: no gateway to probe")
        return gw, 0.0
    if _is_ip(host):
        return host, 0.0
    if host == "localhost":
        return ("::1" if rdtype == dns.rdatatype.AAAA else "127.0.0.1"), 0.0
    if not nameservers:
        raise WireError(ErrorCategory.DNS_UNREACHABLE, "no nameserver in /etc/resolv.conf")
    errors: list[ErrorCategory] = []
    for address, port in nameservers:
        remaining = timeout - (clock() - started)
        if remaining <= 0:
            break
        answer = await ask(host, address, port, remaining, rdtype=rdtype, clock=clock)
        if answer.ok:
            return answer.addresses[0], clock() - started
        assert answer.error is not None
        if answer.error in (ErrorCategory.NXDOMAIN, ErrorCategory.NO_ANSWER):
            nx = answer.error is ErrorCategory.NXDOMAIN
            what = "no such name" if nx else "the name has no address"
            raise WireError(answer.error, f"{host}: {what}")
        errors.append(answer.error)
    if errors and all(e in (ErrorCategory.REFUSED, ErrorCategory.UNREACHABLE) for e in errors):
        raise WireError(ErrorCategory.DNS_UNREACHABLE, f"{host}: no resolver can be reached")
    dns_errors = [e for e in errors if e in DNS_CATEGORIES]
    category = dns_errors[0] if dns_errors else ErrorCategory.DNS_TIMEOUT
    raise WireError(category, f"{host}: {category.value} from the system resolver")
