"""A course of care booked from the plan (issue 15): the page proposes the visits of the active
plan (its visits per week and planned visits, then a re-evaluation) in the clinician's working
hours; the front desk or the clinician confirms and every visit is booked at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import clinic_of, patient_for, staff_required
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.models import Staff
from weizhong.clinic.records import course, scheduling, services
from weizhong.clinic.records.rules import Refused

MINUTES = (20, 30, 45, 60)


@staff_required()
@require_http_methods(["GET", "POST"])
def course_of_care(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    clinic = clinic_of(request)
    zone = scheduling.clinic_zone(clinic)
    plan = services.active_plan(patient)
    clinicians = [
        s.user
        for s in Staff.objects.filter(clinic=clinic, role=Staff.CLINICIAN, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    ]
    source = request.POST if request.method == "POST" else request.GET
    default = patient.primary_clinician_id or (plan.created_by_id if plan else None)
    wanted = source.get("clinician", "")
    clinician = next((u for u in clinicians if u.username == wanted), None) or next(
        (u for u in clinicians if u.pk == default), clinicians[0] if clinicians else None
    )
    try:
        first_day = dt.date.fromisoformat(source.get("first_day", ""))
    except ValueError:
        first_day = dt.datetime.now(zone).date() + dt.timedelta(days=1)
    minutes = int(source["minutes"]) if source.get("minutes", "").isdigit() else 30
    minutes = minutes if minutes in MINUTES else 30
    problem = ""
    if request.method == "POST" and plan is not None and clinician is not None:
        try:
            visits = [
                (dt.datetime.fromisoformat(s), k)
                for s, k in zip(
                    request.POST.getlist("start"), request.POST.getlist("kind"), strict=True
                )
            ]
            booked = actions.do_book_course(
                clinic=clinic, patient=patient, clinician=clinician, visits=visits,
                minutes=minutes, by=request.user,
            )  # fmt: skip
        except (ValueError, Refused):
            problem = _("The proposal was incomplete; here is a new one.")
        except actions.Clash as clash:
            local = clash.appointment.start.astimezone(zone)
            problem = _(
                "A visit now clashes with appointment %(id)s (%(when)s), booked since: "
                "here is a new proposal."
            ) % {"id": clash.appointment.pk, "when": f"{local:%Y-%m-%d %H:%M}"}
        else:
            messages.success(request, _("Booked %(n)s visits.") % {"n": len(booked)})
            first = booked[0].start.astimezone(zone).date().isoformat()
            return redirect(f"{reverse('schedule')}?date={first}")
    proposal: list[Any] = []
    if plan is not None and clinician is not None:
        proposal = course.propose_course(
            clinic=clinic, patient=patient, clinician=clinician,
            visits_per_week=plan.visits_per_week, planned_visits=plan.planned_visits,
            first_day=first_day, minutes=minutes,
        )  # fmt: skip
    with timezone.override(zone):
        return render(
            request,
            "clinic/course.html",
            {
                "patient": patient,
                "plan": plan,
                "clinicians": clinicians,
                "clinician": clinician,
                "first_day": first_day,
                "minutes": minutes,
                "minute_choices": MINUTES,
                "proposal": proposal,
                "problem": problem,
            },
            status=409 if problem else 200,
        )
