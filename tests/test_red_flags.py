"""Every red-flag rule has a fixture that fires it; clean and single-weak-factor cases are quiet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import assess_findings, make_case, probability
from weizhong.knowledge import Knowledge
from weizhong.reasoning.red_flags import _fires

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "red_flag_cases.json").read_text())


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_red_flag_fixture(fixture: dict[str, Any]) -> None:
    result = assess_findings(fixture["findings"], fixture.get("patient"))
    raised = {flag["id"]: flag["urgency"] for flag in result["red_flags"]}
    assert raised == fixture["expect"]
    fired = {rule for flag in result["red_flags"] for rule in flag["rules"]}
    assert set(fixture.get("rules", [])) <= fired  # the rule the fixture is written for fired


def test_every_rule_is_fired_by_some_fixture(knowledge: Knowledge) -> None:
    cases = [make_case(f["findings"], f.get("patient")) for f in FIXTURES]
    unfired = [
        f"{flag.id} rule '{rule.id}'"
        for flag in knowledge.red_flags
        for rule in flag.rules
        if not any(_fires(rule, case) for case in cases)
    ]
    assert unfired == []


def test_every_rule_id_is_named_by_a_fixture(knowledge: Knowledge) -> None:
    """Each rule has a fixture written for it (its id in the fixture's `rules`), not only one
    that happens to fire it; and no fixture names a rule that does not exist."""
    named = {rule for fixture in FIXTURES for rule in fixture.get("rules", [])}
    ids = {rule.id for flag in knowledge.red_flags for rule in flag.rules}
    assert named == ids


def test_raised_flag_names_its_findings_and_action() -> None:
    result = assess_findings({"saddle_anaesthesia": True, "bladder_dysfunction": True})
    (flag,) = result["red_flags"]
    assert {b["finding"] for b in flag["because"]} == {"saddle_anaesthesia", "bladder_dysfunction"}
    assert "emergency" in flag["action"].lower()
    assert flag["source"]
    assert flag["rules"] == ["ces_cardinal_feature"]
    assert "emergency department" in flag["patient_action"]


def test_red_flags_come_first_and_never_hide_the_differential() -> None:
    result = assess_findings(
        {
            "saddle_anaesthesia": True,
            "slr_left_response": "leg_pain_below_knee",
            "pain_regions": ["calf_left"],
        }
    )
    assert list(result)[:5] == [
        "format",
        "case_id",
        "knowledge_version",
        "red_flags",
        "red_flag_screen",
    ]
    assert len(result["differential"]) == 9
    assert probability(result, "lumbar_radiculopathy") > 0.08  # raised above its prior


def test_flags_are_sorted_most_urgent_first() -> None:
    result = assess_findings(
        {"fever": True, "saddle_anaesthesia": True, "prolonged_corticosteroids": True}
    )
    assert [f["urgency"] for f in result["red_flags"]] == ["emergency", "urgent", "soon"]


def test_unasked_screen_questions_are_listed() -> None:
    result = assess_findings({"onset_days": 3})
    assert result["red_flag_screen"]["complete"] is False
    assert "saddle_anaesthesia" in result["red_flag_screen"]["not_asked"]


def test_a_weak_risk_factor_prompts_questions_not_a_flag() -> None:
    result = assess_findings({"onset_days": 20}, {"age": 67})
    assert result["red_flags"] == []
    asked = [t["finding"] for t in result["next_tests"] if t["kind"] == "red_flag_screen"]
    assert "unexplained_weight_loss" in asked
    assert "night_pain_unremitting" in asked


def test_an_examined_negative_is_not_asked_again() -> None:
    result = assess_findings(
        {"unexplained_weight_loss": False, "night_pain_unremitting": False}, {"age": 67}
    )
    asked = [t["finding"] for t in result["next_tests"] if t["kind"] == "red_flag_screen"]
    assert "unexplained_weight_loss" not in asked
