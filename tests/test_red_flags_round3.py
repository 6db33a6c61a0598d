"""Third round of the accuracy benchmark's development half (December 2026, docs/accuracy.md):
the four red-flag rules it added fire where the literature says and stay quiet just outside, and
the plan withholds needles, hands-on care, manipulation and herbs while they are raised."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import assess_findings, make_case
from weizhong.planning.plan import make_plan
from weizhong.reasoning.assessment import assess


def _flags(findings: dict[str, Any], patient: dict[str, Any] | None = None) -> dict[str, str]:
    return {f["id"]: f["urgency"] for f in assess_findings(findings, patient)["red_flags"]}


def _rules(findings: dict[str, Any], patient: dict[str, Any] | None = None) -> set[str]:
    result = assess_findings(findings, patient)
    return {rule for flag in result["red_flags"] for rule in flag["rules"]}


# ------------------------------------------------------------ infection after an infection


def test_new_back_pain_after_a_bacterial_infection_is_urgent_without_fever() -> None:
    findings = {"recent_infection": True, "onset_days": 30, "fever": False}
    assert _flags({**findings, "pain_regions": ["low_back"]}, {"age": 80}) == {
        "spinal_infection": "urgent"
    }


def test_back_pain_that_began_long_before_the_infection_raises_nothing() -> None:
    findings = {"recent_infection": True, "onset_days": 400, "pain_regions": ["low_back"]}
    assert _flags(findings, {"age": 45}) == {}


# ------------------------------------------------ cancer features whose risk is not recorded


def test_night_pain_with_the_duration_not_recorded_needs_review_soon() -> None:
    findings = {"night_pain_unremitting": True, "pain_regions": ["low_back", "buttock_left"]}
    assert _flags(findings, {"age": 43, "sex": "female"}) == {"spinal_malignancy": "soon"}


def test_night_pain_at_35_for_ten_days_raises_nothing() -> None:
    findings = {"night_pain_unremitting": True, "onset_days": 10, "pain_regions": ["low_back"]}
    assert _flags(findings, {"age": 35}) == {}


def test_the_rule_for_an_unrecorded_age_does_not_fire_when_the_age_is_known() -> None:
    findings = {"unexplained_weight_loss": True, "onset_days": 45, "pain_regions": ["low_back"]}
    rules = _rules(findings, {"age": 60})
    assert "malignancy_weight_loss_or_night_pain_with_risk" in rules
    assert "malignancy_weight_loss_or_night_pain_risk_not_recorded" not in rules


# -------------------------------------------------------- a fresh injury in an adolescent


def test_a_fresh_thigh_injury_at_11_is_an_urgent_avulsion_check_whatever_the_movement() -> None:
    findings = {"onset_days": 1, "pain_regions": ["posterior_thigh_right"]}
    assert _flags(findings, {"age": 11, "sex": "female"}) == {
        "proximal_hamstring_avulsion": "urgent"
    }


@pytest.mark.parametrize(
    ("findings", "patient"),
    [
        # the sitting bone was felt and is not tender
        (
            {
                "onset_days": 1,
                "pain_regions": ["posterior_thigh_right"],
                "ischial_tuberosity_tender_right": False,
            },
            {"age": 11},
        ),
        ({"onset_days": 60, "pain_regions": ["posterior_thigh_right"]}, {"age": 15}),  # not fresh
        ({"onset_days": 2, "pain_regions": ["posterior_thigh_right"]}, {"age": 24}),  # an adult
        ({"onset_days": 2, "pain_regions": ["calf_right"]}, {"age": 14}),  # not the hamstring
        # new low back pain spreading to the buttock: a back problem (disc, pars), not an avulsion
        ({"onset_days": 10, "pain_regions": ["low_back", "buttock_left"]}, {"age": 16}),
    ],
)
def test_the_adolescent_avulsion_check_stays_quiet_outside_its_picture(
    findings: dict[str, Any], patient: dict[str, Any]
) -> None:
    assert "proximal_hamstring_avulsion" not in _flags(findings, patient)


# ------------------------------------------------------- extension pain, age not recorded


def test_extension_pain_with_the_age_not_recorded_is_a_spondylolysis_review() -> None:
    findings = {"pain_worse_extension": True, "pain_regions": ["low_back"]}
    assert _flags(findings) == {"spondylolysis": "soon"}


def test_extension_pain_in_an_adult_raises_nothing() -> None:
    findings = {"pain_worse_extension": True, "pain_regions": ["low_back"], "onset_days": 20}
    assert _flags(findings, {"age": 35}) == {}


# ------------------------------------------------------------- the plan under these flags


@pytest.mark.parametrize(
    ("findings", "patient"),
    [
        ({"recent_infection": True, "onset_days": 30, "pain_regions": ["low_back"]}, {"age": 80}),
        ({"night_pain_unremitting": True, "pain_regions": ["low_back"]}, {"age": 43}),
        ({"onset_days": 1, "pain_regions": ["posterior_thigh_right"]}, {"age": 11}),
        ({"pain_worse_extension": True, "pain_regions": ["low_back", "buttock_right"]}, {}),
    ],
    ids=["infection", "malignancy", "avulsion", "spondylolysis"],
)
def test_the_plan_withholds_needles_hands_on_care_manipulation_and_herbs(
    findings: dict[str, Any], patient: dict[str, Any]
) -> None:
    case = make_case(findings, patient)
    result = assess(case)
    assert result["red_flags"]
    plan = make_plan(case, result)
    assert plan["acupuncture"]["points"] == []
    assert plan["acupuncture"]["electrostimulation"] is None
    assert not plan["office_care"].get("soft_tissue_and_mobilisation")
    assert plan["office_care"]["manipulation"]["suitability"] not in ("likely to help", "undecided")
    assert plan["herbs"] == []
