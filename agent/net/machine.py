"""What this machine says about its own network, read without sending a packet: the system
resolvers (resolv.conf), the default gateway and whether the default route's interface is up
(the kernel's routing table and /sys/class/net)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path


def system_nameservers(resolv_conf: str = "/etc/resolv.conf") -> list[tuple[str, int]]:
    from agent.config import parse_ip_port  # the config's own IP:port rule, one of them

    servers: list[tuple[str, int]] = []
    try:
        lines = Path(resolv_conf).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return servers
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            # "%eth0" scopes a link-local address; "IP:PORT" is our extension for tests
            parsed = parse_ip_port(parts[1].split("%", 1)[0], 53)
            if parsed is not None and parsed[1]:
                servers.append(parsed)
    return servers


def default_gateway(route_file: str = "/proc/net/route") -> str | None:
    """The IPv4 default gateway, read from the kernel's routing table (no packets sent)."""
    try:
        lines = Path(route_file).read_text().splitlines()[1:]
    except OSError:
        return None
    best: tuple[int, str] | None = None
    for line in lines:
        cols = line.split()
        if len(cols) < 8 or cols[1] != "00000000" or cols[7] != "00000000":
            continue
        gw_hex, metric = cols[2], int(cols[6])
        if gw_hex == "00000000":
            continue
        gw = str(ipaddress.IPv4Address(bytes.fromhex(gw_hex)[::-1]))
        if best is None or metric < best[0]:
            best = (metric, gw)
    return best[1] if best else None


@dataclass(frozen=True)
class LinkState:
    """Does this machine have a usable way out: a default route over an interface that is up?
    `problem` is "" when it does, else no_table, no_route or iface_down."""

    ok: bool
    problem: str = ""
    iface: str = ""


def link_state(route_file: str = "/proc/net/route", sys_net: str = "/sys/class/net") -> LinkState:
    try:
        lines = Path(route_file).read_text().splitlines()[1:]
    except OSError:
        return LinkState(False, "no_table")
    routes = [c for c in (line.split() for line in lines) if len(c) > 7 and c[1] == "00000000"]
    if not routes:
        return LinkState(False, "no_route")
    for cols in routes:
        try:
            oper = (Path(sys_net) / cols[0] / "operstate").read_text().strip()
        except OSError:
            oper = "unknown"
        if oper in ("up", "unknown"):
            return LinkState(True, "", cols[0])
    return LinkState(False, "iface_down", routes[0][0])
