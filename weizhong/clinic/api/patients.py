"""Patients: list and find, add, read, replace and change details (with If-Match)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse, QueryDict
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.params import functions as param
from ninja.responses import Status
from pydantic import ValidationError, create_model

from weizhong.clinic import actions, history
from weizhong.clinic.accounts.access import CLINICIAN, clinic_of
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import (
    _form_problems,
    _patient,
    _patient_out,
    _querydict,
    _role,
    patient_etag,
    refuse_clinical_from_desk,
    unprocessable,
)
from weizhong.clinic.api.schemas import Message, PatientIn, PatientOut, Problems
from weizhong.clinic.models import Patient
from weizhong.clinic.records import queries
from weizhong.clinic.web.forms import PatientForm, fields_of

router = Router()


# ------------------------------------------------------------------------------ patients


def _patient_form_data(data: PatientIn) -> QueryDict:
    fields = data.model_dump(mode="json")
    if any("," in m for m in fields["medications"]):
        raise HttpError(422, "a medication name cannot contain a comma")
    return _querydict(fields)  # each medication a value: the form reads them all


@router.get("/patients", response=list[PatientOut], tags=["patients"])
def list_patients(
    request: ClinicRequest,
    q: str = param.Query("", max_length=100),
    limit: int = param.Query(25, ge=1, le=200),
    offset: int = param.Query(0, ge=0, le=1_000_000),
) -> list[dict[str, Any]]:
    """Patients of your clinic, by family name; ``q`` matches name, phone or e-mail."""
    _role(request)
    found = queries.find_patients(clinic_of(request), q)
    rows = found.order_by("family_name", "given_name", "pk")[offset : offset + limit]
    return [_patient_out(p, request) for p in rows]


@router.post("/patients", response={201: PatientOut, 422: Problems}, tags=["patients"])
def create_patient(request: ClinicRequest, data: PatientIn) -> Status[Any]:
    _role(request)
    refuse_clinical_from_desk(request, data.model_fields_set)
    form = PatientForm(
        _patient_form_data(data), instance=Patient(clinic=clinic_of(request)),
        clinical=request.role == CLINICIAN,
    )  # fmt: skip
    if not form.is_valid():
        return _form_problems(form)
    patient = actions.do_create_patient(
        clinic=clinic_of(request),
        fields=fields_of(form),
        by=request.user,
    )
    return Status(201, _patient_out(patient, request))


@router.get("/patients/{patient_id}", response=PatientOut, tags=["patients"])
def get_patient(request: ClinicRequest, patient_id: int, response: HttpResponse) -> dict[str, Any]:
    """The patient's details, with an ``ETag`` to send back in ``If-Match`` when updating."""
    patient = _patient(request, patient_id)
    response["ETag"] = patient_etag(patient.pk, history.version_number("patient", patient.pk))
    return _patient_out(patient, request)


@router.put(
    "/patients/{patient_id}",
    response={200: PatientOut, 412: Message, 422: Problems, 428: Message},
    tags=["patients"],
)
def update_patient(
    request: ClinicRequest, patient_id: int, data: PatientIn, response: HttpResponse
) -> Status[Any]:
    """Replace the patient's details (a field left out takes its default: use PATCH to change
    some fields only). Requires ``If-Match`` with the ETag of GET /patients/{id}: a copy that
    is no longer current gets 412 and nothing is written."""
    patient = _patient(request, patient_id)
    refuse_clinical_from_desk(request, data.model_fields_set)
    return _save_details(request, patient, data, response)


# Every field of PatientIn, optional: only the fields sent change.
if TYPE_CHECKING:  # made at run time from PatientIn; to the type checker, a schema
    PatientPatch = Schema
else:
    PatientPatch = create_model(
        "PatientPatch",
        __base__=Schema,
        **{name: (field.annotation | None, None) for name, field in PatientIn.model_fields.items()},
    )


@router.patch(
    "/patients/{patient_id}",
    response={200: PatientOut, 412: Message, 422: Problems, 428: Message},
    tags=["patients"],
)
def patch_patient(
    request: ClinicRequest, patient_id: int, data: PatientPatch, response: HttpResponse
) -> Status[Any]:
    """Change only the fields sent (``"primary_clinician": null`` clears it; a field left out
    keeps its value). Requires ``If-Match`` like PUT."""
    patient = _patient(request, patient_id)
    refuse_clinical_from_desk(request, set(data.model_dump(exclude_unset=True)))
    current = {name: getattr(patient, name) for name in PatientIn.model_fields}
    current["primary_clinician"] = patient.primary_clinician_id
    try:
        merged = PatientIn(**{**current, **data.model_dump(exclude_unset=True)})
    except ValidationError as error:
        return unprocessable(
            [(["body", *(str(p) for p in e["loc"])], e["msg"]) for e in error.errors()]
        )
    return _save_details(request, patient, merged, response)


def _save_details(
    request: ClinicRequest, patient: Patient, data: PatientIn, response: HttpResponse
) -> Status[Any]:
    """Check ``If-Match`` against the details' history version, validate with the page's form
    and save in one transaction; the new ETag on the answer."""
    wanted = request.headers.get("If-Match", "").strip()
    if not wanted:
        return Status(428, {"detail": "send If-Match with the ETag of GET /patients/{id}"})
    match = re.fullmatch(rf'(?:W/)?"patient-{patient.pk}-v(\d+)"', wanted)
    if match is None:
        return Status(412, {"detail": "If-Match does not name a version of this patient"})
    form = PatientForm(
        _patient_form_data(data), instance=patient, clinical=request.role == CLINICIAN
    )
    if not form.is_valid():
        return _form_problems(form)
    try:
        actions.do_update_patient(
            patient=form.instance, fields=fields_of(form), after_version=int(match.group(1)),
            by=request.user,
        )  # fmt: skip
    except actions.StaleCopy as stale:
        response["ETag"] = patient_etag(patient.pk, stale.current.version if stale.current else 0)
        return Status(412, {"detail": "the details changed since you read them; read again"})
    response["ETag"] = patient_etag(patient.pk, history.version_number("patient", patient.pk))
    return Status(200, _patient_out(patient, request))
