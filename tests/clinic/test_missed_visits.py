"""Cancelled and missed visits count (issue 15): in adherence on the chart and Today, and in the
re-evaluation reasoning ("3 of 8 planned visits were missed: consider adherence before changing
the plan"). Planned visits are the appointments booked since the active plan whose time has
come; missed ones were cancelled or the patient did not come."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from weizhong.clinic import actions
from weizhong.clinic.models import Appointment, Exam, Patient, Plan
from weizhong.clinic.records import services
from weizhong.clinic.records.attendance import Attendance, attendance_since

from .conftest import make_plan, make_visit

MISSED_WORDS = "3 of 8 planned visits were missed (2 cancelled, 1 did not come)"


def book(patient: Patient, clinician: Any, start: dt.datetime) -> Appointment:
    return actions.do_book_appointment(
        clinic=patient.clinic, patient=patient, clinician=clinician, start=start, minutes=30,
        kind="follow_up",
    )  # fmt: skip


def set_status(appointment: Appointment, status: str) -> None:
    actions.do_change_appointment(
        appointment=appointment, version=appointment.version, status=status
    )


def a_round_of_care(patient: Patient, exam: Exam, clinician: Any, planned: int) -> Plan:
    """A plan saved 30 days ago, eight appointments after it (2 cancelled, 1 missed), one
    cancelled and one booked still to come (not counted yet)."""
    began = timezone.now() - dt.timedelta(days=30)
    with time_machine.travel(began, tick=False):
        plan = make_plan(exam, clinician, planned_visits=planned)
    booked = [book(patient, clinician, began + dt.timedelta(days=2 * i + 1)) for i in range(8)]
    set_status(booked[1], "cancelled")
    set_status(booked[4], "cancelled")
    set_status(booked[6], "no_show")
    later = timezone.now() + dt.timedelta(days=2)
    set_status(book(patient, clinician, later), "cancelled")
    book(patient, clinician, later + dt.timedelta(days=1))
    return plan


def test_missed_visits_read_in_words() -> None:
    assert Attendance(planned=8, cancelled=2, no_show=1).words() == MISSED_WORDS
    assert Attendance(planned=1, cancelled=0, no_show=1).words() == (
        "1 of 1 planned visit was missed (1 did not come)"
    )
    assert Attendance(planned=5, cancelled=0, no_show=0).words() == ""
    assert Attendance(planned=8, cancelled=2, no_show=1).kept == 5


def test_only_the_appointments_since_the_plan_whose_time_has_come_count(
    patient: Patient, exam: Exam, clinician: Any
) -> None:
    book(patient, clinician, timezone.now() - dt.timedelta(days=60))  # before the plan
    plan = a_round_of_care(patient, exam, clinician, planned=5)
    assert attendance_since(patient.pk, plan.created) == Attendance(8, 2, 1)


def test_reevaluation_due_says_to_consider_adherence_first(
    doc: Client, patient: Patient, exam: Exam, clinician: Any
) -> None:
    plan = a_round_of_care(patient, exam, clinician, planned=5)
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[6], entered_by=clinician)
    for _n in range(5):
        make_visit(patient, plan, clinician)
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[5], entered_by=clinician)
    status = services.reevaluation(patient)
    assert status is not None and status.due
    expected = f"{MISSED_WORDS}: consider adherence before changing the plan"
    assert status.reason.endswith(expected)
    assert "without an important change on NPRS" in status.reason
    patient.refresh_from_db()
    assert patient.reeval_reason.endswith(expected)  # Today's reason
    chart = doc.get(reverse("patient", args=[patient.pk])).content.decode()
    assert "Visits since the plan: 5 of 8 kept." in chart and MISSED_WORDS in chart
    assert "3 of 8 visits missed" in doc.get(reverse("dashboard")).content.decode()


def test_before_the_round_ends_the_reason_still_names_the_missed_visits(
    patient: Patient, exam: Exam, clinician: Any
) -> None:
    a_round_of_care(patient, exam, clinician, planned=10)
    status = services.reevaluation(patient)
    assert status is not None and not status.due
    assert status.reason == f"0 of 10 planned visits done; {MISSED_WORDS}"


def test_marking_a_visit_missed_refreshes_todays_reason(
    patient: Patient, exam: Exam, clinician: Any
) -> None:
    plan = a_round_of_care(patient, exam, clinician, planned=5)
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[6], entered_by=clinician)
    for _n in range(5):
        make_visit(patient, plan, clinician)
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[5], entered_by=clinician)
    last = Appointment.objects.filter(patient=patient, status="booked", start__lt=timezone.now())
    set_status(last.latest("start"), "no_show")
    patient.refresh_from_db()
    assert "4 of 8 planned visits were missed (2 cancelled, 2 did not come)" in (
        patient.reeval_reason
    )


def test_no_missed_visit_leaves_the_reason_as_it_was(
    doc: Client, patient: Patient, plan: Plan, clinician: Any
) -> None:
    status = services.reevaluation(patient)
    assert status is not None and status.reason == "0 of 6 planned visits done"
    chart = doc.get(reverse("patient", args=[patient.pk])).content.decode()
    assert "visits-kept" not in chart
