"""Herbal formulas: offered only when they fit, withheld or warned for this patient, from a
catalogue that refuses to load when malformed.

Issue 11 (clinical safety case) pinned here: licorice added up across formulas (HZ-12); licorice at
68 on furosemide and ramipril, blood-moving herbs with aspirin and naproxen (HZ-13); warnings only
for offered formulas, once each (HZ-14); no herbs under 18 (HZ-10) or under a red flag (HZ-02);
blood-moving herbs withheld in pregnancy (HZ-08)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weizhong.case import Case, validate_case
from weizhong.knowledge import KnowledgeError
from weizhong.knowledge.loader import DATA_DIR
from weizhong.planning.herbs import (
    HerbProposal,
    HerbWarning,
    load_catalogue,
    propose_herbs,
)
from weizhong.reasoning.assessment import assess

ROOT = Path(__file__).resolve().parents[1]
RUNNER: dict[str, Any] = json.loads(
    (ROOT / "weizhong" / "examples" / "runner_tight_hamstrings.json").read_text()
)
DHJST = "du_huo_ji_sheng_tang"
SYGCT = "shao_yao_gan_cao_tang"
STZYT = "shen_tong_zhu_yu_tang"


def runner(
    onset_days: int | None = 90,
    trigger_points: list[str] | None = None,
    **patient: Any,
) -> Case:
    """The bundled runner with tight hamstrings: chronic by default, patient fields overridden."""
    raw = copy.deepcopy(RUNNER)
    if onset_days is None:
        del raw["findings"]["onset_days"]
    else:
        raw["findings"]["onset_days"] = onset_days
    if trigger_points is not None:
        raw["findings"]["trigger_points"] = trigger_points
    raw["patient"].update(patient)
    return validate_case(raw)


def chronic_sciatica(**patient: Any) -> Case:
    """Left S1 radiculopathy of three months: leads with lumbar_radiculopathy."""
    raw = {
        "format": "weizhong.case/1",
        "patient": {"age": 45, "sex": "male", "pregnant": False, **patient},
        "findings": {
            "onset_days": 90,
            "pain_regions": ["low_back", "buttock_left", "posterior_thigh_left", "calf_left"],
            "leg_pain_dominant": True,
            "paresthesia": True,
            "slr_left_deg": 40,
            "slr_left_response": "leg_pain_below_knee",
            "slr_right_deg": 75,
            "slr_right_response": "none",
            "crossed_slr_right": False,
            "achilles_reflex_left": "reduced",
            "achilles_reflex_right": "normal",
            "dermatome_sensory_loss": ["S1_left"],
            "saddle_anaesthesia": False,
            "bladder_dysfunction": False,
            "bowel_dysfunction": False,
            "progressive_weakness": False,
        },
    }
    return validate_case(raw)


def propose(case: Case) -> HerbProposal:
    result = assess(case)
    return propose_herbs(case, result["differential"], red_flags=result["red_flags"])


def offered(proposal: HerbProposal) -> set[str]:
    return {o["formula"] for o in proposal["offered"]}


def withheld(proposal: HerbProposal) -> dict[str, str]:
    return {w["formula"]: w["why"] for w in proposal["withheld"]}


def withheld_by(proposal: HerbProposal, formula: str) -> list[str]:
    return next(w["rules"] for w in proposal["withheld"] if w["formula"] == formula)


def warning(proposal: HerbProposal, formula: str, rule: str) -> HerbWarning | None:
    """The top-level warning of `rule` that names `formula` (only offered formulas have them)."""
    return next(
        (w for w in proposal["warnings"] if formula in w["formulas"] and w["id"] == rule), None
    )


def found(proposal: HerbProposal, formula: str, rule: str) -> HerbWarning | None:
    """What `rule` found for `formula`, offered or withheld."""
    entries = [*proposal["offered"], *proposal["withheld"]]
    entry = next((e for e in entries if e["formula"] == formula), None)
    if entry is None:
        return None
    return next((w for w in entry["interactions_found"] if w["id"] == rule), None)


# ----------------------------------------------------------------------- when formulas fit


def test_it_offers_du_huo_ji_sheng_tang_for_chronic_back_pain_with_tight_hamstrings() -> None:
    proposal = propose(runner(onset_days=90))
    assert DHJST in offered(proposal)
    entry = next(o for o in proposal["offered"] if o["formula"] == DHJST)
    assert entry["characters"] == "獨活寄生湯"
    assert len(entry["ingredients"]) == 15
    assert "Offered, not prescribed" in entry["why"]


def test_it_offers_du_huo_ji_sheng_tang_when_the_onset_is_not_recorded() -> None:
    assert DHJST in offered(propose(runner(onset_days=None)))


def test_it_does_not_offer_du_huo_ji_sheng_tang_for_back_pain_of_three_weeks() -> None:
    proposal = propose(runner(onset_days=21))
    assert DHJST not in offered(proposal)
    assert DHJST not in withheld(proposal)  # it does not fit, so it is not even considered
    assert all(DHJST not in w["formulas"] for w in proposal["warnings"])


def test_it_does_not_offer_du_huo_ji_sheng_tang_when_the_chart_shows_no_back_pain() -> None:
    # Issue 16: the chronic back-pain formula was offered for groin pain alone (a hip problem).
    groin_only = {"format": "weizhong.case/1", "patient": {"age": 36, "sex": "male"},
                  "findings": {"onset_days": 400, "pain_regions": ["groin_right"]}}  # fmt: skip
    proposal = propose(validate_case(groin_only))
    assert DHJST not in offered(proposal)
    with_back = copy.deepcopy(groin_only)
    with_back["findings"]["pain_regions"] = ["groin_right", "low_back"]
    assert DHJST in offered(propose(validate_case(with_back)))


def test_it_offers_shao_yao_gan_cao_tang_for_hamstring_trigger_points() -> None:
    assert SYGCT in offered(propose(runner(onset_days=21)))


def test_it_does_not_offer_shao_yao_gan_cao_tang_without_cramp_or_spasm() -> None:
    proposal = propose(runner(onset_days=21, trigger_points=[]))
    assert offered(proposal) == set()


def test_it_offers_shao_yao_gan_cao_tang_for_an_acute_hamstring_strain() -> None:
    vignette = json.loads(
        (ROOT / "tests" / "vignettes" / "16_footballer_acute_hamstring_strain.json").read_text()
    )
    case = validate_case(vignette["case"])
    assert assess(case)["differential"][0]["condition"] == "hamstring_strain"
    assert offered(propose(case)) == {SYGCT}


def test_it_offers_shen_tong_zhu_yu_tang_for_chronic_radicular_leg_pain() -> None:
    case = chronic_sciatica()
    assert assess(case)["differential"][0]["condition"] == "lumbar_radiculopathy"
    proposal = propose(case)
    assert STZYT in offered(proposal)
    assert DHJST not in offered(proposal)


# ----------------------------------------------------------------------- gates (every formula)


def test_it_withholds_every_formula_while_a_red_flag_is_raised() -> None:
    case = runner(onset_days=90)
    result = assess(case)
    flag = [{"id": "cauda_equina", "name": "Cauda equina syndrome", "urgency": "emergency"}]
    proposal = propose_herbs(case, result["differential"], red_flags=flag)
    assert proposal["offered"] == []
    assert proposal["warnings"] == []
    assert "Red flag" in withheld(proposal)[DHJST]
    assert "Cauda equina syndrome" in withheld(proposal)[DHJST]
    assert withheld_by(proposal, DHJST) == ["herbs_withheld_under_red_flag"]


def test_it_withholds_every_formula_from_a_14_year_old() -> None:
    proposal = propose(runner(onset_days=90, age=14))
    assert proposal["offered"] == []
    assert {DHJST, SYGCT} <= set(withheld(proposal))
    for formula in (DHJST, SYGCT):
        assert withheld_by(proposal, formula) == ["herbs_withheld_under_18"]
        assert "Under 18" in withheld(proposal)[formula]
        assert "children" in withheld(proposal)[formula]  # who decides instead
    assert proposal["warnings"] == []


def test_an_18_year_old_is_offered_herbs() -> None:
    assert DHJST in offered(propose(runner(onset_days=90, age=18)))


def test_it_asks_for_the_age_before_offering_herbs_when_it_is_not_recorded() -> None:
    proposal = propose(runner(onset_days=90, age=None))
    assert DHJST in offered(proposal)
    ask = warning(proposal, DHJST, "herbs_withheld_under_18")
    assert ask is not None and ask["status"] == "not_recorded"
    assert "age" in ask["message"]
    assert set(ask["formulas"]) == offered(proposal)


# ----------------------------------------------------------------------- interaction rules


def test_a_patient_on_furosemide_gets_the_licorice_warning() -> None:
    proposal = propose(runner(onset_days=90, medications=["furosemide 40 mg od"]))
    found_warning = warning(proposal, DHJST, "gan_cao_diuretic")
    assert found_warning is not None
    assert found_warning["severity"] == "warning" and found_warning["status"] == "applies"
    assert found_warning["herb"] == "Gān Cǎo"
    assert set(found_warning["formulas"]) == {DHJST, SYGCT}  # one warning naming both
    assert {DHJST, SYGCT} <= offered(proposal)  # a warning does not withhold at 27


def test_no_licorice_diuretic_warning_without_a_diuretic() -> None:
    assert warning(propose(runner(onset_days=90)), SYGCT, "gan_cao_diuretic") is None


def test_it_withholds_shao_yao_gan_cao_tang_at_68_on_furosemide_and_ramipril() -> None:
    """Issue 11: licorice offered to an older patient on a diuretic and an ACE inhibitor."""
    proposal = propose(runner(onset_days=21, age=68, medications=["furosemide", "ramipril"]))
    assert SYGCT not in offered(proposal)
    assert "gan_cao_older_age_blood_pressure" in withheld_by(proposal, SYGCT)
    assert "potassium" in withheld(proposal)[SYGCT]


def test_it_withholds_licorice_at_68_with_known_hypertension_alone() -> None:
    proposal = propose(runner(onset_days=21, age=68, conditions=["hypertension"]))
    assert "gan_cao_older_age_blood_pressure" in withheld_by(proposal, SYGCT)


def test_it_asks_for_the_age_before_licorice_on_a_diuretic() -> None:
    proposal = propose(runner(onset_days=21, age=None, medications=["furosemide"]))
    ask = warning(proposal, SYGCT, "gan_cao_older_age_blood_pressure")
    assert ask is not None and ask["status"] == "not_recorded"


def test_warfarin_withholds_du_huo_ji_sheng_tang_for_dang_gui() -> None:
    proposal = propose(runner(onset_days=90, medications=["warfarin 3mg"]))
    assert DHJST not in offered(proposal)
    assert "INR more than doubled" in withheld(proposal)[DHJST]
    dang_gui = found(proposal, DHJST, "dang_gui_anticoagulant")
    assert dang_gui is not None and dang_gui["severity"] == "avoid"
    ginseng = found(proposal, DHJST, "ren_shen_anticoagulant")
    assert ginseng is not None and ginseng["severity"] == "warning"
    assert SYGCT in offered(proposal)  # no Dang Gui in it


def test_an_anticoagulant_withholds_every_formula_with_blood_moving_herbs() -> None:
    proposal = propose(chronic_sciatica(medications=["apixaban"]))
    assert STZYT not in offered(proposal)
    assert "blood_moving_anticoagulant" in withheld_by(proposal, STZYT)
    assert "Táo Rén" in withheld(proposal)[STZYT]  # the message names the formula's herbs


def test_an_antiplatelet_warns_for_du_huo_ji_sheng_tang_but_does_not_withhold() -> None:
    proposal = propose(runner(onset_days=90, medications=["clopidogrel 75mg"]))
    assert DHJST in offered(proposal)
    for rule in ("dang_gui_antiplatelet", "blood_moving_with_bleeding_medicine"):
        hit = warning(proposal, DHJST, rule)
        assert hit is not None and hit["severity"] == "warning", rule


@pytest.mark.parametrize("medicine", ["aspirin 75mg", "naproxen 500mg", "sertraline 50mg"])
def test_a_strongly_blood_moving_formula_is_withheld_with_one_bleeding_medicine(
    medicine: str,
) -> None:
    proposal = propose(chronic_sciatica(medications=[medicine]))
    assert STZYT not in offered(proposal)
    assert "blood_moving_strong_with_bleeding_medicine" in withheld_by(proposal, STZYT)


def test_it_withholds_blood_moving_formulas_on_aspirin_and_naproxen() -> None:
    """Issue 11: blood-moving formulas offered with aspirin and naproxen."""
    sciatica = propose(chronic_sciatica(medications=["aspirin 75mg", "naproxen 500mg bd"]))
    back = propose(runner(onset_days=90, medications=["aspirin 75mg", "naproxen 500mg bd"]))
    assert STZYT not in offered(sciatica)
    assert DHJST not in offered(back)
    assert "blood_moving_two_bleeding_medicines" in withheld_by(back, DHJST)
    assert SYGCT in offered(back)  # no blood-moving herb in it


def test_pregnancy_withholds_every_formula_with_blood_moving_herbs_or_licorice() -> None:
    proposal = propose(runner(onset_days=90, sex="female", pregnant=True))
    assert offered(proposal) == set()
    assert "blood_moving_pregnancy" in withheld_by(proposal, DHJST)
    assert "Niú Xī" in withheld(proposal)[DHJST]
    assert "gan_cao_pregnancy" in withheld_by(proposal, SYGCT)
    sciatica = propose(chronic_sciatica(sex="female", pregnant=True))
    assert "blood_moving_pregnancy" in withheld_by(sciatica, STZYT)


def test_every_blood_moving_herb_is_in_the_group_the_pregnancy_rule_reads() -> None:
    catalogue = load_catalogue()
    group = next(g for g in catalogue.groups if g.id == "blood_moving")
    for herb in ("hong_hua", "tao_ren", "chuan_xiong", "di_long", "dang_gui", "niu_xi", "mo_yao"):
        assert herb in group.strengths, herb
    assert any(
        r.id == "blood_moving_pregnancy" and r.severity == "avoid" for r in group.interactions
    )


def test_unrecorded_pregnancy_in_a_woman_asks_rather_than_withholds() -> None:
    proposal = propose(runner(onset_days=90, sex="female", pregnant=None))
    assert DHJST in offered(proposal)
    ask = warning(proposal, DHJST, "blood_moving_pregnancy")
    assert ask is not None
    assert ask["status"] == "not_recorded" and ask["severity"] == "warning"
    assert "pregnant" in ask["message"]


def test_a_man_gets_no_pregnancy_warning() -> None:
    proposal = propose(runner(onset_days=90, sex="male", pregnant=None))
    assert not [w for w in proposal["warnings"] if w["id"].endswith("_pregnancy")]


@pytest.mark.parametrize(
    "patient",
    [
        {},
        {"age": 75},
        {"sex": "female", "pregnant": None},
        {"medications": ["clopidogrel"], "conditions": ["hypertension"]},
    ],
)
def test_xi_xin_always_warns_when_du_huo_ji_sheng_tang_is_offered(patient: dict[str, Any]) -> None:
    proposal = propose(runner(onset_days=90, **patient))
    entry = next(o for o in proposal["offered"] if o["formula"] == DHJST)
    ids = {w["id"] for w in entry["interactions_found"]}
    assert "xi_xin_aristolochic_acid" in ids
    hit = warning(proposal, DHJST, "xi_xin_aristolochic_acid")
    assert hit is not None and "aristolochic acid" in hit["message"]


def test_kidney_disease_withholds_the_formula_with_xi_xin() -> None:
    proposal = propose(runner(onset_days=90, conditions=["kidney_disease"]))
    assert "aristolochic acid" in withheld(proposal)[DHJST]


def test_the_age_rule_asks_when_age_is_not_recorded() -> None:
    proposal = propose(runner(onset_days=90, age=None))
    ask = warning(proposal, SYGCT, "gan_cao_older_age")
    assert ask is not None and ask["status"] == "not_recorded"
    assert warning(propose(runner(onset_days=90, age=45)), SYGCT, "gan_cao_older_age") is None


# ----------------------------------------------------------------------- doses and warnings


def test_it_adds_up_licorice_across_formulas_and_names_the_total() -> None:
    """Issue 11: two formulas gave 12 g licorice a day while each said 6 g."""
    proposal = propose(runner(onset_days=90))
    assert {DHJST, SYGCT} <= offered(proposal)
    total = next(
        w
        for w in proposal["warnings"]
        if w["id"] == "daily_dose_over_limit" and w["herb"] == "Gān Cǎo"
    )
    assert "12 g a day" in total["message"] and "10 g" in total["message"]
    assert set(total["formulas"]) == {DHJST, SYGCT}
    dose = warning(proposal, SYGCT, "gan_cao_dose")
    assert dose is not None and "= 12 g a day" in dose["message"]


def test_one_formula_within_the_limits_gets_no_dose_total_warning() -> None:
    proposal = propose(runner(onset_days=90, trigger_points=[]))
    assert offered(proposal) == {DHJST}
    assert not [w for w in proposal["warnings"] if w["id"] == "daily_dose_over_limit"]
    dose = warning(proposal, DHJST, "gan_cao_dose")
    assert dose is not None and "Typical dose in this formula: 6 g a day." in dose["message"]


def test_honey_fried_licorice_counts_as_licorice() -> None:
    catalogue = load_catalogue()
    sygct = next(f for f in catalogue.formulas if f.id == SYGCT)
    assert sygct.doses()["gan_cao"] == 6
    assert catalogue.herbs["zhi_gan_cao"].max_daily_g == catalogue.herbs["gan_cao"].max_daily_g


def test_no_warning_speaks_of_a_formula_that_was_not_offered() -> None:
    """Issue 11: warnings were printed for withheld formulas."""
    proposal = propose(runner(onset_days=90, medications=["warfarin 3mg"]))
    assert DHJST in withheld(proposal)
    assert proposal["warnings"]
    assert all(DHJST not in w["formulas"] for w in proposal["warnings"])


def test_no_warning_is_printed_twice() -> None:
    proposal = propose(runner(onset_days=90, medications=["furosemide"]))
    keys = [(w["id"], w["herb"]) for w in proposal["warnings"]]
    assert len(keys) == len(set(keys))
    assert len([w for w in proposal["warnings"] if w["id"] == "xi_xin_aristolochic_acid"]) == 1


# Every rule in herbs.toml with a patient that triggers it: (rule, formula, case, severity).
RULE_EXAMPLES: list[tuple[str, str, Any, str]] = [
    ("xi_xin_aristolochic_acid", DHJST, lambda: runner(), "warning"),
    ("xi_xin_kidney_disease", DHJST, lambda: runner(conditions=["kidney_disease"]), "avoid"),
    ("rou_gui_pregnancy", DHJST, lambda: runner(sex="female", pregnant=True), "avoid"),
    ("ren_shen_anticoagulant", DHJST, lambda: runner(medications=["apixaban"]), "warning"),
    ("dang_gui_anticoagulant", DHJST, lambda: runner(medications=["warfarin"]), "avoid"),
    ("dang_gui_antiplatelet", DHJST, lambda: runner(medications=["aspirin 75mg"]), "warning"),
    ("gan_cao_dose", SYGCT, lambda: runner(), "warning"),
    ("gan_cao_diuretic", SYGCT, lambda: runner(medications=["bendroflumethiazide"]), "warning"),
    ("gan_cao_corticosteroid", SYGCT, lambda: runner(medications=["prednisolone"]), "warning"),
    (
        "gan_cao_mineralocorticoid",
        SYGCT,
        lambda: runner(medications=["fludrocortisone"]),
        "warning",
    ),
    ("gan_cao_hypertension", SYGCT, lambda: runner(conditions=["hypertension"]), "warning"),
    ("gan_cao_hypertension", SYGCT, lambda: runner(medications=["amlodipine"]), "warning"),
    ("gan_cao_hypokalaemia", SYGCT, lambda: runner(conditions=["hypokalaemia"]), "avoid"),
    ("gan_cao_older_age", SYGCT, lambda: runner(age=68), "warning"),
    (
        "gan_cao_older_age_blood_pressure",
        SYGCT,
        lambda: runner(age=68, medications=["furosemide", "ramipril"]),
        "avoid",
    ),
    ("gan_cao_antiarrhythmic", SYGCT, lambda: runner(medications=["digoxin"]), "warning"),
    ("gan_cao_pregnancy", SYGCT, lambda: runner(sex="female", pregnant=True), "avoid"),
    ("blood_moving_pregnancy", DHJST, lambda: runner(sex="female", pregnant=True), "avoid"),
    (
        "blood_moving_pregnancy",
        STZYT,
        lambda: chronic_sciatica(sex="female", pregnant=True),
        "avoid",
    ),
    ("blood_moving_anticoagulant", DHJST, lambda: runner(medications=["rivaroxaban"]), "avoid"),
    (
        "blood_moving_bleeding_disorder",
        DHJST,
        lambda: runner(conditions=["bleeding_disorder"]),
        "avoid",
    ),
    (
        "blood_moving_strong_with_bleeding_medicine",
        STZYT,
        lambda: chronic_sciatica(medications=["ibuprofen"]),
        "avoid",
    ),
    (
        "blood_moving_with_bleeding_medicine",
        DHJST,
        lambda: runner(medications=["venlafaxine"]),
        "warning",
    ),
    (
        "blood_moving_two_bleeding_medicines",
        DHJST,
        lambda: runner(medications=["sertraline", "ibuprofen"]),
        "avoid",
    ),
    (
        "shen_tong_bleeding_disorder",
        STZYT,
        lambda: chronic_sciatica(conditions=["bleeding_disorder"]),
        "avoid",
    ),
]


@pytest.mark.parametrize(("rule", "formula", "make", "severity"), RULE_EXAMPLES)
def test_each_rule_fires_on_its_example(rule: str, formula: str, make: Any, severity: str) -> None:
    proposal = propose(make())
    hit = found(proposal, formula, rule)
    assert hit is not None
    assert hit["severity"] == severity and hit["status"] == "applies"
    assert hit["source"]
    entry = next(
        e for e in [*proposal["offered"], *proposal["withheld"]] if e["formula"] == formula
    )
    others_avoid = any(w["severity"] == "avoid" for w in entry["interactions_found"])
    if severity == "avoid" or others_avoid:  # pregnancy also withholds for licorice, etc.
        assert formula in withheld(proposal) and formula not in offered(proposal)
        assert rule in withheld_by(proposal, formula) or severity == "warning"
    else:
        assert formula in offered(proposal)
        assert warning(proposal, formula, rule) is not None


def test_every_rule_in_the_catalogue_has_an_example() -> None:
    catalogue = load_catalogue()
    rules = {r.id for f in catalogue.formulas for r, _ in f.rules()}
    assert rules == {example[0] for example in RULE_EXAMPLES}


def test_every_gate_and_total_rule_names_its_hazards() -> None:
    catalogue = load_catalogue()
    hazards = {g.id: g.hazards for g in catalogue.gates}
    assert "HZ-10" in hazards["herbs_withheld_under_18"]
    assert "HZ-02" in hazards["herbs_withheld_under_red_flag"]
    assert catalogue.dose_rule is not None and "HZ-12" in catalogue.dose_rule.hazards


# ----------------------------------------------------------------------- properties

MEDICINES = [
    "warfarin",
    "apixaban",
    "aspirin 75mg",
    "clopidogrel",
    "naproxen",
    "ibuprofen",
    "sertraline",
    "furosemide",
    "ramipril",
    "prednisolone",
    "digoxin",
    "paracetamol",
]
CONDITIONS = ["hypertension", "kidney_disease", "hypokalaemia", "bleeding_disorder", "diabetes"]
FLAG = {"id": "spinal_infection", "name": "Spinal infection", "urgency": "urgent"}


@st.composite
def patients(draw: st.DrawFn) -> tuple[Case, list[dict[str, Any]]]:
    """A runner or a chronic sciatica with a drawn patient, and maybe a red flag."""
    sex = draw(st.sampled_from(["male", "female", "unknown"]))
    patient: dict[str, Any] = {
        "age": draw(st.one_of(st.none(), st.integers(min_value=8, max_value=95))),
        "sex": sex,
        "pregnant": draw(st.sampled_from([None, True, False])) if sex == "female" else False,
        "medications": draw(st.lists(st.sampled_from(MEDICINES), max_size=3, unique=True)),
        "conditions": draw(st.lists(st.sampled_from(CONDITIONS), max_size=2, unique=True)),
    }
    if draw(st.booleans()):
        onset = draw(st.sampled_from([None, 10, 30, 60, 200]))
        trigger = draw(st.sampled_from([None, [], ["hamstrings_left"], ["gastrocnemius_right"]]))
        case = runner(onset_days=onset, trigger_points=trigger, **patient)
    else:
        case = chronic_sciatica(**patient)
    flags = [FLAG] if draw(st.integers(min_value=0, max_value=4)) == 0 else []
    return case, flags


def _propose(drawn: tuple[Case, list[dict[str, Any]]]) -> HerbProposal:
    case, flags = drawn
    return propose_herbs(case, assess(case)["differential"], red_flags=flags)


@settings(max_examples=80, deadline=None)
@given(patients())
def test_property_a_red_flag_or_a_minor_means_no_formula(
    drawn: tuple[Case, list[dict[str, Any]]],
) -> None:
    case, flags = drawn
    proposal = _propose(drawn)
    age = case.patient.get("age")
    if flags or (age is not None and age < 18):
        assert proposal["offered"] == []
        assert proposal["warnings"] == []


@settings(max_examples=80, deadline=None)
@given(patients())
def test_property_summed_doses_over_the_limit_always_warn_with_the_total(
    drawn: tuple[Case, list[dict[str, Any]]],
) -> None:
    proposal = _propose(drawn)
    catalogue = load_catalogue()
    totals: dict[str, float] = {}
    for entry in proposal["offered"]:
        for ingredient in entry["ingredients"]:
            drug = catalogue.herbs[ingredient["herb"]].drug
            totals[drug] = totals.get(drug, 0.0) + ingredient["dose_g"]
    for drug, total in totals.items():
        herb = catalogue.herbs[drug]
        if total > herb.max_daily_g:
            hits = [
                w
                for w in proposal["warnings"]
                if w["id"] == "daily_dose_over_limit" and w["herb"] == herb.pinyin
            ]
            assert len(hits) == 1, drug
            assert f"{total:g} g a day" in hits[0]["message"]


@settings(max_examples=80, deadline=None)
@given(patients())
def test_property_warnings_name_only_offered_formulas_and_never_repeat(
    drawn: tuple[Case, list[dict[str, Any]]],
) -> None:
    proposal = _propose(drawn)
    shown = offered(proposal)
    for item in proposal["warnings"]:
        assert item["formulas"] and set(item["formulas"]) <= shown
        assert item["formula"] in item["formulas"]
    keys = [(w["id"], w["herb"]) for w in proposal["warnings"]]
    assert len(keys) == len(set(keys))


# ----------------------------------------------------------------------- the catalogue


def test_the_catalogue_holds_the_two_required_formulas_as_cited() -> None:
    catalogue = load_catalogue()
    formulas = {f.id: f for f in catalogue.formulas}
    assert "Qian Jin" in formulas[DHJST].classical_source
    sygct = formulas[SYGCT]
    assert "clause 29" in sygct.classical_source
    assert [i.herb.id for i in sygct.ingredients] == ["bai_shao", "zhi_gan_cao"]
    assert sygct.ingredients[0].dose_g == sygct.ingredients[1].dose_g  # 1:1
    for formula in catalogue.formulas:
        assert formula.source and all(c.source for c in formula.cautions), formula.id
        for ingredient in formula.ingredients:
            assert ingredient.herb.latin and ingredient.herb.characters, ingredient.herb.id


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = (DATA_DIR / "herbs.toml").read_text()
    assert old in text, old
    path = tmp_path / "herbs.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "entry", "problem"),
    [
        (
            'herb = "dang_gui"\ndose_g',
            'herb = "dang_qui"\ndose_g',
            "du_huo_ji_sheng_tang",
            "not in the [[herb]]",
        ),
        (
            'when = "medications has diuretic"',
            'when = "medications has water_pill"',
            "gan_cao_diuretic",
            "'water_pill' is not a value of 'medications'",
        ),
        ('severity = "avoid"', 'severity = "never"', "xi_xin_kidney_disease", "expected one of"),
        ("max_daily_g = 10\n", "", "du_huo", "missing key 'max_daily_g'"),
        ('strength = "strong"', 'strength = "mighty"', "blood_moving", "expected one of"),
        ('when = "age < 18"', "", "herbs_withheld_under_18", "either 'on_red_flag"),
        ("medicines_at_least = 2\n", "", "blood_moving_two_bleeding_medicines", "go together"),
        ('pinyin = "Dú Huó Jì Shēng Tāng"', 'pinyin = "Du Huo Ji Sheng Tang"', "du_huo", "tone"),
        (
            'leads = ["hamstring_strain"]',
            'leads = ["hamstring_pull"]',
            "shao_yao",
            "hamstring_pull",
        ),
        ("dose_g = 9\n", "dose_g = -9\n", "du_huo_ji_sheng_tang", "positive"),
        ("always = true\n", "", "xi_xin_aristolochic_acid", "either 'when'"),
        (
            'source = "Ota 2020, PMC7260166"',
            "",
            "shao_yao_gan_cao_tang",
            "needs a 'source'",
        ),
        ("[meta]", "[meta\n", "file", "not valid TOML"),
    ],
)
def test_a_malformed_catalogue_fails_naming_file_entry_and_problem(
    tmp_path: Path, old: str, new: str, entry: str, problem: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(KnowledgeError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert message.startswith("herbs.toml: ")
    assert entry in message and problem in message
