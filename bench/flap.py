"""Verdict stability over an hour in the fault lab, before and after (run by hand, as root:
it builds network namespaces; nothing leaves them).

    python3 bench/flap.py --minutes 60 --label after
    git worktree add /tmp/before <commit> && python3 bench/flap.py --minutes 60 \\
        --label before --agent /tmp/before

Runs both scenarios of tests/lab/flap.py at once, each in its own lab, with the shipped probe
intervals and bursts (`--lab-intervals` for the lab's 2 s) and the agent's own hysteresis
defaults: a path to Russia losing 7 % each way (about 13.5 % of round trips) for the whole
time, then cleared and watched 3 more minutes; the office cable out 20 s every 2 minutes.
Prints a Markdown table (verdict changes, entries and exits per cause) and writes each run's
changes to bench/results/flap-LABEL-SCENARIO.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.lab.flap import FlapRun, run_scenario  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--label", default="after")
    ap.add_argument("--agent", type=Path, default=None, help="run the agent from this checkout")
    ap.add_argument("--lab-intervals", action="store_true", help="probe every 2 s, no bursts")
    ap.add_argument("--scenario", choices=("lossy_russia", "link_flapping", "both"), default="both")
    args = ap.parse_args(argv)
    scenarios = ["lossy_russia", "link_flapping"] if args.scenario == "both" else [args.scenario]
    seconds = args.minutes * 60
    out: dict[str, FlapRun] = {}
    errors: list[BaseException] = []
    tmp = Path(tempfile.mkdtemp(prefix="ozp-flap-"))

    def go(name: str) -> None:
        try:
            extra = {"after": 180.0} if name == "lossy_russia" else {}
            out[name] = run_scenario(
                name,
                seconds,
                workdir=tmp / name,
                shipped=not args.lab_intervals,
                agent_dir=args.agent,
                **extra,  # type: ignore[arg-type]
            )
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=go, args=(n,)) for n in scenarios]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    print("| scenario | agent | minutes | verdict changes | causes seen (entries/exits) |")
    print("|---|---|---|---|---|")
    for name in scenarios:
        run = out[name]
        (results / f"flap-{args.label}-{name}.json").write_text(
            json.dumps({"scenario": name, "label": args.label, "seconds": run.seconds,
                        "cleared_at": run.cleared_at, "changes": run.changes}, indent=1)
        )  # fmt: skip
        seen = sorted(set(run.causes) - {"ok"})
        detail = ", ".join(f"{c} {run.entries(c)}/{run.exits(c)}" for c in seen) or "none"
        print(f"| {name} | {args.label} | {args.minutes:g} | {run.verdict_changes} | {detail} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
