"""Plain network checks run *inside* a lab namespace: `python -m tests.lab.probe CHECKS_JSON`.

(`python -m tests.lab.probe --flood URL IP CA SECONDS` is the lab's background bulk download.)

The lab runs this module with `ip netns exec <ns>` (see `Lab.probe`); it reads a JSON list of
checks (argument, or `-` for standard input), runs them all concurrently and prints a JSON list
of results in the same order. It uses only the standard library and dnspython, so it proves the
lab with plain tools, independent of the agent under test.

Checks (every one takes an optional "timeout" in seconds):

- `{"kind": "ping", "host": IP, "count": 3, "interval": 0.05}`
  -> `sent`, `received`, `loss` (0..1), `rtts` (seconds); ok when at least one reply came.
- `{"kind": "dns", "name": NAME, "server": "system" | IP, "port": 53, "rdtype": "A", "tcp": false}`
  -> `rcode` ("NOERROR", "SERVFAIL", ...), `addresses`; ok when NOERROR with an answer.
  "system" asks the first nameserver of the namespace's /etc/resolv.conf.
- `{"kind": "getaddrinfo", "name": NAME}` -> `addresses` through the C library.
- `{"kind": "tcp", "host": IP, "port": 443}` -> ok when the connection opens.
- `{"kind": "https", "url": URL, "ip": IP (optional), "method": "GET", "body": "",
   "ca": PATH, "read": MAX_BYTES, "max_time": SECONDS}`
  -> `status`, `body` (first 500 characters), `bytes`, `ttfb`; ok when a status line came.
  Without "ip" the host name is resolved by getaddrinfo. With "max_time" the body is read for
  at most that long (for throughput checks: `bytes` / `body_time`).

Every result has `ok`, `elapsed` and, on failure, `stage` (resolve/connect/tls/http) and
`error`, a short class: timeout, refused, reset, unreachable, tls, nxdomain, servfail, ...
"""

from __future__ import annotations

import errno
import json
import os
import select
import socket
import ssl
import struct
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit


def _classify(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "tls_verify"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "reset"
    if isinstance(exc, ssl.SSLError):
        return "tls"
    if isinstance(exc, socket.gaierror):
        return "resolve"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "unreachable"
    if isinstance(exc, OSError) and exc.errno == errno.ECONNRESET:
        return "reset"
    return type(exc).__name__


def _fail(result: dict[str, Any], stage: str, exc: BaseException) -> dict[str, Any]:
    result.update(ok=False, stage=stage, error=_classify(exc), detail=str(exc)[:300])
    return result


# --------------------------------------------------------------------------------------------


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def check_ping(c: dict[str, Any]) -> dict[str, Any]:
    host = c["host"]
    count = int(c.get("count", 3))
    interval = float(c.get("interval", 0.05))
    timeout = float(c.get("timeout", 1.0))
    raw = False
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    except PermissionError:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        raw = True
    ident = os.getpid() & 0xFFFF
    sent: dict[int, float] = {}
    rtts: dict[int, float] = {}
    errors: list[str] = []
    start = time.monotonic()
    try:
        sock.setblocking(False)
        next_send = start
        seq = 0
        deadline = None
        while True:
            now = time.monotonic()
            if seq < count and now >= next_send:
                header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
                payload = struct.pack("!d", now) + b"ozp-lab-ping"
                packet = (
                    struct.pack("!BBHHH", 8, 0, _checksum(header + payload), ident, seq) + payload
                )
                try:
                    sock.sendto(packet, (host, 0))
                except OSError as e:
                    errors.append(_classify(e))
                sent[seq] = now
                seq += 1
                next_send = now + interval
                if seq == count:
                    deadline = now + timeout
            if deadline is not None and (now >= deadline or len(rtts) == count):
                break
            wait = (next_send if seq < count else deadline or now) - now
            ready, _, _ = select.select([sock], [], [], max(0.0, min(wait, 0.05)))
            if not ready:
                continue
            try:
                data, _addr = sock.recvfrom(2048)
            except OSError as e:
                errors.append(_classify(e))
                continue
            if raw:
                data = data[(data[0] & 0x0F) * 4 :]
            if len(data) < 8 or data[0] != 0:
                continue
            _t, _code, _ck, rid, rseq = struct.unpack("!BBHHH", data[:8])
            if raw and rid != ident:
                continue
            if rseq in sent and rseq not in rtts:
                rtts[rseq] = time.monotonic() - sent[rseq]
    finally:
        sock.close()
    received = len(rtts)
    return {
        "ok": received > 0,
        "sent": count,
        "received": received,
        "loss": 1 - received / count if count else 0.0,
        "rtts": [rtts[k] for k in sorted(rtts)],
        "errors": sorted(set(errors)),
        "elapsed": time.monotonic() - start,
    }


def check_dns(c: dict[str, Any]) -> dict[str, Any]:
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    server = c.get("server", "system")
    port = int(c.get("port", 53))
    if server == "system":
        import dns.resolver

        server = dns.resolver.Resolver(configure=True).nameservers[0]
    timeout = float(c.get("timeout", 2.0))
    rdtype = dns.rdatatype.from_text(c.get("rdtype", "A"))
    query = dns.message.make_query(c["name"], rdtype)
    result: dict[str, Any] = {"server": server}
    start = time.monotonic()
    try:
        if c.get("tcp"):
            resp = dns.query.tcp(query, server, timeout=timeout, port=port)
        else:
            resp = dns.query.udp(query, server, timeout=timeout, port=port)
    except dns.exception.Timeout as e:
        result["elapsed"] = time.monotonic() - start
        return _fail(result, "dns", TimeoutError(str(e)))
    except Exception as e:
        result["elapsed"] = time.monotonic() - start
        return _fail(result, "dns", e)
    result["elapsed"] = time.monotonic() - start
    rcode = dns.rcode.to_text(resp.rcode())
    addresses = [rd.to_text() for rrset in resp.answer if rrset.rdtype == rdtype for rd in rrset]
    result.update(rcode=rcode, addresses=addresses, tc=bool(resp.flags & 0x0200))
    result["ok"] = rcode == "NOERROR" and bool(addresses)
    if not result["ok"]:
        result.update(stage="dns", error=rcode.lower() if rcode != "NOERROR" else "noanswer")
    return result


def check_getaddrinfo(c: dict[str, Any]) -> dict[str, Any]:
    start = time.monotonic()
    result: dict[str, Any] = {}
    try:
        infos = socket.getaddrinfo(c["name"], 443, socket.AF_INET, socket.SOCK_STREAM)
    except OSError as e:
        result["elapsed"] = time.monotonic() - start
        return _fail(result, "resolve", e)
    result.update(ok=True, addresses=sorted({i[4][0] for i in infos}))
    result["elapsed"] = time.monotonic() - start
    return result


def check_tcp(c: dict[str, Any]) -> dict[str, Any]:
    start = time.monotonic()
    result: dict[str, Any] = {}
    try:
        with socket.create_connection(
            (c["host"], int(c.get("port", 443))), timeout=float(c.get("timeout", 2.0))
        ):
            pass
    except OSError as e:
        result["elapsed"] = time.monotonic() - start
        return _fail(result, "connect", e)
    result.update(ok=True, elapsed=time.monotonic() - start)
    return result


def check_https(c: dict[str, Any]) -> dict[str, Any]:
    url = urlsplit(c["url"])
    host = url.hostname or ""
    port = url.port or 443
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    timeout = float(c.get("timeout", 3.0))
    method = c.get("method", "GET")
    body = c.get("body", "").encode()
    limit = int(c.get("read", 65536))
    max_time = c.get("max_time")
    result: dict[str, Any] = {}
    start = time.monotonic()

    def done() -> dict[str, Any]:
        result["elapsed"] = time.monotonic() - start
        return result

    ip = c.get("ip")
    if not ip:
        try:
            ip = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
        except OSError as e:
            _fail(result, "resolve", e)
            return done()
    result["ip"] = ip
    try:
        sock = socket.create_connection((ip, port), timeout=timeout)
    except OSError as e:
        _fail(result, "connect", e)
        return done()
    result["connect"] = time.monotonic() - start
    try:
        ctx = ssl.create_default_context(cafile=c.get("ca"))
        try:
            tls = ctx.wrap_socket(sock, server_hostname=host)
        except OSError as e:
            _fail(result, "tls", e)
            return done()
        result["tls"] = time.monotonic() - start
        with tls:
            request = (
                f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: ozp-lab-probe\r\n"
                f"Accept: */*\r\nConnection: close\r\n"
            ).encode()
            if body or method == "POST":
                request += (
                    b"Content-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n"
                )
            tls.sendall(request + b"\r\n" + body)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    if not data:
                        result["ttfb"] = time.monotonic() - start
                    data += chunk
                    if len(data) > 65536:
                        break
            except OSError as e:
                _fail(result, "http", e)
                return done()
            head, _, rest = data.partition(b"\r\n\r\n")
            status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = status_line.split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                result.update(ok=False, stage="http", error="garbage", detail=status_line[:100])
                return done()
            result["status"] = int(parts[1])
            body_start = time.monotonic()
            received = rest
            body_deadline = body_start + float(max_time) if max_time is not None else None
            try:
                while len(received) < limit:
                    if body_deadline is not None:
                        left = body_deadline - time.monotonic()
                        if left <= 0:
                            break
                        tls.settimeout(min(timeout, left))
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    received += chunk
            except TimeoutError:
                if body_deadline is None:
                    result["body_error"] = "timeout"
            except OSError as e:
                result["body_error"] = _classify(e)
            result["body_time"] = time.monotonic() - body_start
            result["bytes"] = len(received)
            result["body"] = received[:500].decode("utf-8", "replace")
            result["ok"] = True
    except OSError as e:
        _fail(result, "http", e)
    finally:
        sock.close()
    return done()


CHECKS = {
    "ping": check_ping,
    "dns": check_dns,
    "getaddrinfo": check_getaddrinfo,
    "tcp": check_tcp,
    "https": check_https,
}


def run_one(c: dict[str, Any]) -> dict[str, Any]:
    try:
        result = CHECKS[c["kind"]](c)
    except Exception as e:  # a bug in a check must not hide the other results
        result = {"ok": False, "stage": "probe", "error": type(e).__name__, "detail": str(e)}
    result["check"] = c
    return result


def run_checks(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not checks:
        return []
    with ThreadPoolExecutor(max_workers=min(64, len(checks))) as pool:
        return list(pool.map(run_one, checks))


def flood(url: str, ip: str, ca: str, seconds: float, flows: int = 2) -> int:
    """Download `url` from `ip` over and over on `flows` connections for at most `seconds`.

    The background load of the lab's "uplink_saturated" fault; bounded in time by itself.
    """
    end = time.monotonic() + seconds

    def loop() -> None:
        while (left := end - time.monotonic()) > 0:
            check_https(
                {"url": url, "ip": ip, "ca": ca, "timeout": 10, "read": 1 << 40, "max_time": left}
            )
            time.sleep(0.2)

    with ThreadPoolExecutor(max_workers=flows) as pool:
        for _ in range(flows):
            pool.submit(loop)
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--flood":
        url, ip, ca, seconds = argv[1:5]
        return flood(url, ip, ca, float(seconds))
    text = sys.stdin.read() if not argv or argv[0] == "-" else argv[0]
    checks = json.loads(text)
    print(json.dumps(run_checks(checks)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
