"""The front desk sees no clinical data (issue 15), in the patient's details too: pregnancy,
medicines, devices and conditions, and the red flags and re-evaluation the API derived from them,
were shown to the desk on the chart, in the edit form, in the history of changes and in the API.
The desk still edits the details it keeps (phone, address, payer) without erasing the clinical
ones, and the API refuses, naming the fields, when the desk tries to set them."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from django.urls import reverse

from tests.clinic.test_api import Api, api, desk_api  # noqa: F401 - fixtures
from weizhong.clinic import actions, history
from weizhong.clinic.models import Patient

CLINICAL = {"pregnant": True, "medications": ["warfarin", "sertraline"], "devices": ["pacemaker"],
            "conditions": ["osteoporosis"]}  # fmt: skip


def _clinical_patient(patient: Patient) -> Patient:
    version = history.version_number("patient", patient.pk)
    return actions.do_update_patient(patient=patient, fields=CLINICAL, after_version=version)


def test_the_desk_chart_edit_form_and_history_hide_the_clinical_details(
    desk_client: Client, client: Client, clinician: Any, patient: Patient
) -> None:
    _clinical_patient(patient)
    for name in ("patient", "patient_edit", "patient_history"):
        page = desk_client.get(reverse(name, args=[patient.pk])).content.decode()
        assert "Ada" in page, name
        for word in ("warfarin", "sertraline", "Pacemaker", "pacemaker", "steoporosis"):
            assert word not in page, (name, word)
        assert 'name="medications"' not in page and 'name="pregnant"' not in page, name
    client.force_login(clinician)
    chart = client.get(reverse("patient", args=[patient.pk])).content.decode()
    assert "warfarin" in chart and "Pregnant" in chart


def test_the_desk_saves_the_details_it_keeps_and_the_clinical_ones_stay(
    desk_client: Client, patient: Patient
) -> None:
    _clinical_patient(patient)
    url = reverse("patient_edit", args=[patient.pk])
    form = desk_client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(phone="+44 20 7946 0000", birth_date="1995-03-14", sex="female",
                record_version=str(history.version_number("patient", patient.pk)))  # fmt: skip
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    response = desk_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    patient.refresh_from_db()
    assert patient.phone == "+44 20 7946 0000"
    assert patient.pregnant and patient.medications == ["warfarin", "sertraline"]
    assert patient.devices == ["pacemaker"] and patient.conditions == ["osteoporosis"]


def test_the_api_answers_null_clinical_details_to_the_desk_and_refuses_to_take_them(
    desk_api: Api,  # noqa: F811
    api: Api,  # noqa: F811
    patient: Patient,
) -> None:
    _clinical_patient(patient)
    desk_view = desk_api.get(f"/patients/{patient.pk}")
    assert desk_view.status_code == 200
    body = desk_view.json()
    for name in ("pregnant", "medications", "devices", "conditions", "red_flags", "reeval_due",
                 "reeval_reason"):  # fmt: skip
        assert body[name] is None, name
    assert body["given_name"] == "Ada"
    assert all(p["medications"] is None for p in desk_api.get("/patients").json())
    clinician_view = api.get(f"/patients/{patient.pk}").json()
    assert clinician_view["medications"] == ["warfarin", "sertraline"]
    assert clinician_view["red_flags"] == []

    etag = desk_view["ETag"]
    details = {k: body[k] for k in ("given_name", "family_name", "birth_date", "sex", "email")}
    refused = desk_api.put(f"/patients/{patient.pk}", {**details, "medications": []}, etag)
    assert refused.status_code == 403
    assert "medications" in refused.json()["detail"] and "front desk" in refused.json()["detail"]
    patch = desk_api.client.patch(
        f"/api/v1/patients/{patient.pk}", json.dumps({"pregnant": False}),
        content_type="application/json", headers={**desk_api.headers, "If-Match": etag},
    )  # fmt: skip
    assert patch.status_code == 403 and "pregnant" in patch.json()["detail"]
    kept = desk_api.put(f"/patients/{patient.pk}", {**details, "phone": "+1 555 0100"}, etag)
    assert kept.status_code == 200, kept.content
    patient.refresh_from_db()
    assert patient.phone == "+1 555 0100"
    assert patient.medications == ["warfarin", "sertraline"] and patient.pregnant
    assert (
        desk_api.post("/patients", {**details, "given_name": "Bo", "pregnant": True}).status_code
        == 403
    )
    made = desk_api.post("/patients", {**details, "given_name": "Bo"})
    assert made.status_code == 201 and made.json()["medications"] is None
