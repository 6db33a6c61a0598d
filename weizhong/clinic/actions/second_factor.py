"""Writes of the second factor: the authenticator (made, confirmed, its last accepted time step
kept so a code works once), the recovery codes (replaced, used once) and forgetting both."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import pyotp
from django.db import transaction
from django.utils import timezone

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.models import Authenticator, RecoveryCode

__all__ = [
    "RECOVERY_CODES",
    "do_accept_code",
    "do_confirm_authenticator",
    "do_forget_second_factor",
    "do_replace_recovery_codes",
    "do_start_authenticator",
    "do_use_recovery_code",
]


@audited
def do_start_authenticator(*, user: Any) -> Authenticator:
    """The user's authenticator, made with a new secret the first time."""
    with transaction.atomic():
        device, _created = Authenticator.objects.get_or_create(
            user=user, defaults={"secret": pyotp.random_base32()}
        )
    return device


@audited
def do_confirm_authenticator(*, device: Authenticator) -> None:
    with transaction.atomic():
        Authenticator.objects.filter(pk=device.pk).update(confirmed=timezone.now())


RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch in _ALPHABET)


@audited
def do_replace_recovery_codes(*, user: Any) -> list[str]:
    """Replace the user's recovery codes with ten new ones; the codes (shown once)."""
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _n in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, digest=_code_digest(c)) for c in codes
        )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


@audited
def do_forget_second_factor(*, user: Any) -> None:
    """A lost phone: the authenticator and recovery codes go; the user sets one up again at
    the next sign-in."""
    with transaction.atomic():
        Authenticator.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def do_use_recovery_code(*, user: Any, code: str) -> bool:
    """Accept an unused recovery code of the user's, once."""
    code = _normalised(code)
    if len(code) != 10:
        return False
    with transaction.atomic():
        used = RecoveryCode.objects.filter(
            user=user, digest=_code_digest(code), used__isnull=True
        ).update(used=timezone.now())
    return used == 1


def do_accept_code(*, device: Authenticator, code: str) -> bool:
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
