"""The appointments API (issue 15): the contract others build on. Booking answers 201 with an
ETag, a clash 409 naming the appointment it hits, a day lists in the clinic's time zone,
changes need If-Match, the front desk does all of it and sees no clinical data, another
clinic's appointments are not found, and a clinician's feed parses back as iCalendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from icalendar import Calendar

from weizhong.clinic import actions
from weizhong.clinic.models import Appointment, Clinic

from .conftest import make_patient
from .test_api import Api

MONDAY = "2026-03-30"  # the first Monday of British Summer Time


def body(who: Any, **extra: Any) -> dict[str, Any]:
    return {
        "patient": who.pk,
        "clinician": "mei",
        "start": f"{MONDAY}T09:00:00+01:00",
        "minutes": 45,
        "kind": "new",
        **extra,
    }


class AppointmentApi(Api):
    def patch(self, path: str, data: Any, if_match: str | None = None) -> Any:
        headers = {**self.headers, **({"If-Match": if_match} if if_match else {})}
        return self.client.patch(
            "/api/v1" + path, data, content_type="application/json", headers=headers
        )


@pytest.fixture
def london(clinic: Clinic, clinician: Any) -> Clinic:
    actions.do_set_clinic_schedule(clinic=clinic, time_zone="Europe/London")
    actions.do_add_room(clinic=clinic, name="Room 1")
    return clinic


@pytest.fixture
def api(clinician: Any, london: Clinic) -> AppointmentApi:
    return AppointmentApi(actions.do_create_api_token(user=clinician, name="tests")[1])


@pytest.fixture
def desk_api(desk: Any, london: Clinic) -> AppointmentApi:
    return AppointmentApi(actions.do_create_api_token(user=desk, name="tests")[1])


def test_booking_answers_201_with_its_id_status_and_etag(
    desk_api: AppointmentApi, patient: Any
) -> None:
    response = desk_api.post("/appointments", body(patient, room="room 1"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "booked" and data["room"] == "Room 1"
    assert data["start"] == f"{MONDAY}T09:00:00+01:00"
    assert data["end"] == f"{MONDAY}T09:45:00+01:00"
    assert response["ETag"] == f'"appointment-{data["id"]}-v1"'
    assert Appointment.objects.get(pk=data["id"]).start == dt.datetime(
        2026, 3, 30, 8, tzinfo=dt.UTC
    )


def test_a_clash_answers_409_with_the_appointment_it_hits(
    api: AppointmentApi, london: Clinic, patient: Any
) -> None:
    first = api.post("/appointments", body(patient)).json()
    other = make_patient(london, given_name="Bo")
    response = api.post("/appointments", body(other, start=f"{MONDAY}T09:30:00+01:00"))
    assert response.status_code == 409
    assert response.json()["appointment"]["id"] == first["id"]
    assert f"appointment {first['id']}" in response.json()["detail"]
    # The same instant written in UTC is the same time.
    again = api.post("/appointments", body(other, start=f"{MONDAY}T08:00:00Z"))
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"start": f"{MONDAY}T09:00:00"}, ["body", "start"]),
        ({"clinician": "sam"}, ["body", "clinician"]),
        ({"clinician": "nobody"}, ["body", "clinician"]),
        ({"room": "Attic"}, ["body", "room"]),
        ({"patient": 999_999}, ["body", "patient"]),
        ({"kind": "massage"}, ["body", "data", "kind"]),
        ({"minutes": 0}, ["body", "data", "minutes"]),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    api: AppointmentApi, patient: Any, change: dict[str, Any], loc: list[str]
) -> None:
    response = api.post("/appointments", body(patient, **change))
    assert response.status_code == 422, response.content
    assert [p["loc"] for p in response.json()["detail"]] == [loc]
    assert not Appointment.objects.exists()


def test_a_day_lists_in_the_clinics_time_zone(
    api: AppointmentApi, london: Clinic, patient: Any, colleague_username: str
) -> None:
    api.post("/appointments", body(patient, start=f"{MONDAY}T00:30:00+01:00"))  # 23:30 UTC Sun
    other = make_patient(london, given_name="Bo")
    api.post("/appointments", body(other, clinician=colleague_username))
    api.post("/appointments", body(other, start="2026-03-31T09:00:00+01:00"))
    day = api.get(f"/appointments?date={MONDAY}").json()
    assert [a["start"] for a in day] == [f"{MONDAY}T00:30:00+01:00", f"{MONDAY}T09:00:00+01:00"]
    mine = api.get(f"/appointments?date={MONDAY}&clinician=mei").json()
    assert [a["clinician"] for a in mine] == ["mei"]
    assert api.get("/appointments?date=30/03/2026").json()["detail"][0]["loc"] == [
        "query",
        "date",
    ]
    assert api.get("/appointments?clinician=nobody").status_code == 422


@pytest.fixture
def colleague_username(london: Clinic) -> str:
    from weizhong.clinic.models import Staff

    from .conftest import make_staff

    return make_staff(london, "li", Staff.CLINICIAN).username


def test_changes_need_the_current_etag(api: AppointmentApi, patient: Any) -> None:
    created = api.post("/appointments", body(patient))
    path = f"/appointments/{created.json()['id']}"
    move = {"start": f"{MONDAY}T11:00:00+01:00"}
    assert api.patch(path, move).status_code == 428
    assert api.patch(path, move, if_match='"appointment-0-v1"').status_code == 412
    moved = api.patch(path, move, if_match=created["ETag"])
    assert moved.status_code == 200, moved.content
    assert moved.json()["start"] == f"{MONDAY}T11:00:00+01:00"
    stale = api.patch(path, {"status": "arrived"}, if_match=created["ETag"])
    assert stale.status_code == 412 and stale["ETag"] == moved["ETag"]
    arrived = api.patch(path, {"status": "arrived"}, if_match=moved["ETag"])
    assert arrived.json()["status"] == "arrived"
    assert api.get(path)["ETag"] == arrived["ETag"]
    refused = api.patch(path, {"start": f"{MONDAY}T12:00:00+01:00"}, if_match=arrived["ETag"])
    assert refused.status_code == 409 and "cannot move" in refused.json()["detail"]
    assert api.patch(path, {"status": "lost"}, if_match=arrived["ETag"]).status_code == 422


def test_a_move_onto_a_taken_time_is_a_409(
    api: AppointmentApi, london: Clinic, patient: Any
) -> None:
    taken = api.post("/appointments", body(patient)).json()
    other = api.post("/appointments", body(make_patient(london), start=f"{MONDAY}T10:00:00+01:00"))
    response = api.patch(
        f"/appointments/{other.json()['id']}",
        {"start": f"{MONDAY}T09:15:00+01:00"},
        if_match=other["ETag"],
    )
    assert response.status_code == 409
    assert response.json()["appointment"]["id"] == taken["id"]


def test_the_front_desk_books_and_changes_and_sees_no_clinical_data(
    desk_api: AppointmentApi, patient: Any
) -> None:
    created = desk_api.post("/appointments", body(patient))
    assert created.status_code == 201
    changed = desk_api.patch(
        f"/appointments/{created.json()['id']}", {"status": "no_show"}, if_match=created["ETag"]
    )
    assert changed.json()["status"] == "no_show"
    listed = desk_api.get(f"/appointments?date={MONDAY}").json()
    assert set(listed[0]) == {
        "id", "patient", "patient_name", "clinician", "start", "end", "minutes", "kind",
        "status", "room", "visit", "version",
    }  # fmt: skip
    assert desk_api.get(f"/patients/{patient.pk}/cases").status_code == 403
    assert desk_api.get("/me/calendar").status_code == 403


def test_another_clinic_finds_nothing(api: AppointmentApi, stranger: Any, patient: Any) -> None:
    created = api.post("/appointments", body(patient)).json()
    stranger_api = AppointmentApi(actions.do_create_api_token(user=stranger, name="t")[1])
    assert stranger_api.get(f"/appointments/{created['id']}").status_code == 404
    assert stranger_api.get(f"/appointments?date={MONDAY}").json() == []
    assert stranger_api.post("/appointments", body(patient)).status_code == 422
    response = stranger_api.patch(
        f"/appointments/{created['id']}", {"status": "cancelled"}, if_match='"x"'
    )
    assert response.status_code == 404


def test_my_calendar_is_a_private_feed_that_parses_as_icalendar(
    api: AppointmentApi, patient: Any, time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC))
    api.post("/appointments", body(patient, room="Room 1"))
    url = api.get("/me/calendar").json()["ics_url"]
    assert url.startswith("http://testserver/calendar/") and url.endswith(".ics")
    response = Client().get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert event["SUMMARY"] == "New patient: Ada R."
    assert event["LOCATION"] == "Room 1"
    assert event.decoded("DTSTART") == dt.datetime(2026, 3, 30, 8, tzinfo=dt.UTC)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=45)
    assert "Runner" not in response.content.decode()
    assert Client().get("/calendar/not-the-key.ics").status_code == 404
