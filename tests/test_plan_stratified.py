"""STarT Back and the FABQ change the plan, not only the report (NICE NG59 stratified care,
hazard HZ-20)."""

from __future__ import annotations

from typing import Any

from tests.conftest import make_case
from weizhong.planning.plan import make_plan
from weizhong.planning.stratified import stratified_care
from weizhong.reasoning.assessment import assess

BACK_PAIN = {
    "pain_regions": ["low_back"], "onset_days": 40, "lumbar_hypomobility": True,
    "saddle_anaesthesia": False, "bladder_dysfunction": False, "bowel_dysfunction": False,
    "sexual_dysfunction": False,
}  # fmt: skip
HIGH_RISK = [1, 1, 1, 1, 1, 1, 1, 1, 4]
LOW_RISK = [0, 0, 0, 0, 0, 0, 0, 0, 0]


def _plan(**findings: Any) -> dict[str, Any]:
    return make_plan(make_case({**BACK_PAIN, **findings}, {"age": 45, "sex": "female"}))


def test_stratified_care_changes_the_plan() -> None:
    high, low = _plan(startback_answers=HIGH_RISK), _plan(startback_answers=LOW_RISK)
    assert high["stratified_care"]["risk_group"] == "high"
    assert low["stratified_care"]["risk_group"] == "low"
    assert "graded_walking" in [e["id"] for e in high["exercises"]]
    assert [item["id"] for item in high["education"]][:1] == ["pain_education"]
    assert low["visits"]["planned_visits"] < high["visits"]["planned_visits"]


def test_without_start_back_the_plan_asks_for_it_and_changes_nothing() -> None:
    plan = _plan()
    assert plan["stratified_care"]["status"] != "stratified"
    assert plan["visits"] == {}
    assert any("STarT Back" in question for question in plan["stratified_care"]["ask"])


def test_a_high_fabq_physical_activity_score_adds_graded_activity() -> None:
    case = make_case({**BACK_PAIN, "fabq_physical_activity": 18, "startback_answers": LOW_RISK})
    care = stratified_care(case, assess(case)["triage"])
    assert "fabq_physical_activity_high" in care["rules"]
    assert "graded_walking" in care["changes"]["add_exercises"]
    assert not any("fabq_physical_activity" in note for note in care["notes"])
    quiet = make_case({**BACK_PAIN, "fabq_physical_activity": 10, "startback_answers": LOW_RISK})
    assert (
        "fabq_physical_activity_high"
        not in stratified_care(quiet, assess(quiet)["triage"])["rules"]
    )
