"""Appointments (issue 15): clashes of patient, room and clinician, overlapping bookings as a
clinician's setting, working hours in the clinic's time zone across daylight-saving changes,
status changes, and no double booking under concurrency."""

from __future__ import annotations

import datetime as dt
import os
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from tests.clinic.conftest import make_patient, make_staff
from weizhong.clinic import actions
from weizhong.clinic.models import Appointment, Clinic, Staff
from weizhong.clinic.records import scheduling
from weizhong.clinic.records.rules import Refused

LONDON = ZoneInfo("Europe/London")
# British Summer Time began at 01:00 UTC on Sunday 29 March 2026.
BEFORE = dt.date(2026, 3, 23)  # a Monday in GMT
AFTER = dt.date(2026, 3, 30)  # the next Monday, in BST


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


@pytest.fixture
def london(clinic: Clinic) -> Clinic:
    actions.do_set_clinic_schedule(clinic=clinic, time_zone="Europe/London")
    return clinic


def book(clinic: Clinic, patient: Any, clinician: Any, start: dt.datetime, **extra: Any) -> Any:
    fields: dict[str, Any] = {"minutes": 45, "kind": "follow_up", **extra}
    return actions.do_book_appointment(
        clinic=clinic, patient=patient, clinician=clinician, start=start, **fields
    )


def test_a_booking_is_booked_and_stored_in_utc(
    london: Clinic, patient: Any, clinician: Any
) -> None:
    appointment = book(london, patient, clinician, at(AFTER, 9))
    assert appointment.status == "booked"
    assert appointment.start == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)
    assert appointment.minutes == 45


def test_the_same_clinician_at_an_overlapping_time_is_a_clash(
    london: Clinic, patient: Any, clinician: Any
) -> None:
    first = book(london, patient, clinician, at(AFTER, 9))
    other = make_patient(london, given_name="Bo")
    with pytest.raises(actions.Clash) as clash:
        book(london, other, clinician, at(AFTER, 9, 30))
    assert clash.value.appointment == first


def test_back_to_back_appointments_do_not_clash(
    london: Clinic, patient: Any, clinician: Any
) -> None:
    book(london, patient, clinician, at(AFTER, 9))
    second = book(london, make_patient(london, given_name="Bo"), clinician, at(AFTER, 9, 45))
    assert second.pk


def test_overlap_is_allowed_in_different_rooms_only_when_the_clinician_says_so(
    london: Clinic, patient: Any, clinician: Any
) -> None:
    room_1 = actions.do_add_room(clinic=london, name="Room 1")
    room_2 = actions.do_add_room(clinic=london, name="Room 2")
    other = make_patient(london, given_name="Bo")
    book(london, patient, clinician, at(AFTER, 9), room=room_1)
    assert actions.do_get_calendar(clinician).allow_overlap is False  # the default
    with pytest.raises(actions.Clash):
        book(london, other, clinician, at(AFTER, 9, 15), room=room_2)
    actions.do_set_calendar(user=clinician, allow_overlap=True)
    assert book(london, other, clinician, at(AFTER, 9, 15), room=room_2).pk
    # A room still holds one patient at a time.
    with pytest.raises(actions.Clash):
        book(london, make_patient(london, given_name="Cy"), clinician, at(AFTER, 9), room=room_1)


def test_a_patient_cannot_be_in_two_places(london: Clinic, patient: Any, clinician: Any) -> None:
    colleague = make_staff(london, "li", Staff.CLINICIAN)
    first = book(london, patient, clinician, at(AFTER, 9))
    with pytest.raises(actions.Clash) as clash:
        book(london, patient, colleague, at(AFTER, 9, 30))
    assert clash.value.appointment == first


def test_a_cancelled_or_missed_appointment_frees_its_time(
    london: Clinic, patient: Any, clinician: Any
) -> None:
    first = book(london, patient, clinician, at(AFTER, 9))
    actions.do_change_appointment(appointment=first, version=1, status="cancelled")
    second = book(london, patient, clinician, at(AFTER, 9))
    actions.do_change_appointment(appointment=second, version=1, status="no_show")
    assert book(london, patient, clinician, at(AFTER, 9)).pk


def test_working_hours_are_local_time_on_both_sides_of_the_clock_change(
    london: Clinic, patient: Any, clinician: Any
) -> None:
    actions.do_set_working_hours(user=clinician, hours=[(0, dt.time(9), dt.time(17))])
    before = book(london, patient, clinician, at(BEFORE, 9))
    after = book(london, patient, clinician, at(AFTER, 9))
    assert before.start.astimezone(dt.UTC).hour == 9  # GMT
    assert after.start.astimezone(dt.UTC).hour == 8  # BST
    # 08:30 in London after the change is 07:30 UTC: before the clinician starts.
    with pytest.raises(Refused) as refused:
        book(london, patient, clinician, at(AFTER, 8, 30))
    assert refused.value.field == "start"
    assert "09:00–17:00" in refused.value.message
    with pytest.raises(Refused, match="does not work on Tuesdays"):
        book(london, patient, clinician, at(AFTER + dt.timedelta(days=1), 10))


def test_the_day_of_the_change_has_23_hours_and_its_appointments(
    london: Clinic, patient: Any, clinician: Any
) -> None:
    sunday = dt.date(2026, 3, 29)
    start, end = scheduling.day_bounds(LONDON, sunday)
    assert end - start == dt.timedelta(hours=23)
    late = book(london, patient, clinician, at(sunday, 23, 0))
    early_next = book(london, patient, clinician, at(sunday + dt.timedelta(days=1), 0, 30))
    found = list(scheduling.appointments_between(london, start, end))
    assert late in found and early_next not in found
    autumn_start, autumn_end = scheduling.day_bounds(LONDON, dt.date(2026, 10, 25))
    assert autumn_end - autumn_start == dt.timedelta(hours=25)


def test_bad_input_names_the_field(london: Clinic, patient: Any, clinician: Any, desk: Any) -> None:
    naive = dt.datetime(2026, 3, 30, 9)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"start": naive}, "start"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": 600}, "minutes"),
        ({"kind": "massage"}, "kind"),
        ({"clinician": desk}, "clinician"),
    ]
    for change, field in cases:
        fields: dict[str, Any] = {
            "clinic": london, "patient": patient, "clinician": clinician,
            "start": at(AFTER, 9), "minutes": 30, "kind": "new", **change,
        }  # fmt: skip
        with pytest.raises(Refused) as refused:
            actions.do_book_appointment(**fields)
        assert refused.value.field == field
    assert not Appointment.objects.exists()


def test_a_move_needs_the_current_version_and_a_free_time(
    london: Clinic, patient: Any, clinician: Any
) -> None:
    first = book(london, patient, clinician, at(AFTER, 9))
    book(london, make_patient(london, given_name="Bo"), clinician, at(AFTER, 11))
    moved = actions.do_change_appointment(appointment=first, version=1, start=at(AFTER, 10))
    assert moved.version == 2 and moved.start == at(AFTER, 10)
    with pytest.raises(actions.StaleAppointment) as stale:
        actions.do_change_appointment(appointment=first, version=1, start=at(AFTER, 12))
    assert stale.value.current.version == 2
    with pytest.raises(actions.Clash):
        actions.do_change_appointment(appointment=first, version=2, start=at(AFTER, 11, 30))
    assert Appointment.objects.get(pk=first.pk).start == at(AFTER, 10)


def test_status_changes_follow_the_day(london: Clinic, patient: Any, clinician: Any) -> None:
    appointment = book(london, patient, clinician, at(AFTER, 9))
    arrived = actions.do_change_appointment(appointment=appointment, version=1, status="arrived")
    with pytest.raises(actions.WrongStatus):
        actions.do_change_appointment(appointment=arrived, version=2, start=at(AFTER, 10))
    done = actions.do_change_appointment(appointment=arrived, version=2, status="completed")
    with pytest.raises(actions.WrongStatus, match="completed appointment cannot become booked"):
        actions.do_change_appointment(appointment=done, version=3, status="booked")


def test_a_time_zone_must_be_a_real_one(clinic: Clinic) -> None:
    with pytest.raises(Refused) as refused:
        actions.do_set_clinic_schedule(clinic=clinic, time_zone="Mars/Olympus")
    assert refused.value.field == "time_zone"


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="the test database of SQLite is in memory, shared between threads by table locks; "
    "make reliability books one slot from 20 clients through gunicorn on SQLite",
)
@pytest.mark.django_db(transaction=True)
def test_twenty_clients_booking_one_slot_at_once_make_one_appointment() -> None:
    clinic = actions.do_create_clinic(name="Busy", slug="busy")
    clinician = make_staff(clinic, "mei", Staff.CLINICIAN)
    patients = [make_patient(clinic, given_name=f"P{i}") for i in range(20)]
    start = dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC)
    outcomes: list[str] = []
    barrier = threading.Barrier(len(patients))

    def one(patient: Any) -> None:
        barrier.wait()
        try:
            book(clinic, patient, clinician, start)
            outcomes.append("booked")
        except actions.Clash:
            outcomes.append("clash")
        except Exception as error:  # the test reports any other failure
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["clash"] * 19
    assert Appointment.objects.filter(clinician=clinician).count() == 1
