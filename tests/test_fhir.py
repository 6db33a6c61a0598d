"""FHIR R4 export and import: every resource validates, codes are right, round trips are exact."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.operationoutcome import OperationOutcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weizhong.case import validate_case
from weizhong.fhir import FhirImportError, export_bundle, import_bundle
from weizhong.fhir.codes import (
    FINDING_SYSTEM,
    ICD10CM,
    INSTRUMENT_SYSTEM,
    LOINC,
    SNOMED,
    load_code_table,
)
from weizhong.knowledge import load_knowledge
from weizhong.knowledge.records import FindingDef
from weizhong.planning.plan import make_plan
from weizhong.reasoning.assessment import assess
from weizhong.reasoning.instruments import score_instrument

EXAMPLE = Path(__file__).resolve().parent.parent / "weizhong" / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fhir"
TIMESTAMP = "2026-11-20T12:00:00+00:00"
KNOWLEDGE = load_knowledge()


# --------------------------------------------------------------------------- records


def a_case(findings: dict[str, Any], **patient: Any) -> dict[str, Any]:
    return {
        "format": "weizhong.case/1",
        "patient": {"age": 31, "sex": "female", **patient},
        "findings": findings,
    }


def an_exam(exam_id: str, created: str, case: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": exam_id,
        "created": created,
        "clinician": "Mei Lin",
        "case": case,
        "assessment": assess(validate_case(case)),
    }


def an_outcome(
    outcome_id: str, instrument: str, answers: list[Any], **extra: Any
) -> dict[str, Any]:
    return {
        "id": outcome_id,
        "instrument": instrument,
        "answers": answers,
        "score": score_instrument(instrument, answers).score,
        "taken": "2026-11-10T09:05:00+00:00",
        "source": "clinic",
        **extra,
    }


def a_visit(visit_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": visit_id,
        "date": "2026-11-12",
        "clinician": "Mei Lin",
        "plan_id": "4",
        "points": ["BL40:both", "SI3:left"],
        "electro": True,
        "electro_settings": "2 Hz",
        "needle_minutes": 25,
        "contact_minutes": 30,
        "regions_adjusted": ["lumbar", "pelvic"],
        "office_care": "",
        "response": "better",
        "diagnoses": ["M54.50"],
        **extra,
    }


def a_record(exams: list[dict[str, Any]], **patient: Any) -> dict[str, Any]:
    return {
        "clinic": {"id": "1", "name": "Riverside"},
        "patient": {
            "id": "12",
            "given_name": "Ada",
            "family_name": "Runner",
            "birth_date": "1995-03-14",
            "sex": "female",
            "phone": "+44 20 7946 0000",
            "email": "ada@example.org",
            "pregnant": False,
            "medications": [],
            "devices": [],
            "conditions": [],
            **patient,
        },
        "exams": exams,
        "plans": [],
        "visits": [],
        "outcomes": [],
    }


def runner_record() -> dict[str, Any]:
    case = json.loads((EXAMPLE / "runner_tight_hamstrings.json").read_text())
    exam = an_exam("3", "2026-11-10T09:00:00+00:00", case)
    plan = make_plan(validate_case(case), exam["assessment"])
    record = a_record([exam])
    saved = {"exam_id": "3", "plan": plan, "visits_per_week": 2, "planned_visits": 6}
    record["plans"] = [
        {"id": "4", "version": 1, "created": "2026-11-10T09:30:00+00:00", **saved},
        {"id": "7", "version": 2, "created": "2026-11-17T09:30:00+00:00", **saved},
    ]
    record["visits"] = [a_visit("9"), a_visit("10", regions_adjusted=[], electro=False)]
    record["outcomes"] = [an_outcome("5", "nprs", [6])]
    return record


def red_flag_record() -> dict[str, Any]:
    case = a_case(
        {
            "pain_regions": ["low_back", "posterior_thigh_left"],
            "saddle_anaesthesia": True,
            "bladder_dysfunction": True,
        }
    )
    return a_record([an_exam("3", "2026-11-10T09:00:00+00:00", case)])


def pregnant_warfarin_record() -> dict[str, Any]:
    case = a_case({"pain_regions": ["low_back"], "onset_days": 10}, pregnant=True)
    return a_record(
        [an_exam("3", "2026-11-10T09:00:00+00:00", case)],
        pregnant=True,
        medications=["warfarin 5 mg", "Mystery Tonic"],
        devices=["pacemaker"],
        conditions=["epilepsy"],
    )


def sided_record(findings: dict[str, Any]) -> dict[str, Any]:
    return a_record([an_exam("3", "2026-11-10T09:00:00+00:00", a_case(findings))])


LEFT_RADICULOPATHY = {
    "pain_regions": ["low_back", "posterior_thigh_left", "calf_left"],
    "leg_pain_dominant": True,
    "paresthesia": True,
    "slr_left_deg": 35,
    "slr_left_response": "leg_pain_below_knee",
    "slr_left_sensitised": True,
    "crossed_slr_left": True,
    "slump": "positive",
    "achilles_reflex_left": "reduced",
    "myotome_weakness": ["L5_left"],
    "dermatome_sensory_loss": ["L5_left"],
}
LEFT_STRAIN = {
    "pain_regions": ["posterior_thigh_left"],
    "sudden_onset_during_sprint": True,
    "runner": True,
    "onset_days": 3,
}
RIGHT_DEEP_GLUTEAL = {
    "pain_regions": ["buttock_right", "posterior_thigh_right"],
    "seated_piriformis_stretch_right": True,
    "active_piriformis_right": True,
    "pain_worse_sitting": True,
    "slr_right_deg": 60,
    "slr_right_response": "buttock_pain",
    "myotome_weakness": [],
    "patellar_reflex_right": "normal",
}

# One finding of every type the case format has, including an examined-and-none-found list.
EVERY_TYPE = {
    "runner": True,  # bool
    "onset_days": 21,  # int with a unit
    "sij_provocation_positive": 2,  # int without a unit
    "slr_left_deg": 62,  # angle
    "sit_and_reach_cm": -14.5,  # number
    "sitting_hours_per_day": 6,
    "slr_left_response": "posterior_thigh_stretch",  # enum
    "pain_regions": ["low_back", "posterior_thigh_left"],  # regions
    "myotome_weakness": ["L5_left", "S1_left"],  # levels
    "trigger_points": ["hamstrings_left", "iliopsoas_right"],  # muscles
    "dermatome_sensory_loss": [],  # examined, none found
    "startback_answers": [1, 0, 1, 0, 0, 1, 0, 0, 2],  # int_list
    "nprs": 6,
}


def resources(bundle: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if kind in (None, e["resource"]["resourceType"])]


def codes_of(resource: dict[str, Any], system: str, key: str = "code") -> list[str]:
    return [c["code"] for c in resource.get(key, {}).get("coding", []) if c["system"] == system]


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


@pytest.fixture(scope="module")
def runner_bundle() -> dict[str, Any]:
    return export_bundle(runner_record(), timestamp=TIMESTAMP)


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("make", [runner_record, red_flag_record, pregnant_warfarin_record])
def test_every_exported_resource_validates_with_its_r4b_model(make: Any) -> None:
    bundle = export_bundle(make(), timestamp=TIMESTAMP)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert bundle["timestamp"].startswith("2026-11-20T12:00:00")
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        assert model.model_validate(resource).model_dump(mode="json", exclude_none=True) == resource
        assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")


@pytest.mark.parametrize("make", [runner_record, red_flag_record, pregnant_warfarin_record])
def test_every_reference_resolves_within_the_bundle(make: Any) -> None:
    bundle = export_bundle(make(), timestamp=TIMESTAMP)
    present = {f"{r['resourceType']}/{r['id']}" for r in resources(bundle)}
    assert len(present) == len(bundle["entry"]), "resource ids are unique per type"
    found = set(references(bundle))
    assert found, "the bundle links its resources"
    assert found <= present


def test_it_exports_the_patient_with_gender_telecom_and_identifier(
    runner_bundle: dict[str, Any],
) -> None:
    (patient,) = resources(runner_bundle, "Patient")
    assert patient["gender"] == "female"
    assert patient["name"] == [{"use": "official", "family": "Runner", "given": ["Ada"]}]
    assert patient["birthDate"] == "1995-03-14"
    assert {t["system"]: t["value"] for t in patient["telecom"]} == {
        "phone": "+44 20 7946 0000",
        "email": "ada@example.org",
    }
    assert patient["identifier"] == [
        {"system": "https://weizhong.example/fhir/sid/patient", "value": "12"}
    ]


def test_visits_and_exams_are_finished_ambulatory_encounters(
    runner_bundle: dict[str, Any],
) -> None:
    encounters = resources(runner_bundle, "Encounter")
    assert sorted(e["id"] for e in encounters) == ["exam-3", "visit-10", "visit-9"]
    for encounter in encounters:
        assert encounter["status"] == "finished"
        assert encounter["class"]["code"] == "AMB"
        assert encounter["class"]["system"] == "http://terminology.hl7.org/CodeSystem/v3-ActCode"
        assert encounter["subject"] == {"reference": "Patient/12"}
    visit = next(e for e in encounters if e["id"] == "visit-9")
    assert visit["reasonCode"][0]["coding"][0] == {
        "system": ICD10CM,
        "code": "M54.50",
        "display": "Low back pain, unspecified",
    }


def test_nprs_outcome_is_coded_with_loinc_72514_3_and_derived_from_its_response(
    runner_bundle: dict[str, Any],
) -> None:
    score = next(r for r in resources(runner_bundle, "Observation") if r["id"] == "outcome-5")
    assert codes_of(score, LOINC) == ["72514-3"]
    assert codes_of(score, INSTRUMENT_SYSTEM) == ["nprs"]
    assert score["valueQuantity"] == {
        "value": 6, "system": "http://unitsofmeasure.org", "code": "{score}", "unit": "points"
    }  # fmt: skip
    assert score["derivedFrom"] == [{"reference": "QuestionnaireResponse/outcome-5"}]
    (response,) = resources(runner_bundle, "QuestionnaireResponse")
    assert response["questionnaire"] == "https://weizhong.dev/fhir/Questionnaire/nprs"
    assert response["status"] == "completed"
    assert response["item"][0]["linkId"] == "item-1"
    assert response["item"][0]["answer"] == [{"valueInteger": 6}]
    assert "source" not in response  # taken in the clinic, not by the patient


def test_no_loinc_code_is_claimed_for_instruments_without_one() -> None:
    record = runner_record()
    record["outcomes"] = [an_outcome("8", "odi", [2, 2, 1, 2, 2, 1, 2, 1, 2, 1])]
    bundle = export_bundle(record, timestamp=TIMESTAMP)
    score = next(r for r in resources(bundle, "Observation") if r["id"] == "outcome-8")
    assert codes_of(score, LOINC) == []
    assert codes_of(score, INSTRUMENT_SYSTEM) == ["odi"]
    assert score["valueQuantity"]["value"] == 32.0


def test_findings_become_observations_coded_with_the_finding_ids(
    runner_bundle: dict[str, Any],
) -> None:
    case = runner_record()["exams"][0]["case"]
    by_code = {
        codes_of(o, FINDING_SYSTEM)[0]: o
        for o in resources(runner_bundle, "Observation")
        if codes_of(o, FINDING_SYSTEM)
    }
    assert set(by_code) == set(case["findings"])
    ake = by_code["ake_left_deg"]
    assert ake["valueQuantity"] == {
        "value": 44,
        "unit": "degrees",
        "system": "http://unitsofmeasure.org",
        "code": "deg",
    }
    assert ake["code"]["coding"][0]["display"] == KNOWLEDGE.findings["ake_left_deg"].label
    assert ake["effectiveDateTime"].startswith("2026-11-10T09:00:00")
    assert ake["encounter"] == {"reference": "Encounter/exam-3"}
    assert by_code["runner"]["valueBoolean"] is True
    assert by_code["runner"]["category"][0]["coding"][0]["code"] == "social-history"
    assert by_code["slump"]["valueCodeableConcept"]["coding"][0]["code"] == "stretch_only"
    assert by_code["myotome_weakness"]["valueBoolean"] is False
    assert "component" not in by_code["myotome_weakness"]
    trigger_items = [c["code"]["coding"][0]["code"] for c in by_code["trigger_points"]["component"]]
    assert trigger_items == ["hamstrings_left", "hamstrings_right"]


def test_the_leading_condition_is_coded_with_icd10cm(runner_bundle: dict[str, Any]) -> None:
    conditions = [c for c in resources(runner_bundle, "Condition") if c["id"].startswith("exam-")]
    assert [c["id"] for c in conditions] == ["exam-3-hamstring-tightness"]
    (condition,) = conditions
    assert codes_of(condition, ICD10CM) == ["M62.89"]
    assert condition["verificationStatus"]["coding"][0]["code"] == "provisional"
    # The hamstring-length measure that counted (within its group only the strongest counts; the
    # AKE cut-offs come from 18-24-year-olds, so at 31 AKE counts at reduced weight, issue 11).
    detail = condition["evidence"][0]["detail"]
    assert {"reference": "Observation/exam-3-slr-left-deg"} in detail
    assert {"reference": "Observation/exam-3-ake-left-deg"} not in detail


def test_left_radiculopathy_is_coded_for_the_left_leg() -> None:
    bundle = export_bundle(sided_record(LEFT_RADICULOPATHY), timestamp=TIMESTAMP)
    condition = next(
        c for c in resources(bundle, "Condition") if c["id"] == "exam-3-lumbar-radiculopathy"
    )
    # ICD-10-CM has no sided radiculopathy code: the side is in bodySite.
    assert codes_of(condition, ICD10CM) == ["M54.16"]
    assert [site["coding"][0] for site in condition["bodySite"]] == [
        {
            "system": SNOMED,
            "code": "32153003",
            "display": "Structure of left lower limb (body structure)",
        }
    ]


def test_s1_radiculopathy_is_lumbosacral() -> None:
    findings = {**LEFT_RADICULOPATHY, "myotome_weakness": ["S1_left"]}
    bundle = export_bundle(sided_record(findings), timestamp=TIMESTAMP)
    codes = [code for c in resources(bundle, "Condition") for code in codes_of(c, ICD10CM)]
    assert "M54.17" in codes
    assert "M54.16" not in codes


def test_left_hamstring_strain_gets_the_left_initial_encounter_code() -> None:
    bundle = export_bundle(sided_record(LEFT_STRAIN), timestamp=TIMESTAMP)
    codes = [code for c in resources(bundle, "Condition") for code in codes_of(c, ICD10CM)]
    assert "S76.312A" in codes
    assert not {"S76.311A", "S76.319A"} & set(codes)


def test_right_deep_gluteal_syndrome_gets_the_right_sciatic_nerve_code() -> None:
    bundle = export_bundle(sided_record(RIGHT_DEEP_GLUTEAL), timestamp=TIMESTAMP)
    condition = next(
        c for c in resources(bundle, "Condition") if c["id"] == "exam-3-sciatic-nerve-entrapment"
    )
    assert codes_of(condition, ICD10CM) == ["G57.01"]
    assert condition["bodySite"][0]["coding"][0]["code"] == "62175007"


def test_a_strain_on_both_sides_gives_one_condition_per_side() -> None:
    findings = {**LEFT_STRAIN, "pain_regions": ["posterior_thigh_left", "posterior_thigh_right"]}
    bundle = export_bundle(sided_record(findings), timestamp=TIMESTAMP)
    strains = [c for c in resources(bundle, "Condition") if "hamstring-strain" in c["id"]]
    assert sorted(code for c in strains for code in codes_of(c, ICD10CM)) == [
        "S76.311A",
        "S76.312A",
    ]


def test_no_retired_icd10cm_code_is_exported_anywhere() -> None:
    record = runner_record()
    record["visits"] = [a_visit("9", diagnoses=["M54.5"])]
    records = [record, red_flag_record(), sided_record(LEFT_RADICULOPATHY)]
    for bundle in (export_bundle(r, timestamp=TIMESTAMP) for r in records):
        text = json.dumps(bundle)
        assert '"code": "M54.5"' not in text
        assert re.search(r'"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "[A-Z]', text)
    visit = next(r for r in resources(export_bundle(record), "Encounter") if r["id"] == "visit-9")
    assert "coding" not in visit["reasonCode"][0]
    assert "M54.5" in visit["reasonCode"][0]["text"]


def test_red_flags_become_active_clinical_flags() -> None:
    bundle = export_bundle(red_flag_record(), timestamp=TIMESTAMP)
    (flag,) = resources(bundle, "Flag")
    assert flag["status"] == "active"
    assert flag["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/flag-category",
        "code": "clinical",
    }
    assert flag["code"]["text"] == "Possible cauda equina syndrome"
    assert flag["code"]["coding"][0]["code"] == "cauda_equina_syndrome"
    assert flag["subject"] == {"reference": "Patient/12"}
    clean = export_bundle(sided_record(LEFT_STRAIN), timestamp=TIMESTAMP)
    assert resources(clean, "Flag") == []


def test_pregnancy_medications_devices_and_history_are_exported() -> None:
    bundle = export_bundle(pregnant_warfarin_record(), timestamp=TIMESTAMP)
    pregnancy = next(r for r in resources(bundle, "Observation") if codes_of(r, LOINC))
    assert codes_of(pregnancy, LOINC) == ["82810-3"]
    assert codes_of(pregnancy, SNOMED, "valueCodeableConcept") == ["77386006"]
    medications = resources(bundle, "MedicationStatement")
    assert [m["medicationCodeableConcept"]["text"] for m in medications] == [
        "warfarin 5 mg",
        "Mystery Tonic",
    ]
    assert all(m["status"] == "active" for m in medications)
    assert "anticoagulant" in medications[0]["note"][0]["text"]
    assert "does not recognise" in medications[1]["note"][0]["text"]
    assert [d["type"]["coding"][0]["code"] for d in resources(bundle, "Device")] == ["pacemaker"]


def test_visits_become_acupuncture_and_manipulation_procedures(
    runner_bundle: dict[str, Any],
) -> None:
    procedures = {p["id"]: p for p in resources(runner_bundle, "Procedure")}
    assert sorted(procedures) == [
        "visit-10-acupuncture",
        "visit-9-acupuncture",
        "visit-9-manipulation",
    ]
    needling = procedures["visit-9-acupuncture"]
    assert codes_of(needling, SNOMED) == ["44868003"]
    assert [s["text"] for s in needling["bodySite"]] == ["BL40 (both)", "SI3 (left)"]
    assert needling["bodySite"][0]["coding"][0]["code"] == "BL40"
    assert "2 Hz" in needling["note"][0]["text"]
    assert "No electrostimulation" in procedures["visit-10-acupuncture"]["note"][0]["text"]
    manipulation = procedures["visit-9-manipulation"]
    assert codes_of(manipulation, SNOMED) == ["46947000"]
    assert [s["text"] for s in manipulation["bodySite"]] == ["lumbar", "pelvic"]
    assert needling["basedOn"] == [{"reference": "CarePlan/plan-4"}]


def test_only_the_newest_plan_is_active(runner_bundle: dict[str, Any]) -> None:
    plans = {p["id"]: p for p in resources(runner_bundle, "CarePlan")}
    assert plans["plan-7"]["status"] == "active"
    assert plans["plan-4"]["status"] == "revoked"
    activities = [a["detail"] for a in plans["plan-7"]["activity"]]
    strap = next(a for a in activities if a["code"]["text"].startswith("Lying hamstring"))
    assert strap["description"] == "hold 30 s, 1 repetition; once a day, 5 days a week"
    assert strap["scheduledTiming"]["repeat"] == {
        "frequency": 1,
        "period": 1,
        "periodUnit": "d",
        "dayOfWeek": ["mon", "tue", "thu", "fri", "sun"],
    }
    visits = next(a for a in activities if a["code"]["text"] == "Clinic visits")
    assert visits["scheduledTiming"]["repeat"] == {
        "frequency": 2,
        "period": 1,
        "periodUnit": "wk",
        "count": 6,
    }
    assert any(a["code"]["text"] == "Re-evaluation" for a in activities)
    needling = next(a for a in activities if a["code"]["text"] == "Acupuncture")
    assert "BL40 (both)" in needling["description"]
    assert plans["plan-7"]["addresses"] == [{"reference": "Condition/exam-3-hamstring-tightness"}]


# --------------------------------------------------------------------------- round trips


def test_round_trip_keeps_every_finding_type_exactly() -> None:
    record = sided_record(EVERY_TYPE)
    result = import_bundle(export_bundle(record, timestamp=TIMESTAMP))
    assert result.findings == record["exams"][-1]["case"]["findings"]
    assert result.findings["dermatome_sensory_loss"] == []
    assert isinstance(result.findings["slr_left_deg"], int)


def test_round_trip_keeps_the_patient() -> None:
    record = pregnant_warfarin_record()
    result = import_bundle(export_bundle(record, timestamp=TIMESTAMP))
    expected = {k: v for k, v in record["patient"].items() if k != "id"}
    assert result.patient == expected


ALL_INSTRUMENTS: list[tuple[str, list[Any]]] = [
    ("odi", [2, 2, 1, 2, None, 1, 2, 1, 2, 1]),  # one section skipped
    ("rmdq", [1, 0] * 12),
    ("startback", [1, 0, 1, 0, 1, 0, 1, 0, 3]),
    ("nprs", [6]),
    ("psfs", [3, 6.5, 4]),
    ("fabq", [3, 4, 2, 5, 1, 6, 0, 3, 2, 4, 5, 1, 0, 2, 3, 4]),
    ("lefs", [4, 3, 2, 1, 0] * 4),
]


def test_round_trip_keeps_every_instruments_answers_and_score() -> None:
    record = sided_record(LEFT_STRAIN)
    record["outcomes"] = [
        an_outcome(str(n), instrument, answers, source="portal" if n % 2 else "clinic")
        for n, (instrument, answers) in enumerate(ALL_INSTRUMENTS, start=20)
    ]
    result = import_bundle(export_bundle(record, timestamp=TIMESTAMP))
    expected = [{k: v for k, v in o.items() if k != "id"} for o in record["outcomes"]]
    assert result.outcomes == expected
    assert result.outcomes[0]["answers"][4] is None


def test_the_latest_exams_findings_are_imported() -> None:
    older = an_exam("2", "2026-10-01T09:00:00+00:00", a_case({**LEFT_STRAIN, "onset_days": 2}))
    newer = an_exam("3", "2026-11-10T09:00:00+00:00", a_case(EVERY_TYPE))
    record = a_record([newer, older])  # not in date order: the effective time decides
    result = import_bundle(export_bundle(record, timestamp=TIMESTAMP))
    assert result.findings == EVERY_TYPE
    assert any("earlier exam" in why for why in result.ignored)


def test_what_is_not_imported_is_listed_with_the_reason(runner_bundle: dict[str, Any]) -> None:
    ignored = import_bundle(runner_bundle).ignored
    assert "Encounter visit-9: Encounter is not imported" in ignored
    assert any(why.startswith("CarePlan plan-7") for why in ignored)
    assert any(why.startswith("Observation outcome-5: score re-computed") for why in ignored)


def test_a_foreign_ehr_bundle_is_imported() -> None:
    bundle = json.loads((FIXTURES / "foreign_ehr_searchset.json").read_text())
    result = import_bundle(bundle)
    assert result.patient["given_name"] == "Grace Ngozi"
    assert result.patient["family_name"] == "Okafor"
    assert result.patient["sex"] == "female"
    assert result.patient["pregnant"] is None
    assert result.patient["medications"] == ["Eliquis 5 mg bd"]
    assert result.findings == {"slr_left_deg": 45, "slr_left_response": "leg_pain_below_knee"}
    assert result.outcomes == [
        {
            "instrument": "nprs",
            "answers": [7],
            "score": 7,
            "taken": "2026-10-02T14:30:00-04:00",
            "source": "clinic",
        }
    ]
    assert "Observation glucose-1: its code is not one weizhong imports" in result.ignored
    assert any(why.startswith("Condition dx-1") for why in result.ignored)


def test_a_score_without_answers_is_kept_without_answers() -> None:
    bundle = json.loads((FIXTURES / "foreign_ehr_searchset.json").read_text())
    odi = copy.deepcopy(bundle["entry"][2])
    odi["resource"]["id"] = "odi-1"
    odi["resource"]["code"] = {"coding": [{"system": INSTRUMENT_SYSTEM, "code": "odi"}]}
    odi["resource"].pop("valueInteger")
    odi["resource"]["valueQuantity"] = {"value": 34.0}
    bundle["entry"].append(odi)
    outcomes = import_bundle(bundle).outcomes
    assert outcomes[-1]["instrument"] == "odi"
    assert outcomes[-1]["answers"] is None
    assert outcomes[-1]["score"] == 34


# --------------------------------------------------------------------------- bad bundles


def foreign() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads((FIXTURES / "foreign_ehr_searchset.json").read_text())
    return bundle


def with_observation(value: dict[str, Any], code: str = "slr_left_deg") -> dict[str, Any]:
    bundle = foreign()
    resource = bundle["entry"][3]["resource"]
    resource["code"] = {"coding": [{"system": FINDING_SYSTEM, "code": code}]}
    resource.pop("valueQuantity")
    resource.update(value)
    return bundle


def without_patient() -> dict[str, Any]:
    bundle = foreign()
    del bundle["entry"][0]
    return bundle


def with_two_patients() -> dict[str, Any]:
    bundle = foreign()
    twin = copy.deepcopy(bundle["entry"][0])
    twin["resource"]["id"] = "pat-9"
    bundle["entry"].append(twin)
    return bundle


def with_broken_resource() -> dict[str, Any]:
    bundle = foreign()
    bundle["entry"][2]["resource"]["effectiveDateTime"] = "last Tuesday"
    return bundle


ANGLE = {"valueQuantity": {"value": 200, "system": "http://unitsofmeasure.org", "code": "deg"}}
BAD_BUNDLES = [
    pytest.param(["a", "list"], "invalid", "Bundle", "JSON object", id="not-an-object"),
    pytest.param(
        {"resourceType": "Patient"}, "invalid", "Bundle.resourceType", "Bundle", id="not-a-bundle"
    ),
    pytest.param(
        {**foreign(), "type": "history"}, "not-supported", "Bundle.type", "history", id="history"
    ),
    pytest.param(without_patient(), "required", "Bundle.entry", "no Patient", id="no-patient"),
    pytest.param(
        with_two_patients(), "invalid", "Bundle.entry[8].resource", "2 Patient", id="two-patients"
    ),
    pytest.param(
        with_observation({"valueInteger": 40}, code="slr_left_degrees"),
        "not-supported",
        "Bundle.entry[3].resource.code.coding[0].code",
        "'slr_left_degrees' is not a weizhong finding",
        id="unknown-finding",
    ),
    pytest.param(
        with_observation({"valueString": "positive"}, code="runner"),
        "value",
        "Bundle.entry[3].resource.value[x]",
        "valueBoolean",
        id="wrong-value-type",
    ),
    pytest.param(
        with_observation(ANGLE),
        "value",
        "Bundle.entry[3].resource.valueQuantity.value",
        "200 is outside 0–180 degrees",
        id="angle-out-of-range",
    ),
    pytest.param(
        with_broken_resource(),
        "invalid",
        "Bundle.entry[2].resource.effectiveDateTime",
        "Observation pain-1",
        id="unparseable-resource",
    ),
]


@pytest.mark.parametrize(("bundle", "code", "expression", "words"), BAD_BUNDLES)
def test_a_bad_bundle_gets_an_operation_outcome_naming_the_place(
    bundle: Any, code: str, expression: str, words: str
) -> None:
    with pytest.raises(FhirImportError) as raised:
        import_bundle(bundle)
    outcome = raised.value.outcome
    OperationOutcome.model_validate(outcome)
    assert outcome["resourceType"] == "OperationOutcome"
    issue = next(i for i in outcome["issue"] if i["expression"] == [expression])
    assert issue["severity"] == "error"
    assert issue["code"] == code
    assert words in issue["diagnostics"]


def test_every_problem_of_a_bundle_is_reported_at_once() -> None:
    bundle = with_observation(ANGLE)
    bundle["entry"][4]["resource"]["valueCodeableConcept"]["coding"][0]["code"] = "tingling"
    bundle["entry"][2]["resource"]["valueInteger"] = 14
    bundle["entry"][0]["resource"]["gender"] = "robot"
    with pytest.raises(FhirImportError) as raised:
        import_bundle(bundle)
    issues = raised.value.outcome["issue"]
    places = {i["expression"][0] for i in issues}
    assert "Bundle.entry[0].resource.gender" in places
    assert "Bundle.entry[2].resource.valueInteger" in places
    assert "Bundle.entry[3].resource.valueQuantity.value" in places
    assert "Bundle.entry[4].resource.valueCodeableConcept.coding[0].code" in places
    assert len(issues) == 4
    OperationOutcome.model_validate(raised.value.outcome)


def test_a_bad_list_item_points_at_its_component() -> None:
    bundle = export_bundle(sided_record(EVERY_TYPE), timestamp=TIMESTAMP)
    entry = next(
        n for n, e in enumerate(bundle["entry"]) if e["resource"]["id"] == "exam-3-trigger-points"
    )
    component = bundle["entry"][entry]["resource"]["component"][1]
    component["code"]["coding"][0]["code"] = "hamstring_left"
    with pytest.raises(FhirImportError) as raised:
        import_bundle(bundle)
    (issue,) = raised.value.outcome["issue"]
    assert issue["expression"] == [
        f"Bundle.entry[{entry}].resource.component[1].code.coding[0].code"
    ]
    assert "hamstrings_left" in issue["diagnostics"]  # the suggestion


# --------------------------------------------------------------------------- the code table


def test_every_assessed_condition_has_a_verified_icd10cm_code() -> None:
    table = load_code_table()
    for condition in KNOWLEDGE.conditions:
        codes = table.conditions[condition.id]
        assert codes.icd10cm, condition.id
        for choice in codes.icd10cm:
            assert re.fullmatch(r"[A-Z]\d\d(\.[0-9A-Z]{1,4})?", choice.code.code)
            assert choice.code.code not in table.retired_icd10cm
            assert choice.code.source


def test_an_unverified_code_is_never_exported(tmp_path: Path) -> None:
    from weizhong.fhir.codes import CODES_FILE

    text = CODES_FILE.read_text().replace(
        'code = "279039007"', 'code = "279039007"\nverified = false', 1
    )
    changed = tmp_path / "fhir_codes.toml"
    changed.write_text(text)
    assert load_code_table(changed).conditions["nonspecific_low_back_pain"].snomed == ()
    assert load_code_table().conditions["nonspecific_low_back_pain"].snomed[0].code == "279039007"


# --------------------------------------------------------------------------- property


def finding_strategy(definition: FindingDef) -> st.SearchStrategy[Any]:
    kind = definition.type
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        return st.integers(int(definition.minimum or 0), int(definition.maximum or 0))
    if kind == "number":
        lo, hi = int((definition.minimum or 0) * 10), int((definition.maximum or 0) * 10)
        return st.integers(lo, hi).map(lambda tenths: tenths / 10 if tenths % 10 else tenths // 10)
    if kind == "enum":
        return st.sampled_from(definition.values)
    if kind == "int_list":
        return st.tuples(*[st.integers(0, 1)] * 8, st.integers(0, 4)).map(list)
    if kind == "regions":
        pool = sorted(KNOWLEDGE.vocabulary.regions)
    elif kind == "muscles":
        pool = sorted(KNOWLEDGE.vocabulary.muscles)
    else:
        pool = sorted(definition.level_ids)
    return st.lists(st.sampled_from(pool), unique=True, max_size=4)


def consistent(findings: dict[str, Any]) -> bool:
    return not any(
        findings.get(f"slr_{side}_response") == "none"
        and findings.get(f"slr_{side}_sensitised") is True
        for side in ("left", "right")
    )


FINDINGS = st.fixed_dictionaries(
    {},
    optional={name: finding_strategy(d) for name, d in KNOWLEDGE.findings.items()},
).filter(consistent)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(findings=FINDINGS)
def test_random_valid_findings_survive_the_round_trip(findings: dict[str, Any]) -> None:
    record = sided_record(findings)
    assert import_bundle(export_bundle(record, timestamp=TIMESTAMP)).findings == findings


def test_an_earlier_exams_red_flag_is_inactive_once_a_later_exam_exists() -> None:
    """The latest exam is the current picture: its flags are active, earlier ones are not."""
    flagged = {
        **_RUNNER_FINDINGS_FOR_FLAGS,
        "saddle_anaesthesia": True,
        "bladder_dysfunction": True,
    }
    first = _flag_exam("e1", "2026-10-01T09:00:00+00:00", flagged)
    second = _flag_exam("e2", "2026-11-01T09:00:00+00:00", _RUNNER_FINDINGS_FOR_FLAGS)
    record = {
        "clinic": {"id": "1", "name": "R"},
        "patient": {
            "id": "9",
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1990-01-01",
            "sex": "male",
            "phone": "",
            "email": "",
            "pregnant": False,
            "medications": [],
            "devices": [],
            "conditions": [],
        },
        "exams": [second, first],
        "plans": [],
        "visits": [],
        "outcomes": [],
    }
    flags = [
        e["resource"]
        for e in export_bundle(record)["entry"]
        if e["resource"]["resourceType"] == "Flag"
    ]
    assert flags and all(f["status"] == "inactive" for f in flags)
    assert all(f["period"]["end"].startswith("2026-11-01T09:00:00") for f in flags)
    record["exams"] = [first]
    flags = [
        e["resource"]
        for e in export_bundle(record)["entry"]
        if e["resource"]["resourceType"] == "Flag"
    ]
    assert flags and all(f["status"] == "active" and "end" not in f["period"] for f in flags)


_RUNNER_FINDINGS_FOR_FLAGS = json.loads(
    (
        Path(__file__).resolve().parent.parent / "weizhong/examples/runner_tight_hamstrings.json"
    ).read_text()
)["findings"]


def _flag_exam(ident: str, created: str, findings: dict[str, Any]) -> dict[str, Any]:
    raw = {"format": "weizhong.case/1", "patient": {"sex": "male"}, "findings": findings}
    return {
        "id": ident,
        "created": created,
        "clinician": "x",
        "case": raw,
        "assessment": assess(validate_case(raw)),
    }
