"""The home programme: a few exercises matched to the assessment, with dose and a weekly plan.

Few on purpose (four by default): adherence to home exercise falls as programmes grow. Each
exercise is chosen because it serves a leading condition, and never when its `avoid` list names
the patient's situation (an acute strain, a tendinopathy that stretching compresses, radicular
pain and static nerve stretch).

The exam rules of exercises.toml (``[[rule]]``, issue 11) come on top, each with a stable id:
a directional exercise needs that tested directional preference, a nerve slider a positive neural
test, pregnancy removes prone and (after about 16 weeks) supine exercises, a fresh hamstring strain
removes hamstring stretches, and a positive Thomas test brings the matching hip-flexor stretch.
Every exercise left out says why and which rule left it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from weizhong.case import Case
from weizhong.knowledge.hazards import hazard_ids
from weizhong.knowledge.loader import KnowledgeError, case_name_checker, load_knowledge
from weizhong.knowledge.predicates import Predicate, PredicateError, compile_predicate
from weizhong.knowledge.registry import configuration, knowledge_path
from weizhong.knowledge.tables import Table, read_toml
from weizhong.numbers import number

MAX_EXERCISES = 4
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CATEGORIES = ("stretch", "neural_mobility", "strengthening", "motor_control", "mobility", "aerobic")
POSITIONS = (
    "supine",
    "prone",
    "side_lying",
    "seated",
    "standing",
    "kneeling",
    "half_kneeling",
    "quadruped",
)
RuleKind = Literal["requires", "avoid", "bring"]
RULE_KINDS: tuple[RuleKind, ...] = ("requires", "avoid", "bring")
SELECTOR_KEYS = ("category", "position", "directional_preference", "targets_any", "ids")


@dataclass(frozen=True)
class Avoid:
    condition: str
    phase: str | None
    why: str


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    category: str
    targets: tuple[str, ...]
    serves: tuple[str, ...]
    directional_preference: str | None
    steps: tuple[str, ...]
    cues: tuple[str, ...]
    feel: str
    stop_if: tuple[str, ...]
    progression: str
    regression: str
    avoid: tuple[Avoid, ...]
    dose: dict[str, Any]
    pose: dict[str, Any]
    position: str = "standing"


@dataclass(frozen=True)
class Selector:
    """Which exercises a rule is about; every field given must match."""

    category: str | None = None
    position: str | None = None
    directional_preference: str | None = None
    targets_any: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()

    def matches(self, exercise: Exercise) -> bool:
        return (
            (self.category is None or exercise.category == self.category)
            and (self.position is None or exercise.position == self.position)
            and (
                self.directional_preference is None
                or exercise.directional_preference == self.directional_preference
            )
            and (not self.targets_any or not self.targets_any.isdisjoint(exercise.targets))
            and (not self.ids or exercise.id in self.ids)
        )


@dataclass(frozen=True)
class ExerciseRule:
    """One exam rule of exercises.toml; ``exercise_ids`` are resolved once, at load time."""

    id: str
    kind: RuleKind
    hazards: tuple[str, ...]
    when: Predicate
    with_conditions: frozenset[str]
    exercise_ids: frozenset[str]  # what `applies_to` (requires, avoid) or `bring` selects
    why: str
    source: str


@dataclass(frozen=True)
class Education:
    id: str
    title: str
    for_patient: str
    for_clinician: str
    source: str


@dataclass(frozen=True)
class Library:
    exercises: dict[str, Exercise]
    rules: tuple[ExerciseRule, ...]
    education: dict[str, Education]
    acute_days: int


def load_exercises(path: Path | None = None) -> dict[str, Exercise]:
    """Read and check the exercise library once; KnowledgeError naming the exercise."""
    return load_library(path).exercises


def load_exercise_rules(path: Path | None = None) -> tuple[ExerciseRule, ...]:
    """The exam rules of exercises.toml (``[[rule]]``), compiled once."""
    return load_library(path).rules


def load_education(path: Path | None = None) -> dict[str, Education]:
    """The education items of exercises.toml (``[[education]]``), by id."""
    return load_library(path).education


def load_library(path: Path | None = None) -> Library:
    return _load_library(path or knowledge_path("exercises.toml"), configuration())


def _selector(table: Table, exercises: dict[str, Exercise]) -> Selector:
    table.only(SELECTOR_KEYS)
    if not table.data:
        table.fail("selects nothing; give category, position, directional_preference, …")
    category = table.opt_text("category")
    if category is not None and category not in CATEGORIES:
        table.fail(f"category '{category}' is not one of {', '.join(CATEGORIES)}")
    position = table.opt_text("position")
    if position is not None and position not in POSITIONS:
        table.fail(f"position '{position}' is not one of {', '.join(POSITIONS)}")
    ids = frozenset(table.opt_texts("ids"))
    if unknown := sorted(ids - set(exercises)):
        table.fail(f"'ids' names exercises not in the library: {', '.join(unknown)}")
    return Selector(
        category=category,
        position=position,
        directional_preference=table.opt_text("directional_preference"),
        targets_any=frozenset(table.opt_texts("targets_any")),
        ids=ids,
    )


def _rule(table: Table, exercises: dict[str, Exercise], conditions: set[str]) -> ExerciseRule:
    table.only(
        (
            *("id", "kind", "hazards", "applies_to", "bring", "when", "with_conditions"),
            *("why", "source", "estimate", "rationale"),
        )
    )
    ident = table.text("id")
    table.where = f"rule '{ident}'"
    kind = table.choice("kind", RULE_KINDS)
    hazards = hazard_ids(table)
    target = "bring" if kind == "bring" else "applies_to"
    other = "applies_to" if kind == "bring" else "bring"
    if table.has(other):
        table.fail(f"a '{kind}' rule takes '{target}', not '{other}'")
    selector = _selector(table.table(target), exercises)
    selected = frozenset(e.id for e in exercises.values() if selector.matches(e))
    if not selected:
        table.fail(f"'{target}' selects no exercise in the library")
    with_conditions = frozenset(table.opt_texts("with_conditions"))
    if unknown := sorted(with_conditions - conditions):
        table.fail(f"'with_conditions' names unknown conditions: {', '.join(unknown)}")
    try:
        when = compile_predicate(table.text("when"), case_name_checker(load_knowledge()))
    except PredicateError as error:
        table.fail(f"'when': {error}")
    citation = table.citation()
    source = citation.source or citation.rationale
    return ExerciseRule(
        ident, kind, hazards, when, with_conditions, selected, table.text("why"), source
    )


@cache
def _load_library(path: Path, configured: str) -> Library:
    """Cached by the knowledge setting too: the library is checked against the core knowledge."""
    top = read_toml(path, KnowledgeError)
    conditions = {c.id for c in load_knowledge().conditions}
    top.table("meta").text("version")  # the knowledge version digests the file itself
    phase = top.table("acute_phase")
    phase.where = "[acute_phase]"
    phase.citation()
    acute_days = phase.integer("days")
    library: dict[str, Exercise] = {}
    for table in top.opt_tables("exercise"):
        ident = table.text("id")
        table.where = f"exercise '{ident}'"
        if ident in library:
            table.fail("duplicate id")
        serves = table.texts("serves")
        if bad := [c for c in serves if c not in conditions]:
            table.fail(f"'serves' names unknown conditions: {', '.join(bad)}")
        avoid = []
        for item in table.opt_tables("avoid"):
            condition = item.text("condition")
            if condition not in conditions:
                item.fail(f"'{condition}' is not a condition")
            avoid.append(Avoid(condition, item.opt_text("phase"), item.text("why")))
        dose = table.table("dose")
        if not (dose.has("source") or dose.opt_flag("estimate", False)):
            dose.fail("needs a 'source', or 'estimate = true' with a 'rationale'")
        for key in ("hold_s", "reps", "sets", "per_day", "days_per_week", "minutes"):
            value = dose.opt_number(key)
            if value is not None and value <= 0:
                dose.fail(f"'{key}' must be positive")
        preference = table.opt_text("directional_preference")
        pose = table.table("pose")
        position = table.choice("position", POSITIONS)
        if pose.data.get("position") != position:
            table.fail(
                f"'position' is {position} but the figure is drawn {pose.data.get('position')}; "
                "make them agree"
            )
        library[ident] = Exercise(
            id=ident,
            name=table.text("name"),
            category=table.choice("category", CATEGORIES),
            targets=table.texts("targets"),
            serves=serves,
            directional_preference=None if preference in (None, "none") else preference,
            steps=table.texts("steps"),
            cues=table.opt_texts("cues"),
            feel=table.text("feel"),
            stop_if=table.texts("stop_if"),
            progression=table.text("progression"),
            regression=table.text("regression"),
            avoid=tuple(avoid),
            dose=dict(dose.data),
            pose=dict(pose.data),
            position=position,
        )
    if not library:
        top.fail("no [[exercise]] entries")
    rules: list[ExerciseRule] = []
    for table in top.opt_tables("rule"):
        rule = _rule(table, library, conditions)
        if any(r.id == rule.id for r in rules):
            table.fail("duplicate id")
        rules.append(rule)
    education: dict[str, Education] = {}
    for table in top.opt_tables("education"):
        table.only(("id", "title", "for_patient", "for_clinician", "source"))
        ident = table.text("id")
        table.where = f"education '{ident}'"
        if ident in education or ident in library:
            table.fail("duplicate id (education ids must differ from exercise ids too)")
        education[ident] = Education(
            ident,
            table.text("title"),
            table.text("for_patient"),
            table.text("for_clinician"),
            table.text("source"),
        )
    return Library(library, tuple(rules), education, acute_days)


# ------------------------------------------------------------------------------ choosing


@dataclass(frozen=True)
class _Situation:
    """What the builder knows about this patient, worked out once per programme."""

    present: frozenset[str]
    acute: bool
    gates: dict[str, list[tuple[str, str]]]  # exercise id -> [(rule id, why)] leaving it out


def _situation(case: Case, present: frozenset[str], library: Library) -> _Situation:
    onset = case.findings.get("onset_days")
    # An onset that was not recorded counts as acute: the phase rules protect fresh injuries.
    acute = not isinstance(onset, int) or onset <= library.acute_days
    gates: dict[str, list[tuple[str, str]]] = {}
    for rule in library.rules:
        if rule.kind == "bring":
            continue
        if rule.with_conditions and rule.with_conditions.isdisjoint(present):
            continue
        result = rule.when.check(case.view)
        blocks = result is not True if rule.kind == "requires" else result is True
        if blocks:
            for ident in rule.exercise_ids:
                gates.setdefault(ident, []).append((rule.id, rule.why))
    return _Situation(present, acute, gates)


def _reasons_to_leave_out(exercise: Exercise, situation: _Situation) -> list[tuple[str, str]]:
    """(rule id, why) for each reason this patient must not get this exercise."""
    reasons = [
        (f"avoid:{a.condition}", a.why)
        for a in exercise.avoid
        if a.condition in situation.present and (a.phase != "acute" or situation.acute)
    ]
    return reasons + situation.gates.get(exercise.id, [])


def build_programme(
    case: Case,
    differential: list[dict[str, Any]],
    max_exercises: int = MAX_EXERCISES,
    *,
    add_exercises: Sequence[str] = (),
) -> dict[str, Any]:
    """Pick up to `max_exercises` exercises for the leading conditions, with dose and schedule.

    First come the exercises an exam rule brings (a positive Thomas test brings its stretch),
    then ``add_exercises`` (ids, e.g. the stratified-care additions of
    :func:`weizhong.planning.stratified.stratified_care`), then one exercise per leading
    condition in turn. Every exercise, whatever brought it, passes the same rules.
    """
    library = load_library()
    exercises = library.exercises
    if unknown := [i for i in add_exercises if i not in exercises]:
        raise KeyError(f"add_exercises names exercises not in the library: {', '.join(unknown)}")
    lead = max((e["probability"] for e in differential), default=0.0)
    present = frozenset(
        e["condition"] for e in differential if e["probability"] >= max(0.25, 0.5 * lead)
    )
    situation = _situation(case, present, library)
    order = [e["condition"] for e in differential if e["condition"] in present]
    chosen: list[dict[str, Any]] = []
    left_out: dict[str, tuple[list[str], str]] = {}
    per_category: dict[str, int] = {}
    unmet: list[dict[str, str]] = []

    def allowed(exercise: Exercise) -> bool:
        reasons = _reasons_to_leave_out(exercise, situation)
        if reasons:
            left_out.setdefault(
                exercise.id, ([r for r, _ in reasons], "; ".join(why for _, why in reasons))
            )
        return not reasons

    def take(exercise: Exercise, because: str | None) -> None:
        per_category[exercise.category] = per_category.get(exercise.category, 0) + 1
        item = exercise_item(exercise, [c for c in exercise.serves if c in present])
        if because:
            item["because"] = because
        chosen.append(item)

    def has(ident: str) -> bool:
        return any(item["id"] == ident for item in chosen)

    for rule in library.rules:
        if rule.kind != "bring" or rule.when.check(case.view) is not True:
            continue
        if any(has(i) for i in rule.exercise_ids):
            continue
        candidates = sorted(
            (exercises[i] for i in rule.exercise_ids),
            key=lambda e: (present.isdisjoint(e.serves), list(exercises).index(e.id)),
        )
        pick = next((e for e in candidates if allowed(e)), None)
        if pick is None:
            unmet.append({"rule": rule.id, "why": f"{rule.why} No suitable exercise passed the "
                          "other rules for this patient; choose one in clinic."})  # fmt: skip
        elif len(chosen) < max_exercises:
            take(pick, rule.why)
    for ident in add_exercises:
        exercise = exercises[ident]
        if len(chosen) < max_exercises and not has(ident) and allowed(exercise):
            take(exercise, "stratified care")
    # Round-robin over the leading conditions, most probable first, so that each gets an
    # exercise before any gets a second; at most two exercises of one kind.
    queues = {c: [ex for ex in exercises.values() if c in ex.serves] for c in order}
    while len(chosen) < max_exercises and any(queues.values()):
        for condition in order:
            queue = queues[condition]
            while queue:
                exercise = queue.pop(0)
                if has(exercise.id) or not allowed(exercise):
                    continue
                if per_category.get(exercise.category, 0) >= 2:
                    continue
                take(exercise, None)
                break
            if len(chosen) >= max_exercises:
                break
    return {
        "exercises": chosen,
        "left_out": [
            {"id": ident, "why": why, "rules": rules}
            for ident, (rules, why) in left_out.items()
            if not has(ident)
        ],
        "unmet": unmet,
        "max_exercises": max_exercises,
    }


def rules_applied(programme: dict[str, Any]) -> set[str]:
    """Ids of the exercise rules that left something out of ``programme``."""
    return {rule for item in programme["left_out"] for rule in item.get("rules", ())}


def dose_text(dose: dict[str, Any]) -> str:
    """'hold 30 s, 1 repetition; once a day, 5 days a week' from a dose table."""
    parts = []
    if dose.get("minutes"):
        parts.append(f"{number(dose['minutes'])} minutes")
    if dose.get("hold_s"):
        parts.append(f"hold {number(dose['hold_s'])} s")
    if dose.get("reps"):
        reps = dose["reps"]
        parts.append(f"{number(reps)} repetition{'s' if reps != 1 else ''}")
    if dose.get("sets", 1) != 1:
        parts.append(f"{number(dose['sets'])} sets")
    per_day = dose.get("per_day", 1)
    times = {1: "once", 2: "twice"}.get(per_day, f"{number(per_day)} times")
    days = dose.get("days_per_week", 7)
    return f"{', '.join(parts)}; {times} a day, {number(days)} day{'' if days == 1 else 's'} a week"


def schedule(dose: dict[str, Any]) -> list[str]:
    """The days of the week to tick, spread out (e.g. 3 days: Mon, Wed, Fri)."""
    days = max(1, min(7, int(dose.get("days_per_week", 7))))
    return [WEEKDAYS[round(i * 7 / days)] for i in range(days)]


def exercise_item(exercise: Exercise, serves: list[str]) -> dict[str, Any]:
    """One chosen exercise as the plan shows it."""
    return {
        "id": exercise.id,
        "name": exercise.name,
        "category": exercise.category,
        "position": exercise.position,
        "dose": exercise.dose,
        "dose_text": dose_text(exercise.dose),
        "schedule": schedule(exercise.dose),
        "for": serves,
        "feel": exercise.feel,
        "stop_if": list(exercise.stop_if),
        "progress_when": exercise.progression,
    }


def education_items(ids: Iterable[str]) -> list[dict[str, str]]:
    """Education items of exercises.toml as the plan shows them, in the order given."""
    education = load_education()
    return [
        {
            "id": e.id,
            "title": e.title,
            "for_patient": e.for_patient,
            "for_clinician": e.for_clinician,
            "source": e.source,
        }
        for e in (education[i] for i in dict.fromkeys(ids))
    ]
