"""Stratified care: the STarT Back risk group and the FABQ change the plan (NICE NG59 1.1.2-1.1.3).

The rules live in ``knowledge/data/stratified_care.toml``: what each STarT Back risk group changes
(low: advice, reassurance, self-management and few visits; medium: a clinician-led exercise package
with manual therapy only inside it; high: psychologically informed care with graded activity and
pain education), and the FABQ flags (work subscale above 34, Fritz & George 2002). Each rule has a
stable id and its hazards; the exercises and education items it adds must exist in exercises.toml,
which the loader checks once.

:func:`stratified_care` returns the risk group, what it changes in words for the clinician and for
the patient, the sources, and ``changes``, the part the planner applies::

    {"visits_per_week": 1, "planned_visits": 2, "add_exercises": ["graded_walking"],
     "education": ["back_pain_reassurance"]}

When neither instrument was scored it says so, changes nothing, and asks for STarT Back at first
contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

from weizhong.case import Case
from weizhong.knowledge.hazards import hazard_ids
from weizhong.knowledge.loader import KnowledgeError, case_name_checker, load_knowledge
from weizhong.knowledge.predicates import Predicate, PredicateError, compile_predicate
from weizhong.knowledge.registry import configuration, knowledge_path
from weizhong.knowledge.tables import Table, read_toml
from weizhong.planning.home_programme import load_library

__all__ = ["StratifiedCare", "load_stratified_rules", "stratified_care"]

FILE = "stratified_care.toml"
APPROACHES = ("self_management", "physiotherapy_package", "psychologically_informed")
RISK_GROUPS = ("low", "medium", "high")


@dataclass(frozen=True)
class RiskGroupRule:
    id: str
    risk_group: str
    hazards: tuple[str, ...]
    approach: str
    does: tuple[str, ...]
    for_clinician: str
    for_patient: str
    visits_per_week: int
    planned_visits: int
    visits_note: str
    add_exercises: tuple[str, ...]
    education: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class FlagRule:
    id: str
    when: Predicate | None  # None: the finding it reads is not in the case format yet
    requires_finding: str
    hazards: tuple[str, ...]
    at_least: str
    does: tuple[str, ...]
    for_clinician: str
    for_patient: str
    add_exercises: tuple[str, ...]
    education: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class NotScored:
    id: str
    hazards: tuple[str, ...]
    ask: str
    for_clinician: str
    source: str


@dataclass(frozen=True)
class StratifiedRules:
    version: str
    groups: dict[str, RiskGroupRule]  # by risk group
    flags: tuple[FlagRule, ...]
    not_scored: NotScored


class Changes(TypedDict, total=False):
    visits_per_week: int
    planned_visits: int
    add_exercises: list[str]
    education: list[str]


class StratifiedCare(TypedDict):
    status: str  # "stratified", "fabq_only" or "not_scored"
    risk_group: str | None
    approach: str | None
    start_back: dict[str, Any] | None
    fabq_work: int | None
    does: list[str]
    explanation: str
    patient_explanation: str
    changes: Changes
    ask: list[str]
    rules: list[str]
    hazards: list[str]
    sources: list[str]
    notes: list[str]


def _ids(table: Table, exercises: set[str], education: set[str]) -> tuple[tuple[str, ...], ...]:
    add = table.texts("add_exercises")
    if unknown := [i for i in add if i not in exercises]:
        table.fail(f"'add_exercises' names exercises not in exercises.toml: {', '.join(unknown)}")
    teach = table.texts("education")
    if unknown := [i for i in teach if i not in education]:
        table.fail(f"'education' names items not in exercises.toml [[education]]: {unknown}")
    return add, teach


def load_stratified_rules(path: Path | None = None) -> StratifiedRules:
    """The validated rules of stratified_care.toml, read once."""
    return _load(path or knowledge_path(FILE), configuration())


@cache
def _load(path: Path, configured: str) -> StratifiedRules:
    """Cached by the knowledge setting too: the rules name exercises of the library."""
    top = read_toml(path, KnowledgeError, FILE)
    version = top.table("meta").text("version")
    library = load_library()
    exercises, education = set(library.exercises), set(library.education)
    knowledge = load_knowledge()
    known = case_name_checker(knowledge)
    raw = top.table("not_scored")
    raw.only(("id", "hazards", "ask", "for_clinician", "source"))
    not_scored = NotScored(
        raw.text("id"),
        hazard_ids(raw),
        raw.text("ask"),
        raw.text("for_clinician"),
        raw.text("source"),
    )
    groups: dict[str, RiskGroupRule] = {}
    for table in top.opt_tables("risk_group"):
        table.only(
            (
                *("id", "risk_group", "hazards", "approach", "does", "for_clinician"),
                *("for_patient", "visits_per_week", "planned_visits", "visits_estimate"),
                *("visits_rationale", "add_exercises", "education", "source"),
            )
        )
        ident = table.text("id")
        table.where = f"risk_group '{ident}'"
        group = table.choice("risk_group", RISK_GROUPS)
        if group in groups:
            table.fail(f"a second rule for the {group} risk group")
        if not table.opt_flag("visits_estimate", False):
            table.fail("visit numbers need 'visits_estimate = true' and a 'visits_rationale'")
        visits_per_week = table.integer("visits_per_week")
        planned = table.integer("planned_visits")
        if not 1 <= visits_per_week <= 7 or planned < 1:
            table.fail("visits_per_week must be 1–7 and planned_visits at least 1")
        add, teach = _ids(table, exercises, education)
        groups[group] = RiskGroupRule(
            id=ident,
            risk_group=group,
            hazards=hazard_ids(table),
            approach=table.choice("approach", APPROACHES),
            does=table.texts("does"),
            for_clinician=table.text("for_clinician"),
            for_patient=table.text("for_patient"),
            visits_per_week=visits_per_week,
            planned_visits=planned,
            visits_note=f"estimate: {table.text('visits_rationale')}",
            add_exercises=add,
            education=teach,
            source=table.text("source"),
        )
    if missing := [g for g in RISK_GROUPS if g not in groups]:
        top.fail(f"no [[risk_group]] for {', '.join(missing)}")
    flags: list[FlagRule] = []
    for table in top.opt_tables("flag"):
        table.only(
            (
                *("id", "when", "requires_finding", "hazards", "at_least", "does"),
                *("for_clinician", "for_patient", "add_exercises", "education", "source"),
            )
        )
        ident = table.text("id")
        table.where = f"flag '{ident}'"
        needs = table.opt_text("requires_finding") or ""
        when = None
        if not needs or needs in knowledge.findings:
            try:
                when = compile_predicate(table.text("when"), known)
            except PredicateError as error:
                table.fail(f"'when': {error}")
        add, teach = _ids(table, exercises, education)
        flags.append(
            FlagRule(
                id=ident,
                when=when,
                requires_finding=needs,
                hazards=hazard_ids(table),
                at_least=table.choice("at_least", APPROACHES),
                does=table.texts("does"),
                for_clinician=table.text("for_clinician"),
                for_patient=table.text("for_patient"),
                add_exercises=add,
                education=teach,
                source=table.text("source"),
            )
        )
    return StratifiedRules(version, groups, tuple(flags), not_scored)


def _add(target: list[str], items: tuple[str, ...]) -> None:
    target.extend(i for i in items if i not in target)


def stratified_care(case: Case, triage: dict[str, Any]) -> StratifiedCare:
    """What the psychosocial screen changes in the plan (``triage``: ``assess(case)["triage"]``)."""
    rules = load_stratified_rules()
    start_back = triage.get("start_back")
    group_name = start_back.get("risk_group") if isinstance(start_back, dict) else None
    group = rules.groups.get(str(group_name)) if group_name else None
    fabq_work = case.findings.get("fabq_work")
    flags = [f for f in rules.flags if f.when is not None and f.when.check(case.view) is True]
    notes = [
        f"{f.id} needs the finding '{f.requires_finding}', which the case format does not record "
        "yet; the subscale cannot change the plan."
        for f in rules.flags
        if f.when is None
    ]
    ask: list[str] = []
    if group is None:
        ask.append(rules.not_scored.ask)
        if isinstance(start_back, dict) and start_back.get("error"):
            ask.append(f"The STarT Back answers could not be scored: {start_back['error']}")
    if group is None and not flags:
        return StratifiedCare(
            status="not_scored",
            risk_group=None,
            approach=None,
            start_back=start_back,
            fabq_work=fabq_work,
            does=[],
            explanation=rules.not_scored.for_clinician,
            patient_explanation="",
            changes=Changes(),
            ask=ask,
            rules=[rules.not_scored.id],
            hazards=list(rules.not_scored.hazards),
            sources=[rules.not_scored.source],
            notes=notes,
        )
    does: list[str] = []
    exercises: list[str] = []
    education: list[str] = []
    clinician: list[str] = []
    patient: list[str] = []
    fired: list[str] = []
    hazards: list[str] = []
    sources: list[str] = []
    approach = group.approach if group else None
    if group is not None:
        _add(does, group.does)
        _add(exercises, group.add_exercises)
        _add(education, group.education)
        clinician.append(group.for_clinician)
        patient.append(group.for_patient)
        fired.append(group.id)
        _add(hazards, group.hazards)
        sources.append(group.source)
    for flag in flags:
        if approach is None or APPROACHES.index(flag.at_least) > APPROACHES.index(approach):
            approach = flag.at_least
        _add(does, flag.does)
        _add(exercises, flag.add_exercises)
        _add(education, flag.education)
        clinician.append(flag.for_clinician)
        patient.append(flag.for_patient)
        fired.append(flag.id)
        _add(hazards, flag.hazards)
        sources.append(flag.source)
    changes = Changes(add_exercises=exercises, education=education)
    if group is not None:
        # The visits follow the approach: a flag that raises low risk to a package raises them too.
        visits = next(g for g in rules.groups.values() if g.approach == approach)
        changes["visits_per_week"] = visits.visits_per_week
        changes["planned_visits"] = visits.planned_visits
        notes.append(f"Visits ({visits.id}): {visits.visits_note}")
    return StratifiedCare(
        status="stratified" if group is not None else "fabq_only",
        risk_group=group.risk_group if group else None,
        approach=approach,
        start_back=start_back,
        fabq_work=fabq_work,
        does=does,
        explanation=" ".join(clinician),
        patient_explanation=" ".join(patient),
        changes=changes,
        ask=ask,
        rules=fired,
        hazards=hazards,
        sources=sources,
        notes=notes,
    )
