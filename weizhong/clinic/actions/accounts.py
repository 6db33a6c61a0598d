"""Writes about the clinic and its people: the clinic and its settings, staff, personal API
tokens and signed-in sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.models import ApiToken, Clinic, Staff, UserSession

__all__ = [
    "TOKEN_PREFIX",
    "do_add_staff",
    "do_change_password",
    "do_create_api_token",
    "do_create_clinic",
    "do_end_session",
    "do_note_session_seen",
    "do_note_token_used",
    "do_remember_session",
    "do_revoke_api_token",
    "do_set_user_active",
    "do_update_clinic_settings",
    "token_digest",
]

TOKEN_PREFIX = "wz_"
TOKEN_TOUCH = dt.timedelta(minutes=5)  # last_used is written at most this often


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@audited
def do_create_clinic(*, name: str, slug: str, **details: Any) -> Clinic:
    with transaction.atomic():
        return Clinic.objects.create(name=name, slug=slug, **details)


@audited
def do_update_clinic_settings(*, clinic: Clinic, fields: Mapping[str, Any]) -> Clinic:
    """Save validated settings (``ClinicSettingsForm``'s fields)."""
    with transaction.atomic():
        for name, value in fields.items():
            setattr(clinic, name, value)
        clinic.save()
    return clinic


@audited
def do_add_staff(
    *,
    clinic: Clinic,
    username: str,
    role: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_admin: bool = False,
    **details: Any,
) -> Any:
    """A new user with their place in ``clinic`` (``password`` None: cannot sign in)."""
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username, email=email, password=password, first_name=first_name, last_name=last_name
        )
        Staff.objects.create(user=user, clinic=clinic, role=role, is_admin=is_admin, **details)
    return user


@audited
def do_set_user_active(*, user: Any, active: bool) -> None:
    """Deactivate a leaver (their sessions end, their API tokens are refused) or bring them
    back; nothing is deleted."""
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            for entry in UserSession.objects.filter(user=user, ended__isnull=True):
                do_end_session(session=entry)


@audited
def do_change_password(*, user: Any, password: str) -> Any:
    """Set a new password (already checked by the password validators). Every other session
    of the user ends: Django signs sessions with the password's hash."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@audited
def do_create_api_token(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """Make a token; the key is returned once and only its digest is kept."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:80], prefix=key[:10], digest=token_digest(key)
        )
    return token, key


@audited
def do_revoke_api_token(*, user: Any, token_id: int) -> bool:
    """Revoke one of ``user``'s own tokens; False when there was none to revoke."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token_id, user=user, revoked__isnull=True).update(
            revoked=timezone.now()
        )
    return bool(changed)


def do_note_token_used(*, token: ApiToken) -> None:
    """Remember when a token was last used (at most every few minutes: a busy client would
    otherwise write on every request)."""
    now = timezone.now()
    if token.last_used is None or now - token.last_used > TOKEN_TOUCH:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)


def do_remember_session(*, user: Any, session_key: str, ip: str | None, user_agent: str) -> None:
    """A signed-in session, listed on its owner's "Sessions" page."""
    now = timezone.now()
    with transaction.atomic():
        UserSession.objects.update_or_create(
            session_key=session_key,
            defaults={"user": user, "ip": ip, "user_agent": user_agent[:200], "created": now,
                      "last_seen": now, "ended": None},
        )  # fmt: skip


def do_note_session_seen(*, session_key: str, ip: str | None) -> None:
    """When and from where a session was last used (written every few minutes, not on every
    request)."""
    UserSession.objects.filter(session_key=session_key).update(last_seen=timezone.now(), ip=ip)


def do_end_session(*, session: UserSession) -> None:
    """End a signed-in session (its cookie stops working at once)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session.session_key)
    store.delete()
    UserSession.objects.filter(pk=session.pk).update(ended=timezone.now())
