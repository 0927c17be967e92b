"""A filtering box on loopback: a TCP relay in front of a server that looks at the first bytes
a client sends (a TLS ClientHello carries the name in clear, SNI) and, when they hold a blocked
name, resets the connection or swallows it, as DPI on a real path does; everything else it
relays untouched. The lab does the same with iptables' `-m string`; this one runs without root.

    with NameFilter(upstream_port, blocked=[b"localhost"], action="reset") as nf:
        nf.port   # connect here
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterable
from types import TracebackType

ACTIONS = ("reset", "drop", "reset_all")


class NameFilter:
    def __init__(self, upstream_port: int, blocked: Iterable[bytes], action: str = "reset"):
        assert action in ACTIONS, action
        self.upstream_port = upstream_port
        self.blocked = [b.lower() for b in blocked]
        self.action = action
        self.stopped = threading.Event()
        self.matched = 0
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []

    def __enter__(self) -> NameFilter:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopped.set()
        self._listener.close()
        for s in self._held:
            s.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(5)
        try:
            hello = client.recv(4096, socket.MSG_PEEK)
        except OSError:
            client.close()
            return
        hit = self.action == "reset_all" or any(b in hello.lower() for b in self.blocked)
        if hit:
            self.matched += 1
            if self.action == "drop":
                self._held.append(client)  # silence: the ClientHello is never answered
                return
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # RST
            return
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
