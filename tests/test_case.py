"""The case format: every class of bad input gets one clear message per problem."""

from __future__ import annotations

import json
from typing import Any

import pytest

from weizhong.case import CaseError, Problem, parse_case_text, validate_case


def problems(raw: Any) -> list[Problem]:
    with pytest.raises(CaseError) as info:
        validate_case(raw)
    return info.value.problems


def case(findings: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    return {"format": "weizhong.case/1", "findings": findings or {}, **top}


def test_a_valid_case_parses() -> None:
    parsed = validate_case(
        case(
            {"slr_left_deg": 45, "pain_regions": ["low_back"]}, patient={"age": 41, "sex": "female"}
        )
    )
    assert parsed.findings["slr_left_deg"] == 45
    assert parsed.patient == {"age": 41, "sex": "female"}


def test_unknown_finding_suggests_the_closest_id() -> None:
    (problem,) = problems(case({"slr_left_degree": 40}))
    assert problem.field == "findings.slr_left_degree"
    assert "did you mean 'slr_left_deg'" in problem.message


def test_wrong_type_names_the_field_and_what_is_allowed() -> None:
    (problem,) = problems(case({"paresthesia": "yes"}))
    assert problem.field == "findings.paresthesia"
    assert "true or false" in problem.message


def test_angle_outside_0_to_180_is_refused() -> None:
    (problem,) = problems(case({"slr_right_deg": 200}))
    assert problem.field == "findings.slr_right_deg"
    assert "outside 0–180 degrees" in problem.message


def test_count_outside_its_range_is_refused() -> None:
    (problem,) = problems(case({"sij_provocation_positive": 6}))
    assert "outside 0–5" in problem.message


def test_fractional_whole_number_is_refused() -> None:
    (problem,) = problems(case({"onset_days": 3.5}))
    assert "whole number" in problem.message


def test_unknown_region_is_refused_with_a_suggestion() -> None:
    (problem,) = problems(case({"pain_regions": ["low_back", "posterior_thigh_lft"]}))
    assert problem.field == "findings.pain_regions[1]"
    assert "did you mean 'posterior_thigh_left'" in problem.message


def test_unknown_enum_value_lists_the_allowed_values() -> None:
    (problem,) = problems(case({"slump": "maybe"}))
    assert "negative, stretch_only, positive" in problem.message


def test_unknown_level_and_muscle_are_refused() -> None:
    found = problems(case({"myotome_weakness": ["L6_left"], "trigger_points": ["hamstring_left"]}))
    assert [p.field for p in found] == [
        "findings.myotome_weakness[0]",
        "findings.trigger_points[0]",
    ]
    assert "did you mean 'hamstrings_left'" in found[1].message


def test_every_problem_is_reported_not_only_the_first() -> None:
    found = problems(
        case(
            {"slr_left_deg": -5, "slump": 3, "nonsense": True},
            patient={"age": "old", "sex": "woman"},
        )
    )
    assert len(found) == 5


def test_a_left_finding_with_right_sided_pain_is_fine() -> None:
    parsed = validate_case(case({"pain_regions": ["buttock_right"], "slr_left_deg": 80}))
    assert parsed.findings["slr_left_deg"] == 80


def test_contradictory_duplicate_keys_are_refused() -> None:
    text = '{"format": "weizhong.case/1", "findings": {"slr_left_deg": 40, "slr_left_deg": 60}}'
    with pytest.raises(CaseError) as info:
        parse_case_text(text)
    assert "'slr_left_deg' appears twice with different values (40 and 60)" in str(info.value)


def test_identical_duplicate_keys_are_harmless() -> None:
    text = '{"format": "weizhong.case/1", "findings": {"slr_left_deg": 40, "slr_left_deg": 40}}'
    assert parse_case_text(text).findings == {"slr_left_deg": 40}


def test_sensitised_without_symptoms_is_a_contradiction() -> None:
    (problem,) = problems(case({"slr_left_response": "none", "slr_left_sensitised": True}))
    assert problem.field == "findings.slr_left_sensitised"


def test_missing_means_not_examined() -> None:
    parsed = validate_case(case({"paresthesia": None}))
    assert "paresthesia" not in parsed.findings
    assert parsed.view.get("fever") is None


def test_wrong_or_missing_format_is_refused() -> None:
    (problem,) = problems({"findings": {}})
    assert problem.field == "format"
    (problem,) = problems({"format": "weizhong.case/2"})
    assert "weizhong.case/1" in problem.message


def test_unknown_top_level_and_patient_fields_are_refused() -> None:
    found = problems({"format": "weizhong.case/1", "finding": {}, "patient": {"ages": 3}})
    assert [p.field for p in found] == ["finding", "patient.ages"]
    assert "did you mean 'findings'" in found[0].message


def test_unknown_device_and_condition_are_refused() -> None:
    found = problems(case(patient={"devices": ["pacemakr"], "conditions": ["epilepsy", "gout"]}))
    assert [p.field for p in found] == ["patient.devices[0]", "patient.conditions[1]"]
    assert "did you mean 'pacemaker'" in found[0].message


def test_not_json_and_not_an_object_are_clear_errors() -> None:
    with pytest.raises(CaseError, match="not valid JSON"):
        parse_case_text("{nope")
    with pytest.raises(CaseError, match="must be a JSON object"):
        parse_case_text("[1, 2]")


def test_medications_map_to_classes_whatever_the_case_and_dose() -> None:
    parsed = validate_case(
        case(
            patient={
                "medications": [
                    "Warfarin 5 mg",
                    "ELIQUIS 2.5mg bd",
                    "prednisolone",
                    "furosemide 40mg od",
                    "Clopidogrel",
                    "amlodipine 5 mg daily",
                    "zorblax",
                ]
            }
        )
    )
    classes = {m.name: set(m.classes) for m in parsed.medications}
    assert "anticoagulant" in classes["Warfarin 5 mg"]
    assert "anticoagulant" in classes["ELIQUIS 2.5mg bd"]
    assert "corticosteroid" in classes["prednisolone"]
    assert "diuretic" in classes["furosemide 40mg od"]
    assert "antiplatelet" in classes["Clopidogrel"]
    assert "antihypertensive" in classes["amlodipine 5 mg daily"]
    assert parsed.unrecognised_medications == ["zorblax"]


def test_unrecognised_medications_are_reported_in_the_assessment() -> None:
    from weizhong.reasoning.assessment import assess

    result = assess(validate_case(case(patient={"medications": ["xyzzy 10 mg", "warfarin"]})))
    assert result["medications"]["unrecognised"] == ["xyzzy 10 mg"]
    assert result["medications"]["recognised"][0]["generic"] == "warfarin"


def test_the_json_text_path_and_the_dict_path_agree() -> None:
    raw = case({"ake_left_deg": 30}, patient={"age": 30})
    assert parse_case_text(json.dumps(raw)).findings == validate_case(raw).findings


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "weizhong.case/1", "findings": {"ake_left_deg": 20 , "ake_left_deg" : 30}}',
        '{"format": "weizhong.case/1", "findings": {"ake_left_deg": 20, "ake_left_d\\u0065g": 30}}',
        '{"format":"weizhong.case/1","findings":{"ake_left_deg":20,"ake_left_deg":30}}',
        '{"format": "weizhong.case/1", "id": "a\\":b", "findings": {"ake_left_deg": 20,'
        ' "ake_left_deg": 30}}',
    ],
)
def test_a_duplicate_key_is_caught_however_it_is_spelled(text: str) -> None:
    with pytest.raises(CaseError, match="appears twice"):
        parse_case_text(text)


def test_hostile_json_is_refused_clearly() -> None:
    with pytest.raises(CaseError, match="nested too deeply"):
        parse_case_text("[" * 100_000 + "]" * 100_000)
    (problem,) = problems(case({"onset_days": float("inf")}))
    assert "not infinity or not-a-number" in problem.message
    with pytest.raises(CaseError) as info:
        parse_case_text('{"format": "weizhong.case/1", "findings": {"ake_left_deg": NaN}}')
    assert "infinity or not-a-number" in str(info.value)
