"""The second factor's pages: the code asked after the password (or a recovery code), and
setting up an authenticator with its recovery codes."""

from __future__ import annotations

import pyotp
import segno
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.accounts.second_factor import (
    ISSUER,
    MAX_CODE_FAILURES,
    VERIFIED,
    enrolled,
    recent_failures,
    recovery_codes_left,
    required_for,
)
from weizhong.clinic.audit import events as audit_events
from weizhong.clinic.audit.trail import client_ip, record
from weizhong.clinic.models import Authenticator


@require_http_methods(["GET", "POST"])
def second_factor(request: ClinicRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    device = Authenticator.objects.filter(user=request.user, confirmed__isnull=False).first()
    if device is None:
        return redirect("dashboard")
    error = ""
    if request.method == "POST" and recent_failures(request.user) >= MAX_CODE_FAILURES:
        from django.contrib.auth import logout

        logout(request)
        messages.error(request, _("Too many wrong codes: sign in again."))
        return redirect("login")
    if request.method == "POST":
        given = request.POST.get("code", "")
        by_recovery = any(ch.isalpha() for ch in given) and actions.do_use_recovery_code(
            user=request.user, code=given
        )
        if by_recovery or actions.do_accept_code(device=device, code=given):
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
def second_factor_setup(request: ClinicRequest) -> HttpResponse:
    """Add an authenticator: scan the code, type the first code to confirm."""
    if not request.user.is_authenticated:
        return redirect("login")
    if enrolled(request.user) and VERIFIED not in request.session:
        return redirect("second_factor")
    device = actions.do_start_authenticator(user=request.user)
    if device.confirmed is not None:
        codes = None
        if request.method == "POST" and request.POST.get("action") == "new_codes":
            codes = actions.do_replace_recovery_codes(user=request.user)
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
        if actions.do_accept_code(device=device, code=request.POST.get("code", "")):
            actions.do_confirm_authenticator(device=device)
            request.session[VERIFIED] = timezone.now().isoformat()
            messages.success(request, _("Your authenticator is set up."))
            return render(
                request,
                "clinic/second_factor_setup.html",
                {
                    "done": True,
                    "codes": actions.do_replace_recovery_codes(user=request.user),
                    "left": actions.RECOVERY_CODES,
                },
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
