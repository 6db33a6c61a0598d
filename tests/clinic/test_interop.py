"""FHIR export and import through the API and the pages, and the research export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from weizhong.clinic import actions
from weizhong.clinic.actions import do_create_api_token
from weizhong.clinic.models import Exam, Outcome, Patient

from .conftest import make_visit
from .test_api import Api


def scored(patient: Patient, clinician: Any) -> None:
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[7], entered_by=clinician)
    actions.do_score_outcome(
        patient=patient, instrument="odi", answers=[3] * 10, entered_by=clinician
    )
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[3], entered_by=clinician)


def test_export_then_import_keeps_every_finding_and_score(
    clinician: Any, patient: Patient, exam: Exam, plan: Any
) -> None:
    make_visit(patient, plan, clinician, electro=True, regions_adjusted=["lumbar"])
    scored(patient, clinician)
    api = Api(do_create_api_token(user=clinician, name="t")[1])
    response = api.get(f"/patients/{patient.pk}/fhir")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    bundle = response.json()
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {
        "Patient",
        "Observation",
        "Encounter",
        "Condition",
        "Procedure",
        "CarePlan",
        "QuestionnaireResponse",
    } <= kinds
    imported = api.post("/fhir/import", bundle)
    assert imported.status_code == 201, imported.content
    body = imported.json()
    copy = Patient.objects.get(pk=body["patient_id"])
    assert copy.pk != patient.pk and copy.family_name == patient.family_name
    assert Exam.objects.get(pk=body["exam_id"]).case["findings"] == exam.case["findings"]
    before = list(patient.outcomes.order_by("taken").values_list("instrument", "score"))
    after = list(copy.outcomes.order_by("taken").values_list("instrument", "score"))
    assert after == before


def test_bad_bundle_gets_an_operation_outcome_and_stores_nothing(clinician: Any) -> None:
    api = Api(do_create_api_token(user=clinician, name="t")[1])
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "birthDate": "not a date"}},
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {
                        "coding": [
                            {
                                "system": "https://weizhong.dev/fhir/CodeSystem/finding",
                                "code": "slr_left_deg",
                            }
                        ]
                    },
                    "valueInteger": 400,
                }
            },
        ],
    }
    response = api.post("/fhir/import", bundle)
    assert response.status_code == 422
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert len(outcome["issue"]) >= 2  # every problem, not only the first
    assert not Patient.objects.exists() and not Outcome.objects.exists()
    assert api.post("/fhir/import", {"resourceType": "Patient"}).status_code == 422


def test_pages_export_and_import(doc: Client, clinician: Any, patient: Patient, exam: Exam) -> None:
    download = doc.get(reverse("patient_fhir", args=[patient.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    upload = SimpleUploadedFile("b.json", download.content, content_type="application/json")
    response = doc.post(reverse("fhir_import"), {"bundle": upload})
    assert response.status_code == 302
    assert Patient.objects.count() == 2
    bad = SimpleUploadedFile(
        "b.json", b'{"resourceType": "Bundle"}', content_type="application/json"
    )
    page = doc.post(reverse("fhir_import"), {"bundle": bad})
    assert page.status_code == 422 and "Not imported" in page.content.decode()
    assert Patient.objects.count() == 2


def test_research_export_is_de_identified(
    doc: Client, desk_client: Client, clinician: Any, patient: Patient, plan: Any
) -> None:
    scored(patient, clinician)
    for _n in range(3):
        make_visit(patient, plan, clinician)
    response = doc.get(reverse("research_csv"))
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["instrument"] for r in rows} == {"nprs", "odi"}
    nprs = next(r for r in rows if r["instrument"] == "nprs")
    assert (nprs["baseline"], nprs["final"], nprs["change"]) == ("7.0", "3.0", "-4.0")
    assert nprs["important_improvement"] == "True" and nprs["visits"] == "3"
    assert nprs["age_band"] == f"{patient.age // 5 * 5}-{patient.age // 5 * 5 + 4}"
    for secret in (patient.given_name, patient.family_name, patient.email, str(patient.birth_date)):
        assert secret not in text
    assert str(patient.pk) != nprs["patient"] and len(nprs["patient"]) == 16
    assert desk_client.get(reverse("research_csv")).status_code == 403
    assert json.loads(json.dumps(rows))  # plain values only


def test_command_line_export_and_import(
    tmp_path: Any, capsys: Any, clinician: Any, patient: Patient, exam: Exam
) -> None:
    from weizhong.cli import main

    out = tmp_path / "bundle.json"
    assert main(["fhir", "export", str(patient.pk), "-o", str(out)]) == 0
    assert json.loads(out.read_text())["resourceType"] == "Bundle"
    assert main(["fhir", "import", str(out), "--user", clinician.username]) == 0
    assert Patient.objects.count() == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}')
    assert main(["fhir", "import", str(bad), "--user", clinician.username]) == 2
    assert "no Patient" in capsys.readouterr().err
    assert main(["fhir", "export", "999999"]) == 2
    assert Patient.objects.count() == 2
