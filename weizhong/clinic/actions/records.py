"""Writes to the clinical record: patients, exams, plans, visits and their notes, amendments,
outcomes, voids and FHIR import.

Each action is one transaction, takes typed keyword arguments (never a request), checks what
must hold at the moment of writing (a stale copy, a signed note, a voided record), writes the
record and its history version (``history.recording`` names who acted and how), and keeps the
patient's dashboard summary current. On the web the audit event of the request commits in the
same transaction (``AuditMiddleware`` wraps every write request in one).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from weizhong.case import Case, validate_case
from weizhong.clinic import history
from weizhong.clinic.actions.audited import audited
from weizhong.clinic.history.versions import MIN_REASON, AlreadyVoided, RecordVoided, recording
from weizhong.clinic.models import (
    Amendment,
    Clinic,
    Exam,
    Intake,
    Note,
    Outcome,
    Patient,
    Plan,
    QuestionnaireRequest,
    Visit,
)
from weizhong.clinic.records import rules
from weizhong.clinic.records.services import (
    NoteLocked,
    StaleCopy,
    build_case,
    draft_soap,
    knowledge,
    reevaluation,
)
from weizhong.planning.plan import PlanEdits
from weizhong.reasoning.assessment import assess
from weizhong.reasoning.instruments import score_instrument

__all__ = [
    "AlreadyVoided",
    "EarlierRecordVoided",
    "KeyUsedElsewhere",
    "NoteIsDraft",
    "NoteLocked",
    "RecordVoided",
    "StaleCopy",
    "do_add_amendment",
    "do_create_patient",
    "do_import_patient",
    "do_record_visit",
    "do_save_exam",
    "do_save_note",
    "do_save_plan",
    "do_score_outcome",
    "do_sign_note",
    "do_update_patient",
    "do_void_record",
    "refresh_summary",
]


class NoteIsDraft(Exception):
    """Amendments are for signed notes; a draft is edited."""


class KeyUsedElsewhere(Exception):
    """A form token or idempotency key already used for another patient's record: nothing is
    written, and nothing of that record is shown."""


class EarlierRecordVoided(Exception):
    """A resubmission (same form token or idempotency key) of a record that was voided since:
    ``record`` is that voided record; nothing new is written."""

    def __init__(self, record: Any) -> None:
        self.record = record
        super().__init__("the earlier record was voided")


# ------------------------------------------------------------------------------ patients


@audited
def do_create_patient(*, clinic: Clinic, fields: Mapping[str, Any], by: Any = None) -> Patient:
    """A new patient of ``clinic`` from validated fields (``PatientForm.cleaned_data``)."""
    with transaction.atomic(), recording(user=by):
        patient = Patient(clinic=clinic, **fields)
        patient.save()
    return patient


@audited
def do_update_patient(
    *, patient: Patient, fields: Mapping[str, Any], after_version: int, by: Any = None
) -> Patient:
    """Save validated fields if ``after_version`` (the details' history version the form was
    read at) is still the newest; else StaleCopy with that newest version, nothing written."""
    with transaction.atomic(), recording(user=by):
        Patient.objects.select_for_update().filter(pk=patient.pk).exists()
        current = history.latest("patient", patient.pk)
        if (current.version if current else 0) != after_version:
            raise StaleCopy(current)
        for name, value in fields.items():
            setattr(patient, name, value)
        patient.save()
    return patient


# --------------------------------------------------------------------------------- exams


@audited
def do_save_exam(
    *,
    patient: Patient,
    clinician: Any,
    case: Case,
    raw: dict[str, Any],
    submit_token: uuid.UUID | None = None,
    refuse_voided: bool = False,
    created: dt.datetime | None = None,
    reported: dict[str, Any] | None = None,
) -> Exam:
    """Store the case and its assessment; a resubmitted form (same token) returns the first
    (or, with ``refuse_voided``, raises EarlierRecordVoided when that one was voided).
    ``created`` dates an exam entered after the fact (the demo clinic's histories);
    ``reported`` is what came from the patient's intake (records/from_intake.saved_record)."""
    if submit_token is not None and (
        done := Exam.all_objects.filter(submit_token=submit_token).first()
    ):
        if done.patient_id != patient.pk:
            raise KeyUsedElsewhere
        if refuse_voided and done.voided:
            raise EarlierRecordVoided(done)
        return done
    result = assess(case, knowledge())
    top = result["differential"][0] if result["differential"] else None
    with transaction.atomic(), recording(user=clinician):
        exam: Exam = Exam.objects.create(
            patient=patient,
            clinician=clinician,
            case=raw,
            assessment=result,
            red_flags=[f["id"] for f in result["red_flags"]],
            top_condition=top["condition"] if top else "",
            top_probability=top["probability"] if top else None,
            knowledge_version=result["knowledge_version"],
            submit_token=submit_token,
            created=created or timezone.now(),
            reported=reported or {},
        )
        refresh_summary(patient)
    return exam


# --------------------------------------------------------------------------------- plans


@audited
def do_save_plan(
    *,
    exam: Exam,
    author: Any,
    plan: dict[str, Any],
    edits: PlanEdits,
    overrides: dict[str, str],
    guideline: str,
    visits_per_week: int,
    planned_visits: int,
    note: str = "",
    after_version: int | None = None,
    created: dt.datetime | None = None,
) -> Plan:
    """Save the next plan version. With ``after_version`` (the active version when the editor
    was opened, 0 for none), a plan saved by someone else meanwhile raises StaleCopy with it
    and nothing is written."""
    with transaction.atomic(), recording(user=author):
        patient = Patient.objects.select_for_update().get(pk=exam.patient_id)
        if after_version is not None:
            active = patient.plans.select_related("created_by").order_by("-version").first()
            if (active.version if active else 0) != after_version:
                raise StaleCopy(active)
        latest = (  # voided versions keep their numbers
            Plan.all_objects.filter(patient=patient)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        saved: Plan = Plan.objects.create(
            patient=patient,
            exam=exam,
            version=(latest or 0) + 1,
            created_by=author,
            plan=plan,
            edits={
                "add_points": list(edits.add_points),
                "remove_points": list(edits.remove_points),
                "add_exercises": list(edits.add_exercises),
                "remove_exercises": list(edits.remove_exercises),
            },
            overrides=overrides,
            guideline=guideline,
            visits_per_week=visits_per_week,
            planned_visits=planned_visits,
            note=note,
            created=created or timezone.now(),
        )
        refresh_summary(patient)
    return saved


# ------------------------------------------------------------------------ visits and notes


@audited
def do_record_visit(
    *,
    patient: Patient,
    clinician: Any,
    fields: Mapping[str, Any],
    plan: Plan | None,
    submit_token: uuid.UUID,
    refuse_voided: bool = False,
) -> Visit:
    """Save a visit (``fields``: ``VisitForm.cleaned_data``) with its drafted note, once: a
    double submit returns the first visit, or with ``refuse_voided`` raises
    EarlierRecordVoided when that visit was voided since."""
    if done := Visit.all_objects.filter(submit_token=submit_token).first():
        if done.patient_id != patient.pk:
            raise KeyUsedElsewhere
        if refuse_voided and done.voided:
            raise EarlierRecordVoided(done)
        return done
    with transaction.atomic(), recording(user=clinician):
        visit = Visit(
            patient=patient, plan=plan, clinician=clinician, submit_token=submit_token, **fields
        )
        visit.save()
        Note.objects.create(visit=visit, **draft_soap(visit))
        refresh_summary(patient)
    return visit


@audited
def do_save_note(
    *, note: Note, author: Any, version: int, fields: Mapping[str, str], sign: bool = False
) -> Note:
    """Save the note's text if ``version`` is still the stored one (else StaleCopy, nothing
    written), and sign it when asked, in one transaction. A signed note raises NoteLocked,
    a voided visit's note RecordVoided."""
    with transaction.atomic(), recording(user=author, action="signed" if sign else None):
        current = Note.objects.select_for_update().get(pk=note.pk)
        if current.visit.voided:
            raise RecordVoided
        if current.signed_at is not None:
            raise NoteLocked
        if current.version != version:
            raise StaleCopy(current)
        for name in ("subjective", "objective", "assessment", "plan"):
            setattr(current, name, fields.get(name, getattr(current, name)))
        current.version += 1
        current.updated_by = author
        current.updated = timezone.now()
        if sign:
            current.signed_by = author
            current.signed_at = current.updated
        current.save()
    return current


@audited
def do_sign_note(*, note: Note, signer: Any, at: dt.datetime | None = None) -> Note:
    """Sign and lock the note as it stands (NoteLocked when signed, RecordVoided when its
    visit is voided); ``at`` dates a signature entered after the fact (the demo clinic)."""
    with transaction.atomic(), recording(user=signer, action="signed"):
        locked = Note.objects.select_for_update().get(pk=note.pk)
        if locked.visit.voided:
            raise RecordVoided
        if locked.signed_at is not None:
            raise NoteLocked
        locked.signed_by = signer
        locked.signed_at = at or timezone.now()
        locked.save(update_fields=["signed_by", "signed_at"])
        note.signed_by, note.signed_at = locked.signed_by, locked.signed_at
    return locked


@audited
def do_add_amendment(*, note: Note, author: Any, text: str) -> Amendment:
    """Add an amendment to a signed note. The text must pass ``rules.amendment_text`` (the
    page's form applies the same rule), else ``rules.Refused`` naming the field; RecordVoided
    for a voided visit, NoteIsDraft for a note not yet signed (a draft is edited instead)."""
    cleaned = rules.amendment_text(text)
    with transaction.atomic(), recording(user=author):
        current = Note.objects.select_for_update().select_related("visit").get(pk=note.pk)
        if current.visit.voided:
            raise RecordVoided
        if current.signed_at is None:
            raise NoteIsDraft
        return Amendment.objects.create(note=current, author=author, text=cleaned)


# ------------------------------------------------------------------------------ outcomes


@audited
def do_score_outcome(
    *,
    patient: Patient,
    instrument: str,
    answers: Sequence[int | float | None],
    entered_by: Any = None,
    source: str = "clinic",
    questionnaire: QuestionnaireRequest | None = None,
    taken: dt.datetime | None = None,
    activities: Sequence[str] = (),
    intake: Intake | None = None,
) -> Outcome:
    """Score with the core (raises InstrumentError with a clear message) and store; a
    questionnaire sent to the portal is marked completed with it. PSFS keeps the patient's
    ``activities`` (``rules.psfs_activities``: one per rating, raises ``rules.Refused``)."""
    result = score_instrument(instrument, list(answers))
    named = rules.psfs_activities(list(answers), list(activities)) if instrument == "psfs" else []
    with transaction.atomic(), recording(user=entered_by):
        outcome: Outcome = Outcome.objects.create(
            patient=patient,
            instrument=instrument,
            answers=list(answers),
            score=result.score,
            result=result.to_dict(),
            source=source,
            entered_by=entered_by,
            request=questionnaire,
            taken=taken or timezone.now(),
            activities=named,
            intake=intake,
        )
        if questionnaire is not None:
            questionnaire.completed_at = outcome.taken
            questionnaire.save(update_fields=["completed_at"])
        refresh_summary(patient)
    return outcome


# ------------------------------------------------------------------------------- voiding


@audited
def do_void_record(*, record: Exam | Plan | Visit | Outcome, by: Any, reason: str) -> list[Any]:
    """Void ``record`` (an exam, plan, visit or outcome) with ``reason``, in one transaction;
    an exam's plans are voided with it. Returns what was voided. Raises ValueError for a
    reason that is too short and AlreadyVoided when it was voided before."""
    from django.utils.translation import gettext as _

    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ValueError(_("Give a reason of at least %(n)s characters.") % {"n": MIN_REASON})
    model = type(record)
    with transaction.atomic(), recording(user=by, action="voided", reason=reason):
        fresh = model.all_objects.select_for_update().get(pk=record.pk)
        if fresh.voided:
            raise AlreadyVoided(fresh)
        targets = [fresh]
        if isinstance(fresh, Exam):
            targets += list(fresh.plans.all())
        now = timezone.now()
        for target in targets:
            target.voided_at, target.voided_by, target.void_reason = now, by, reason
            target.save(update_fields=["voided_at", "voided_by", "void_reason"])
        refresh_summary(fresh.patient)
    return targets


# ------------------------------------------------------------------------------- import


@audited
def do_import_patient(
    *, clinic: Clinic, importer: Any, imported: Any
) -> tuple[Patient, Exam | None]:
    """Store what a FHIR bundle gave as a new patient with a case and scores, in one
    transaction (``imported`` is a ``weizhong.fhir.importer.ImportResult``)."""
    facts = imported.patient
    with transaction.atomic(), recording(user=importer):
        patient = Patient.objects.create(
            clinic=clinic,
            given_name=(facts.get("given_name") or "Unknown")[:100],
            family_name=(facts.get("family_name") or "Unknown")[:100],
            birth_date=dt.date.fromisoformat(facts["birth_date"]),
            sex=facts.get("sex") or "unknown",
            phone=(facts.get("phone") or "")[:40],
            email=(facts.get("email") or "")[:254],
            pregnant=bool(facts.get("pregnant")),
            medications=list(facts.get("medications") or []),
            devices=list(facts.get("devices") or []),
            conditions=list(facts.get("conditions") or []),
        )
        exam = None
        if imported.findings:
            raw = build_case(patient, imported.findings)
            case = validate_case(raw, knowledge())
            exam = do_save_exam(patient=patient, clinician=importer, case=case, raw=raw)
        for item in imported.outcomes:
            answers = item.get("answers")
            if answers is None:
                continue  # a score without its answers cannot be re-scored: reported as ignored
            taken = dt.datetime.fromisoformat(item["taken"]) if item.get("taken") else None
            do_score_outcome(
                patient=patient, instrument=item["instrument"], answers=answers,
                entered_by=importer, source=item.get("source") or "clinic", taken=taken,
            )  # fmt: skip
        refresh_summary(patient)
    return patient, exam


# ------------------------------------------------------------------------------ summary


def refresh_summary(patient: Patient) -> None:
    """Recompute the patient's dashboard summary (inside the caller's transaction)."""
    exam = patient.exams.order_by("-created").first()
    last_visit = patient.visits.order_by("-date", "-created").first()
    seen = [t for t in (exam and exam.created, last_visit and last_visit.created) if t]
    status = reevaluation(patient)
    patient.last_seen = max(seen) if seen else None
    patient.red_flags = list(exam.red_flags) if exam else []
    patient.flagged = bool(patient.red_flags)
    patient.top_condition = exam.top_condition if exam else ""
    patient.reeval_due = bool(status and status.due)
    patient.reeval_reason = status.reason[:300] if status and status.due else ""
    Patient.objects.filter(pk=patient.pk).update(
        last_seen=patient.last_seen,
        red_flags=patient.red_flags,
        flagged=patient.flagged,
        top_condition=patient.top_condition,
        reeval_due=patient.reeval_due,
        reeval_reason=patient.reeval_reason,
    )
