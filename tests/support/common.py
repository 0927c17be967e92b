"""Plumbing shared by the test servers: addresses, mode files, connection tracking."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self


def log(component: str, message: str) -> None:
    print(f"{component}: {message}", file=sys.stderr, flush=True)


def parse_hostport(text: str) -> tuple[str, int]:
    """'127.0.0.1:53' or '[::1]:53' -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"expected IP:PORT, got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def family_for(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class ModeFile:
    """Applies a JSON object from `path` whenever the file changes.

    A change is a different (mtime_ns, size, inode); checking all three catches
    both in-place edits and atomic tmp+rename replacement. Servers call poll()
    on every query/connection, so a lab script's new mode is in force for the
    very next request without any background thread. A missing file means {}
    (the server's defaults).
    """

    def __init__(self, path: str | Path, apply: Callable[[dict[str, Any]], None], component: str):
        self.path = Path(path)
        self._apply = apply
        self._component = component
        self._key: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    def poll(self) -> None:
        try:
            st = os.stat(self.path)
            key: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            key = None
        with self._lock:
            if key == self._key:
                return
            data: Any = {}
            if key is not None:
                try:
                    data = json.loads(self.path.read_text())
                except (OSError, ValueError) as exc:
                    # Most likely caught half-written (`echo > file`): keep the old
                    # mode and do not remember the key, so the next poll retries.
                    log(self._component, f"mode file {self.path}: {exc}; keeping old mode")
                    return
            # Remember the key even if the content is invalid: re-reading the same
            # bad file on every request would only spam the log.
            self._key = key
            if not isinstance(data, dict):
                log(self._component, f"mode file {self.path}: expected a JSON object")
                return
            try:
                self._apply(data)
            except (TypeError, ValueError) as exc:
                log(self._component, f"mode file {self.path}: {exc}; keeping old mode")
                return
            log(self._component, f"mode file applied: {json.dumps(data, sort_keys=True)}")


class ConnectionTracker:
    """Live connection sockets, so stop() can wake handlers stuck in recv()."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()

    def add(self, sock: socket.socket) -> bool:
        """Track `sock`; False if the server is already stopping (caller must drop it)."""
        with self._lock:
            if self.stopping.is_set():
                return False
            self._socks.add(sock)
            return True

    def discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.discard(sock)

    def cut_all(self) -> None:
        with self._lock:
            self.stopping.set()
            socks = list(self._socks)
        for sock in socks:
            # The base-class call on purpose: for TLS sockets it skips the TLS
            # close_notify and just shuts the fd, waking any blocked reader.
            # The handler thread that owns the socket closes it.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class ServerGroup:
    """The listeners of one test server (UDP+TCP, or several ports) stopped together.
    Subclasses set `tracker` and `_servers` and implement `start()`."""

    tracker: ConnectionTracker
    _servers: list[socketserver.BaseServer]

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop listening and cut every open connection, hanging ones included (this also
        wakes handlers sleeping in a delay)."""
        self.tracker.cut_all()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class QuietServerMixin:
    """socketserver error handling: one line instead of a traceback, silence while stopping."""

    tracker: ConnectionTracker
    component: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.tracker.stopping.is_set():
            return
        log(self.component, f"{client_address}: {sys.exc_info()[1]!r}")


def serve_in_thread(server: socketserver.BaseServer, name: str) -> threading.Thread:
    # A short poll interval keeps stop() (BaseServer.shutdown) fast in tests.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return thread


def run_until_signal() -> None:
    """Block the main thread until SIGINT or SIGTERM."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
