"""Who may see what. Deny by default: every staff view is wrapped in ``staff_required`` with the
roles it admits, and every record is fetched through ``patient_for`` / ``clinic_records``, which
filter by the user's clinic, so another clinic's id answers 404 exactly like a missing one.

Roles:
- clinician: everything clinical in their clinic;
- front desk: patient records and demographics, the portal link; no exams, plans, notes or scores;
- patient: only their own portal, through a signed link (see ``portal_links.py``), never a
  staff page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from weizhong.clinic.accounts.http import clinic_request
from weizhong.clinic.models import Clinic, Patient, Staff

CLINICIAN = Staff.CLINICIAN
FRONT_DESK = Staff.FRONT_DESK
ALL_STAFF = (CLINICIAN, FRONT_DESK)

M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponse]


class ClinicMiddleware:
    """Puts ``request.staff``, ``request.clinic`` and ``request.role`` on every request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        staff = None
        if request.user.is_authenticated:
            staff = Staff.objects.select_related("clinic").filter(user=request.user).first()
        clinical = clinic_request(request)
        clinical.staff = staff
        clinical.clinic = staff.clinic if staff else None
        clinical.role = staff.role if staff else None
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if isinstance(exception, EmergencyAccessRequired):
            target = reverse("emergency_access", args=[exception.patient.pk])
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return None


def clinic_context(request: HttpRequest) -> dict[str, Any]:
    role = getattr(request, "role", None)
    staff = getattr(request, "staff", None)
    return {
        "clinic": getattr(request, "clinic", None),
        "role": role,
        "is_clinician": role == CLINICIAN,
        "is_admin": bool(staff and staff.is_admin),
    }


def admin_required(view: View) -> View:
    """Clinic administrators only (the audit trail); 403 for everyone else."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        staff = getattr(request, "staff", None)
        if staff is None or not staff.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(*roles: str) -> Callable[[View], View]:
    """Log in first; then the user must be staff of a clinic in one of ``roles`` (403 if not)."""
    allowed = roles or ALL_STAFF

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(request, "role", None) not in allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def clinic_of(request: HttpRequest) -> Clinic:
    """The user's clinic (views behind ``staff_required`` always have one)."""
    clinic = clinic_request(request).clinic
    assert clinic is not None, "a staff view without a clinic"
    return clinic


def note_access(request: HttpRequest, patient_id: int | None, target: str = "") -> None:
    """Called by the access helpers when a request reaches a patient's data: the audit trail
    records which patient (``AuditMiddleware`` reads these)."""
    clinical = clinic_request(request)
    clinical.audit_patient = patient_id
    if target:
        clinical.audit_target = target


class EmergencyAccessRequired(Exception):
    """A clinician outside the patient's care team must give a reason first."""

    def __init__(self, patient: Patient) -> None:
        self.patient = patient
        super().__init__(f"patient {patient.pk}")


EMERGENCY = "emergency_access"  # session key: {patient id: reason}
MIN_REASON = 10


def in_care_team(user: Any, patient: Patient) -> bool:
    """The primary clinician, anyone when there is none, and whoever has examined, planned for
    or treated the patient."""
    if patient.primary_clinician_id in (None, user.pk):
        return True
    return (
        patient.exams.filter(clinician=user).exists()
        or patient.visits.filter(clinician=user).exists()
        or patient.plans.filter(created_by=user).exists()
    )


def check_care(request: HttpRequest, patient: Patient) -> None:
    """Clinicians outside the care team need an emergency reason (asked once per session and
    patient, and every access flagged in the audit trail)."""
    if getattr(request, "role", None) != CLINICIAN or in_care_team(request.user, patient):
        return
    reasons = request.session.get(EMERGENCY, {}) if hasattr(request, "session") else {}
    reason = reasons.get(str(patient.pk), "")
    if not reason and request.path.startswith("/api/"):  # a program states it per request
        reason = request.headers.get("X-Emergency-Reason", "").strip()[:500]
    if len(reason) < MIN_REASON:
        raise EmergencyAccessRequired(patient)
    clinical = clinic_request(request)
    clinical.audit_emergency = True
    clinical.audit_reason = reason


def patient_for(request: HttpRequest, patient_id: int) -> Patient:
    patient = get_object_or_404(Patient, pk=patient_id, clinic=clinic_of(request))
    note_access(request, patient.pk, f"patient {patient.pk}")
    check_care(request, patient)
    return patient


def clinic_records(request: HttpRequest, model: type[M]) -> QuerySet[M]:
    """``model`` rows whose patient belongs to the user's clinic, voided ones included (a
    voided record stays readable, marked)."""
    return model._base_manager.filter(patient__clinic=clinic_of(request))


def record_for(request: HttpRequest, model: type[M], pk: int) -> M:
    found = get_object_or_404(clinic_records(request, model).select_related("patient"), pk=pk)
    note_access(request, found.patient_id, f"{model._meta.model_name} {pk}")  # type: ignore[attr-defined]
    check_care(request, found.patient)  # type: ignore[attr-defined]
    return found
