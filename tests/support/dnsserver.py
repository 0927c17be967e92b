"""Authoritative-style DNS server on UDP and TCP (same port) with switchable failure modes.

In-process:
    with DnsServer(zone={"api-seller.ozon.ru": ["10.0.0.2"]}) as srv:
        srv.port; srv.set_mode("truncate"); ...; srv.queries["tcp"]

Program (for the lab):
    python -m tests.support.dnsserver --listen 127.0.0.1:5353 --zone zone.json \
        [--mode-file modes.json] [--forward IP:PORT]
prints "ready HOST:PORT" on stdout once both sockets are bound, runs until SIGTERM.

Zone file: {"api-seller.ozon.ru": ["10.0.0.2", ...], ...}. Names are
case-insensitive, trailing dot optional. A queries get the addresses, any other
type for a known name gets an empty NOERROR; unknown names get NXDOMAIN, or are
relayed to the --forward upstream (a router's forwarding resolver).

Modes (set_mode(mode, **params), or the mode file {"mode": ..., **params};
a missing or empty mode file means "normal"):
    normal                        answer from the zone
    servfail | nxdomain | refused every query gets that rcode
    silent                        no reply at all
    lie       address=IPv4        every A query answered with `address`
    udp_lie   address=IPv4        as lie over UDP; TCP answers normally (what a transparent
                                  DNS proxy on the way does to the office's questions)
    udp_nxdomain                  NXDOMAIN over UDP; TCP answers normally
    truncate                      UDP: TC bit and no answers; TCP answers normally
    garbage                       reply bytes that are not a DNS message
    delay     seconds=N           answer normally after N seconds
Hostile answers (issue 13):
    many      count=N             A queries: N addresses (10.0.0.0 up) for the name asked
                                  (over UDP that is TC, then all of them over TCP)
    other_name name=NAME          A queries: the zone's addresses (or 198.51.100.7) owned
                                  by NAME instead of the name asked; question unchanged
    raw       hex=HEX             exactly these bytes, the first two replaced by the
                                  query's id (so a client fails on the content, not the id)
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from .common import (
    ConnectionTracker,
    ModeFile,
    QuietServerMixin,
    ServerGroup,
    family_for,
    log,
    parse_hostport,
    run_until_signal,
    serve_in_thread,
)

COMPONENT = "dnsserver"
MODES = (
    "normal",
    "servfail",
    "nxdomain",
    "refused",
    "silent",
    "lie",
    "udp_lie",
    "udp_nxdomain",
    "truncate",
    "garbage",
    "delay",
    "many",
    "other_name",
    "raw",
)
_RCODE_MODES = {
    "servfail": dns.rcode.SERVFAIL,
    "nxdomain": dns.rcode.NXDOMAIN,
    "refused": dns.rcode.REFUSED,
}
# Header-sized and then some, but the counts in it make any parser give up.
_GARBAGE = b"\xff\xff\xff\xff\xff\xff\xff\xffthis is not a DNS message"
_TCP_IDLE_TIMEOUT = 30.0


@dataclass(frozen=True)
class QueryRecord:
    transport: str  # "udp" | "tcp"
    name: str  # normalised: lower case, no trailing dot
    rdtype: str  # "A", "AAAA", ...
    mode: str  # the mode in force when the query arrived


def normalize_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _normalize_zone(zone: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, addresses in zone.items():
        if isinstance(addresses, str):
            raise ValueError(f"zone entry {name!r}: expected a list of IPv4 addresses")
        out[normalize_name(name)] = [str(ipaddress.IPv4Address(a)) for a in addresses]
    return out


def _validate_mode(mode: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if mode not in MODES:
        raise ValueError(f"unknown DNS mode {mode!r}; known: {', '.join(MODES)}")
    wanted = {
        "lie": {"address"}, "udp_lie": {"address"}, "delay": {"seconds"}, "many": {"count"}, "other_name": {"name"},
        "raw": {"hex"},
    }.get(mode, set())  # fmt: skip
    if set(params) != wanted:
        raise ValueError(f"mode {mode!r} takes exactly {sorted(wanted)}, got {sorted(params)}")
    if mode in ("lie", "udp_lie"):
        return {"address": str(ipaddress.IPv4Address(params["address"]))}
    if mode == "delay":
        seconds = float(params["seconds"])
        if seconds < 0:
            raise ValueError("delay seconds must be >= 0")
        return {"seconds": seconds}
    if mode == "many":
        return {"count": int(params["count"])}
    if mode == "other_name":
        return {"name": str(params["name"])}
    if mode == "raw":
        return {"hex": bytes.fromhex(str(params["hex"])).hex()}
    return {}


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class _UDPHandler(socketserver.BaseRequestHandler):
    server: _UDPServer

    def handle(self) -> None:
        data, sock = self.request
        reply = self.server.owner.answer(data, "udp")
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        owner = self.server.owner
        sock: socket.socket = self.request
        if not owner.tracker.add(sock):
            return
        sock.settimeout(_TCP_IDLE_TIMEOUT)
        try:
            # RFC 7766: a client may send several length-prefixed queries per connection.
            while True:
                header = _recv_exact(sock, 2)
                if header is None:
                    return
                data = _recv_exact(sock, struct.unpack("!H", header)[0])
                if data is None:
                    return
                reply = owner.answer(data, "tcp")
                if reply is not None:
                    sock.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return  # client went away, idle timeout, or stop() cut the socket
        finally:
            owner.tracker.discard(sock)


class _UDPServer(QuietServerMixin, socketserver.ThreadingUDPServer):
    daemon_threads = True
    component = COMPONENT

    def __init__(self, address: tuple[str, int], owner: DnsServer):
        self.address_family = family_for(address[0])
        self.owner = owner
        self.tracker = owner.tracker
        super().__init__(address, _UDPHandler)


class _TCPServer(QuietServerMixin, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True  # lab restarts must not trip over TIME_WAIT
    component = COMPONENT

    def __init__(self, address: tuple[str, int], owner: DnsServer):
        self.address_family = family_for(address[0])
        self.owner = owner
        self.tracker = owner.tracker
        super().__init__(address, _TCPHandler)


class DnsServer(ServerGroup):
    def __init__(
        self,
        zone: Mapping[str, Sequence[str]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        forward: tuple[str, int] | None = None,
        mode_file: str | Path | None = None,
        ttl: int = 60,
        forward_timeout: float = 2.0,
    ):
        self.host = host
        self.port = port  # the real port once started
        self.forward = forward
        self.ttl = ttl
        self.forward_timeout = forward_timeout
        self.zone = _normalize_zone(zone or {})
        self.queries: dict[str, int] = {"udp": 0, "tcp": 0}
        self.log: list[QueryRecord] = []
        self.tracker = ConnectionTracker()
        self._mode: tuple[str, dict[str, Any]] = ("normal", {})
        self._lock = threading.Lock()
        self._mode_file = (
            ModeFile(mode_file, self._apply_mode_file, COMPONENT) if mode_file else None
        )
        self._servers: list[socketserver.BaseServer] = []

    # --- control -------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode[0]

    @property
    def mode_params(self) -> dict[str, Any]:
        return dict(self._mode[1])

    def set_mode(self, mode: str, **params: Any) -> None:
        """Switch mode now, e.g. set_mode("lie", address="198.51.100.66")."""
        self._mode = (mode, _validate_mode(mode, params))  # one atomic assignment

    def set_zone(self, zone: Mapping[str, Sequence[str]]) -> None:
        self.zone = _normalize_zone(zone)

    def reset_counts(self) -> None:
        with self._lock:
            self.queries = {"udp": 0, "tcp": 0}
            self.log = []

    def _apply_mode_file(self, data: dict[str, Any]) -> None:
        params = dict(data)
        self.set_mode(str(params.pop("mode", "normal")), **params)

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> DnsServer:
        if self._mode_file:
            self._mode_file.poll()
        # UDP and TCP must share one port number. With port 0 the kernel picks
        # the TCP port, and that number may be taken for UDP: then try again.
        for _ in range(50):
            tcp = _TCPServer((self.host, self.port), self)
            try:
                udp = _UDPServer((self.host, tcp.server_address[1]), self)
            except OSError:
                tcp.server_close()
                if self.port:
                    raise
                continue
            break
        else:
            raise OSError("could not bind UDP and TCP on the same port")
        self.port = tcp.server_address[1]
        self._servers = [udp, tcp]
        serve_in_thread(udp, f"dns-udp-{self.port}")
        serve_in_thread(tcp, f"dns-tcp-{self.port}")
        return self

    # --- the DNS logic -------------------------------------------------------

    def answer(self, wire: bytes, transport: str) -> bytes | None:
        """Reply (wire format) to one query received over `transport`; None = stay silent."""
        if self._mode_file:
            self._mode_file.poll()
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None  # not DNS: a real server drops it too
        mode, params = self._mode
        question = query.question[0] if query.question else None
        with self._lock:
            self.queries[transport] += 1
            self.log.append(
                QueryRecord(
                    transport,
                    normalize_name(question.name.to_text()) if question else "",
                    dns.rdatatype.to_text(question.rdtype) if question else "",
                    mode,
                )
            )

        if mode in ("udp_lie", "udp_nxdomain"):
            # the proxy answers UDP itself; TCP reaches the real server
            mode = (
                {"udp_lie": "lie", "udp_nxdomain": "nxdomain"}[mode]
                if transport == "udp"
                else "normal"
            )
        if mode == "silent":
            return None
        if mode == "garbage":
            # Keep the query ID so the client fails on parsing, not on ID matching.
            return wire[:2] + _GARBAGE
        if mode == "raw":
            data = bytes.fromhex(params["hex"])
            return wire[:2] + data[2:] if len(data) >= 2 else data
        if mode == "delay" and self.tracker.stopping.wait(params["seconds"]):
            return None
        response = dns.message.make_response(query)
        if mode == "truncate" and transport == "udp":
            response.flags |= dns.flags.TC
            return response.to_wire()
        if mode in _RCODE_MODES:
            response.set_rcode(_RCODE_MODES[mode])
            return response.to_wire()
        if question is None or question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.FORMERR if question is None else dns.rcode.REFUSED)
            return response.to_wire()

        name = normalize_name(question.name.to_text())
        if mode in ("many", "other_name") and question.rdtype == dns.rdatatype.A:
            if mode == "many":
                owner, ips = (
                    question.name,
                    [str(ipaddress.IPv4Address(0x0A000000 + i)) for i in range(params["count"])],
                )
            else:
                owner = dns.name.from_text(params["name"])
                ips = self.zone.get(name) or ["198.51.100.7"]
            response.answer.append(dns.rrset.from_text_list(owner, self.ttl, "IN", "A", ips))
            return self._encode(response, query, transport)
        addresses: list[str] | None
        if mode == "lie":
            # The lie claims every name exists: A gets the address, others NODATA.
            addresses = [params["address"]] if question.rdtype == dns.rdatatype.A else []
        else:
            addresses = self.zone.get(name)
        if addresses is None:
            if self.forward:
                return self._forward(query, transport)
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            response.flags |= dns.flags.AA
            if question.rdtype == dns.rdatatype.A and addresses:
                response.answer.append(
                    dns.rrset.from_text_list(question.name, self.ttl, "IN", "A", addresses)
                )
        return self._encode(response, query, transport)

    def _encode(
        self, response: dns.message.Message, query: dns.message.Message, transport: str
    ) -> bytes:
        if transport == "tcp":
            return response.to_wire()
        limit = max(512, query.payload) if query.edns >= 0 else 512
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            # What a real server does with an oversized UDP answer: TC, retry over TCP.
            short = dns.message.make_response(query)
            short.flags |= dns.flags.TC | (response.flags & dns.flags.AA)
            return short.to_wire()

    def _forward(self, query: dns.message.Message, transport: str) -> bytes:
        assert self.forward is not None
        ip, port = self.forward
        try:
            if transport == "udp":
                upstream = dns.query.udp(query, ip, port=port, timeout=self.forward_timeout)
            else:
                upstream = dns.query.tcp(query, ip, port=port, timeout=self.forward_timeout)
        except (dns.exception.DNSException, OSError) as exc:
            log(COMPONENT, f"forward to {ip}:{port} failed: {exc!r}")
            failure = dns.message.make_response(query)
            failure.set_rcode(dns.rcode.SERVFAIL)
            return failure.to_wire()
        upstream.flags |= dns.flags.RA  # we acted as a recursive resolver for this one
        return self._encode(upstream, query, transport)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Test DNS server (UDP+TCP, switchable modes).")
    parser.add_argument("--listen", required=True, help="IP:PORT for both UDP and TCP")
    parser.add_argument("--zone", type=Path, help="JSON {name: [IPv4, ...]}")
    parser.add_argument(
        "--mode-file", type=Path, help='JSON {"mode": ..., params}; re-read on change'
    )
    parser.add_argument("--forward", help="IP:PORT upstream for names not in the zone")
    parser.add_argument("--ttl", type=int, default=60)
    args = parser.parse_args(argv)
    host, port = parse_hostport(args.listen)
    zone = json.loads(args.zone.read_text()) if args.zone else {}
    server = DnsServer(
        zone,
        host=host,
        port=port,
        forward=parse_hostport(args.forward) if args.forward else None,
        mode_file=args.mode_file,
        ttl=args.ttl,
    ).start()
    print(f"ready {host}:{server.port}", flush=True)
    started = time.monotonic()
    try:
        run_until_signal()
    finally:
        server.stop()
        log(COMPONENT, f"stopped after {time.monotonic() - started:.1f}s, queries={server.queries}")


if __name__ == "__main__":
    main()
