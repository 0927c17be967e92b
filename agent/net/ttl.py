"""Who sent a reset: the TTLs of a connection's SYN-ACK and RST, read from a raw socket.

A server's SYN-ACK and its own RST leave the same stack on the same path and arrive with the
same TTL; a reset injected by a box on the way (DPI, a provider's filter) starts there, fewer
hops away, and arrives with a higher one. No socket API tells a TCP connection's TTLs, so a
raw IPPROTO_TCP socket opened before connecting gets a copy of every TCP packet the machine
receives, and after a reset the few of that connection are picked out of its queue. Needs
CAP_NET_RAW (root, or the systemd drop-in raw-sockets.conf); without it, or for IPv6, the
watch is simply absent and nothing is claimed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import socket
import struct
from dataclasses import dataclass

_SYN, _RST, _ACK = 0x02, 0x04, 0x10
SO_ATTACH_FILTER = 26  # linux/asm-generic/socket.h; the socket module does not name it
#: packets read from the queue at most: other connections' packets are in it too
_MAX_PACKETS = 4096


@dataclass(frozen=True)
class Ttls:
    server: int | None  # the SYN-ACK's
    reset: int | None  # the first RST's


class ResetWatch:
    """Open before connecting to `peer`; `ttls(port, local_port)` after a reset."""

    def __init__(self, sock: socket.socket, peer: str) -> None:
        self._sock = sock
        self._peer = socket.inet_aton(peer)

    @classmethod
    def open(cls, peer: str) -> ResetWatch | None:
        try:
            if ipaddress.ip_address(peer).version != 4:
                return None
            sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        except (OSError, ValueError):
            return None  # no CAP_NET_RAW, or not an IPv4 address: no claim either way
        sock.setblocking(False)
        _only_from(sock, peer)
        return cls(sock, peer)

    def ttls(self, port: int, local_port: int) -> Ttls:
        server = reset = None
        for _ in range(_MAX_PACKETS):
            try:
                pkt = self._sock.recv(65535)
            except OSError:  # BlockingIOError: the queue is empty
                break
            if len(pkt) < 20 or pkt[9] != socket.IPPROTO_TCP or pkt[12:16] != self._peer:
                continue
            ihl = (pkt[0] & 0x0F) * 4
            if len(pkt) < ihl + 14:
                continue
            sport, dport = struct.unpack_from("!HH", pkt, ihl)
            if (sport, dport) != (port, local_port):
                continue
            flags, ttl = pkt[ihl + 13], pkt[8]
            if flags & _RST and reset is None:
                reset = ttl
            elif flags & (_SYN | _ACK) == _SYN | _ACK and server is None:
                server = ttl
        return Ttls(server, reset)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


def _only_from(sock: socket.socket, peer: str) -> None:
    """A classic BPF filter that lets only the peer's packets into the queue: a raw socket
    gets a copy of every TCP packet the machine receives, and a router box moving its
    office's traffic must not copy all of it for each handshake. Without the filter (an
    old kernel) the watch still works, at that cost."""
    (src,) = struct.unpack("!I", socket.inet_aton(peer))
    code = struct.pack(
        "HBBI" * 4,
        0x20, 0, 0, 12,  # ld [12]: the IPv4 source address
        0x15, 0, 1, src,  # jeq peer: next, else skip one
        0x06, 0, 0, 0xFFFF,  # ret: keep (up to 64 KiB)
        0x06, 0, 0, 0,  # ret 0: drop
    )  # fmt: skip
    program = ctypes.create_string_buffer(code)
    fprog = struct.pack("HL", 4, ctypes.addressof(program))
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
