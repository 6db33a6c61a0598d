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


def test_the_front_desk_opens_and_prints_a_visits_superbill_and_nothing_clinical(
    desk_client: Client, clinic: Any, patient: Patient, plan: Plan, clinician: Any
) -> None:
    """Issue 13: the desk prints the superbill (patient, provider, date, CPT with units, ICD-10-CM
    with its title) from the chart, and sees no note, findings or assessment on the way."""
    from weizhong.billing import icd10cm
    from weizhong.clinic.models import Note

    clinic.provider_id = "1234567893"
    clinic.save()
    visit = billed_visit(patient, plan, clinician)
    Note.objects.filter(visit=visit).update(
        subjective="Says the knee is worse after the long run",
        assessment="Assessment text only for clinicians",
    )
    chart = desk_client.get(reverse("patient", args=[patient.pk])).content.decode()
    bill_url = reverse("visit_bill", args=[visit.pk])
    assert f'href="{bill_url}"' in chart
    assert desk_client.get(reverse("visit", args=[visit.pk])).status_code == 403
    page = desk_client.get(bill_url).content.decode()
    assert "Ada Runner" in page and "Mei" in page and "NPI 1234567893" in page
    for code in ("97813", "97814", "98940", "97110", "97140"):
        assert code in page
    assert "M54.50" in page and icd10cm.title("M54.50") in page
    assert "Total units" in page
    for clinical in ("long run", "Assessment text", "min of", "Why"):
        assert clinical not in page, clinical
    pdf = desk_client.get(reverse("visit_superbill", args=[visit.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "97813" in text and "M54.50" in text and "Ada Runner" in text
    assert "long run" not in text and "Assessment text" not in text
    csv_answer = desk_client.get(reverse("visit_superbill", args=[visit.pk, "csv"]))
    assert csv_answer.status_code == 200 and "97813" in csv_answer.content.decode()


def test_the_desk_is_told_plainly_when_a_visit_cannot_be_billed(
    desk_client: Client, patient: Patient, plan: Plan, clinician: Any
) -> None:
    visit = billed_visit(patient, plan, clinician)  # the clinic has no NPI
    page = desk_client.get(reverse("visit_bill", args=[visit.pk])).content.decode()
    assert "No superbill yet" in page and "NPI" in page
    answer = desk_client.get(reverse("visit_superbill", args=[visit.pk, "pdf"]), follow=True)
    assert answer.redirect_chain[-1][0] == reverse("visit_bill", args=[visit.pk])
    assert answer.status_code == 200


def test_another_clinic_cannot_open_the_desks_superbill(
    stranger_client: Client, patient: Patient, plan: Plan, clinician: Any
) -> None:
    visit = billed_visit(patient, plan, clinician)
    assert stranger_client.get(reverse("visit_bill", args=[visit.pk])).status_code == 404
    pdf = stranger_client.get(reverse("visit_superbill", args=[visit.pk, "pdf"]))
    assert pdf.status_code == 404
