"""Who calls the API: a personal bearer token (only its digest is stored), and bodies refused
when they are not JSON objects."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja.security import HttpBearer

from weizhong.clinic import actions
from weizhong.clinic.accounts.http import clinic_request
from weizhong.clinic.models import ApiToken, Staff

TOKEN_PREFIX = actions.TOKEN_PREFIX
digest = actions.token_digest


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=digest(token), revoked__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        staff = Staff.objects.select_related("clinic").filter(user=found.user).first()
        request.user = found.user
        clinical = clinic_request(request)
        clinical.staff = staff
        clinical.clinic = staff.clinic if staff else None
        clinical.role = staff.role if staff else None
        actions.do_note_token_used(token=found)
        return found


class JsonBodyMiddleware:
    """Bodies sent to the API are JSON objects labelled as JSON; anything else is refused here
    with a clear message (415, 400, 422), never read as an empty set of defaults."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH"):
            problem = self._problem(request)
            if problem:
                status, message = problem
                return HttpResponse(
                    orjson.dumps({"detail": message}),
                    status=status,
                    content_type="application/json",
                )
        response: HttpResponse = self.get_response(request)
        return response

    @staticmethod
    def _problem(request: HttpRequest) -> tuple[int, str] | None:
        if not request.body:
            return None
        kind = request.content_type or ""
        if kind != "application/json" and not kind.endswith("+json"):
            return 415, "send the body as JSON (Content-Type: application/json)"
        try:
            data = orjson.loads(request.body)
        except orjson.JSONDecodeError as error:
            return 400, f"the body is not valid JSON: {error}"
        if not isinstance(data, dict):
            return 422, "the body must be a JSON object"
        return None
