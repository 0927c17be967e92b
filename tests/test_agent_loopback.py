"""The running agent against loopback servers: every kind of series for every target, the
documented metrics and only those, SIGHUP reloads, secrets kept out of every output."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.agentproc import ROOT, AgentProcess
from tests.support.dnsserver import DnsServer
from tests.support.pki import CA
from tests.support.webserver import WebServer

KEY = "9f8e7d6c-super-secret-seller-key"
INTERVAL = 2.0


@pytest.fixture
def servers(certs: dict) -> Iterator[dict]:
    zone = {
        "seller.ozon.ru": ["127.0.0.1"],
        "api-seller.ozon.ru": ["127.0.0.1"],
        "ya.ru": ["127.0.0.1"],
    }
    with DnsServer(zone) as dns, DnsServer(zone) as dns2, DnsServer(zone) as dns3, \
            WebServer(tls=certs["good"]) as web:  # fmt: skip
        web.set_behaviour("default", "ok")
        web.set_behaviour("api-seller.ozon.ru", "seller_api", client_id="777", api_key=KEY)
        yield {"dns": dns, "dns2": dns2, "dns3": dns3, "web": web}


def write_config(path: Path, ca: CA, s: dict, extra_targets: str = "") -> Path:
    web = s["web"].port
    path.write_text(f"""
listen: 127.0.0.1:0
site: {{name: loopback, country: RU}}
tls_ca_file: {ca.cert_path}
probes:
  dns:  {{interval: 2s, timeout: 1s}}
  icmp: {{interval: 2s, timeout: 1s, packets: 3, spacing: 50ms}}
  tcp:  {{interval: 2s, timeout: 1s}}
  tls:  {{interval: 2s, timeout: 1s}}
  http: {{interval: 2s, timeout: 1500ms}}
seller_api: {{url: "https://api-seller.ozon.ru:{web}/v1/roles", interval: 1m}}
resolvers:
  - {{name: office, address: "127.0.0.1:{s["dns"].port}"}}
  - {{name: yandex, address: "127.0.0.1:{s["dns2"].port}", country: RU}}
  - {{name: ru_national, address: "127.0.0.1:{s["dns3"].port}", country: RU}}
targets:
  - {{name: gateway, group: gateway, host: 127.0.0.1, probes: [icmp]}}
  - {{name: seller_cabinet, group: ozon, service: cabinet, country: RU, url: "https://seller.ozon.ru:{web}/", probes: [dns, icmp, tcp, tls, http]}}
  - name: seller_api
    group: ozon
    service: seller_api
    country: RU
    url: "https://api-seller.ozon.ru:{web}/v1/roles"
    method: POST
    body: "{{}}"
    probes: [dns, tcp, tls, http]
    expect: {{status: [401], json_code: 16}}
  - {{name: control_ya, group: control, country: RU, url: "https://ya.ru:{web}/", probes: [dns, icmp, tcp, tls, http]}}
  - {{name: closed_port, group: control, country: RU, host: 127.0.0.1, port: 1, probes: [tcp]}}
  - {{name: no_such_name, group: control, host: nowhere.ozon.ru, probes: [dns]}}
{extra_targets}""")
    return path


def resolv_env(tmp_path: Path, dns: DnsServer) -> dict[str, str]:
    # the child's system resolver: OZON_PROBE_RESOLV_CONF names another resolv.conf, whose
    # nameserver line may carry a port (an extension for tests; glibc's file has none)
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(f"nameserver 127.0.0.1:{dns.port}\n")
    return {"OZON_PROBE_RESOLV_CONF": str(resolv)}


def families(text: str) -> dict[str, tuple[str, frozenset[str]]]:
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for fam in text_string_to_metric_families(text):
        labels: set[str] = set()
        for sample in fam.samples:
            labels |= set(sample.labels) - {"le"}
        name = fam.name + ("_total" if fam.type == "counter" else "")
        out[name] = (fam.type, frozenset(labels))
    return out


def documented() -> dict[str, tuple[str, frozenset[str]]]:
    rows = re.findall(
        r"^\| (ozon_probe_\w+) \| (\w+) \|([\w, ]*)\|", (ROOT / "docs/metrics.md").read_text(), re.M
    )
    return {n: (t, frozenset(x.strip() for x in ls.split(",") if x.strip())) for n, t, ls in rows}


def test_agent_exports_every_kind_for_every_target_and_matches_the_docs(
    tmp_path: Path, ca: CA, servers: dict
) -> None:
    cfg = write_config(tmp_path / "agent.yaml", ca, servers)
    env = {**resolv_env(tmp_path, servers["dns"]), "OZON_CLIENT_ID": "777", "OZON_API_KEY": KEY}
    with AgentProcess(cfg, env=env) as agent:
        started = time.monotonic()
        expected = {
            ("dns", "seller_cabinet"), ("icmp", "seller_cabinet"), ("tcp", "seller_cabinet"),
            ("tls", "seller_cabinet"), ("http", "seller_cabinet"), ("dns", "seller_api"),
            ("tcp", "seller_api"), ("tls", "seller_api"), ("http", "seller_api"),
            ("icmp", "gateway"), ("dns", "control_ya"), ("icmp", "control_ya"),
            ("http", "control_ya"), ("tcp", "closed_port"), ("seller_api", "seller_api_key"),
        }  # fmt: skip

        def seen() -> str | None:
            text = agent.get("/metrics")[1]
            got = {
                (s.labels["kind"], s.labels["target"])
                for f in text_string_to_metric_families(text) if f.name == "ozon_probe_success"
                for s in f.samples
            }  # fmt: skip
            return text if expected <= got else None

        text = agent.wait_for(seen, INTERVAL + 3, "every series")
        assert time.monotonic() - started < INTERVAL + 3
        time.sleep(0.5)
        text = agent.get("/metrics")[1]
        values = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples
        }  # fmt: skip

        def v(name: str, **labels: str) -> float:
            return values[(name, tuple(sorted(labels.items())))]

        for kind in ("dns", "icmp", "tcp", "tls", "http"):
            assert v("ozon_probe_success", kind=kind, target="seller_cabinet", group="ozon") == 1
        assert v("ozon_probe_success", kind="http", target="seller_api", group="ozon") == 1
        assert v("ozon_probe_http_status_code", target="seller_api", group="ozon") == 401
        assert v("ozon_probe_success", kind="tcp", target="closed_port", group="control") == 0
        assert (
            v(
                "ozon_probe_last_error",
                kind="tcp",
                target="closed_port",
                group="control",
                category="refused",
            )
            == 1
        )
        assert (
            v("ozon_probe_dns_success", target="seller_cabinet", group="ozon", resolver="yandex")
            == 1
        )
        assert v("ozon_probe_seller_api_key_valid") == 1
        assert v("ozon_probe_seller_api_key_expiry_timestamp_seconds") > time.time()
        assert v("ozon_probe_tls_cert_verified", target="seller_cabinet", group="ozon") == 1
        assert v("ozon_probe_icmp_loss_ratio", target="gateway", group="gateway") == 0
        assert v("ozon_probe_verdict", cause="ok") == 1
        assert sum(v("ozon_probe_verdict", cause=c) for c in (
            "ok", "local_network", "isp", "international_path", "dns", "platform_outage",
            "platform_degraded", "network_degraded")) == 1  # fmt: skip

        # docs/metrics.md lists exactly what /metrics exposes: names, types, label names
        assert families(text) == documented()

        # nothing anywhere carries the key or an IP address as a label
        assert (
            KEY not in text
            and KEY not in agent.get("/api/status")[1]
            and KEY not in agent.get("/")[1]
        )
        assert not re.search(r'="\d+\.\d+\.\d+\.\d+"', text)
        status, body = agent.get("/healthz")
        assert (status, body.strip()) == (200, "ok")
        # Prometheus HTTP service discovery: the agent names its own site and country
        status, body = agent.get("/api/sd")
        sd = json.loads(body)
        assert status == 200 and len(sd) == 1 and len(sd[0]["targets"]) == 1
        assert sd[0]["labels"] == {"site": "loopback", "country": "RU"}

        if shutil.which("promtool"):
            check = subprocess.run(
                ["promtool", "check", "metrics"], input=text, capture_output=True, text=True
            )
            assert check.returncode == 0, check.stdout + check.stderr
    assert KEY not in agent.log


def test_sighup_reloads_and_a_broken_file_keeps_the_old_config(
    tmp_path: Path, ca: CA, servers: dict
) -> None:
    cfg = write_config(tmp_path / "agent.yaml", ca, servers)
    good = cfg.read_text()
    with AgentProcess(cfg, env=resolv_env(tmp_path, servers["dns"])) as agent:
        agent.wait_for(
            lambda: 'kind="tcp",target="closed_port"' in agent.get("/metrics")[1], 6, "first round"
        )
        # a broken file: refused in one log line, the old config keeps running
        cfg.write_text(good.replace("probes: [tcp]}", "probes: [tcp], colour: red}"))
        agent.signal(signal.SIGHUP)
        agent.wait_for(lambda: "reload refused" in agent.log, 5, "refusal")
        refusal = [line for line in agent.lines if "reload refused" in line]
        assert len(refusal) == 1 and "colour: unknown key" in refusal[0]
        assert "ozon_probe_config_last_reload_success 0.0" in agent.get("/metrics")[1]
        rounds = agent.status()["rounds"]["tcp"]
        agent.wait_for(lambda: agent.status()["rounds"]["tcp"] > rounds + 1, 6, "probing to go on")
        assert agent.proc.poll() is None
        # a good file that drops a target: its series are gone after the reload
        cfg.write_text(good.replace(
            "  - {name: closed_port, group: control, country: RU, host: 127.0.0.1, port: 1, probes: [tcp]}\n", ""
        ))  # fmt: skip
        agent.signal(signal.SIGHUP)
        agent.wait_for(lambda: "reloaded" in agent.log, 5, "reload")
        text = agent.get("/metrics")[1]
        assert "ozon_probe_config_last_reload_success 1.0" in text
        assert 'target="closed_port"' not in text
    assert agent.proc.returncode == 0
