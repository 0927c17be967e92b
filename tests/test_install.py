"""The README's first command: deploy/install.sh installs a working ozon-probe into its own
virtual environment (here without starting it: the default profile probes the real internet)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import ROOT


def test_install_script_installs_a_working_command(tmp_path: Path) -> None:
    prefix = tmp_path / "opt"
    env = {**os.environ, "PREFIX": str(prefix), "OZON_PROBE_NO_START": "1"}
    r = subprocess.run(
        ["bash", "deploy/install.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "installed:" in r.stdout and "not started" in r.stdout
    exe = prefix / "bin" / "ozon-probe"
    v = subprocess.run([exe, "validate", "-c", ROOT / "config.example.yaml"], capture_output=True, text=True)
    assert v.returncode == 0 and "ok" in v.stdout
    # the packaged default profile is the example, byte for byte
    py = prefix / "bin" / "python"
    text = subprocess.run(
        [py, "-c", "from agent.config import default_profile_text; print(default_profile_text(), end='')"],
        capture_output=True, text=True, cwd=tmp_path,
    ).stdout
    assert text == (ROOT / "config.example.yaml").read_text()
    unit = (ROOT / "deploy/systemd/ozon-probe.service").read_text()
    assert "AmbientCapabilities=CAP_NET_RAW" in unit and "ExecReload=/bin/kill -HUP" in unit
