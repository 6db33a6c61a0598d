"""The JSON API: tokens, the same permissions as the pages, clear 422s, idempotent writes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from weizhong.clinic.actions import do_create_api_token
from weizhong.clinic.models import ApiToken, Exam, Outcome, Patient, Plan, Visit

from .conftest import runner_findings

API = "/api/v1"


class Api:
    """A client that sends the bearer token and JSON."""

    def __init__(self, key: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path: str) -> Any:
        return self.client.get(API + path, headers=self.headers)

    def post(self, path: str, data: Any = None) -> Any:
        return self.client.post(
            API + path, data or {}, content_type="application/json", headers=self.headers
        )

    def put(self, path: str, data: Any, if_match: str | None = None) -> Any:
        headers = {**self.headers, **({"If-Match": if_match} if if_match else {})}
        return self.client.put(API + path, data, content_type="application/json", headers=headers)


@pytest.fixture
def api(clinician: Any) -> Api:
    return Api(do_create_api_token(user=clinician, name="tests")[1])


@pytest.fixture
def desk_api(desk: Any) -> Api:
    return Api(do_create_api_token(user=desk, name="tests")[1])


@pytest.fixture
def stranger_api(stranger: Any) -> Api:
    return Api(do_create_api_token(user=stranger, name="tests")[1])


NEW_PATIENT = {
    "given_name": "Li",
    "family_name": "Wei",
    "birth_date": "1980-05-02",
    "sex": "male",
    "medications": ["warfarin"],
    "devices": ["pacemaker"],
}


def test_token_is_stored_only_as_a_digest(clinician: Any) -> None:
    token, key = do_create_api_token(user=clinician, name="x")
    assert key.startswith("wz_") and key not in (token.digest, token.prefix)
    assert ApiToken.objects.filter(digest=token.digest).count() == 1


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc", "Bearer "])
def test_no_valid_token_no_data(patient: Patient, header: str | None) -> None:
    client = Client()
    headers = {"Authorization": header} if header else {}
    response = client.get(f"{API}/patients/{patient.pk}", headers=headers)
    assert response.status_code == 401


def test_revoked_token_stops_working(api: Api, clinician: Any, patient: Patient) -> None:
    assert api.get(f"/patients/{patient.pk}").status_code == 200
    from django.utils import timezone

    ApiToken.objects.update(revoked=timezone.now())
    assert api.get(f"/patients/{patient.pk}").status_code == 401


def test_create_and_read_a_patient(api: Api, clinic: Any) -> None:
    response = api.post("/patients", NEW_PATIENT)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["medications"] == ["warfarin"] and body["devices"] == ["pacemaker"]
    assert Patient.objects.get(pk=body["id"]).clinic == clinic
    assert api.get("/patients?q=wei").json()[0]["id"] == body["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"sex": "robot"}, "sex"),
        ({"devices": ["jetpack"]}, "devices"),
        ({"given_name": ""}, "given_name"),
        ({"birth_date": "not a date"}, "birth_date"),
    ],
)
def test_bad_patient_gets_422_naming_the_field(
    api: Api, change: dict[str, Any], field: str
) -> None:
    response = api.post("/patients", {**NEW_PATIENT, **change})
    assert response.status_code == 422
    locs = [problem["loc"] for problem in response.json()["detail"]]
    assert any(field in loc for loc in locs), locs
    assert not Patient.objects.filter(family_name="Wei").exists()


def test_case_is_stored_and_assessed_once(api: Api, patient: Patient) -> None:
    key = str(uuid.uuid4())
    first = api.post(
        f"/patients/{patient.pk}/cases", {"findings": runner_findings(), "idempotency_key": key}
    )
    assert first.status_code == 201
    body = first.json()
    assert body["assessment"]["differential"][0]["condition"] == "hamstring_tightness"
    again = api.post(
        f"/patients/{patient.pk}/cases", {"findings": runner_findings(), "idempotency_key": key}
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Exam.objects.count() == 1


def test_bad_case_names_each_finding(api: Api, patient: Patient) -> None:
    response = api.post(
        f"/patients/{patient.pk}/cases", {"findings": {"slr_left_deg": 300, "ake_lefty_deg": 3}}
    )
    assert response.status_code == 422
    locs = [p["loc"][-1] for p in response.json()["detail"]]
    assert "slr_left_deg" in locs and "ake_lefty_deg" in locs
    assert not Exam.objects.exists()


def test_assess_without_storing(api: Api) -> None:
    case = {"format": "weizhong.case/1", "patient": {"age": 30}, "findings": runner_findings()}
    response = api.post("/assess", case)
    assert response.status_code == 200
    assert response.json()["differential"][0]["condition"] == "hamstring_tightness"
    assert not Exam.objects.exists()
    assert api.post("/assess", {"findings": {"fever": "maybe"}}).status_code == 422


def test_plan_visit_note_and_outcome(api: Api, exam: Exam) -> None:
    plan = api.post(f"/cases/{exam.pk}/plans", {"remove_points": ["BL36"], "visits_per_week": 3})
    assert plan.status_code == 201, plan.content
    assert plan.json()["version"] == 1 and plan.json()["visits_per_week"] == 3
    bad = api.post(f"/cases/{exam.pk}/plans", {"add_points": ["BL99"]})
    assert bad.status_code == 422 and "BL99" in bad.json()["detail"][0]["msg"]
    no_reason = api.post(f"/cases/{exam.pk}/plans", {"overrides": {"pacemaker_no_electro": "ok"}})
    assert no_reason.status_code == 422
    assert Plan.objects.count() == 1

    key = str(uuid.uuid4())
    visit = api.post(
        f"/patients/{exam.patient_id}/visits",
        {"points": ["BL40:both"], "contact_minutes": 30, "idempotency_key": key},
    )
    assert visit.status_code == 201, visit.content
    assert "Needled: BL40:both" in visit.json()["note"]["plan"]
    assert (
        api.post(
            f"/patients/{exam.patient_id}/visits", {"points": ["BL40:both"], "idempotency_key": key}
        ).status_code
        == 200
    )
    assert Visit.objects.count() == 1
    visit_id = visit.json()["id"]
    assert api.post(f"/visits/{visit_id}/amendments", {"text": "too early"}).status_code == 409
    assert api.post(f"/visits/{visit_id}/sign").status_code == 200
    assert api.post(f"/visits/{visit_id}/sign").status_code == 409
    tag = api.get(f"/visits/{visit_id}")["ETag"]
    signed = api.put(f"/visits/{visit_id}/note", {"subjective": "rewrite"}, if_match=tag)
    assert signed.status_code == 409
    amended = api.post(f"/visits/{visit_id}/amendments", {"text": "AKE was 32°, not 30°."})
    assert amended.status_code == 201
    assert amended.json()["note"]["amendments"][0]["text"] == "AKE was 32°, not 30°."

    bad_visit = api.post(f"/patients/{exam.patient_id}/visits", {"points": ["XX1"]})
    assert bad_visit.status_code == 422 and bad_visit.json()["detail"][0]["loc"] == [
        "body",
        "points",
    ]

    score = api.post(
        f"/patients/{exam.patient_id}/outcomes", {"instrument": "nprs", "answers": [6]}
    )
    assert score.status_code == 201 and score.json()["score"] == 6
    wrong = api.post(
        f"/patients/{exam.patient_id}/outcomes", {"instrument": "nprs", "answers": [12]}
    )
    assert wrong.status_code == 422
    assert Outcome.objects.count() == 1


def test_front_desk_reaches_patients_not_clinical_data(desk_api: Api, exam: Exam) -> None:
    assert desk_api.get(f"/patients/{exam.patient_id}").status_code == 200
    assert desk_api.get(f"/cases/{exam.pk}").status_code == 403
    assert desk_api.get(f"/patients/{exam.patient_id}/visits").status_code == 403
    assert desk_api.post(f"/patients/{exam.patient_id}/cases", {"findings": {}}).status_code == 403


def test_another_clinic_finds_nothing(stranger_api: Api, exam: Exam, plan: Plan) -> None:
    for path in (
        f"/patients/{exam.patient_id}",
        f"/cases/{exam.pk}",
        f"/plans/{plan.pk}",
        f"/patients/{exam.patient_id}/visits",
        f"/patients/{exam.patient_id}/outcomes",
    ):
        assert stranger_api.get(path).status_code == 404, path
    assert stranger_api.get("/patients").json() == []
    change = stranger_api.put(f"/patients/{exam.patient_id}", {**NEW_PATIENT})
    assert change.status_code == 404


def test_openapi_schema_and_docs_are_served(api: Api) -> None:
    schema = Client().get(f"{API}/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert f"{API}/patients" in paths and f"{API}/patients/{{patient_id}}/visits" in paths
    docs = Client().get(f"{API}/docs").content.decode()
    assert "cdn" not in docs.lower()  # served by the app: works offline


def test_note_edits_need_the_current_etag(api: Api, visit: Visit) -> None:
    path = f"/visits/{visit.pk}/note"
    assert api.put(path, {"subjective": "no precondition"}).status_code == 428
    first = api.get(f"/visits/{visit.pk}")["ETag"]
    saved = api.put(path, {"subjective": "first edit"}, if_match=first)
    assert saved.status_code == 200 and saved["ETag"] != first
    stale = api.put(path, {"subjective": "edit from an old copy"}, if_match=first)
    assert stale.status_code == 412 and stale["ETag"] == saved["ETag"]
    assert api.put(path, {"subjective": "x"}, if_match='"something else"').status_code == 412
    visit.note.refresh_from_db()
    assert visit.note.subjective == "first edit"  # the stale copy overwrote nothing
    again = api.put(path, {"subjective": "second edit"}, if_match=saved["ETag"])
    assert again.status_code == 200


@pytest.mark.parametrize("body", ["[]", "42", '"text"', "null", "[[[[]]]]"])
def test_a_body_that_is_not_an_object_is_refused(api: Api, patient: Patient, body: str) -> None:
    response = api.client.post(
        f"{API}/patients/{patient.pk}/visits",
        body,
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 422
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    "kind", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
def test_json_must_say_it_is_json(api: Api, patient: Patient, kind: str) -> None:
    response = api.client.post(
        f"{API}/patients/{patient.pk}/visits",
        '{"points": []}',
        content_type=kind,
        headers=api.headers,
    )
    assert response.status_code == 415
    assert not Visit.objects.exists()


def test_broken_json_is_a_400(api: Api, patient: Patient) -> None:
    response = api.client.post(
        f"{API}/patients/{patient.pk}/visits",
        '{"points": [',
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 400 and "not valid JSON" in response.json()["detail"]
