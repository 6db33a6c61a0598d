"""Online booking in the portal (issue 15): the free times with the patient's clinician in the
next two weeks, and which of the patient's appointments they may still cancel.

The patient's clinician is their primary clinician, else the clinician of their latest
appointment. A free time lies within the clinician's working hours (Monday to Friday, 09:00 to
17:00 when none are set, as for a course of care), starts on the half hour, and clashes with
nothing by the booking's own rules (the patient's other appointments, and the clinician's unless
they allow overlapping bookings). The booking action checks it all again under its lock, so a
time taken in the meantime gets a clash, never a double booking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.translation import gettext as _

from weizhong.clinic.models import (
    HOLDING,
    Appointment,
    ClinicSchedule,
    Patient,
    Staff,
    WorkingHours,
)
from weizhong.clinic.records import scheduling
from weizhong.clinic.records.course import DEFAULT_HOURS
from weizhong.numbers import number

__all__ = [
    "DEFAULT_NOTICE_HOURS",
    "MINUTES",
    "WINDOW_DAYS",
    "DaySlots",
    "Upcoming",
    "cancel_refusal",
    "free_slots",
    "notice_hours",
    "online_kind",
    "their_clinician",
    "upcoming",
]

WINDOW_DAYS = 14
STEP = dt.timedelta(minutes=30)
# How long an appointment booked online lasts, by kind.
MINUTES = {"new": 45, "follow_up": 30}
DEFAULT_NOTICE_HOURS = 24


@dataclass(frozen=True)
class DaySlots:
    day: dt.date
    starts: list[dt.datetime]  # aware, in the clinic's zone


@dataclass(frozen=True)
class Upcoming:
    appointment: Appointment
    local_start: dt.datetime  # aware, in the clinic's zone
    cancel_by: dt.datetime  # aware, in the clinic's zone
    can_cancel: bool


def their_clinician(patient: Patient) -> Any:
    """The clinician the patient books with online, or None when the clinic has not given
    them one yet."""
    clinicians = Staff.objects.filter(
        clinic_id=patient.clinic_id, role=Staff.CLINICIAN, user__is_active=True
    ).values("user_id")
    if (
        patient.primary_clinician_id
        and clinicians.filter(user_id=patient.primary_clinician_id).exists()
    ):
        return patient.primary_clinician
    latest = (
        patient.appointments.filter(clinician_id__in=clinicians)
        .select_related("clinician")
        .order_by("-start")
        .first()
    )
    return latest.clinician if latest is not None else None


def online_kind(patient: Patient) -> str:
    """A first appointment is a new-patient one; after an exam or a visit, a follow-up."""
    seen = (
        patient.exams.exists()
        or patient.visits.exists()
        or patient.appointments.filter(status__in=("arrived", "completed")).exists()
    )
    return "follow_up" if seen else "new"


def notice_hours(patient: Patient) -> int:
    """The clinic's notice period for cancelling online, in hours."""
    try:
        return int(patient.clinic.schedule.cancel_notice_hours)
    except ClinicSchedule.DoesNotExist:
        return DEFAULT_NOTICE_HOURS


def _hours(clinician: Any) -> dict[int, list[tuple[dt.time, dt.time]]]:
    rows = [(h.weekday, h.starts, h.ends) for h in WorkingHours.objects.filter(user=clinician)]
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, starts, ends in sorted(rows or DEFAULT_HOURS):
        by_day.setdefault(weekday, []).append((starts, ends))
    return by_day


def free_slots(
    patient: Patient, clinician: Any, kind: str, now: dt.datetime | None = None
) -> list[DaySlots]:
    """The free starts with ``clinician`` from ``now`` to ``WINDOW_DAYS`` days later, by day
    (days without a free time are left out)."""
    zone: ZoneInfo = scheduling.clinic_zone(patient.clinic)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    until = now + dt.timedelta(days=WINDOW_DAYS)
    length = dt.timedelta(minutes=MINUTES[kind])
    who = Q(patient_id=patient.pk)
    if not scheduling.allows_overlap(clinician):
        who |= Q(clinician=clinician)
    held = list(
        Appointment.objects.filter(
            who, clinic_id=patient.clinic_id, status__in=HOLDING,
            start__lt=until + length, end__gt=now,
        ).values_list("start", "end")
    )  # fmt: skip
    by_day = _hours(clinician)
    found: list[DaySlots] = []
    for offset in range(WINDOW_DAYS + 1):
        day = now.date() + dt.timedelta(days=offset)
        starts = []
        for opens, closes in by_day.get(day.weekday(), []):
            slot = dt.datetime.combine(day, opens, tzinfo=zone)
            closing = dt.datetime.combine(day, closes, tzinfo=zone)
            while slot + length <= closing:
                # Compared as instants: a wall-clock time is the same on both sides of a
                # daylight-saving change, its instant is not.
                begins, ends = slot.astimezone(dt.UTC), (slot + length).astimezone(dt.UTC)
                if now < slot <= until and not any(s < ends and begins < e for s, e in held):
                    starts.append(slot)
                slot += STEP
        if starts:
            found.append(DaySlots(day, starts))
    return found


def cancel_refusal(appointment: Appointment, notice: int, now: dt.datetime | None = None) -> str:
    """Why the patient may not cancel this appointment online, in words; empty when they may."""
    now = now or dt.datetime.now(dt.UTC)
    if appointment.status != "booked":
        return _("Only a booked appointment can be cancelled online.")
    if appointment.start <= now:
        return _("This appointment has already started.")
    if appointment.start - now < dt.timedelta(hours=notice):
        return _(
            "It is less than %(hours)s hours before this appointment, so it cannot be "
            "cancelled online. Please call the clinic."
        ) % {"hours": number(notice)}
    return ""


def upcoming(patient: Patient, now: dt.datetime | None = None) -> list[Upcoming]:
    """The patient's booked appointments from now on, soonest first."""
    zone = scheduling.clinic_zone(patient.clinic)
    now = now or dt.datetime.now(dt.UTC)
    notice = notice_hours(patient)
    found = patient.appointments.filter(status="booked", start__gt=now)
    return [
        Upcoming(
            appointment=a,
            local_start=a.start.astimezone(zone),
            cancel_by=(a.start - dt.timedelta(hours=notice)).astimezone(zone),
            can_cancel=not cancel_refusal(a, notice, now),
        )
        for a in found.select_related("clinician").order_by("start")[:20]
    ]
