"""The first exam opens pre-filled from the intake (issue 15): each answer the patient gave is a
finding on the form, marked "reported by the patient on DATE" until the clinician ticks
"Confirmed with the patient" or changes it; a reported red flag stands at the top and is never
dropped without a trace; the saved exam keeps which findings came from the patient."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from weizhong.clinic import actions
from weizhong.clinic.models import Exam, Intake, Patient
from weizhong.clinic.records import from_intake
from weizhong.clinic.records import intake as questions

from .conftest import form_data, make_exam

NO_TO_ALL = {finding: "no" for finding, _ in questions.RED_FLAG_QUESTIONS}
SENT = dt.datetime(2026, 12, 3, 15, 30, tzinfo=dt.UTC)


def submitted_intake(patient: Patient, answers: dict[str, Any]) -> Intake:
    """An intake made, saved and sent through the intake's own actions, sent on 3 December."""
    intake = actions.do_start_intake(patient=patient)
    actions.do_save_intake(intake=intake, answers={"history": answers.pop("history", "")})
    intake = actions.do_submit_intake(intake=intake, answers=answers)
    Intake.objects.filter(pk=intake.pk).update(submitted_at=SENT)  # the day, for the words
    intake.refresh_from_db()
    return intake


@pytest.fixture
def intake(patient: Patient) -> Intake:
    return submitted_intake(
        patient,
        {
            **NO_TO_ALL,
            "saddle_anaesthesia": "yes",
            "history": "Sore low back since May, worse when I sit at work.",
            "medicines": "warfarin 5 mg",
            "devices": "",
            "pregnant": "yes",
            "pain_regions": "low_back, buttock_left nowhere",
        },
    )


def checked(html: str, name: str, value: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*value="{value}"[^>]*>', html)
    return tag is not None and "checked" in tag.group(0)


def test_the_intake_reads_as_findings_the_case_format_allows(intake: Intake) -> None:
    reported = from_intake.reported_by(intake)
    assert reported.day == dt.date(2026, 12, 3)
    assert reported.findings["saddle_anaesthesia"] is True
    assert reported.findings["fever"] is False
    assert reported.findings["pain_regions"] == ["low_back", "buttock_left"]  # unknown left out
    assert reported.flags == ["saddle_anaesthesia"]
    assert reported.words["history"].startswith("Sore low back")
    assert reported.words["medicines"] == "warfarin 5 mg" and "devices" not in reported.words
    assert reported.pregnant == "yes"


def test_a_body_chart_stored_as_a_list_maps_too(patient: Patient) -> None:
    intake = submitted_intake(patient, dict(NO_TO_ALL))
    Intake.objects.filter(pk=intake.pk).update(
        answers={**intake.answers, "pain_regions": ["sacrum", "calf_right", "sacrum", 7]}
    )
    intake.refresh_from_db()
    assert from_intake.reported_by(intake).findings["pain_regions"] == ["sacrum", "calf_right"]


def test_the_first_exam_opens_with_the_answers_marked_as_the_patients(
    doc: Client, patient: Patient, intake: Intake
) -> None:
    page = doc.get(reverse("exam_new", args=[patient.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert checked(html, "saddle_anaesthesia", "yes")
    assert checked(html, "fever", "no")
    assert "reported by the patient on 3 December 2026" in html
    assert html.count('name="confirm"') == len(questions.RED_FLAG_QUESTIONS) + 1  # + the chart
    # The reported red flag stands at the top, before the form.
    top = html.index("Red flags the patient reported on 3 December 2026")
    assert top < html.index('id="exam-form"')
    assert "The intake's screen raised: <strong>Possible cauda equina syndrome</strong>." in html
    assert "Sore low back since May" in html
    assert "The patient reported being pregnant; the patient&#x27;s details say not." in html
    assert "The patient listed medicines; the patient&#x27;s details list none." in html
    assert f'name="intake" value="{intake.pk}"' in html
    assert checked(html, "pain_regions", "low_back")
    assert checked(html, "pain_regions", "buttock_left")


def test_saving_records_what_was_confirmed_left_or_changed(
    doc: Client, patient: Patient, intake: Intake
) -> None:
    findings = {**from_intake.reported_by(intake).findings, "fever": True}
    data = form_data(findings) | {"intake": str(intake.pk)}
    data["confirm"] = ["saddle_anaesthesia", "fever"]
    data["pain_regions"] = ["low_back", "buttock_left"]
    response = doc.post(reverse("exam_new", args=[patient.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    exam = Exam.objects.get(patient=patient)
    record = exam.reported
    assert record["intake"] == intake.pk and record["day"] == "2026-12-03"
    assert record["findings"]["saddle_anaesthesia"] == {"reported": True, "status": "confirmed"}
    assert record["findings"]["fever"] == {
        "reported": False, "status": "changed", "recorded": True}  # fmt: skip
    assert record["findings"]["pain_regions"]["status"] == "unconfirmed"
    assert record["findings"]["bowel_dysfunction"]["status"] == "unconfirmed"
    assert record["words"]["history"].startswith("Sore low back")
    detail = doc.get(reverse("exam", args=[exam.pk])).content.decode()
    assert "From the patient's intake of 3 December 2026" in detail
    assert "confirmed with the patient" in detail
    assert "changed at the exam to yes" in detail
    assert "reported by the patient, not confirmed" in detail


def test_a_reported_red_flag_cleared_by_the_clinician_stays_on_the_exam(
    doc: Client, patient: Patient, intake: Intake
) -> None:
    findings = dict(from_intake.reported_by(intake).findings)
    del findings["saddle_anaesthesia"]  # left not examined
    data = form_data(findings) | {"intake": str(intake.pk)}
    assert doc.post(reverse("exam_new", args=[patient.pk]), data).status_code == 302
    exam = Exam.objects.get(patient=patient)
    assert exam.reported["findings"]["saddle_anaesthesia"] == {
        "reported": True, "status": "changed", "recorded": None}  # fmt: skip
    detail = doc.get(reverse("exam", args=[exam.pk])).content.decode()
    assert "Numbness of the perineum or inner thighs: yes" in detail
    assert "changed at the exam to not examined" in detail


def test_the_live_preview_follows_confirm_and_change(
    doc: Client, patient: Patient, intake: Intake
) -> None:
    findings = {**from_intake.reported_by(intake).findings, "fever": True}
    data = form_data(findings) | {"intake": str(intake.pk), "confirm": ["saddle_anaesthesia"]}
    html = doc.post(reverse("exam_preview", args=[patient.pk]), data).content.decode()
    fever = re.search(r'<span[^>]*id="reported-status-fever"[^>]*>(.*?)</span>', html)
    saddle = re.search(r'<span[^>]*id="reported-status-saddle_anaesthesia"[^>]*>(.*?)</span>', html)
    assert fever and 'hx-swap-oob="true"' in fever.group(0)
    assert "changed: the patient reported “no” on 3 December 2026" in fever.group(1)
    assert saddle and "reported by the patient on 3 December 2026, confirmed" in saddle.group(1)


def test_a_patient_already_examined_or_without_a_sent_intake_gets_no_prefill(
    doc: Client, patient: Patient, clinician: Any, intake: Intake
) -> None:
    make_exam(patient, clinician)
    html = doc.get(reverse("exam_new", args=[patient.pk])).content.decode()
    assert "reported by the patient" not in html
    assert from_intake.for_new_exam(patient) is None


def test_an_intake_not_yet_sent_fills_nothing(doc: Client, patient: Patient) -> None:
    intake = actions.do_start_intake(patient=patient)
    actions.do_save_intake(intake=intake, answers={"saddle_anaesthesia": "yes"})
    html = doc.get(reverse("exam_new", args=[patient.pk])).content.decode()
    assert "reported by the patient" not in html
    assert not checked(html, "saddle_anaesthesia", "yes")
