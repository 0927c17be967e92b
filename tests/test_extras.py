"""agent/extras.py: a config that needs a pip extra which is not installed is refused in one line,
by `validate`/`run`/`check` and by a SIGHUP reload (the running config stays).

The extras are installed in the test environment, so "not installed" is made real for the
interpreter under test: a finder at the front of sys.meta_path refuses to locate the package,
exactly what importlib reports when it is absent. (tests/test_install.py also shows it with a
real install that has no extras.)"""

from __future__ import annotations

import importlib.abc
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import load_config
from agent.extras import first_line, missing_extras
from tests.agentproc import AgentProcess
from tests.conftest import ROOT

BLOCKER = """
import importlib.abc, sys
class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {names!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Absent())
"""


class _Absent(importlib.abc.MetaPathFinder):
    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


@pytest.fixture
def without_extras() -> Iterator[None]:
    names = {"scapy", "speedtest"}
    # find_spec answers from sys.modules first: a test that already imported speedtest (the
    # throughput tests, when run before these) would make it look installed
    loaded = {m: sys.modules.pop(m) for m in list(sys.modules) if m.split(".")[0] in names}
    finder = _Absent(names)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        sys.modules.update(loaded)


def _config(tmp_path: Path, body: str, name: str = "config.yaml") -> Path:
    p = tmp_path / name
    p.write_text(body)
    return p


TARGETS = """targets:
  - {name: here, group: control, country: RU, host: 127.0.0.1, port: %d, probes: [tcp]}
"""


def test_each_extra_kind_is_named(tmp_path: Path, without_extras: None) -> None:
    cfg = load_config(
        _config(
            tmp_path,
            "targets:\n"
            "  - {name: a, group: control, country: RU, host: 198.18.0.1, probes: [icmp]}\n"
            "  - {name: b, group: ozon, host: seller.ozon.ru, probes: [tcp, path, pmtu]}\n"
            "  - {name: gateway, group: gateway, host: auto, probes: [icmp, arp]}\n"
            "throughput:\n  speedtest: {enabled: true}\n",
        )
    )
    src = str(tmp_path / "config.yaml")
    assert missing_extras(cfg) == [
        f"{src}: targets[1] uses the path probe, which needs scapy: pip install 'ozon-probe[path]'",
        f"{src}: targets[1] uses the pmtu probe, which needs scapy: pip install 'ozon-probe[path]'",
        f"{src}: targets[2] uses the arp probe, which needs scapy: pip install 'ozon-probe[path]'",
        f"{src}: throughput.speedtest.enabled needs speedtest-cli: pip install 'ozon-probe[speedtest]'",
    ]
    assert first_line(missing_extras(cfg)).endswith("(and 3 more like it)")


def test_nothing_missing_when_installed(tmp_path: Path) -> None:
    cfg = load_config(
        _config(
            tmp_path, "targets:\n  - {name: b, group: ozon, host: seller.ozon.ru, probes: [path]}\n"
        )
    )
    assert missing_extras(cfg, path_check=True) == []


def test_default_profile_needs_no_extra(without_extras: None) -> None:
    from agent.config import load_default

    assert missing_extras(load_default()) == []
    assert missing_extras(load_default(), path_check=True) == [
        "check --path traces the path to each Ozon host, which needs scapy: pip install 'ozon-probe[path]'"
    ]


def _blocker_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER.format(names={"scapy", "speedtest"}))
    return {"PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}


def test_cli_refuses_in_one_line(tmp_path: Path) -> None:
    # loopback only, so that a regression (a run that does start) probes nothing real
    cfg = _config(
        tmp_path,
        "targets:\n  - {name: b, group: ozon, host: 127.0.0.1, probes: [tcp, path]}\n",
    )
    env = {**os.environ, **_blocker_env(tmp_path)}
    for args in (["validate", "-c", str(cfg)], ["run", "-c", str(cfg)], ["check", "-c", str(cfg)]):
        r = subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True,
                           env=env, cwd=tmp_path, timeout=60)  # fmt: skip
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr == (
            f"ozon-probe: {cfg}: targets[0] uses the path probe, which needs scapy: "
            "pip install 'ozon-probe[path]'\n"
        ), args
    # check --path on the default profile, which probes the internet if it is not refused:
    # inside a namespace with only loopback
    isolated = Path("/work/shared/bin/isolated")
    if not isolated.exists() or os.geteuid() != 0:
        pytest.skip("check --path on the default profile needs /work/shared/bin/isolated (root)")
    r = subprocess.run([str(isolated), sys.executable, "-m", "agent", "check", "--path"],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)  # fmt: skip
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "ozon-probe[path]" in r.stderr


def test_sighup_reload_refuses_a_missing_extra_and_keeps_running(tmp_path: Path) -> None:
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(16)
        port = srv.getsockname()[1]
        cfg = _config(tmp_path, 'listen: "127.0.0.1:0"\n' + TARGETS % port)
        agent = AgentProcess(cfg, env=_blocker_env(tmp_path))
        try:
            cfg.write_text(
                'listen: "127.0.0.1:0"\n' + TARGETS % port
                + "  - {name: b, group: ozon, host: 127.0.0.1, probes: [path]}\n"
            )  # fmt: skip
            agent.signal(signal.SIGHUP)
            agent.wait_for(lambda: "reload refused" in agent.log, 20, "the refused reload")
            assert "targets[1] uses the path probe, which needs scapy" in agent.log
            assert "Traceback" not in agent.log
            status, metrics = agent.get("/metrics")
            assert status == 200 and "ozon_probe_config_last_reload_success 0.0" in metrics
            assert agent.proc.poll() is None
        finally:
            agent.stop()
