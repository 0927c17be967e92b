"""The HTTP probe is a health check, not a download: what a big page costs on the wire.

Counted by the loopback web server itself, as the bytes the probe's kernel acknowledged
(TCP_INFO), so the figure is what crossed the wire, not what the probe chose to keep."""

from __future__ import annotations

import time

import pytest

from agent.probes import http as http_probe
from agent.scheduler import measure
from tests.conftest import config_for, context
from tests.support.pki import CA
from tests.support.webserver import WebServer
from tests.test_probes import run

PAGE = 10 * 1024 * 1024
# Beyond the cap, TCP may already have the probe's receive window in flight when it aborts;
# the probe pins its buffer to the cap (the kernel doubles it), and headers and TLS records fit
# in the rest. Without the pin, loopback's autotuned window let 190-260 KiB through.
IN_FLIGHT = 32 * 1024


def _acked(ws: WebServer) -> int:
    deadline = time.monotonic() + 5
    while not ws.big_acked and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's thread notices the abort on its next write
    assert ws.big_acked, "the server never finished the answer"
    return ws.big_acked[0]


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_ten_megabyte_page_costs_the_cap_not_the_page(ca: CA, certs: dict, scheme: str) -> None:
    with WebServer(tls=certs["good"] if scheme == "https" else None) as ws:
        ws.set_behaviour("default", "big", size=PAGE)
        cfg = config_for(
            "probes:\n  http: {interval: 10s, timeout: 5s}\n"
            f'targets: [{{name: storefront, group: ozon, url: "{scheme}://localhost:{ws.port}/",'
            " probes: [http]}]\n",
            ca,
        )
        r = run(measure(http_probe.SPEC, cfg.targets[0], context(cfg, "http", None)))
        acked = _acked(ws)
    assert r.ok and r.data.status == 200  # type: ignore[union-attr]
    assert r.data.content_bytes == http_probe.MAX_BODY  # type: ignore[union-attr]
    assert http_probe.MAX_BODY <= acked <= http_probe.MAX_BODY + IN_FLIGHT, acked


def test_the_cap_is_small_and_still_holds_the_seller_api_code(ca: CA, certs: dict) -> None:
    # the Seller API's 401 without credentials is about a hundred bytes of JSON: the cap must
    # keep it whole, and the probe must still judge it by its code
    assert http_probe.MAX_BODY <= 16 * 1024
    with WebServer(tls=certs["good"]) as ws:
        ws.set_behaviour("default", "seller_api")
        cfg = config_for(
            "probes:\n  http: {interval: 10s, timeout: 5s}\n"
            f'targets: [{{name: seller_api, group: ozon, url: "https://localhost:{ws.port}/v1/roles",'
            " method: POST, body: '{}', probes: [http], expect: {status: [401], json_code: 16}}]\n",
            ca,
        )
        r = run(measure(http_probe.SPEC, cfg.targets[0], context(cfg, "http", None)))
    assert r.ok and r.data.json_code == 16 and r.data.expected  # type: ignore[union-attr]
