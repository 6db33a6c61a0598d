"""The CDS Hooks service acts only on what may be relied on (issue 14): a retracted result or
another patient's never raises a card, a malformed or duplicated resource or an
OperationOutcome in the prefetch never costs a red flag, and the answer says what was set aside
and which findings were preliminary."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .conftest import runner_findings
from .test_cds import call, check_card, prefetch_for, request_for

CAUDA_EQUINA = {**runner_findings(), "saddle_anaesthesia": True, "bladder_dysfunction": True}
RED_FLAG_CODES = ("saddle_anaesthesia", "bladder_dysfunction")
OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "timeout", "diagnostics": "the search timed out"}],
}


def observations(prefetch: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in prefetch["observations"]["entry"]]


def about(prefetch: dict[str, Any], codes: tuple[str, ...]) -> list[dict[str, Any]]:
    return [o for o in observations(prefetch) if o["code"]["coding"][0]["code"] in codes]


def answer(prefetch: dict[str, Any]) -> dict[str, Any]:
    response = call(request_for(prefetch))
    assert response.status_code == 200, response.content[:400]
    body: dict[str, Any] = response.json()
    for card in body["cards"]:
        check_card(card)
    return body


def critical(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in body["cards"] if c["indicator"] == "critical"]


def not_used(body: dict[str, Any]) -> dict[str, Any]:
    (card,) = [c for c in body["cards"] if "not used" in c["summary"]]
    assert card["indicator"] == "info"
    return card


def test_the_cauda_equina_card_from_final_results(db: Any) -> None:
    body = answer(prefetch_for(CAUDA_EQUINA))
    (card,) = critical(body)
    assert "cauda equina" in card["summary"].lower()
    assert "preliminary" not in card["detail"].lower()
    assert "extension" not in body  # nothing was set aside


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "registered", "unknown"])
def test_a_retracted_result_never_raises_the_emergency_card(db: Any, status: str) -> None:
    prefetch = prefetch_for(CAUDA_EQUINA)
    for observation in about(prefetch, RED_FLAG_CODES):
        observation["status"] = status
    body = answer(prefetch)
    assert critical(body) == []
    card = not_used(body)
    assert f"status '{status}'" in card["detail"]
    assert "saddle" in card["detail"]
    notes = body["extension"]["dev.weizhong.not-used"]
    assert notes["resourceType"] == "OperationOutcome"
    assert any(status in issue["diagnostics"] for issue in notes["issue"])


def test_another_patients_result_never_raises_a_card(db: Any) -> None:
    prefetch = prefetch_for(CAUDA_EQUINA)
    for observation in about(prefetch, RED_FLAG_CODES):
        observation["subject"] = {"reference": "Patient/someone-else"}
    body = answer(prefetch)
    assert critical(body) == []
    assert "Patient/someone-else" in not_used(body)["detail"]


def test_a_prefetched_patient_who_is_not_the_context_patient_is_refused(db: Any) -> None:
    prefetch = prefetch_for(CAUDA_EQUINA)
    prefetch["patient"]["id"] = "p2"
    response = call(request_for(prefetch))
    assert response.status_code == 412
    assert "context.patientId" in response.json()["error"]


def test_a_malformed_resource_never_costs_the_red_flag(db: Any) -> None:
    prefetch = prefetch_for(CAUDA_EQUINA)
    other = next(o for o in observations(prefetch) if o not in about(prefetch, RED_FLAG_CODES))
    other["valueBoolean"] = "perhaps"
    other.pop("valueQuantity", None)
    body = answer(prefetch)
    assert "cauda equina" in critical(body)[0]["summary"].lower()
    assert "not valid R4" in not_used(body)["detail"]


def test_a_duplicated_observation_never_fails_the_call(db: Any) -> None:
    prefetch = prefetch_for(CAUDA_EQUINA)
    entries = prefetch["observations"]["entry"]
    entries += copy.deepcopy(entries[:5])
    entries.append(
        copy.deepcopy(
            next(e for e in entries if e["resource"]["id"].endswith("saddle-anaesthesia"))
        )
    )
    body = answer(prefetch)
    assert "cauda equina" in critical(body)[0]["summary"].lower()


def test_an_operation_outcome_instead_of_the_observations(db: Any) -> None:
    prefetch = prefetch_for(CAUDA_EQUINA)
    prefetch["observations"] = OUTCOME
    body = answer(prefetch)
    assert critical(body) == []
    assert "the search timed out" in not_used(body)["detail"]


def test_an_operation_outcome_among_the_observations(db: Any) -> None:
    prefetch = prefetch_for(CAUDA_EQUINA)
    prefetch["observations"]["entry"].insert(
        0, {"resource": OUTCOME, "search": {"mode": "outcome"}}
    )
    body = answer(prefetch)
    assert "cauda equina" in critical(body)[0]["summary"].lower()
    assert "the search timed out" in not_used(body)["detail"]


def test_an_operation_outcome_instead_of_the_patient_still_reads_the_findings(db: Any) -> None:
    prefetch = prefetch_for(CAUDA_EQUINA)
    prefetch["patient"] = OUTCOME
    body = answer(prefetch)
    assert "cauda equina" in critical(body)[0]["summary"].lower()
    assert "Patient: the EHR could not give it" in not_used(body)["detail"]


def test_preliminary_findings_are_marked_in_the_card(db: Any) -> None:
    prefetch = prefetch_for(CAUDA_EQUINA)
    for observation in about(prefetch, ("saddle_anaesthesia",)):
        observation["status"] = "preliminary"
    (card,) = critical(answer(prefetch))
    assert "saddle anaesthesia (preliminary)" in card["detail"]
    assert "Preliminary results (not yet final) were used: saddle anaesthesia" in card["detail"]


def test_quiet_and_unremarked_when_everything_was_used(db: Any) -> None:
    findings = {"onset_days": 30, "pain_regions": ["low_back"], "slr_left_deg": 85,
                "slr_left_response": "none"}  # fmt: skip
    assert answer(prefetch_for(findings)) == {"cards": []}
