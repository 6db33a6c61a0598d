"""Each feature the modelled conditions cannot explain makes the fit 'poor' and names the cause
to look for (conditions.toml [[fit.unexplained]], hazards HZ-23 and HZ-26)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import assess_findings

BASE = {"pain_regions": ["low_back", "posterior_thigh_left"], "ake_left_deg": 40}
CASES = {
    "fit_possible_dvt": ({"calf_swelling_left": True}, "deep vein thrombosis"),
    "fit_possible_arterial_disease": ({"foot_pulses_left": "absent"}, "arterial disease"),
    "fit_possible_visceral_cause": ({"visceral_symptoms": True}, "visceral"),
    "fit_possible_hip_joint": ({"hip_internal_rotation_painful_left": True}, "hip joint"),
    "fit_possible_hamstring_avulsion": ({"palpable_hamstring_gap_left": True}, "avulsion"),
    "fit_possible_meralgia": ({"lateral_thigh_numbness_left": True}, "meralgia paresthetica"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_unexplained_feature_rule_names_its_cause(rule: str) -> None:
    extra, words = CASES[rule]
    fit: dict[str, Any] = assess_findings({**BASE, **extra}, {"age": 40})["fit"]
    assert (fit["status"], fit["rule"]) == ("poor", rule)
    assert words in fit["why"]


def test_without_such_a_feature_the_same_picture_fits() -> None:
    fit = assess_findings(
        {**BASE, "slr_left_deg": 50, "slr_left_response": "posterior_thigh_stretch"}, {"age": 40}
    )["fit"]
    assert fit["status"] == "good"


def test_the_fit_names_regions_in_words_not_ids() -> None:
    fit = assess_findings({"pain_regions": ["calf_left"]}, {"age": 40})["fit"]
    assert fit["rule"] == "fit_regions_unexplained"
    assert "left calf" in fit["why"]
    assert "calf_left" not in fit["why"]


def test_exertional_leg_pain_brings_the_claudication_question_and_the_pulses() -> None:
    result = assess_findings({"exertional_leg_pain": True}, {"age": 18, "sex": "male"})
    asked = {t["finding"] for t in result["next_tests"]}
    assert {"vascular_claudication", "foot_pulses_left", "foot_pulses_right"} <= asked


def test_a_straight_leg_raise_can_reproduce_pain_in_the_back_of_the_thigh() -> None:
    result = assess_findings({"slr_left_deg": 50, "slr_left_response": "posterior_thigh_pain"})
    assert result["differential"]  # accepted by the case format, read as no nerve-root sign
    radic = next(e for e in result["differential"] if e["condition"] == "lumbar_radiculopathy")
    assert not any("straight leg raise" in b["text"] and b.get("counted") for b in radic["because"])
