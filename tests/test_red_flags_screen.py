"""Issue 11 (clinical safety case): red-flag questions are never truncated, ordered emergency-first,
re-screened on re-evaluation; the screen's state opens every output; clean cases stay quiet.

Hazards: HZ-01 cauda equina missed · HZ-04 questions dropped · HZ-10 adolescents · HZ-19 next
tests during an emergency · HZ-21 re-evaluation without re-screening · HZ-22 clinician wording
shown to patients · HZ-27 alarm fatigue.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import assess_findings
from weizhong.case import validate_case
from weizhong.knowledge import Knowledge
from weizhong.knowledge.loader import DATA_DIR, KnowledgeError, load_knowledge
from weizhong.knowledge.records import URGENCIES
from weizhong.reasoning.assessment import assess
from weizhong.report import render_assessment

VIGNETTES = Path(__file__).parent / "vignettes"
CARDINAL = ["saddle_anaesthesia", "bladder_dysfunction", "bowel_dysfunction", "sexual_dysfunction"]


def _questions(result: dict[str, Any]) -> list[str]:
    return [t["finding"] for t in result["next_tests"] if t["kind"] == "red_flag_screen"]


# ------------------------------------------------------------------ HZ-04 never truncated


def test_it_asks_a_74_year_old_smoker_about_a_pulsatile_mass() -> None:
    """Issue 11: fracture questions come first in the file and `questions[:3]` cut the mass."""
    result = assess_findings(
        {"onset_days": 10, "pain_regions": ["low_back"], "smoker": True}, {"age": 74, "sex": "male"}
    )
    asked = _questions(result)
    assert "pulsatile_abdominal_mass" in asked
    assert len(asked) > 3  # fracture, cancer and arterial questions are all there too
    assert {"minor_trauma", "unexplained_weight_loss", "foot_pulses_left"} <= set(asked)
    # an emergency-level question comes before the questions of urgent flags
    assert asked.index("pulsatile_abdominal_mass") < asked.index("minor_trauma")


def test_questions_are_ordered_emergency_first_and_asked_once(knowledge: Knowledge) -> None:
    result = assess_findings(
        {
            "onset_days": 21,
            "pain_regions": ["low_back", "calf_left"],
            "paresthesia": True,
            "smoker": True,
            "weeks_of_care_without_improvement": 6,
        },
        {"age": 71, "conditions": ["osteoporosis"]},
    )
    questions = [t for t in result["next_tests"] if t["kind"] == "red_flag_screen"]
    asked = [q["finding"] for q in questions]
    assert len(asked) == len(set(asked))
    ranks = [URGENCIES.index(q["urgency"]) if q["urgency"] else len(URGENCIES) for q in questions]
    assert ranks == sorted(ranks)
    assert asked.index("saddle_anaesthesia") < asked.index("unexplained_weight_loss")
    assert questions[0]["urgency"] == "emergency"


def test_a_raised_flag_asks_what_would_make_it_more_urgent() -> None:
    """One calf sign is urgent; a risk factor or the other sign would make it an emergency."""
    result = assess_findings({"calf_tender_left": True}, {"age": 40})
    assert [f["urgency"] for f in result["red_flags"]] == ["urgent"]
    asked = _questions(result)
    assert {"calf_swelling_left", "recent_immobilisation"} <= set(asked)


def test_an_examined_answer_is_never_asked_again() -> None:
    result = assess_findings(
        {"bilateral_leg_neuro_symptoms": True, **dict.fromkeys(CARDINAL, False)}, {"age": 50}
    )
    assert not set(CARDINAL) & set(_questions(result))


# ------------------------------------------------------------------- HZ-01 cauda equina


def test_it_raises_cauda_equina_at_three_weeks_with_both_ankle_reflexes_reduced() -> None:
    """Issue 11: symptoms in both legs, both ankle reflexes reduced, three weeks, saddle, bladder
    and bowel never asked: the old rule only fired within 14 days. Bilateral symptoms with
    bilateral signs are suspected cauda equina whatever the duration (GIRFT): send today, and
    ask the cardinal questions first."""
    result = assess_findings(
        {
            "onset_days": 21,
            "pain_regions": ["low_back", "posterior_thigh_left", "calf_left", "calf_right"],
            "paresthesia": True,
            "achilles_reflex_left": "reduced",
            "achilles_reflex_right": "reduced",
        },
        {"age": 47},
    )
    (flag,) = [f for f in result["red_flags"] if f["id"] == "cauda_equina_syndrome"]
    assert flag["urgency"] == "emergency"
    assert "ces_bilateral_symptoms_and_signs_screen_open" in flag["rules"]
    assert _questions(result)[:4] == CARDINAL  # the cardinal questions lead
    assert {t["kind"] for t in result["next_tests"]} == {"red_flag_screen"}
    screen = result["red_flag_screen"]
    assert screen["cauda_equina_unscreened"] is True
    assert "cauda equina" in screen["summary"]


def test_reflexes_lost_in_both_legs_with_one_sided_pain_mean_ask_today() -> None:
    result = assess_findings(
        {
            "onset_days": 60,
            "pain_regions": ["low_back", "calf_left"],
            "achilles_reflex_left": "reduced",
            "achilles_reflex_right": "absent",
        },
        {"age": 58},
    )
    (flag,) = [f for f in result["red_flags"] if f["id"] == "cauda_equina_syndrome"]
    assert (flag["urgency"], flag["rules"]) == ("urgent", ["ces_bilateral_reflex_loss_screen_open"])
    assert "ask today" in flag["action"]
    assert _questions(result)[:4] == CARDINAL


def test_cauda_equina_becomes_an_emergency_once_a_cardinal_feature_is_found() -> None:
    findings = {
        "onset_days": 21,
        "pain_regions": ["calf_left", "calf_right"],
        "achilles_reflex_left": "reduced",
        "achilles_reflex_right": "reduced",
        "bladder_dysfunction": True,
    }
    (flag,) = assess_findings(findings)["red_flags"]
    assert (flag["id"], flag["urgency"]) == ("cauda_equina_syndrome", "emergency")


@pytest.mark.parametrize(
    ("findings", "unscreened"),
    [
        ({"pain_regions": ["low_back"]}, False),  # no leg symptom: cauda equina not in play
        ({"pain_regions": ["low_back", "calf_left"]}, True),  # pain below the knee
        ({"pain_regions": ["low_back", "posterior_thigh_right"]}, True),  # leg pain
        ({"paresthesia": True}, True),
        ({"bilateral_sciatica": True}, True),
        ({"patellar_reflex_left": "absent"}, True),
        ({"pain_regions": ["calf_left"], **dict.fromkeys(CARDINAL, False)}, False),
        # three of four answered is not enough: sexual function is a cardinal feature too
        ({"pain_regions": ["calf_left"], **dict.fromkeys(CARDINAL[:3], False)}, True),
    ],
)
def test_cauda_equina_is_unscreened_while_leg_symptoms_leave_a_cardinal_question_open(
    findings: dict[str, Any], unscreened: bool
) -> None:
    assert assess_findings(findings)["red_flag_screen"]["cauda_equina_unscreened"] is unscreened


# ------------------------------------------------------------------- HZ-10 adolescents


def test_it_flags_a_14_year_old_gymnast_with_extension_pain() -> None:
    result = assess_findings(
        {
            "onset_days": 28,
            "pain_regions": ["low_back"],
            "pain_worse_extension": True,
            "ake_left_deg": 38,
            "ake_right_deg": 36,
        },
        {"age": 14, "sex": "female"},
    )
    (flag,) = result["red_flags"]
    assert (flag["id"], flag["urgency"]) == ("spondylolysis", "soon")
    assert set(flag["rules"]) == {
        "spondylolysis_extension_pain_under_20",
        "spondylolysis_tight_hamstrings_under_20",
    }
    assert "manipulation" in flag["action"]


def test_a_teenager_with_back_pain_is_asked_about_extension_pain_not_flagged() -> None:
    result = assess_findings({"onset_days": 5, "pain_regions": ["low_back"]}, {"age": 15})
    assert result["red_flags"] == []
    assert {"pain_worse_extension", "structural_deformity"} <= set(_questions(result))


# ------------------------------------------------------------------- HZ-21 re-evaluation


def test_re_evaluation_without_improvement_re_screens_every_core_question(
    knowledge: Knowledge,
) -> None:
    findings: dict[str, Any] = {"onset_days": 40, "pain_regions": ["low_back"]}
    first = _questions(assess_findings(findings, {"age": 35}))
    again = _questions(
        assess_findings({**findings, "weeks_of_care_without_improvement": 5}, {"age": 35})
    )
    core = set(knowledge.red_flag_screen.core)
    assert not core <= set(first)  # a first visit of a 35-year-old asks only what applies
    assert core <= set(again)


def test_improving_care_does_not_re_screen(knowledge: Knowledge) -> None:
    asked = _questions(
        assess_findings(
            {
                "onset_days": 40,
                "pain_regions": ["low_back"],
                "weeks_of_care_without_improvement": 0,
            },
            {"age": 35},
        )
    )
    assert not set(knowledge.red_flag_screen.core) <= set(asked)


# ------------------------------------------------------------------- HZ-19 emergencies


def test_an_emergency_leaves_only_red_flag_questions_in_next_tests() -> None:
    result = assess_findings(
        {"saddle_anaesthesia": True, "pain_regions": ["low_back", "calf_left"]}, {"age": 40}
    )
    assert result["red_flags"][0]["urgency"] == "emergency"
    assert result["next_tests"]  # still asks what the emergency team needs
    assert {t["kind"] for t in result["next_tests"]} == {"red_flag_screen"}


def test_without_an_emergency_exam_tests_follow_the_questions() -> None:
    result = assess_findings({"pain_regions": ["low_back", "calf_left"]}, {"age": 40})
    kinds = [t["kind"] for t in result["next_tests"]]
    assert "differential" in kinds
    assert kinds == sorted(kinds, key=lambda k: k != "red_flag_screen")  # questions first


# ------------------------------------------------------------------- HZ-27 alarm fatigue


@pytest.mark.parametrize(
    "name",
    [
        "31_alarm_fatigue_age_72_gardener",
        "32_alarm_fatigue_eight_weeks_warehouse",
        "33_alarm_fatigue_smoker_61_no_mass",
        "20_retired_engineer_stenosis_pacemaker",
    ],
)
def test_clean_cases_stay_quiet(name: str) -> None:
    vignette = json.loads((VIGNETTES / f"{name}.json").read_text())
    result = assess(validate_case(vignette["case"]))
    assert result["red_flags"] == []
    assert "no red flag raised" in result["red_flag_screen"]["summary"]


@pytest.mark.parametrize(
    ("findings", "patient"),
    [
        ({"onset_days": 10}, {"age": 81}),  # age alone
        ({"onset_days": 700}, {"age": 40}),  # duration alone
        ({"smoker": True}, {"age": 45}),  # smoking alone
        ({"weeks_of_care_without_improvement": 8}, {"age": 30}),  # no improvement alone
        ({"recent_immobilisation": True}, {"age": 50}),  # a DVT risk factor alone
        ({"vascular_claudication": True}, {"age": 40}),  # claudication without a risk factor
    ],
)
def test_a_single_weak_factor_raises_no_flag(
    findings: dict[str, Any], patient: dict[str, Any]
) -> None:
    assert assess_findings(findings, patient)["red_flags"] == []


# ------------------------------------------------------------------- the screen's state


def test_the_screen_reports_its_state_in_one_sentence(knowledge: Knowledge) -> None:
    answered = dict.fromkeys(knowledge.red_flag_screen.core, False)
    screen = assess_findings({**answered, "pain_regions": ["low_back"]})["red_flag_screen"]
    assert set(screen) == {"complete", "not_asked", "cauda_equina_unscreened", "summary"}
    assert screen == {
        "complete": True,
        "not_asked": [],
        "cauda_equina_unscreened": False,
        "summary": "Red-flag screen complete; no red flag raised.",
    }
    open_screen = assess_findings({"pain_regions": ["low_back"]})["red_flag_screen"]
    assert open_screen["complete"] is False
    assert open_screen["summary"].startswith("Red-flag screen incomplete")
    assert open_screen["summary"].count(".") == 1


def test_the_text_report_opens_with_the_screen_line() -> None:
    result = assess_findings({"pain_regions": ["low_back", "calf_right"]}, {"age": 40})
    first = render_assessment(result).splitlines()[0]
    assert first.startswith("SCREEN:")
    assert result["red_flag_screen"]["summary"] in first


# ------------------------------------------------------------------- HZ-22 patient words


def test_every_flag_has_patient_words_for_each_urgency_it_can_raise(knowledge: Knowledge) -> None:
    for flag in knowledge.red_flags:
        for rule in flag.rules:
            words = flag.patient_action[rule.urgency]
            assert "patient" not in words.lower(), (flag.id, words)
            assert "you" in words.lower(), (flag.id, words)


def test_a_raised_flag_carries_its_patient_action() -> None:
    (flag,) = assess_findings({"pulsatile_abdominal_mass": True}, {"age": 70})["red_flags"]
    assert flag["patient_action"].startswith("Call an ambulance")


def _data_copy(tmp_path: Path, old: str, new: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "red_flags.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return data


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'soon = "Book an appointment with your doctor within the next two weeks to check the '
            "cause",
            'soon = "Send the patient to their doctor to check the cause',
            "must speak to the patient",
        ),
        ('id = "ces_gait_disturbance"', 'id = "ces_progressive_weakness"', "duplicate rule id"),
        ('id = "ces_gait_disturbance"', 'id = "CES gait"', "snake_case"),
        (
            "[red_flag.patient_action]\nsoon = ",
            "[red_flag.patient_action]\nlater = ",
            "needs 'soon'",
        ),
    ],
)
def test_the_loader_refuses_a_malformed_red_flag(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    with pytest.raises(KnowledgeError, match=problem):
        load_knowledge(_data_copy(tmp_path, old, new))


def test_the_menstrual_question_is_asked_only_of_women_who_may_have_periods() -> None:
    def asked(patient: dict[str, object]) -> bool:
        result = assess_findings({"pain_regions": ["low_back"]}, patient)
        return "pain_cyclical_menstrual" in {t["finding"] for t in result["next_tests"]}

    assert asked({"age": 31, "sex": "female"})
    assert not asked({"age": 31, "sex": "female", "pregnant": True})
    assert not asked({"age": 9, "sex": "female"})
    assert not asked({"age": 63, "sex": "female"})
    assert not asked({"age": 31, "sex": "male"})
