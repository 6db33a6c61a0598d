"""The clinic's workflow through its pages: exam → assessment → plan → visit → note →
outcomes → re-evaluation, with bad input refused field by field and nothing half-saved."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from weizhong.case import validate_case
from weizhong.clinic import actions
from weizhong.clinic.models import Amendment, Exam, Note, Outcome, Patient, Plan, Visit
from weizhong.clinic.records import services
from weizhong.reasoning.assessment import assess

from .conftest import form_data, make_exam, make_plan, make_visit, runner_findings

# ------------------------------------------------------------------------------ patients


def test_add_patient_with_safety_facts(doc: Client, clinic: Any) -> None:
    response = doc.post(
        reverse("patient_new"),
        {
            "given_name": "Li",
            "family_name": "Wei",
            "birth_date": "1980-05-02",
            "sex": "male",
            "medications": "Warfarin, metoprolol",
            "devices": ["pacemaker"],
            "conditions": ["diabetes"],
        },
    )
    patient = Patient.objects.get(family_name="Wei")
    assert response.status_code == 302
    assert response["Location"] == reverse("patient", args=[patient.pk])
    assert patient.clinic == clinic
    assert patient.medications == ["Warfarin", "metoprolol"]
    assert patient.devices == ["pacemaker"]
    page = doc.get(reverse("patient", args=[patient.pk])).content.decode()
    assert "anticoagulant" in page  # the medication was recognised and classed


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_date", "2999-01-01", "in the future"),
        ("birth_date", "yesterday", "Enter a valid date"),
        ("sex", "robot", "Select a valid choice"),
        ("devices", "jetpack", "Select a valid choice"),
        ("given_name", "", "This field is required"),
    ],
)
def test_bad_patient_input_names_the_field_and_saves_nothing(
    doc: Client, clinic: Any, field: str, value: str, message: str
) -> None:
    data = {"given_name": "Li", "family_name": "Wei", "birth_date": "1980-05-02", "sex": "male"}
    data[field] = value
    response = doc.post(reverse("patient_new"), data)
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert not Patient.objects.filter(family_name="Wei").exists()


def test_search_finds_by_any_part_of_the_name(doc: Client, patient: Patient) -> None:
    assert "Runner" in doc.get(reverse("patients") + "?q=run").content.decode()
    assert "Runner" in doc.get(reverse("patients") + "?q=ada+run").content.decode()
    assert "Runner" not in doc.get(reverse("patients") + "?q=zzz").content.decode()
    partial = doc.get(reverse("patients") + "?q=ada", HTTP_HX_REQUEST="true").content.decode()
    assert "Runner" in partial
    assert "<html" not in partial  # htmx gets the rows only


# --------------------------------------------------------------------------- examination


def test_exam_saves_a_public_format_case_and_shows_the_assessment(
    doc: Client, patient: Patient
) -> None:
    response = doc.post(reverse("exam_new", args=[patient.pk]), form_data(runner_findings()))
    exam = Exam.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("exam", args=[exam.pk])
    assert exam.case["format"] == "weizhong.case/1"
    assert exam.case["findings"] == runner_findings()
    validate_case(exam.case)  # the stored case is valid for the command line too
    assert exam.top_condition == "hamstring_tightness"
    page = doc.get(response["Location"]).content.decode()
    assert "Low back pain driven by tight hamstrings" in page
    assert "Most useful next" in page


def test_empty_means_not_examined(doc: Client, patient: Patient) -> None:
    doc.post(
        reverse("exam_new", args=[patient.pk]),
        {"submit_token": str(uuid.uuid4()), "ake_left_deg": "44", "runner": "", "slump": ""},
    )
    exam = Exam.objects.get(patient=patient)
    assert exam.case["findings"] == {"ake_left_deg": 44}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slr_left_deg", "200", "less than or equal to 180"),
        ("slr_left_deg", "abc", "Enter a whole number"),
        ("slump", "maybe", "Select a valid choice"),
        ("pain_regions", "moon", "Select a valid choice"),
        ("sij_provocation_positive", "9", "less than or equal to 5"),
    ],
)
def test_bad_exam_input_is_refused_beside_the_field(
    doc: Client, patient: Patient, field: str, value: str, message: str
) -> None:
    data = form_data(runner_findings())
    data[field] = value
    response = doc.post(reverse("exam_new", args=[patient.pk]), data)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert not Exam.objects.filter(patient=patient).exists()
    page = response.content.decode()
    assert f'id="field-{field}"' in page or field == "pain_regions"
    assert "44" in page  # what was typed is kept


def test_core_validation_reaches_the_form(doc: Client, patient: Patient) -> None:
    """A rule only the core knows (sensitised SLR needs symptoms) comes back as a field error."""
    data = form_data({"slr_left_deg": 60, "slr_left_response": "none", "slr_left_sensitised": True})
    response = doc.post(reverse("exam_new", args=[patient.pk]), data)
    assert response.status_code == 422
    assert not Exam.objects.exists()
    assert any("slr_left" in name for name in response.context["form"].errors)


def test_double_submit_stores_one_exam(doc: Client, patient: Patient) -> None:
    data = form_data(runner_findings())
    first = doc.post(reverse("exam_new", args=[patient.pk]), data)
    second = doc.post(reverse("exam_new", args=[patient.pk]), data)
    assert Exam.objects.filter(patient=patient).count() == 1
    assert first["Location"] == second["Location"]


def test_live_preview_updates_the_picture(doc: Client, patient: Patient) -> None:
    url = reverse("exam_preview", args=[patient.pk])
    page = doc.post(url, form_data(runner_findings()), HTTP_HX_REQUEST="true").content.decode()
    raw = services.build_case(patient, runner_findings())
    top = services.decorate(assess(validate_case(raw)))["differential"][0]
    assert top["condition"] == "hamstring_tightness"
    assert f"{top['percent']}%" in page
    assert page.index(top["name"]) < page.index("Low back pain driven by short hip flexors")
    flagged = form_data({"saddle_anaesthesia": True, "bladder_dysfunction": True})
    page = doc.post(url, flagged, HTTP_HX_REQUEST="true").content.decode()
    assert "Red flags: act before anything else" in page
    assert "emergency" in page
    bad = doc.post(url, form_data({"ake_left_deg": 500}), HTTP_HX_REQUEST="true").content.decode()
    assert "Check these entries" in bad
    assert "field-ake_left_deg" in bad
    assert not Exam.objects.exists()  # a preview saves nothing


def test_red_flag_exam_raises_the_banner_and_the_dashboard_alert(
    doc: Client, patient: Patient, clinician: Any
) -> None:
    findings = {**runner_findings(), "saddle_anaesthesia": True, "bladder_dysfunction": True}
    exam = make_exam(patient, clinician, findings)
    page = doc.get(reverse("exam", args=[exam.pk])).content.decode()
    assert page.index("Red flags: act before anything else") < page.index("Differential")
    assert "emergency department" in page
    dashboard = doc.get(reverse("dashboard")).content.decode()
    assert "Red-flag alerts" in dashboard
    assert "cauda equina syndrome" in dashboard


def test_next_test_links_open_the_exam_at_that_field(doc: Client, exam: Exam) -> None:
    page = doc.get(reverse("exam", args=[exam.pk])).content.decode()
    first = exam.assessment["next_tests"][0]["finding"]
    assert f"?from={exam.pk}&focus={first}#field-{first}" in page
    form = doc.get(reverse("exam_new", args=[exam.patient_id]) + f"?from={exam.pk}&focus={first}")
    assert form.context["form"].initial["ake_left_deg"] == 44  # carried from the last exam
    assert f'data-focus="{first}"' in form.content.decode()


# ----------------------------------------------------------------------------- planning


def test_plan_editor_proposes_edits_and_saves_versions(doc: Client, exam: Exam) -> None:
    url = reverse("plan_editor", args=[exam.pk])
    page = doc.get(url).content.decode()
    assert "BL36" in page and "Save plan" in page
    # remove BL36, add SI3 on the left: the proposal changes, nothing is saved yet
    response = doc.post(
        url,
        {"drop_point": "BL36", "visits_per_week": 2, "planned_visits": 6, "guideline": "ACP2017"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    codes = [p["code"] for p in response.context["plan"]["acupuncture"]["points"]]
    assert "BL36" not in codes
    response = doc.post(
        url,
        {
            "remove_points": "BL36",
            "pick_point": "LU7:left",
            "visits_per_week": 2,
            "planned_visits": 6,
            "guideline": "ACP2017",
        },
    )
    points = response.context["plan"]["acupuncture"]["points"]
    lu7 = next(p for p in points if p["code"] == "LU7")
    assert (lu7["side"], lu7["rationale"]) == ("left", "Added by the clinician.")
    assert not Plan.objects.exists()
    response = doc.post(
        url,
        {
            "remove_points": "BL36",
            "add_points": "LU7:left",
            "action": "save",
            "after_version": "0",
            "visits_per_week": 3,
            "planned_visits": 8,
            "guideline": "ACP2017",
        },
    )
    saved = Plan.objects.get()
    assert response["Location"] == reverse("plan", args=[saved.pk])
    assert (saved.version, saved.visits_per_week, saved.planned_visits) == (1, 3, 8)
    assert saved.edits["remove_points"] == ["BL36"]
    assert "LU7:left" in saved.point_keys
    doc.post(
        url,
        {"action": "save", "visits_per_week": 2, "planned_visits": 6, "guideline": "NICE_NG59",
         "after_version": "1"},
    )  # fmt: skip
    assert list(Plan.objects.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert "LU7" not in [
        p["code"] for p in Plan.objects.get(version=2).plan["acupuncture"]["points"]
    ]


def test_unknown_point_is_an_error_not_a_guess(doc: Client, exam: Exam) -> None:
    url = reverse("plan_editor", args=[exam.pk])
    response = doc.post(
        url,
        {
            "add_points_text": "BL99",
            "action": "save",
            "visits_per_week": 2,
            "planned_visits": 6,
            "guideline": "ACP2017",
        },
    )
    assert response.status_code == 422
    assert "BL99" in response.content.decode()
    assert not Plan.objects.exists()


def test_override_needs_a_reason(doc: Client, patient: Patient, clinician: Any) -> None:
    patient.devices = ["pacemaker"]
    patient.save()
    exam = make_exam(patient, clinician)
    url = reverse("plan_editor", args=[exam.pk])
    page = doc.get(url).content.decode()
    assert "Pacemaker or defibrillator: no electro" in page
    base = {"visits_per_week": 2, "planned_visits": 6, "guideline": "ACP2017", "action": "save",
            "after_version": "0"}  # fmt: skip
    response = doc.post(
        url,
        {**base, "override": "pacemaker_no_electro", "override_reason_pacemaker_no_electro": "ok"},
    )
    assert response.status_code == 422
    assert "To override “Pacemaker or defibrillator: no electro”, write the reason" in (
        response.content.decode()
    )
    assert "--override" not in response.content.decode()
    assert not Plan.objects.exists()
    reason = "Cardiologist confirmed the device is off; consent recorded."
    doc.post(
        url,
        {
            **base,
            "override": "pacemaker_no_electro",
            "override_reason_pacemaker_no_electro": reason,
        },
    )
    saved = Plan.objects.get()
    assert saved.overrides == {"pacemaker_no_electro": reason}
    warning = next(w for w in saved.plan["warnings"] if w["id"] == "pacemaker_no_electro")
    assert warning["overridden"] is True


def test_plan_bad_settings_are_refused(doc: Client, exam: Exam) -> None:
    url = reverse("plan_editor", args=[exam.pk])
    response = doc.post(
        url, {"action": "save", "visits_per_week": 9, "planned_visits": 0, "guideline": "ACP2017"}
    )
    assert not Plan.objects.exists()
    errors = response.context["settings_form"].errors
    assert "visits_per_week" in errors and "planned_visits" in errors


def test_handout_is_a_real_pdf(doc: Client, plan: Plan) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    response = doc.get(reverse("plan_handout", args=[plan.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Your home programme" in text
    assert plan.plan["exercises"][0]["name"].split()[0] in text
    # issue 13: the patient's name and the date as the clinic writes it, not ISO
    from django.utils import timezone
    from django.utils.formats import date_format

    assert plan.patient.full_name in text
    assert date_format(timezone.localdate(), "j F Y") in text
    assert timezone.localdate().isoformat() not in text
    again = doc.get(reverse("plan_handout", args=[plan.pk]))  # kept: the same bytes
    assert again.content == response.content


# -------------------------------------------------------------------------------- visits


def test_visit_carries_points_forward_and_drafts_the_note(
    doc: Client, patient: Patient, plan: Plan
) -> None:
    form = doc.get(reverse("visit_new", args=[patient.pk])).context["form"]
    assert form.initial["points"] == plan.point_keys
    data = {
        "submit_token": str(uuid.uuid4()),
        "date": form.initial["date"].isoformat(),
        "points": "BL40:both, LU7:left",
        "needle_minutes": 25,
        "contact_minutes": 30,
        "regions_adjusted": ["lumbar"],
        "response": "better",
        "electro": "on",
        "electro_settings": "2 Hz",
    }
    response = doc.post(reverse("visit_new", args=[patient.pk]), data)
    visit = Visit.objects.get()
    assert response["Location"] == reverse("visit", args=[visit.pk])
    assert visit.points == ["BL40:both", "LU7:left"]
    note = visit.note
    assert "Needled: BL40:both, LU7:left" in note.plan
    assert "Visit 1 of 6" in note.plan
    assert "Low back pain driven by tight hamstrings" in note.assessment
    assert "Active knee extension" in note.objective
    # the next visit starts from this one's points
    assert doc.get(reverse("visit_new", args=[patient.pk])).context["form"].initial["points"] == [
        "BL40:both",
        "LU7:left",
    ]


def test_double_submitted_visit_is_stored_once(doc: Client, patient: Patient, plan: Plan) -> None:
    data = {
        "submit_token": str(uuid.uuid4()),
        "date": "2026-01-05",
        "points": "BL40",
        "needle_minutes": 20,
        "contact_minutes": 20,
        "response": "same",
    }
    doc.post(reverse("visit_new", args=[patient.pk]), data)
    doc.post(reverse("visit_new", args=[patient.pk]), data)
    assert Visit.objects.count() == 1
    assert Note.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("points", "BL99", "Not a point of the atlas"),
        ("points", "BL40:upside", "Not a point of the atlas"),
        ("needle_minutes", "500", "less than or equal to 120"),
        ("date", "2999-01-01", "cannot be in the future"),
    ],
)
def test_bad_visit_input_saves_nothing(
    doc: Client, patient: Patient, plan: Plan, field: str, value: str, message: str
) -> None:
    data = {
        "submit_token": str(uuid.uuid4()),
        "date": "2026-01-05",
        "points": "BL40",
        "needle_minutes": 20,
        "contact_minutes": 20,
        "response": "same",
        field: value,
    }
    response = doc.post(reverse("visit_new", args=[patient.pk]), data)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert not Visit.objects.exists() and not Note.objects.exists()


def test_signed_note_is_locked_and_amended(doc: Client, visit: Visit) -> None:
    url = reverse("visit", args=[visit.pk])
    doc.post(
        url,
        {
            "action": "save",
            "version": 1,
            "subjective": "Better.",
            "objective": "AKE 30",
            "assessment": "Tight hamstrings",
            "plan": "Continue",
        },
    )
    doc.post(
        url,
        {
            "action": "sign",
            "version": 2,
            "subjective": "Better, slept well.",
            "objective": "AKE 30",
            "assessment": "Tight hamstrings",
            "plan": "Continue",
        },
    )
    note = Note.objects.get(visit=visit)
    assert note.signed and note.subjective == "Better, slept well."
    response = doc.post(
        url,
        {
            "action": "save",
            "subjective": "Rewritten history",
            "objective": "",
            "assessment": "",
            "plan": "",
        },
        follow=True,
    )
    assert "add an amendment instead" in response.content.decode()
    note.refresh_from_db()
    assert note.subjective == "Better, slept well."
    doc.post(url, {"action": "amend", "text": "AKE was 32°, not 30°."})
    assert Amendment.objects.get(note=note).text == "AKE was 32°, not 30°."
    note.refresh_from_db()
    assert note.objective == "AKE 30"  # the original stays
    page = doc.get(url).content.decode()
    assert "AKE was 32°, not 30°." in page and "Locked" in page


def test_sign_twice_is_refused(visit: Visit, clinician: Any) -> None:
    actions.do_sign_note(note=visit.note, signer=clinician)
    with pytest.raises(actions.NoteLocked):
        actions.do_sign_note(note=visit.note, signer=clinician)


# ------------------------------------------------------------------------------ outcomes


def test_outcome_is_scored_by_the_core_and_charted(doc: Client, patient: Patient) -> None:
    url = reverse("outcome_new", args=[patient.pk])
    doc.post(
        url + "?instrument=odi", {"instrument": "odi", **{f"item_{n}": 2 for n in range(1, 11)}}
    )
    outcome = Outcome.objects.get()
    assert (outcome.instrument, outcome.score) == ("odi", 40)
    doc.post(url, {"instrument": "nprs", "item_1": 6})
    doc.post(url, {"instrument": "nprs", "item_1": 3})
    page = doc.get(reverse("outcomes", args=[patient.pk])).content.decode()
    assert "<svg" in page and "MCID" in page


def test_bad_outcome_answers_are_refused(doc: Client, patient: Patient) -> None:
    url = reverse("outcome_new", args=[patient.pk])
    response = doc.post(url, {"instrument": "nprs", "item_1": 11})
    assert response.status_code == 422
    assert "item_1" in response.context["form"].errors
    response = doc.post(url, {"instrument": "odi", "item_1": 2})  # nine sections skipped
    assert response.status_code == 422
    assert "skipped" in response.content.decode()
    assert not Outcome.objects.exists()
    assert doc.get(url + "?instrument=nonsense").status_code == 404


def test_reevaluation_comes_due_after_the_planned_visits_without_change(
    doc: Client, patient: Patient, plan: Plan, clinician: Any
) -> None:
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[6], entered_by=clinician)
    for _n in range(6):
        make_visit(patient, plan, clinician)
    actions.do_score_outcome(
        patient=patient, instrument="nprs", answers=[5], entered_by=clinician
    )  # 1 point: below the MCID of 2
    patient.refresh_from_db()
    assert patient.reeval_due
    assert "without an important change on NPRS" in patient.reeval_reason
    assert "Due for re-evaluation" in doc.get(reverse("dashboard")).content.decode()
    assert "Re-evaluation due." in doc.get(reverse("patient", args=[patient.pk])).content.decode()


def test_improvement_means_no_reevaluation_prompt(
    patient: Patient, plan: Plan, clinician: Any
) -> None:
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[7], entered_by=clinician)
    for _n in range(6):
        make_visit(patient, plan, clinician)
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[3], entered_by=clinician)
    patient.refresh_from_db()
    assert not patient.reeval_due


def test_before_the_planned_visits_no_prompt(patient: Patient, plan: Plan, clinician: Any) -> None:
    for _n in range(5):
        make_visit(patient, plan, clinician)
    status = services.reevaluation(patient)
    assert status is not None and not status.due and status.visits_on_plan == 5


def test_new_plan_resets_the_count(
    patient: Patient, plan: Plan, clinician: Any, exam: Exam
) -> None:
    for _n in range(6):
        make_visit(patient, plan, clinician)
    patient.refresh_from_db()
    assert patient.reeval_due  # no outcome at all: re-examine and score
    make_plan(make_exam(patient, clinician), clinician)
    patient.refresh_from_db()
    assert not patient.reeval_due


def test_a_stale_copy_of_a_note_is_refused_and_the_text_kept(
    doc: Client, clinician: Any, visit: Visit
) -> None:
    from .conftest import logged_in, make_staff

    colleague = logged_in(make_staff(clinician.staff.clinic, "ana", "clinician"))
    url = reverse("visit", args=[visit.pk])
    opened = doc.get(url).context["note"].version  # both open the draft
    assert colleague.get(url).context["note"].version == opened
    fields = {"objective": "", "assessment": "", "plan": ""}
    first = colleague.post(
        url, {"action": "save", "version": opened, "subjective": "Ana wrote this", **fields}
    )
    assert first.status_code == 302
    late = doc.post(
        url, {"action": "save", "version": opened, "subjective": "Mei wrote this", **fields}
    )
    assert late.status_code == 409
    page = late.content.decode()
    assert "after you opened it" in page
    assert "Mei wrote this" in page and "Ana wrote this" in page  # nothing typed is lost
    visit.note.refresh_from_db()
    assert visit.note.subjective == "Ana wrote this"
    merged = doc.post(
        url,
        {
            "action": "save",
            "version": late.context["note"].version,
            "subjective": "Ana and Mei wrote this",
            **fields,
        },
    )
    assert merged.status_code == 302
    visit.note.refresh_from_db()
    assert visit.note.subjective == "Ana and Mei wrote this" and visit.note.version == opened + 2


def test_a_plan_saved_meanwhile_is_not_silently_superseded(
    doc: Client, exam: Exam, clinician: Any
) -> None:
    url = reverse("plan_editor", args=[exam.pk])
    opened = doc.get(url).context["after_version"]
    assert opened == "0"
    make_plan(exam, clinician)  # a colleague saves v1 while this editor is open
    form = {"action": "save", "visits_per_week": 2, "planned_visits": 6, "guideline": "ACP2017",
            "after_version": opened}  # fmt: skip
    stale = doc.post(url, form, HTTP_HX_REQUEST="true")
    assert stale.status_code == 409
    assert "saved plan v1" in stale.content.decode() and Plan.objects.count() == 1
    assert stale.context["after_version"] == "1"  # saving again is a deliberate new version
    again = doc.post(url, {**form, "after_version": "1"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 204 and Plan.objects.count() == 2
    missing = doc.post(url, {k: v for k, v in form.items() if k != "after_version"})
    assert missing.status_code == 422 and Plan.objects.count() == 2


def test_the_soap_draft_examined_in_objective_words_in_assessment_no_last_visit_at_first(
    patient: Any, plan: Any, clinician: Any
) -> None:
    """Issue 13: Objective listed every answer, history included; Assessment wrote "95%" into
    the legal note; the first visit said "Since the last visit"."""
    first = make_visit(patient, plan, clinician, response="better").note
    assert "Since the last visit" not in first.subjective
    assert "Hours spent sitting" not in first.objective and "Days since" not in first.objective
    assert "Hours spent sitting" in first.subjective
    assert "Active knee extension" in first.objective
    assert not re.search(r"\d+%", first.assessment), first.assessment
    assert "most likely" in first.assessment
    later = make_visit(patient, plan, clinician, response="better",
                       date=first.visit.date + dt.timedelta(days=3)).note  # fmt: skip
    assert "Since the last visit: Better" in later.subjective


def test_the_soap_plan_line_never_says_visit_7_of_6_and_writes_the_date_in_words(
    patient: Any, plan: Any, clinician: Any
) -> None:
    """The demo showed "Visit 7 of 6" and an ISO date in the signed note."""
    planned = plan.planned_visits
    notes = [
        make_visit(patient, plan, clinician, date=plan.created.date() + dt.timedelta(days=n)).note
        for n in range(planned + 1)
    ]
    due = plan.reevaluation_date
    in_words = f"{due.day} {due.strftime('%B')} {due.year}"
    assert f"Visit {planned} of {planned} on plan v1; re-evaluate by {in_words}." in notes[-2].plan
    last = notes[-1].plan
    assert f"of {planned}" not in last and due.isoformat() not in last
    assert f"Visit {planned + 1} on plan v1, beyond the {planned} planned" in last
    assert f"re-evaluation was due by {in_words}" in last
