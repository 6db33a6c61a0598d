"""Cases: assess a case without storing it, store a patient's case with its assessment, read."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.responses import Status

from weizhong.case import CaseError, validate_case
from weizhong.clinic import actions
from weizhong.clinic.accounts.access import CLINICIAN
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import (
    KEY_USED_ELSEWHERE,
    _patient,
    _record,
    _role,
    _voided_earlier,
    unprocessable,
)
from weizhong.clinic.api.schemas import CaseIn, ExamOut, Message, Problems, PublicCase
from weizhong.clinic.models import Exam
from weizhong.clinic.records import services
from weizhong.reasoning.assessment import assess

router = Router()


# ------------------------------------------------------------------- cases and assessments


@router.post("/assess", response={200: dict[str, Any], 422: Problems}, tags=["cases"])
def assess_case(request: ClinicRequest, case: PublicCase) -> Status[Any]:
    """Assess a case in the public format without storing anything."""
    _role(request, CLINICIAN)
    try:
        checked = validate_case(case.model_dump(), services.knowledge())
    except CaseError as error:
        return unprocessable([(["body", *p.field.split(".")], p.message) for p in error.problems])
    return Status(200, assess(checked, services.knowledge()))


@router.post(
    "/patients/{patient_id}/cases",
    response={201: ExamOut, 200: ExamOut, 409: Message, 422: Problems},
    tags=["cases"],
)
def create_case(request: ClinicRequest, patient_id: int, data: CaseIn) -> Status[Any]:
    """Store a case (the patient block comes from the chart) and return its assessment."""
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    raw = services.build_case(patient, data.findings)
    case, problems = services.check_case(raw)
    if case is None:
        return unprocessable([(["body", "findings", n], " ".join(m)) for n, m in problems.items()])
    repeated = (
        data.idempotency_key
        and Exam.all_objects.filter(submit_token=data.idempotency_key, patient=patient).exists()
    )
    try:
        exam = actions.do_save_exam(
            patient=patient, clinician=request.user, case=case, raw=raw,
            submit_token=data.idempotency_key, refuse_voided=True,
        )  # fmt: skip
    except actions.EarlierRecordVoided as earlier:
        return Status(409, {"detail": _voided_earlier("case", earlier.record)})
    except actions.KeyUsedElsewhere:
        return Status(409, {"detail": KEY_USED_ELSEWHERE})
    return Status(200 if repeated else 201, exam)


@router.get("/patients/{patient_id}/cases", response=list[ExamOut], tags=["cases"])
def list_cases(request: ClinicRequest, patient_id: int) -> Any:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return list(patient.exams.order_by("-created")[:100])


@router.get("/cases/{exam_id}", response=ExamOut, tags=["cases"])
def get_case(request: ClinicRequest, exam_id: int) -> Any:
    return _record(request, Exam, exam_id)
