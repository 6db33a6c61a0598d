"""Issue 14: FHIR import and decision support read only what may be relied on. A result marked
entered-in-error or cancelled, or about another patient, never raises a red flag; duplicates are
read once; leniently, one malformed resource never hides a red flag found in another."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.test_fhir import TIMESTAMP, red_flag_record
from weizhong.fhir import FhirImportError, export_bundle, import_bundle
from weizhong.fhir.codes import FINDING_SYSTEM


def _bundle() -> dict[str, Any]:
    return export_bundle(red_flag_record(), timestamp=TIMESTAMP)


def _finding_observation(bundle: dict[str, Any], finding: str) -> dict[str, Any]:
    for entry in bundle["entry"]:
        resource = entry["resource"]
        codes = resource.get("code", {}).get("coding", [])
        if resource["resourceType"] == "Observation" and any(
            c.get("system") == FINDING_SYSTEM and c.get("code") == finding for c in codes
        ):
            return resource
    raise AssertionError(f"no Observation for {finding}")


def test_the_exported_red_flag_is_read_when_final() -> None:
    result = import_bundle(_bundle())
    assert result.findings["saddle_anaesthesia"] is True
    assert result.preliminary == []


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "registered", "unknown"])
def test_a_result_that_may_not_be_relied_on_is_ignored_and_listed(status: str) -> None:
    bundle = _bundle()
    observation = _finding_observation(bundle, "saddle_anaesthesia")
    observation["status"] = status
    result = import_bundle(bundle)
    assert "saddle_anaesthesia" not in result.findings
    assert result.findings["bladder_dysfunction"] is True  # the other result still counts
    assert any(status in text for text in result.ignored)
    outcome = OperationOutcome.model_validate(result.outcome())
    assert any(status in (i.diagnostics or "") for i in outcome.issue)
    assert {i.severity for i in outcome.issue} == {"information"}


def test_a_preliminary_result_is_used_and_marked_preliminary() -> None:
    bundle = _bundle()
    _finding_observation(bundle, "saddle_anaesthesia")["status"] = "preliminary"
    result = import_bundle(bundle)
    assert result.findings["saddle_anaesthesia"] is True
    assert result.preliminary == ["saddle_anaesthesia"]


@pytest.mark.parametrize(
    "reference", ["Patient/someone-else", "http://other.example/fhir/Patient/77", "urn:uuid:1"]
)
def test_a_result_about_another_patient_is_ignored(reference: str) -> None:
    bundle = _bundle()
    _finding_observation(bundle, "saddle_anaesthesia")["subject"] = {"reference": reference}
    result = import_bundle(bundle)
    assert "saddle_anaesthesia" not in result.findings
    assert any(reference in text for text in result.ignored)


def test_a_result_that_names_this_patient_by_full_url_is_read() -> None:
    bundle = _bundle()
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    observation = _finding_observation(bundle, "saddle_anaesthesia")
    observation["subject"] = {
        "reference": f"https://ehr.example/fhir/Patient/{patient['resource']['id']}"
    }
    assert import_bundle(bundle).findings["saddle_anaesthesia"] is True


def test_the_same_result_sent_twice_is_read_once() -> None:
    bundle = _bundle()
    observation = _finding_observation(bundle, "saddle_anaesthesia")
    twin = copy.deepcopy(observation)
    twin["id"] = f"{observation['id']}-copy"
    bundle["entry"].append({"fullUrl": f"urn:uuid:{twin['id']}", "resource": twin})
    result = import_bundle(bundle)
    assert result.findings["saddle_anaesthesia"] is True
    assert any("repeats" in text for text in result.ignored)


def test_two_results_that_disagree_stop_a_strict_import_but_decision_support_keeps_the_alarm() -> (
    None
):
    bundle = _bundle()
    observation = _finding_observation(bundle, "saddle_anaesthesia")
    twin = copy.deepcopy(observation)
    twin["id"] = f"{observation['id']}-no"
    twin["valueBoolean"] = False
    bundle["entry"].append({"fullUrl": f"urn:uuid:{twin['id']}", "resource": twin})
    with pytest.raises(FhirImportError, match="recorded twice"):
        import_bundle(bundle)
    assert import_bundle(bundle, lenient=True).findings["saddle_anaesthesia"] is True


def test_a_malformed_resource_never_hides_a_red_flag_in_decision_support() -> None:
    bundle = _bundle()
    bundle["entry"].append(
        {"resource": {"resourceType": "Observation", "status": "final", "code": "not a concept"}}
    )
    bundle["entry"].append({"resource": {"resourceType": "OperationOutcome", "issue": []}})
    with pytest.raises(FhirImportError):
        import_bundle(bundle)  # an import into the record refuses it whole
    result = import_bundle(bundle, lenient=True)
    assert result.findings["saddle_anaesthesia"] is True
    assert any("not read" in text for text in result.ignored)


def test_a_value_the_case_format_refuses_is_set_aside_in_decision_support() -> None:
    bundle = _bundle()
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Observation",
                "id": "bad-nprs",
                "status": "final",
                "code": {"coding": [{"system": FINDING_SYSTEM, "code": "nprs"}]},
                "effectiveDateTime": _finding_observation(bundle, "saddle_anaesthesia")[
                    "effectiveDateTime"
                ],
                "valueInteger": 42,
            }
        }
    )
    with pytest.raises(FhirImportError):
        import_bundle(bundle)
    result = import_bundle(bundle, lenient=True)
    assert result.findings["saddle_anaesthesia"] is True and "nprs" not in result.findings
