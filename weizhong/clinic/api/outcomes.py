"""Outcome measures: score and store, list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Router
from ninja.responses import Status

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import CLINICIAN
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import _patient, _role, unprocessable
from weizhong.clinic.api.schemas import OutcomeIn, OutcomeOut, Problems
from weizhong.clinic.models import Outcome
from weizhong.clinic.records import rules
from weizhong.reasoning.instruments import InstrumentError

router = Router()


# ------------------------------------------------------------------------------ outcomes


@router.post(
    "/patients/{patient_id}/outcomes", response={201: OutcomeOut, 422: Problems}, tags=["outcomes"]
)
def create_outcome(request: ClinicRequest, patient_id: int, data: OutcomeIn) -> Status[Any]:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    if data.taken and data.taken > timezone.now() + dt.timedelta(minutes=5):
        return unprocessable([(["body", "taken"], "a score cannot be taken in the future")])
    try:
        outcome = actions.do_score_outcome(
            patient=patient, instrument=data.instrument, answers=list(data.answers),
            entered_by=request.user, taken=data.taken, activities=list(data.activities),
        )  # fmt: skip
    except InstrumentError as error:
        return unprocessable([(["body", "answers"], str(error))])
    except rules.Refused as refused:
        return unprocessable([(["body", refused.field], refused.message)])
    return Status(201, outcome)


@router.get("/patients/{patient_id}/outcomes", response=list[OutcomeOut], tags=["outcomes"])
def list_outcomes(request: ClinicRequest, patient_id: int) -> Any:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return list(Outcome.objects.filter(patient=patient).order_by("taken")[:500])
