"""A second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

Optional for everyone, required for clinic administrators. After the password, a user with a
confirmed authenticator (or an administrator, who must set one up first) is asked for the
6-digit code before any page opens. A code is accepted once (the last used time step is kept,
so a code seen over a shoulder cannot be replayed). The API's personal tokens are separate
credentials and do not ask for it.

Recovery codes: confirming an authenticator shows ten one-time codes, once, to keep on paper.
Each stands in for the app once (a lost or broken phone); only their SHA-256 digests are stored
(40 random bits each). A new set replaces the old one.

Guessing: after five wrong codes (app or recovery) within 15 minutes, counted from the audit
trail's failed events, the session is ended and the password asked again, so codes cannot be
tried at speed; the password itself locks after five failures (django-axes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from weizhong.clinic.audit import events as audit_events
from weizhong.clinic.models import Authenticator, RecoveryCode

VERIFIED = "second_factor_at"  # session key: when the code was accepted
ISSUER = "weizhong"


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used__isnull=True).count()


MAX_CODE_FAILURES = 5
FAILURE_WINDOW = 15 * 60  # seconds


def recent_failures(user: Any) -> int:
    from weizhong.clinic.audit.trail import AuditEvent

    since = timezone.now() - dt.timedelta(seconds=FAILURE_WINDOW)
    failed = audit_events.SECOND_FACTOR_FAILED
    return AuditEvent.objects.filter(
        user=user, action=failed.action, what=failed.what, at__gte=since
    ).count()


def required_for(user: Any) -> bool:
    staff = getattr(user, "staff", None)
    return bool(staff and staff.is_admin)


def enrolled(user: Any) -> bool:
    device = Authenticator.objects.filter(user=user, confirmed__isnull=False).first()
    return device is not None


EXEMPT = ("second_factor", "second_factor_setup", "logout", "login", "healthz")


class SecondFactorMiddleware:
    """Until the code is given, a signed-in user reaches only the code and set-up pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and hasattr(request, "session")
            and not request.path.startswith(("/api/", "/static/", "/p/", "/cds-services"))
            and VERIFIED not in request.session
        ):
            match = getattr(request, "resolver_match", None)
            name = match.url_name if match else None
            if name is None:
                from django.urls import resolve
                from django.urls.exceptions import Resolver404

                try:
                    name = resolve(request.path_info).url_name
                except Resolver404:
                    name = None
            if name not in EXEMPT:
                if enrolled(user):
                    return redirect(f"{reverse('second_factor')}?next={request.path}")
                if required_for(user):
                    return redirect(reverse("second_factor_setup"))
                # Neither enrolled nor required: decided once for this session, not per request.
                request.session[VERIFIED] = "not used"
        return self.get_response(request)
