"""The patient's portal: a signed link instead of a password.

The link carries the patient's id and the link version, signed with the site's secret and time-
stamped. It opens only while the patient's link is active, its version is current, and it is
younger than the clinic's ``portal_link_days``. Revoking clears the link; a new one gets the next
version, so an old link never opens again. The portal shows the patient only their own
programme, and writes only ticks, pain scores and the questionnaires their clinician sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import note_access
from weizhong.clinic.accounts.http import clinic_request
from weizhong.clinic.accounts.portal_links import patient_from
from weizhong.clinic.models import Patient
from weizhong.clinic.records import services
from weizhong.clinic.records.rules import Refused
from weizhong.clinic.web.forms import activities_of, answers_of, outcome_form
from weizhong.reasoning.instruments import InstrumentError


def portal_patient(request: HttpRequest, token: str) -> Patient:
    """The link's patient, with the access noted for the audit trail."""
    patient = patient_from(token)
    note_access(request, patient.pk, "portal")
    clinic_request(request).clinic = patient.clinic
    return patient


def _week(patient: Patient, plan: Any, today: dt.date) -> list[dict[str, Any]]:
    start = today - dt.timedelta(days=6)
    ticks = set(patient.home_logs.filter(day__gte=start).values_list("day", "exercise"))
    days = []
    for offset in range(7):
        day = start + dt.timedelta(days=offset)
        planned = services.exercises_today(plan, day)
        done = sum(1 for e in planned if (day, e["id"]) in ticks)
        days.append({"day": day, "planned": len(planned), "done": done})
    return days


@require_http_methods(["GET"])
def home(request: HttpRequest, token: str) -> HttpResponse:
    patient = portal_patient(request, token)
    plan = services.active_plan(patient)
    today = timezone.localdate()
    ticked = set(patient.home_logs.filter(day=today).values_list("exercise", flat=True))
    exercises = [
        {**e, "figure": services.exercise_figure(e["id"]), "done": e["id"] in ticked}
        for e in services.exercises_today(plan, today)
    ]
    rest_day = plan is not None and not exercises
    pain = patient.pain_logs.filter(day=today).first()
    response = render(
        request,
        "clinic/portal.html",
        {
            "patient": patient,
            "token": token,
            "plan": plan,
            "exercises": exercises,
            "rest_day": rest_day,
            "pain": pain,
            "week": _week(patient, plan, today),
            "requests": list(patient.requests.filter(completed_at__isnull=True)),
            "instruments": services.instruments(),
            "refer": plan is not None and plan.plan.get("status") == "refer_first",
            "screen": plan is not None and plan.plan.get("status") == "screen_first",
            "pain_values": range(11),
        },
    )
    response["Cache-Control"] = "no-store"
    # The link is the key: never send it to another site. (Not "no-referrer": browsers then
    # send "Origin: null" with the tick form, which CSRF protection rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


@require_POST
def log(request: HttpRequest, token: str) -> HttpResponse:
    patient = portal_patient(request, token)
    plan = services.active_plan(patient)
    today = timezone.localdate()
    allowed = {e["id"] for e in services.exercises_today(plan, today)}
    exercise = request.POST.get("exercise", "")
    if exercise:
        if exercise not in allowed:
            messages.error(request, _("That exercise is not on today's programme."))
        else:
            # already ticked today: a double tap counts once
            actions.do_log_home_exercise(patient=patient, day=today, exercise=exercise)
            messages.success(request, _("Well done: session logged."))
    if "pain" in request.POST:
        raw = request.POST.get("pain", "")
        if not raw.isdigit() or not 0 <= int(raw) <= 10:
            messages.error(request, _("Pain must be a whole number from 0 (none) to 10 (worst)."))
        else:
            actions.do_log_pain(patient=patient, day=today, pain=int(raw))
            messages.success(request, _("Pain score saved. Thank you."))
    return redirect("portal", token)


@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, token: str, request_id: int) -> HttpResponse:
    patient = portal_patient(request, token)
    sent = get_object_or_404(patient.requests, pk=request_id, completed_at__isnull=True)
    form = outcome_form(
        sent.instrument, request.POST or None, activities=services.psfs_activities(patient)
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_score_outcome(
                patient=patient, instrument=sent.instrument, answers=answers_of(form),
                source="portal", questionnaire=sent, activities=activities_of(form),
            )  # fmt: skip
        except (InstrumentError, Refused) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you: your answers reached the clinic."))
            return redirect("portal", token)
    return render(
        request,
        "clinic/portal_questionnaire.html",
        {
            "patient": patient,
            "token": token,
            "form": form,
            "instrument": services.instruments()[sent.instrument],
        },
        status=422 if request.method == "POST" else 200,
    )
