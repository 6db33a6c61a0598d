"""Property: for any case, every applicable red-flag question is in next_tests (HZ-04, issue 11).

"Applicable" is read from the knowledge itself, independently of how the assessment builds its
list: an `ask` entry whose risk factor holds, a raised flag's more urgent rules, and the whole core
screen on re-evaluation without improvement. None may be dropped, none asked twice, and the
order is emergency-first. The screen's cauda-equina state is checked against its definition.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_case
from weizhong.knowledge import load_knowledge
from weizhong.knowledge.records import URGENCIES
from weizhong.reasoning.assessment import assess

KNOWLEDGE = load_knowledge()
RANK = {u: i for i, u in enumerate(URGENCIES)}

# Every bool finding the red-flag rules or questions read, so generated cases reach every rule.
RED_FLAG_BOOLS = sorted(
    {
        name
        for flag in KNOWLEDGE.red_flags
        for names in [r.reads for r in flag.rules] + [a.ask for a in flag.asks]
        for name in names
        if KNOWLEDGE.findings[name].type == "bool"
    }
    | {"leg_pain_dominant", "paresthesia"}
)
REFLEXES = [
    f"{test}_reflex_{side}" for test in ("achilles", "patellar") for side in ("left", "right")
]
REGIONS = [
    "low_back",
    "upper_back",
    "sacrum",
    "lower_abdomen",
    "groin_left",
    "groin_right",
    "posterior_thigh_left",
    "posterior_thigh_right",
    "calf_left",
    "calf_right",
    "foot_right",
]
CONDITIONS = ["cancer_history", "osteoporosis", "immunosuppression", "diabetes", "previous_dvt"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    findings: dict[str, Any] = {
        name: draw(st.booleans()) for name in draw(st.sets(st.sampled_from(RED_FLAG_BOOLS)))
    }
    for name in draw(st.sets(st.sampled_from(REFLEXES))):
        findings[name] = draw(st.sampled_from(["normal", "reduced", "absent", "brisk"]))
    if draw(st.booleans()):
        findings["pain_regions"] = sorted(draw(st.sets(st.sampled_from(REGIONS), min_size=1)))
    if draw(st.booleans()):
        findings["onset_days"] = draw(st.integers(0, 800))
    if draw(st.booleans()):
        findings["weeks_of_care_without_improvement"] = draw(st.integers(0, 20))
    for side in draw(st.sets(st.sampled_from(["left", "right"]))):
        findings[f"foot_pulses_{side}"] = draw(st.sampled_from(["normal", "reduced", "absent"]))
    patient: dict[str, Any] = {"conditions": sorted(draw(st.sets(st.sampled_from(CONDITIONS))))}
    if draw(st.booleans()):
        patient["age"] = draw(st.integers(8, 95))
    patient["sex"] = draw(st.sampled_from(["female", "male"]))
    return findings, patient


def _applicable(case: Any, raised: list[dict[str, Any]]) -> set[str]:
    view = case.view
    out: set[str] = set()
    for flag in KNOWLEDGE.red_flags:
        for ask in flag.asks:
            if ask.given.check(view) is True:
                out |= set(ask.ask)
    for entry in raised:
        flag = next(f for f in KNOWLEDGE.red_flags if f.id == entry["id"])
        for rule in flag.rules:
            if RANK[rule.urgency] < RANK[entry["urgency"]]:
                out |= set(rule.reads)
    screen = KNOWLEDGE.red_flag_screen
    if screen.rescreen_when is not None and screen.rescreen_when.check(view) is True:
        out |= set(screen.core)
    return {name for name in out if view.get(name) is None}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_applicable_red_flag_question_is_in_next_tests(
    generated: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    findings, patient = generated
    case = make_case(findings, patient)
    result = assess(case, KNOWLEDGE)
    questions = [t for t in result["next_tests"] if t["kind"] == "red_flag_screen"]
    asked = [q["finding"] for q in questions]

    assert _applicable(case, result["red_flags"]) <= set(asked)  # never dropped
    assert len(asked) == len(set(asked))  # never twice
    assert all(case.view.get(name) is None for name in asked)  # never an answered one
    order = [RANK.get(q["urgency"], len(URGENCIES)) for q in questions]
    assert order == sorted(order)  # emergency first
    if any(f["urgency"] == "emergency" for f in result["red_flags"]):
        assert len(questions) == len(result["next_tests"])  # nothing but questions

    screen = result["red_flag_screen"]
    cardinal_open = any(
        case.view.get(name) is None for name in KNOWLEDGE.red_flag_screen.cauda_equina_cardinal
    )
    possible = KNOWLEDGE.red_flag_screen.cauda_equina_possible.check(case.view) is True or any(
        f["id"] == "cauda_equina_syndrome" for f in result["red_flags"]
    )
    assert screen["cauda_equina_unscreened"] is (possible and cardinal_open)
    assert list(result)[3:5] == ["red_flags", "red_flag_screen"]
