"""What every resource of the API shares: roles, fetching through the clinic, problems as 422,
form input from JSON, and the records as they are answered."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from ninja.errors import HttpError
from ninja.responses import Status

from weizhong.clinic.accounts.access import CLINICIAN, check_care, note_access
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.schemas import PatientOut, VisitOut
from weizhong.clinic.models import Note, Patient, Plan, Staff, Visit
from weizhong.clinic.web.forms import CLINICAL_PATIENT_FIELDS

# What the front desk gets as null in a patient's details (the clinical fields and their reading).
CLINICAL_OUT = (*CLINICAL_PATIENT_FIELDS, "red_flags", "reeval_due", "reeval_reason")


def _role(request: ClinicRequest, *roles: str) -> None:
    if getattr(request, "role", None) not in (roles or (CLINICIAN, Staff.FRONT_DESK)):
        raise HttpError(403, "your role in this clinic does not include this")


def _patient(request: ClinicRequest, pk: int) -> Patient:
    _role(request)
    patient = get_object_or_404(Patient, pk=pk, clinic=request.clinic)
    note_access(request, patient.pk, f"patient {patient.pk}")
    check_care(request, patient)
    return patient


def _record(request: ClinicRequest, model: Any, pk: int) -> Any:
    _role(request, CLINICIAN)
    found = get_object_or_404(
        model._base_manager.select_related("patient"),  # voided records stay readable
        pk=pk,
        patient__clinic=request.clinic,
    )
    note_access(request, found.patient_id, f"{model._meta.model_name} {pk}")
    check_care(request, found.patient)
    return found


KEY_USED_ELSEWHERE = "this idempotency key was used for another patient; send a new one"


def _voided_earlier(kind: str, record: Any) -> str:
    """Why a retried request with the key of a voided record stores nothing."""
    return (
        f"the {kind} sent earlier with this idempotency key ({kind} {record.pk}) was voided "
        f"(reason: {record.void_reason}); send a new idempotency key to record it again"
    )


def unprocessable(problems: list[tuple[list[str | int], str]]) -> Status[dict[str, Any]]:
    return Status(422, {"detail": [{"loc": loc, "msg": msg} for loc, msg in problems]})


def _form_problems(form: Any, prefix: str = "body") -> Status[dict[str, Any]]:
    return unprocessable(
        [
            ([prefix] + ([] if name == "__all__" else [name]), " ".join(str(m) for m in msgs))
            for name, msgs in form.errors.items()
        ]
    )


def _querydict(data: dict[str, Any]) -> QueryDict:
    """A form's input from JSON: lists as repeated keys, booleans as a form would send them."""
    q = QueryDict(mutable=True)
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, list):
            q.setlist(key, [str(v) for v in value])
        elif isinstance(value, bool):
            if value:
                q[key] = "on"
        else:
            q[key] = str(value)
    return q


def _patient_out(p: Patient, request: ClinicRequest) -> dict[str, Any]:
    """The patient's details; the clinical ones (``CLINICAL_OUT``) only for a clinician, null for
    the front desk, which sees no clinical data (the chart page hides them alike)."""
    clinical = getattr(request, "role", None) == CLINICIAN
    return {
        **{
            f: getattr(p, f) if clinical or f not in CLINICAL_OUT else None
            for f in PatientOut.model_fields
            if f != "age"
        },
        "age": p.age,
    }


def refuse_clinical_from_desk(request: ClinicRequest, sent: set[str]) -> None:
    """The front desk may not set clinical details: 403 naming the fields (nothing written)."""
    named = sorted(sent & set(CLINICAL_PATIENT_FIELDS))
    if named and getattr(request, "role", None) != CLINICIAN:
        raise HttpError(
            403, f"the front desk cannot set clinical details ({', '.join(named)}): a clinician "
            "records them; leave these fields out",
        )  # fmt: skip


def _visit_out(v: Visit) -> dict[str, Any]:
    note: Note = v.note
    fields = {f: getattr(v, f) for f in VisitOut.model_fields if f != "note"}
    return {
        **fields,
        "note": {
            "subjective": note.subjective,
            "objective": note.objective,
            "assessment": note.assessment,
            "plan": note.plan,
            "signed": note.signed,
            "signed_at": note.signed_at,
            "amendments": [
                {"text": a.text, "created": a.created.isoformat(), "author": a.author.username}
                for a in note.amendments.select_related("author")
            ],
        },
    }


def _plan_out(p: Plan) -> dict[str, Any]:
    return {
        "id": p.pk, "patient_id": p.patient_id, "exam_id": p.exam_id, "version": p.version,
        "created": p.created, "visits_per_week": p.visits_per_week,
        "planned_visits": p.planned_visits, "reevaluation_date": p.reevaluation_date,
        "plan": p.plan, "voided_at": p.voided_at, "voided_by_id": p.voided_by_id,
        "void_reason": p.void_reason,
    }  # fmt: skip


def patient_etag(pk: int, version: int) -> str:
    return f'"patient-{pk}-v{version}"'


def etag(note: Note) -> str:
    return f'"note-{note.pk}-v{note.version}"'
