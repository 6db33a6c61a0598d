"""FHIR R4: a patient's record as a Bundle, and a Bundle imported as a new patient."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse
from ninja import Router
from ninja.responses import Status

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import CLINICIAN, clinic_of
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import _patient, _role
from weizhong.clinic.api.schemas import BUNDLE, ImportOut
from weizhong.clinic.records import services
from weizhong.fhir.export import export_bundle
from weizhong.fhir.importer import FhirImportError, import_bundle

router = Router()


# --------------------------------------------------------------------- FHIR and research


@router.get("/patients/{patient_id}/fhir", tags=["fhir"])
def fhir_export(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The patient's record as a FHIR R4 Bundle (collection)."""
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    bundle = export_bundle(services.patient_record(patient), base_url=_fhir_base(request))
    return HttpResponse(orjson.dumps(bundle), content_type="application/fhir+json")


@router.post("/fhir/import", response={201: ImportOut, 422: dict[str, Any]}, tags=["fhir"])
def fhir_import(request: ClinicRequest, bundle: dict[str, Any] = BUNDLE) -> Status[Any]:
    """A Bundle with a Patient and Observations (and QuestionnaireResponses) becomes a new
    patient with a case and scores. A bundle that cannot be imported gets an OperationOutcome
    naming each problem (422), and nothing is stored."""
    _role(request, CLINICIAN)
    try:
        imported = import_bundle(bundle)
    except FhirImportError as error:
        return Status(422, error.outcome)
    patient, exam = actions.do_import_patient(
        clinic=clinic_of(request),
        importer=request.user,
        imported=imported,
    )
    unscored = [
        f"{o['instrument']}: a score without its answers is not stored"
        for o in imported.outcomes
        if o.get("answers") is None
    ]
    return Status(
        201,
        {
            "patient_id": patient.pk,
            "exam_id": exam.pk if exam else None,
            "outcomes": patient.outcomes.count(),
            "ignored": [*imported.ignored, *unscored],
        },
    )


def _fhir_base(request: ClinicRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")
