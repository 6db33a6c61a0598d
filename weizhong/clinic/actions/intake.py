"""Writes of the intake before the first visit: start one (its link), save answers as the
patient goes, and submit, which runs the red-flag screen at once and, when a flag needs action
today, e-mails the clinic."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.actions.records import do_score_outcome
from weizhong.clinic.models import Appointment, Intake, Patient
from weizhong.clinic.records import intake as questions
from weizhong.clinic.records import scheduling
from weizhong.clinic.records.regions import REGION_NAMES
from weizhong.clinic.records.rules import Refused
from weizhong.reasoning.instruments import InstrumentError

__all__ = [
    "IntakeIncomplete",
    "IntakeSubmitted",
    "do_save_intake",
    "do_start_intake",
    "do_submit_intake",
    "send_intake_with_first_booking",
]

MAX_TEXT = 4000
log = logging.getLogger(__name__)


class IntakeSubmitted(Exception):
    """The intake was sent already: it no longer changes."""


class IntakeIncomplete(Exception):
    """A questionnaire the patient started cannot be scored yet; ``problems`` maps its id
    (``odi``, ``startback``, ``psfs``) to what to do, in words for the patient."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


# Answers that are lists: the body chart's regions (the exam's region ids).
LIST_FIELDS = {"pain_regions": REGION_NAMES}


def _clean(answers: dict[str, Any]) -> dict[str, str | list[str]]:
    """Strings, each cut to a sane length (the patient's own words, kept as typed), and the
    body chart's regions as a list of known region ids (in the chart's order, once each)."""
    clean: dict[str, str | list[str]] = {}
    for key, value in answers.items():
        if key in LIST_FIELDS and isinstance(value, list | tuple):
            known = LIST_FIELDS[key]
            clean[key] = [r for r in known if r in {str(v) for v in value}]
        elif isinstance(value, str):
            clean[str(key)[:60]] = value[:MAX_TEXT]
    return clean


@audited
def do_start_intake(*, patient: Patient, by: Any = None) -> Intake:
    with transaction.atomic():
        return Intake.objects.create(clinic=patient.clinic, patient=patient, created_by=by)


def send_intake_with_first_booking(appointment: Appointment, by: Any = None) -> Intake | None:
    """Part of booking (``do_book_appointment``, inside its transaction, whatever the path: the
    desk's page, the API, a course of care, online): when this is the patient's first
    appointment (no other that is not cancelled, no exam yet), they have an e-mail address, and
    no intake of theirs was sent back or e-mailed before, e-mail them the intake's link once the
    booking commits (an open intake made at the desk is the one sent). Returns that intake."""
    patient = appointment.patient
    if not patient.email or patient.exams.exists():
        return None
    if patient.intakes.filter(
        models.Q(submitted_at__isnull=False) | models.Q(link_sent_at__isnull=False)
    ).exists():
        return None
    others = Appointment.objects.filter(patient=patient).exclude(pk=appointment.pk)
    if others.exclude(status="cancelled").exists():
        return None
    intake = patient.intakes.filter(submitted_at__isnull=True).first() or do_start_intake(
        patient=patient, by=by
    )
    intake.link_sent_at = timezone.now()
    intake.save(update_fields=["link_sent_at"])
    transaction.on_commit(lambda: _mail_link(intake, appointment))
    return intake


DEVELOPMENT_ADDRESS = "http://127.0.0.1:8000"


def intake_url(intake: Intake) -> str:
    """The intake's link as the patient opens it from an e-mail: the clinic's public address
    ``WEIZHONG_BASE_URL`` (required behind HTTPS; the development address otherwise, as
    ``accounts.http.base_url`` without a request, which the actions may not import)."""
    configured: str = settings.WEIZHONG_BASE_URL
    return (configured.rstrip("/") or DEVELOPMENT_ADDRESS) + reverse("intake", args=[intake.key])


def _mail_link(intake: Intake, appointment: Appointment) -> None:
    try:
        _send_link(intake, appointment)
    except OSError:  # the booking stands; the desk still has the link and its QR code
        log.exception("the intake link for intake %s could not be e-mailed", intake.pk)


def _send_link(intake: Intake, appointment: Appointment) -> None:
    patient = appointment.patient
    body = _(
        "Hello %(name)s,\n\nYour first visit with %(who)s at %(clinic)s is on %(day)s at "
        "%(time)s.\n\nBefore you come, please tell us about your pain. It takes about ten "
        "minutes, and what you type is saved as you go:\n\n%(url)s\n\nThis link is just for "
        "you. Please do not share it."
    ) % {**scheduling.message_fields(appointment), "url": intake_url(intake)}
    EmailMessage(
        subject=_("Before your first visit at %(clinic)s") % {"clinic": appointment.clinic.name},
        body=body,
        to=[patient.email],
        reply_to=[appointment.clinic.email] if appointment.clinic.email else None,
    ).send(fail_silently=False)


@audited
def do_save_intake(*, intake: Intake, answers: dict[str, Any]) -> Intake:
    """Merge what the patient has given so far (saved as they go)."""
    with transaction.atomic():
        current = Intake.objects.select_for_update().get(pk=intake.pk)
        if current.submitted_at is not None:
            raise IntakeSubmitted
        current.answers = {**current.answers, **_clean(answers)}
        current.save(update_fields=["answers"])
    return current


@audited
def do_submit_intake(*, intake: Intake, answers: dict[str, Any]) -> Intake:
    """Keep the answers, run the core's red-flag screen, score the questionnaires the patient
    filled in as their baseline (``do_score_outcome``, the clinic's own write path: source
    "intake", dated now, linked to the intake), and alert the clinic by e-mail when a flag needs
    action today (after the transaction commits). IntakeIncomplete, and nothing stored, when a
    questionnaire the patient started cannot be scored."""
    with transaction.atomic():
        current = (
            Intake.objects.select_for_update().select_related("patient__clinic").get(pk=intake.pk)
        )
        if current.submitted_at is not None:
            raise IntakeSubmitted
        current.answers = {**current.answers, **_clean(answers)}
        problems = questions.instrument_problems(current.answers)
        if problems:
            raise IntakeIncomplete(problems)
        flags = questions.screen(current.patient, current.answers)
        current.red_flags = [
            {k: f[k] for k in ("id", "name", "urgency", "action", "patient_action")} for f in flags
        ]
        current.act_today = any(f["urgency"] in questions.ACT_TODAY for f in flags)
        current.submitted_at = timezone.now()
        current.save()
        for instrument, (items, names) in questions.instrument_answers(current.answers).items():
            try:
                do_score_outcome(
                    patient=current.patient, instrument=instrument, answers=items,
                    source="intake", taken=current.submitted_at, activities=names,
                    intake=current,
                )  # fmt: skip
            except (InstrumentError, Refused) as error:  # the checks above should catch these
                log.warning("intake %s: %s could not be scored: %s", current.pk, instrument, error)
                raise IntakeIncomplete(
                    {instrument: _("Please check your answers to this part.")}
                ) from error
        if current.act_today:
            transaction.on_commit(lambda: _alert(current))
    return current


def _alert(intake: Intake) -> None:
    try:
        _send_alert(intake)
    except OSError:  # the intake is stored and shown on Today; a mail server down must not lose it
        log.exception("the e-mail alert for intake %s could not be sent", intake.pk)


def _send_alert(intake: Intake) -> None:
    clinic = intake.patient.clinic
    to = [clinic.email] if clinic.email else [a for _n, a in settings.ADMINS]
    if not to:
        log.error("intake %s needs action today but the clinic has no e-mail address", intake.pk)
        return
    flags = "\n".join(f"- {f['name']} ({f['urgency']}): {f['action']}" for f in intake.red_flags)
    send_mail(
        subject=f"Intake red flag needing action today: patient {intake.patient.pk}",
        message=(
            f"{intake.patient.full_name} (patient {intake.patient.pk}) sent an intake at "
            f"{intake.submitted_at:%Y-%m-%d %H:%M} UTC that raised:\n{flags}\n\n"
            "The patient was told what to do now. Contact them today."
        ),
        from_email=None,
        recipient_list=to,
        fail_silently=False,
    )
