"""Online booking in the portal (issue 15): the patient picks a free time with their clinician
in the next two weeks, or cancels an appointment while the clinic's notice period allows. The
desk's day and week pages read the same appointments, so they show it at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weizhong.clinic import actions
from weizhong.clinic.portal.link import _private, portal_patient
from weizhong.clinic.records import online_booking, scheduling
from weizhong.clinic.records.rules import Refused


def _when(local: dt.datetime) -> str:
    """A local time as the patient reads it: "Monday 7 December 2026 at 09:00"."""
    naive = local.replace(tzinfo=None)
    return _("%(day)s at %(time)s") % {
        "day": formats.date_format(naive, "l j F Y"),
        "time": formats.time_format(naive, "H:i"),
    }


def _clock(local: dt.datetime) -> str:
    return formats.time_format(local.replace(tzinfo=None), "H:i")


def booking_context(patient: Any) -> dict[str, Any]:
    """What the portal's home shows of the patient's appointments."""
    return {
        "upcoming": [
            {
                "pk": u.appointment.pk,
                "when": _when(u.local_start),
                "clinician": u.appointment.clinician.get_full_name()
                or u.appointment.clinician.get_username(),
                "can_cancel": u.can_cancel,
                "cancel_by": _when(u.cancel_by),
            }
            for u in online_booking.upcoming(patient)
        ],
        "can_book": online_booking.their_clinician(patient) is not None,
    }


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, token: str) -> HttpResponse:
    patient = portal_patient(request, token)
    clinician = online_booking.their_clinician(patient)
    problem, status = "", 200
    if request.method == "POST":
        raw = request.POST.get("start", "")
        try:
            start = dt.datetime.fromisoformat(raw)
        except ValueError:
            problem, status = _("Pick one of the times shown."), 422
        else:
            try:
                made = actions.do_book_online(patient=patient, start=start)
            except Refused as refused:
                problem, status = refused.message, 422
            except actions.Clash:
                # Another patient's appointment is never named to this one.
                problem, status = _("Someone has just taken that time. Please pick another."), 409
            else:
                local = made.start.astimezone(scheduling.clinic_zone(patient.clinic))
                messages.success(request, _("Booked: %(when)s.") % {"when": _when(local)})
                return redirect("portal", token)
    days = []
    if clinician is not None:
        kind = online_booking.online_kind(patient)
        found = online_booking.free_slots(patient, clinician, kind)
        chosen = request.GET.get("day", "")
        for slots in found:
            days.append(
                {
                    "iso": slots.day.isoformat(),
                    "label": formats.date_format(slots.day, "D j M"),
                    "long": formats.date_format(slots.day, "l j F"),
                    "times": [{"value": s.isoformat(), "label": _clock(s)} for s in slots.starts],
                }
            )
        shown = next((d for d in days if d["iso"] == chosen), days[0] if days else None)
    else:
        shown = None
    context = {
        "patient": patient,
        "token": token,
        "clinician": (clinician.get_full_name() or clinician.get_username()) if clinician else "",
        "days": days,
        "shown": shown,
        "problem": problem,
    }
    return _private(render(request, "clinic/portal_book.html", context, status=status))


@require_POST
def cancel(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    patient = portal_patient(request, token)
    appointment = get_object_or_404(patient.appointments, pk=pk)
    try:
        actions.do_cancel_online(patient=patient, appointment=appointment)
    except Refused as refused:
        messages.error(request, refused.message)
    except actions.StaleAppointment:
        messages.error(request, _("This appointment has just changed. Please look again."))
    else:
        messages.success(request, _("Your appointment is cancelled."))
    return redirect("portal", token)
