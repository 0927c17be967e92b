"""Costs of the country profile and the word tools, for docs/performance.md.

    python bench/seller_words.py

No network: it loads the built-in profile (country decision and profile expansion included)
and runs the masking and width functions on made-up text. Not a timed test; CI does not run it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.config import default_profile_text, load_default, parse_config  # noqa: E402
from agent.countries import apply_country_profile, load_profile  # noqa: E402
from agent.lang import display_width  # noqa: E402
from agent.probes.seller_api_errors import mask_secrets  # noqa: E402

KEY = "3f9c2a71-5b4e-4d0a-9e61-7c2b8f0d4a19"


def per_call(fn: Callable[[], object], n: int) -> float:
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t) / n)
    return statistics.median(runs)


def main() -> None:
    code = (
        "import time; t = time.perf_counter(); from agent.config import load_default; "
        "load_default(); print(time.perf_counter() - t)"
    )
    cold = []
    for tz in ("Europe/Moscow", "Asia/Shanghai"):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env={"TZ": tz, "PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        cold.append((tz, float(out)))
    parsed = parse_config(default_profile_text(), "<built-in default>")
    print("| figure | value |")
    print("|---|---|")
    for tz, seconds in cold:
        print(
            f"| first `load_default()` in a fresh process, TZ={tz} (imports included) | "
            f"{seconds * 1000:.0f} ms |"
        )
    load_profile.cache_clear()
    cn = {"TZ": "Asia/Shanghai"}
    apply_us = per_call(lambda: apply_country_profile(parsed, cn), 200) * 1e6
    print(f"| `apply_country_profile` (CN, profiles cached) | {apply_us:.0f} µs |")
    again_ms = per_call(load_default, 50) * 1000
    print(f"| `load_default()` again in the same process | {again_ms:.2f} ms |")
    short = f"Invalid Api-Key {KEY.upper()} for client 1943061"
    big = ("x" * 1000 + KEY[3:15]) * 64
    print(
        f"| `mask_secrets`, a 60-character message, 2 secrets | "
        f"{per_call(lambda: mask_secrets(short, [KEY, '1943061']), 2000) * 1e6:.0f} µs |"
    )
    print(
        f"| `mask_secrets`, a 65 kB body with 64 partial echoes | "
        f"{per_call(lambda: mask_secrets(big, [KEY]), 20) * 1000:.1f} ms |"
    )
    row = "Личный кабинет продавца 卖家后台 Ozon ID（登录）"
    print(
        f"| `display_width` of a 40-character mixed line | "
        f"{per_call(lambda: display_width(row), 5000) * 1e6:.1f} µs |"
    )


if __name__ == "__main__":
    main()
