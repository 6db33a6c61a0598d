"""The clinic's day set up by an administrator (issue 15): time zone and notice period, rooms,
each clinician's working hours and overlap setting, through the actions, refused in words,
audited; nobody else may open the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tests.clinic.conftest import logged_in, make_staff, past_second_factor
from weizhong.clinic import actions
from weizhong.clinic.audit.events import ACTION_EVENTS
from weizhong.clinic.models import AuditEvent, Clinic, ClinicSchedule, Room, Staff, WorkingHours
from weizhong.clinic.records.rules import Refused

URL = "/settings/day/"


@pytest.fixture
def admin(clinic: Clinic) -> Client:
    client = logged_in(make_staff(clinic, "ana", Staff.CLINICIAN, is_admin=True))
    return past_second_factor(client)


def hours_post(user: Any, **fields: str) -> dict[str, str]:
    return {
        "part": "hours",
        "user": str(user.pk),
        **{f"u{user.pk}-{k}": v for k, v in fields.items()},
    }


def test_only_an_administrator_opens_the_page(
    admin: Client, doc: Client, desk_client: Client
) -> None:
    assert admin.get(URL).status_code == 200
    assert doc.get(URL).status_code == 403
    assert desk_client.get(URL).status_code == 403
    assert doc.post(URL, {"part": "room", "name": "Room 9"}).status_code == 403
    assert not Room.objects.exists()
    assert Client().get(URL).status_code == 302  # to sign in


def test_the_time_zone_and_notice_are_set_and_audited(admin: Client, clinic: Clinic) -> None:
    page = admin.get(URL)
    assert page.context["clinic_day"].initial["cancel_notice_hours"] == 24
    done = admin.post(
        URL, {"part": "clinic", "time_zone": "Europe/London", "cancel_notice_hours": "48"}
    )
    assert done.status_code == 302
    schedule = ClinicSchedule.objects.get(clinic=clinic)
    assert (schedule.time_zone, schedule.cancel_notice_hours) == ("Europe/London", 48)
    event = ACTION_EVENTS["do_set_clinic_schedule"]
    (audited,) = AuditEvent.objects.filter(what=event.what, target=f"clinic {clinic.pk}")
    assert audited.username == "ana"
    bad = admin.post(
        URL, {"part": "clinic", "time_zone": "Mars/Olympus", "cancel_notice_hours": "500"}
    )
    assert bad.status_code == 422
    errors = bad.context["clinic_day"].errors
    assert "time_zone" in errors and "cancel_notice_hours" in errors
    assert "168" in str(errors["cancel_notice_hours"])


def test_the_action_refuses_a_notice_period_out_of_range(clinic: Clinic) -> None:
    with pytest.raises(Refused) as refused:
        actions.do_set_clinic_schedule(clinic=clinic, time_zone="UTC", cancel_notice_hours=200)
    assert refused.value.field == "cancel_notice_hours" and "0 to 168" in refused.value.message


def test_rooms_are_added_once_by_name(admin: Client, clinic: Clinic) -> None:
    assert admin.post(URL, {"part": "room", "name": "Room 1"}).status_code == 302
    again = admin.post(URL, {"part": "room", "name": "room 1"})
    assert again.status_code == 422 and "already a room called room 1" in again.text
    empty = admin.post(URL, {"part": "room", "name": ""})
    assert empty.status_code == 422
    assert list(Room.objects.values_list("name", flat=True)) == ["Room 1"]
    assert "Room 1" in admin.get(URL).text


def test_working_hours_and_overlap_are_saved_and_shown_again(admin: Client, clinician: Any) -> None:
    done = admin.post(
        URL,
        hours_post(
            clinician, d0_0_from="09:00", d0_0_until="12:00", d0_1_from="14:00",
            d0_1_until="18:00", d2_0_from="08:00", d2_0_until="13:00", allow_overlap="on",
        ),
    )  # fmt: skip
    assert done.status_code == 302
    week = WorkingHours.objects.filter(user=clinician).values_list("weekday", "starts", "ends")
    assert list(week) == [
        (0, dt.time(9), dt.time(12)), (0, dt.time(14), dt.time(18)), (2, dt.time(8), dt.time(13))
    ]  # fmt: skip
    assert actions.do_get_calendar(clinician).allow_overlap is True
    page = admin.get(URL)
    (mei,) = [p for p in page.context["people"] if p["user"] == clinician]
    assert mei["form"].initial["d0_1_from"] == "14:00" and mei["form"].initial["allow_overlap"]
    # Saving again without the overlap box and with Monday only replaces the week.
    admin.post(URL, hours_post(clinician, d0_0_from="10:00", d0_0_until="16:00"))
    assert WorkingHours.objects.filter(user=clinician).count() == 1
    assert actions.do_get_calendar(clinician).allow_overlap is False


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"d1_0_from": "12:00", "d1_0_until": "09:00"}, "the hours on Tuesday must end after"),
        (
            {
                "d1_0_from": "09:00",
                "d1_0_until": "13:00",
                "d1_1_from": "12:00",
                "d1_1_until": "17:00",
            },
            "two stretches of hours on Tuesday overlap",
        ),
        ({"d4_0_from": "09:00"}, "Give both times for Friday"),
        ({"d4_0_from": "nine", "d4_0_until": "17:00"}, "Enter a valid time"),
    ],
)
def test_bad_hours_are_refused_in_words_and_nothing_changes(
    admin: Client, clinician: Any, fields: dict[str, str], words: str
) -> None:
    actions.do_set_working_hours(user=clinician, hours=[(0, dt.time(9), dt.time(17))])
    refused = admin.post(URL, hours_post(clinician, **fields))
    assert refused.status_code == 422 and words in refused.text
    assert WorkingHours.objects.filter(user=clinician).count() == 1


def test_a_clinician_of_another_clinic_cannot_be_set(admin: Client, stranger: Any) -> None:
    answer = admin.post(URL, hours_post(stranger, d0_0_from="09:00", d0_0_until="17:00"))
    assert answer.status_code == 302
    assert not WorkingHours.objects.filter(user=stranger).exists()
