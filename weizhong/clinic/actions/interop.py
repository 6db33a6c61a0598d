"""Writes from interchange with other systems: the feedback of CDS Hooks 2.0 (what a clinician
did with a card), one audit event per card."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.audit.events import CDS_FEEDBACK
from weizhong.clinic.audit.trail import record

__all__ = ["CardFeedback", "do_record_cds_feedback"]


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
    *, service: str, entries: list[CardFeedback], ip: str | None, path: str
) -> int:
    """Record each entry in the audit trail (``CDS_FEEDBACK``); all or none. Returns how many."""
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
                username="",
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
