"""The clinic's people, for its administrators: who works here, in which role, with a second
factor or not, signed in where, locked out or not; add a colleague (with a one-time password
shown once), unlock an account, end someone's sessions (a lost tablet), reset a lost second
factor, deactivate a leaver (sessions ended, API tokens refused, nothing deleted). Everyone can
change their own password. Every administrative act is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import admin_required, clinic_of, staff_required
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.audit import events as audit_events
from weizhong.clinic.audit.events import EventName
from weizhong.clinic.audit.trail import client_ip, record
from weizhong.clinic.models import Staff

User = get_user_model()


class NewStaffForm(forms.Form):
    username = forms.RegexField(
        label=_lazy("Sign-in name"),
        regex=r"^[\w.@+-]{3,150}$",
        help_text=_lazy("3 to 150 letters, digits and . @ + - _"),
        error_messages={"invalid": _lazy("Use 3 to 150 letters, digits and . @ + - _")},
    )
    first_name = forms.CharField(label=_lazy("Given name"), max_length=150)
    last_name = forms.CharField(label=_lazy("Family name"), max_length=150)
    email = forms.EmailField(label=_lazy("E-mail"), required=False)
    role = forms.ChoiceField(label=_lazy("Role"), choices=Staff.ROLES)
    is_admin = forms.BooleanField(
        label=_lazy("Clinic administrator (audit trail, staff; a second factor is required)"),
        required=False,
    )

    def clean_username(self) -> str:
        name: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(_("That sign-in name is taken."))
        return name


def _locked_out() -> set[str]:
    """Sign-in names locked out now (django-axes: failures within the cool-off time)."""
    from axes.models import AccessAttempt

    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return set(
        AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
        ).values_list("username", flat=True)
    )


def _audit(request: ClinicRequest, event: EventName, target: Any) -> None:
    record(event, user=request.user, username=request.user.get_username(), role="admin",
           clinic_id=clinic_of(request).pk,
           target=f"user {target.pk} {target.get_username()}"[:120], method="POST",
           path=request.path[:300], ip=client_ip(request), status=302,
           allowed=True)  # fmt: skip


def _act(request: ClinicRequest, action: str, member: Staff) -> str:
    """Carry out one administrative action on a colleague; the message to show."""
    from axes.utils import reset

    from weizhong.clinic.models import UserSession

    user = member.user
    name = user.get_full_name() or user.get_username()
    if action == "unlock":
        reset(username=user.get_username())
        return _("%(name)s can sign in again.") % {"name": name}
    if action == "end_sessions":
        for entry in UserSession.objects.filter(user=user, ended__isnull=True):
            actions.do_end_session(session=entry)
        return _("Every session of %(name)s is ended.") % {"name": name}
    if action == "reset_second_factor":
        actions.do_forget_second_factor(user=user)
        return _("%(name)s will set up an authenticator again at the next sign-in.") % {
            "name": name
        }
    if action in ("deactivate", "reactivate"):
        actions.do_set_user_active(user=user, active=action == "reactivate")
        if not user.is_active:
            return _("%(name)s can no longer sign in or use API tokens.") % {"name": name}
        return _("%(name)s can sign in again.") % {"name": name}
    return ""


STAFF_EVENTS = {
    "unlock": audit_events.STAFF_UNLOCKED,
    "end_sessions": audit_events.STAFF_SESSIONS_ENDED,
    "reset_second_factor": audit_events.STAFF_SECOND_FACTOR_RESET,
    "deactivate": audit_events.STAFF_DEACTIVATED,
    "reactivate": audit_events.STAFF_REACTIVATED,
}
ACTIONS = tuple(STAFF_EVENTS)


@admin_required
@require_http_methods(["GET", "POST"])
def staff_list(request: ClinicRequest) -> HttpResponse:
    from weizhong.clinic.models import Authenticator, RecoveryCode, UserSession

    clinic = clinic_of(request)
    form = NewStaffForm()
    created: dict[str, str] | None = None
    status = 200
    if request.method == "POST" and request.POST.get("action") == "add":
        form = NewStaffForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            password = "-".join(secrets.token_urlsafe(4) for _n in range(4))
            with transaction.atomic():
                user = actions.do_add_staff(
                    clinic=clinic, username=data["username"], role=data["role"],
                    password=password, first_name=data["first_name"],
                    last_name=data["last_name"], email=data["email"], is_admin=data["is_admin"],
                )  # fmt: skip
                _audit(request, audit_events.STAFF_ADDED, user)
            created = {"username": user.get_username(), "password": password}
            form = NewStaffForm()
        else:
            status = 422
    elif request.method == "POST":
        action = request.POST.get("action", "")
        member = (
            Staff.objects.select_related("user")
            .filter(clinic=clinic, user_id=request.POST.get("user", "") or 0)
            .first()
            if request.POST.get("user", "").isdigit()
            else None
        )
        if member is None or action not in ACTIONS:
            messages.error(request, _("Choose a colleague of this clinic and an action."))
        elif member.user_id == request.user.pk and action != "unlock":
            messages.error(request, _("Use your own settings pages for your account."))
        else:
            with transaction.atomic():
                text = _act(request, action, member)
                _audit(request, STAFF_EVENTS[action], member.user)
            messages.success(request, text)
        return redirect("staff")
    members = list(
        Staff.objects.filter(clinic=clinic).select_related("user").order_by("user__last_name")
    )
    ids = [m.user_id for m in members]
    enrolled = set(
        Authenticator.objects.filter(user_id__in=ids, confirmed__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    codes: dict[int, int] = {}
    for user_id in RecoveryCode.objects.filter(user_id__in=ids, used__isnull=True).values_list(
        "user_id", flat=True
    ):
        codes[user_id] = codes.get(user_id, 0) + 1
    open_sessions: dict[int, int] = {}
    for user_id in UserSession.objects.filter(user_id__in=ids, ended__isnull=True).values_list(
        "user_id", flat=True
    ):
        open_sessions[user_id] = open_sessions.get(user_id, 0) + 1
    locked = _locked_out()
    rows = [
        {
            "member": m,
            "user": m.user,
            "second_factor": m.user_id in enrolled,
            "codes": codes.get(m.user_id, 0),
            "sessions": open_sessions.get(m.user_id, 0),
            "locked": m.user.get_username() in locked,
            "self": m.user_id == request.user.pk,
        }
        for m in members
    ]
    return render(
        request,
        "clinic/staff.html",
        {"rows": rows, "form": form, "created": created},
        status=status,
    )


@staff_required()
@require_http_methods(["GET", "POST"])
def password_change(request: ClinicRequest) -> HttpResponse:
    """Change one's own password (12 characters or more, not a common one). This session
    stays signed in; every other session of the user ends (Django signs sessions with the
    password's hash)."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = actions.do_change_password(
            user=form.user, password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(request, user)
        record(audit_events.PASSWORD_CHANGED, user=user, username=user.get_username(),
               path=request.path[:300], ip=client_ip(request),
               method="POST", status=302, allowed=True)  # fmt: skip
        messages.success(request, _("Your password is changed."))
        return redirect("sessions")
    return render(
        request,
        "clinic/password.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )
