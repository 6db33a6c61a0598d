"""Record history and voiding: every version kept, with who, when and what changed; records
entered in error are voided with a reason, leave counts and decisions, and stay readable."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from weizhong.clinic import actions
from weizhong.clinic.actions import do_create_api_token
from weizhong.clinic.audit.trail import AuditEvent
from weizhong.clinic.history.versions import AppendOnly, RecordVersion, version_number
from weizhong.clinic.models import Exam, Outcome, Patient, Plan, Visit
from weizhong.clinic.records import services

from .conftest import make_exam, make_plan, make_visit, runner_findings

REASON = "Entered on the wrong patient chart"


def versions(kind: str, pk: int) -> list[RecordVersion]:
    return list(RecordVersion.objects.filter(kind=kind, record_id=pk).order_by("version"))


def edit_form(patient: Patient, **changes: Any) -> dict[str, Any]:
    data = {
        "given_name": patient.given_name, "family_name": patient.family_name,
        "birth_date": patient.birth_date.isoformat(), "sex": patient.sex,
        "phone": patient.phone, "email": patient.email, "payer": patient.payer,
        "medications": ", ".join(patient.medications),
        "record_version": str(version_number("patient", patient.pk)),
    }  # fmt: skip
    data.update(changes)
    return data


# ----------------------------------------------------------------------------- versions


def test_a_patient_edit_keeps_the_earlier_version(
    desk_client: Client, desk: Any, clinician: Any, patient: Patient
) -> None:
    # The desk's form has no clinical fields: a medication it sends anyway is not taken.
    response = desk_client.post(
        reverse("patient_edit", args=[patient.pk]),
        edit_form(patient, phone="555-0199", medications="warfarin"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    clinician_client = Client()
    clinician_client.force_login(clinician)
    patient.refresh_from_db()
    response = clinician_client.post(
        reverse("patient_edit", args=[patient.pk]), edit_form(patient, medications="warfarin")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    first, second, third = versions("patient", patient.pk)
    assert first.action == "created" and first.author_label == "system"
    assert first.data["phone"] == "" and first.data["medications"] == []
    assert second.action == "edited" and second.author == desk
    assert second.changed == ["phone"]
    assert second.data["phone"] == "555-0199" and second.data["medications"] == []
    assert third.author == clinician and third.changed == ["medications"]
    assert third.data["medications"] == ["warfarin"]
    page = clinician_client.get(reverse("patient_history", args=[patient.pk])).content.decode()
    assert "555-0199" in page and "warfarin" in page and "Version 3" in page
    page = desk_client.get(reverse("patient_history", args=[patient.pk])).content.decode()
    assert "555-0199" in page and "warfarin" not in page and "Version 3" in page


def test_a_save_that_changes_nothing_of_the_record_adds_no_version(
    patient: Patient, exam: Exam
) -> None:
    # the exam refreshed the patient's summary fields (not part of the record's history)
    patient.refresh_from_db()
    patient.save()
    assert len(versions("patient", patient.pk)) == 1


def test_every_draft_of_a_note_is_kept_and_signing_is_a_version(
    doc: Client, clinician: Any, visit: Visit
) -> None:
    note = visit.note
    url = reverse("visit", args=[visit.pk])
    fields = {"objective": note.objective, "assessment": note.assessment, "plan": note.plan}
    doc.post(url, {"action": "save", "version": 1, "subjective": "first draft", **fields})
    doc.post(url, {"action": "sign", "version": 2, "subjective": "second draft", **fields})
    kept = versions("note", note.pk)
    assert [v.action for v in kept] == ["created", "edited", "signed"]
    assert [v.data["subjective"] for v in kept[1:]] == ["first draft", "second draft"]
    assert kept[2].data["signed_at"] and kept[2].author == clinician
    doc.post(url, {"action": "amend", "text": "Pain was on the left, not the right."})
    page = doc.get(reverse("visit_history", args=[visit.pk])).content.decode()
    for text in ("first draft", "second draft", "Pain was on the left", "signed"):
        assert text in page


def test_a_portal_pain_entry_overwritten_the_same_day_keeps_both(
    doc: Client, patient: Patient, plan: Plan
) -> None:
    from weizhong.clinic import portal

    doc.post(reverse("portal_manage", args=[patient.pk]), {"action": "issue"})
    patient.refresh_from_db()
    assert len(versions("patient", patient.pk)) == 1  # a portal link is not a record change
    client = Client()
    link = portal.url_for(None, patient)
    assert client.post(link + "log/", {"pain": "6"}).status_code < 400
    assert client.post(link + "log/", {"pain": "4"}).status_code < 400
    entry = RecordVersion.objects.filter(kind="pain").values_list("record_id", flat=True)[0]
    kept = versions("pain", entry)
    assert [v.data["pain"] for v in kept] == [6, 4]
    assert {v.author_label for v in kept} == {"patient (portal)"}


def test_versions_are_append_only(patient: Patient) -> None:
    version = versions("patient", patient.pk)[0]
    version.reason = "rewritten"
    with pytest.raises(AppendOnly):
        version.save()
    with pytest.raises(AppendOnly):
        version.delete()


# ------------------------------------------------------------------------------- voiding


def test_voiding_needs_a_reason_and_changes_nothing_without_one(doc: Client, visit: Visit) -> None:
    url = reverse("visit_void", args=[visit.pk])
    assert "entered in error" in doc.get(url).content.decode()
    response = doc.post(url, {"reason": "oops"})
    assert response.status_code == 422
    assert "at least 10 characters" in response.content.decode()
    visit.refresh_from_db()
    assert not visit.voided and len(versions("visit", visit.pk)) == 1


def test_a_voided_visit_leaves_counts_but_stays_in_the_chart(
    doc: Client, clinician: Any, patient: Patient, plan: Plan, visit: Visit
) -> None:
    second = actions.do_record_visit(
        patient=patient,
        clinician=clinician,
        plan=plan,
        fields={"points": ["GB34:left"]},
        submit_token=uuid.uuid4(),
    )
    assert services.reevaluation(patient).visits_on_plan == 2  # type: ignore[union-attr]
    response = doc.post(reverse("visit_void", args=[second.pk]), {"reason": REASON})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.voided and second.void_reason == REASON and second.voided_by == clinician
    assert services.reevaluation(patient).visits_on_plan == 1  # type: ignore[union-attr]
    assert services.carried_points(patient, plan) == ["BL40:both"]  # not the voided visit's
    assert list(patient.visits.all()) == [visit]
    assert Visit.all_objects.filter(patient=patient).count() == 2
    chart = doc.get(reverse("patient", args=[patient.pk])).content.decode()
    assert "Voided records" in chart and REASON in chart and "Visit of" in chart
    page = doc.get(reverse("visit", args=[second.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "Voided on" in text and REASON in text
    assert 'value="sign"' not in text  # read-only
    (voided,) = [v for v in versions("visit", second.pk) if v.action == "voided"]
    assert voided.reason == REASON and voided.changed == [
        "void_reason",
        "voided_at",
        "voided_by_id",
    ]
    assert AuditEvent.objects.filter(what="visit_void", patient_id=patient.pk).exists()


def test_a_voided_visits_note_cannot_change_and_it_is_not_billed(
    doc: Client, clinician: Any, visit: Visit
) -> None:
    actions.do_void_record(record=visit, by=clinician, reason=REASON)
    note = visit.note
    before = note.subjective
    response = doc.post(
        reverse("visit", args=[visit.pk]),
        {"action": "save", "version": 1, "subjective": "late edit", "objective": "",
         "assessment": "", "plan": ""},
    )  # fmt: skip
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.subjective == before and note.version == 1
    with pytest.raises(actions.RecordVoided):
        actions.do_sign_note(note=note, signer=clinician)
    bill = doc.get(reverse("visit_superbill", args=[visit.pk, "pdf"]))
    assert bill.status_code == 302


def test_voiding_an_exam_voids_its_plans_and_clears_its_red_flags_from_the_summary(
    doc: Client, clinician: Any, patient: Patient
) -> None:
    calm = make_exam(patient, clinician)
    findings = {**runner_findings(), "saddle_anaesthesia": True, "bladder_dysfunction": True}
    flagged = make_exam(patient, clinician, findings)
    plan = make_plan(flagged, clinician)
    patient.refresh_from_db()
    assert patient.flagged
    page = doc.get(reverse("exam_void", args=[flagged.pk])).content.decode()
    assert "recorded red flags" in page and "plan v1" in page
    doc.post(
        reverse("exam_void", args=[flagged.pk]), {"reason": "Findings typed into the wrong chart"}
    )
    patient.refresh_from_db()
    plan.refresh_from_db()
    assert plan.voided and plan.void_reason == "Findings typed into the wrong chart"
    assert not patient.flagged and patient.top_condition == calm.top_condition
    assert services.active_plan(patient) is None
    # the voided exam still shows its red flags, marked voided
    text = doc.get(reverse("exam", args=[flagged.pk])).content.decode()
    assert "Voided on" in text and "cauda equina" in text
    # no plan can be made from it; a new plan's version number is not reused
    assert doc.get(reverse("plan_editor", args=[flagged.pk])).status_code == 302
    assert make_plan(calm, clinician).version == 2


def test_a_voided_outcome_leaves_the_charts_and_reevaluation(
    doc: Client, clinician: Any, patient: Patient
) -> None:
    kept = actions.do_score_outcome(
        patient=patient, instrument="nprs", answers=[6], entered_by=clinician
    )
    wrong = actions.do_score_outcome(
        patient=patient, instrument="nprs", answers=[1], entered_by=clinician
    )
    assert services.outcome_change(patient, since=kept.taken) is not None
    doc.post(reverse("outcome_void", args=[wrong.pk]), {"reason": "Scored the wrong patient"})
    assert list(patient.outcomes.all()) == [kept]
    assert services.outcome_change(patient, since=kept.taken) is None
    page = doc.get(reverse("outcomes", args=[patient.pk])).content.decode()
    assert page.count("outcome_void") == 0 and "Void…" in page
    assert Outcome.all_objects.get(pk=wrong.pk).voided


def test_voiding_twice_is_refused_and_the_first_reason_kept(
    doc: Client, clinician: Any, visit: Visit
) -> None:
    actions.do_void_record(record=visit, by=clinician, reason=REASON)
    response = doc.post(reverse("visit_void", args=[visit.pk]), {"reason": "another reason!"})
    assert response.status_code == 409
    visit.refresh_from_db()
    assert visit.void_reason == REASON


def test_voiding_is_for_clinicians_of_the_clinic(
    desk_client: Client, stranger_client: Client, visit: Visit
) -> None:
    url = reverse("visit_void", args=[visit.pk])
    assert desk_client.post(url, {"reason": REASON}).status_code == 403
    assert stranger_client.post(url, {"reason": REASON}).status_code == 404
    assert desk_client.get(reverse("visit_history", args=[visit.pk])).status_code == 403
    visit.refresh_from_db()
    assert not visit.voided


def test_a_resubmitted_visit_form_after_a_void_returns_the_voided_visit(
    clinician: Any, patient: Patient, plan: Plan, visit: Visit
) -> None:
    actions.do_void_record(record=visit, by=clinician, reason=REASON)
    again = actions.do_record_visit(
        patient=patient, clinician=clinician, plan=plan, fields={}, submit_token=visit.submit_token
    )
    assert again.pk == visit.pk


def test_voided_records_leave_the_fhir_export_and_the_research_rows(
    clinician: Any, patient: Patient, plan: Plan, visit: Visit
) -> None:
    from weizhong.clinic.interop import research

    second = make_visit(patient, plan, clinician)
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[6], entered_by=clinician)
    actions.do_void_record(record=visit, by=clinician, reason=REASON)
    record = services.patient_record(patient)
    assert [v["id"] for v in record["visits"]] == [str(second.pk)]
    (row,) = research.outcome_rows(patient.clinic)
    assert row["visits"] == 1


# ----------------------------------------------------------------------------------- API


def test_the_api_voids_with_a_reason_and_shows_the_history(
    clinician: Any, patient: Patient, plan: Plan, visit: Visit
) -> None:
    _token, key = do_create_api_token(user=clinician, name="test")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/visits/{visit.pk}/void"
    short = api.post(url, {"reason": "no"}, content_type="application/json")
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "reason"]
    done = api.post(url, {"reason": REASON}, content_type="application/json")
    assert done.status_code == 200 and done.json()["void_reason"] == REASON
    again = api.post(url, {"reason": REASON}, content_type="application/json")
    assert again.status_code == 409
    assert api.get(f"/api/v1/visits/{visit.pk}").json()["voided_at"]
    assert api.get(f"/api/v1/visits/{visit.pk}/superbill").status_code == 409
    assert api.get(f"/api/v1/patients/{patient.pk}/visits").json() == []
    history = api.get(f"/api/v1/patients/{patient.pk}/history").json()
    kinds = {(v["kind"], v["action"]) for v in history}
    assert {("patient", "created"), ("exam", "created"), ("plan", "created"),
            ("visit", "created"), ("note", "created"), ("visit", "voided")} <= kinds  # fmt: skip
    (void,) = [v for v in history if v["action"] == "voided"]
    assert void["reason"] == REASON and void["author"] == clinician.username


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="SQLite serialises every write; PostgreSQL lets two edits of one record overlap",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_one_record_number_their_versions_in_turn(clinic: Any) -> None:
    import threading

    from django.db import connection, transaction

    from .conftest import make_patient

    patient = make_patient(clinic)
    threads, rounds = 6, 10
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def edit(n: int) -> None:
        try:
            barrier.wait()
            for r in range(
                rounds
            ):  # half in a transaction (a request), half autocommit (a command)
                mine = Patient.objects.get(pk=patient.pk)
                mine.phone = f"555-{n}-{r}"
                if r % 2:
                    with transaction.atomic():
                        mine.save()
                else:
                    mine.save()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=edit, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []
    numbers = [v.version for v in versions("patient", patient.pk)]
    assert numbers == list(range(1, threads * rounds + 2))


# ------------------------------------------------------------------ stale copies of details


def test_a_stale_copy_of_the_patients_details_is_refused_and_kept(
    desk_client: Client, doc: Client, patient: Patient
) -> None:
    url = reverse("patient_edit", args=[patient.pk])
    opened = edit_form(patient)  # the desk opens the form…
    saved = doc.post(url, edit_form(patient, phone="555-0100"))  # …the clinician saves first
    assert saved.status_code == 302
    stale = desk_client.post(url, {**opened, "email": "new@example.org"})
    text = stale.content.decode()
    assert stale.status_code == 409
    assert "Mei changed these details" in text or "mei changed these details" in text
    assert "555-0100" in text and "new@example.org" in text  # theirs named, yours kept
    patient.refresh_from_db()
    assert patient.phone == "555-0100" and patient.email == "ada@example.org"
    again = desk_client.post(url, edit_form(patient, email="new@example.org"))
    assert again.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "555-0100" and patient.email == "new@example.org"


def test_a_form_without_its_version_is_refused(desk_client: Client, patient: Patient) -> None:
    form = edit_form(patient, phone="555-0100")
    del form["record_version"]
    response = desk_client.post(reverse("patient_edit", args=[patient.pk]), form)
    assert response.status_code == 422 and "out of date" in response.content.decode()


def test_the_api_updates_details_with_if_match(clinician: Any, patient: Patient) -> None:
    _token, key = do_create_api_token(user=clinician, name="test")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/patients/{patient.pk}"
    body = {"given_name": "Ada", "family_name": "Runner", "birth_date": "1995-03-14"}
    tag = api.get(url)["ETag"]
    assert tag == f'"patient-{patient.pk}-v1"'
    assert api.put(url, body, content_type="application/json").status_code == 428
    done = api.put(
        url, {**body, "phone": "1"}, content_type="application/json", headers={"If-Match": tag}
    )
    assert done.status_code == 200 and done["ETag"] == f'"patient-{patient.pk}-v2"'
    stale = api.put(
        url, {**body, "phone": "2"}, content_type="application/json", headers={"If-Match": tag}
    )
    assert stale.status_code == 412 and stale["ETag"] == done["ETag"]
    patient.refresh_from_db()
    assert patient.phone == "1"


def test_patch_changes_only_the_fields_sent(clinician: Any, patient: Patient) -> None:
    _token, key = do_create_api_token(user=clinician, name="test")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/patients/{patient.pk}"
    patient.primary_clinician, patient.phone = clinician, "555-0100"
    patient.save()
    tag = api.get(url)["ETag"]
    sent = {"email": "ada.new@example.org"}
    done = api.patch(url, sent, content_type="application/json", headers={"If-Match": tag})
    assert done.status_code == 200, done.content
    patient.refresh_from_db()
    assert patient.email == "ada.new@example.org"
    assert patient.phone == "555-0100" and patient.primary_clinician == clinician  # kept
    assert versions("patient", patient.pk)[-1].changed == ["email"]
    bad = api.patch(
        url, {"given_name": ""}, content_type="application/json", headers={"If-Match": done["ETag"]}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "given_name"]
    stale = api.patch(url, sent, content_type="application/json", headers={"If-Match": tag})
    assert stale.status_code == 412
    assert api.patch(url, sent, content_type="application/json").status_code == 428
    cleared = api.patch(
        url,
        {"primary_clinician": None},
        content_type="application/json",
        headers={"If-Match": done["ETag"]},
    )
    assert cleared.status_code == 200 and cleared.json()["primary_clinician_id"] is None
