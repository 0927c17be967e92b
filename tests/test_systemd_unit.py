"""deploy/systemd: the shipped unit passes `systemd-analyze verify` and scores at most 2.0 in
`systemd-analyze security` (0 is fully locked down, 10 is not at all), alone and with the
raw-sockets drop-in that the path extra needs. Both run offline on the unit file: no service is
started."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNIT = ROOT / "deploy/systemd/ozon-probe.service"
DROPIN = ROOT / "deploy/systemd/ozon-probe.service.d/raw-sockets.conf"
MAX_EXPOSURE = 2.0


def _analyze() -> str:
    path = shutil.which("systemd-analyze")
    if not path:
        pytest.skip("systemd-analyze not installed (apt-get install systemd)")
    return path


def _unit(tmp_path: Path, with_dropin: bool) -> Path:
    # verify checks that ExecStart's binary exists: an installed-looking prefix under tmp_path
    prefix = tmp_path / "opt"
    (prefix / "bin").mkdir(parents=True)
    exe = prefix / "bin/ozon-probe"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    text = UNIT.read_text().replace("@PREFIX@", str(prefix))
    if with_dropin:
        # a drop-in's assignments apply after the unit's, as appending them does here
        # (security --offline reads one file)
        text += "\n" + DROPIN.read_text()
    unit = tmp_path / "ozon-probe.service"
    unit.write_text(text)
    return unit


def _exposure(unit: Path) -> float:
    r = subprocess.run(
        [_analyze(), "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    return float(m.group(1))


@pytest.mark.parametrize("with_dropin", [False, True], ids=["unit", "unit+raw-sockets"])
def test_unit_verifies_and_is_hardened(tmp_path: Path, with_dropin: bool) -> None:
    unit = _unit(tmp_path, with_dropin)
    r = subprocess.run(
        [_analyze(), "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    score = _exposure(unit)
    assert score <= MAX_EXPOSURE, f"exposure {score} > {MAX_EXPOSURE}"


def test_capabilities_only_with_the_dropin() -> None:
    unit = UNIT.read_text()
    assert re.search(r"^CapabilityBoundingSet=$", unit, re.M), "the base unit keeps no capability"
    assert "CAP_NET_RAW" not in re.sub(r"#.*", "", unit)
    assert "AF_PACKET" not in re.sub(r"#.*", "", unit)
    dropin = DROPIN.read_text()
    assert "AmbientCapabilities=CAP_NET_RAW" in dropin and "AF_PACKET" in dropin
    # a capability inside a private user namespace is useless in the host's network namespace
    assert "PrivateUsers=no" in dropin
    assert "StateDirectory=ozon-probe" in unit and "ExecReload=/bin/kill -HUP" in unit


def test_a_looser_unit_fails_the_score(tmp_path: Path) -> None:
    """The score check can fail: the unit as it shipped before (6.0) is rejected."""
    loose = tmp_path / "loose.service"
    loose.write_text(
        "[Service]\nExecStart=/bin/true\nDynamicUser=yes\nAmbientCapabilities=CAP_NET_RAW\n"
        "CapabilityBoundingSet=CAP_NET_RAW\nNoNewPrivileges=yes\nProtectSystem=strict\n"
        "ProtectHome=yes\nPrivateTmp=yes\n"
    )
    assert _exposure(loose) > MAX_EXPOSURE
