"""Shared fixtures: real loopback servers (tests/support) and probe contexts pointed at them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import Config, expand_resolvers, parse_config
from agent.probes.base import IcmpCapability, ProbeContext
from tests.support.dnsserver import DnsServer
from tests.support.pki import CA, make_ca

ROOT = Path(__file__).resolve().parents[1]

# Every agent a test starts (and its children, lab namespaces included) keeps its incident
# journal here, not in the machine's /var/lib/ozon-probe, where runs would share a budget.
if "OZON_PROBE_TEST_STATE" not in os.environ:
    import tempfile

    os.environ["OZON_PROBE_TEST_STATE"] = tempfile.mkdtemp(prefix="ozp-state-")
    os.environ["STATE_DIRECTORY"] = os.environ["OZON_PROBE_TEST_STATE"]


def can_netns() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


needs_netns = pytest.mark.skipif(not can_netns(), reason="needs root and iproute2 (ip netns)")


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CA:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def certs(ca: CA, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    d = tmp_path_factory.mktemp("certs")
    names = ["seller.ozon.ru", "api-seller.ozon.ru", "localhost"]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    return {
        "good": ca.issue(d, names, ["127.0.0.1"], name="good"),
        "expired": ca.issue(
            d, names, ["127.0.0.1"], not_before=past - dt.timedelta(days=30), not_after=past,
            name="expired",
        ),
        "wrong_host": ca.issue(d, ["elsewhere.example"], name="wrong"),
    }  # fmt: skip


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    zone = {"seller.ozon.ru": ["127.0.0.1"], "api-seller.ozon.ru": ["127.0.0.1"]}
    with DnsServer(zone) as srv:
        yield srv


def config_for(yaml_text: str, ca: CA | None = None, name: str = "test.yaml") -> Config:
    if ca is not None:
        yaml_text = f"tls_ca_file: {ca.cert_path}\n" + yaml_text
    return parse_config(yaml_text, name)


def context(
    config: Config,
    kind: str,
    nameservers: list[tuple[str, int]] | None = None,
    icmp: IcmpCapability | None = None,
    secrets: dict[str, str] | None = None,
) -> ProbeContext:
    ns = nameservers or []
    return ProbeContext(
        config=config,
        settings=config.probes[kind],
        resolvers=expand_resolvers(config.resolvers, ns),
        system_nameservers=ns,
        icmp=icmp or IcmpCapability(),
        secrets=secrets or {},
    )


class Netns:
    """A throwaway network namespace with only loopback (and whatever a test adds)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *cmd: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *cmd], check=check, capture_output=True, text=True,
            **kw,  # type: ignore[arg-type]
        )  # fmt: skip


@pytest.fixture
def netns() -> Iterator[Netns]:
    if not can_netns():
        pytest.skip("needs root and iproute2 (ip netns)")
    name = f"ozpt-{os.getpid()}-{os.urandom(2).hex()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield Netns(name)
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)
