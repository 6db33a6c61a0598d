"""Online booking in the portal (issue 15): free times with the patient's clinician in the next
two weeks, within working hours and clashing with nothing; booking through the desk's action;
cancelling unless within the clinic's notice period; the desk sees it at once."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from tests.clinic.conftest import make_exam, make_patient, make_staff
from weizhong.clinic import actions
from weizhong.clinic.accounts.portal_links import make_token
from weizhong.clinic.models import Appointment, Clinic, Staff
from weizhong.clinic.records import online_booking, scheduling
from weizhong.clinic.records.rules import Refused

LONDON = ZoneInfo("Europe/London")
# Friday 20 March 2026, 10:00 in London (GMT); British Summer Time begins on the 29th.
NOW = dt.datetime(2026, 3, 20, 10, 0, tzinfo=LONDON)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def london(clinic: Clinic) -> Clinic:
    actions.do_set_clinic_schedule(clinic=clinic, time_zone="Europe/London")
    return clinic


@pytest.fixture
def ada(london: Clinic, clinician: Any) -> Any:
    patient = make_patient(london, primary_clinician=clinician)
    actions.do_set_working_hours(
        user=clinician,
        hours=[(d, dt.time(9), dt.time(12)) for d in (0, 2, 4)],  # Mon, Wed, Fri mornings
    )
    return patient


def starts(patient: Any, clinician: Any, kind: str = "follow_up") -> list[dt.datetime]:
    return [s for d in online_booking.free_slots(patient, clinician, kind, NOW) for s in d.starts]


def test_free_times_are_in_working_hours_after_now_and_within_two_weeks(
    ada: Any, clinician: Any
) -> None:
    free = starts(ada, clinician)
    assert free[0] == at(20, 10, 30)  # not now, and on the half hour
    # Two weeks on the wall clock: Friday 3 April 10:00 (now summer time) is the last.
    assert free[-1] == at(3, 10, 0, month=4)
    assert {s.weekday() for s in free} == {0, 2, 4}
    assert all(dt.time(9) <= s.timetz().replace(tzinfo=None) <= dt.time(11, 30) for s in free)
    # After the change to summer time 09:00 is still 09:00 on the wall clock.
    assert at(30, 9) in free and at(30, 9).utcoffset() == dt.timedelta(hours=1)


def test_a_taken_time_is_not_free_and_a_new_patient_needs_longer(
    ada: Any, clinician: Any, london: Clinic
) -> None:
    other = make_patient(london, given_name="Bo")
    actions.do_book_appointment(
        clinic=london, patient=other, clinician=clinician, start=at(23, 10), minutes=30,
        kind="follow_up",
    )  # fmt: skip
    free = starts(ada, clinician)
    assert at(23, 10) not in free and at(23, 9, 30) in free and at(23, 10, 30) in free
    new = starts(ada, clinician, "new")  # 45 minutes: 09:30 would run into 10:00
    assert at(23, 9, 30) not in new and at(23, 11) in new and at(23, 11, 30) not in new
    # A clinician who allows overlapping bookings keeps the time free (another room).
    actions.do_set_calendar(user=clinician, allow_overlap=True)
    assert at(23, 10) in starts(ada, clinician)


def test_the_patient_books_a_free_time_with_their_clinician(
    ada: Any, clinician: Any, london: Clinic
) -> None:
    made = actions.do_book_online(patient=ada, start=at(23, 10), now=NOW)
    assert (made.clinician, made.status, made.kind, made.minutes) == (
        clinician, "booked", "new", 45
    )  # fmt: skip
    assert made.booked_by is None
    make_exam(ada, clinician)
    again = actions.do_book_online(patient=ada, start=at(25, 9), now=NOW)
    assert (again.kind, again.minutes) == ("follow_up", 30)


@pytest.mark.parametrize(
    ("start", "field", "words"),
    [
        (at(21, 10), "start", "not free"),  # a Saturday
        (at(23, 10, 10), "start", "not free"),  # not one of the times offered
        (at(23, 13), "start", "not free"),  # after hours
        (at(20, 9), "start", "next two weeks"),  # already past
        (at(6, 9, month=4), "start", "next two weeks"),  # too far ahead
        (dt.datetime(2026, 3, 23, 10), "start", "times shown"),  # no offset
    ],
)
def test_a_time_not_offered_is_refused_in_words(
    ada: Any, start: dt.datetime, field: str, words: str
) -> None:
    with pytest.raises(Refused) as refused:
        actions.do_book_online(patient=ada, start=start, now=NOW)
    assert refused.value.field == field and words in refused.value.message
    assert not Appointment.objects.exists()


def test_without_a_clinician_the_patient_is_asked_to_call(london: Clinic) -> None:
    patient = make_patient(london)
    with pytest.raises(Refused) as refused:
        actions.do_book_online(patient=patient, start=at(23, 10), now=NOW)
    assert refused.value.field == "clinician" and "call" in refused.value.message


def test_the_clinician_of_the_latest_appointment_when_no_primary_one(
    london: Clinic, clinician: Any
) -> None:
    patient = make_patient(london)
    assert online_booking.their_clinician(patient) is None
    actions.do_book_appointment(
        clinic=london, patient=patient, clinician=clinician, start=at(16, 10), minutes=30,
        kind="new",
    )  # fmt: skip
    assert online_booking.their_clinician(patient) == clinician


def test_cancelling_is_refused_within_the_notice_period(
    ada: Any, clinician: Any, london: Clinic
) -> None:
    soon = actions.do_book_online(patient=ada, start=at(20, 11), now=NOW)  # in an hour
    later = actions.do_book_online(patient=ada, start=at(25, 9), now=NOW)
    with pytest.raises(Refused) as refused:
        actions.do_cancel_online(patient=ada, appointment=soon, now=NOW)
    assert "less than 24 hours" in refused.value.message and "call the clinic" in (
        refused.value.message
    )
    assert actions.do_cancel_online(patient=ada, appointment=later, now=NOW).status == "cancelled"
    # The clinic's own notice period counts: two hours lets the soon one go... not within one.
    actions.do_set_clinic_schedule(clinic=london, time_zone="Europe/London", cancel_notice_hours=2)
    ada.clinic.refresh_from_db()
    with pytest.raises(Refused, match="less than 2 hours"):
        actions.do_cancel_online(patient=ada, appointment=soon, now=NOW)
    assert actions.do_cancel_online(
        patient=ada, appointment=soon, now=NOW - dt.timedelta(hours=2)
    ).status == "cancelled"  # fmt: skip


def test_a_patient_cannot_cancel_someone_elses_appointment(
    ada: Any, clinician: Any, london: Clinic
) -> None:
    other = make_patient(london, given_name="Bo")
    theirs = actions.do_book_appointment(
        clinic=london, patient=other, clinician=clinician, start=at(25, 9), minutes=30,
        kind="new",
    )  # fmt: skip
    with pytest.raises(Refused, match="not one of your appointments"):
        actions.do_cancel_online(patient=ada, appointment=theirs, now=NOW)


# ------------------------------------------------------------------------------- the pages


def portal(patient: Any) -> str:
    actions.do_issue_portal_link(patient=patient)
    patient.refresh_from_db()
    return f"/p/{make_token(patient)}"


@pytest.fixture
def ada_now(clinic: Clinic, clinician: Any) -> Any:
    """Ada with the clinic in its default zone and Mei without working hours (weekdays 9 to
    5), so there are free times whatever day the test runs."""
    return make_patient(clinic, primary_clinician=clinician)


def test_the_portal_books_and_the_desk_sees_it_at_once(
    ada_now: Any, clinician: Any, clinic: Clinic
) -> None:
    base = portal(ada_now)
    phone = Client()
    page = phone.get(f"{base}/book/")
    assert page.status_code == 200
    shown = page.context["shown"]
    first = shown["times"][0]["value"]
    booked = phone.post(f"{base}/book/", {"start": first})
    assert booked.status_code == 302
    made = Appointment.objects.get(patient=ada_now)
    assert made.start == dt.datetime.fromisoformat(first)
    home = phone.get(f"{base}/")
    assert "Booked:" in home.text and "Your appointments" in home.text
    desk = make_staff(clinic, "sam", Staff.FRONT_DESK)
    front = Client()
    front.force_login(desk)
    local = made.start.astimezone(scheduling.clinic_zone(clinic))
    day = front.get(f"/schedule/?date={local.date().isoformat()}")
    assert f"/schedule/{made.pk}/" in day.text and f"{local:%H:%M}" in day.text
    # The same time again is gone from the page and refused if sent anyway.
    again = Client().post(f"{base}/book/", {"start": first})
    assert again.status_code == 422 and "not free" in again.text
    junk = Client().post(f"{base}/book/", {"start": "tomorrow"})
    assert junk.status_code == 422


def test_the_portal_cancels_or_says_to_call(ada_now: Any, clinician: Any, clinic: Clinic) -> None:
    base = portal(ada_now)
    now = dt.datetime.now(dt.UTC)
    soon = actions.do_book_appointment(
        clinic=clinic, patient=ada_now, clinician=clinician, start=now + dt.timedelta(hours=3),
        minutes=30, kind="new",
    )  # fmt: skip
    later = actions.do_book_appointment(
        clinic=clinic, patient=ada_now, clinician=clinician, start=now + dt.timedelta(days=3),
        minutes=30, kind="new",
    )  # fmt: skip
    home = Client().get(f"{base}/").text
    assert "too late to cancel this one online" in home
    assert f"/appointments/{later.pk}/cancel/" in home
    assert f"/appointments/{soon.pk}/cancel/" not in home
    refused = Client().post(f"{base}/appointments/{soon.pk}/cancel/", follow=True)
    assert "less than 24 hours" in refused.text
    soon.refresh_from_db()
    assert soon.status == "booked"
    Client().post(f"{base}/appointments/{later.pk}/cancel/")
    later.refresh_from_db()
    assert later.status == "cancelled"
    other = make_patient(clinic, given_name="Bo")
    theirs = actions.do_book_appointment(
        clinic=clinic, patient=other, clinician=clinician, start=now + dt.timedelta(days=4),
        minutes=30, kind="new",
    )  # fmt: skip
    assert Client().post(f"{base}/appointments/{theirs.pk}/cancel/").status_code == 404
