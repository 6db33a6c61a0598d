"""Visits: record one (its SOAP note drafted), read, edit the draft note (If-Match), sign, amend."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from ninja import Router
from ninja.responses import Status

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import CLINICIAN
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import (
    KEY_USED_ELSEWHERE,
    _form_problems,
    _patient,
    _querydict,
    _record,
    _role,
    _visit_out,
    _voided_earlier,
    etag,
    unprocessable,
)
from weizhong.clinic.api.schemas import AmendmentIn, Message, NoteIn, Problems, VisitIn, VisitOut
from weizhong.clinic.models import Visit
from weizhong.clinic.records import rules, services
from weizhong.clinic.web.forms import VisitForm, fields_of

router = Router()


# -------------------------------------------------------------------------------- visits


@router.post(
    "/patients/{patient_id}/visits",
    response={201: VisitOut, 200: VisitOut, 409: Message, 422: Problems},
    tags=["visits"],
)
def create_visit(request: ClinicRequest, patient_id: int, data: VisitIn) -> Status[Any]:
    """Record a visit (its SOAP note is drafted); the same idempotency key stores it once."""
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    fields = data.model_dump(mode="json", exclude={"idempotency_key"})
    fields["date"] = fields["date"] or timezone.localdate().isoformat()
    form = VisitForm(_visit_querydict(fields))
    if not form.is_valid():
        return _form_problems(form)
    token = data.idempotency_key or uuid.uuid4()
    repeated = Visit.all_objects.filter(submit_token=token, patient=patient).exists()
    try:
        visit = actions.do_record_visit(
            patient=patient, clinician=request.user, fields=fields_of(form),
            plan=services.active_plan(patient), submit_token=token, refuse_voided=True,
        )  # fmt: skip
    except actions.EarlierRecordVoided as earlier:
        return Status(409, {"detail": _voided_earlier("visit", earlier.record)})
    except actions.KeyUsedElsewhere:
        return Status(409, {"detail": KEY_USED_ELSEWHERE})
    return Status(200 if repeated else 201, _visit_out(visit))


def _visit_querydict(fields: dict[str, Any]) -> Any:
    """The visit form's input from JSON: trigger points as the page posts them (one
    ``tp_muscle``, ``tp_side``, ``tp_depth_cun``, ``tp_technique`` per row)."""
    rows = fields.pop("trigger_points", None) or []
    q = _querydict(fields)
    for key in ("muscle", "side", "depth_cun", "technique"):
        q.setlist(f"tp_{key}", ["" if r.get(key) is None else str(r[key]) for r in rows])
    return q


@router.get("/patients/{patient_id}/visits", response=list[VisitOut], tags=["visits"])
def list_visits(request: ClinicRequest, patient_id: int) -> list[dict[str, Any]]:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return [_visit_out(v) for v in patient.visits.select_related("note")[:100]]


@router.get("/visits/{visit_id}", response=VisitOut, tags=["visits"])
def get_visit(request: ClinicRequest, visit_id: int, response: HttpResponse) -> dict[str, Any]:
    """The visit with its note. The ETag names the note's version: send it back as If-Match
    when you change the note."""
    visit = _record(request, Visit, visit_id)
    response["ETag"] = etag(visit.note)
    return _visit_out(visit)


@router.put(
    "/visits/{visit_id}/note",
    response={200: VisitOut, 409: Message, 412: Message, 428: Message},
    tags=["visits"],
)
def edit_note(
    request: ClinicRequest, visit_id: int, data: NoteIn, response: HttpResponse
) -> Status[Any]:
    """Replace the draft note's text. Requires ``If-Match`` with the ETag you read: a copy
    that is no longer current gets 412 and nothing is written (no lost updates)."""
    visit = _record(request, Visit, visit_id)
    wanted = request.headers.get("If-Match", "").strip()
    if not wanted:
        return Status(428, {"detail": "send If-Match with the ETag of GET /visits/{id}"})
    note = visit.note
    match = re.fullmatch(rf'(?:W/)?"note-{note.pk}-v(\d+)"', wanted)
    if match is None:
        return Status(412, {"detail": "If-Match does not name a version of this note"})
    try:
        saved = actions.do_save_note(
            note=note, author=request.user, version=int(match.group(1)), fields=data.model_dump()
        )
    except actions.NoteLocked:
        return Status(409, {"detail": "the note is signed: add an amendment instead"})
    except actions.RecordVoided:
        return Status(409, {"detail": "the visit is voided: its note cannot change"})
    except actions.StaleCopy as stale:
        response["ETag"] = etag(stale.current)
        return Status(412, {"detail": "the note changed since you read it; read it again"})
    response["ETag"] = etag(saved)
    return Status(200, _visit_out(Visit.objects.get(pk=visit.pk)))


@router.post("/visits/{visit_id}/sign", response={200: VisitOut, 409: Message}, tags=["visits"])
def sign(request: ClinicRequest, visit_id: int) -> Status[Any]:
    visit = _record(request, Visit, visit_id)
    try:
        actions.do_sign_note(note=visit.note, signer=request.user)
    except actions.NoteLocked:
        return Status(409, {"detail": "the note is already signed"})
    except actions.RecordVoided:
        return Status(409, {"detail": "the visit is voided: its note cannot be signed"})
    return Status(200, _visit_out(visit))


@router.post(
    "/visits/{visit_id}/amendments",
    response={201: VisitOut, 409: Message, 422: Problems},
    tags=["visits"],
)
def amend(request: ClinicRequest, visit_id: int, data: AmendmentIn) -> Status[Any]:
    """Add an amendment to the signed note (the same rule as the page: at least a few
    characters besides blanks, saying what is corrected and why)."""
    visit = _record(request, Visit, visit_id)
    try:
        actions.do_add_amendment(note=visit.note, author=request.user, text=data.text)
    except rules.Refused as refused:
        return unprocessable([(["body", refused.field], refused.message)])
    except actions.RecordVoided:
        return Status(409, {"detail": "the visit is voided: its note cannot be amended"})
    except actions.NoteIsDraft:
        return Status(409, {"detail": "the note is a draft: edit it instead"})
    return Status(201, _visit_out(visit))
