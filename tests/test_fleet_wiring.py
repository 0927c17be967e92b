"""The agent knows the fleet: `check`, `/api/status` and the page carry what the centre says
the other sites see, "fleet unknown" within the timeout when the centre is out of reach, and
never the centre's URL (it may hold a password)."""

from __future__ import annotations

import asyncio
import io
import json
import time

from agent.report import print_report
from agent.runtime import Runtime
from agent.web.page import render_status
from tests.conftest import config_for


def test_a_centre_out_of_reach_is_fleet_unknown_at_once() -> None:
    cfg = config_for(
        'fleet: {query_url: "http://127.0.0.1:1/select/0/prometheus", timeout: 2s}\n'
        "targets: [{name: c, group: control, host: 127.0.0.1, port: 1, probes: [tcp]}]\n"
    )
    rt = Runtime(cfg, {})
    started = time.monotonic()
    asyncio.run(rt.ask_fleet())
    assert time.monotonic() - started < 3
    doc = rt.status("ru")
    assert doc["fleet"]["state"] == "unknown" and doc["fleet"]["text"]
    text = json.dumps(doc, ensure_ascii=False)
    assert "select/0/prometheus" not in text  # the URL itself never shows
    _, page = render_status(doc, "ru")
    assert 'data-fleet="unknown"' in page.decode()
    out = io.StringIO()
    print_report(doc, "ru", out)
    assert doc["fleet"]["text"] in out.getvalue()


def test_without_a_fleet_section_nothing_is_asked() -> None:
    rt = Runtime(
        config_for("targets: [{name: c, group: control, host: 127.0.0.1, probes: [icmp]}]\n"), {}
    )
    asyncio.run(rt.ask_fleet())
    assert rt.status()["fleet"] is None


def test_a_password_in_the_centres_url_is_accepted_and_never_repeated() -> None:
    from agent.config import ConfigError

    cfg = config_for(
        'fleet: {query_url: "https://probe:s3cret-pass@centre.lab:8428"}\ntargets: []\n'
    )
    assert cfg.fleet is not None and "s3cret-pass" in cfg.fleet.query_url
    try:
        config_for('fleet: {query_url: "ftp://probe:s3cret-pass@centre.lab:8428"}\ntargets: []\n')
    except ConfigError as e:
        assert "s3cret-pass" not in str(e) and "***@" in str(e)
    else:
        raise AssertionError("an ftp URL was accepted")
