"""agent.net.http1 against the real loopback web server (tests/support/webserver.py): phases,
1xx answers, every malformed peer byte as `http_protocol`, body caps, streaming, secrets."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Coroutine, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.net import http1
from agent.net.errors import WireError
from agent.net.http1 import Response, request
from agent.results import ErrorCategory
from tests.support.pki import CA
from tests.support.webserver import WebServer

SECRET = "s3cr3t-api-key-0123456789abcdef"


def run(coro: Coroutine[Any, Any, Response]) -> Response:
    return asyncio.run(coro)


async def loopback(host: str) -> tuple[str, float]:
    return "127.0.0.1", 0.001


def plain_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@pytest.fixture(scope="module")
def web() -> Iterator[WebServer]:
    with WebServer() as ws:
        yield ws


def get(web: WebServer, behaviour: str = "ok", *, path: str = "/", **kw: Any) -> Response:
    host = f"{behaviour}.test"
    params = kw.pop("params", {})
    web.set_behaviour(host, behaviour, **params)
    kw.setdefault("timeout", 5.0)
    kw.setdefault("max_body", 1 << 20)
    kw.setdefault("resolve", loopback)
    return run(request(f"http://{host}:{web.port}{path}", ssl_context=plain_context, **kw))


def failure(web: WebServer, behaviour: str, **kw: Any) -> WireError:
    with pytest.raises(WireError) as err:
        get(web, behaviour, **kw)
    return err.value


def test_a_plain_answer_is_timed_phase_by_phase(web: WebServer) -> None:
    r = get(web)
    assert (r.status, r.stage, r.complete, r.interim) == (200, "done", True, [])
    assert b"test server: ok" in r.body and r.bytes_read == len(r.body)
    assert set(r.phases) == {"resolve", "connect", "processing", "transfer", "total"}
    assert r.phases["resolve"] == 0.001 and r.address == "127.0.0.1"
    assert web.requests[-1].headers["connection"] == "close"


def test_tls_adds_its_phase(ca: CA, certs: dict[str, tuple[Path, Path]]) -> None:
    with WebServer(tls=certs["good"]) as ws:
        r = run(
            request(
                f"https://seller.ozon.ru:{ws.port}/", resolve=loopback, timeout=5,
                ssl_context=lambda: ssl.create_default_context(cafile=str(ca.cert_path)),
                max_body=1024,
            )
        )  # fmt: skip
    assert r.status == 200 and "tls" in r.phases


@pytest.mark.parametrize(("interim", "status"), [([103], 503), ([100, 103], 503), ([100], 200)])
def test_interim_answers_are_skipped_and_the_final_status_counts(
    web: WebServer, interim: list[int], status: int
) -> None:
    # a 503 after a 103 Early Hints was once reported as a 103 success
    r = get(web, "interim", params={"interim": interim, "status": status})
    assert (r.status, r.interim, r.body) == (status, interim, b"final status %d\n" % status)


def test_101_switching_protocols_is_refused(web: WebServer) -> None:
    e = failure(web, "interim", params={"interim": [101], "status": 200})
    assert e.category is ErrorCategory.HTTP_PROTOCOL


@pytest.mark.parametrize(
    ("behaviour", "params", "detail"),
    [
        ("long_header", {"size": 70 * 1024}, "a header line longer than 64 KiB"),
        ("negative_chunk", {}, "a malformed chunk size"),
        ("bad_length", {"value": "١٠"}, "a malformed Content-Length"),
        ("bad_length", {"value": "-1"}, "a malformed Content-Length"),
        ("garbage", {}, "the answer is not HTTP/1.x"),
        (
            "raw",
            {"data": "HTTP/1.1 200 " + "x" * 70000 + "\r\n\r\n"},
            "the status line longer than 64 KiB",
        ),
        (
            "raw",
            {
                "data": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "f" * 70000
                + "\r\n"
            },
            "a chunk-size line longer than 64 KiB",
        ),
        (
            "raw",
            {"data": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
            "a malformed chunk size",
        ),
        (
            "raw",
            {
                "data": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n"
            },
            "a chunk longer than its size",
        ),
        (
            "raw",
            {"data": "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"},
            "two different Content-Length headers",
        ),
        (
            "raw",
            {"data": "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello"},
            "two different Content-Length values",
        ),
        (
            "raw",
            {"data": "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"},
            "a malformed HTTP header line",
        ),
        ("raw", {"data": "HTTP/1.1 200 OK\r\nName : v\r\n\r\n"}, "a malformed HTTP header line"),
        (
            "raw",
            {"data": "HTTP/1.1 200 OK\r\n" + "X-A: b\r\n" * 101 + "\r\n"},
            "more than 100 HTTP headers",
        ),
        ("raw", {"data": "HTTP/1.1 99 Low\r\n\r\n"}, "the answer is not HTTP/1.x"),
        ("raw", {"data": "HTTP/1.1 600 High\r\n\r\n"}, "impossible HTTP status 600"),
        ("raw", {"data": "HTTP/1.1 ²00 OK\r\n\r\n"}, "the answer is not HTTP/1.x"),
        (
            "raw",
            {"data": "HTTP/1.1 100 Continue\r\n\r\n" * 9 + "HTTP/1.1 200 OK\r\n\r\n"},
            "more than 8 interim (1xx) answers",
        ),
        (
            "raw",
            {"data": "HTTP/1.1 200 OK\r\nX-A: b"},
            "the connection closed inside a header line",
        ),
    ],
)
def test_every_malformed_answer_is_http_protocol(
    web: WebServer, behaviour: str, params: dict[str, Any], detail: str
) -> None:
    e = failure(web, behaviour, params=params)
    assert (e.category, e.detail) == (ErrorCategory.HTTP_PROTOCOL, detail)
    assert e.response is not None and e.response.stage in ("processing", "transfer")


def test_a_closed_connection_and_a_cut_body_are_resets(web: WebServer) -> None:
    e = failure(web, "raw", params={"data": ""})
    assert (e.category, e.detail) == (
        ErrorCategory.RESET,
        "the server closed the connection without answering",
    )
    e = failure(web, "raw", params={"data": "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"})
    assert e.category is ErrorCategory.RESET and e.response is not None
    assert (e.response.status, e.response.bytes_read, e.response.stage) == (200, 3, "transfer")


def test_a_timeout_tells_how_far_it_got(web: WebServer) -> None:
    e = failure(web, "hang", timeout=0.5)
    assert e.category is ErrorCategory.TIMEOUT and e.response is not None
    assert e.response.stage == "processing" and "connect" in e.response.phases
    assert e.detail == "timed out waiting for the first byte of the answer"


def test_a_body_that_freezes_tells_how_many_bytes_the_server_delivered(web: WebServer) -> None:
    # the kernel's count of every byte the server delivered (TLS records too, in real use):
    # what a box that freezes connections after so many bytes counts, not the body alone
    e = failure(web, "stall", timeout=0.8, params={"after": 12000, "size": 65536})
    assert e.category is ErrorCategory.TIMEOUT and e.response is not None
    r = e.response
    assert (r.stage, r.bytes_read) == ("transfer", 12000)
    assert 12000 + 60 < r.received < 12000 + 400  # the status line and headers come first
    done = get(web, "big", params={"size": 5000})
    assert done.complete and 5000 < done.received < 5400


def test_a_resolver_that_never_answers_is_a_dns_timeout(web: WebServer) -> None:
    async def never(host: str) -> tuple[str, float]:
        await asyncio.sleep(10)
        raise AssertionError("unreachable")

    e = failure(web, "ok", timeout=0.3, resolve=never)
    assert e.category is ErrorCategory.DNS_TIMEOUT and e.response is not None
    assert e.response.stage == "resolve"


def test_refused_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: the kernel answers RST
        with pytest.raises(WireError) as err:
            run(
                request(
                    f"http://x.test:{port}/", resolve=loopback, ssl_context=plain_context,
                    timeout=2, max_body=10,
                )
            )  # fmt: skip
    assert err.value.category is ErrorCategory.REFUSED
    assert err.value.response is not None and err.value.response.stage == "connect"


def test_the_body_cap_and_enough_stop_reading(web: WebServer) -> None:
    r = get(web, "big", params={"size": 5 << 20}, max_body=100_000)
    assert (r.status, r.bytes_read, len(r.body), r.complete) == (200, 100_000, 100_000, False)

    def headers_only(status: int, headers: Mapping[str, str], body: bytes) -> bool:
        return True

    r = get(web, "big", params={"size": 5 << 20}, enough=headers_only)
    assert (r.status, r.bytes_read, r.body, r.complete) == (200, 0, b"", False)
    assert r.headers["content-length"] == str(5 << 20)

    def first_kib(status: int, headers: Mapping[str, str], body: bytes) -> bool:
        return len(body) >= 1024

    r = get(web, "big", params={"size": 5 << 20}, enough=first_kib)
    assert 1024 <= r.bytes_read <= http1.CHUNK


def test_streaming_counts_and_times_without_keeping(web: WebServer) -> None:
    seen: list[tuple[int, float]] = []
    r = get(
        web, "big", params={"size": 3 << 20}, max_body=2 << 20,
        on_chunk=lambda n, now: seen.append((n, now)),
        headers={"Range": "bytes=0-2097151"},
    )  # fmt: skip
    assert r.body == b"" and r.bytes_read == sum(n for n, _ in seen) == 2 << 20
    assert [t for _, t in seen] == sorted(t for _, t in seen)
    assert web.requests[-1].headers["range"] == "bytes=0-2097151"


def test_upload_streams_the_given_size(web: WebServer) -> None:
    sent: list[int] = []
    r = get(web, "ok", method="POST", upload_size=300_000, on_sent=lambda n, now: sent.append(n))
    assert r.status == 200 and r.bytes_sent == sum(sent) == 300_000
    assert "upload" in r.phases and len(web.requests[-1].body) == 300_000


def test_a_secret_header_never_reaches_an_error(web: WebServer) -> None:
    e = failure(web, "ok", headers={"Api-Key": SECRET + "\r\nX-Injected: 1"})
    assert e.category is ErrorCategory.INTERNAL
    assert (
        e.detail == "the Api-Key header holds characters HTTP cannot carry (control or non-ASCII)"
    )
    e = failure(web, "ok", headers={"Api-Key": "ключ" + SECRET})
    assert SECRET not in str(e) and "ключ" not in str(e)
    # a failure after the key was sent: the partial response carries no request headers
    e = failure(web, "hang", timeout=0.3, headers={"Api-Key": SECRET})
    assert SECRET not in f"{e} {e.detail} {e.response!r}"


# ---------------------------------------------------------------------------------------
# Fuzzing, through the real server's raw behaviour: each example is a real TCP exchange, so
# the stream's own framing (partial reads, EOF at any byte) is part of what is fuzzed.

VALID = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 503 No\r\nContent-Length: 2\r\n\r\nno",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    b"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nthe rest until close",
]


@st.composite
def mutated_response(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut", "repeat"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(
                st.sampled_from(
                    [b"\r\n", b":", b"-", b"\x00", b" ", b"\xd9\xa1", b"f" * 20, b"9" * 30]
                )
            )
        elif op == "delete" and data:
            del data[i]
        elif op == "cut":
            del data[i:]
        elif op == "repeat":
            data[i:i] = data[i : i + draw(st.integers(1, 40))] * draw(st.integers(2, 50))
    return bytes(data)


FUZZ = settings(
    max_examples=150, deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)  # fmt: skip


def exchange_or_classified(web: WebServer, data: bytes) -> None:
    web.set_behaviour("fuzz.test", "raw", data=data.decode("latin-1"))
    try:
        r = run(
            request(
                f"http://fuzz.test:{web.port}/", resolve=loopback, ssl_context=plain_context,
                timeout=3, max_body=4096,
            )
        )  # fmt: skip
    except WireError as e:
        assert e.category in (ErrorCategory.HTTP_PROTOCOL, ErrorCategory.RESET), e
        assert e.category is not ErrorCategory.TIMEOUT
        return
    assert r.status is not None and 200 <= r.status <= 599 and r.stage == "done"


@FUZZ
@given(data=mutated_response())
def test_mutated_answers_give_a_response_or_a_classified_error(web: WebServer, data: bytes) -> None:
    exchange_or_classified(web, data)


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_give_a_response_or_a_classified_error(web: WebServer, data: bytes) -> None:
    exchange_or_classified(web, data)
