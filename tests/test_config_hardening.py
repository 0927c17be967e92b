"""Config files that are hostile or unlucky (issue 13, item 7): each gives one clear line,
never a traceback, a hang or a read of gigabytes. The static cases live in tests/data
(tests/test_config.py pins their messages); these need a FIFO, a sparse file or real PKI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.config import ConfigError, load_config, parse_config
from agent.net.machine import system_nameservers
from tests.support.pki import make_ca

ROOT = Path(__file__).resolve().parents[1]
GATEWAY = "targets:\n  - {name: gateway, group: gateway, host: auto, probes: [icmp]}\n"


def _validate(path: Path, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "agent", "validate", "-c", str(path)],
        capture_output=True, text=True, timeout=timeout, env=env,
    )  # fmt: skip


def test_a_fifo_as_the_config_does_not_hang_validate(tmp_path: Path) -> None:
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)  # nobody ever writes to it: a blocking open would wait forever
    proc = _validate(fifo)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"ozon-probe: {fifo}: not a regular file (a pipe, socket or device)\n"


def test_a_fifo_as_the_ca_file_does_not_hang_validate(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ca.pem")
    config = tmp_path / "config.yaml"
    config.write_text("tls_ca_file: ca.pem\n" + GATEWAY)
    proc = _validate(config)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"ozon-probe: {config}:1: tls_ca_file: ca.pem: not a regular file (a pipe, socket or device)\n"
    )


@pytest.mark.parametrize("where", ["config", "ca"])
def test_a_100_mb_file_is_refused_without_being_read(tmp_path: Path, where: str) -> None:
    big = tmp_path / "big"
    with big.open("wb") as f:
        f.truncate(100 * 2**20)  # sparse: costs no disk, reads as 100 MB of NULs
    config = tmp_path / "config.yaml"
    config.write_text(f"tls_ca_file: {big}\n" + GATEWAY)
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        load_config(big if where == "config" else config)
    assert time.monotonic() - started < 1.0
    if where == "config":
        assert str(err.value) == f"{big}: larger than 16 MiB: not a file for this"
    else:
        assert (
            str(err.value)
            == f"{config}:1: tls_ca_file: {big}: larger than 4 MiB: not a file for this"
        )


def test_dev_zero_and_a_directory_as_the_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^/dev/zero: not a regular file"):
        load_config("/dev/zero")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value) == f"{tmp_path}: is a directory, not a file"


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(GATEWAY.encode() + b"site: {name: caf\xe9}\n")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert str(err.value) == f"{config}:3: not UTF-8 text"


def test_real_certificates_load_and_a_key_that_is_not_the_key_is_refused(tmp_path: Path) -> None:
    ca = make_ca(tmp_path / "pki")
    cert, key = ca.issue(tmp_path / "pki", ["agent.lan"])
    other_cert, other_key = ca.issue(tmp_path / "pki", ["other.lan"])
    ok = parse_config(
        f"tls_ca_file: {ca.cert_path}\n"
        f"listen_tls: {{cert_file: {cert}, key_file: {key}, client_ca_file: {ca.cert_path}}}\n"
        + GATEWAY,
        "c.yaml",
    )
    assert ok.tls_ca_file == str(ca.cert_path) and ok.listen_tls is not None
    with pytest.raises(ConfigError) as err:
        parse_config(
            f"listen_tls: {{cert_file: {cert}, key_file: {other_key}}}\n" + GATEWAY, "c.yaml"
        )
    assert str(err.value).startswith(
        f"c.yaml:1: listen_tls.cert_file: {cert} and {other_key} are not a PEM certificate and its"
    )
    assert len(str(err.value).splitlines()) == 1 and other_cert.exists()
    # a private key is not a CA bundle either
    with pytest.raises(ConfigError, match=r"^c\.yaml:1: tls_ca_file: .*: not PEM certificates"):
        parse_config(f"tls_ca_file: {key}\n" + GATEWAY, "c.yaml")


def test_a_resolv_conf_with_a_superscript_port_is_skipped_not_fatal(tmp_path: Path) -> None:
    # `nameserver 127.0.0.1:²` once raised inside a probe round and killed the DNS loop
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(
        "nameserver 127.0.0.1:²\nnameserver 127.0.0.1:٥٣\nnameserver 127.0.0.1:999999\n"
        "nameserver 127.0.0.1:5353\n"
    )
    assert system_nameservers(str(resolv)) == [("127.0.0.1", 5353)]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://seller.ozon.ru:0/", ""),
        ("https://seller.ozon.ru:²/", ""),
        ("https://seller.ozon.ru:65536/", ""),
        ("https://user:secret@seller.ozon.ru/", " (no user:password@ in URLs)"),
        ("https://seller ozon.ru/", " (percent-encode spaces and non-ASCII letters)"),
        ("ftp://seller.ozon.ru/", ""),
    ],
)
@pytest.mark.parametrize("where", ["target", "throughput", "seller_api"])
def test_one_url_check_for_targets_throughput_and_seller_api(
    url: str, why: str, where: str
) -> None:
    text, path = {
        "target": (f"targets: [{{name: a, group: ozon, url: '{url}'}}]\n", "targets[0].url"),
        "throughput": (
            f"throughput: {{targets: [{{name: a, url: '{url}', size: 1MB}}]}}\n" + GATEWAY,
            "throughput.targets[0].url",
        ),
        "seller_api": (f"seller_api: {{url: '{url}'}}\n" + GATEWAY, "seller_api.url"),
    }[where]
    with pytest.raises(ConfigError) as err:
        parse_config(text, "c.yaml")
    shown = url.replace("user:secret@", "***@")  # a message never repeats a password
    assert str(err.value) == f"c.yaml:1: {path}: not a URL: {shown!r}{why}"
    assert "secret" not in str(err.value)
