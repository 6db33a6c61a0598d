"""The plan's safety gates (issue 11): red flags, the cauda equina screen, manipulation, acute
strains, back-pain combinations, bleeding, pregnancy, devices, depth caps. Each test names the
rule of safety.toml it proves and the hazard of the hazard log it controls."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_case
from weizhong.knowledge.atlas import load_atlas
from weizhong.plan_report import render_plan
from weizhong.planning.plan import PlanEdits, make_plan
from weizhong.planning.safety import (
    OverrideError,
    load_safety_lists,
    load_safety_rules,
    parse_overrides,
)
from weizhong.reasoning.assessment import assess

# The cardinal cauda equina questions, answered: without them any leg-pain case is screen_first.
CE_ANSWERED = {
    "saddle_anaesthesia": False, "bladder_dysfunction": False, "bowel_dysfunction": False,
    "sexual_dysfunction": False, "bilateral_leg_neuro_symptoms": False,
}  # fmt: skip
# Childs rule positive (5 of 5), no red flag, cauda equina screened.
MANIPULATION_CANDIDATE = {
    "onset_days": 10, "pain_regions": ["low_back", "buttock_left"], "fabq_work": 12,
    "hip_internal_rotation_left_deg": 40, "lumbar_hypomobility": True, **CE_ANSWERED,
}  # fmt: skip
BACK = {"pain_regions": ["low_back"], "onset_days": 60, **CE_ANSWERED}
ADULT = {"age": 40, "sex": "male"}
STRAIN_DAY_2 = {
    "onset_days": 2, "sudden_onset_during_sprint": True, "runner": True,
    "pain_regions": ["posterior_thigh_left"], "trigger_points": ["hamstrings_left"],
    **CE_ANSWERED,
}  # fmt: skip
RED_FLAGS = {  # flag id: (findings, patient, urgency)
    "abdominal_aortic_aneurysm": (
        {"pulsatile_abdominal_mass": True, "smoker": True}, {"age": 70, "sex": "male"},
        "emergency",
    ),
    "spinal_fracture": ({"prolonged_corticosteroids": True}, ADULT, "soon"),
    "spinal_malignancy": (
        {"unexplained_weight_loss": True, "night_pain_unremitting": True},
        {"age": 60, "conditions": ["cancer_history"]}, "urgent",
    ),
    "spinal_infection": ({"fever": True, "iv_drug_use": True}, ADULT, "emergency"),
}  # fmt: skip


def plan(
    findings: dict[str, Any], patient: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, Any]:
    return make_plan(make_case(findings, patient or ADULT), **kwargs)


def codes(result: dict[str, Any]) -> set[str]:
    return {p["code"] for p in result["acupuncture"]["points"]}


def muscles(result: dict[str, Any]) -> set[str]:
    return {p["muscle"] for p in result["acupuncture"]["points"] if p.get("muscle")}


def withheld_by(result: dict[str, Any]) -> dict[str, str]:
    held = result["acupuncture"]["withheld"]
    return {p.get("muscle") or p["code"]: p["withheld_by"] for p in held}


def warning_ids(result: dict[str, Any]) -> list[str]:
    return [w["id"] for w in result["warnings"]]


def red_flag_case(flag: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    findings, patient, urgency = RED_FLAGS[flag]
    return {**MANIPULATION_CANDIDATE, **findings}, patient, urgency


# ------------------------------------------------------------------ red flags (HZ-02)
@pytest.mark.parametrize("flag", sorted(RED_FLAGS))
def test_any_red_flag_withholds_needles_hands_on_care_and_manipulation(flag: str) -> None:
    findings, patient, urgency = red_flag_case(flag)
    result = plan(findings, patient)
    assert [(f["id"], f["urgency"]) for f in result["assessment"]["red_flags"]] == [(flag, urgency)]
    assert result["status"] == "refer_first"
    assert result["acupuncture"]["points"] == []
    assert result["acupuncture"]["electrostimulation"] is None
    care = result["office_care"]
    assert care["soft_tissue_and_mobilisation"] is None
    assert "Red flag" in care["hands_on_withheld"]
    assert care["manipulation"]["suitability"] == "not suitable"
    assert "manipulation_red_flag" in care["manipulation"]["blocked_by"]
    gate = "red_flag_soon" if urgency == "soon" else "red_flag_refer"
    assert {gate, "red_flag_no_hands_on", "manipulation_red_flag"} <= set(warning_ids(result))
    assert {p["withheld_by"] for p in result["acupuncture"]["withheld"]} == {gate}


def test_a_soon_red_flag_refers_first_but_keeps_the_home_programme() -> None:
    findings, patient, _ = red_flag_case("spinal_fracture")
    result = plan(findings, patient)
    assert result["status"] == "refer_first"
    assert result["acupuncture"]["points"] == []
    assert result["exercises"]


def test_an_emergency_red_flag_withholds_the_home_programme_too() -> None:
    findings, patient, _ = red_flag_case("abdominal_aortic_aneurysm")
    assert plan(findings, patient)["exercises"] == []


def test_overriding_one_red_flag_gate_leaves_the_others_in_force() -> None:
    findings, patient, _ = red_flag_case("spinal_fracture")
    reason = "reviewed by the GP last week, osteoporosis excluded on DEXA"
    result = plan(findings, patient, overrides={"red_flag_no_hands_on": reason})
    care = result["office_care"]
    assert care["soft_tissue_and_mobilisation"]
    assert care["hands_on_withheld"] is None
    assert care["manipulation"]["suitability"] == "not suitable"  # its own gate
    assert result["acupuncture"]["points"] == []  # red_flag_soon still in force
    assert result["overrides"] == [{"rule": "red_flag_no_hands_on", "reason": reason}]
    needles = plan(findings, patient, overrides={"red_flag_soon": reason})
    assert needles["acupuncture"]["points"]
    assert needles["office_care"]["soft_tissue_and_mobilisation"] is None


# ------------------------------------------------------------------ cauda equina (HZ-01)
def test_an_unscreened_cauda_equina_picture_is_screen_first_and_names_the_questions() -> None:
    findings = {"pain_regions": ["low_back", "calf_left"], "paresthesia": True, "onset_days": 20}
    result = plan(findings)
    assert result["status"] == "screen_first"
    assert result["acupuncture"]["points"] == []
    assert result["acupuncture"]["electrostimulation"] is None
    assert "cauda equina" in result["acupuncture"]["electrostimulation_note"]
    assert result["office_care"]["soft_tissue_and_mobilisation"] is None
    assert "numbness of the perineum or inner thighs" in result["office_care"]["hands_on_withheld"]
    assert result["office_care"]["manipulation"]["suitability"] == "not suitable"
    asked = {q["finding"] for q in result["questions"]}
    assert {"saddle_anaesthesia", "bladder_dysfunction", "bowel_dysfunction"} <= asked
    assert "cauda_equina_screen_first" in warning_ids(result)
    assert result["red_flag_screen"]["cauda_equina_unscreened"] is True


def test_the_screen_first_gate_reads_the_assessment_key() -> None:
    case = make_case(BACK, ADULT)
    result = assess(case)
    assert make_plan(case, result)["status"] == "treat"
    result["red_flag_screen"] = {**result["red_flag_screen"], "cauda_equina_unscreened": True}
    assert make_plan(case, result)["status"] == "screen_first"


def test_answering_the_cardinal_questions_lifts_the_screen() -> None:
    findings = {"pain_regions": ["low_back", "calf_left"], "paresthesia": True, "onset_days": 20}
    result = plan({**findings, **CE_ANSWERED})
    assert result["status"] == "treat"
    assert result["acupuncture"]["points"]


def test_the_screen_first_gate_cannot_be_overridden() -> None:
    with pytest.raises(OverrideError, match="cannot be overridden"):
        parse_overrides(["cauda_equina_screen_first=patient declined the questions today"])


# ------------------------------------------------------------------ manipulation (HZ-03)
def test_a_positive_childs_rule_in_its_population_helps_with_hancock_beside_it() -> None:
    care = plan(MANIPULATION_CANDIDATE)["office_care"]["manipulation"]
    assert care["suitability"] == "likely to help"
    assert "Hancock 2008" in care["why"]
    assert care["validation"]["source"] == "Hancock 2008, Eur Spine J 17:936"
    assert care["population"]["applies"] is True


@pytest.mark.parametrize(("patient", "rule"), [
    ({"age": 40, "medications": ["apixaban"]}, "manipulation_anticoagulant"),
    ({"age": 40, "conditions": ["bleeding_disorder"]}, "manipulation_anticoagulant"),
    ({"age": 40, "conditions": ["osteoporosis"]}, "manipulation_osteoporosis"),
    ({"age": 40, "conditions": ["ankylosing_spondylitis"]}, "manipulation_inflammatory_arthritis"),
    ({"age": 40, "conditions": ["rheumatoid_arthritis"]}, "manipulation_inflammatory_arthritis"),
    ({"age": 40, "devices": ["metal_implant_lumbar"]}, "manipulation_lumbar_implant"),
    ({"age": 40, "devices": ["spinal_cord_stimulator"]}, "manipulation_lumbar_implant"),
    ({"age": 40, "conditions": ["lumbar_surgery_history"]}, "manipulation_lumbar_surgery"),
    ({"age": 15}, "manipulation_minor"),
])  # fmt: skip
def test_it_withholds_manipulation_against_each_contraindication(
    patient: dict[str, Any], rule: str
) -> None:
    result = plan(MANIPULATION_CANDIDATE, patient)
    care = result["office_care"]["manipulation"]
    assert care["suitability"] == "not suitable"
    assert rule in care["blocked_by"]
    assert rule in warning_ids(result)


def test_thrombophilia_is_not_a_bleeding_disorder() -> None:
    result = plan(MANIPULATION_CANDIDATE, {"age": 40, "conditions": ["thrombophilia"]})
    assert result["office_care"]["manipulation"]["suitability"] == "likely to help"
    assert "bleeding_risk" not in warning_ids(result)


@pytest.mark.parametrize(("findings", "patient", "outside"), [
    ({}, {"age": 65}, "age"),
    ({"slr_left_response": "leg_pain_below_knee", "slr_left_deg": 40}, ADULT, "nerve_root_signs"),
    ({"achilles_reflex_left": "reduced"}, ADULT, "nerve_root_signs"),
    ({}, {"age": 30, "sex": "female", "pregnant": True}, "pregnant"),
])  # fmt: skip
def test_outside_the_childs_population_the_rule_is_not_applicable(
    findings: dict[str, Any], patient: dict[str, Any], outside: str
) -> None:
    result = plan({**MANIPULATION_CANDIDATE, **findings}, patient)
    care = result["office_care"]["manipulation"]
    assert care["suitability"] == "not applicable"
    assert outside in {o["id"] for o in care["population"]["outside"]}
    assert "Hancock 2008" in care["why"]
    assert "childs_rule_population" in warning_ids(result)


def test_an_unknown_age_leaves_a_positive_rule_undecided() -> None:
    result = make_plan(make_case(MANIPULATION_CANDIDATE, {}))
    assert result["office_care"]["manipulation"]["suitability"] == "undecided"
    assert "age" in result["office_care"]["manipulation"]["why"]


def test_the_childs_rule_does_not_apply_when_the_chart_shows_no_low_back_pain() -> None:
    # Issue 16: a groin-only (hip) picture was told manipulation was "undecided".
    findings = {**MANIPULATION_CANDIDATE, "pain_regions": ["groin_right", "buttock_right"]}
    care = plan(findings, {"age": 36})["office_care"]["manipulation"]
    assert care["suitability"] == "not applicable"
    assert [o["id"] for o in care["population"]["outside"]] == ["no_low_back_pain"]
    assert "no low back or sacral pain" in care["why"]
    with_back = plan({**findings, "pain_regions": ["low_back", "buttock_right"]}, {"age": 36})
    assert with_back["office_care"]["manipulation"]["suitability"] == "likely to help"


def test_a_minor_is_never_told_manipulation_is_likely_to_help_even_with_an_override() -> None:
    overrides = {
        "manipulation_minor": "parents asked, discussed risks at length",
        # The poor fit of a minor (adult priors) is overridden too, so the minor rule alone decides.
        "poor_fit_no_condition_points": "nerve roots examined, normal; no spondylolysis signs",
    }
    care = plan(MANIPULATION_CANDIDATE, {"age": 16}, overrides=overrides)["office_care"]
    assert care["manipulation"]["suitability"] == "not applicable"


def test_a_minor_gets_no_treatment_until_the_poor_fit_is_examined() -> None:
    # Issue 16: the priors are for adults, so a minor's picture is a poor fit; the tool says to
    # examine the nerve root first and proposes nothing until then.
    result = plan(MANIPULATION_CANDIDATE, {"age": 16})
    assert result["status"] == "screen_first"
    assert result["acupuncture"]["points"] == [] and result["herbs"] == []
    assert result["office_care"]["manipulation"]["suitability"] == "not suitable"
    assert "poor_fit_no_condition_points" in warning_ids(result)


# ------------------------------------------------------------------ acute strain (HZ-05)
def test_it_withholds_bl37_and_the_hamstring_trigger_point_in_an_acute_strain() -> None:
    result = plan(STRAIN_DAY_2, {"age": 22, "sex": "male"})
    assert result["assessment"]["leading"][0]["condition"] == "hamstring_strain"
    assert "BL37" not in codes(result)
    assert "hamstrings" not in muscles(result)
    held = withheld_by(result)
    assert held["BL37"] == held["hamstrings"] == "acute_strain_no_local_needling"
    assert {"BL40", "BL57"} <= codes(result)  # distal points stay


def test_it_keeps_current_out_of_a_fresh_strain_and_forbids_deep_massage() -> None:
    result = plan(STRAIN_DAY_2, {"age": 22, "sex": "male"})
    atlas = load_atlas()
    electro = result["acupuncture"]["electrostimulation"]
    for pair in (electro or {}).get("pairs", []):
        assert not any("posterior_thigh" in atlas.points[c].regions for c in pair["points"])
    soft = result["office_care"]["soft_tissue_and_mobilisation"]
    assert "no deep massage" in soft
    assert {"acute_strain_no_electro", "acute_strain_no_deep_massage"} <= set(warning_ids(result))


def test_the_acute_strain_gate_lifts_after_the_acute_phase() -> None:
    days = load_safety_lists().acute_strain_days
    result = plan({**STRAIN_DAY_2, "onset_days": days + 5}, {"age": 22, "sex": "male"})
    assert not {w for w in warning_ids(result) if w.startswith("acute_strain")}


# ------------------------------------------------------------ back-pain combinations (HZ-06)
def test_it_withholds_back_pain_combinations_without_back_pain() -> None:
    result = plan(STRAIN_DAY_2, {"age": 22, "sex": "male"}, max_points=20)
    assert not {"SI3", "BL62", "EX-UE7"} & codes(result)
    held = withheld_by(result)
    assert held["EX-UE7"] == held["SI3"] == "back_pain_combination_without_back_pain"


def test_back_pain_combinations_stay_for_acute_back_pain() -> None:
    findings = {**BACK, "onset_days": 5}
    result = plan(findings, max_points=20)
    assert {"SI3", "BL62", "EX-UE7"} <= codes(result)
    assert "back_pain_combination_without_back_pain" not in warning_ids(result)


# ------------------------------------------------------------------ bleeding (HZ-07)
DEEP_AND_SUPERFICIAL = {
    **BACK, "pain_regions": ["low_back", "buttock_left", "calf_left"],
    "trigger_points": ["piriformis_left", "gastrocnemius_left", "hamstrings_left"],
}  # fmt: skip


def test_it_withholds_deep_trigger_points_on_anticoagulants() -> None:
    result = plan(DEEP_AND_SUPERFICIAL, {"age": 70, "medications": ["apixaban"]}, max_points=20)
    assert not {"piriformis", "gastrocnemius"} & muscles(result)
    assert "hamstrings" in muscles(result)  # compressible: kept
    held = withheld_by(result)
    assert held["piriformis"] == held["gastrocnemius"] == "bleeding_deep_trigger_point"


def test_deep_trigger_points_stay_without_bleeding_risk() -> None:
    result = plan(DEEP_AND_SUPERFICIAL, {"age": 70}, max_points=20)
    assert {"piriformis", "gastrocnemius"} <= muscles(result)


def test_it_never_keeps_a_point_over_a_major_artery_on_anticoagulants() -> None:
    edits = PlanEdits(add_points=("HT1:right", "LU9:right"))
    result = plan(
        {**BACK, "inr_in_range": True},
        {
            "age": 70,
            "medications": ["warfarin"],
        },
        edits=edits,
    )
    assert not {"HT1", "LU9"} & codes(result)
    assert withheld_by(result)["HT1"] == "bleeding_major_vessel_point"
    unbleeding = plan(BACK, {"age": 70}, edits=edits)
    assert {"HT1", "LU9"} <= codes(unbleeding)


def test_every_major_vessel_point_is_in_the_atlas_and_names_its_vessel() -> None:
    atlas = load_atlas()
    vessels = load_safety_lists().major_vessels
    assert {"HT1", "LU9", "PC3", "ST42", "ST30", "SP11", "LR12", "ST9"} <= set(vessels)
    for code, vessel in vessels.items():
        assert code in atlas.points
        assert any(word in vessel for word in ("arter", "aort", "vessel", "pulse")), code


def test_balance_points_are_never_over_a_major_artery_for_anyone() -> None:
    vessels = set(load_safety_lists().major_vessels)
    chosen = set()
    for region in ("posterior_thigh", "medial_thigh", "groin", "anterior_thigh", "calf", "shin",
                   "buttock", "lateral_thigh", "posterior_knee", "foot"):  # fmt: skip
        result = plan({**BACK, "pain_regions": [f"{region}_left"]}, max_points=30)
        chosen |= {p["code"] for p in result["acupuncture"]["points"] if p["role"] == "balance"}
    assert chosen
    assert not chosen & vessels


@pytest.mark.parametrize(("medications", "rule"), [
    (["warfarin", "sertraline"], "bleeding_combination"),
    (["apixaban", "aspirin"], "bleeding_combination"),
    (["warfarin", "naproxen"], "bleeding_combination"),
    (["aspirin", "sertraline"], "antiplatelet_combination"),
    (["clopidogrel", "naproxen"], "antiplatelet_combination"),
])  # fmt: skip
def test_it_names_an_added_bleeding_risk_from_two_drug_classes(
    medications: list[str], rule: str
) -> None:
    result = plan(DEEP_AND_SUPERFICIAL, {"age": 70, "medications": medications}, max_points=20)
    assert rule in warning_ids(result)
    assert not {"piriformis", "gastrocnemius"} & muscles(result)


def test_aspirin_alone_is_not_a_combination_with_itself() -> None:
    result = plan(DEEP_AND_SUPERFICIAL, {"age": 70, "medications": ["aspirin"]}, max_points=20)
    assert "antiplatelet" in warning_ids(result)
    assert "antiplatelet_combination" not in warning_ids(result)
    assert {"piriformis", "gastrocnemius"} <= muscles(result)


def test_it_asks_whether_the_inr_is_in_range_on_warfarin() -> None:
    result = plan(BACK, {"age": 70, "medications": ["warfarin"]})
    assert "inr_unknown" in warning_ids(result)
    assert "inr_in_range" in {q["finding"] for q in result["questions"]}
    # Needles wait for the answer (issue 11 review: an unknown INR went ahead with 7 needles).
    assert result["acupuncture"]["points"] == []
    assert result["status"] == "screen_first"
    in_range = plan({**BACK, "inr_in_range": True}, {"age": 70, "medications": ["warfarin"]})
    assert "inr_unknown" not in warning_ids(in_range)
    assert in_range["acupuncture"]["points"]
    seen = parse_overrides(
        ["inr_unknown=INR 2.4 yesterday, seen on the anticoagulation clinic letter"]
    )
    overridden = plan(BACK, {"age": 70, "medications": ["warfarin"]}, overrides=seen)
    assert overridden["acupuncture"]["points"]
    doac = plan(BACK, {"age": 70, "medications": ["apixaban"]})
    assert "inr_unknown" not in warning_ids(doac)


def test_an_inr_out_of_range_withholds_needling() -> None:
    result = plan({**BACK, "inr_in_range": False}, {"age": 70, "medications": ["warfarin"]})
    assert result["acupuncture"]["points"] == []
    assert result["acupuncture"]["electrostimulation"] is None
    assert result["status"] == "refer_first"
    assert {p["withheld_by"] for p in result["acupuncture"]["withheld"]} == {"inr_out_of_range"}


# ------------------------------------------------------------------ pregnancy (HZ-08)
TRUNK_TRIGGER_POINTS = {
    **BACK, "pain_regions": ["low_back", "buttock_left"],
    "trigger_points": ["quadratus_lumborum_left", "iliopsoas_left", "erector_spinae_left",
                       "multifidus_left", "piriformis_left"],
}  # fmt: skip
PREGNANT = {"age": 30, "sex": "female", "pregnant": True}


def test_pregnancy_withholds_lumbar_and_abdominal_trigger_points() -> None:
    result = plan({**TRUNK_TRIGGER_POINTS, "gestation_weeks": 30}, PREGNANT, max_points=30)
    trunk = {"quadratus_lumborum", "iliopsoas", "erector_spinae", "multifidus"}
    assert not trunk & muscles(result)
    assert {withheld_by(result)[m] for m in trunk} == {"pregnancy_trunk_trigger_point"}
    piriformis = next(p for p in result["acupuncture"]["points"] if p.get("muscle") == "piriformis")
    assert "pregnancy" in piriformis["caution"]


def test_a_pregnancy_trigger_point_override_is_recorded_and_restores_them() -> None:
    reason = "obstetrician agreed, consent recorded in the notes"
    result = plan(
        TRUNK_TRIGGER_POINTS, PREGNANT, max_points=30,
        overrides={"pregnancy_trunk_trigger_point": reason},
    )  # fmt: skip
    assert "quadratus_lumborum" in muscles(result)
    assert {"rule": "pregnancy_trunk_trigger_point", "reason": reason} in result["overrides"]


def test_the_plan_shows_gestation_and_asks_for_it_when_missing() -> None:
    recorded = plan({**BACK, "gestation_weeks": 30}, PREGNANT)
    assert recorded["patient"] == {"age": 30, "pregnant": True, "gestation_weeks": 30}
    assert "pregnancy_gestation_unrecorded" not in warning_ids(recorded)
    missing = plan(BACK, PREGNANT)
    assert missing["patient"]["gestation_weeks"] is None
    assert "pregnancy_gestation_unrecorded" in warning_ids(missing)
    assert "gestation_weeks" in {q["finding"] for q in missing["questions"]}


# ------------------------------------------------------------------ devices (HZ-09)
@pytest.mark.parametrize("device", [
    "spinal_cord_stimulator", "deep_brain_stimulator", "vagus_nerve_stimulator",
    "sacral_nerve_stimulator", "cochlear_implant",
])  # fmt: skip
def test_every_implanted_stimulator_stops_electro(device: str) -> None:
    findings = {**BACK, "pain_regions": ["low_back", "posterior_thigh_left"], "ake_left_deg": 48}
    assert plan(findings)["acupuncture"]["electrostimulation"] is not None
    result = plan(findings, {"age": 50, "devices": [device]})
    assert result["acupuncture"]["electrostimulation"] is None
    assert "neurostimulator_no_electro" in warning_ids(result)
    assert device.split("_")[0] in result["acupuncture"]["electrostimulation_note"].lower()


# ------------------------------------------------------------------ depth caps (HZ-25)
@pytest.mark.parametrize(("muscle", "organ"), [
    ("quadratus_lumborum", "kidney"), ("erector_spinae", "pleura"), ("multifidus", "pleura"),
    ("iliopsoas", "kidney"),
])  # fmt: skip
def test_trigger_points_over_pleura_or_kidney_get_a_depth_cap(muscle: str, organ: str) -> None:
    result = plan({**BACK, "trigger_points": [f"{muscle}_left"]}, max_points=30)
    point = next(p for p in result["acupuncture"]["points"] if p.get("muscle") == muscle)
    assert organ in point["organ_below"]
    assert point["angle"].startswith("oblique")
    assert 0 < point["depth_cun"][1] <= point["depth_limit_cun"] <= 1.2
    assert "trigger_point_depth_cap" in warning_ids(result)


# ------------------------------------------------------------------ the whole plan
def test_a_withheld_item_never_appears_in_the_plan() -> None:
    for findings, patient in (
        (STRAIN_DAY_2, {"age": 22}),
        (DEEP_AND_SUPERFICIAL, {"age": 70, "medications": ["warfarin", "sertraline"]}),
        (TRUNK_TRIGGER_POINTS, PREGNANT),
    ):
        result = plan(findings, patient, max_points=30)
        kept = {(p["code"], p["side"], p.get("muscle")) for p in result["acupuncture"]["points"]}
        held = {(p["code"], p["side"], p.get("muscle")) for p in result["acupuncture"]["withheld"]}
        assert not kept & held
        electro = result["acupuncture"]["electrostimulation"]
        kept_codes = {k[0] for k in kept}
        for pair in (electro or {}).get("pairs", []):
            assert set(pair["points"]) <= kept_codes


def test_warnings_are_deduplicated_and_tagged_with_hazards() -> None:
    result = plan(DEEP_AND_SUPERFICIAL, {"age": 15, "medications": ["warfarin", "sertraline"]})
    ids = warning_ids(result)
    assert len(ids) == len(set(ids))
    rules = load_safety_rules()
    for warning in result["warnings"]:
        if warning["id"] in rules:
            assert warning["hazards"] == list(rules[warning["id"]].hazards)


def test_every_safety_rule_names_its_hazards_and_source() -> None:
    for rule in load_safety_rules().values():
        assert rule.hazards, rule.id
        assert all(h.startswith("HZ-") and len(h) == 5 for h in rule.hazards), rule.id
        assert rule.source, rule.id


def test_the_report_opens_with_the_screen_and_the_status() -> None:
    screened = render_plan(plan(BACK)).splitlines()
    assert screened[2].startswith("RED-FLAG SCREEN")
    assert screened[3].startswith("PLAN STATUS: TREAT")
    unscreened = render_plan(plan({"pain_regions": ["low_back", "calf_left"]}))
    assert "PLAN STATUS: SCREEN FIRST" in unscreened
    assert "ASK FIRST" in unscreened
    withheld = render_plan(plan(*red_flag_case("spinal_fracture")[:2]))
    assert "Hands-on care withheld" in withheld
