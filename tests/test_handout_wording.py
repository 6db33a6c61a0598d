"""The handout speaks to the patient: what to do, in plain words, never the clinician's
instruction about "the patient" (hazard HZ-22)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_case
from weizhong.handouts.handout import PATIENT_ACTIONS, handout_html
from weizhong.planning.plan import make_plan

CAUDA_EQUINA = {"saddle_anaesthesia": True, "pain_regions": ["low_back", "calf_left"]}
ANEURYSM = {"pulsatile_abdominal_mass": True, "pain_regions": ["low_back"]}
FEVER = {"fever": True, "iv_drug_use": True, "pain_regions": ["low_back"]}


def _handout(findings: dict[str, Any], **patient: Any) -> str:
    plan = make_plan(make_case(findings, {"age": 60, "sex": "male", **patient}))
    return handout_html(plan, {"exercises": plan["exercises"]}, "Riverside Acupuncture")


@pytest.mark.parametrize("findings", [CAUDA_EQUINA, ANEURYSM, FEVER])
def test_a_red_flag_handout_never_speaks_of_the_patient(findings: dict[str, Any]) -> None:
    page = _handout(findings)
    assert "Please see a doctor first" in page
    assert "the patient" not in page.lower()
    assert "send " not in page.lower()


def test_an_emergency_tells_the_patient_to_go_today() -> None:
    page = _handout(CAUDA_EQUINA)
    assert "emergency department" in page


def test_the_fallback_wording_is_plain_for_every_urgency() -> None:
    assert set(PATIENT_ACTIONS) == {"emergency", "urgent", "soon"}
    for text in PATIENT_ACTIONS.values():
        assert "patient" not in text.lower()
        assert text.endswith(".")


def test_a_plan_waiting_for_questions_says_so_in_plain_words() -> None:
    plan = make_plan(make_case({"pain_regions": ["low_back"]}, {"age": 40}))
    programme = {"exercises": plan["exercises"]}
    plan = {
        **plan, "status": "screen_first", "exercises": [],
        "assessment": {**plan["assessment"], "red_flags": []},
    }  # fmt: skip
    page = handout_html(plan, programme, "Clinic")
    assert "A few more questions first" in page
    assert "This week" not in page


def test_a_plan_that_keeps_its_exercises_under_a_soon_flag_says_they_may_go_on() -> None:
    plan = make_plan(
        make_case(
            {"pain_regions": ["low_back"], "morning_stiffness_over_30_min": True,
             "pain_improves_with_movement": True, "onset_days": 200},
            {"age": 28, "sex": "male"},
        )
    )  # fmt: skip
    assert plan["status"] == "refer_first" and plan["exercises"]
    page = handout_html(plan, {"exercises": plan["exercises"]}, "Clinic")
    assert "You may do the gentle exercises below while you wait" in page
    assert "Do not start" not in page
    assert "This week" in page


def test_a_pregnant_patients_handout_lists_the_warning_signs_of_pregnancy() -> None:
    findings = {"pain_regions": ["low_back"], "gestation_weeks": 24, "onset_days": 30}
    pregnant = make_plan(make_case(findings, {"age": 31, "sex": "female", "pregnant": True}))
    page = handout_html(pregnant, {"exercises": pregnant["exercises"]}, "Clinic")
    assert "baby moving less than usual" in page
    other = make_plan(make_case(findings, {"age": 31, "sex": "female"}))
    assert "baby" not in handout_html(other, {"exercises": other["exercises"]}, "Clinic")
