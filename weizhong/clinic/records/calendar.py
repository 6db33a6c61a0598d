"""Appointments as iCalendar (RFC 5545): one event for an e-mail's ``.ics`` attachment, and a
clinician's private feed of their appointments. Events carry the patient's given name and the
initial of their family name only, and no clinical data: calendars live on phones and in
other companies' services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from icalendar import Calendar, Event

from weizhong.clinic.models import Appointment

__all__ = ["appointment_event", "calendar_of", "short_name"]

PRODID = "-//weizhong//clinic calendar//EN"


def _uid(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}-clinic-{appointment.clinic_id}@weizhong"


def short_name(appointment: Appointment) -> str:
    patient = appointment.patient
    initial = patient.family_name[:1]
    return f"{patient.given_name} {initial}." if initial else patient.given_name


def appointment_event(appointment: Appointment, *, for_patient: bool = False) -> Event:
    event = Event()
    event.add("uid", _uid(appointment))
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", appointment.start.astimezone(dt.UTC))
    event.add("dtend", appointment.end.astimezone(dt.UTC))
    kind = appointment.get_kind_display()
    clinic = appointment.clinic.name
    if for_patient:
        who = appointment.clinician.get_full_name() or appointment.clinician.get_username()
        event.add("summary", f"{kind} with {who} at {clinic}")
        if appointment.clinic.address:
            event.add("location", appointment.clinic.address)
    else:
        event.add("summary", f"{kind}: {short_name(appointment)}")
        if appointment.room is not None:
            event.add("location", appointment.room.name)
    event.add("status", "CANCELLED" if appointment.status == "cancelled" else "CONFIRMED")
    event.add("sequence", appointment.version - 1)
    return event


def calendar_of(
    appointments: Iterable[Appointment], *, name: str = "", for_patient: bool = False
) -> bytes:
    """An iCalendar document with one event per appointment (``METHOD:PUBLISH``)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for appointment in appointments:
        calendar.add_component(appointment_event(appointment, for_patient=for_patient))
    return bytes(calendar.to_ical())
