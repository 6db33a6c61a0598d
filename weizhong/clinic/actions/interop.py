"""Writes from interchange with other systems: a trusted CDS client's call (its token's ``jti``
noted, so that the token cannot be used twice, and the call in the audit trail) and the feedback
of CDS Hooks 2.0 (what a clinician did with a card), one audit event per card."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.audit.events import CDS_CALL, CDS_FEEDBACK
from weizhong.clinic.audit.trail import record
from weizhong.clinic.models import CdsTokenUse

__all__ = ["CardFeedback", "do_note_cds_call", "do_record_cds_feedback"]

FORGET_EVERY = 60.0  # seconds between two clear-outs of expired tokens, in each server process
_forgotten_at = [float("-inf")]  # time.monotonic() of this process's last clear-out


@audited
def do_note_cds_call(
    *, client: str, iss: str, jti: str, expires: dt.datetime, ip: str | None, path: str
) -> bool:
    """Note a verified CDS token's ``jti`` until it ``expires`` and record the call
    (``CDS_CALL``, under the client's name: never the token), together. Returns False, and
    records nothing, when that issuer's ``jti`` was seen before: a replay. Expired notes are
    cleared at most once a minute in each process."""
    try:
        with transaction.atomic():
            CdsTokenUse.objects.create(iss=iss, jti=jti, expires=expires)
            record(
                CDS_CALL,
                username=client[:150],
                role="ehr",
                method="POST",
                path=path[:300],
                target=f"client={client}"[:120],
                ip=ip,
                status=None,
                allowed=True,
                reason=f"issuer {iss}"[:2000],
            )
    except IntegrityError:
        # Another request noted the same token first (the unique issuer and jti); anything
        # else is not a replay and is raised.
        if CdsTokenUse.objects.filter(iss=iss, jti=jti).exists():
            return False
        raise
    if time.monotonic() - _forgotten_at[0] >= FORGET_EVERY:
        _forgotten_at[0] = time.monotonic()
        CdsTokenUse.objects.filter(expires__lt=timezone.now()).delete()
    return True


@dataclass(frozen=True)
class CardFeedback:
    """One checked feedback entry: the card, accepted or overridden, when, and why."""

    card: str  # the card's uuid
    outcome: str  # accepted | overridden
    at: str  # outcomeTimestamp, as sent
    accepted_suggestions: tuple[str, ...] = ()
    override_reason: str = ""  # the coded reason's code or display, and the user's comment


@audited
def do_record_cds_feedback(
    *,
    service: str,
    entries: list[CardFeedback],
    ip: str | None,
    path: str,
    client: str = "",
) -> int:
    """Record each entry in the audit trail (``CDS_FEEDBACK``), under the name of the CDS
    client that sent it; all or none. Returns how many."""
    with transaction.atomic():
        for entry in entries:
            target = f"service={service} card={entry.card} outcome={entry.outcome}"
            reason = f"at {entry.at}"
            if entry.accepted_suggestions:
                reason += "; accepted suggestions " + ", ".join(entry.accepted_suggestions)
            if entry.override_reason:
                reason += f"; {entry.override_reason}"
            record(
                CDS_FEEDBACK,
                username=client[:150],
                role="ehr",
                method="POST",
                path=path[:300],
                target=target[:120],
                ip=ip,
                status=200,
                allowed=True,
                reason=reason[:2000],
            )
    return len(entries)
