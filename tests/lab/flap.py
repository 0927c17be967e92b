"""Verdict stability on a real (lab) network: two scenarios that make a naive verdict flap,
run against the real agent in the lab's office, with every change of `/api/status`'s cause
recorded. Used by tests/test_lab_flapping.py (short, in CI) and bench/flap.py (an hour,
before and after, by hand).

    lossy_russia     random loss on the international link (`percent` each way; 7 % each way
                     is about 13.5 % of round trips), for the scenario's length, then clear
                     and watch the recovery
    link_flapping    the office's cable out for `down` seconds every `every` seconds (20 s
                     every 2 minutes), for the scenario's length

The agent runs with the lab's probe intervals (2 s) or the shipped ones (`shipped=True`, with
confirmation bursts, as tests/test_lab_defaults.py), and with the shipped hysteresis policy:
the lab template's short recovery settings are removed from its config. `agent_dir` runs the
agent from another checkout (an older commit: the "before" figures).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.lab.lab import AGENT_FETCH, Lab, shipped_probes

PLATFORM = ("platform_outage", "platform_degraded")
HYSTERESIS_KEYS = (
    "recover_hard",
    "recover_soft",
    "intermittent_count",
    "min_dwell",
    "intermittent_window",
    "recover_intermittent",
)


@dataclass
class FlapRun:
    scenario: str
    seconds: float = 0.0
    #: (seconds since the scenario began, cause), one entry per change, the first included
    changes: list[tuple[float, str]] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)  # the last /api/status read
    cleared_at: float | None = None  # when the fault was removed (seconds), if it was

    @property
    def causes(self) -> list[str]:
        return [c for _, c in self.changes]

    @property
    def verdict_changes(self) -> int:
        return max(0, len(self.changes) - 1)

    def entries(self, cause: str) -> int:
        return sum(1 for c in self.causes[1:] if c == cause)

    def exits(self, cause: str) -> int:
        return sum(1 for a, b in zip(self.causes, self.causes[1:], strict=False) if a == cause)

    @property
    def blamed_ozon(self) -> bool:
        return any(c in PLATFORM for c in self.causes)


class _Agent:
    def __init__(self, lab: Lab, workdir: Path, shipped: bool, agent_dir: Path | None) -> None:
        self.lab = lab
        overrides: dict[str, Any] = {"diagnosis": {"slow_first_byte": "1s"}}
        if shipped:
            overrides |= {"probes": shipped_probes(), "bursts": {"enabled": True}}
        config = lab.agent_config(**overrides)
        for key in HYSTERESIS_KEYS:  # the shipped policy (and keys an older agent lacks)
            config["diagnosis"].pop(key, None)
        path = workdir / "agent.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        env = {"STATE_DIRECTORY": str(workdir / "state")}
        argv = ["python", "-m", "agent", "run", "-c", str(path)]
        self.proc = lab.spawn("office", argv, env=env, cwd=agent_dir)

    def status(self) -> dict[str, Any] | None:
        r = self.lab.exec("office", ["python", "-c", AGENT_FETCH, "/api/status"], timeout=15)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)  # type: ignore[no-any-return]
        except json.JSONDecodeError:
            return None

    def wait_ok(self, limit: float) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            s = self.status()
            if s and s["cause"] == "ok" and not s["measuring"] and not s["reasons"]["held"]:
                return
            time.sleep(0.5)
        raise AssertionError(f"the agent never settled to ok: {self.status()}")


def run_scenario(
    scenario: str,
    seconds: float,
    *,
    workdir: Path,
    shipped: bool = False,
    agent_dir: Path | None = None,
    after: float = 0.0,
    percent: int = 7,
    down: float = 20.0,
    every: float = 120.0,
    poll: float = 1.0,
) -> FlapRun:
    """Run one scenario for `seconds`, then (lossy_russia) clear it and watch `after` more
    seconds. Returns every change of the verdict."""
    run = FlapRun(scenario)
    workdir.mkdir(parents=True, exist_ok=True)
    with Lab() as lab:
        agent = _Agent(lab, workdir, shipped, agent_dir)
        agent.wait_ok(180)
        stop = threading.Event()
        began = time.monotonic()

        def watch() -> None:
            while not stop.is_set():
                s = agent.status()
                if s is not None:
                    run.last = s
                    if not run.changes or run.changes[-1][1] != s["cause"]:
                        run.changes.append((round(time.monotonic() - began, 1), s["cause"]))
                stop.wait(poll)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            if scenario == "lossy_russia":
                lab.inject("intl_lossy", percent=percent)
                time.sleep(seconds)
                lab.clear()
                run.cleared_at = round(time.monotonic() - began, 1)
                time.sleep(after)
            elif scenario == "link_flapping":
                end = began + seconds
                while time.monotonic() < end:
                    cycle = time.monotonic()
                    lab.inject("office_link_down")
                    time.sleep(down)
                    lab.clear()
                    time.sleep(max(0.0, every - (time.monotonic() - cycle)))
                time.sleep(after)
            else:
                raise ValueError(f"unknown scenario {scenario!r}")
        finally:
            stop.set()
            watcher.join(timeout=30)
            run.seconds = round(time.monotonic() - began, 1)
    return run
