"""Install size and daemon RSS of an install without extras (and, for comparison, with all),
for router boxes: docs/install.md and docs/performance.md quote its output.

    sudo python3 bench/footprint.py            # needs root: the daemon runs in a namespace
                                               # with only loopback (/work/shared/bin/isolated
                                               # or `unshare -n`), so nothing leaves the machine

Each install is a fresh virtual environment made by deploy/install.sh (dependencies from the
package index, OZON_PROBE_NO_START=1). Sizes are `du` of the venv, with pip and setuptools
(which a router could delete) shown separately. RSS is VmRSS of the daemon, sampled every
second for `--seconds` after a warm-up; probes to the internet fail at once in that namespace,
so the figure is the agent's own footprint with every target configured, not one under load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ISOLATED = Path("/work/shared/bin/isolated")


def du_mib(path: Path) -> float:
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) / 1024


def install(prefix: Path, extras: str) -> None:
    env = {**os.environ, "PREFIX": str(prefix), "BINDIR": str(prefix / "_bin"),
           "SYSCONFDIR": str(prefix / "_etc"), "EXTRAS": extras, "OZON_PROBE_NO_START": "1"}  # fmt: skip
    env.pop("PYTHONPATH", None)
    subprocess.run(["bash", "deploy/install.sh"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)  # fmt: skip


def sizes(prefix: Path) -> dict[str, float]:
    site = next(prefix.glob("lib/python3*/site-packages"))
    tools = sum(du_mib(p) for p in site.iterdir() if p.name.split("-")[0] in ("pip", "setuptools"))
    doc = du_mib(prefix / "share") if (prefix / "share").exists() else 0.0
    total = du_mib(prefix)
    return {"venv": total, "without pip/setuptools/docs": total - tools - doc}


def rss(exe: Path, config: Path | None, warmup: float, seconds: float) -> tuple[float, float]:
    cmd = [str(exe), "run", *(["-c", str(config)] if config else [])]
    prefix = [str(ISOLATED)] if ISOLATED.exists() else ["unshare", "-n"]
    script = (
        f"ip link set lo up 2>/dev/null; {' '.join(cmd)} 2>/dev/null & pid=$!; sleep {warmup}; "
        f"for i in $(seq {int(seconds)}); do grep VmRSS /proc/$pid/status; sleep 1; done; "
        "kill $pid; wait $pid"
    )
    out = subprocess.run([*prefix, "bash", "-c", script], capture_output=True, text=True,
                         timeout=warmup + seconds + 60, env={**os.environ, "PYTHONPATH": ""})  # fmt: skip
    kib = [int(line.split()[1]) for line in out.stdout.splitlines() if line.startswith("VmRSS")]
    if not kib:
        raise SystemExit(f"no RSS samples: {out.stderr.strip()[-300:]}")
    return statistics.median(kib) / 1024, max(kib) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warmup", type=float, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ozp-footprint-"))
    lowmem = ROOT / "deploy/openwrt/config.lowmem.yaml"
    try:
        for extras in ("", "all"):
            prefix = work / (extras or "minimal")
            install(prefix, extras)
            s = sizes(prefix)
            print(f"install [{extras or 'no extras'}]: venv {s['venv']:.1f} MiB, "
                  f"{s['without pip/setuptools/docs']:.1f} MiB without pip/setuptools/docs")  # fmt: skip
            if extras:
                continue
            exe = prefix / "bin/ozon-probe"
            for name, cfg in (("default profile", None), ("low-memory profile", lowmem)):
                med, top = rss(exe, cfg, args.warmup, args.seconds)
                print(f"daemon RSS, {name}, no extras: median {med:.1f} / max {top:.1f} MiB")
                time.sleep(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
