"""A plan is never forced on a picture that fits none of the modelled conditions (HZ-26), and an
emergency cannot be overridden away (HZ-02)."""

from __future__ import annotations

import pytest

from tests.conftest import make_case
from weizhong.planning.plan import make_plan
from weizhong.planning.safety import OverrideError, parse_overrides

SCREENED = {
    "saddle_anaesthesia": False, "bladder_dysfunction": False, "bowel_dysfunction": False,
    "sexual_dysfunction": False,
}  # fmt: skip
CALF_ONLY = {"pain_regions": ["calf_left"], "onset_days": 10, **SCREENED}
SPRINTER_NO_BACK_PAIN = {
    "onset_days": 90, "runner": True, "ake_left_deg": 35, "ake_right_deg": 36,
    "pain_regions": ["posterior_thigh_left", "posterior_thigh_right"],
}  # fmt: skip
HAMSTRING_BACK_PAIN = {
    "pain_regions": ["low_back", "posterior_thigh_left"], "ake_left_deg": 40, "onset_days": 120,
    "slr_left_deg": 55, "slr_left_response": "posterior_thigh_stretch", **SCREENED,
}  # fmt: skip


def _ids(plan: dict[str, object]) -> set[str]:
    return {str(w["id"]) for w in plan["warnings"]}  # type: ignore[attr-defined, index]


def test_a_sign_of_an_unmodelled_cause_withholds_the_leading_conditions_points() -> None:
    plan = make_plan(make_case(CALF_ONLY, {"age": 40}))
    assert plan["fit"]["status"] == "poor"
    assert "poor_fit_no_condition_points" in _ids(plan)
    # Issue 16: nothing at all is proposed until the named cause has been examined for.
    assert plan["status"] == "screen_first"
    assert plan["acupuncture"]["points"] == []
    assert plan["acupuncture"]["electrostimulation"] is None
    assert plan["herbs"] == [] and plan["exercises"] == []
    assert plan["office_care"]["manipulation"]["suitability"] == "not suitable"
    assert plan["office_care"]["hands_on_withheld"]
    assert any(
        p["withheld_by"] == "poor_fit_no_condition_points" for p in plan["acupuncture"]["withheld"]
    )


def test_the_poor_fit_gate_can_be_overridden_with_a_reason() -> None:
    overrides = parse_overrides(
        ["poor_fit_no_condition_points=examined: calf strain, no DVT signs"]
    )
    plan = make_plan(make_case(CALF_ONLY, {"age": 40}), overrides=overrides)
    assert [o["rule"] for o in plan["overrides"]] == ["poor_fit_no_condition_points"]
    assert plan["status"] == "treat"
    assert not any(
        p["withheld_by"] == "poor_fit_no_condition_points" for p in plan["acupuncture"]["withheld"]
    )


def test_no_back_pain_means_no_low_back_protocol_when_nothing_stands_out() -> None:
    plan = make_plan(make_case(SPRINTER_NO_BACK_PAIN, {"age": 24, "sex": "male"}))
    assert plan["fit"]["status"] == "poor"
    assert "poor_fit_caution" in _ids(plan)
    codes = {p["code"] for p in plan["acupuncture"]["points"]}
    assert not codes & {"BL23", "BL25", "EX-B2-L4", "EX-UE7"}


def test_a_picture_that_fits_keeps_its_protocol_without_a_fit_warning() -> None:
    plan = make_plan(make_case(HAMSTRING_BACK_PAIN, {"age": 35, "sex": "female"}))
    assert plan["fit"]["status"] == "good"
    assert not _ids(plan) & {"poor_fit_caution", "poor_fit_no_condition_points"}
    assert any(p.get("for") == "hamstring_tightness" for p in plan["acupuncture"]["points"])


def test_an_emergency_cannot_be_overridden_away() -> None:
    overrides = parse_overrides(["red_flag_refer=patient declined the emergency department"])
    plan = make_plan(
        make_case({"saddle_anaesthesia": True, "pain_regions": ["low_back"]}, {"age": 50}),
        overrides=overrides,
    )
    assert plan["status"] == "refer_first"
    assert plan["acupuncture"]["points"] == []
    (warning,) = [w for w in plan["warnings"] if w["id"] == "red_flag_refer"]
    assert warning["overridden"] is False
    assert plan["overrides"] == []


def test_an_urgent_flag_can_still_be_overridden_with_a_reason() -> None:
    overrides = parse_overrides(["red_flag_refer=seen by GP today, MRI clear, letter on file"])
    plan = make_plan(
        make_case(
            {
                "pain_regions": ["low_back"],
                "fever": True,
                "saddle_anaesthesia": False,
                "bladder_dysfunction": False,
                "bowel_dysfunction": False,
            },
            {"age": 50},
        ),
        overrides=overrides,
    )
    assert {f["urgency"] for f in plan["assessment"]["red_flags"]} == {"urgent"}
    assert [o["rule"] for o in plan["overrides"]] == ["red_flag_refer"]


def test_the_screen_first_gate_refuses_an_override() -> None:
    with pytest.raises(OverrideError, match="cannot be overridden"):
        parse_overrides(["cauda_equina_screen_first=asked them on the phone yesterday"])


def test_the_plan_carries_patient_words_for_every_red_flag() -> None:
    plan = make_plan(make_case({"pulsatile_abdominal_mass": True, "pain_regions": ["low_back"]}))
    (flag,) = plan["assessment"]["red_flags"]
    assert flag["patient_action"]
    assert "patient" not in flag["patient_action"].lower()
    assert flag["rules"] == ["aaa_pulsatile_mass"]


def test_a_plan_waiting_for_the_cauda_equina_questions_offers_no_herbs() -> None:
    findings = {"pain_regions": ["low_back", "calf_left"], "onset_days": 200, "paresthesia": True}
    plan = make_plan(make_case(findings, {"age": 45}))
    assert plan["status"] == "screen_first"
    assert plan["herbs"] == []
    assert not [w for w in plan["warnings"] if w["id"].startswith("herb_")]
    assert "shen_tong_zhu_yu_tang" in [h["formula"] for h in plan["herbs_withheld"]]
    answered = make_plan(make_case({**findings, **SCREENED}, {"age": 45}))
    assert answered["status"] == "treat"
    assert [h["formula"] for h in answered["herbs"]] == ["shen_tong_zhu_yu_tang"]


def test_every_safety_rule_has_a_title_a_clinician_reads() -> None:
    from weizhong.planning.safety import load_safety_rules

    for rule in load_safety_rules().values():
        assert rule.title and "_" not in rule.title, rule.id


def test_the_plan_report_speaks_in_words_not_ids() -> None:
    import re

    from weizhong.plan_report import render_plan

    case = make_case(
        {"pain_regions": ["low_back", "posterior_thigh_left"], "ake_left_deg": 40,
         "trigger_points": ["quadratus_lumborum_left", "piriformis_left"], **SCREENED},
        {"age": 34, "sex": "female", "pregnant": True, "medications": ["warfarin"]},
    )  # fmt: skip
    text = render_plan(make_plan(case))
    # No snake_case identifier reaches the clinician (SSRI/SNRI-style class names aside).
    assert re.findall(r"\b[a-z]+_[a-z_]+\b", text) == []
    assert "trigger point in quadratus lumborum" in text
