"""Home pages: the dashboard, the health check and the error page."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from weizhong.clinic.accounts.access import (
    CLINICIAN,
    clinic_of,
    staff_required,
)
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.models import Patient, Visit
from weizhong.clinic.records import intake, scheduling, services


def server_error(request: ClinicRequest) -> HttpResponse:
    """500: JSON for programs (the API, CDS Hooks), the page for people. Nothing is half-saved:
    every write is one transaction."""
    if request.path.startswith(("/api/", "/cds-services")):
        return HttpResponse(
            b'{"error": "internal error; it was logged, and nothing was half-saved"}',
            status=500,
            content_type="application/json",
        )
    return render(request, "500.html", status=500)


def healthz(request: ClinicRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@staff_required()
def dashboard(request: ClinicRequest) -> HttpResponse:
    clinic = clinic_of(request)
    today = timezone.localdate()
    mine = Patient.objects.filter(clinic=clinic)
    todays = list(
        Visit.objects.filter(patient__clinic=clinic, date=today)
        .select_related("patient", "note")
        .order_by("-created")[:30]
    )
    recent = list(mine.exclude(last_seen=None).order_by("-last_seen")[:12])
    context: dict[str, Any] = {"todays": todays, "recent": recent, "today": today}
    context["intake_alerts"] = intake.alerts(clinic)
    context["appointments"] = scheduling.todays_appointments(
        clinic, request.user if request.role == CLINICIAN else None
    )
    if request.role == CLINICIAN:
        context["flagged"] = list(mine.filter(flagged=True).order_by("-last_seen")[:20])
        context["due"] = list(mine.filter(reeval_due=True).order_by("-last_seen")[:20])
        context["adherence"] = services.adherence(recent)
        context["unsigned"] = list(
            Visit.objects.filter(
                patient__clinic=clinic, note__signed_at__isnull=True, clinician=request.user
            )
            .select_related("patient")
            .order_by("-date")[:10]
        )
    return render(request, "clinic/dashboard.html", context)
