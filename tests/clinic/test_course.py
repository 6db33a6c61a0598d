"""A course of care booked from the plan (issue 15): the plan's visits per week and planned
visits become slots in the clinician's hours, the round ends with a re-evaluation, the front
desk confirms, and a clash since the proposal books nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from weizhong.clinic import actions
from weizhong.clinic.models import Appointment, Clinic
from weizhong.clinic.records import course

LONDON = "Europe/London"
MONDAY = dt.date(2030, 1, 7)
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _hours(clinician: Any) -> None:
    actions.do_set_working_hours(
        user=clinician,
        hours=[(d, dt.time(9), dt.time(13)) for d in (0, 1, 2, 3)],  # Monday to Thursday
    )


def test_the_plan_becomes_visits_in_the_clinicians_hours_then_a_reevaluation(
    clinic: Clinic, clinician: Any, patient: Any
) -> None:
    actions.do_set_clinic_schedule(clinic=clinic, time_zone=LONDON)
    _hours(clinician)
    other = actions.do_book_appointment(
        clinic=clinic, patient=actions.do_create_patient(clinic=clinic, fields={
            "given_name": "Bo", "family_name": "T", "birth_date": dt.date(1990, 1, 1)}),
        clinician=clinician, start=dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC), minutes=30,
        kind="new",
    )  # fmt: skip
    proposed = course.propose_course(
        clinic=clinic, patient=patient, clinician=clinician, visits_per_week=2,
        planned_visits=3, first_day=MONDAY, minutes=30, now=NOW,
    )  # fmt: skip
    days = [(v.start.date(), v.start.strftime("%H:%M"), v.kind) for v in proposed]
    assert days == [
        (dt.date(2030, 1, 7), "09:30", "follow_up"),  # 09:00 is taken
        (dt.date(2030, 1, 9), "09:00", "follow_up"),  # Monday and Wednesday of four days
        (dt.date(2030, 1, 14), "09:00", "follow_up"),
        (dt.date(2030, 1, 16), "09:00", "reevaluation"),
    ]
    assert other.pk


def test_the_desk_confirms_and_every_visit_is_booked(
    clinic: Clinic, clinician: Any, desk_client: Client, patient: Any, plan: Any
) -> None:
    _hours(clinician)
    page = desk_client.get(
        f"/patients/{patient.pk}/course/?first_day={MONDAY}&clinician=mei&minutes=30"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Re-evaluation" in text
    starts = [s.split('"')[0] for s in text.split('name="start" value="')[1:]]
    kinds = [s.split('"')[0] for s in text.split('name="kind" value="')[1:]]
    assert len(starts) == plan.planned_visits + 1 and kinds[-1] == "reevaluation"
    data = {"clinician": "mei", "minutes": 30, "first_day": MONDAY, "start": starts, "kind": kinds}
    response = desk_client.post(f"/patients/{patient.pk}/course/", data)
    assert response.status_code == 302
    booked = list(Appointment.objects.filter(patient=patient).order_by("start"))
    assert [a.kind for a in booked] == ["follow_up"] * plan.planned_visits + ["reevaluation"]
    # The same proposal again clashes with what was just booked: nothing more is booked.
    again = desk_client.post(f"/patients/{patient.pk}/course/", data)
    assert again.status_code == 409
    assert f"appointment {booked[0].pk}" in again.content.decode()
    assert Appointment.objects.filter(patient=patient).count() == len(booked)


def test_the_chart_links_to_the_course_for_the_desk_and_a_patient_without_plan_is_told(
    desk_client: Client, patient: Any
) -> None:
    chart = desk_client.get(f"/patients/{patient.pk}/").content.decode()
    assert f"/patients/{patient.pk}/course/" in chart
    page = desk_client.get(f"/patients/{patient.pk}/course/").content.decode()
    assert "no plan yet" in page
    assert not Appointment.objects.exists()
