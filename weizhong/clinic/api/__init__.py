"""The JSON API, version 1 (django-ninja): patients, cases and their assessments, plans, visits
with their notes, outcomes, FHIR export and import, superbills, the research export, and
appointments, and the clinic's fee schedule.

Authentication: ``Authorization: Bearer <token>``, a personal token made on the "API tokens"
page or with ``weizhong manage api_token USER``. The API applies the web app's rules through
the same functions: clinicians everything clinical in their clinic, the front desk patients and
demographics only, another clinic's ids answer 404. Input is validated by the same forms and the
same core as the pages, and every problem comes back as 422 with ``detail``: a list of
``{"loc": [...], "msg": "..."}`` naming the field.

OpenAPI: ``/api/v1/openapi.json``; interactive docs at ``/api/v1/docs`` (served by the app).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI

from weizhong.clinic.accounts.access import EmergencyAccessRequired
from weizhong.clinic.api import (
    appointments,
    cases,
    fees,
    fhir,
    outcomes,
    patients,
    plans,
    reports,
    visits,
    voids,
)
from weizhong.clinic.api.auth import JsonBodyMiddleware, TokenAuth


class ClinicAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        """Operation ids as they were when the API was one module (clients generate code
        from them): ``weizhong_clinic_api_<function>``."""
        return f"weizhong_clinic_api_{operation.view_func.__name__}"


api = ClinicAPI(
    title="weizhong API",
    version="1",
    description=__doc__ or "",
    urls_namespace="api-v1",
    auth=TokenAuth(),
)


for part in (patients, cases, plans, visits, outcomes, voids, fhir, reports, appointments, fees):
    api.add_router("", part.router)


def _emergency(request: HttpRequest, exc: object) -> HttpResponse:
    return api.create_response(
        request,
        {
            "detail": "this patient is outside your care team: repeat the request with the "
            "header X-Emergency-Reason stating why (it is recorded and flagged)"
        },
        status=403,
    )


api.add_exception_handler(EmergencyAccessRequired, _emergency)


def _not_found(request: HttpRequest, exc: object) -> HttpResponse:
    return api.create_response(request, {"detail": "not found"}, status=404)


api.add_exception_handler(Http404, _not_found)


__all__ = ["JsonBodyMiddleware", "TokenAuth", "api"]
