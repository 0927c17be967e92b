"""A table a lab test measured: printed into CI's log, and with OZON_PROBE_UPDATE_DOCS=1
written into docs/diagnosis.md between `<!-- NAME:begin -->` and `<!-- NAME:end -->`."""

from __future__ import annotations

import os

from tests.conftest import ROOT


def publish(table: str, name: str) -> None:
    print("\n" + table)
    if os.environ.get("OZON_PROBE_UPDATE_DOCS"):
        doc = ROOT / "docs" / "diagnosis.md"
        text = doc.read_text()
        start, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        a, b = text.index(start) + len(start), text.index(end)
        doc.write_text(text[:a] + "\n" + table + "\n" + text[b:])
