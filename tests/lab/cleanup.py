"""Remove leftovers of crashed lab runs: `python -m tests.lab.cleanup [--dry-run]`.

Deletes every network namespace whose name starts with "ozp-" (killing the processes inside
it first), every /etc/netns/ozp-* directory and every lab work directory (<tmp>/ozp-*-lab-*).
Touches nothing else. Do not run it while a lab is in use: it removes live labs too.
`--stale` removes only the leftovers of lab processes that are gone (names are ozp-<pid>-...);
every new Lab does that by itself when it starts.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.lab.lab import NS_PREFIX, kill_namespace


def leftover_namespaces(prefix: str = NS_PREFIX) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    names = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    return sorted(n for n in names if n.startswith(prefix))


def leftover_etc(prefix: str = NS_PREFIX) -> list[Path]:
    root = Path("/etc/netns")
    return sorted(root.glob(f"{prefix}*")) if root.is_dir() else []


def leftover_workdirs(prefix: str = NS_PREFIX) -> list[Path]:
    return sorted(p for p in Path(tempfile.gettempdir()).glob(f"{prefix}*-lab-*") if p.is_dir())


def cleanup(dry_run: bool = False, prefix: str = NS_PREFIX) -> list[str]:
    """Remove lab leftovers (names starting with `prefix`, which must start with "ozp-");
    return what was (or would be) removed."""
    if not prefix.startswith(NS_PREFIX):
        raise ValueError(f"refusing to clean up names outside {NS_PREFIX}*: {prefix!r}")
    removed: list[str] = []
    for ns in leftover_namespaces(prefix):
        removed.append(f"netns {ns}")
        if not dry_run:
            kill_namespace(ns)
    for path in [*leftover_etc(prefix), *leftover_workdirs(prefix)]:
        removed.append(str(path))
        if not dry_run:
            shutil.rmtree(path, ignore_errors=True)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process not yet reaped is gone too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def cleanup_stale() -> list[str]:
    """Remove the namespaces and /etc/netns entries of labs whose process is gone."""
    removed: list[str] = []
    owners = {
        m.group(0): int(m.group(1))
        for name in [
            *leftover_namespaces(),
            *(p.name for p in [*leftover_etc(), *leftover_workdirs()]),
        ]
        if (m := re.match(rf"^{re.escape(NS_PREFIX)}(\d+)-", name))
    }
    for prefix, pid in sorted(owners.items()):
        if not _alive(pid):
            removed += cleanup(prefix=prefix)
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Remove leftover ozon-probe lab namespaces.")
    parser.add_argument("--dry-run", action="store_true", help="only list what would go")
    parser.add_argument("--stale", action="store_true", help="only labs whose process is gone")
    args = parser.parse_args(argv)
    if args.stale and args.dry_run:
        parser.error("--stale and --dry-run do not go together")
    for item in cleanup_stale() if args.stale else cleanup(args.dry_run):
        print(("would remove " if args.dry_run else "removed ") + item)
    return 0


if __name__ == "__main__":
    sys.exit(main())
