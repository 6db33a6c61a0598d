"""The research export and the visit's superbill."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpResponse
from ninja import Router
from ninja.responses import Status

from weizhong.clinic.accounts.access import CLINICIAN, clinic_of
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import _record, _role, unprocessable
from weizhong.clinic.api.schemas import Message, Problems
from weizhong.clinic.interop import research
from weizhong.clinic.models import Visit
from weizhong.clinic.records import services

router = Router()


@router.get("/research/outcomes.csv", tags=["research"])
def research_outcomes(request: ClinicRequest) -> HttpResponse:
    """De-identified outcomes per episode of care (one row per plan version and questionnaire)."""
    _role(request, CLINICIAN)
    rows = research.outcome_rows(clinic_of(request))
    response = HttpResponse(research.to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="weizhong-outcomes.csv"'
    return response


@router.get(
    "/visits/{visit_id}/superbill",
    response={200: dict[str, Any], 409: Message, 422: Problems},
    tags=["billing"],
)
def visit_superbill(
    request: ClinicRequest, visit_id: int, format: Literal["json", "csv", "pdf"] = "json"
) -> Any:
    """The visit's superbill: ICD-10-CM diagnoses with pointers, CPT lines with units and how
    they were computed, and every warning a payer may raise (JSON, CSV or PDF)."""
    from weizhong.billing import BillingError, superbill_csv, superbill_pdf

    visit = _record(request, Visit, visit_id)
    if visit.voided:
        return Status(409, {"detail": "the visit is voided: it is not billed"})
    try:
        bill = services.superbill_for(visit)
    except BillingError as error:
        return unprocessable([(["visit", *p.field.split(".")], p.message) for p in error.problems])
    if format == "csv":
        return HttpResponse(superbill_csv(bill), content_type="text/csv; charset=utf-8")
    if format == "pdf":
        return HttpResponse(superbill_pdf(bill), content_type="application/pdf")
    return Status(200, bill)
