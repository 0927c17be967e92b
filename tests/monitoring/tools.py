"""Paths and command helpers shared by the monitoring tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROM_DIR = ROOT / "deploy" / "prometheus"
RULES = PROM_DIR / "rules.yml"
PROM_CONFIG = PROM_DIR / "prometheus.yml"
PROM_TESTS = sorted((PROM_DIR / "tests").glob("*.yml"))
AM_DIR = ROOT / "deploy" / "alertmanager"
AM_CONFIG = AM_DIR / "alertmanager.yml"
GRAFANA = ROOT / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
METRICS_DOC = ROOT / "docs" / "metrics.md"


def tool(name: str, *alternatives: str) -> str:
    """Path of a command-line tool, or skip the test (install the Debian packages
    prometheus and prometheus-alertmanager)."""
    for n in (name, *alternatives):
        path = shutil.which(n)
        if path:
            return path
    pytest.skip(f"{name} not installed (apt-get install prometheus prometheus-alertmanager)")


def run(
    cmd: list[str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def load_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text())
    return [r for g in doc["groups"] for r in g["rules"]]


def alert_rules() -> list[dict[str, Any]]:
    return [r for r in load_rules() if "alert" in r]
