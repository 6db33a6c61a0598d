"""The intake's questions in words for patients, and the red-flag screen run on its answers.

The red-flag questions are the core screen of ``red_flags.toml`` (``[screen] core``), each
asked in plain words; the answers become a case's findings and the core's own red-flag rules
decide (``evaluate_red_flags``), so the intake and the clinic's exam cannot disagree. What a
raised flag tells the patient is the flag's ``patient_action`` from the knowledge.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from weizhong.clinic.models import Clinic, Intake, Patient
from weizhong.clinic.records import services
from weizhong.reasoning.red_flags import evaluate_red_flags

__all__ = ["ACT_TODAY", "RED_FLAG_QUESTIONS", "alerts", "findings_of", "screen"]

# (finding id, the question as the patient reads it). Yes/no answers; not answered = not asked.
RED_FLAG_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("saddle_anaesthesia", "Is the skin numb between your legs, around your bottom or genitals?"),
    ("bladder_dysfunction", "Is it new that you cannot pass urine, or you leak, or you cannot "
     "feel when your bladder is full?"),
    ("bowel_dysfunction", "Is it new that you cannot control your bowels?"),
    ("sexual_dysfunction", "Is it new that sex feels different, or you cannot have sex as before?"),
    ("bilateral_leg_neuro_symptoms", "Are both of your legs numb or weak?"),
    ("progressive_weakness", "Is a leg getting weaker day by day?"),
    ("unexplained_weight_loss", "Have you lost weight without trying?"),
    ("night_pain_unremitting", "Does the pain keep you up at night, whatever way you lie?"),
    ("fever", "Do you have a fever, or shivers and sweats, with the pain?"),
    ("major_trauma", "Did the pain start after a bad fall or a road accident?"),
)  # fmt: skip

# Urgencies that need action the same day (see red_flags.toml: emergency and urgent).
ACT_TODAY = ("emergency", "urgent")


def findings_of(answers: dict[str, Any]) -> dict[str, bool]:
    """The case's findings from the intake's answers: "yes" and "no" to the red-flag
    questions; anything else is not asked."""
    found: dict[str, bool] = {}
    for finding, _question in RED_FLAG_QUESTIONS:
        value = answers.get(finding)
        if value in ("yes", "no"):
            found[finding] = value == "yes"
    return found


def screen(patient: Patient, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The core's red flags raised by the answers (most urgent first)."""
    case, problems = services.check_case(services.build_case(patient, findings_of(answers)))
    if case is None:  # the answers are yes/no only: this is a bug, never the patient's fault
        raise ValueError(f"the intake made an invalid case: {problems}")
    return evaluate_red_flags(case, services.knowledge())


ALERT_DAYS = 7


def alerts(clinic: Clinic) -> list[Intake]:
    """Intakes of the last week whose red flags need action today, newest first (Today)."""
    since = timezone.now() - dt.timedelta(days=ALERT_DAYS)
    return list(
        Intake.objects.filter(clinic=clinic, act_today=True, submitted_at__gte=since)
        .select_related("patient")
        .order_by("-submitted_at")[:20]
    )
