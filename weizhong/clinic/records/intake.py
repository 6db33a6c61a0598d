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
from django.utils.translation import gettext as _

from weizhong.clinic.models import Clinic, Intake, Patient
from weizhong.clinic.records import services
from weizhong.reasoning.red_flags import evaluate_red_flags

__all__ = [
    "ACT_TODAY",
    "INSTRUMENTS",
    "RED_FLAG_QUESTIONS",
    "alerts",
    "findings_of",
    "instrument_answers",
    "instrument_problems",
    "screen",
]

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


# The questionnaires of the intake, asked in the knowledge's patient wording
# (``[instrument.patient]`` of instruments.toml) and scored by the same definitions as the
# clinic's outcome form. Their answers are kept as ``{id}_{n}`` (n from 1) and, for PSFS, the
# patient's activities as ``psfs_activity_{n}``.
INSTRUMENTS = ("odi", "startback", "psfs")


def _number(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def instrument_answers(answers: dict[str, Any]) -> dict[str, tuple[list[int | None], list[str]]]:
    """The intake's questionnaires the patient started: id → (answers in item order with None
    for a skipped item, PSFS activities in the same order; empty for other forms). PSFS keeps
    the rows with a name or a rating; trailing skipped items of the others are kept as None."""
    out: dict[str, tuple[list[int | None], list[str]]] = {}
    for instrument in INSTRUMENTS:
        definition = services.instruments()[instrument]
        items = [
            _number(answers.get(f"{instrument}_{n}")) for n in range(1, 1 + len(definition.answers))
        ]
        if instrument == "psfs":
            names = [str(answers.get(f"psfs_activity_{n}", "")).strip() for n in range(1, 6)]
            rows = [(v, a) for v, a in zip(items, names, strict=True) if v is not None or a]
            if rows:
                out[instrument] = ([v for v, _a in rows], [a for _v, a in rows])
        elif any(v is not None for v in items):
            out[instrument] = (items, [])
    return out


def instrument_problems(answers: dict[str, Any]) -> dict[str, str]:
    """What stops the started questionnaires from being scored, in words for the patient:
    instrument id → message (none for a questionnaire left blank, which is not sent)."""
    problems: dict[str, str] = {}
    for instrument, (items, names) in instrument_answers(answers).items():
        definition = services.instruments()[instrument]
        if instrument == "psfs":
            unrated = [a for v, a in zip(items, names, strict=True) if v is None]
            if unrated:
                problems[instrument] = _(
                    "Say how well you can do “%(what)s” today, from 0 to 10."
                ) % {"what": unrated[0]}
            elif not all(names):
                problems[instrument] = _("Write what the thing is next to each number you gave.")
            elif len(items) < definition.item_count.min:
                problems[instrument] = _(
                    "Please name at least %(n)s things, or leave this part blank."
                ) % {"n": definition.item_count.min}
            continue
        needed = len(items) - definition.missing.max_skipped
        if sum(v is not None for v in items) < needed:
            problems[instrument] = (
                _("Please answer all %(n)s questions, or leave them all blank.") % {"n": len(items)}
                if needed == len(items)
                else _(
                    "Please answer at least %(n)s of the %(all)s parts, or leave them all blank."
                )
                % {"n": needed, "all": len(items)}
            )
    return problems


ALERT_DAYS = 7


def alerts(clinic: Clinic) -> list[Intake]:
    """Intakes of the last week whose red flags need action today, newest first (Today)."""
    since = timezone.now() - dt.timedelta(days=ALERT_DAYS)
    return list(
        Intake.objects.filter(clinic=clinic, act_today=True, submitted_at__gte=since)
        .select_related("patient")
        .order_by("-submitted_at")[:20]
    )
