"""FHIR export and import pages and the research export."""

from __future__ import annotations

import orjson
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import (
    CLINICIAN,
    clinic_of,
    patient_for,
    staff_required,
)
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.records import services


@staff_required(CLINICIAN)
def patient_fhir(request: ClinicRequest, pk: int) -> HttpResponse:
    from weizhong.fhir.export import export_bundle

    patient = patient_for(request, pk)
    bundle = export_bundle(
        services.patient_record(patient), base_url=request.build_absolute_uri("/fhir").rstrip("/")
    )
    response = HttpResponse(
        orjson.dumps(bundle, option=orjson.OPT_INDENT_2), content_type="application/fhir+json"
    )
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-fhir.json"'
    return response


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def fhir_import(request: ClinicRequest) -> HttpResponse:
    """Upload a FHIR Bundle (a referral from another system): a new patient with a case."""
    from weizhong.fhir.importer import FhirImportError, import_bundle

    issues: list[dict[str, str]] = []
    if request.method == "POST":
        upload = request.FILES.get("bundle")
        if upload is None or (upload.size or 0) > 5_000_000:
            issues.append({"diagnostics": _("Choose a JSON file of at most 5 MB.")})
        else:
            try:
                bundle = orjson.loads(upload.read())
                imported = import_bundle(bundle)
            except orjson.JSONDecodeError as error:
                issues.append({"diagnostics": _("Not JSON: %(e)s") % {"e": error}})
            except FhirImportError as error:
                issues = list(error.outcome["issue"])
            else:
                patient, exam = actions.do_import_patient(
                    clinic=clinic_of(request), importer=request.user, imported=imported
                )
                messages.success(request, _("Imported as a new patient."))
                return redirect("exam", exam.pk) if exam else redirect("patient", patient.pk)
    return render(
        request,
        "clinic/fhir_import.html",
        {"issues": issues},
        status=422 if issues else 200,
    )


@staff_required(CLINICIAN)
def research_csv(request: ClinicRequest) -> HttpResponse:
    from weizhong.clinic.interop import research

    rows = research.outcome_rows(clinic_of(request))
    response = HttpResponse(research.to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="weizhong-outcomes.csv"'
    return response
