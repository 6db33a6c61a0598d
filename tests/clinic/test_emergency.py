"""Emergency access: a clinician outside a patient's care team gives a reason, and every access
that follows is flagged in the audit trail."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from weizhong.clinic.actions import do_create_api_token
from weizhong.clinic.audit.trail import AuditEvent

from .conftest import logged_in, make_exam, make_patient, make_staff


def setup_colleague(clinic: Any, clinician: Any) -> tuple[Any, Any, Client]:
    patient = make_patient(clinic, primary_clinician=clinician)
    exam = make_exam(patient, clinician)
    colleague = make_staff(clinic, "ana", "clinician")
    return patient, exam, logged_in(colleague)


def test_outside_the_care_team_a_reason_is_asked(clinic: Any, clinician: Any) -> None:
    patient, exam, ana = setup_colleague(clinic, clinician)
    url = reverse("exam", args=[exam.pk])
    response = ana.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("emergency_access", args=[patient.pk]))
    form = ana.get(response["Location"])
    assert "not in your care" in form.content.decode()
    short = ana.post(response["Location"], {"reason": "need"})
    assert short.status_code == 422
    granted = ana.post(response["Location"], {"reason": "Patient collapsed in the waiting room"})
    assert granted.status_code == 302 and granted["Location"] == url
    assert ana.get(url).status_code == 200
    flagged = AuditEvent.objects.filter(emergency=True, username="ana")
    assert flagged.filter(what="emergency_access").exists()
    assert flagged.filter(what="exam", reason="Patient collapsed in the waiting room").exists()


def test_the_care_team_and_the_front_desk_are_not_asked(
    clinic: Any, clinician: Any, desk_client: Client
) -> None:
    patient, exam, _ana = setup_colleague(clinic, clinician)
    assert logged_in(clinician).get(reverse("exam", args=[exam.pk])).status_code == 200
    assert desk_client.get(reverse("patient", args=[patient.pk])).status_code == 200


def test_a_colleague_who_treated_the_patient_is_in_the_care_team(
    clinic: Any, clinician: Any
) -> None:
    from django.contrib.auth.models import User

    patient, _exam, ana = setup_colleague(clinic, clinician)
    make_exam(patient, User.objects.get(username="ana"))
    assert ana.get(reverse("patient", args=[patient.pk])).status_code == 200


def test_the_api_asks_for_a_reason_header(clinic: Any, clinician: Any) -> None:
    from django.contrib.auth.models import User

    _patient, exam, _ana = setup_colleague(clinic, clinician)
    key = do_create_api_token(user=User.objects.get(username="ana"), name="t")[1]
    headers = {"Authorization": f"Bearer {key}"}
    refused = Client().get(f"/api/v1/cases/{exam.pk}", headers=headers)
    assert refused.status_code == 403 and "X-Emergency-Reason" in refused.json()["detail"]
    allowed = Client().get(
        f"/api/v1/cases/{exam.pk}",
        headers={**headers, "X-Emergency-Reason": "Covering for Dr Lin today, urgent call"},
    )
    assert allowed.status_code == 200
    assert AuditEvent.objects.filter(emergency=True, what="api:get_case").exists()
