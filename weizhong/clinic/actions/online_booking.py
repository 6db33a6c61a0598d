"""The patient's own writes to the clinic's day, from the portal (issue 15): booking a free time
with their clinician in the next two weeks, and cancelling an appointment before the clinic's
notice period. Both go through the desk's actions (``do_book_appointment``,
``do_change_appointment``), so the same clash rules and the same lock hold."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.actions.scheduling import do_book_appointment, do_change_appointment
from weizhong.clinic.models import Appointment, Patient
from weizhong.clinic.records import online_booking, scheduling
from weizhong.clinic.records.rules import Refused

__all__ = ["do_book_online", "do_cancel_online"]


@audited
def do_book_online(
    *, patient: Patient, start: dt.datetime, now: dt.datetime | None = None
) -> Appointment:
    """Book ``start`` (one of the free times offered) with the patient's clinician. Refused
    naming the field when there is no clinician or the time is not offered; Clash when the time
    was taken between the check and the lock."""
    clinician = online_booking.their_clinician(patient)
    if clinician is None:
        raise Refused(
            "clinician", _("Your clinic has not chosen a clinician for you yet. Please call them.")
        )
    if start.tzinfo is None or start.utcoffset() is None:
        raise Refused("start", _("Pick one of the times shown."))
    # Two weeks on the clinic's wall clock, as the times offered are counted.
    now = (now or dt.datetime.now(dt.UTC)).astimezone(scheduling.clinic_zone(patient.clinic))
    if not now < start <= now + dt.timedelta(days=online_booking.WINDOW_DAYS):
        raise Refused("start", _("Pick a time in the next two weeks."))
    kind = online_booking.online_kind(patient)
    offered = {
        s for day in online_booking.free_slots(patient, clinician, kind, now) for s in day.starts
    }
    if start not in offered:
        raise Refused("start", _("That time is not free. Please pick another."))
    return do_book_appointment(
        clinic=patient.clinic,
        patient=patient,
        clinician=clinician,
        start=start,
        minutes=online_booking.MINUTES[kind],
        kind=kind,
    )


@audited
def do_cancel_online(
    *, patient: Patient, appointment: Appointment, now: dt.datetime | None = None
) -> Appointment:
    """Cancel the patient's own booked appointment, unless it is within the notice period
    (Refused, in words)."""
    if appointment.patient_id != patient.pk:
        raise Refused("appointment", _("That is not one of your appointments."))
    why = online_booking.cancel_refusal(
        appointment, online_booking.notice_hours(patient), now or dt.datetime.now(dt.UTC)
    )
    if why:
        raise Refused("appointment", why)
    return do_change_appointment(
        appointment=appointment, version=appointment.version, status="cancelled"
    )
