"""Config validation time against the number of targets, run by hand (not in CI).

    python bench/config_parse.py [N ...]     # default: 1000 5000 20000

Each target is a distinct https target with a url, an expect block and a country, so every
check (URL, duplicate names, probes) runs once per target. Prints one Markdown row per size:
what docs/performance.md quotes. Nothing here touches the network.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.config import parse_config  # noqa: E402


def config_text(targets: int) -> str:
    lines = ["resolvers: [{name: system, address: system}]", "targets:"]
    for i in range(targets):
        lines.append(
            f"  - {{name: t{i}, group: ozon, service: cabinet, country: RU,"
            f" url: 'https://h{i}.example.ru/v1/x', expect: {{status: [200, 401]}}}}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 5000, 20000]
    # the best of 3, in CPU seconds: the machine is shared and wall time swings with it
    print("| targets | file size | parse_config CPU seconds (best of 3) |")
    print("|---:|---:|---:|")
    for n in sizes:
        text = config_text(n)
        runs = []
        for _ in range(3):
            started = time.process_time()
            config = parse_config(text, "bench.yaml")
            runs.append(time.process_time() - started)
            assert len(config.targets) == n
        print(f"| {n} | {len(text) / 1e6:.1f} MB | {min(runs):.2f} |")


if __name__ == "__main__":
    main()
