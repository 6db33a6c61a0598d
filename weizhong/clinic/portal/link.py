"""What every portal page starts with: the link's patient, noted for the audit trail, and the
answer's privacy headers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from weizhong.clinic.accounts.access import note_access
from weizhong.clinic.accounts.http import clinic_request
from weizhong.clinic.accounts.portal_links import patient_from
from weizhong.clinic.models import Patient

__all__ = ["_private", "portal_patient"]


def portal_patient(request: HttpRequest, token: str) -> Patient:
    """The link's patient, with the access noted for the audit trail."""
    patient = patient_from(token)
    note_access(request, patient.pk, "portal")
    clinic_request(request).clinic = patient.clinic
    return patient


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    # The link is the key: never send it to another site. (Not "no-referrer": browsers then
    # send "Origin: null" with the tick form, which CSRF protection rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response
