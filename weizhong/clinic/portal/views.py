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
from weizhong.planning.home_programme import load_exercises
from weizhong.reasoning.instruments import InstrumentError


def portal_patient(request: HttpRequest, token: str) -> Patient:
    """The link's patient, with the access noted for the audit trail."""
    patient = patient_from(token)
    note_access(request, patient.pk, "portal")
    clinic_request(request).clinic = patient.clinic
    return patient


_sessions = services.sessions_a_day


def _plan_start(plan: Any) -> dt.date | None:
    return timezone.localdate(plan.created) if plan is not None else None


def _week(patient: Patient, plan: Any, today: dt.date) -> list[dict[str, Any]]:
    """The last seven days: sessions planned and done; a day before the plan existed has
    nothing planned (it is not a missed day)."""
    start = today - dt.timedelta(days=6)
    ticks = set(patient.home_logs.filter(day__gte=start).values_list("day", "exercise", "session"))
    began = _plan_start(plan)
    days = []
    for offset in range(7):
        day = start + dt.timedelta(days=offset)
        planned = [] if began is None or day < began else services.exercises_today(plan, day)
        sessions = [(e["id"], n) for e in planned for n in range(1, _sessions(e) + 1)]
        done = sum(1 for ident, n in sessions if (day, ident, n) in ticks)
        days.append({"day": day, "planned": len(sessions), "done": done})
    return days


def _cards(patient: Patient, plan: Any, today: dt.date, only: str = "") -> list[dict[str, Any]]:
    """Today's exercises as cards: figure, steps, dose, and one tick per session."""
    ticked = set(patient.home_logs.filter(day=today).values_list("exercise", "session"))
    known = load_exercises()
    cards = []
    for e in services.exercises_today(plan, today):
        if only and e["id"] != only:
            continue
        count = _sessions(e)
        sessions = [{"n": n, "done": (e["id"], n) in ticked} for n in range(1, count + 1)]
        steps = list(known[e["id"]].steps) if e["id"] in known else []
        cards.append({
            **e, "figure": services.exercise_figure(e["id"]), "steps": steps,
            "sessions": sessions, "done": all(s["done"] for s in sessions),
            "several": count > 1,
        })  # fmt: skip
    return cards


def _portal_context(patient: Patient, token: str, plan: Any, today: dt.date) -> dict[str, Any]:
    return {
        "patient": patient,
        "token": token,
        "plan": plan,
        "week": _week(patient, plan, today),
    }


@require_http_methods(["GET"])
def home(request: HttpRequest, token: str) -> HttpResponse:
    patient = portal_patient(request, token)
    plan = services.active_plan(patient)
    today = timezone.localdate()
    exercises = _cards(patient, plan, today)
    rest_day = plan is not None and not exercises
    pain = patient.pain_logs.filter(day=today).first()
    response = render(
        request,
        "clinic/portal.html",
        {
            **_portal_context(patient, token, plan, today),
            "exercises": exercises,
            "rest_day": rest_day,
            "pain": pain,
            "requests": list(patient.requests.filter(completed_at__isnull=True)),
            "instruments": services.instruments(),
            "refer": plan is not None and plan.plan.get("status") == "refer_first",
            "screen": plan is not None and plan.plan.get("status") == "screen_first",
            "pain_values": range(11),
        },
    )
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    # The link is the key: never send it to another site. (Not "no-referrer": browsers then
    # send "Origin: null" with the tick form, which CSRF protection rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


@require_POST
def log(request: HttpRequest, token: str) -> HttpResponse:
    """A tick (or its undo) for one session of today's exercise, and the day's pain. With htmx
    the answer is the exercise's card and the week, swapped in without a page reload."""
    patient = portal_patient(request, token)
    plan = services.active_plan(patient)
    today = timezone.localdate()
    allowed = {e["id"]: _sessions(e) for e in services.exercises_today(plan, today)}
    htmx = bool(getattr(request, "htmx", False))
    exercise = request.POST.get("exercise", "")
    problem = ""
    if exercise:
        raw = request.POST.get("session", "1")
        session = int(raw) if raw.isdigit() else 0
        if exercise not in allowed:
            problem = _("That exercise is not on today's programme.")
        elif not 1 <= session <= allowed[exercise]:
            problem = _("That session is not on today's programme.")
        elif request.POST.get("undo"):
            actions.do_undo_home_exercise(
                patient=patient, day=today, exercise=exercise, session=session
            )
            if not htmx:
                messages.success(request, _("Tick taken back."))
        else:
            # already ticked: a double tap counts once
            actions.do_log_home_exercise(
                patient=patient, day=today, exercise=exercise, session=session
            )
            if not htmx:
                messages.success(request, _("Well done: session logged."))
        if problem and not htmx:
            messages.error(request, problem)
        if htmx:
            cards = _cards(patient, plan, today, only=exercise)
            context = {**_portal_context(patient, token, plan, today), "problem": problem}
            return _private(
                render(
                    request,
                    "clinic/_portal_exercise.html",
                    {**context, "e": cards[0] if cards else None, "oob_week": True},
                    status=422 if problem else 200,
                )
            )
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
        sent.instrument,
        request.POST or None,
        activities=services.psfs_activities(patient),
        for_patient=True,
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
