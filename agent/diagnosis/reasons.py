"""Reasons: what the diagnosis found, as a code and its parameters, never as prose.

The view layer (agent/words.py) words a reason in the reader's language; `/api/status`, the
journal and reports carry the code and parameters too, so a machine can read them and a person
can read them in Russian, Chinese or English. A parameter may itself be a reason (a service's
state quotes what its probe said) or a list of reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Param = Any  # str | int | float | Reason | list[Reason] | list[str]


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, Param] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": {k: _json(v) for k, v in self.params.items()}}


def from_json(doc: Any) -> Any:
    """A reason (or a parameter) back from its JSON form, as the journal keeps it."""
    if isinstance(doc, dict) and "code" in doc and set(doc) <= {"code", "params"}:
        return Reason(
            str(doc["code"]), {k: from_json(v) for k, v in (doc.get("params") or {}).items()}
        )
    if isinstance(doc, list):
        return [from_json(x) for x in doc]
    return doc


def R(code: str, **params: Param) -> Reason:
    return Reason(code, params)


def _json(v: Param) -> Any:
    if isinstance(v, Reason):
        return v.to_json()
    if isinstance(v, list | tuple):
        return [_json(x) for x in v]
    return v
