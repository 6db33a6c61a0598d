"""The patient's portal link: a signed link instead of a password.

The link carries the patient's id and the link version, signed with the site's secret and time-
stamped. It opens only while the patient's link is active, its version is current, and it is
younger than the clinic's ``portal_link_days``. Revoking clears the link; a new one gets the next
version, so an old link never opens again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.http import Http404, HttpRequest
from django.urls import reverse

from weizhong.clinic.models import Patient

__all__ = ["SALT", "make_token", "patient_from", "url_for"]

SALT = "weizhong.portal"


class _IssuedSigner(signing.TimestampSigner):
    """Signs with the time the link was issued, not the time the page was drawn."""

    def __init__(self, issued: dt.datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.issued = issued

    def timestamp(self) -> str:
        return signing.b62_encode(int(self.issued.timestamp()))


def make_token(patient: Patient) -> str:
    """The link's token: the same on every page load for one issued link (signed with the time
    it was issued, from which portal_link_days count)."""
    data = {"p": patient.pk, "v": patient.portal_version}
    if patient.portal_issued is None:  # a link issued before issue times were kept
        return signing.dumps(data, salt=SALT, compress=True)
    return _IssuedSigner(patient.portal_issued, salt=SALT).sign_object(data, compress=True)


def url_for(request: HttpRequest | None, patient: Patient) -> str:
    path = reverse("portal", args=[make_token(patient)])
    return request.build_absolute_uri(path) if request is not None else path


def patient_from(token: str) -> Patient:
    """The patient of a valid, current, unexpired link; 404 for anything else (no hint why)."""
    try:
        data = signing.loads(token, salt=SALT)
        patient = Patient.objects.select_related("clinic").get(pk=int(data["p"]))
        signing.loads(token, salt=SALT, max_age=dt.timedelta(days=patient.clinic.portal_link_days))
    except (signing.BadSignature, Patient.DoesNotExist, KeyError, TypeError, ValueError):
        raise Http404 from None
    if not patient.portal_active or data.get("v") != patient.portal_version:
        raise Http404
    return patient
