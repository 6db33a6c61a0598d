"""Plans: propose and save a version from a case, read."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.responses import Status

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import CLINICIAN, clinic_of
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import _patient, _plan_out, _record, _role, unprocessable
from weizhong.clinic.api.schemas import PlanIn, PlanOut, Problems
from weizhong.clinic.models import Exam, Plan
from weizhong.clinic.records import services
from weizhong.planning.plan import PlanEdits, PlanSettingError
from weizhong.planning.safety import OverrideError, parse_overrides

router = Router()


# --------------------------------------------------------------------------------- plans


@router.post("/cases/{exam_id}/plans", response={201: PlanOut, 422: Problems}, tags=["plans"])
def create_plan(request: ClinicRequest, exam_id: int, data: PlanIn) -> Status[Any]:
    """Propose a plan from the case with your edits and overrides, and save it as a version."""
    exam = _record(request, Exam, exam_id)
    clinic = clinic_of(request)
    edits = PlanEdits(
        add_points=tuple(data.add_points),
        remove_points=tuple(data.remove_points),
        add_exercises=tuple(data.add_exercises),
        remove_exercises=tuple(data.remove_exercises),
    )
    try:
        overrides = parse_overrides(data.overrides)
        plan = services.propose_plan(
            exam, edits=edits, overrides=overrides, guideline=data.guideline
        )
    except (OverrideError, PlanSettingError) as error:
        return unprocessable([(["body"], str(error))])
    saved = actions.do_save_plan(
        exam=exam, author=request.user, plan=plan, edits=edits, overrides=overrides,
        guideline=data.guideline,
        visits_per_week=data.visits_per_week or clinic.visits_per_week,
        planned_visits=data.planned_visits or clinic.rounds_before_reevaluation, note=data.note,
    )  # fmt: skip
    return Status(201, _plan_out(saved))


@router.get("/plans/{plan_id}", response=PlanOut, tags=["plans"])
def get_plan(request: ClinicRequest, plan_id: int) -> dict[str, Any]:
    return _plan_out(_record(request, Plan, plan_id))


@router.get("/patients/{patient_id}/plans", response=list[PlanOut], tags=["plans"])
def list_plans(request: ClinicRequest, patient_id: int) -> list[dict[str, Any]]:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return [_plan_out(p) for p in patient.plans.order_by("-version")[:50]]
