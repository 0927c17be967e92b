"""agent/net/ttl.py on loopback: a real raw socket picks a connection's SYN-ACK and RST out of
every TCP packet the machine receives (root, as CI runs; the lab shows a reset injected on the
way, tests/test_lab_diagnosis.py `reset_on_the_way`)."""

from __future__ import annotations

import os
import socket
import struct
import threading

import pytest

from agent.net.ttl import ResetWatch, Ttls

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="raw sockets need root")


def _resetting_server() -> tuple[socket.socket, threading.Thread]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve() -> None:
        conn, _ = srv.accept()
        conn.recv(10)  # the client's first bytes, then a reset (SO_LINGER 0)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return srv, t


def test_a_servers_own_reset_comes_with_its_syn_acks_ttl() -> None:
    srv, t = _resetting_server()
    port = srv.getsockname()[1]
    watch, other = ResetWatch.open("127.0.0.1"), ResetWatch.open("127.0.0.1")
    elsewhere = ResetWatch.open("127.0.0.2")
    assert watch is not None and other is not None and elsewhere is not None
    try:
        client = socket.create_connection(("127.0.0.1", port))
        client.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 33)  # ours: must not be read
        local = client.getsockname()[1]
        client.sendall(b"hello")
        t.join(5)
        with pytest.raises(ConnectionResetError):
            for _ in range(50):
                if not client.recv(10):
                    break
        ttls = watch.ttls(port, local)
        assert ttls.server == ttls.reset == 64  # one stack, one path: alike, nothing claimed
        # a second watch saw the same packets, but they are not another connection's
        assert other.ttls(port, local + 1) == Ttls(None, None)
        # the kernel's filter kept every other peer's packets out of the queue (a router box
        # must not copy its office's traffic for each handshake): nothing to read at all
        with pytest.raises(BlockingIOError):
            elsewhere._sock.recv(65535)
    finally:
        watch.close()
        other.close()
        elsewhere.close()
        client.close()
        srv.close()


def test_no_watch_for_ipv6_or_nonsense() -> None:
    assert ResetWatch.open("::1") is None
    assert ResetWatch.open("not an address") is None
