"""Writes to the clinic's day: its time zone, rooms, working hours, calendar settings, and
booking, moving and changing the status of appointments.

Double booking is impossible under concurrency: a booking or a move locks the clinic's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the one
write lock) before it looks for a clash, so two requests for the same slot run one after the
other and the second sees the first.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.actions.intake import send_intake_with_first_booking
from weizhong.clinic.actions.records import refresh_summary
from weizhong.clinic.models import (
    APPOINTMENT_KINDS,
    Appointment,
    Clinic,
    ClinicianCalendar,
    ClinicSchedule,
    Patient,
    Room,
    Staff,
    Visit,
    WorkingHours,
)
from weizhong.clinic.records import scheduling
from weizhong.clinic.records.rules import Refused

__all__ = [
    "MAX_MINUTES",
    "MAX_NOTICE_HOURS",
    "MIN_MINUTES",
    "Clash",
    "StaleAppointment",
    "WrongStatus",
    "do_add_room",
    "do_book_appointment",
    "do_change_appointment",
    "do_get_calendar",
    "do_link_visit",
    "do_mark_reminded",
    "do_set_calendar",
    "do_set_clinic_schedule",
    "do_set_working_hours",
]

MIN_MINUTES = 5
MAX_NOTICE_HOURS = 168  # a week
MAX_MINUTES = 480

# From each status, the statuses it may change to (cancelled, no-show and completed are final).
NEXT_STATUS: dict[str, tuple[str, ...]] = {
    "booked": ("arrived", "completed", "cancelled", "no_show"),
    "arrived": ("booked", "completed", "cancelled"),
    "completed": (),
    "cancelled": (),
    "no_show": (),
}


class Clash(Exception):
    """The time is held by ``appointment`` (same patient, room, or clinician)."""

    def __init__(self, appointment: Appointment) -> None:
        self.appointment = appointment
        super().__init__(f"clashes with appointment {appointment.pk}")


class StaleAppointment(Exception):
    """The appointment changed since the caller read it; ``current`` is what it is now."""

    def __init__(self, current: Appointment) -> None:
        self.current = current
        super().__init__("the appointment changed")


class WrongStatus(Exception):
    """A change its status does not allow (moving a cancelled appointment, un-cancelling)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


# ------------------------------------------------------------------------------ settings


@audited
def do_set_clinic_schedule(
    *, clinic: Clinic, time_zone: str, cancel_notice_hours: int = 24
) -> ClinicSchedule:
    if not scheduling.valid_zone(time_zone):
        raise Refused("time_zone", f"{time_zone!r} is not a time zone name like Europe/London")
    if not 0 <= cancel_notice_hours <= MAX_NOTICE_HOURS:
        raise Refused(
            "cancel_notice_hours", f"a whole number of hours from 0 to {MAX_NOTICE_HOURS}"
        )
    with transaction.atomic():
        schedule, _ = ClinicSchedule.objects.update_or_create(
            clinic=clinic,
            defaults={"time_zone": time_zone, "cancel_notice_hours": cancel_notice_hours},
        )
    clinic.schedule = schedule
    return schedule


@audited
def do_add_room(*, clinic: Clinic, name: str) -> Room:
    cleaned = name.strip()
    if not cleaned:
        raise Refused("name", "give the room a name")
    with transaction.atomic():
        if Room.objects.filter(clinic=clinic, name__iexact=cleaned).exists():
            raise Refused("name", f"there is already a room called {cleaned}")
        return Room.objects.create(clinic=clinic, name=cleaned)


@audited
def do_set_working_hours(
    *, user: Any, hours: Iterable[tuple[int, dt.time, dt.time]]
) -> list[WorkingHours]:
    """Replace the clinician's working week with ``hours``: (weekday, from, until) stretches."""
    stretches = sorted(hours)
    names = dict(WorkingHours.WEEKDAYS)
    for weekday, starts, ends in stretches:
        if not 0 <= weekday <= 6:
            raise Refused("weekday", "a day from 0 (Monday) to 6 (Sunday)")
        if ends <= starts:
            raise Refused("ends", f"the hours on {names[weekday]} must end after they start")
    for (d1, _s1, e1), (d2, s2, _e2) in itertools.pairwise(stretches):
        if d1 == d2 and s2 < e1:
            raise Refused("starts", f"two stretches of hours on {names[d1]} overlap")
    with transaction.atomic():
        WorkingHours.objects.filter(user=user).delete()
        return WorkingHours.objects.bulk_create(
            WorkingHours(user=user, weekday=d, starts=s, ends=e) for d, s, e in stretches
        )


@audited
def do_set_calendar(*, user: Any, allow_overlap: bool) -> ClinicianCalendar:
    with transaction.atomic():
        calendar, _ = ClinicianCalendar.objects.get_or_create(user=user)
        calendar.allow_overlap = allow_overlap
        calendar.save(update_fields=["allow_overlap"])
    return calendar


@audited
def do_get_calendar(user: Any) -> ClinicianCalendar:
    """The clinician's calendar settings, made with the defaults the first time."""
    with transaction.atomic():
        calendar, _ = ClinicianCalendar.objects.get_or_create(user=user)
    return calendar


# -------------------------------------------------------------------------- appointments


def _check_times(start: dt.datetime, minutes: int) -> dt.datetime:
    if start.tzinfo is None or start.utcoffset() is None:
        raise Refused("start", "give the time with its offset, like 2026-03-09T09:00:00+01:00")
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise Refused("minutes", f"from {MIN_MINUTES} to {MAX_MINUTES} minutes")
    return start.astimezone(dt.UTC)


def _check_clinician(clinic: Clinic, clinician: Any) -> None:
    if not Staff.objects.filter(
        user=clinician, clinic=clinic, role=Staff.CLINICIAN, user__is_active=True
    ).exists():
        raise Refused("clinician", "not a clinician of this clinic")


def _lock_and_check(
    appointment: Appointment, zone: Any, *, check_hours: bool = True, exclude: int | None = None
) -> None:
    """Inside the transaction: lock the clinic's day, then refuse a clash or a time outside
    the clinician's hours."""
    list(Clinic.objects.select_for_update().filter(pk=appointment.clinic_id).values("pk"))
    if check_hours:
        why = scheduling.outside_hours(
            zone, appointment.clinician, appointment.start, appointment.end
        )
        if why:
            raise Refused("start", why)
    hit = scheduling.clash(
        clinic=appointment.clinic,
        patient_id=appointment.patient_id,
        clinician=appointment.clinician,
        room_id=appointment.room_id,
        start=appointment.start,
        end=appointment.end,
        exclude=exclude,
    )
    if hit is not None:
        raise Clash(hit)


@audited
def do_book_appointment(
    *,
    clinic: Clinic,
    patient: Patient,
    clinician: Any,
    start: dt.datetime,
    minutes: int,
    kind: str,
    room: Room | None = None,
    by: Any = None,
) -> Appointment:
    """Book ``patient`` with ``clinician``; Refused (naming the field) for bad input, Clash
    naming the appointment that holds the time."""
    begins = _check_times(start, minutes)
    if kind not in dict(APPOINTMENT_KINDS):
        raise Refused("kind", "one of " + ", ".join(k for k, _ in APPOINTMENT_KINDS))
    if patient.clinic_id != clinic.pk:
        raise Refused("patient", "no such patient in this clinic")
    if room is not None and room.clinic_id != clinic.pk:
        raise Refused("room", "no such room in this clinic")
    _check_clinician(clinic, clinician)
    appointment = Appointment(
        clinic=clinic,
        patient=patient,
        clinician=clinician,
        room=room,
        start=begins,
        end=begins + dt.timedelta(minutes=minutes),
        kind=kind,
        booked_by=by,
    )
    with transaction.atomic():
        _lock_and_check(appointment, scheduling.clinic_zone(clinic))
        appointment.save()
        send_intake_with_first_booking(appointment, by=by)
    return appointment


_UNSET: Any = object()


@audited
def do_change_appointment(
    *,
    appointment: Appointment,
    version: int,
    start: dt.datetime | None = None,
    minutes: int | None = None,
    room: Room | None = _UNSET,
    status: str | None = None,
    by: Any = None,
) -> Appointment:
    """Move (start, minutes, room) and/or change the status, if ``version`` is still current
    (else StaleAppointment). A move is checked for clashes like a booking; a return to
    "booked" too. WrongStatus for a change the status does not allow."""
    with transaction.atomic():
        list(Clinic.objects.select_for_update().filter(pk=appointment.clinic_id).values("pk"))
        current = Appointment.objects.select_related("clinic", "clinician").get(pk=appointment.pk)
        if current.version != version:
            raise StaleAppointment(current)
        moving = start is not None or minutes is not None or room is not _UNSET
        if moving and current.status != "booked":
            raise WrongStatus(f"a {current.get_status_display().lower()} appointment cannot move")
        if status is not None and status != current.status:
            if status not in NEXT_STATUS:
                raise Refused("status", "one of " + ", ".join(NEXT_STATUS))
            if status not in NEXT_STATUS[current.status]:
                raise WrongStatus(
                    f"a {current.get_status_display().lower()} appointment cannot become "
                    f"{status.replace('_', ' ')}"
                )
            current.status = status
        if moving:
            begins = _check_times(start or current.start, minutes or current.minutes)
            if room is not _UNSET:
                if room is not None and room.clinic_id != current.clinic_id:
                    raise Refused("room", "no such room in this clinic")
                current.room = room
            current.end = begins + dt.timedelta(minutes=minutes or current.minutes)
            current.start = begins
        if moving or current.status == "booked":
            zone = scheduling.clinic_zone(current.clinic)
            _lock_and_check(current, zone, check_hours=moving, exclude=current.pk)
        current.version += 1
        current.save()
        if status in ("cancelled", "no_show"):  # the re-evaluation reasoning counts them
            refresh_summary(current.patient)
    return current


@audited
def do_link_visit(*, appointment: Appointment, visit: Visit) -> Appointment:
    """The visit started from this appointment: link them and mark the patient arrived."""
    with transaction.atomic():
        current = Appointment.objects.select_for_update().get(pk=appointment.pk)
        current.visit = visit
        if current.status == "booked":
            current.status = "arrived"
        current.version += 1
        current.save()
    return current


@audited
def do_mark_reminded(*, appointment: Appointment) -> Appointment:
    """The reminder e-mail for this appointment was sent: it is not sent again."""
    with transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(reminded_at=timezone.now())
    appointment.reminded_at = timezone.now()
    return appointment
