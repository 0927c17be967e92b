"""Config: every kind of mistake is refused with one line naming file, line and key path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import (
    ConfigError,
    default_profile_text,
    expand_resolvers,
    load_config,
    load_default,
    parse_config,
)
from agent.net.machine import default_gateway, system_nameservers

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"

EXPECTED = {
    "invalid-arp-not-gateway.yaml": "2: targets[0].probes[1]: the arp probe is for the gateway group",
    "invalid-country.yaml": "1: site.country: 'China' is not a two-letter country code like RU or CN",
    "invalid-dns-without-resolvers.yaml": "1: resolvers: dns probes are configured but no resolvers are",
    "invalid-duplicate-target.yaml": "3: targets[1].name: duplicate target name 'gateway'",
    "invalid-duration-unit.yaml": "2: probes.dns.interval: not a duration: '2 minutes' (use e.g. 500ms, 15s, 2m, 1h)",
    "invalid-duration.yaml": "2: probes.http.interval: not a duration: '15' (use e.g. 500ms, 15s, 2m, 1h)",
    "invalid-empty.yaml": "1: the file is empty",
    "invalid-expect-status.yaml": "6: targets[0].expect.status[1]: must be a whole number, not a string",
    "invalid-group.yaml": "2: targets[0].group: 'router' is not one of: ozon, control, gateway",
    "invalid-host.yaml": "2: targets[0].host: not a host name or IP address: 'ya ru'",
    "invalid-http-without-url.yaml": "2: targets[0].probes[1]: the http probe needs a url",
    "invalid-listen.yaml": "1: listen: not an address:port like 127.0.0.1:10043: 'localhost'",
    "invalid-missing-file.yaml": "1: tls_ca_file: no such file: /nonexistent/ca.pem",
    "invalid-missing-key.yaml": "2: targets[0].group: required key is missing",
    "invalid-name.yaml": "2: targets[0].name: 'Seller Cabinet' is not a valid name (lower case letters, digits, _)",
    "invalid-not-a-mapping.yaml": "1: the file must be a mapping of keys",
    "invalid-packets.yaml": "2: probes.icmp.packets: must be between 1 and 100, not 0",
    "invalid-probe-kind.yaml": "2: targets[0].probes[1]: 'ping' is not one of: dns, icmp, tcp, tls, http, path, pmtu, arp",
    "invalid-resolver-address.yaml": "3: resolvers[1].address: not an IP address (or 'system'): '77.88.8'",
    "invalid-seller-api-interval.yaml": "1: seller_api.interval: duration 10s is out of range (60s to 86400s)",
    "invalid-target-key.yaml": "5: targets[0].probe: unknown key (did you mean 'probes'?)",
    "invalid-timeout-over-interval.yaml": "2: probes.tcp.timeout: must not be longer than the interval",
    "invalid-throughput-enabled.yaml": "2: throughput.enabled: must be true or false, not a string",
    "invalid-throughput-interval.yaml": "4: throughput.interval: duration 1m is out of range (600s to 604800s)",
    "invalid-throughput-size.yaml": "3: throughput.daily_budget: not a size: '300 megabytes' (use e.g. 500kB, 25MB, 1GB)",
    "invalid-throughput-upload.yaml": "8: throughput.targets[0].upload_url: upload_url and upload_size go together",
    "invalid-unknown-key.yaml": "1: listn: unknown key (did you mean 'listen'?)",
    "invalid-url.yaml": "7: targets[3].url: not a URL: 'api-seller.ozon.ru/v1/roles'",
    "invalid-wrong-type.yaml": "1: max_concurrency: must be a whole number, not a string",
    "invalid-yaml-syntax.yaml": "3: not valid YAML: expected ',' or '}', but got '<scalar>'",
    # issue 13: hostile or unlucky files get one line too (tests/test_config_hardening.py has more)
    "invalid-huge-integer.yaml": "1: max_concurrency: must be between 1 and 10000, not a 5000-digit number",
    "invalid-huge-size.yaml": "3: throughput.daily_budget: not a size: '99999999999999999999999999999999999999999999999999999999999999999999999999999999'... (402 characters) (use e.g. 500kB, 25MB, 1GB)",
    "invalid-superscript-port.yaml": "2: resolvers[0].address: not an IP address (or 'system'): '127.0.0.1:²'",
    "invalid-arabic-digits.yaml": "2: probes.dns.interval: not a duration: '١٢s' (use e.g. 500ms, 15s, 2m, 1h)",
    "invalid-deep-nesting.yaml": "3: not valid YAML: nested more than 32 levels deep",
    "invalid-nul-byte.yaml": "4: not valid YAML: control character U+0000",
    "invalid-control-character.yaml": "2: site.name: must not contain control characters (found U+001B)",
    "invalid-ca-device.yaml": "1: tls_ca_file: /dev/zero: not a regular file (a pipe, socket or device)",
    "invalid-ca-directory.yaml": "1: tls_ca_file: .: is a directory, not a file",
    "invalid-ca-not-certificate.yaml": "1: tls_ca_file: not-a-certificate.pem: not PEM certificates (OpenSSL cannot read it)",
    "invalid-listen-tls-key.yaml": "2: listen_tls.cert_file: not-a-certificate.pem and not-a-certificate.pem are not a PEM certificate and its unencrypted private key (OpenSSL cannot read it)",
    "invalid-url-port-zero.yaml": "3: targets[1].url: not a URL: 'https://seller.ozon.ru:0/'",
    "invalid-url-non-ascii.yaml": "3: targets[1].url: not a URL: 'https://seller.ozon.ru/кабинет' (percent-encode spaces and non-ASCII letters)",
    "invalid-seller-api-url-port.yaml": "2: seller_api.url: not a URL: 'https://api-seller.ozon.ru:99999/v1/roles'",
    "invalid-throughput-url-host.yaml": "3: throughput.targets[0].url: not a URL: 'https://cdn_1.ozon.ru/x.bin' (the host is not a host name)",
}


def test_every_invalid_file_has_an_expected_message() -> None:
    assert sorted(p.name for p in DATA.glob("invalid-*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_config_message(name: str) -> None:
    path = DATA / name
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}:{EXPECTED[name]}"


@pytest.mark.parametrize(
    "name", ["invalid-url.yaml", "invalid-unknown-key.yaml", "invalid-empty.yaml"]
)
def test_validate_command_exits_2_with_one_line(name: str) -> None:
    rel = f"tests/data/{name}"
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "validate", "-c", rel],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"ozon-probe: {rel}:{EXPECTED[name]}\n"


def test_missing_file_and_bad_usage_exit_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "validate", "-c", "/nonexistent.yaml"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (proc.returncode, proc.stderr) == (2, "ozon-probe: /nonexistent.yaml: no such file\n")
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "frobnicate"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_version() -> None:
    from agent import __version__

    proc = subprocess.run(
        [sys.executable, "-m", "agent", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, f"ozon-probe {__version__}")


def test_example_is_exactly_the_builtin_default() -> None:
    assert (ROOT / "config.example.yaml").read_text(encoding="utf-8") == default_profile_text()
    example = load_config(ROOT / "config.example.yaml")
    default = load_default()
    assert example.targets == default.targets and example.resolvers == default.resolvers


def test_default_profile_covers_what_a_seller_touches() -> None:
    c = load_default()
    services = {t.service for t in c.targets if t.group == "ozon"}
    assert {
        "cabinet",
        "login",
        "seller_api",
        "ads_api",
        "storefront",
        "cdn_images",
        "cdn_static",
    } <= services
    assert any(t.group == "control" for t in c.targets)
    assert [t.host for t in c.targets if t.group == "gateway"] == ["auto"]
    assert any(r.address == "77.88.8.8" for r in c.resolvers)
    assert any(r.system for r in c.resolvers)
    api = next(t for t in c.targets if t.service == "seller_api")
    assert (api.method, api.expect.status, api.expect.json_code) == ("POST", (401,), 16)
    assert c.listen_host == "127.0.0.1" and c.listen_port == 10043


def test_every_line_of_the_example_is_commented_or_obvious() -> None:
    # "commented line by line": every key line that is not a list item of a commented block
    # carries a comment, or belongs to a block whose header explains it
    lines = (ROOT / "config.example.yaml").read_text().splitlines()
    uncommented = [
        line for line in lines
        if line.strip() and not line.lstrip().startswith("#") and "#" not in line
        and line.strip().split(":")[0] not in {
            "group", "service", "country", "url", "probes", "method", "body", "expect", "host", "port",
            "targets", "resolvers", "site", "seller_api", "client_id_env", "api_key_env", "interval",
        }
    ]  # fmt: skip
    assert uncommented == []


def test_system_resolvers_and_gateway_are_read_from_the_machine(tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("search lan\nnameserver 198.18.0.1\nnameserver fe80::1%eth0\noptions x\n")
    assert system_nameservers(str(resolv)) == [("198.18.0.1", 53), ("fe80::1", 53)]
    other = tmp_path / "resolv-port.conf"
    other.write_text("nameserver 127.0.0.1:5353\nnameserver bogus\n")
    assert system_nameservers(str(other)) == [("127.0.0.1", 5353)]
    cfg = parse_config(
        "resolvers: [{name: system, address: system}, {name: yandex, address: 77.88.8.8}]\n"
        "targets: [{name: g, group: gateway, host: auto, probes: [icmp]}]\n",
        "t.yaml",
    )
    names = [
        (r.name, r.address, r.system)
        for r in expand_resolvers(cfg.resolvers, system_nameservers(str(resolv)))
    ]
    assert names == [
        ("system", "198.18.0.1", True),
        ("system_2", "fe80::1", True),
        ("yandex", "77.88.8.8", False),
    ]
    route = tmp_path / "route"
    route.write_text(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010012C6\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
        "eth1\t00000000\t020012C6\t0003\t0\t0\t50\t00000000\t0\t0\t0\n"
        "eth0\t000012C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    )
    assert default_gateway(str(route)) == "198.18.0.2"  # the lower metric wins
    route.write_text("Iface\tDestination\tGateway\n")
    assert default_gateway(str(route)) is None


def test_journal_keys_state_dir_and_timezone() -> None:
    from agent.config import JournalSettings, system_timezone

    c = parse_config(
        "site: {timezone: Asia/Shanghai}\nstate_dir: /srv/oz\njournal: {retention: 30d, max_size: 50MB}\n"
        "targets: []\n",
        "j.yaml",
    )
    assert (c.site.timezone, c.state_dir, c.journal) == (
        "Asia/Shanghai",
        "/srv/oz",
        JournalSettings(30, 50_000_000),
    )
    d = parse_config("targets: []\n", "j.yaml")
    assert (d.site.timezone, d.state_dir, d.journal) == ("", "", JournalSettings())
    for text, says in [
        (
            "site: {timezone: Mars/Olympus}",
            "j.yaml:1: site.timezone: not a time zone: 'Mars/Olympus'",
        ),
        ("journal: {retention: 2h}", "j.yaml:1: journal.retention: duration 2h is out of range"),
        ("journal: {max_size: 10kB}", "j.yaml:1: journal.max_size: size 10kB is out of range"),
        ("journal: {keep: 1d}", "j.yaml:1: journal.keep"),
        ("state_dir: ''", "j.yaml:1: state_dir"),
    ]:
        with pytest.raises(ConfigError) as e:
            parse_config(text + "\ntargets: []\n", "j.yaml")
        assert str(e.value).startswith(says), str(e.value)
    assert system_timezone({"TZ": "Europe/Moscow"}) == "Europe/Moscow"
    assert system_timezone({"TZ": "Nowhere/Else"}, localtime="/nonexistent") in {
        "UTC",
        system_timezone({}),
    }
