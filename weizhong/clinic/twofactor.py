"""A second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

Optional for everyone, required for clinic administrators. After the password, a user with a
confirmed authenticator (or an administrator, who must set one up first) is asked for the
6-digit code before any page opens. A code is accepted once (the last used time step is kept,
so a code seen over a shoulder cannot be replayed). The API's personal tokens are separate
credentials and do not ask for it.
"""

from __future__ import annotations

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
    if request.method == "POST":
        if check_code(device, request.POST.get("code", "")):
            request.session[VERIFIED] = timezone.now().isoformat()
            request.session.cycle_key()
            record(user=request.user, username=request.user.get_username(), action="sign-in",
                   what="second factor", path=request.path, ip=client_ip(request),
                   method="POST", status=302, allowed=True)  # fmt: skip
            target = request.GET.get("next", "")
            safe = target.startswith("/") and not target.startswith("//")
            return redirect(target if safe else "dashboard")
        error = _("That code is not right (or was already used). Codes change every 30 seconds.")
        record(user=request.user, username=request.user.get_username(),
               action="sign-in failed", what="second factor", path=request.path,
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
    if device.confirmed is not None and request.method == "GET":
        return render(request, "clinic/second_factor_setup.html", {"done": True})
    error = ""
    if request.method == "POST":
        if check_code(device, request.POST.get("code", "")):
            Authenticator.objects.filter(pk=device.pk).update(confirmed=timezone.now())
            request.session[VERIFIED] = timezone.now().isoformat()
            messages.success(request, _("Your authenticator is set up."))
            return redirect("dashboard")
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
