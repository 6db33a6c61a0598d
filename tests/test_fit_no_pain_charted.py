"""Third round of the accuracy benchmark's development half (December 2026): with no pain charted
and nothing standing out, the assessment already said "chart the pain before choosing a
treatment" and the plan still proposed lumbar needling, soft-tissue work, manipulation and herbs
for a man whose exertional leg pain was an artery. Now nothing is proposed until the pain is
charted; an override with a reason restores the plan."""

from __future__ import annotations

from tests.conftest import assess_findings, make_case
from weizhong.planning.plan import make_plan

CE_ANSWERED = {
    "saddle_anaesthesia": False, "bladder_dysfunction": False, "bowel_dysfunction": False,
    "sexual_dysfunction": False, "bilateral_leg_neuro_symptoms": False,
}  # fmt: skip
ADULT = {"age": 27, "sex": "male"}


def test_with_no_pain_charted_the_fit_says_so() -> None:
    fit = assess_findings({}, ADULT)["fit"]
    assert (fit["status"], fit["rule"]) == ("poor", "fit_no_pain_charted")
    assert "Chart where the pain is" in fit["why"]


def test_with_no_pain_charted_nothing_is_proposed() -> None:
    result = make_plan(make_case(dict(CE_ANSWERED), ADULT))
    assert result["status"] == "screen_first"
    assert result["acupuncture"]["points"] == []
    assert result["acupuncture"]["electrostimulation"] is None
    assert not result["office_care"].get("soft_tissue_and_mobilisation")
    assert result["office_care"]["manipulation"]["suitability"] == "not suitable"
    assert result["herbs"] == []
    assert "poor_fit_no_condition_points" in [w["id"] for w in result["warnings"]]


def test_an_override_with_a_reason_restores_the_plan() -> None:
    overrides = {"poor_fit_no_condition_points": "pain is across the low back, chart to follow"}
    result = make_plan(make_case(dict(CE_ANSWERED), ADULT), overrides=overrides)
    assert result["acupuncture"]["points"]


def test_a_charted_back_pain_still_gets_its_plan() -> None:
    result = make_plan(make_case({**CE_ANSWERED, "pain_regions": ["low_back"]}, ADULT))
    assert assess_findings({"pain_regions": ["low_back"]}, ADULT)["fit"]["status"] == "good"
    assert result["acupuncture"]["points"]
