"""The request as the clinic's middleware leaves it (healthchecks' ``hc/accounts/http.py``).

``ClinicMiddleware`` (and, for the API, the token check) puts the user's place in the clinic on
every request; django-htmx adds ``htmx``; the access helpers note which patient a request
reached, for the audit trail. Views and helpers take a ``ClinicRequest`` so that these are
typed, instead of being set and read by hand on a plain ``HttpRequest``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest

from weizhong.clinic.models import Clinic, Staff

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails


class ClinicRequest(HttpRequest):
    user: User  # views behind staff_required: signed in
    staff: Staff | None  # the user's place in a clinic; None: no access to patient data
    clinic: Clinic | None
    role: str | None  # Staff.CLINICIAN or Staff.FRONT_DESK
    htmx: HtmxDetails
    # for the audit trail (read by AuditMiddleware)
    audit_patient: int | None
    audit_target: str
    audit_emergency: bool
    audit_reason: str
    audit_route: str  # recorded as this route's request (the booking form's patient search)


def clinic_request(request: HttpRequest) -> ClinicRequest:
    """The same request, seen with the attributes the clinic's middleware gives it."""
    return cast(ClinicRequest, request)


DEVELOPMENT_BASE_URL = "http://127.0.0.1:8000"


def base_url(request: HttpRequest | None = None) -> str:
    """The clinic's public address, without a trailing slash, for links that leave the server:
    ``WEIZHONG_BASE_URL`` when set (always behind HTTPS: a system check refuses to start
    without it), else the address the request came to, else ``http://127.0.0.1:8000``."""
    configured: str = settings.WEIZHONG_BASE_URL
    if configured:
        return configured.rstrip("/")
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return DEVELOPMENT_BASE_URL
