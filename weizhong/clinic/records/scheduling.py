"""Reading the clinic's day: its time zone, a day's bounds as instants, appointments of a day,
which booked appointment a new one would clash with, and whether a time is in a clinician's
working hours.

A day is taken in the clinic's time zone (``zoneinfo``), so the 23- and 25-hour days of a
daylight-saving change have their true length and 9:00 is 9:00 on both sides of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.db.models import Q, QuerySet

from weizhong.clinic.models import (
    HOLDING,
    Appointment,
    Clinic,
    ClinicianCalendar,
    ClinicSchedule,
    WorkingHours,
)

__all__ = [
    "appointment_rows",
    "appointments_between",
    "clash",
    "clinic_zone",
    "day_bounds",
    "outside_hours",
    "todays_appointments",
    "valid_zone",
]


def valid_zone(name: str) -> bool:
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def clinic_zone(clinic: Clinic) -> ZoneInfo:
    """The clinic's time zone: its own setting, else ``WEIZHONG_TIME_ZONE`` (``TIME_ZONE``)."""
    try:
        name = clinic.schedule.time_zone
    except ClinicSchedule.DoesNotExist:
        name = settings.TIME_ZONE
    return ZoneInfo(name)


def day_bounds(zone: ZoneInfo, day: dt.date, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """The instants at which ``day`` starts and ``days`` later ends, in ``zone``."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(0), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def appointments_between(
    clinic: Clinic, start: dt.datetime, end: dt.datetime, clinician: Any = None
) -> QuerySet[Appointment]:
    found = Appointment.objects.filter(clinic=clinic, start__lt=end, end__gt=start)
    if clinician is not None:
        found = found.filter(clinician=clinician)
    return found.select_related("patient", "clinician", "room").order_by("start", "pk")


def appointment_rows(
    clinic: Clinic, zone: ZoneInfo, first: dt.date, days: int, *fields: str
) -> Iterator[list[Any]]:
    """The appointments of ``days`` days from ``first`` as plain rows of ``fields`` in order of
    time, ``start`` and ``end`` in ``zone``, for the day and week pages: the day has hundreds
    and the week thousands, and model instances (or a template loop over them) cost several
    times more."""
    begin, end = day_bounds(zone, first, days)
    local = [n for n, name in enumerate(fields) if name in ("start", "end")]
    found = (
        Appointment.objects.filter(clinic=clinic, start__lt=end, end__gt=begin)
        .order_by("start", "pk")
        .values_list(*fields)
    )
    for values in found:
        row = list(values)
        for n in local:
            row[n] = row[n].astimezone(zone)
        yield row


def todays_appointments(clinic: Clinic, clinician: Any = None) -> list[Appointment]:
    """Today's appointments in the clinic's time zone (one clinician's, or everyone's), each
    with ``local_start`` for the page."""
    zone = clinic_zone(clinic)
    start, end = day_bounds(zone, dt.datetime.now(zone).date())
    found = list(appointments_between(clinic, start, end, clinician=clinician)[:100])
    for appointment in found:
        local = appointment.start.astimezone(zone).replace(tzinfo=None)  # shown as is
        appointment.local_start = local  # type: ignore[attr-defined]
    return found


def allows_overlap(user: Any) -> bool:
    return ClinicianCalendar.objects.filter(user=user, allow_overlap=True).exists()


def clash(
    *,
    clinic: Clinic,
    patient_id: int,
    clinician: Any,
    room_id: int | None,
    start: dt.datetime,
    end: dt.datetime,
    exclude: int | None = None,
) -> Appointment | None:
    """The first appointment holding its time that this one would clash with: the same
    patient, the same room, or the same clinician unless they allow overlapping bookings."""
    who = Q(patient_id=patient_id)
    if room_id is not None:
        who |= Q(room_id=room_id)
    if not allows_overlap(clinician):
        who |= Q(clinician=clinician)
    found = Appointment.objects.filter(
        who, clinic=clinic, status__in=HOLDING, start__lt=end, end__gt=start
    )
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return found.select_related("patient", "clinician", "room").order_by("start", "pk").first()


def outside_hours(zone: ZoneInfo, clinician: Any, start: dt.datetime, end: dt.datetime) -> str:
    """Empty when the time is within one of the clinician's stretches of working hours (or
    they have none set); else why not, in words."""
    hours = list(WorkingHours.objects.filter(user=clinician))
    if not hours:
        return ""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() == local_end.date() and any(
        h.weekday == local_start.weekday()
        and h.starts <= local_start.time()
        and local_end.time() <= h.ends
        for h in hours
    ):
        return ""
    today = [h for h in hours if h.weekday == local_start.weekday()]
    name = clinician.get_full_name() or clinician.get_username()
    if not today:
        return f"{name} does not work on {local_start:%A}s"
    spans = ", ".join(f"{h.starts:%H:%M}–{h.ends:%H:%M}" for h in today)
    return f"outside {name}'s working hours on {local_start:%A}s ({spans})"


def message_fields(appointment: Appointment) -> dict[str, str]:
    """What a message to the patient names their appointment by: their given name, the
    clinician, the clinic, and the day and time in the clinic's zone (the booking's intake link
    and the reminders say it alike)."""
    local = appointment.start.astimezone(clinic_zone(appointment.clinic))
    clinician = appointment.clinician
    return {
        "name": appointment.patient.given_name,
        "who": clinician.get_full_name() or clinician.get_username(),
        "clinic": appointment.clinic.name,
        "day": f"{local:%A %d %B}",
        "time": f"{local:%H:%M}",
    }
