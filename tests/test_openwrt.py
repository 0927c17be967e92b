"""deploy/openwrt: the procd init script and the low-memory profile.

OpenWrt's procd cannot run here, so start_service() runs under sh with procd's shell API
(procd_open_instance, procd_set_param, ...) replaced by functions that print what they are
given: the test checks the command line, environment and user the script hands procd. The
low-memory profile is validated by the real agent."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

INIT = ROOT / "deploy/openwrt/ozon-probe.init"
LOWMEM = ROOT / "deploy/openwrt/config.lowmem.yaml"
PROCD_STUBS = """
procd_open_instance() { echo "open $*"; }
procd_close_instance() { echo close; }
procd_set_param() { k=$1; shift; echo "set $k $*"; }
procd_append_param() { k=$1; shift; echo "append $k $*"; }
"""


def _start(tmp_path: Path, config: bool, env_lines: str | None, passwd: str) -> list[str]:
    script = INIT.read_text().split("\n", 1)[1]  # without the rc.common shebang
    for var, value in (
        ("CONFIG", tmp_path / "config.yaml"),
        ("ENVFILE", tmp_path / "env"),
    ):
        script = script.replace(f"{var}=/etc/ozon-probe/{Path(str(value)).name}", f"{var}={value}")
    script = script.replace("/etc/passwd", str(tmp_path / "passwd"))
    if config:
        (tmp_path / "config.yaml").write_text("targets: []\n")
    if env_lines is not None:
        (tmp_path / "env").write_text(env_lines)
    (tmp_path / "passwd").write_text(passwd)
    sh = ["busybox", "sh"] if shutil.which("busybox") else ["sh"]  # ash, as on OpenWrt
    r = subprocess.run([*sh, "-c", PROCD_STUBS + script + "\nstart_service\n"],
                       capture_output=True, text=True, timeout=30)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_init_script_parses() -> None:
    r = subprocess.run(["sh", "-n", str(INIT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert INIT.read_text().startswith("#!/bin/sh /etc/rc.common\n")
    assert "USE_PROCD=1" in INIT.read_text()


def test_default_profile_as_root_without_files(tmp_path: Path) -> None:
    out = _start(tmp_path, config=False, env_lines=None, passwd="root:x:0:0::/root:/bin/ash\n")
    assert "set command /opt/ozon-probe/bin/ozon-probe run" in out
    assert not any(line.startswith("append command") for line in out)
    assert not any(line.startswith("set user") for line in out)
    assert "set reload_signal HUP" in out and "set respawn 3600 10 5" in out


def test_own_config_env_and_user(tmp_path: Path) -> None:
    out = _start(
        tmp_path,
        config=True,
        env_lines="# key\nOZON_CLIENT_ID=123\nOZON_API_KEY=secret-value\nPATH=/evil\n",
        passwd="root:x:0:0::/root:/bin/ash\nozon-probe:x:10043:10043::/var/lib/ozon-probe:/bin/false\n",
    )
    assert f"append command -c {tmp_path / 'config.yaml'}" in out
    assert "append env OZON_CLIENT_ID=123" in out and "append env OZON_API_KEY=secret-value" in out
    assert not any("PATH=/evil" in line for line in out), "only OZON_* lines reach the agent"
    assert "set user ozon-probe" in out


def test_lowmem_profile_validates_and_is_smaller() -> None:
    r = subprocess.run([sys.executable, "-m", "agent", "validate", "-c", str(LOWMEM)],
                       capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "(6 targets)" in r.stdout
    d = subprocess.run([sys.executable, "-m", "agent", "validate", "-c", str(ROOT / "config.example.yaml")],
                       capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    n_default = int(d.stdout.split("(")[1].split()[0])
    assert n_default > 6


@pytest.mark.parametrize("name", ["ozon-probe.init", "config.lowmem.yaml"])
def test_install_doc_mentions(name: str) -> None:
    assert f"deploy/openwrt/{name}" in (ROOT / "docs/install.md").read_text()
