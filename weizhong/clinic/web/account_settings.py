"""The user's own settings pages: the clinic's settings, personal API tokens and signed-in
sessions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import (
    CLINICIAN,
    clinic_of,
    staff_required,
)
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.web.forms import (
    ClinicSettingsForm,
    fields_of,
)


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def clinic_settings(request: ClinicRequest) -> HttpResponse:
    form = ClinicSettingsForm(request.POST or None, instance=clinic_of(request))
    if request.method == "POST" and form.is_valid():
        actions.do_update_clinic_settings(clinic=form.instance, fields=fields_of(form))
        messages.success(request, _("Clinic settings saved."))
        return redirect("dashboard")
    return render(request, "clinic/settings.html", {"form": form})


@staff_required()
@require_http_methods(["GET", "POST"])
def api_tokens(request: ClinicRequest) -> HttpResponse:
    """The user's personal tokens for the JSON API: make one (shown once), revoke one."""
    key = None
    if request.method == "POST":
        if request.POST.get("action") == "create":
            name = request.POST.get("name", "").strip()[:80] or _("API token")
            _token, key = actions.do_create_api_token(user=request.user, name=name)
        elif (pk := request.POST.get("revoke", "")).isdigit():
            actions.do_revoke_api_token(user=request.user, token_id=int(pk))
            messages.success(request, _("Token revoked."))
            return redirect("api_tokens")
    tokens = list(request.user.api_tokens.all()[:50])
    response = render(request, "clinic/api_tokens.html", {"tokens": tokens, "key": key})
    response["Cache-Control"] = "no-store"
    return response


@staff_required()
@require_http_methods(["GET", "POST"])
def sessions(request: ClinicRequest) -> HttpResponse:
    """The user's signed-in sessions; end any but this one."""
    from weizhong.clinic.models import UserSession

    mine = UserSession.objects.filter(user=request.user, ended__isnull=True)
    if request.method == "POST":
        if (pk := request.POST.get("end", "")).isdigit():
            entry = mine.filter(pk=int(pk)).exclude(session_key=request.session.session_key).first()
            if entry is not None:
                actions.do_end_session(session=entry)
                messages.success(request, _("That session is ended."))
        elif request.POST.get("end") == "others":
            for entry in mine.exclude(session_key=request.session.session_key):
                actions.do_end_session(session=entry)
            messages.success(request, _("Every other session is ended."))
        return redirect("sessions")
    return render(
        request,
        "clinic/sessions.html",
        {"sessions": list(mine[:50]), "current": request.session.session_key},
    )
