"""The intake's link goes with the first booking (issue 15): e-mailed once, whatever path books
(the action every path calls, the API, online), tested against a real SMTP server run in the
test (aiosmtpd) and Django's locmem outbox; at the desk the chart shows the link and its QR code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from weizhong.clinic import actions
from weizhong.clinic.models import Clinic, Intake

from .conftest import make_exam, make_patient
from .test_api import Api
from .test_appointment_reminders import Inbox, smtp  # noqa: F401 - fixture
from .test_online_booking import NOW, ada, at, london  # noqa: F401 - fixtures

START = dt.datetime(2030, 1, 7, 10, tzinfo=dt.UTC)  # a Monday


def _book(clinic: Clinic, patient: Any, clinician: Any, start: dt.datetime = START) -> Any:
    return actions.do_book_appointment(
        clinic=clinic, patient=patient, clinician=clinician, start=start, minutes=45, kind="new"
    )


@pytest.fixture
def outbox(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.WEIZHONG_BASE_URL = "https://clinic.example"


def test_the_first_booking_emails_the_intake_link_once(
    outbox: None,
    clinic: Clinic,
    clinician: Any,
    patient: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = _book(clinic, patient, clinician)
    (message,) = mail.outbox
    intake = Intake.objects.get()
    assert message.to == [patient.email] and intake.link_sent_at is not None
    assert f"https://clinic.example/intake/{intake.key}/" in message.body
    assert "Your first visit with" in message.body and "Before your first visit" in message.subject
    assert Client().get(f"/intake/{intake.key}/").status_code == 200
    # Moved, cancelled and booked again: no second e-mail, no second intake.
    actions.do_change_appointment(appointment=first, version=1, status="cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        _book(clinic, patient, clinician, START + dt.timedelta(days=1))
        _book(clinic, patient, clinician, START + dt.timedelta(days=2))
    assert len(mail.outbox) == 1 and Intake.objects.count() == 1


def test_no_link_without_an_address_after_an_exam_or_once_an_intake_came_back(
    outbox: None, clinic: Clinic, clinician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    no_mail = make_patient(clinic, given_name="Bo", email="")
    seen = make_patient(clinic, given_name="Cy", email="cy@example.org")
    make_exam(seen, clinician)
    sent_back = make_patient(clinic, given_name="Di", email="di@example.org")
    earlier = actions.do_start_intake(patient=sent_back)
    actions.do_submit_intake(intake=earlier, answers={})
    with django_capture_on_commit_callbacks(execute=True):
        for n, person in enumerate((no_mail, seen, sent_back)):
            _book(clinic, person, clinician, START + dt.timedelta(hours=n))
    assert mail.outbox == [] and Intake.objects.count() == 1


def test_an_open_intake_from_the_desk_is_the_one_sent(
    outbox: None,
    clinic: Clinic,
    clinician: Any,
    patient: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    desk_made = actions.do_start_intake(patient=patient)
    with django_capture_on_commit_callbacks(execute=True):
        _book(clinic, patient, clinician)
    assert desk_made.key in mail.outbox[0].body and Intake.objects.count() == 1


def test_booked_through_the_api_the_link_reaches_a_real_smtp_server(
    smtp: Inbox,  # noqa: F811
    clinic: Clinic,
    clinician: Any,
    patient: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = Api(actions.do_create_api_token(user=clinician, name="t")[1])
    body = {"patient": patient.pk, "clinician": clinician.username,
            "start": START.isoformat(), "minutes": 45, "kind": "new"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/appointments", body).status_code == 201
    (message,) = smtp.messages
    assert message["To"] == patient.email
    text = message.get_payload(decode=True).decode()
    assert f"/intake/{Intake.objects.get().key}/" in text


def test_booked_online_by_the_patient_the_link_is_sent_too(
    outbox: None,
    ada: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_book_online(patient=ada, start=at(23, 10), now=NOW)
    assert [m.to for m in mail.outbox] == [[ada.email]]


def test_the_chart_shows_the_desk_the_link_and_its_qr_code(
    desk_client: Client, patient: Any
) -> None:
    page = desk_client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Make an intake link" in page
    made = desk_client.post(f"/patients/{patient.pk}/intake/")
    assert made.status_code == 302
    intake = Intake.objects.get()
    page = desk_client.get(f"/patients/{patient.pk}/").content.decode()
    assert f"/intake/{intake.key}/" in page
    assert 'class="qr intake-qr" role="img"' in page and '<svg viewBox="0 0' in page
    assert "Make an intake link" not in page
