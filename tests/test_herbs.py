"""Herbal formulas: offered only when they fit, withheld or warned for this patient, from a
catalogue that refuses to load when malformed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

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


def warning(proposal: HerbProposal, formula: str, rule: str) -> HerbWarning | None:
    return next(
        (w for w in proposal["warnings"] if w["formula"] == formula and w["id"] == rule), None
    )


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
    assert all(w["formula"] != DHJST for w in proposal["warnings"])


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


def test_it_withholds_every_formula_while_a_red_flag_is_raised() -> None:
    case = runner(onset_days=90)
    result = assess(case)
    flag = [{"id": "cauda_equina", "name": "Cauda equina syndrome", "urgency": "emergency"}]
    proposal = propose_herbs(case, result["differential"], red_flags=flag)
    assert proposal["offered"] == []
    assert "Red flag" in withheld(proposal)[DHJST]


# ----------------------------------------------------------------------- interaction rules


def test_a_patient_on_furosemide_gets_the_licorice_warning() -> None:
    proposal = propose(runner(onset_days=90, medications=["furosemide 40 mg od"]))
    for formula in (DHJST, SYGCT):
        found = warning(proposal, formula, "gan_cao_diuretic")
        assert found is not None, formula
        assert found["severity"] == "warning" and found["status"] == "applies"
        assert found["herb"] == "Gān Cǎo"
    assert {DHJST, SYGCT} <= offered(proposal)  # a warning does not withhold


def test_no_licorice_diuretic_warning_without_a_diuretic() -> None:
    assert warning(propose(runner(onset_days=90)), SYGCT, "gan_cao_diuretic") is None


def test_warfarin_withholds_du_huo_ji_sheng_tang_for_dang_gui() -> None:
    proposal = propose(runner(onset_days=90, medications=["warfarin 3mg"]))
    assert DHJST not in offered(proposal)
    assert "INR more than doubled" in withheld(proposal)[DHJST]
    found = warning(proposal, DHJST, "dang_gui_anticoagulant")
    assert found is not None and found["severity"] == "avoid"
    ginseng = warning(proposal, DHJST, "ren_shen_anticoagulant")
    assert ginseng is not None and ginseng["severity"] == "warning"
    assert SYGCT in offered(proposal)  # no Dang Gui in it


def test_an_antiplatelet_warns_for_dang_gui_but_does_not_withhold() -> None:
    proposal = propose(runner(onset_days=90, medications=["clopidogrel 75mg"]))
    assert DHJST in offered(proposal)
    found = warning(proposal, DHJST, "dang_gui_antiplatelet")
    assert found is not None and found["severity"] == "warning"


def test_pregnancy_withholds_du_huo_ji_sheng_tang_and_warns_for_licorice() -> None:
    proposal = propose(runner(onset_days=90, sex="female", pregnant=True))
    assert DHJST in withheld(proposal)
    assert "Niu Xi" in withheld(proposal)[DHJST]
    assert SYGCT in offered(proposal)
    found = warning(proposal, SYGCT, "gan_cao_pregnancy")
    assert found is not None and found["status"] == "applies"


def test_unrecorded_pregnancy_in_a_woman_asks_rather_than_withholds() -> None:
    proposal = propose(runner(onset_days=90, sex="female", pregnant=None))
    assert DHJST in offered(proposal)
    found = warning(proposal, DHJST, "niu_xi_pregnancy")
    assert found is not None
    assert found["status"] == "not_recorded" and found["severity"] == "warning"
    assert "pregnant" in found["message"]


def test_a_man_gets_no_pregnancy_warning() -> None:
    proposal = propose(runner(onset_days=90, sex="male", pregnant=None))
    assert not [w for w in proposal["warnings"] if w["id"].endswith("_pregnancy")]


@pytest.mark.parametrize(
    "patient",
    [
        {},
        {"age": 75, "medications": ["furosemide"]},
        {"sex": "female", "pregnant": None},
        {"medications": ["clopidogrel"], "conditions": ["hypertension"]},
    ],
)
def test_xi_xin_always_warns_when_du_huo_ji_sheng_tang_is_offered(patient: dict[str, Any]) -> None:
    proposal = propose(runner(onset_days=90, **patient))
    entry = next(o for o in proposal["offered"] if o["formula"] == DHJST)
    ids = {w["id"] for w in entry["interactions_found"]}
    assert "xi_xin_aristolochic_acid" in ids
    found = warning(proposal, DHJST, "xi_xin_aristolochic_acid")
    assert found is not None and "aristolochic acid" in found["message"]


def test_kidney_disease_withholds_the_formula_with_xi_xin() -> None:
    proposal = propose(runner(onset_days=90, conditions=["kidney_disease"]))
    assert "aristolochic acid" in withheld(proposal)[DHJST]


def test_the_age_rule_asks_when_age_is_not_recorded() -> None:
    proposal = propose(runner(onset_days=90, age=None))
    found = warning(proposal, SYGCT, "gan_cao_older_age")
    assert found is not None and found["status"] == "not_recorded"
    assert warning(propose(runner(onset_days=90, age=45)), SYGCT, "gan_cao_older_age") is None


# Every rule in herbs.toml with a patient that triggers it: (rule, formula, case, severity).
RULE_EXAMPLES: list[tuple[str, str, Any, str]] = [
    ("xi_xin_aristolochic_acid", DHJST, lambda: runner(), "warning"),
    ("xi_xin_kidney_disease", DHJST, lambda: runner(conditions=["kidney_disease"]), "avoid"),
    ("niu_xi_pregnancy", DHJST, lambda: runner(sex="female", pregnant=True), "avoid"),
    ("chuan_xiong_pregnancy", DHJST, lambda: runner(sex="female", pregnant=True), "warning"),
    ("dang_gui_pregnancy", DHJST, lambda: runner(sex="female", pregnant=True), "warning"),
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
    ("gan_cao_antiarrhythmic", SYGCT, lambda: runner(medications=["digoxin"]), "warning"),
    ("gan_cao_pregnancy", SYGCT, lambda: runner(sex="female", pregnant=True), "warning"),
    ("tao_ren_pregnancy", STZYT, lambda: chronic_sciatica(sex="female", pregnant=True), "avoid"),
    ("hong_hua_pregnancy", STZYT, lambda: chronic_sciatica(sex="female", pregnant=True), "avoid"),
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
    found = warning(proposal, formula, rule)
    assert found is not None
    assert found["severity"] == severity and found["status"] == "applies"
    assert found["source"]
    others_avoid = any(
        w["formula"] == formula and w["severity"] == "avoid" for w in proposal["warnings"]
    )
    if severity == "avoid" or others_avoid:  # pregnancy also withholds for Niu Xi, etc.
        assert formula in withheld(proposal) and formula not in offered(proposal)
    else:
        assert formula in offered(proposal)


def test_every_rule_in_the_catalogue_has_an_example() -> None:
    catalogue = load_catalogue()
    rules = {r.id for f in catalogue.formulas for r, _ in f.rules()}
    assert rules == {example[0] for example in RULE_EXAMPLES}


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
        ('herb = "dang_gui"', 'herb = "dang_qui"', "du_huo_ji_sheng_tang", "not in the [[herb]]"),
        (
            'when = "medications has diuretic"',
            'when = "medications has water_pill"',
            "gan_cao_diuretic",
            "'water_pill' is not a value of 'medications'",
        ),
        ('severity = "avoid"', 'severity = "never"', "niu_xi_pregnancy", "expected one of"),
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
