"""Writes about the patient portal: the link (issued, revoked), questionnaires sent to it, and
what the patient records there (home-programme ticks, the day's pain)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.history.versions import recording
from weizhong.clinic.models import HomeLog, PainLog, Patient, QuestionnaireRequest

__all__ = [
    "do_issue_portal_link",
    "do_log_home_exercise",
    "do_log_pain",
    "do_revoke_portal_link",
    "do_send_questionnaire",
    "do_undo_home_exercise",
]


@audited
def do_issue_portal_link(*, patient: Patient) -> Patient:
    """Make the portal link valid; an active link stays the same (its version is kept)."""
    with transaction.atomic():
        if not patient.portal_active or patient.portal_issued is None:
            if not patient.portal_active:
                patient.portal_version += 1
            patient.portal_active = True
            patient.portal_issued = timezone.now()
            patient.save(update_fields=["portal_version", "portal_active", "portal_issued"])
    return patient


@audited
def do_revoke_portal_link(*, patient: Patient) -> Patient:
    """The link stops opening; a new one gets the next version, so the old never returns."""
    with transaction.atomic():
        patient.portal_active = False
        patient.save(update_fields=["portal_active"])
    return patient


@audited
def do_send_questionnaire(
    *, patient: Patient, instrument: str, sent_by: Any
) -> QuestionnaireRequest:
    with transaction.atomic():
        return QuestionnaireRequest.objects.create(
            patient=patient, instrument=instrument, sent_by=sent_by
        )


@audited
def do_log_home_exercise(
    *, patient: Patient, day: dt.date, exercise: str, session: int = 1
) -> bool:
    """Tick one session of an exercise for the day; False when it was ticked already (a double
    tap counts once)."""
    try:
        with transaction.atomic():
            HomeLog.objects.create(patient=patient, day=day, exercise=exercise, session=session)
    except IntegrityError:
        return False
    return True


@audited
def do_undo_home_exercise(*, patient: Patient, day: dt.date, exercise: str, session: int) -> bool:
    """Take back a tick (the patient tapped the wrong session); False when there was none."""
    with transaction.atomic():
        removed, _by_model = HomeLog.objects.filter(
            patient=patient, day=day, exercise=exercise, session=session
        ).delete()
    return removed > 0


@audited
def do_log_pain(*, patient: Patient, day: dt.date, pain: int) -> PainLog:
    """The patient's pain for the day (the latest entry of the day counts)."""
    with transaction.atomic(), recording():
        entry, _created = PainLog.objects.update_or_create(
            patient=patient, day=day, defaults={"pain": pain}
        )
    return entry
