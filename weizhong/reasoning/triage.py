"""Triage helpers: the STarT Back risk group and the Childs 2004 manipulation rule."""

from __future__ import annotations

from typing import Any

from weizhong.case import Case
from weizhong.knowledge import Knowledge
from weizhong.reasoning.instruments import InstrumentError, score_instrument


def start_back(case: Case) -> dict[str, Any] | None:
    answers = case.findings.get("startback_answers")
    if answers is None:
        return None
    try:
        result = score_instrument("startback", list(answers))
    except InstrumentError as error:
        return {"error": str(error)}
    return {
        "score": result.score,
        "psychosocial": result.subscores.get("psychosocial"),
        "risk_group": result.band,
        "interpretation": result.interpretation,
    }


def manipulation_rule(case: Case, knowledge: Knowledge) -> dict[str, Any]:
    rule = knowledge.manipulation_rule
    criteria = []
    met = unknown = 0
    for criterion in rule.criteria:
        value = criterion.predicate.check(case.view)
        met += value is True
        unknown += value is None
        criteria.append({"id": criterion.id, "label": criterion.label, "met": value})
    if met >= rule.positive_at:
        status = "positive"
    elif met + unknown < rule.positive_at:
        status = "negative"
    else:
        status = "incomplete"
    return {
        "name": rule.name,
        "met": met,
        "of": len(rule.criteria),
        "positive_at": rule.positive_at,
        "status": status,
        "criteria": criteria,
        "missing": [c["id"] for c in criteria if c["met"] is None],
        "source": rule.source,
    }
