"""Superbills from recorded visits, in the page, the PDF, the CSV and the API."""

from __future__ import annotations

import csv
import io
import uuid
from io import BytesIO
from typing import Any

from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from weizhong.clinic.actions import do_create_api_token
from weizhong.clinic.models import Patient, Plan, Visit

from .conftest import make_visit
from .test_api import Api


def billed_visit(patient: Patient, plan: Plan, clinician: Any, **extra: Any) -> Visit:
    fields = {
        "contact_minutes": 30,
        "reinsertions": 1,
        "electro": True,
        "regions_adjusted": ["lumbar", "pelvic"],
        "exercise_minutes": 33,
        "manual_therapy_minutes": 7,
        "diagnoses": ["M54.50"],
        **extra,
    }
    return make_visit(patient, plan, clinician, **fields)


def test_visit_page_shows_the_superbill(
    doc: Client, clinic: Any, patient: Patient, plan: Plan, clinician: Any
) -> None:
    clinic.provider_id = "1234567893"
    clinic.save()
    visit = billed_visit(patient, plan, clinician)
    page = doc.get(reverse("visit", args=[visit.pk])).content.decode()
    for code in ("97813", "97814", "98940", "97110", "97140"):
        assert code in page
    pdf = doc.get(reverse("visit_superbill", args=[visit.pk, "pdf"]))
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "97813" in text and "1234567893" in text and "M54.50" in text
    rows = list(
        csv.reader(
            io.StringIO(
                doc.get(reverse("visit_superbill", args=[visit.pk, "csv"])).content.decode()
            )
        )
    )
    assert {r[rows[0].index("cpt")] for r in rows[1:]} >= {"97813", "97814", "98940"}


def test_missing_npi_blocks_the_bill_with_a_clear_message(
    doc: Client, patient: Patient, plan: Plan, clinician: Any
) -> None:
    visit = billed_visit(patient, plan, clinician)
    page = doc.get(reverse("visit", args=[visit.pk])).content.decode()
    assert "No superbill yet" in page and "NPI" in page
    response = doc.get(reverse("visit_superbill", args=[visit.pk, "pdf"]), follow=True)
    assert response.redirect_chain and "NPI" in response.content.decode()


def test_retired_code_is_refused_at_the_visit(doc: Client, patient: Patient, plan: Plan) -> None:
    data = {
        "submit_token": str(uuid.uuid4()),
        "date": "2026-01-05",
        "points": "BL40",
        "response": "same",
        "diagnoses": "M54.5",
    }
    response = doc.post(reverse("visit_new", args=[patient.pk]), data)
    assert response.status_code == 422
    assert "M54.50" in " ".join(response.context["form"].errors["diagnoses"])
    assert not Visit.objects.exists()


def test_suggested_diagnosis_is_prefilled(doc: Client, patient: Patient, plan: Plan) -> None:
    form = doc.get(reverse("visit_new", args=[patient.pk])).context["form"]
    assert form.initial["diagnoses"]  # the assessment's primary, verified suggestion


def test_medicare_limits_are_warned(
    clinic: Any, patient: Patient, plan: Plan, clinician: Any
) -> None:
    clinic.provider_id = "1234567893"
    clinic.save()
    patient.payer = "medicare"
    patient.member_id = "1EG4TE5MK73"
    patient.save()
    for _n in range(12):
        billed_visit(patient, plan, clinician)
    from weizhong.clinic.records import services

    bill = services.superbill_for(Visit.objects.order_by("-date", "-created").first())
    ids = {w["id"] for w in bill["warnings"]}
    assert any("medicare" in i for i in ids), ids


def test_api_superbill(clinician: Any, clinic: Any, patient: Patient, plan: Plan) -> None:
    clinic.provider_id = "1234567893"
    clinic.save()
    visit = billed_visit(patient, plan, clinician)
    api = Api(do_create_api_token(user=clinician, name="t")[1])
    bill = api.get(f"/visits/{visit.pk}/superbill").json()
    assert bill["format"] == "weizhong.superbill/1"
    assert [line["cpt"] for line in bill["lines"]][:2] == ["97813", "97814"]
    assert api.get(f"/visits/{visit.pk}/superbill?format=pdf").content.startswith(b"%PDF")
    clinic.provider_id = ""
    clinic.save()
    blocked = api.get(f"/visits/{visit.pk}/superbill")
    assert blocked.status_code == 422 and "npi" in str(blocked.json()).lower()
