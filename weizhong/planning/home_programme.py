"""The home programme: a few exercises matched to the assessment, with dose and a weekly plan.

Few on purpose (four by default): adherence to home exercise falls as programmes grow. Each
exercise is chosen because it serves a leading condition, and never when its `avoid` list names
the patient's situation (an acute strain, a tendinopathy that stretching compresses, radicular
pain and static nerve stretch, the opposite directional preference).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from weizhong.case import Case
from weizhong.knowledge.loader import KnowledgeError, knowledge_dir, load_knowledge
from weizhong.knowledge.tables import read_toml

MAX_EXERCISES = 4
ACUTE_DAYS = 7  # an `avoid` entry with phase = "acute" applies in the first week
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CATEGORIES = ("stretch", "neural_mobility", "strengthening", "motor_control", "mobility")


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


def load_exercises(path: Path | None = None) -> dict[str, Exercise]:
    """Read and check the exercise library once; KnowledgeError naming the exercise."""
    return _load_exercises(path or knowledge_dir() / "exercises.toml")


@cache
def _load_exercises(path: Path) -> dict[str, Exercise]:
    top = read_toml(path, KnowledgeError)
    conditions = {c.id for c in load_knowledge().conditions}
    top.table("meta").text("version")
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
        for key in ("hold_s", "reps", "sets", "per_day", "days_per_week"):
            value = dose.opt_number(key)
            if value is not None and value <= 0:
                dose.fail(f"'{key}' must be positive")
        preference = table.opt_text("directional_preference")
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
            pose=dict(table.table("pose").data),
        )
    if not library:
        top.fail("no [[exercise]] entries")
    return library


def _reasons_to_avoid(
    exercise: Exercise, present: set[str], acute: bool, preference: str | None
) -> list[str]:
    reasons = [
        a.why for a in exercise.avoid if a.condition in present and (a.phase != "acute" or acute)
    ]
    wanted = exercise.directional_preference
    if wanted and preference and preference not in ("none", wanted):
        reasons.append(f"the patient's directional preference is {preference}, not {wanted}")
    return reasons


def dose_text(dose: dict[str, Any]) -> str:
    """'hold 30 s, 1 repetition; once a day, 5 days a week' from a dose table."""
    parts = []
    if dose.get("hold_s"):
        parts.append(f"hold {dose['hold_s']:g} s")
    if dose.get("reps"):
        reps = dose["reps"]
        parts.append(f"{reps:g} repetition{'s' if reps != 1 else ''}")
    if dose.get("sets", 1) != 1:
        parts.append(f"{dose['sets']:g} sets")
    per_day = dose.get("per_day", 1)
    times = {1: "once", 2: "twice"}.get(per_day, f"{per_day:g} times")
    return f"{', '.join(parts)}; {times} a day, {dose.get('days_per_week', 7):g} days a week"


def schedule(dose: dict[str, Any]) -> list[str]:
    """The days of the week to tick, spread out (e.g. 3 days: Mon, Wed, Fri)."""
    days = max(1, min(7, int(dose.get("days_per_week", 7))))
    return [WEEKDAYS[round(i * 7 / days)] for i in range(days)]


def build_programme(
    case: Case, differential: list[dict[str, Any]], max_exercises: int = MAX_EXERCISES
) -> dict[str, Any]:
    """Pick up to `max_exercises` exercises for the leading conditions, with dose and schedule."""
    library = load_exercises()
    lead = max((e["probability"] for e in differential), default=0.0)
    present = {e["condition"] for e in differential if e["probability"] >= max(0.25, 0.5 * lead)}
    onset = case.findings.get("onset_days")
    acute = isinstance(onset, int) and onset <= ACUTE_DAYS
    preference = case.findings.get("directional_preference")
    order = [e["condition"] for e in differential if e["condition"] in present]
    chosen: list[dict[str, Any]] = []
    left_out: dict[str, str] = {}
    per_category: dict[str, int] = {}
    # Round-robin over the leading conditions, most probable first, so that each gets an
    # exercise before any gets a second; at most two exercises of one kind.
    queues = {c: [ex for ex in library.values() if c in ex.serves] for c in order}
    while len(chosen) < max_exercises and any(queues.values()):
        for condition in order:
            queue = queues[condition]
            while queue:
                exercise = queue.pop(0)
                if any(item["id"] == exercise.id for item in chosen):
                    continue
                reasons = _reasons_to_avoid(exercise, present, acute, preference)
                if reasons:
                    left_out[exercise.id] = "; ".join(reasons)
                    continue
                if per_category.get(exercise.category, 0) >= 2:
                    continue
                per_category[exercise.category] = per_category.get(exercise.category, 0) + 1
                chosen.append(exercise_item(exercise, [c for c in exercise.serves if c in present]))
                break
            if len(chosen) >= max_exercises:
                break
    return {
        "exercises": chosen,
        "left_out": [{"id": ident, "why": why} for ident, why in left_out.items()],
        "max_exercises": max_exercises,
    }


def exercise_item(exercise: Exercise, serves: list[str]) -> dict[str, Any]:
    """One chosen exercise as the plan shows it."""
    return {
        "id": exercise.id,
        "name": exercise.name,
        "category": exercise.category,
        "dose": exercise.dose,
        "dose_text": dose_text(exercise.dose),
        "schedule": schedule(exercise.dose),
        "for": serves,
        "feel": exercise.feel,
        "stop_if": list(exercise.stop_if),
        "progress_when": exercise.progression,
    }
