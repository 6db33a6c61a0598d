"""Every list field of the API round-trips (issue 14): for every operation of the OpenAPI document
whose request body has an array field, several items are sent and read back, all of them, in
order. (``POST /patients/{id}/visits`` with three points and two diagnoses once stored only the
last of each, and the claim's primary diagnosis became whichever was sent last.)

A new operation with a list field in its body fails :func:`test_every_list_field_is_covered`
until a round trip for it is added to ``ROUND_TRIPS``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from weizhong.clinic.actions import do_create_api_token
from weizhong.clinic.models import Exam, Patient

from .test_api import Api

PATIENT = {"given_name": "Li", "family_name": "Wei", "birth_date": "1980-05-02", "sex": "male"}
MEDICATIONS = ["warfarin", "ibuprofen", "prednisolone"]


def _list_fields(schema: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        schema = schemas[schema["$ref"].split("/")[-1]]
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        options = [prop, *prop.get("anyOf", [])]
        if any(o.get("type") == "array" for o in options):
            fields.append(name)
    return sorted(fields)


def list_operations() -> dict[tuple[str, str], list[str]]:
    """(method, path) → the list fields of its JSON request body, from the OpenAPI document."""
    document = Client().get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    found = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = (operation.get("requestBody") or {}).get("content", {})
            schema = (body.get("application/json") or {}).get("schema")
            if schema and (fields := _list_fields(schema, schemas)):
                found[(method.upper(), path.removeprefix("/api/v1"))] = fields
    return found


# ------------------------------------------------------------------ one round trip per operation


def create_patient(api: Api, ctx: dict[str, Any]) -> set[str]:
    devices = ["pacemaker", "spinal_cord_stimulator"]
    sent = {**PATIENT, "medications": MEDICATIONS, "devices": devices,
            "conditions": ctx["conditions"]}  # fmt: skip
    response = api.post("/patients", sent)
    assert response.status_code == 201, response.content
    back = api.get(f"/patients/{response.json()['id']}").json()
    for name in ("medications", "devices", "conditions"):
        assert back[name] == sent[name], name
    return {"medications", "devices", "conditions"}


def replace_patient(api: Api, ctx: dict[str, Any]) -> set[str]:
    patient = ctx["patient"]
    tag = api.get(f"/patients/{patient.pk}")["ETag"]
    sent = {**PATIENT, "medications": MEDICATIONS[::-1], "devices": ["spinal_cord_stimulator",
            "pacemaker"], "conditions": ctx["conditions"][::-1]}  # fmt: skip
    response = api.put(f"/patients/{patient.pk}", sent, if_match=tag)
    assert response.status_code == 200, response.content
    back = api.get(f"/patients/{patient.pk}").json()
    assert back["medications"] == sent["medications"]
    assert set(back["devices"]) == set(sent["devices"])
    assert set(back["conditions"]) == set(sent["conditions"])
    return {"medications", "devices", "conditions"}


def patch_patient(api: Api, ctx: dict[str, Any]) -> set[str]:
    patient = ctx["patient"]
    tag = api.get(f"/patients/{patient.pk}")["ETag"]
    sent = {"medications": ["naproxen", "warfarin"], "devices": ["pacemaker",
            "spinal_cord_stimulator"], "conditions": ctx["conditions"]}  # fmt: skip
    response = api.client.patch(
        f"/api/v1/patients/{patient.pk}", sent, content_type="application/json",
        headers={**api.headers, "If-Match": tag},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    back = api.get(f"/patients/{patient.pk}").json()
    assert back["medications"] == sent["medications"]
    assert set(back["devices"]) == set(sent["devices"])
    assert set(back["conditions"]) == set(sent["conditions"])
    return {"medications", "devices", "conditions"}


def create_visit(api: Api, ctx: dict[str, Any]) -> set[str]:
    patient = ctx["patient"]
    patient.clinic.provider_id = "1234567893"  # an NPI, so that the visit can be billed
    patient.clinic.save()
    sent = {
        "points": ["BL40:both", "GB30:left", "BL25:right"],
        "diagnoses": ["M54.16", "M62.830"],
        "regions_adjusted": ["lumbar", "sacral", "pelvic"],
        "contact_minutes": 45,
        "trigger_points": [
            {"muscle": "piriformis", "side": "left", "depth_cun": 1.5, "technique": "retained"},
            {"muscle": "quadratus_lumborum", "side": "right", "depth_cun": None,
             "technique": "pistoning"},
            {"muscle": "gluteus_medius", "side": "left", "depth_cun": 1.0,
             "technique": "pressure"},
        ],
        "electro": True,
        "stimulated_increments": [1, 3],
        "reinserted_increments": [2, 3],
        "reinsertions": 2,
    }  # fmt: skip
    response = api.post(f"/patients/{patient.pk}/visits", sent)
    assert response.status_code == 201, response.content
    back = api.get(f"/visits/{response.json()['id']}").json()
    assert back["points"] == sent["points"]
    assert back["diagnoses"] == sent["diagnoses"]  # the primary stays first
    assert back["regions_adjusted"] == sent["regions_adjusted"]
    # pressure has no depth: the third trigger point's depth is dropped
    assert back["trigger_points"] == [*sent["trigger_points"][:2],
                                      {**sent["trigger_points"][2], "depth_cun": None}]  # fmt: skip
    assert back["stimulated_increments"] == [1, 3]
    assert back["reinserted_increments"] == [2, 3]
    bill = api.get(f"/visits/{back['id']}/superbill")
    assert bill.status_code == 200, bill.content
    codes = [d["code"] for d in bill.json()["diagnoses"]]
    assert codes == sent["diagnoses"]  # the claim's primary diagnosis is the one sent first
    return {"points", "diagnoses", "regions_adjusted", "trigger_points",
            "stimulated_increments", "reinserted_increments"}  # fmt: skip


def create_plan(api: Api, ctx: dict[str, Any]) -> set[str]:
    exam: Exam = ctx["exam"]
    first = api.post(f"/cases/{exam.pk}/plans", {}).json()["plan"]
    points = [p["code"] for p in first["acupuncture"]["points"]]
    exercises = [e["id"] for e in first["exercises"]]
    remove_points, remove_exercises = points[:2], exercises[:2]
    add_points = [c for c in ("LI4", "ST36", "SP6") if c not in points][:2]
    sent = {"add_points": add_points, "remove_points": remove_points,
            "add_exercises": [], "remove_exercises": remove_exercises}  # fmt: skip
    response = api.post(f"/cases/{exam.pk}/plans", sent)
    assert response.status_code == 201, response.content
    plan = api.get(f"/plans/{response.json()['id']}").json()["plan"]
    codes = [p["code"] for p in plan["acupuncture"]["points"]]
    assert set(add_points) <= set(codes) and not set(remove_points) & set(codes)
    ids = [e["id"] for e in plan["exercises"]]
    assert not set(remove_exercises) & set(ids)
    # Exercises removed can be added back, several at once.
    again = api.post(f"/cases/{exam.pk}/plans", {"remove_exercises": exercises[:2]}).json()
    back = {"add_exercises": exercises[:2]}
    response = api.post(f"/cases/{exam.pk}/plans", back)
    assert response.status_code == 201, response.content
    assert set(exercises[:2]) <= {e["id"] for e in response.json()["plan"]["exercises"]}
    assert again["id"] != response.json()["id"]
    return {"add_points", "remove_points", "add_exercises", "remove_exercises"}


def score_outcome(api: Api, ctx: dict[str, Any]) -> set[str]:
    patient = ctx["patient"]
    answers = [1, 2, 0, 3, 1, 2, 4, 0, 1, 2]  # the ten ODI sections
    response = api.post(
        f"/patients/{patient.pk}/outcomes", {"instrument": "odi", "answers": answers}
    )
    assert response.status_code == 201, response.content
    listed = api.get(f"/patients/{patient.pk}/outcomes").json()
    assert [o["answers"] for o in listed if o["id"] == response.json()["id"]] == [answers]
    activities = ["Running 5 km", "Sitting through a film", "Lifting my son", "Stairs"]
    psfs = {"instrument": "psfs", "answers": [3, 5, 6, 4], "activities": activities}
    response = api.post(f"/patients/{patient.pk}/outcomes", psfs)
    assert response.status_code == 201, response.content
    listed = api.get(f"/patients/{patient.pk}/outcomes").json()
    assert [o["activities"] for o in listed if o["id"] == response.json()["id"]] == [activities]
    return {"answers", "activities"}


ROUND_TRIPS: dict[tuple[str, str], Callable[[Api, dict[str, Any]], set[str]]] = {
    ("POST", "/patients"): create_patient,
    ("PUT", "/patients/{patient_id}"): replace_patient,
    ("PATCH", "/patients/{patient_id}"): patch_patient,
    ("POST", "/patients/{patient_id}/visits"): create_visit,
    ("POST", "/cases/{exam_id}/plans"): create_plan,
    ("POST", "/patients/{patient_id}/outcomes"): score_outcome,
}


def test_every_list_field_is_covered(db: Any) -> None:
    operations = list_operations()
    assert ("POST", "/patients/{patient_id}/visits") in operations  # the walk finds them
    assert sorted(operations) == sorted(ROUND_TRIPS)


@pytest.mark.parametrize("operation", sorted(ROUND_TRIPS), ids=" ".join)
def test_several_items_of_every_list_field_round_trip(
    operation: tuple[str, str], clinician: Any, patient: Patient, exam: Exam
) -> None:
    from weizhong.clinic.records import services

    api = Api(do_create_api_token(user=clinician, name="tests")[1])
    vocabulary = services.knowledge().vocabulary
    conditions = list(vocabulary.conditions)[:3]
    assert len(conditions) == 3 and {"pacemaker", "spinal_cord_stimulator"} <= set(
        vocabulary.devices
    )
    ctx = {"patient": patient, "exam": exam, "conditions": conditions}
    covered = ROUND_TRIPS[operation](api, ctx)
    assert covered == set(list_operations()[operation])
