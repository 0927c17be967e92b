"""Optional dependencies (pip extras) and the config parts that need them.

`pip install ozon-probe` alone runs the default profile: DNS, ICMP, TCP, TLS, HTTP and the
Seller API need nothing beyond the base dependencies. The packet-level probes (scapy) and
speedtest-cli are extras because together with cryptography they are most of an install's
size, too much for a router box, and most sellers never run path or speed tests.

cryptography (`[tls]`) is not listed here: without it the TLS probe still works, only the
expiry date of a certificate that failed verification is unknown (agent/probes/tls.py).
"""

from __future__ import annotations

import importlib.util

from agent.config import Config
from agent.probes import KINDS

# probe kind -> (import name, pip extra, what to call it in the message): each kind's spec says
EXTRAS: dict[str, tuple[str, str, str]] = {
    name: spec.requires for name, spec in KINDS.items() if spec.requires is not None
}


def installed(import_name: str) -> bool:
    # find_spec only locates the package: importing scapy here would cost the RSS that the
    # lazy imports in agent/probes exist to avoid
    try:
        return importlib.util.find_spec(import_name) is not None
    except (ImportError, ValueError):
        return False


def _hint(kind: str) -> str:
    _, extra, label = EXTRAS[kind]
    return f"needs {label}: pip install 'ozon-probe[{extra}]'"


def missing_extras(config: Config, *, path_check: bool = False) -> list[str]:
    """One line per config part whose probe kind needs an extra that is not installed, e.g.
    "config.yaml: targets[3] uses the path probe, which needs scapy: pip install
    'ozon-probe[path]'". `path_check` is `ozon-probe check --path`, which traces every Ozon
    host whatever the config lists."""
    lines: list[str] = []
    for i, target in enumerate(config.targets):
        for kind in target.probes:
            if kind in EXTRAS and not installed(EXTRAS[kind][0]):
                lines.append(
                    f"{config.source}: targets[{i}] uses the {kind} probe, which {_hint(kind)}"
                )
    # enabled alone counts: `check --throughput` runs it even while scheduled tests are off
    if config.throughput.speedtest.enabled and not installed(EXTRAS["speedtest"][0]):
        lines.append(f"{config.source}: throughput.speedtest.enabled {_hint('speedtest')}")
    if path_check and not installed(EXTRAS["path"][0]):
        lines.append(f"check --path traces the path to each Ozon host, which {_hint('path')}")
    return lines


def first_line(problems: list[str]) -> str:
    """The one line a user sees for a list of problems: the first, and how many more."""
    more = f" (and {len(problems) - 1} more like it)" if len(problems) > 1 else ""
    return problems[0] + more
