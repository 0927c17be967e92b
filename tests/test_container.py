"""deploy/container and deploy/compose: the compose stack validates with docker-compose and
mounts files that exist; the image builds with podman (buildah underneath) from a fresh clone,
runs as a non-root user with NET_RAW as its only capability, and serves /healthz and /metrics.

The container runs with `--network none` (loopback only), so its default profile probes
nothing real. The build needs no registry: Docker Hub is not reachable from this sandbox, so
the base image is made locally with mmdebstrap (Debian bookworm: python3, python3-venv, from
the Debian mirror apt uses) and the agent's wheels are built on the host (OFFLINE=1). This
sandbox has no cgroup v2, so buildah runs steps with chroot isolation and the container runs
under runc with lowered ulimits."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

COMPOSE = ROOT / "deploy/compose/docker-compose.yml"
DOCKERFILE = ROOT / "deploy/container/Dockerfile"
BASE_IMAGE = "localhost/ozon-probe-test-base:bookworm"
IMAGE = "localhost/ozon-probe:test"


def _compose_config() -> dict[str, object]:
    exe = shutil.which("docker-compose")
    if not exe:
        pytest.skip("docker-compose not installed (apt-get install docker-compose)")
    r = subprocess.run([exe, "-f", str(COMPOSE), "config"], capture_output=True, text=True,
                       timeout=60, cwd=COMPOSE.parent)  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc: dict[str, object] = yaml.safe_load(r.stdout)
    return doc


def test_compose_file_validates_and_wires_the_shipped_files() -> None:
    cfg = _compose_config()
    services = cfg["services"]
    assert isinstance(services, dict)
    assert set(services) == {"agent", "prometheus", "alertmanager", "grafana"}
    agent = services["agent"]
    assert agent["cap_drop"] == ["ALL"] and agent["cap_add"] == ["NET_RAW"]
    # the agent must see the office's real router and routes, not a container bridge
    assert agent["network_mode"] == "host"
    assert agent["build"]["dockerfile"] == "deploy/container/Dockerfile"
    for name, svc in services.items():
        for vol in svc.get("volumes", []):
            src = vol["source"] if isinstance(vol, dict) else vol.split(":")[0]
            # a named volume (agent-state, ...) has no path; a bind mount's source is one
            kind = vol.get("type") if isinstance(vol, dict) else "bind" * src.startswith("/")
            if kind == "bind":
                assert Path(src).exists(), f"{name} mounts {src}, which does not exist"
    mounts = " ".join(str(v) for s in services.values() for v in s.get("volumes", []))
    for shipped in ("deploy/prometheus/rules.yml", "deploy/alertmanager",
                    "grafana/dashboards", "grafana/provisioning/datasources"):  # fmt: skip
        assert str(ROOT / shipped) in mounts, shipped
    # every listener on loopback
    assert "--web.listen-address=127.0.0.1:9090" in services["prometheus"]["command"]
    assert "--web.listen-address=127.0.0.1:9093" in services["alertmanager"]["command"]
    assert services["grafana"]["environment"]["GF_SERVER_HTTP_ADDR"] == "127.0.0.1"


def test_dockerfile_runs_as_a_fixed_non_root_user() -> None:
    text = DOCKERFILE.read_text()
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users == ["10043:10043"]
    assert "CAP_" not in text.replace("# ", "")


def _podman(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    runtime = ["--runtime", "runc"] if shutil.which("runc") else []
    return subprocess.run(["podman", *runtime, *args], capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


@pytest.fixture(scope="module")
def base_image() -> str:
    if not shutil.which("podman"):
        pytest.skip("podman not installed (apt-get install podman buildah runc)")
    if _podman("image", "exists", BASE_IMAGE).returncode == 0:
        return BASE_IMAGE
    if not shutil.which("mmdebstrap"):
        pytest.skip("no base image and no mmdebstrap to make one (apt-get install mmdebstrap)")
    tar = Path("/var/tmp/ozon-probe-test-base.tar")
    r = subprocess.run(
        ["mmdebstrap", "--variant=minbase", "--include=python3,python3-venv,passwd",
         "--mode=root", "bookworm", str(tar), "http://deb.debian.org/debian"],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    r = _podman("import", "-q", str(tar), BASE_IMAGE)
    tar.unlink(missing_ok=True)
    assert r.returncode == 0, r.stderr
    return BASE_IMAGE


@pytest.fixture(scope="module")
def image(base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ctx = tmp_path_factory.mktemp("image") / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(ctx)], check=True, timeout=120)
    for rel in ("deploy", "agent", "docs", "pyproject.toml"):  # uncommitted changes count
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, ctx / rel, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.whl"))  # fmt: skip
        else:
            shutil.copy2(src, ctx / rel)
    wheels = ctx / "deploy/container/wheels"
    r = subprocess.run(["python3", "-m", "pip", "wheel", "-q", "--wheel-dir", str(wheels), ".",
                        "setuptools", "wheel"], cwd=ctx, capture_output=True, text=True,
                       timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    r = _podman("build", "-q", "--isolation=chroot", "--format=docker", "-f",
                "deploy/container/Dockerfile", "--build-arg", f"BASE={base_image}",
                "--build-arg", "OFFLINE=1", "-t", IMAGE, str(ctx))  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    yield IMAGE
    _podman("rmi", "-f", IMAGE)


def test_image_runs_non_root_with_only_net_raw(image: str) -> None:
    r = _podman("run", "-d", "--network", "none", "--cap-drop", "ALL", "--cap-add", "NET_RAW",
                "--read-only", "--tmpfs", "/tmp", "--ulimit", "nofile=1024:1024",
                "--ulimit", "nproc=1000:1000", image)  # fmt: skip
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    try:
        probe = (
            "import os, time, urllib.request as u\n"
            "for _ in range(100):\n"
            "    try:\n"
            "        h = u.urlopen('http://127.0.0.1:10043/healthz', timeout=2).status\n"
            "        break\n"
            "    except OSError:\n"
            "        time.sleep(0.2)\n"
            "m = u.urlopen('http://127.0.0.1:10043/metrics', timeout=2).read().decode()\n"
            "print(os.getuid(), os.getgid(), h, 'ozon_probe_build_info' in m)\n"
        )
        out = _podman("exec", cid, "python3", "-c", probe, timeout=60)
        assert out.stdout.split() == ["10043", "10043", "200", "True"], out.stdout + out.stderr
        caps = _podman("exec", cid, "grep", "CapBnd", "/proc/1/status").stdout.split()[1]
        assert int(caps, 16) == 1 << 13, f"bounding set {caps}: only CAP_NET_RAW (bit 13)"
        time.sleep(1)
        logs = _podman("logs", cid).stderr + _podman("logs", cid).stdout
        assert "Traceback" not in logs, logs
    finally:
        _podman("rm", "-f", cid, timeout=60)
