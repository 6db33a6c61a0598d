"""Appointment reminders (issue 15), sent to a real SMTP server run inside the test (aiosmtpd):
one e-mail per booked appointment in the next 24 hours, with the appointment as an .ics file
that parses back as RFC 5545; each appointment reminded once; cancelled ones not at all."""

from __future__ import annotations

import datetime as dt
import email
import socket
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from icalendar import Calendar

from weizhong.clinic import actions
from weizhong.clinic.models import Appointment, Clinic
from weizhong.clinic.ops.appointment_reminders import send_appointment_reminders

from .conftest import make_patient

NOW = dt.datetime(2030, 1, 7, 8, tzinfo=dt.UTC)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Any:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


def _book(clinic: Clinic, patient: Any, clinician: Any, start: dt.datetime) -> Appointment:
    return actions.do_book_appointment(
        clinic=clinic, patient=patient, clinician=clinician, start=start, minutes=45,
        kind="follow_up",
    )  # fmt: skip


def test_tomorrows_appointment_is_reminded_once_with_its_calendar_file(
    smtp: Inbox, clinic: Clinic, clinician: Any, patient: Any
) -> None:
    actions.do_set_clinic_schedule(clinic=clinic, time_zone="Europe/London")
    soon = _book(clinic, patient, clinician, NOW + dt.timedelta(hours=3))
    later = _book(clinic, patient, clinician, NOW + dt.timedelta(days=3))
    other = make_patient(clinic, given_name="Bo", email="bo@example.org")
    gone = _book(clinic, other, clinician, NOW + dt.timedelta(hours=5))
    actions.do_change_appointment(appointment=gone, version=1, status="cancelled")
    run = send_appointment_reminders(now=NOW)
    assert (run.sent, run.failed) == (1, [])
    (message,) = smtp.messages
    assert message["To"] == patient.email
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert "11:00" in text.get_payload(decode=True).decode()  # 11:00 in London (GMT)
    (ics,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    (event,) = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")
    assert event.decoded("DTSTART") == soon.start
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Follow-up with Mei at Riverside"
    assert send_appointment_reminders(now=NOW).sent == 0  # reminded once
    assert Appointment.objects.get(pk=later.pk).reminded_at is None


def test_the_daily_command_sends_them(
    smtp: Inbox, clinic: Clinic, clinician: Any, patient: Any, time_machine: Any, capsys: Any
) -> None:
    time_machine.move_to(NOW)
    _book(clinic, patient, clinician, NOW + dt.timedelta(hours=20))
    call_command("send_reminders")
    assert "appointment reminders: sent 1, failed 0" in capsys.readouterr().out
    assert len(smtp.messages) == 1
