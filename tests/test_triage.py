"""Triage helpers: the Childs 2004 manipulation rule and the STarT Back risk group."""

from __future__ import annotations

import pytest

from tests.conftest import assess_findings, make_case
from weizhong.case import CaseError

ALL_MET = {
    "onset_days": 10,
    "pain_regions": ["low_back", "buttock_left"],
    "fabq_work": 12,
    "hip_internal_rotation_left_deg": 40,
    "lumbar_hypomobility": True,
}


def test_all_five_criteria_make_the_rule_positive() -> None:
    rule = assess_findings(ALL_MET)["triage"]["manipulation_rule"]
    assert (rule["met"], rule["status"], rule["missing"]) == (5, "positive", [])


def test_four_of_five_is_enough() -> None:
    rule = assess_findings({**ALL_MET, "onset_days": 30})["triage"]["manipulation_rule"]
    assert (rule["met"], rule["status"]) == (4, "positive")


def test_symptoms_below_the_knee_fail_that_criterion() -> None:
    rule = assess_findings({**ALL_MET, "pain_regions": ["calf_left"], "onset_days": 30})["triage"][
        "manipulation_rule"
    ]
    assert (rule["met"], rule["status"]) == (3, "negative")


def test_missing_criteria_leave_the_rule_incomplete_and_are_named() -> None:
    rule = assess_findings(
        {"onset_days": 10, "lumbar_hypomobility": True, "pain_regions": ["low_back"]}
    )["triage"]["manipulation_rule"]
    assert rule["status"] == "incomplete"
    assert rule["missing"] == ["fabq_work_under_19", "hip_internal_rotation_over_35"]


def test_start_back_risk_group_when_answers_are_present() -> None:
    high = assess_findings({"startback_answers": [1, 1, 1, 1, 1, 1, 1, 1, 4]})["triage"][
        "start_back"
    ]
    low = assess_findings({"startback_answers": [1, 0, 0, 0, 0, 0, 0, 0, 1]})["triage"][
        "start_back"
    ]
    assert (high["risk_group"], high["score"], high["psychosocial"]) == ("high", 9, 5)
    assert low["risk_group"] == "low"
    assert assess_findings({})["triage"]["start_back"] is None


def test_invalid_start_back_answers_are_refused_not_guessed() -> None:
    with pytest.raises(CaseError) as info:
        make_case({"startback_answers": [1, 0, 0, 0, 0, 0, 0, 3, 1]})
    (problem,) = info.value.problems
    assert problem.field == "findings.startback_answers"
    assert "item 8" in problem.message


def test_the_rule_reports_the_population_it_was_validated_in() -> None:
    inside = assess_findings(ALL_MET, {"age": 35})["triage"]["manipulation_rule"]
    assert inside["population"]["applies"] is True
    assert inside["population"]["age_range"] == [18, 60]
    outside = assess_findings(
        {**ALL_MET, "myotome_weakness": ["L5_left"]},
        {"age": 15, "conditions": ["lumbar_surgery_history"]},
    )["triage"]["manipulation_rule"]
    assert outside["status"] == "positive"  # the criteria still count ...
    assert outside["population"]["applies"] is False  # ... but the rule does not apply
    assert {o["id"] for o in outside["population"]["outside"]} == {
        "age",
        "nerve_root_signs",
        "previous_lumbar_surgery",
    }


def test_an_unrecorded_age_leaves_the_population_unknown() -> None:
    rule = assess_findings(ALL_MET)["triage"]["manipulation_rule"]
    assert rule["population"]["applies"] is None


def test_the_failed_validation_is_always_shown_beside_the_rule() -> None:
    rule = assess_findings(ALL_MET, {"age": 35})["triage"]["manipulation_rule"]
    assert rule["validation"]["source"] == "Hancock 2008, Eur Spine J 17:936"
    assert "no better than chance" in rule["validation"]["text"]
