"""Triage helpers: the STarT Back risk group and the Childs 2004 manipulation rule.

The manipulation rule is reported with the population it was validated in (issue 11): outside it
(under 18 or over 60, nerve-root signs, previous lumbar surgery, pregnancy) its answer does not
apply, and the independent trial in which it failed (Hancock 2008) is always shown beside it.
"""

from __future__ import annotations

from typing import Any

from weizhong.case import Case
from weizhong.knowledge import Knowledge
from weizhong.knowledge.records import Exclusion, RulePopulation
from weizhong.reasoning.instruments import InstrumentError, score_instrument

__all__ = [
    "Exclusion",
    "RulePopulation",
    "criteria_in_words",
    "manipulation_rule",
    "rule_population",
    "start_back",
]


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


def rule_population(
    case: Case, knowledge: Knowledge, population: RulePopulation | None = None
) -> dict[str, Any]:
    """Whether this patient is inside the population the rule was validated in.

    ``applies`` is True inside, False outside (``outside`` says why), None when the age is not
    recorded (the one fact the population needs that an exam cannot leave out).
    """
    population = population or knowledge.manipulation_rule.population
    outside: list[dict[str, str]] = []
    age = case.view.get("age")
    if isinstance(age, int) and not population.min_age <= age <= population.max_age:
        outside.append({
            "id": "age", "label": f"age {age}, outside {population.min_age}–{population.max_age}",
        })  # fmt: skip
    for exclusion in population.outside:
        if exclusion.predicate.check(case.view) is True:
            outside.append({"id": exclusion.id, "label": exclusion.label})
    applies: bool | None
    if outside:
        applies = False
    elif not isinstance(age, int):
        applies = None
    else:
        applies = True
    return {
        "applies": applies,
        "outside": outside,
        "age_range": [population.min_age, population.max_age],
        "source": population.source,
    }


def manipulation_rule(case: Case, knowledge: Knowledge) -> dict[str, Any]:
    rule = knowledge.manipulation_rule
    population = rule.population
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
        "population": rule_population(case, knowledge, population),
        "validation": dict(population.validation),
    }


def criteria_in_words(rule: dict[str, Any]) -> str:
    """The rule's criteria by their labels, grouped: "met: a; b. Not met: c. Not examined: d"
    (issue 13: "1 of 5 met" alone does not say which)."""
    groups = (
        ("met", [c["label"] for c in rule["criteria"] if c["met"] is True]),
        ("not met", [c["label"] for c in rule["criteria"] if c["met"] is False]),
        ("not examined", [c["label"] for c in rule["criteria"] if c["met"] is None]),
    )
    said = [f"{name}: {'; '.join(labels)}" for name, labels in groups if labels]
    return ". ".join([*said[:1], *(part[0].upper() + part[1:] for part in said[1:])])
