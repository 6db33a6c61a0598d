"""Stratified care (issue 11, HZ-20: STarT Back and FABQ were scored but never changed the plan).

NICE NG59 1.1.2-1.1.3 and the STarT Back trial (Hill 2011, Lancet 378:1560): the risk group sets
the kind and amount of care; a high FABQ work score (Fritz & George 2002) adds work-focused care."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_case
from weizhong.knowledge import KnowledgeError
from weizhong.planning.home_programme import build_programme, load_library
from weizhong.planning.stratified import load_stratified_rules, stratified_care
from weizhong.reasoning.assessment import assess

LOW = [0, 0, 0, 0, 0, 0, 0, 0, 0]
MEDIUM = [1, 1, 1, 1, 0, 0, 0, 0, 0]
HIGH = [1, 1, 1, 1, 1, 1, 1, 1, 4]
BACK = {"onset_days": 20, "pain_regions": ["low_back"]}


def care(findings: dict[str, Any], **patient: Any) -> Any:
    case = make_case({**BACK, **findings}, {"age": 40, "sex": "male", **patient})
    return stratified_care(case, assess(case)["triage"])


def test_it_says_when_nothing_was_scored_changes_nothing_and_asks_for_start_back() -> None:
    result = care({})
    assert result["status"] == "not_scored"
    assert result["risk_group"] is None
    assert result["changes"] == {}
    assert result["rules"] == ["start_back_not_scored"]
    assert any("STarT Back" in ask for ask in result["ask"])
    assert any("1.1.2" in source for source in result["sources"])


def test_low_risk_means_advice_self_management_and_few_visits() -> None:
    result = care({"startback_answers": LOW})
    assert result["status"] == "stratified" and result["risk_group"] == "low"
    assert result["approach"] == "self_management"
    assert result["rules"] == ["start_back_low_risk"]
    changes = result["changes"]
    assert changes["visits_per_week"] == 1
    assert changes["planned_visits"] <= 2
    assert "back_pain_reassurance" in changes["education"]
    assert "over-treatment" in " ".join(result["does"])
    assert result["patient_explanation"]
    assert any("Hill 2011" in s for s in result["sources"])


def test_medium_risk_means_an_exercise_package_with_more_visits() -> None:
    result = care({"startback_answers": MEDIUM})
    assert result["risk_group"] == "medium"
    assert result["approach"] == "physiotherapy_package"
    assert (
        result["changes"]["planned_visits"]
        > care({"startback_answers": LOW})["changes"]["planned_visits"]
    )
    assert "manual therapy only as part of a package" in " ".join(result["does"])


def test_high_risk_means_psychologically_informed_care_with_pain_education() -> None:
    result = care({"startback_answers": HIGH})
    assert result["risk_group"] == "high"
    assert result["approach"] == "psychologically_informed"
    assert "pain_education" in result["changes"]["education"]
    assert "graded_walking" in result["changes"]["add_exercises"]
    assert "graded activity" in " ".join(result["does"])


def test_a_high_fabq_work_score_adds_work_advice_and_raises_low_risk_to_a_package() -> None:
    result = care({"startback_answers": LOW, "fabq_work": 36})
    assert result["rules"] == ["start_back_low_risk", "fabq_work_high"]
    assert result["approach"] == "physiotherapy_package"
    assert "work_fear_avoidance" in result["changes"]["education"]
    medium = load_stratified_rules().groups["medium"]
    assert result["changes"]["planned_visits"] == medium.planned_visits
    assert any("Fritz & George 2002" in s for s in result["sources"])


def test_fabq_work_of_34_is_not_high() -> None:
    assert "fabq_work_high" not in care({"startback_answers": LOW, "fabq_work": 34})["rules"]


def test_fabq_alone_changes_the_plan_and_still_asks_for_start_back() -> None:
    result = care({"fabq_work": 40})
    assert result["status"] == "fabq_only"
    assert result["rules"] == ["fabq_work_high"]
    assert "work_fear_avoidance" in result["changes"]["education"]
    assert "planned_visits" not in result["changes"]  # no risk group, no visit count
    assert any("STarT Back" in ask for ask in result["ask"])


def test_every_rule_names_hazard_hz_20() -> None:
    rules = load_stratified_rules()
    for group in rules.groups.values():
        assert "HZ-20" in group.hazards and group.source, group.id
    for flag in rules.flags:
        assert "HZ-20" in flag.hazards and flag.source, flag.id


def test_everything_it_adds_exists_in_the_exercise_library() -> None:
    library = load_library()
    rules = load_stratified_rules()
    for rule in (*rules.groups.values(), *rules.flags):
        assert set(rule.add_exercises) <= set(library.exercises), rule.id
        assert set(rule.education) <= set(library.education), rule.id


def test_its_exercises_go_into_the_home_programme() -> None:
    case = make_case({**BACK, "startback_answers": HIGH}, {"age": 40})
    result = assess(case)
    plan = stratified_care(case, result["triage"])
    programme = build_programme(
        case, result["differential"], add_exercises=plan["changes"]["add_exercises"]
    )
    assert "graded_walking" in {item["id"] for item in programme["exercises"]}


def test_a_stratified_file_naming_a_missing_exercise_fails_to_load(tmp_path: Any) -> None:
    from pathlib import Path

    from weizhong.knowledge.loader import DATA_DIR

    text = (DATA_DIR / "stratified_care.toml").read_text()
    path = Path(tmp_path) / "stratified_care.toml"
    path.write_text(
        text.replace('add_exercises = ["graded_walking"]', 'add_exercises = ["jog"]', 1)
    )
    with pytest.raises(KnowledgeError, match=r"start_back_low_risk.*jog"):
        load_stratified_rules(path)
