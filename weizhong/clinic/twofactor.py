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
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any

import pyotp
import segno
from django.conf import settings
from django.contrib import messages
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import audit_events
from .audit import client_ip, record

VERIFIED = "second_factor_at"  # session key: when the code was accepted
ISSUER = "weizhong"


class Authenticator(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authenticator"
    )
    secret = models.CharField(max_length=64)
    confirmed = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)  # the last accepted time step (no replays)


class RecoveryCode(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    used = models.DateTimeField(null=True, blank=True)


RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch in _ALPHABET)


def new_recovery_codes(user: Any) -> list[str]:
    """Replace the user's recovery codes with ten new ones; the codes (shown once)."""
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _n in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, digest=_code_digest(c)) for c in codes
        )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def forget_second_factor(user: Any) -> None:
    """A lost phone: the authenticator and recovery codes go; the user sets one up again at
    the next sign-in."""
    with transaction.atomic():
        Authenticator.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def use_recovery_code(user: Any, code: str) -> bool:
    """Accept an unused recovery code of the user's, once."""
    code = _normalised(code)
    if len(code) != 10:
        return False
    with transaction.atomic():
        used = RecoveryCode.objects.filter(
            user=user, digest=_code_digest(code), used__isnull=True
        ).update(used=timezone.now())
    return used == 1


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used__isnull=True).count()


MAX_CODE_FAILURES = 5
FAILURE_WINDOW = 15 * 60  # seconds


def _recent_failures(user: Any) -> int:
    from .audit import AuditEvent

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


def check_code(device: Authenticator, code: str) -> bool:
    """Accept the code for this or the neighbouring time step, once."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return False
    totp = pyotp.TOTP(device.secret)
    now = int(time.time())
    for drift in (0, -30, 30):
        step = (now + drift) // 30
        if step > device.last_step and totp.verify(code, for_time=now + drift, valid_window=0):
            with transaction.atomic():
                updated = Authenticator.objects.filter(pk=device.pk, last_step__lt=step).update(
                    last_step=step
                )
            return updated == 1
    return False


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


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    device = Authenticator.objects.filter(user=request.user, confirmed__isnull=False).first()
    if device is None:
        return redirect("dashboard")
    error = ""
    if request.method == "POST" and _recent_failures(request.user) >= MAX_CODE_FAILURES:
        from django.contrib.auth import logout

        logout(request)
        messages.error(request, _("Too many wrong codes: sign in again."))
        return redirect("login")
    if request.method == "POST":
        given = request.POST.get("code", "")
        by_recovery = any(ch.isalpha() for ch in given) and use_recovery_code(request.user, given)
        if by_recovery or check_code(device, given):
            request.session[VERIFIED] = timezone.now().isoformat()
            request.session.cycle_key()
            event = (
                audit_events.SECOND_FACTOR_RECOVERY if by_recovery else audit_events.SECOND_FACTOR
            )
            record(event, user=request.user, username=request.user.get_username(),
                   path=request.path, ip=client_ip(request),
                   method="POST", status=302, allowed=True)  # fmt: skip
            if by_recovery:
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; %(n)s remain. If your phone is "
                        "lost, set up the authenticator again and print new codes."
                    )
                    % {"n": recovery_codes_left(request.user)},
                )
            target = request.GET.get("next", "")
            safe = target.startswith("/") and not target.startswith("//")
            return redirect(target if safe else "dashboard")
        error = _(
            "That code is not right (or was already used). Codes change every 30 seconds; a "
            "recovery code works once."
        )
        record(audit_events.SECOND_FACTOR_FAILED, user=request.user,
               username=request.user.get_username(), path=request.path,
               ip=client_ip(request), method="POST", status=401, allowed=False)  # fmt: skip
    return render(
        request, "clinic/second_factor.html", {"error": error}, status=401 if error else 200
    )


@require_http_methods(["GET", "POST"])
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator: scan the code, type the first code to confirm."""
    if not request.user.is_authenticated:
        return redirect("login")
    if enrolled(request.user) and VERIFIED not in request.session:
        return redirect("second_factor")
    device, _created = Authenticator.objects.get_or_create(
        user=request.user, defaults={"secret": pyotp.random_base32()}
    )
    if device.confirmed is not None:
        codes = None
        if request.method == "POST" and request.POST.get("action") == "new_codes":
            codes = new_recovery_codes(request.user)
            record(audit_events.RECOVERY_CODES, user=request.user,
                   username=request.user.get_username(), path=request.path,
                   ip=client_ip(request), method="POST", status=200, allowed=True)  # fmt: skip
        return render(
            request,
            "clinic/second_factor_setup.html",
            {"done": True, "codes": codes, "left": recovery_codes_left(request.user)},
        )
    error = ""
    if request.method == "POST":
        if check_code(device, request.POST.get("code", "")):
            Authenticator.objects.filter(pk=device.pk).update(confirmed=timezone.now())
            request.session[VERIFIED] = timezone.now().isoformat()
            messages.success(request, _("Your authenticator is set up."))
            return render(
                request,
                "clinic/second_factor_setup.html",
                {"done": True, "codes": new_recovery_codes(request.user), "left": RECOVERY_CODES},
            )
        error = _("That code is not right. Check the phone's clock and type the current code.")
    uri = pyotp.TOTP(device.secret).provisioning_uri(
        name=request.user.get_username(), issuer_name=ISSUER
    )
    qr = segno.make(uri, error="m").svg_inline(scale=5, dark="#1b2430")
    return render(
        request,
        "clinic/second_factor_setup.html",
        {
            "qr": mark_safe(qr),
            "secret": device.secret,
            "error": error,
            "required": required_for(request.user),
        },
        status=422 if error else 200,
    )
