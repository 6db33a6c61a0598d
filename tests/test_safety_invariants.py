"""Safety invariants of the whole pipeline (case -> assessment -> plan), over generated cases.

Each property is a rule that must hold for every patient, whatever else the case says (issue 11):
any red flag means no needles, no hands-on care and no herbs; a pacemaker, defibrillator or any
implanted stimulator means no electro-acupuncture; pregnancy means no forbidden point without a
recorded override; under 18 means no herbs and no manipulation; red-flag questions are never
dropped; an unscreened cauda equina picture gets no needles.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from tests.strategies import cases
from weizhong.case import Case, validate_case
from weizhong.knowledge import load_knowledge
from weizhong.knowledge.atlas import load_atlas
from weizhong.planning.plan import make_plan
from weizhong.reasoning.assessment import assess
from weizhong.reasoning.red_flags import red_flag_questions

KNOWLEDGE = load_knowledge()
STIMULATORS = {
    "pacemaker", "icd", "spinal_cord_stimulator", "deep_brain_stimulator",
    "vagus_nerve_stimulator", "sacral_nerve_stimulator",
}  # fmt: skip
HANDS_ON_WORDS = ("likely to help", "undecided")


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _hands_on_allowed(plan: dict[str, Any]) -> bool:
    care = plan["office_care"]
    return bool(care.get("soft_tissue_and_mobilisation")) or (
        care["manipulation"]["suitability"] in HANDS_ON_WORDS
    )


@SETTINGS
@given(cases())
def test_any_red_flag_means_no_needles_no_hands_on_care_and_no_herbs(case: Case) -> None:
    result = assess(case)
    if not result["red_flags"]:
        return
    plan = make_plan(case, result)
    assert plan["acupuncture"]["points"] == []
    assert plan["acupuncture"]["electrostimulation"] is None
    assert not _hands_on_allowed(plan)
    assert plan["herbs"] == []
    assert plan["status"] in ("refer_first", "screen_first")


@SETTINGS
@given(cases())
def test_a_pacemaker_defibrillator_or_stimulator_means_no_electro(case: Case) -> None:
    if not STIMULATORS & set(case.patient.get("devices", ())):
        return
    assert make_plan(case)["acupuncture"]["electrostimulation"] is None


@SETTINGS
@given(cases())
def test_pregnancy_means_no_forbidden_point_without_an_override(case: Case) -> None:
    if not case.patient.get("pregnant"):
        return
    atlas = load_atlas().points
    plan = make_plan(case)
    forbidden = [
        p["code"]
        for p in plan["acupuncture"]["points"]
        if p["code"] in atlas and atlas[p["code"]].pregnancy == "forbidden"
    ]
    assert forbidden == []


@SETTINGS
@given(cases())
def test_under_eighteen_means_no_herbs_and_no_manipulation(case: Case) -> None:
    if case.patient["age"] >= 18:
        return
    plan = make_plan(case)
    assert plan["herbs"] == []
    assert plan["office_care"]["manipulation"]["suitability"] not in HANDS_ON_WORDS


@SETTINGS
@given(cases())
def test_red_flag_questions_are_never_dropped(case: Case) -> None:
    result = assess(case)
    asked = {t["finding"] for t in result["next_tests"]}
    wanted = {q["finding"] for q in red_flag_questions(case, KNOWLEDGE)}
    assert wanted <= asked


@SETTINGS
@given(cases())
def test_an_unscreened_cauda_equina_picture_gets_no_needles(case: Case) -> None:
    result = assess(case)
    if not result["red_flag_screen"].get("cauda_equina_unscreened"):
        return
    plan = make_plan(case, result)
    assert plan["status"] in ("screen_first", "refer_first")
    assert plan["acupuncture"]["points"] == []
    assert plan["acupuncture"]["electrostimulation"] is None
    assert plan["herbs"] == []
    assert not _hands_on_allowed(plan)


def test_the_screen_says_when_cauda_equina_is_possible_and_unscreened() -> None:
    case = validate_case(
        {
            "format": "weizhong.case/1",
            "patient": {"age": 45},
            "findings": {"pain_regions": ["low_back", "calf_left"], "paresthesia": True},
        }
    )
    assert assess(case)["red_flag_screen"]["cauda_equina_unscreened"] is True
