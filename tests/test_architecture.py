"""The shape of the code: a probe kind is one unit.

- Outside `agent/probes/`, no code compares a kind's name or tests a result's type to decide
  what to do (the registry and the results' own answers say it instead).
- A new kind is one module-like spec plus its registration: the toy kind below is written the
  way docs/architecture.md says, registered in the test alone, and the config parser, the
  scheduler, the exporter and the status document all handle it without a line changed.
- The rules table and the table in docs/diagnosis.md are the same rows in the same order.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client import generate_latest

from agent.config import ConfigError, KindSettings, Target
from agent.diagnosis.rules import RULES
from agent.exporter import make_registry
from agent.net.deadline import within
from agent.probes import KINDS
from agent.probes.base import (
    Count,
    Family,
    KindSpec,
    Outcome,
    ProbeContext,
    Sample,
    close_quietly,
    open_tcp,
)
from agent.results import ProbeData, ProbeResult
from agent.runtime import Runtime
from tests.conftest import ROOT, config_for

NAMES = "|".join(re.escape(k) for k in KINDS)
FORBIDDEN = [
    # kind == "http", r.kind != 'dns', kind in ("icmp", ...)
    (re.compile(r"\bkind\w*\s*(==|!=)\s*[\"']"), "compares a kind's name"),
    (re.compile(rf"[\"']({NAMES})[\"']\s*(==|!=)"), "compares a kind's name"),
    (re.compile(r"\bkind\w*\s+(not\s+)?in\s*[(\[{]\s*[\"']"), "tests a kind against names"),
    (re.compile(rf"[\"']({NAMES})[\"']\s+(not\s+)?in\s+[\w.\[\]\"']*probes\b"), "looks for a kind"),
    # snap.latest.get(("icmp", name)), history[("dns", t)]
    (re.compile(rf"[(\[]\s*\(\s*[\"']({NAMES})[\"']\s*,"), "keys results by a kind's name"),
    (re.compile(r"[\"']kind[\"']\]?\)?\s*(==|!=|in\s*[(\[{]\s*[\"'])"), "compares a kind's name"),
    # isinstance(r.data, IcmpData), isinstance(d, HttpData | TlsData)
    (re.compile(r"isinstance\([^)]*,[^)]*\b[A-Z]\w*Data\b"), "tests a result's type"),
]


def _sources() -> Iterator[tuple[str, int, str]]:
    for path in sorted((ROOT / "agent").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("agent/probes/"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            yield rel, n, line.split("#", 1)[0]


def test_no_code_outside_the_probes_decides_by_kind_name_or_result_type() -> None:
    found = [
        f"{rel}:{n}: {why}: {line.strip()}"
        for rel, n, line in _sources()
        for pattern, why in FORBIDDEN
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_grep_sees_what_it_forbids() -> None:
    # the patterns must catch the shapes the old code had, or the test above proves nothing
    for bad in (
        'if kind == "http":',
        'if r.kind != "dns":',
        'kind in ("icmp", "tcp")',
        'if "dns" in t.probes',
        'snap.latest.get(("arp", t.name))',
        'r.get("kind") == "http"',
        'if r["kind"] in ("path", "arp"):',
        "isinstance(r.data, IcmpData)",
        "isinstance(d, HttpData | TlsData)",
    ):
        assert any(p.search(bad) for p, _ in FORBIDDEN), bad
    for fine in (
        "spec = KINDS[r.kind]",
        "if spec.lane is Lane.BUDGETED:",
        'name="http"',
        'if r["kind"] in rank:',
    ):
        assert not any(p.search(fine) for p, _ in FORBIDDEN), fine


# -- a toy kind, written as docs/architecture.md says ----------------------------------------


@dataclass(frozen=True, slots=True)
class BannerData(ProbeData):
    banner: str


async def banner_probe(target: Target, ctx: ProbeContext) -> Outcome:
    """Connects and reads the first line the server says (SMTP, SSH and FTP servers do)."""
    reader, writer, _ = await open_tcp(target.host, target.port, ctx.clock)
    try:
        line = await within(reader.readline(), ctx.settings.timeout)
    finally:
        await close_quietly(writer)
    text = line.decode("latin-1").strip()
    if not text:
        return Outcome(error=None, ok=False, detail="no banner", data=BannerData(""))
    return Outcome(address=target.host, data=BannerData(text))


BANNER_BYTES = Family("banner_bytes", "gauge", "Length of the last banner.", ("target",))
BANNERS = Family("banners_seen", "counter", "Banners read.", ("target",))


def banner_samples(r: ProbeResult, now: float) -> Iterable[Sample]:
    if isinstance(r.data, BannerData):
        yield BANNER_BYTES, (r.target,), len(r.data.banner)


def banner_counts(r: ProbeResult, previous: ProbeResult | None) -> Iterable[Count]:
    yield BANNERS, (r.target,), 1 if r.ok else 0


TOY = KindSpec(
    name="banner",
    probe=banner_probe,
    settings=KindSettings(interval=60, timeout=2),
    check_target=lambda url, host_is_ip, group: None if host_is_ip else "banner needs an IP",
    families=(BANNER_BYTES, BANNERS),
    samples=banner_samples,
    counts=banner_counts,
    details=lambda r: {"banner": r.data.banner} if isinstance(r.data, BannerData) else {},
)


@pytest.fixture
def banner_server() -> Iterator[int]:
    srv = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"220 toy.lab ESMTP ready\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1]
    stop.set()
    thread.join(2)
    srv.close()


def test_a_toy_kind_needs_only_its_spec_and_registration(
    monkeypatch: pytest.MonkeyPatch, banner_server: int
) -> None:
    monkeypatch.setitem(KINDS, "banner", TOY)
    cfg = config_for(
        "probes: {banner: {interval: 5s, timeout: 1s}}\n"
        f"targets: [{{name: mail, group: control, host: 127.0.0.1, port: {banner_server},"
        " probes: [banner]}]\n"
    )
    assert cfg.probes["banner"].timeout == 1.0  # the config parser learned its settings
    with pytest.raises(ConfigError, match="banner needs an IP"):  # and its target rule
        config_for("targets: [{name: m, group: control, host: mail.lab, probes: [banner]}]\n")

    rt = Runtime(cfg, environ={})
    assert rt.scheduler.kinds() == ["banner"]  # the scheduler runs it
    (r,) = asyncio.run(rt.scheduler.run_round("banner"))
    assert r.ok and r.kind == "banner" and r.target == "mail" and r.duration > 0
    rt.refresh()

    text = generate_latest(make_registry(rt)).decode()  # the exporter exposes it
    assert 'ozon_probe_banner_bytes{target="mail"} 23.0' in text
    assert 'ozon_probe_banners_seen_total{target="mail"} 1.0' in text
    assert 'ozon_probe_success{group="control",kind="banner",target="mail"} 1.0' in text

    doc: dict[str, Any] = rt.status("en")  # and the status document shows its details
    (entry,) = doc["results"]
    assert entry["banner"] == "220 toy.lab ESMTP ready"


def test_rules_are_the_rows_of_docs_diagnosis_md_in_order() -> None:
    text = (ROOT / "docs/diagnosis.md").read_text()
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \|", text, re.M)
    from tests.test_rules import CASES

    names = {rule: cause for rule, _, cause, _ in CASES}  # what each rule names when it fires
    assert [int(n) for n, _ in rows] == [row for row, _, _ in RULES]
    for (_, cause), (row, name, rule) in zip(rows, RULES, strict=True):
        assert rule.__doc__ and rule.__doc__.startswith(f"{row}."), name
        assert names[rule] == cause, name
