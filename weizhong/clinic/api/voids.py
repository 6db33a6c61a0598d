"""Voiding records entered in error, and a patient's history of versions."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.responses import Status

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import CLINICIAN
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import (
    _patient,
    _plan_out,
    _record,
    _role,
    _visit_out,
    unprocessable,
)
from weizhong.clinic.api.schemas import (
    ExamOut,
    Message,
    OutcomeOut,
    PlanOut,
    Problems,
    VersionOut,
    VisitOut,
    VoidIn,
)
from weizhong.clinic.models import Exam, Outcome, Plan, RecordVersion, Visit

router = Router()


# --------------------------------------------------------------------- history and voids


def _void(request: ClinicRequest, model: Any, pk: int, data: VoidIn) -> Status[Any]:
    record = _record(request, model, pk)
    try:
        actions.do_void_record(record=record, by=request.user, reason=data.reason)
    except ValueError as problem:
        return unprocessable([(["body", "reason"], str(problem))])
    except actions.AlreadyVoided as done:
        when = done.record.voided_at.isoformat()
        return Status(409, {"detail": f"already voided at {when}: {done.record.void_reason}"})
    record = model._base_manager.get(pk=pk)
    return Status(200, _plan_out(record) if model is Plan else _visit_out(record)
                  if model is Visit else record)  # fmt: skip


VOID_DOC = (
    "Void a record entered in error, with a reason. Nothing is deleted: it stays readable "
    "(with voided_at, voided_by_id and void_reason), leaves lists, counts, summaries, exports "
    "and billing, and its history records the void. Voiding a case voids its plans too."
)


@router.post("/cases/{exam_id}/void", response={200: ExamOut, 409: Message, 422: Problems},
          tags=["history"], description=VOID_DOC)  # fmt: skip
def void_case(request: ClinicRequest, exam_id: int, data: VoidIn) -> Status[Any]:
    return _void(request, Exam, exam_id, data)


@router.post("/plans/{plan_id}/void", response={200: PlanOut, 409: Message, 422: Problems},
          tags=["history"], description=VOID_DOC)  # fmt: skip
def void_plan(request: ClinicRequest, plan_id: int, data: VoidIn) -> Status[Any]:
    return _void(request, Plan, plan_id, data)


@router.post("/visits/{visit_id}/void", response={200: VisitOut, 409: Message, 422: Problems},
          tags=["history"], description=VOID_DOC)  # fmt: skip
def void_visit(request: ClinicRequest, visit_id: int, data: VoidIn) -> Status[Any]:
    return _void(request, Visit, visit_id, data)


@router.post("/outcomes/{outcome_id}/void", response={200: OutcomeOut, 409: Message, 422: Problems},
          tags=["history"], description=VOID_DOC)  # fmt: skip
def void_outcome(request: ClinicRequest, outcome_id: int, data: VoidIn) -> Status[Any]:
    return _void(request, Outcome, outcome_id, data)


@router.get("/patients/{patient_id}/history", response=list[VersionOut], tags=["history"])
def patient_history(request: ClinicRequest, patient_id: int) -> list[dict[str, Any]]:
    """Every version of every record of the patient (details, cases, plans, visits, notes,
    amendments, outcomes, portal pain entries), oldest first: the action, who, when, the
    fields changed and the record's fields after the change."""
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return [
        {
            "kind": v.kind,
            "record_id": v.record_id,
            "version": v.version,
            "action": v.action,
            "at": v.at,
            "author": v.author_label,
            "reason": v.reason,
            "changed": v.changed,
            "data": v.data,
        }
        for v in RecordVersion.objects.filter(patient=patient).order_by("at", "id")[:5000]
    ]
