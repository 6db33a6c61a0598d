"""Issue 11: an honest differential. Study populations, back-pain labels, age-appropriate
evidence, grouped signs, estimates shown, the fit of the picture and next tests that separate.

Hazards: HZ-15 (a back-pain label without back pain), HZ-16 (norms outside their population),
HZ-17 (a predictive value used as an LR; one finding counted twice), HZ-18 (estimates shown as
measured), HZ-19 (next tests that do not separate the leaders), HZ-26 (a picture that fits none).
"""

from __future__ import annotations

import math

import pytest

from tests.conftest import assess_findings, probability
from weizhong.knowledge import Knowledge
from weizhong.report import render_assessment


def _entry(result: dict, condition: str) -> dict:
    return next(e for e in result["differential"] if e["condition"] == condition)


def _item(result: dict, condition: str, evidence: str) -> dict:
    return next(b for b in _entry(result, condition)["because"] if b.get("evidence") == evidence)


SPRINTER_WITHOUT_BACK_PAIN = {
    "pain_regions": ["posterior_thigh_left"],
    "ake_left_deg": 50,
    "ake_right_deg": 48,
    "runner": True,
    "sitting_hours_per_day": 8,
    "pain_worse_flexion": True,
}


# ------------------------------------------------------------- HZ-15 back-pain labels


def test_it_never_leads_with_back_pain_driven_by_hamstrings_when_no_back_pain_is_charted() -> None:
    result = assess_findings(SPRINTER_WITHOUT_BACK_PAIN, {"age": 20, "sex": "male"})
    assert result["differential"][0]["condition"] not in (
        "hamstring_tightness",
        "hip_flexor_tightness",
        "nonspecific_low_back_pain",
    )
    entry = _entry(result, "hamstring_tightness")
    assert entry["probability"] <= 0.01
    assert entry["cap"]["rule"] == "label_claims_back_pain"
    assert entry["cap"]["uncapped"] > 0.5  # the length findings are still shown, not hidden
    assert "back pain" in entry["summary"]


def test_the_back_pain_cap_needs_a_charted_body_chart_and_lifts_with_back_pain() -> None:
    with_back = assess_findings(
        {**SPRINTER_WITHOUT_BACK_PAIN, "pain_regions": ["low_back", "posterior_thigh_left"]},
        {"age": 20, "sex": "male"},
    )
    assert _entry(with_back, "hamstring_tightness")["cap"] is None
    assert with_back["differential"][0]["condition"] == "hamstring_tightness"
    not_charted = {k: v for k, v in SPRINTER_WITHOUT_BACK_PAIN.items() if k != "pain_regions"}
    assert _entry(assess_findings(not_charted, {"age": 20}), "hamstring_tightness")["cap"] is None


def test_sacroiliac_pain_and_stenosis_do_not_claim_back_pain(knowledge: Knowledge) -> None:
    claims = {c.id for c in knowledge.conditions if c.requires_pain is not None}
    assert claims == {"hamstring_tightness", "hip_flexor_tightness", "nonspecific_low_back_pain"}


# ------------------------------------------------------------- HZ-16 populations and age


def test_every_evidence_entry_names_its_study_population(knowledge: Knowledge) -> None:
    for evidence in knowledge.evidence:
        population = evidence.population
        assert population.setting.strip(), evidence.id
        assert population.age_min is not None and population.age_max is not None, evidence.id
        assert 0 <= population.age_min < population.age_max <= 120, evidence.id


def test_the_ake_cut_offs_come_from_young_adults(knowledge: Knowledge) -> None:
    ake = [e for e in knowledge.evidence if e.id.startswith("hams_ake_") and "any_sex" not in e.id]
    assert ake
    for evidence in ake:
        assert (evidence.population.age_min, evidence.population.age_max) == (18, 24)


def test_a_reading_outside_the_study_population_is_marked_and_counted_at_reduced_weight(
    knowledge: Knowledge,
) -> None:
    old = assess_findings(
        {"pain_regions": ["low_back"], "ake_left_deg": 40}, {"age": 70, "sex": "male"}
    )
    young = assess_findings(
        {"pain_regions": ["low_back"], "ake_left_deg": 40}, {"age": 21, "sex": "male"}
    )
    at_70 = _item(old, "hamstring_tightness", "hams_ake_male")
    at_21 = _item(young, "hamstring_tightness", "hams_ake_male")
    weight = knowledge.outside_population.weight
    assert 0 < weight < 1
    assert at_70["outside_population"] is True
    assert "outside the study population" in at_70["text"]
    assert math.isclose(at_70["likelihood_ratio"], round(4.0**weight, 3))
    assert at_21["outside_population"] is False
    assert "outside the study population" not in at_21["text"]
    assert at_21["likelihood_ratio"] == 4.0
    assert probability(old, "hamstring_tightness") < probability(young, "hamstring_tightness")


def test_stenosis_counts_age_from_sixty_five_inclusive() -> None:
    result = assess_findings({"neurogenic_claudication": True}, {"age": 65})
    assert _item(result, "lumbar_spinal_stenosis", "lss_age_over_65")["present"] is True


def test_pain_on_bending_forward_does_not_count_against_stenosis() -> None:
    base = {"neurogenic_claudication": True, "pain_regions": ["low_back", "buttock_left"]}
    without = assess_findings(base, {"age": 72})
    with_flexion_pain = assess_findings({**base, "pain_worse_flexion": True}, {"age": 72})
    assert probability(with_flexion_pain, "lumbar_spinal_stenosis") == probability(
        without, "lumbar_spinal_stenosis"
    )


ADOLESCENT_DISC = {
    "pain_regions": ["low_back"],
    "ake_left_deg": 50,
    "ake_right_deg": 48,
    "slr_left_deg": 35,
    "slr_left_response": "posterior_thigh_stretch",
    "slr_left_sensitised": False,
    "slr_right_deg": 40,
    "slr_right_response": "back_pain",
}


def test_an_adolescent_with_tight_hamstrings_is_not_called_hamstring_tightness() -> None:
    teen = assess_findings(ADOLESCENT_DISC, {"age": 13, "sex": "male"})
    adult = assess_findings(ADOLESCENT_DISC, {"age": 30, "sex": "male"})
    assert adult["differential"][0]["condition"] == "hamstring_tightness"
    assert teen["differential"][0]["condition"] != "hamstring_tightness"
    assert probability(teen, "lumbar_radiculopathy") > probability(adult, "lumbar_radiculopathy")
    assert teen["fit"]["status"] == "poor"
    assert teen["fit"]["rule"] == "fit_outside_prior_population"
    assert "disc" in teen["fit"]["why"]


# ------------------------------------------------------------- HZ-17 double counting, PPV


def test_nerve_tension_signs_count_for_sciatic_nerve_entrapment_once() -> None:
    base = {"pain_regions": ["buttock_left", "posterior_thigh_left"]}
    nothing = probability(assess_findings(base), "sciatic_nerve_entrapment")
    slump = probability(assess_findings({**base, "slump": "positive"}), "sciatic_nerve_entrapment")
    both = probability(
        assess_findings(
            {
                **base,
                "slump": "positive",
                "slr_left_response": "buttock_pain",
                "slr_left_sensitised": True,
            }
        ),
        "sciatic_nerve_entrapment",
    )
    assert slump > nothing
    singles = [
        probability(assess_findings({**base, **extra}), "sciatic_nerve_entrapment")
        for extra in (
            {"slump": "positive"},
            {"slr_left_response": "buttock_pain"},
            {"slr_left_response": "buttock_pain", "slr_left_sensitised": True},
        )
    ]
    assert both == pytest.approx(max(singles), abs=1e-4)


def test_sprint_onset_counts_with_the_likelihood_ratio_from_verralls_counts() -> None:
    result = assess_findings({"sudden_onset_during_sprint": True}, {"age": 22})
    item = _item(result, "hamstring_strain", "strain_sudden_onset")
    # 57 of 68 MRI-confirmed strains and 2 of 15 MRI-negative injuries: LR+ about 6.3, not 20.
    assert item["likelihood_ratio"] == pytest.approx((57 / 68) / (2 / 15), rel=0.02)
    assert item["estimate"] is False


def test_ischial_tenderness_and_the_bent_knee_test_are_counted_once() -> None:
    one = probability(
        assess_findings({"modified_bent_knee_stretch_left": True}),
        "proximal_hamstring_tendinopathy",
    )
    both = probability(
        assess_findings(
            {"modified_bent_knee_stretch_left": True, "ischial_tuberosity_tender_left": True}
        ),
        "proximal_hamstring_tendinopathy",
    )
    assert both == one


# ------------------------------------------------------------- HZ-18 estimates shown


def test_each_entry_says_how_much_rests_on_estimates() -> None:
    published_only = assess_findings({"slump": "positive"}, {"age": 40})
    assert _entry(published_only, "lumbar_radiculopathy")["estimate_share"] == 0.0
    estimates_only = assess_findings({"paresthesia": True}, {"age": 40})
    assert _entry(estimates_only, "lumbar_radiculopathy")["estimate_share"] == 1.0
    mixed = assess_findings({"slump": "positive", "paresthesia": True}, {"age": 40})
    share = _entry(mixed, "lumbar_radiculopathy")["estimate_share"]
    assert 0.0 < share < 1.0
    for entry in mixed["differential"]:
        assert 0.0 <= entry["estimate_share"] <= 1.0
        for item in entry["because"]:
            if "evidence" in item:
                assert isinstance(item["estimate"], bool)


def test_the_text_report_marks_estimates_and_shows_the_share() -> None:
    result = assess_findings({"slump": "positive", "paresthesia": True}, {"age": 40})
    text = render_assessment(result)
    assert "(estimate)" in text
    share = _entry(result, "lumbar_radiculopathy")["estimate_share"]
    assert f"{share:.0%} of this movement rests on expert estimates" in text


def test_at_least_the_current_share_of_entries_cites_published_figures(
    knowledge: Knowledge,
) -> None:
    published = sum(1 for e in knowledge.evidence if not e.citation.estimate)
    assert published / len(knowledge.evidence) >= 0.23  # a floor: it may rise, never fall


@pytest.mark.xfail(
    strict=True,
    reason="issue 11 target: half of all entries with published figures; not reached yet "
    "(see the report); strict, so this fails once the target is met and must be un-marked",
)
def test_at_least_half_of_the_entries_cite_published_figures(knowledge: Knowledge) -> None:
    published = sum(1 for e in knowledge.evidence if not e.citation.estimate)
    assert published / len(knowledge.evidence) >= 0.5


# ------------------------------------------------------------- HZ-26 fit


def test_the_fit_comes_after_the_red_flag_screen_and_the_first_keys_keep_their_order() -> None:
    keys = list(assess_findings({}))
    assert keys[:6] == [
        "format",
        "case_id",
        "knowledge_version",
        "red_flags",
        "red_flag_screen",
        "fit",
    ]


@pytest.mark.parametrize(
    ("findings", "rule"),
    [
        ({"pain_regions": ["calf_left"]}, "fit_regions_unexplained"),
        ({"pain_regions": ["anterior_thigh_left"], "paresthesia": True}, "fit_nothing_stands_out"),
        (
            {"pain_regions": ["low_back", "calf_left"], "calf_swelling_left": True},
            "fit_possible_dvt",
        ),
        (
            {"pain_regions": ["low_back"], "vascular_claudication": True},
            "fit_possible_arterial_disease",
        ),
        (SPRINTER_WITHOUT_BACK_PAIN, "fit_nothing_stands_out"),
    ],
    ids=["calf_only", "front_of_thigh_numbness", "calf_swelling", "vascular", "no_back_pain"],
)
def test_it_says_when_the_picture_fits_none_of_the_modelled_conditions(
    findings: dict, rule: str
) -> None:
    fit = assess_findings(findings, {"age": 50, "sex": "male"})["fit"]
    assert fit == {"status": "poor", "rule": rule, "why": fit["why"]}
    assert fit["why"]


@pytest.mark.parametrize(
    "findings",
    [
        {"pain_regions": ["low_back"]},
        {
            "pain_regions": ["low_back", "calf_left"],
            "slump": "positive",
            "dermatome_sensory_loss": ["S1_left"],
            "myotome_weakness": ["S1_left"],
        },
    ],
    ids=["plain_back_pain", "radicular"],
)
def test_a_modelled_picture_fits_well(findings: dict) -> None:
    assert assess_findings(findings, {"age": 45})["fit"]["status"] == "good"


def test_the_report_warns_of_a_poor_fit() -> None:
    text = render_assessment(assess_findings({"pain_regions": ["calf_left"]}, {"age": 50}))
    assert "POOR FIT" in text
