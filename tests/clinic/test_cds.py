"""The CDS Hooks service against the specification's required fields, with requests built the
way an EHR sends them (a Patient and a searchset of Observations in the prefetch)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from django.test import Client

from weizhong.case import validate_case
from weizhong.fhir.export import export_bundle
from weizhong.reasoning.assessment import assess

from .cds_signing import signed_post
from .conftest import runner_findings

URL = "/cds-services/weizhong-back-pain"


def prefetch_for(findings: dict[str, Any], sex: str = "male") -> dict[str, Any]:
    raw = {"format": "weizhong.case/1", "patient": {"sex": sex}, "findings": findings}
    record = {
        "clinic": {"id": "1", "name": "EHR"},
        "patient": {"id": "p1", "given_name": "A", "family_name": "B", "birth_date": "1990-01-01",
                    "sex": sex, "phone": "", "email": "", "pregnant": False, "medications": [],
                    "devices": [], "conditions": []},
        "exams": [{"id": "e1", "created": "2026-11-10T09:00:00+00:00", "clinician": "x",
                   "case": raw, "assessment": assess(validate_case(raw))}],
        "plans": [], "visits": [], "outcomes": [],
    }  # fmt: skip
    bundle = export_bundle(record)
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    observations = [
        {"resource": e["resource"]}
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    ]
    return {
        "patient": patient,
        "observations": {"resourceType": "Bundle", "type": "searchset", "entry": observations},
    }


def request_for(prefetch: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def call(
    body: Any,
    client: Client | None = None,
    fhir_servers: Sequence[str] = (),
    base: str = "http://testserver",
) -> Any:
    """The hook called as the trusted test EHR calls it: a fresh token signed for the endpoint
    at ``base`` each time."""
    return signed_post(URL, body, client=client, fhir_servers=fhir_servers, base=base)


def check_card(card: dict[str, Any]) -> None:
    """The fields CDS Hooks 2.0 requires of a card."""
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert card["source"]["label"]
    uuid.UUID(card["uuid"])
    for suggestion in card.get("suggestions", []):
        assert suggestion["label"]
        for action in suggestion["actions"]:
            assert action["type"] in ("create", "update", "delete")
    for link in card.get("links", []):
        assert link["label"] and link["url"] and link["type"] in ("absolute", "smart")


def test_discovery_lists_the_service(db: Any) -> None:
    response = Client().get("/cds-services")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    (service,) = response.json()["services"]
    assert service["hook"] == "patient-view" and service["id"] == "weizhong-back-pain"
    assert service["description"] and "{{context.patientId}}" in service["prefetch"]["patient"]


def test_hamstring_picture_gets_an_info_card(db: Any) -> None:
    response = call(request_for(prefetch_for(runner_findings())))
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    check_card(card)
    assert card["indicator"] == "info"
    assert "hamstrings" in card["summary"]
    # The hamstring-length sign that counted: within its group only the strongest counts, and
    # the AKE cut-offs (from 18-24-year-olds) count at reduced weight at the runner's age.
    assert "straight leg raise" in card["detail"]
    assert card["suggestions"][0]["actions"][0]["resource"]["resourceType"] == "ServiceRequest"


def test_red_flag_gets_a_critical_card_first(db: Any) -> None:
    findings = {**runner_findings(), "saddle_anaesthesia": True, "bladder_dysfunction": True}
    cards = call(request_for(prefetch_for(findings))).json()["cards"]
    for card in cards:
        check_card(card)
    assert cards[0]["indicator"] == "critical"
    assert "cauda equina" in cards[0]["summary"].lower()
    assert "emergency" in cards[0]["detail"].lower()
    # The referral stands alone: no "short hamstrings" suggestion beside an emergency.
    assert [c["indicator"] for c in cards] == ["critical"]


def test_quiet_when_nothing_stands_out(db: Any) -> None:
    findings = {"onset_days": 30, "pain_regions": ["low_back"], "slr_left_deg": 85,
                "slr_left_response": "none"}  # fmt: skip
    assert call(request_for(prefetch_for(findings))).json() == {"cards": []}


def test_missing_prefetch_is_412(db: Any) -> None:
    assert call(request_for(None)).status_code == 412
    assert call(request_for({"observations": None})).status_code == 412


def test_null_observations_still_answer(db: Any) -> None:
    prefetch = prefetch_for(runner_findings())
    prefetch["observations"] = None
    response = call(request_for(prefetch))
    assert response.status_code == 200 and response.json() == {"cards": []}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", "not valid JSON"),
        ([], "JSON object"),
        ({"hook": "order-select"}, "hook must be 'patient-view'"),
        ({"hook": "patient-view", "hookInstance": "x"}, "hookInstance must be a UUID"),
        ({"hook": "patient-view", "hookInstance": str(uuid.uuid4())}, "context.patientId"),
    ],
)
def test_bad_requests_get_clear_400s(db: Any, body: Any, words: str) -> None:
    response = call(body)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_bad_fhir_in_the_prefetch_is_set_aside_and_said(db: Any) -> None:
    """Decision support reads what it can: the malformed Observation is set aside, named in an
    information card and in the answer's OperationOutcome (tests/clinic/test_cds_trust.py)."""
    prefetch = prefetch_for(runner_findings())
    prefetch["observations"]["entry"][0]["resource"]["valueBoolean"] = "perhaps"
    response = call(request_for(prefetch))
    assert response.status_code == 200
    body = response.json()
    assert body["extension"]["dev.weizhong.not-used"]["resourceType"] == "OperationOutcome"
    assert any("not valid R4" in card["detail"] for card in body["cards"])


def test_cors_preflight_and_wrong_methods(db: Any) -> None:
    client = Client()
    preflight = client.options(
        URL, headers={"Origin": "https://ehr.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
    assert client.get(URL).status_code == 405
    assert (
        client.post(URL, "x=1", content_type="application/x-www-form-urlencoded").status_code == 415
    )
    assert (
        client.post("/cds-services/nope", "{}", content_type="application/json").status_code == 404
    )


def test_card_when_the_next_tests_start_with_red_flag_questions(db: Any) -> None:
    """An older patient, a recent onset: the next tests begin with red-flag questions (this
    crashed the card once; the bench found it)."""
    findings = {**runner_findings(), "onset_days": 5}
    for question in ("unexplained_weight_loss", "night_pain_unremitting", "fever"):
        findings.pop(question, None)
    prefetch = prefetch_for(findings)
    prefetch["patient"]["birthDate"] = "1950-01-01"
    response = call(request_for(prefetch))
    assert response.status_code == 200, response.content[:300]
    for card in response.json()["cards"]:
        check_card(card)


def test_an_unscreened_cauda_equina_picture_gets_a_warning_card_and_no_treatment_card(
    db: Any,
) -> None:
    findings = {**runner_findings(), "paresthesia": True, "pain_regions": ["low_back", "calf_left"]}
    for question in ("saddle_anaesthesia", "bladder_dysfunction", "bowel_dysfunction"):
        findings.pop(question, None)
    (card,) = call(request_for(prefetch_for(findings))).json()["cards"]
    check_card(card)
    assert card["indicator"] == "warning"
    assert "cauda equina" in card["summary"]
    assert "saddle" in card["detail"]


def test_the_hooks_only_write_is_the_callers_token_and_its_audit_event(db: Any) -> None:
    """The hook reads and writes no patient data: its one write notes the caller's token (its
    jti, against replay) and records the call in the audit trail, in one short transaction of
    its own. The audit middleware opens no transaction around the whole call: on SQLite that
    transaction (IMMEDIATE) took the write lock for the whole call, and the server's workers
    answered CDS calls one at a time (issue 14)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from weizhong.clinic.actions import interop

    interop._forgotten_at[0] = float("-inf")  # the clear-out of expired tokens runs too
    with CaptureQueriesContext(connection) as queries:
        response = call(request_for(prefetch_for(runner_findings())))
    assert response.status_code == 200 and response.json()["cards"]
    sql = [q["sql"] for q in queries.captured_queries]
    tables = {t for q in sql for t in re.findall(r'(?:FROM|INTO|UPDATE) "(\w+)"', q)}
    assert tables == {"clinic_cdstokenuse", "clinic_audithead", "clinic_auditevent"}, sql
    inserts = [re.findall(r'^INSERT INTO "(\w+)"', q) for q in sql]
    assert inserts.count(["clinic_cdstokenuse"]) == inserts.count(["clinic_auditevent"]) == 1
    assert any(q.startswith('DELETE FROM "clinic_cdstokenuse"') for q in sql)
    with CaptureQueriesContext(connection) as again:
        call(request_for(prefetch_for(runner_findings())))
    assert not any(q["sql"].startswith("DELETE") for q in again.captured_queries)  # once a minute
