"""The day and week pages (issue 15): the front desk and clinicians book, move, cancel, mark
arrived and "did not come"; the page refuses what the API refuses, with the same words."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client

from weizhong.clinic import actions
from weizhong.clinic.models import Appointment, Clinic

from .conftest import make_patient
from .test_api import Api

MONDAY = dt.date(2026, 3, 30)


@pytest.fixture
def london(clinic: Clinic, clinician: Any) -> Clinic:
    actions.do_set_clinic_schedule(clinic=clinic, time_zone="Europe/London")
    actions.do_set_working_hours(user=clinician, hours=[(0, dt.time(9), dt.time(17))])
    return clinic


def booking(patient: Any, **extra: Any) -> dict[str, Any]:
    return {
        "patient": patient.pk, "clinician": "mei", "date": MONDAY.isoformat(), "time": "09:00",
        "minutes": 45, "kind": "follow_up", **extra,
    }  # fmt: skip


def test_the_desk_books_from_the_day_page(
    london: Clinic, desk_client: Client, patient: Any
) -> None:
    response = desk_client.post("/schedule/book/", booking(patient))
    assert response.status_code == 302, response.content.decode()[:2000]
    appointment = Appointment.objects.get()
    assert appointment.start == dt.datetime(2026, 3, 30, 8, tzinfo=dt.UTC)  # 09:00 BST
    page = desk_client.get(f"/schedule/?date={MONDAY}").content.decode()
    assert "09:00–09:45" in page and patient.full_name in page
    week = desk_client.get(f"/schedule/week/?date={MONDAY}").content.decode()
    assert f"09:00 {patient.full_name}" in week


def test_a_clash_on_the_page_is_a_409_naming_the_appointment(
    london: Clinic, doc: Client, patient: Any
) -> None:
    doc.post("/schedule/book/", booking(patient))
    first = Appointment.objects.get()
    other = make_patient(london, given_name="Bo")
    response = doc.post("/schedule/book/", booking(other, time="09:30"))
    assert response.status_code == 409
    assert f"taken by appointment {first.pk}" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_the_page_and_the_api_refuse_a_time_outside_working_hours_alike(
    london: Clinic, doc: Client, clinician: Any, patient: Any
) -> None:
    page = doc.post("/schedule/book/", booking(patient, time="08:00"))
    assert page.status_code == 422
    api = Api(actions.do_create_api_token(user=clinician, name="t")[1])
    answer = api.post(
        "/appointments",
        {"patient": patient.pk, "clinician": "mei", "start": f"{MONDAY}T08:00:00+01:00",
         "minutes": 45, "kind": "follow_up"},
    )  # fmt: skip
    (problem,) = answer.json()["detail"]
    assert answer.status_code == 422 and problem["loc"] == ["body", "start"]
    assert problem["msg"].replace("'", "&#x27;") in page.content.decode()


def test_bad_input_on_the_page_names_the_field(london: Clinic, doc: Client, patient: Any) -> None:
    response = doc.post("/schedule/book/", booking(patient, minutes=0, kind="massage"))
    assert response.status_code == 422
    text = response.content.decode()
    assert 'id="id_minutes"' in text and "has-error" in text
    assert not Appointment.objects.exists()


def test_arrived_no_show_cancel_and_move_from_the_page(
    london: Clinic, desk_client: Client, patient: Any
) -> None:
    desk_client.post("/schedule/book/", booking(patient))
    a = Appointment.objects.get()
    desk_client.post(f"/schedule/{a.pk}/", {"version": 1, "date": MONDAY, "time": "11:00"})
    a.refresh_from_db()
    assert a.start == dt.datetime(2026, 3, 30, 10, tzinfo=dt.UTC) and a.version == 2
    stale = desk_client.post(f"/schedule/{a.pk}/", {"version": 1, "status": "cancelled"})
    assert stale.status_code == 302
    a.refresh_from_db()
    assert a.status == "booked"
    desk_client.post(f"/schedule/{a.pk}/", {"version": 2, "status": "arrived"})
    a.refresh_from_db()
    assert a.status == "arrived"
    page = desk_client.get(f"/schedule/?date={MONDAY}").content.decode()
    assert "Arrived" in page and "Completed" in page


def test_the_schedule_needs_a_member_of_the_clinic(
    london: Clinic, stranger_client: Client, patient: Any
) -> None:
    assert Client().get("/schedule/").status_code == 302
    stranger_client.post("/schedule/book/", booking(patient))
    assert not Appointment.objects.exists()
    actions.do_book_appointment(
        clinic=london, patient=patient, clinician=london.staff.get(role="clinician").user,
        start=dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC), minutes=30, kind="new",
    )  # fmt: skip
    a = Appointment.objects.get()
    assert (
        stranger_client.post(
            f"/schedule/{a.pk}/", {"version": 1, "status": "cancelled"}
        ).status_code
        == 404
    )


def test_today_lists_the_days_appointments_with_their_badges(
    london: Clinic, doc: Client, desk_client: Client, clinician: Any, patient: Any,
    time_machine: Any,
) -> None:  # fmt: skip
    time_machine.move_to(dt.datetime(2026, 3, 30, 7, tzinfo=dt.UTC))  # 08:00 in London
    actions.do_book_appointment(
        clinic=london, patient=patient, clinician=clinician,
        start=dt.datetime(2026, 3, 30, 9, 15, tzinfo=dt.UTC), minutes=30, kind="new",
    )  # fmt: skip
    Patient = type(patient)
    Patient.objects.filter(pk=patient.pk).update(reeval_due=True)  # the summary's flag
    mine = doc.get("/").content.decode()
    assert "10:15" in mine and patient.full_name in mine and "re-evaluate" in mine
    desk = desk_client.get("/").content.decode()
    assert "10:15" in desk and "Mei" in desk


def test_a_visit_started_from_an_appointment_is_linked_to_it(
    london: Clinic, doc: Client, clinician: Any, patient: Any, plan: Any
) -> None:
    appointment = actions.do_book_appointment(
        clinic=london, patient=patient, clinician=clinician,
        start=dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC), minutes=30, kind="follow_up",
    )  # fmt: skip
    page = doc.get(f"/schedule/?date={MONDAY}").content.decode()
    start = f"/patients/{patient.pk}/visit/?appointment={appointment.pk}"
    assert start in page
    assert doc.get(start).status_code == 200
    response = doc.post(
        start,
        {"submit_token": str(uuid.uuid4()), "date": "2026-03-30", "points": "BL40:both",
         "needle_minutes": 20, "contact_minutes": 30, "response": "better"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    appointment.refresh_from_db()
    assert appointment.visit is not None and appointment.status == "arrived"
    assert (
        f"/visits/{appointment.visit.pk}/" in doc.get(f"/schedule/?date={MONDAY}").content.decode()
    )
