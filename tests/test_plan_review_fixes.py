"""Gates added after a clinician's review of the plans (issue 11): sacral points and positioning
in pregnancy, needles kept off implants, an unknown INR holds needling, an added bleeding risk
means superficial needling, and an INR out of range withholds hands-on care too."""

from __future__ import annotations

from typing import Any

from tests.conftest import make_case
from weizhong.planning.plan import make_plan
from weizhong.planning.safety import parse_overrides

SCREENED = dict.fromkeys(
    ("saddle_anaesthesia", "bladder_dysfunction", "bowel_dysfunction", "sexual_dysfunction"), False
)
SIJ = {
    "pain_regions": ["low_back", "sacrum", "buttock_left"], "sij_provocation_positive": 4,
    "onset_days": 60, **SCREENED,
}  # fmt: skip
SCIATICA_RIGHT = {
    "pain_regions": ["low_back", "buttock_right", "posterior_thigh_right", "calf_right"],
    "slr_right_deg": 40, "slr_right_response": "leg_pain_below_knee", "onset_days": 30,
    **SCREENED,
}  # fmt: skip


def _plan(findings: dict[str, Any], patient: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return make_plan(make_case(findings, patient), **kwargs)


def _codes(plan: dict[str, Any]) -> set[str]:
    return {p["code"] for p in plan["acupuncture"]["points"]}


def _ids(plan: dict[str, Any]) -> set[str]:
    return {w["id"] for w in plan["warnings"]}


def test_pregnancy_withholds_the_sacral_foramen_points_without_consent() -> None:
    pregnant = {"age": 31, "sex": "female", "pregnant": True}
    plan = _plan({**SIJ, "gestation_weeks": 10}, pregnant)
    assert not _codes(plan) & {"BL31", "BL32", "BL33", "BL34"}
    withheld = {p["code"]: p["withheld_by"] for p in plan["acupuncture"]["withheld"]}
    assert withheld.get("BL32") == "pregnancy_forbidden_point"
    consent = parse_overrides(["pregnancy_forbidden_point=discussed the tradition, consent signed"])
    assert "BL32" in _codes(_plan({**SIJ, "gestation_weeks": 10}, pregnant, overrides=consent))
    assert "BL32" in _codes(_plan(SIJ, {"age": 31, "sex": "female"}))


def test_pregnancy_from_sixteen_weeks_asks_for_side_lying_treatment() -> None:
    pregnant = {"age": 31, "sex": "female", "pregnant": True}
    assert "pregnancy_positioning" in _ids(_plan({**SIJ, "gestation_weeks": 30}, pregnant))
    assert "pregnancy_positioning" in _ids(_plan(SIJ, pregnant))  # weeks not recorded
    assert "pregnancy_positioning" not in _ids(_plan({**SIJ, "gestation_weeks": 10}, pregnant))


def test_needles_stay_off_a_sacral_stimulator_and_a_hip_replacement() -> None:
    sacral = _plan(SIJ, {"age": 50, "devices": ["sacral_nerve_stimulator"]})
    assert "BL32" not in _codes(sacral)
    assert "implant_no_needle_site" in _ids(sacral)
    hip = _plan(SCIATICA_RIGHT, {"age": 60, "devices": ["metal_implant_hip"]})
    assert "GB30" not in _codes(hip)
    assert "GB30" in _codes(_plan(SCIATICA_RIGHT, {"age": 60}))
    cleared = parse_overrides(["implant_no_needle_site=prosthesis on the left, needling right"])
    hip_ok = _plan(SCIATICA_RIGHT, {"age": 60, "devices": ["metal_implant_hip"]}, overrides=cleared)
    assert "GB30" in _codes(hip_ok)


def test_an_added_bleeding_risk_means_superficial_needling() -> None:
    meds = {"age": 69, "medications": ["warfarin", "aspirin 75mg", "Plavix"]}
    plan = _plan({**SIJ, "inr_in_range": True}, meds)
    assert "bleeding_combination" in _ids(plan)
    assert plan["acupuncture"]["points"]
    assert all(
        max(p["depth_cun"]) <= 0.5 for p in plan["acupuncture"]["points"] if "depth_cun" in p
    )


def test_an_inr_out_of_range_withholds_hands_on_care_too() -> None:
    plan = _plan({**SIJ, "inr_in_range": False, "lumbar_hypomobility": True},
                 {"age": 69, "medications": ["warfarin"]})  # fmt: skip
    assert plan["status"] == "refer_first"
    assert plan["office_care"]["soft_tissue_and_mobilisation"] is None
    assert plan["office_care"]["hands_on_withheld"]


def test_a_bleeding_disorder_gets_no_blood_moving_formula() -> None:
    findings = {"pain_regions": ["low_back"], "onset_days": 60, "lumbar_hypomobility": True}
    plan = _plan(findings, {"age": 30, "conditions": ["bleeding_disorder"]})
    assert plan["herbs"] == []
    rules = {r for h in plan["herbs_withheld"] for r in h.get("rules", [])}
    assert "blood_moving_bleeding_disorder" in rules
    assert _plan(findings, {"age": 30})["herbs"]


def test_belly_and_back_pain_in_an_older_smoker_waits_for_the_abdomen_to_be_felt() -> None:
    findings = {"onset_days": 1, "pain_regions": ["low_back", "lower_abdomen"], "smoker": True}
    plan = _plan(findings, {"age": 71, "sex": "male"})
    assert plan["status"] == "screen_first"
    assert plan["acupuncture"]["points"] == []
    assert plan["office_care"]["soft_tissue_and_mobilisation"] is None
    assert "pulsatile_abdominal_mass" in {q["finding"] for q in plan["questions"]}
    felt = _plan({**findings, "pulsatile_abdominal_mass": False}, {"age": 71, "sex": "male"})
    assert felt["status"] == "treat"
    young = _plan({**findings, "smoker": False}, {"age": 40, "sex": "female"})
    assert young["status"] == "treat"


def test_back_pain_alone_in_an_older_man_with_vascular_disease_waits_for_the_abdomen() -> None:
    # Issue 16: a 73-year-old man with hypertension and heart disease whose "mechanical" back
    # pain was a 10 cm aneurysm got a needling plan (no belly pain, so no palpation gate).
    findings = {"onset_days": 400, "pain_regions": ["low_back"], "smoker": False}
    vascular = {"age": 73, "sex": "male", "conditions": ["hypertension", "heart_disease"]}
    plan = _plan(findings, vascular)
    assert plan["status"] == "screen_first"
    assert plan["acupuncture"]["points"] == []
    (warning,) = [w for w in plan["warnings"] if w["id"] == "aaa_palpate_first"]
    assert warning["message"].startswith("Back pain at 73 (a man of 65 or over with heart disease")
    assert "pulsatile_abdominal_mass" in {q["finding"] for q in plan["questions"]}
    felt = _plan({**findings, "pulsatile_abdominal_mass": False}, vascular)
    assert "aaa_palpate_first" not in {w["id"] for w in felt["warnings"]}
    # No vascular risk, a woman, or under 65: no gate.
    for patient in ({"age": 73, "sex": "male"}, {**vascular, "sex": "female"},
                    {**vascular, "age": 60}):  # fmt: skip
        assert "aaa_palpate_first" not in {w["id"] for w in _plan(findings, patient)["warnings"]}


def test_a_held_plan_names_the_rule_that_holds_it() -> None:
    """The herbs and the electro note of a plan held for the INR or the abdomen name that
    gate, not the cauda equina questions (they once always did)."""
    findings = {"pain_regions": ["low_back"], "onset_days": 60, "lumbar_hypomobility": True}
    held = _plan(findings, {"age": 70, "medications": ["warfarin"]})
    assert held["status"] == "screen_first"
    assert "INR not known" in held["acupuncture"]["electrostimulation_note"]
    assert all(h["rules"] != ["cauda_equina_screen_first"] for h in held["herbs_withheld"])
    belly = _plan(
        {"onset_days": 1, "pain_regions": ["low_back", "lower_abdomen"], "smoker": True},
        {"age": 71, "sex": "male"},
    )
    assert "feel the abdomen first" in belly["acupuncture"]["electrostimulation_note"]
