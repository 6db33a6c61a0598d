"""Triage helpers: the STarT Back risk group and the Childs 2004 manipulation rule.

The manipulation rule is reported with the population it was validated in (issue 11): outside it
(under 18 or over 60, nerve-root signs, previous lumbar surgery, pregnancy) its answer does not
apply, and the independent trial in which it failed (Hancock 2008) is always shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weizhong.case import Case
from weizhong.knowledge import Knowledge
from weizhong.knowledge.loader import KnowledgeError, case_name_checker, knowledge_dir
from weizhong.knowledge.predicates import Predicate, PredicateError, compile_predicate
from weizhong.knowledge.tables import read_toml
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


@dataclass(frozen=True)
class Exclusion:
    id: str
    label: str
    predicate: Predicate


@dataclass(frozen=True)
class RulePopulation:
    """Who the manipulation rule was validated in, and the trial that failed to confirm it."""

    min_age: int
    max_age: int
    source: str
    outside: tuple[Exclusion, ...]
    validation: dict[str, str]


def load_rule_population(knowledge: Knowledge, path: Path | None = None) -> RulePopulation:
    """The [manipulation_rule.population] and [.validation] tables of triage.toml, read once."""
    if path is None:  # asked once per case: found by knowledge object alone, with no Path built
        known = _CONFIGURED.get(id(knowledge))
        if known is None or known[0] is not knowledge:
            population = load_rule_population(knowledge, knowledge_dir() / "triage.toml")
            known = _CONFIGURED[id(knowledge)] = (knowledge, population)
        return known[1]
    key = (path, id(knowledge))
    cached = _POPULATIONS.get(key)
    if cached is None or cached[0] is not knowledge:
        cached = _POPULATIONS[key] = (knowledge, _load_population(path, knowledge))
    return cached[1]


# Read once per knowledge object (Knowledge holds dicts, so it cannot be a functools.cache key):
# by file, and for the configured file by knowledge object alone.
_POPULATIONS: dict[tuple[Path, int], tuple[Knowledge, RulePopulation]] = {}
_CONFIGURED: dict[int, tuple[Knowledge, RulePopulation]] = {}


def _load_population(path: Path, knowledge: Knowledge) -> RulePopulation:
    top = read_toml(path, KnowledgeError)
    rule = top.table("manipulation_rule")
    population = rule.table("population")
    known = case_name_checker(knowledge)
    outside = []
    for entry in population.opt_tables("outside"):
        entry.where = f"manipulation_rule.population.outside '{entry.data.get('id')}'"
        try:
            predicate = compile_predicate(entry.text("predicate"), known)
        except PredicateError as error:
            entry.fail(f"'predicate': {error}")
        outside.append(Exclusion(entry.text("id"), entry.text("label"), predicate))
    validation = rule.table("validation")
    return RulePopulation(
        min_age=population.integer("min_age"),
        max_age=population.integer("max_age"),
        source=population.text("source"),
        outside=tuple(outside),
        validation={"text": validation.text("text"), "source": validation.text("source")},
    )


def rule_population(
    case: Case, knowledge: Knowledge, population: RulePopulation | None = None
) -> dict[str, Any]:
    """Whether this patient is inside the population the rule was validated in.

    ``applies`` is True inside, False outside (``outside`` says why), None when the age is not
    recorded (the one fact the population needs that an exam cannot leave out).
    """
    population = population or load_rule_population(knowledge)
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
    population = load_rule_population(knowledge)
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
