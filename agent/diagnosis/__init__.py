"""Is it me or Ozon? Evidence assessed once (evidence.py), then an ordered table of rules
(rules.py, one row each of docs/diagnosis.md), and the verdict over time (diagnoser.py). The
findings are reason codes (reasons.py); agent/i18n.py words them."""

from agent.diagnosis.diagnoser import Diagnoser, Diagnosis
from agent.diagnosis.evidence import Evidence, ServiceState
from agent.diagnosis.reasons import Reason
from agent.diagnosis.rules import RULES

__all__ = ["RULES", "Diagnoser", "Diagnosis", "Evidence", "Reason", "ServiceState"]
