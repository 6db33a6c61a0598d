"""The treatment plan: assessment → acupuncture (with safety rules and electro-acupuncture),
office care, herbs and the home programme, each change explained in `warnings`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from weizhong.case import Case
from weizhong.errors import InputError
from weizhong.knowledge.atlas import load_atlas
from weizhong.planning.home_programme import (
    MAX_EXERCISES,
    build_programme,
    education_items,
    exercise_item,
    load_exercises,
)
from weizhong.planning.prescription import load_prescription_rules, needles, propose_points
from weizhong.planning.safety import SafetyOutcome, apply_safety, load_safety_rules
from weizhong.planning.stratified import stratified_care
from weizhong.reasoning.assessment import assess
from weizhong.reasoning.triage import criteria_in_words

PLAN_FORMAT = "weizhong.plan/1"
GUIDELINES = ("ACP2017", "NICE_NG59")
MUSCLE_CONDITIONS = frozenset(("hamstring_tightness", "hip_flexor_tightness"))
NO_CURRENT_REGIONS = frozenset(("chest", "upper_back", "neck", "head", "face", "upper_abdomen"))


class PlanSettingError(InputError):
    """An impossible planning setting; the message names it and what is allowed."""


@dataclass(frozen=True)
class PlanEdits:
    """The clinician's changes: points as CODE or CODE:SIDE, exercises by id."""

    add_points: tuple[str, ...] = ()
    remove_points: tuple[str, ...] = ()
    add_exercises: tuple[str, ...] = ()
    remove_exercises: tuple[str, ...] = ()


def _suggestion(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def point_key(point: dict[str, Any]) -> str:
    """The name of one proposed point in edits: its code, or for a trigger point
    ``ASHI:muscle_side`` (every trigger point has the code ASHI)."""
    if point["code"] == "ASHI" and point.get("muscle"):
        return f"ASHI:{point['muscle']}_{point['side']}"
    return str(point["code"])


def _trigger_point(text: str, muscle_side: str) -> dict[str, Any]:
    """A trigger point the clinician adds, ``ASHI:muscle_side``, with the rule's reason."""
    rules = load_prescription_rules().trigger_points
    muscle, _, side = muscle_side.rpartition("_")
    if muscle not in rules or side not in ("left", "right"):
        raise PlanSettingError(
            f"--add-point {text}: a trigger point is ASHI:muscle_side, e.g. "
            f"ASHI:piriformis_left; muscles: {', '.join(sorted(rules))}"
        )
    rule = rules[muscle]
    return {
        "code": "ASHI", "side": side, "role": "trigger_point",
        "rationale": "Added by the clinician. " + rule.why, "source": rule.source, "for": None,
        "muscle": muscle, "caution": rule.caution, "name": "Āshì 阿是",
        "english": f"trigger point in {muscle.replace('_', ' ')}",
    }  # fmt: skip


def _matches(point: dict[str, Any], key: str) -> bool:
    """`key` names this point: its code (every trigger point for plain ASHI) or its
    ``ASHI:muscle_side`` key (that trigger point only)."""
    return point["code"] == key or point_key(point) == key


def _edit_points(
    case: Case, points: list[dict[str, Any]], edits: PlanEdits
) -> list[dict[str, Any]]:
    atlas = load_atlas()
    codes = list(atlas.points)
    kept = list(points)
    for code in edits.remove_points:
        if not any(_matches(p, code) for p in kept):
            raise PlanSettingError(
                f"--remove-point {code}: not in the proposed plan; it has "
                f"{', '.join(point_key(p) for p in kept) or 'no points'}"
            )
        kept = [p for p in kept if not _matches(p, code)]
    sides = case.symptomatic_sides()
    default_side = sides[0] if len(sides) == 1 else "both"
    painful = {
        r.rsplit("_", 1)[0] if r.endswith(("_left", "_right")) else r
        for r in case.findings.get("pain_regions", ())
    }
    for text in edits.add_points:
        code, _, side = text.partition(":")
        if code == "ASHI":
            kept.append(_trigger_point(text, side))
            continue
        if code not in atlas.points:
            raise PlanSettingError(
                f"--add-point {code}: not a point of the atlas" + _suggestion(code, codes)
            )
        side = side or default_side
        if side not in ("left", "right", "both"):
            raise PlanSettingError(f"--add-point {text}: side '{side}' is not left, right or both")
        point = atlas.points[code]
        kept.append({
            "code": code,
            "side": "midline" if point.channel in ("GV", "CV") else side,
            "role": "local" if painful & set(point.regions) else "distal",
            "rationale": "Added by the clinician.",
            "source": "clinician's choice",
            "for": None,
            "name": f"{point.pinyin} {point.hanzi_traditional}",
            "english": point.english,
            "depth_cun": list(point.depth_cun),
            "angle": point.angle,
        })  # fmt: skip
    return kept


def make_plan(
    case: Case,
    assessment: dict[str, Any] | None = None,
    *,
    overrides: dict[str, str] | None = None,
    max_points: int | None = None,
    max_exercises: int = MAX_EXERCISES,
    guideline: str = "ACP2017",
    edits: PlanEdits | None = None,
) -> dict[str, Any]:
    """The contract object of ``weizhong plan --format json``.

    The clinician's edits are applied before the safety rules, so an added point is checked
    like any other (a forbidden point in pregnancy is still withheld without an override).
    """
    edits = edits or PlanEdits()
    if guideline not in GUIDELINES:
        raise PlanSettingError(
            f"guideline '{guideline}' is not known; use {' or '.join(GUIDELINES)}"
        )
    if max_points is not None and not 1 <= max_points <= 30:
        raise PlanSettingError(f"max points {max_points} is outside 1–30")
    if not 1 <= max_exercises <= 8:
        raise PlanSettingError(f"max exercises {max_exercises} is outside 1–8")
    result = assessment or assess(case)
    rules = load_prescription_rules()
    proposed = _edit_points(case, propose_points(case, result["differential"], max_points), edits)
    safety = apply_safety(case, result["red_flags"], proposed, overrides or {}, assessment=result)
    electro = _electrostimulation(case, result, safety)
    herbs = _herbs(case, result, safety)
    strat = stratified_care(case, result["triage"])
    programme = build_programme(
        case,
        result["differential"],
        max_exercises,
        add_exercises=strat["changes"].get("add_exercises", ()),
    )
    _edit_exercises(case, result, programme, edits, safety)
    top = result["differential"][0]
    return {
        "format": PLAN_FORMAT,
        "case_id": result.get("case_id"),
        "knowledge_version": result["knowledge_version"],
        "status": safety.status,
        "patient": {
            "age": case.patient.get("age"),
            "pregnant": case.patient.get("pregnant"),
            "gestation_weeks": case.findings.get("gestation_weeks"),
        },
        "fit": result.get("fit"),
        "questions": _questions(safety, result),
        "red_flag_screen": _screen(result),
        "assessment": {
            "red_flags": [
                {
                    "id": f["id"],
                    "name": f.get("name", f["id"]),
                    "urgency": f["urgency"],
                    "action": f["action"],
                    "patient_action": f.get("patient_action", ""),
                    "rules": list(f.get("rules", ())),
                }
                for f in result["red_flags"]
            ],
            "leading": [
                {"condition": e["condition"], "name": e["name"], "probability": e["probability"]}
                for e in result["differential"][:3]
            ],
        },
        "acupuncture": {
            "channels": _channels_through_pain(case),
            "points": safety.points,
            "needles": needles(safety.points),
            "withheld": safety.withheld,
            "electrostimulation": electro,
            "electrostimulation_note": _electro_note(electro, safety),
            "max_points": max_points or rules.max_points,
        },
        "office_care": _office_care(result, safety, top["condition"]),
        "exercises": [] if safety.home_programme_withheld else programme["exercises"],
        "exercises_left_out": programme["left_out"],
        "stratified_care": strat,
        "education": []
        if safety.home_programme_withheld
        else education_items(strat["changes"].get("education", ())),
        "visits": {
            key: strat["changes"][key]
            for key in ("visits_per_week", "planned_visits")
            if key in strat["changes"]
        },
        "exercises_unmet": programme.get("unmet", []),
        "herbs": herbs["offered"],
        "herbs_withheld": herbs["withheld"],
        "guideline": _guideline(guideline),
        "warnings": _unique(safety.warnings),
        "overrides": safety.overrides_used,
    }


def _unique(warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each warning once (the same rule with the same message is one warning)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for warning in warnings:
        key = (str(warning["id"]), str(warning["message"]))
        if key not in seen:
            seen.add(key)
            out.append(warning)
    return out


def _questions(safety: SafetyOutcome, result: dict[str, Any]) -> list[dict[str, Any]]:
    """What to ask before treating: the gates' questions first, then the red-flag screen's."""
    out = list(safety.questions)
    for test in result.get("next_tests", ()):
        if test.get("kind") == "red_flag_screen" and all(
            q["finding"] != test["finding"] for q in out
        ):
            out.append({
                "finding": test["finding"], "label": test.get("label") or test["finding"],
                "rule": None, "why": test.get("why", ""),
            })  # fmt: skip
    return out


def _screen(result: dict[str, Any]) -> dict[str, Any]:
    """The red-flag screen as the assessment left it (keys read with .get: they are growing)."""
    screen = result.get("red_flag_screen") or {}
    return {
        "complete": screen.get("complete"),
        "not_asked": list(screen.get("not_asked", ())),
        "cauda_equina_unscreened": bool(screen.get("cauda_equina_unscreened")),
    }


def _edit_exercises(
    case: Case,
    result: dict[str, Any],
    programme: dict[str, Any],
    edits: PlanEdits,
    safety: SafetyOutcome,
) -> None:
    library = load_exercises()
    chosen = programme["exercises"]
    for ident in edits.remove_exercises:
        if not any(item["id"] == ident for item in chosen):
            raise PlanSettingError(
                f"--remove-exercise {ident}: not in the programme; it has "
                f"{', '.join(item['id'] for item in chosen) or 'no exercises'}"
            )
        chosen[:] = [item for item in chosen if item["id"] != ident]
    for ident in edits.add_exercises:
        if ident not in library:
            raise PlanSettingError(
                f"--add-exercise {ident}: no such exercise" + _suggestion(ident, sorted(library))
            )
        exercise = library[ident]
        reasons = [item["why"] for item in programme["left_out"] if item["id"] == ident]
        if reasons:
            safety.warnings.append({
                "id": "exercise_added_despite_caution", "overridden": True,
                "title": "Exercise added despite a caution",
                "message": f"The clinician added {exercise.name} although the builder left it "
                           f"out: {reasons[0]}",
                "override_reason": "clinician's choice", "source": "exercises.toml",
            })  # fmt: skip
        chosen.append(exercise_item(exercise, []))


def _channels_through_pain(case: Case) -> list[dict[str, Any]]:
    """The channels whose course crosses the painful body-chart regions."""
    atlas = load_atlas()
    painful = {
        r.rsplit("_", 1)[0] if r.endswith(("_left", "_right")) else r
        for r in case.findings.get("pain_regions", ())
    }
    return [
        {"channel": c.code, "name": c.name, "regions": sorted(painful & set(c.regions))}
        for c in atlas.channels.values()
        if painful & set(c.regions)
    ]


def _electro_note(electro: dict[str, Any] | None, safety: SafetyOutcome) -> str | None:
    """Why there is no stimulation, when there is none."""
    if electro is not None:
        return None
    if safety.status == "screen_first":
        return f"No needling or stimulation yet: {_held_by(safety)}."
    if safety.no_needling:
        return "No needling until the red flag (or the INR) has been checked."
    if safety.no_electro:
        return " ".join(safety.no_electro.values())
    return (
        "No pair of points on one side clear of the chest, the spine"
        + (", the trunk in pregnancy" if safety.no_electro_regions else "")
        + " and any implant: manual needling only."
    )


def _electrostimulation(
    case: Case, result: dict[str, Any], safety: SafetyOutcome
) -> dict[str, Any] | None:
    if safety.no_needling or safety.no_electro:
        return None
    rules = load_prescription_rules()
    atlas = load_atlas()
    by_code = {p["code"]: p for p in safety.points if p["code"] in atlas.points}
    pairs: list[dict[str, Any]] = []
    for first, second in rules.electro["pairs"]:
        a, b = by_code.get(first), by_code.get(second)
        if a is None or b is None or a["side"] != b["side"] or "midline" in (a["side"], b["side"]):
            continue
        regions = set(atlas.points[first].regions) | set(atlas.points[second].regions)
        if regions & (safety.no_electro_regions | NO_CURRENT_REGIONS):
            continue
        if {first, second} & {code for pair in pairs for code in pair["points"]}:
            continue
        pairs.append(
            {
                "points": [first, second],
                "side": a["side"],
                "circuit": "one circuit per side; never across the spine or the chest",
            }
        )
        if len(pairs) == 2:
            break
    if not pairs:
        return None
    onset = case.findings.get("onset_days")
    leading = result["differential"][0]["condition"]
    if leading in MUSCLE_CONDITIONS:
        goal = "muscle"
    elif isinstance(onset, int) and onset <= 42:
        goal = "acute"
    else:
        goal = "chronic"
    electro = rules.electro
    return {
        "pairs": pairs,
        "goal": goal,
        "frequency": electro["goal"][goal]["frequency"],
        "why": electro["goal"][goal]["why"],
        "pulse_width_ms": electro["pulse_width_ms"],
        "current_ma": electro["current_ma"],
        "minutes": electro["minutes"],
        "intensity": electro["intensity"],
        "source": electro["source"],
    }


def _office_care(result: dict[str, Any], safety: SafetyOutcome, leading: str) -> dict[str, Any]:
    rule = result["triage"]["manipulation_rule"]
    population = rule.get("population") or {}
    validation = rule.get("validation")
    if safety.manipulation_blocked:
        suitability = "not suitable"
        why = "; ".join(safety.manipulation_blocked)
    elif population.get("applies") is False:
        suitability = "not applicable"
        outside = "; ".join(o["label"] for o in population.get("outside", ()))
        why = f"outside the population the Childs rule was validated in: {outside}"
        safety.warnings.append(_population_warning(outside))
    elif rule["status"] == "positive" and population.get("applies") is None:
        suitability = "undecided"
        why = (
            f"Childs rule positive ({rule['met']} of {rule['of']}), but the patient's age is not "
            "recorded: the rule was validated only in adults 18–60"
        )
    elif rule["status"] == "positive":
        suitability = "likely to help"
        why = (
            f"Childs rule positive ({rule['met']} of {rule['of']} criteria; "
            f"{criteria_in_words(rule)})"
        )
    elif rule["status"] == "incomplete":
        suitability = "undecided"
        labels = {c["id"]: c["label"] for c in rule["criteria"]}
        why = "Childs rule incomplete: check " + "; ".join(
            labels.get(m, m) for m in rule["missing"]
        )
    else:
        suitability = "not the first choice"
        why = f"Childs rule negative ({rule['met']} of {rule['of']}; {criteria_in_words(rule)})"
    if validation and suitability != "not suitable":
        why += f". Caution: {validation['text']} ({validation['source']})"
    care = load_prescription_rules().office_care
    soft_tissue: str | None = safety.soft_tissue_note or care.get(leading, care["default"])
    if safety.hands_on_withheld:
        soft_tissue = None
    return {
        "manipulation": {
            "suitability": suitability,
            "why": why,
            "rule": rule["name"],
            "blocked_by": list(safety.manipulation_rules),
            "population": population or None,
            "validation": validation,
        },
        "soft_tissue_and_mobilisation": soft_tissue,
        "hands_on_withheld": safety.hands_on_withheld,
        "source": care["source"],
    }


def _population_warning(outside: str) -> dict[str, Any]:
    rule = load_safety_rules()["childs_rule_population"]
    return {
        "id": rule.id,
        "title": rule.title,
        "message": rule.message.format(why=outside),
        "source": rule.source,
        "hazards": list(rule.hazards),
        "overridden": False,
    }


def _held_by(safety: SafetyOutcome) -> str:
    """What a screen_first plan is waiting for, in the gates' own titles."""
    titles = load_safety_rules()
    words = [titles[rule].title for rule in safety.screen_rules]
    # Inside a sentence: lower-case first letter, except for an acronym such as "INR".
    return "; ".join(w[:1].lower() + w[1:] if w[1:2].islower() else w for w in words)


def _herbs(case: Case, result: dict[str, Any], safety: SafetyOutcome) -> dict[str, Any]:
    """Formulas offered for this picture (never forced), those withheld, and their warnings."""
    from weizhong.planning.herbs import propose_herbs

    proposal = propose_herbs(case, result["differential"], red_flags=result["red_flags"])
    if safety.status == "screen_first" and proposal["offered"]:
        # The whole plan waits for its questions, herbs included (HZ-01, HZ-07, HZ-24).
        why = str(safety.hands_on_withheld or _held_by(safety))
        held = [
            {"formula": f["formula"], "pinyin": f["pinyin"], "why": why,
             "rules": list(safety.screen_rules), "interactions_found": []}
            for f in proposal["offered"]
        ]  # fmt: skip
        return {"offered": [], "withheld": held + list(proposal["withheld"])}
    for warning in proposal["warnings"]:
        title = (
            "Herbal medicine: ask before offering"
            if warning["status"] == "not_recorded"
            else "Herbal medicine: caution"
        )
        safety.warnings.append(
            {**warning, "id": f"herb_{warning['id']}", "title": title, "overridden": False}
        )
    return {"offered": list(proposal["offered"]), "withheld": list(proposal["withheld"])}


def _guideline(chosen: str) -> dict[str, Any]:
    guidelines = load_prescription_rules().guidelines
    other = next(g for key, g in guidelines.items() if key != chosen)
    return {**guidelines[chosen], "other_view": other}
