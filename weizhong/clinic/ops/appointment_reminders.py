"""Appointment reminders (issue 15): one e-mail per booked appointment in the next 24 hours,
to patients with an e-mail address, with the appointment as an ``.ics`` attachment (RFC 5545)
for their calendar; each appointment is reminded once. Sent through Django's e-mail backends
(SMTP configured by the environment; a file outbox by default)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from django.utils.translation import gettext as _

from weizhong.clinic import actions
from weizhong.clinic.models import Appointment
from weizhong.clinic.records import calendar, scheduling

AHEAD = dt.timedelta(hours=24)


@dataclass(frozen=True)
class AppointmentReminders:
    sent: int
    failed: list[str]


def send_appointment_reminders(
    now: dt.datetime | None = None, dry_run: bool = False
) -> AppointmentReminders:
    moment = now or timezone.now()
    due = (
        Appointment.objects.filter(
            status="booked", reminded_at__isnull=True, start__gt=moment, start__lte=moment + AHEAD
        )
        .exclude(patient__email="")
        .select_related("patient", "clinician", "clinic", "room")
        .order_by("start")
    )
    if dry_run:
        return AppointmentReminders(due.count(), [])
    sent = 0
    failed: list[str] = []
    connection = get_connection(fail_silently=False)
    for appointment in due:
        fields = scheduling.message_fields(appointment)
        body = (
            _(
                "Hello %(name)s,\n\nThis is a reminder of your visit with %(who)s at %(clinic)s on "
                "%(day)s at %(time)s.\n\nThe attached file adds it to your calendar. If you cannot "
                "come, please tell the clinic as soon as you can."
            )
            % fields
        )
        message = EmailMessage(
            subject=_("Your visit on %(day)s") % {"day": f"{fields['day']}, {fields['time']}"},
            body=body,
            from_email=appointment.clinic.email or settings.DEFAULT_FROM_EMAIL,
            to=[appointment.patient.email],
            connection=connection,
        )
        message.attach(
            "appointment.ics",
            calendar.calendar_of([appointment], for_patient=True).decode(),
            "text/calendar",
        )
        try:
            message.send()
        except Exception as error:  # one bad address must not stop the others
            failed.append(f"appointment {appointment.pk}: {error}")
            continue
        actions.do_mark_reminded(appointment=appointment)
        sent += 1
    return AppointmentReminders(sent, failed)
