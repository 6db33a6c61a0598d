"""A re-evaluation appointment opens a re-examination beside the previous exam (issue 15): the
previous value of each finding and the change since beside it, and the assessment then and now."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from weizhong.clinic import actions
from weizhong.clinic.models import Appointment, Exam, Patient
from weizhong.clinic.records import compare

from .conftest import form_data, make_patient, runner_findings


def book(patient: Patient, clinician: Any, kind: str, hours: int = 2) -> Appointment:
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)
    return actions.do_book_appointment(
        clinic=patient.clinic, patient=patient, clinician=clinician, start=start, minutes=30,
        kind=kind,
    )  # fmt: skip


def day_of(exam: Exam) -> str:
    return formats.date_format(timezone.localtime(exam.created).date(), "j F Y")


def test_a_reevaluation_appointment_opens_the_exam_beside_the_last(
    doc: Client, patient: Patient, exam: Exam, clinician: Any
) -> None:
    appointment = book(patient, clinician, "reevaluation")
    html = doc.get(
        reverse("exam_new", args=[patient.pk]) + f"?appointment={appointment.pk}"
    ).content.decode()
    assert f"Re-examination beside the exam of {day_of(exam)}" in html
    assert f'name="previous" value="{exam.pk}"' in html
    ake = runner_findings()["ake_left_deg"]
    assert f"<strong>{ake}</strong> · <span" in field_html(html, "ake_left_deg")
    assert ">no change</span>" in field_html(html, "ake_left_deg")  # starts from the last values
    # The red-flag screen is asked again: its previous "no" shows, and the field is not filled.
    saddle = field_html(html, "saddle_anaesthesia")
    assert "<strong>no</strong>" in saddle and ">not examined yet</span>" in saddle


def field_html(html: str, name: str) -> str:
    """The exam form's block of one finding (up to the next finding)."""
    start = html.index(f'id="field-{name}"')
    end = html.find('class="finding', start)
    return html[start : end if end > 0 else None]


def test_other_appointments_and_other_patients_appointments_open_a_plain_exam(
    doc: Client, patient: Patient, exam: Exam, clinician: Any, clinic: Any
) -> None:
    follow_up = book(patient, clinician, "follow_up")
    other = make_patient(clinic, given_name="Bo", family_name="Tanaka")
    theirs = book(other, clinician, "reevaluation", hours=4)
    for appointment in (follow_up, theirs):
        html = doc.get(
            reverse("exam_new", args=[patient.pk]) + f"?appointment={appointment.pk}"
        ).content.decode()
        assert "Re-examination beside" not in html and 'name="previous"' not in html


def test_the_live_assessment_shows_each_change_and_compares_then_and_now(
    doc: Client, patient: Patient, exam: Exam
) -> None:
    findings = {**runner_findings(), "ake_left_deg": runner_findings()["ake_left_deg"] - 20}
    del findings["slr_left_deg"]
    data = form_data(findings) | {"previous": str(exam.pk)}
    html = doc.post(reverse("exam_preview", args=[patient.pk]), data).content.decode()
    ake = re.search(r'<span id="change-ake_left_deg"[^>]*hx-swap-oob="true">(.*?)</span>', html)
    assert ake and ake.group(1) == "−20° since then"
    slr = re.search(r'<span id="change-slr_left_deg"[^>]*>(.*?)</span>', html)
    assert slr and slr.group(1) == "not examined yet"
    assert f"Then ({day_of(exam)}) and now" in html
    top = exam.assessment["differential"][0]["name"]
    assert f'<th scope="row">{top}</th>' in html


def test_the_saved_reexamination_is_a_new_exam(doc: Client, patient: Patient, exam: Exam) -> None:
    data = form_data(runner_findings()) | {"previous": str(exam.pk)}
    response = doc.post(reverse("exam_new", args=[patient.pk]), data)
    assert response.status_code == 302
    assert patient.exams.count() == 2


def test_the_schedule_and_today_offer_the_reexamination(
    doc: Client, patient: Patient, exam: Exam, clinician: Any
) -> None:
    appointment = book(patient, clinician, "reevaluation", hours=0)
    link = reverse("exam_new", args=[patient.pk]) + f"?appointment={appointment.pk}"
    day = timezone.localtime(appointment.start).date().isoformat()
    assert link in doc.get(reverse("schedule") + f"?date={day}").content.decode()
    if timezone.localtime(appointment.start).date() == timezone.localdate():
        assert link in doc.get(reverse("dashboard")).content.decode()


def test_a_change_reads_in_words() -> None:
    assert compare.change_text("ake_left_deg", 40, 28) == "−12° since then"
    assert compare.change_text("sit_and_reach_cm", -5, 2.5) == "+7.5 since then"
    assert compare.change_text("slump", "positive", "positive") == "no change"
    assert compare.change_text("slump", "positive", "negative") == "changed (now negative)"
    assert compare.change_text("fever", False, None) == "not examined yet"
    assert compare.change_text("trigger_points", ["a", "b"], ["b", "a"]) == "no change"
    assert compare.value_text(["low_back"]) == "Low back"
    assert compare.value_text([]) == "examined: none found"
