"""deploy/install.sh from a fresh clone, into a temporary prefix: `ozon-probe` on PATH, the docs
it points at installed, and a re-install after an update restarts the service with the new code.

No service of this machine is touched and nothing leaves loopback: the installer gets its own
BINDIR/UNITDIR/SYSCONFDIR under tmp_path, and a stand-in `systemctl` (SYSTEMCTL=...), because
this sandbox has no systemd as PID 1 to manage a real unit. The stand-in does what the real one
does for `restart`: stops the running daemon and starts the installed one, on a config that
probes only a TCP listener on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

FAKE_SYSTEMCTL = """#!/usr/bin/env bash
# stand-in for systemctl (see the module docstring): logs each call, and on `restart` replaces
# the running daemon by the installed one
echo "$*" >> {calls}
if [[ $1 == restart ]]; then
  if [[ -f {pidfile} ]]; then kill "$(cat {pidfile})" 2>/dev/null || true; sleep 0.5; fi
  setsid {prefix}/bin/ozon-probe run -c {config} </dev/null >>{log} 2>&1 &
  echo $! > {pidfile}
fi
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clone(dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True, timeout=120)
    # the working tree's uncommitted state is what is under test, not only the last commit
    for rel in ("deploy", "docs", "agent", "pyproject.toml", "README.md", "LICENSE"):
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        elif src.exists():
            shutil.copy2(src, dest / rel)
    return dest


def _install(clone: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        ["bash", "deploy/install.sh"], cwd=clone, env=env, capture_output=True, text=True,
        timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def _metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
        return str(r.read().decode())


def _running_version(port: int, want: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        try:
            m = re.search(r'ozon_probe_build_info\{[^}]*version="([^"]+)"', _metrics(port))
            seen = m.group(1) if m else ""
            if seen == want:
                return seen
        except OSError:
            pass
        time.sleep(0.2)
    return seen


@pytest.fixture
def loopback_target() -> Iterator[int]:
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(16)
        yield int(srv.getsockname()[1])


def test_fresh_clone_install_on_path_and_reinstall_restarts_new_version(
    tmp_path: Path, loopback_target: int
) -> None:
    clone = _clone(tmp_path / "clone")
    prefix, bindir, unitdir = tmp_path / "opt", tmp_path / "bin", tmp_path / "units"
    port = _free_port()
    config = tmp_path / "loopback.yaml"
    config.write_text(
        f'listen: "127.0.0.1:{port}"\n'
        "targets:\n"
        f"  - {{name: here, group: control, country: RU, host: 127.0.0.1, port: {loopback_target}, probes: [tcp]}}\n"
    )
    pidfile = tmp_path / "agent.pid"
    systemctl = tmp_path / "systemctl"
    systemctl.write_text(
        FAKE_SYSTEMCTL.format(
            calls=tmp_path / "calls",
            pidfile=pidfile,
            prefix=prefix,
            config=config,
            log=tmp_path / "agent.log",
        )
    )
    systemctl.chmod(0o755)
    env = {
        **os.environ,
        "PREFIX": str(prefix),
        "BINDIR": str(bindir),
        "UNITDIR": str(unitdir),
        "SYSCONFDIR": str(tmp_path / "etc"),
        "SYSTEMCTL": str(systemctl),
        "EXTRAS": "",
        # layout is under test here, not dependency resolution: the host's dnspython,
        # prometheus-client and PyYAML are used (test_minimal_install does a real one)
        "OZON_PROBE_VENV_ARGS": "--system-site-packages",
        "OZON_PROBE_PIP_ARGS": "--no-deps",
        "PATH": f"{bindir}:{os.environ['PATH']}",
    }
    try:
        first = _install(clone, env)
        assert "linked" in first.stdout and "started ozon-probe 0.1.0" in first.stdout
        # on PATH, from outside the clone
        v = subprocess.run(["ozon-probe", "--version"], env=env, cwd=tmp_path,
                           capture_output=True, text=True)  # fmt: skip
        assert v.returncode == 0 and v.stdout.strip() == "ozon-probe 0.1.0", v.stdout + v.stderr
        assert shutil.which("ozon-probe", path=env["PATH"]) == str(bindir / "ozon-probe")
        assert _running_version(port, "0.1.0") == "0.1.0", (tmp_path / "agent.log").read_text()

        doc = prefix / "share/doc/ozon-probe"
        assert "Apache License" in (doc / "LICENSE").read_text()
        assert (doc / "README.md").is_file() and (doc / "docs/runbook.md").is_file()
        unit = (unitdir / "ozon-probe.service").read_text()
        for line in re.findall(r"^Documentation=file://(.+)$", unit, re.M):
            assert Path(line).is_file(), f"the unit points at a file never installed: {line}"
        assert f"ExecStart={prefix}/bin/ozon-probe run" in unit

        # an update: the next version, installed over the running one
        init = clone / "agent/__init__.py"
        init.write_text(init.read_text().replace('"0.1.0"', '"0.1.1"'))
        second = _install(clone, env)
        assert "started ozon-probe 0.1.1" in second.stdout
        assert _running_version(port, "0.1.1") == "0.1.1", (tmp_path / "agent.log").read_text()
        calls = (tmp_path / "calls").read_text().splitlines()
        assert calls.count("restart ozon-probe.service") == 2, calls
    finally:
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pidfile.read_text()), signal.SIGTERM)


def test_installer_refuses_an_unknown_extra_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PREFIX": str(tmp_path / "opt"), "EXTRAS": "path,gui",
           "OZON_PROBE_NO_START": "1"}  # fmt: skip
    r = subprocess.run(["bash", "deploy/install.sh"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    assert r.returncode == 2
    assert (
        r.stderr.strip() == "EXTRAS: unknown part in 'path,gui' (known: path, speedtest, tls, all)"
    )
    assert not (tmp_path / "opt").exists()


def test_minimal_install_without_extras_runs_and_names_the_missing_one(tmp_path: Path) -> None:
    """A real `pip install .` (dependencies from the package index) without extras: no scapy,
    speedtest-cli or cryptography; the default profile validates and the daemon serves on
    loopback (inside a namespace with only loopback); a path probe fails with one line."""
    prefix = tmp_path / "opt"
    env = {**os.environ, "PREFIX": str(prefix), "BINDIR": str(tmp_path / "bin"),
           "SYSCONFDIR": str(tmp_path / "etc"), "EXTRAS": "", "OZON_PROBE_NO_START": "1"}  # fmt: skip
    env.pop("PYTHONPATH", None)
    _install(ROOT, env)
    py = prefix / "bin/python"
    for module in ("scapy", "speedtest", "cryptography"):
        r = subprocess.run([py, "-c", f"import {module}"], capture_output=True, cwd=tmp_path)
        assert r.returncode != 0, f"{module} is installed without its extra"
    exe = str(prefix / "bin/ozon-probe")
    v = subprocess.run([exe, "validate", "-c", ROOT / "config.example.yaml"],
                       capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert v.returncode == 0 and "ok" in v.stdout, v.stderr

    cfg = tmp_path / "path.yaml"
    cfg.write_text(
        "targets:\n"
        "  - {name: gw, group: control, country: RU, host: 198.18.0.1, probes: [icmp]}\n"
        "  - {name: cabinet, group: ozon, host: seller.ozon.ru, probes: [tcp, path]}\n"
    )
    r = subprocess.run([exe, "validate", "-c", str(cfg)], capture_output=True, text=True,
                       cwd=tmp_path)  # fmt: skip
    assert r.returncode == 2
    assert r.stderr == (
        f"ozon-probe: {cfg}: targets[1] uses the path probe, which needs scapy: "
        "pip install 'ozon-probe[path]'\n"
    )
    isolated = Path("/work/shared/bin/isolated")
    if not isolated.exists() or os.geteuid() != 0:
        pytest.skip("the daemon run needs /work/shared/bin/isolated (root)")
    # the default profile, in a namespace with only loopback: it starts and serves /metrics
    script = (
        f"{exe} run & pid=$!; for i in $(seq 100); do "
        "python3 -c 'import urllib.request,sys; "
        'sys.exit(b"ozon_probe_build_info" not in urllib.request.urlopen("http://127.0.0.1:10043/metrics").read())'
        "' 2>/dev/null && { kill $pid; wait $pid; echo served; exit 0; }; sleep 0.2; done; kill $pid; exit 1"
    )
    r = subprocess.run([str(isolated), "bash", "-c", script], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path, env={**env, "PYTHONPATH": ""})  # fmt: skip
    assert "served" in r.stdout, r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr
