"""Link and route changes as the kernel announces them (rtnetlink), so that a cable pulled or a
default route lost is acted on at once instead of at the next probe round.

Only what the kernel broadcasts to every process is read (RTMGRP_LINK, RTMGRP_IPV4_ROUTE,
RTMGRP_IPV6_ROUTE); nothing is sent. Where netlink is not available (not Linux, a sandbox
that forbids AF_NETLINK) the agent goes on without it and relies on its probes.
"""

from __future__ import annotations

import socket

RTMGRP_LINK = 0x1
RTMGRP_IPV4_ROUTE = 0x40
RTMGRP_IPV6_ROUTE = 0x400


def route_events() -> socket.socket | None:
    """A non-blocking socket that becomes readable whenever a link or a route changes, or
    None when this process may not open one."""
    family = getattr(socket, "AF_NETLINK", None)
    if family is None:
        return None
    try:
        sock = socket.socket(family, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        sock.bind((0, RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE))
    except OSError:
        return None
    sock.setblocking(False)
    return sock


def drain(sock: socket.socket) -> int:
    """Read every pending announcement; their content does not matter (the agent re-reads the
    routing table itself), only that something changed. Returns how many were read."""
    n = 0
    while True:
        try:
            if not sock.recv(65536):
                return n
        except (BlockingIOError, InterruptedError):
            return n
        except OSError:
            return n
        n += 1
