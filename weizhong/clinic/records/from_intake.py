"""The first exam from the intake (issue 15): what the patient reported before the first visit
becomes the exam's starting findings, each marked as the patient's report until the clinician
confirms or changes it, and the saved exam keeps which findings came from the patient.

What maps, as the case format allows (``../shared/case-format.md``):

- the red-flag answers ("yes" / "no") → the red-flag findings of the same id (booleans);
- the body chart, when the intake stores it under ``pain_regions`` (a list of region ids or
  one text of ids separated by commas or spaces; unknown ids are left out) → ``pain_regions``;
- the patient's own words (the history, medicines, devices) and pregnancy have no finding in
  the case: the case's ``patient`` block is read from the patient's details. They are shown
  beside the form and kept with the exam, and a difference from the details is pointed out.

"Confirm" means: the clinician ticks "Confirmed with the patient" beside the pre-filled field.
On saving, each reported finding is ``confirmed`` (ticked, value kept), ``unconfirmed`` (value
kept, not ticked: the saved exam still says "reported by the patient") or ``changed`` (the
clinician recorded another value, or left it not examined; the patient's answer stays on the
exam, so a reported red flag is never dropped without a trace).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from weizhong.clinic.models import Intake, Patient
from weizhong.clinic.records import intake as questions
from weizhong.clinic.records import scheduling, services

__all__ = [
    "CHANGED",
    "CONFIRMED",
    "UNCONFIRMED",
    "Reported",
    "for_new_exam",
    "reported_by",
    "safety_differences",
    "saved_record",
    "status_of",
]

CONFIRMED, UNCONFIRMED, CHANGED = "confirmed", "unconfirmed", "changed"
WORDS = ("history", "medicines", "devices")
PREGNANT = {"yes": True, "no": False}


@dataclass(frozen=True)
class Reported:
    """One submitted intake read as exam findings."""

    intake_id: int
    day: dt.date  # the day it was sent, on the clinic's calendar
    findings: dict[str, Any]  # case-format values the form starts from
    flags: list[str]  # red-flag findings the patient answered "yes" to, in question order
    words: dict[str, str] = field(default_factory=dict)  # history, medicines, devices
    pregnant: str = ""  # "yes", "no", "not_sure" or "" (not answered)
    raised: list[dict[str, str]] = field(default_factory=list)  # the screen's flags on submit


def _regions(value: Any) -> list[str]:
    known = services.knowledge().vocabulary.regions
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    seen: list[str] = []
    for item in items:
        if isinstance(item, str) and item in known and item not in seen:
            seen.append(item)
    return seen


def reported_by(intake: Intake) -> Reported:
    """The findings, flags and words of a submitted intake."""
    answers = intake.answers
    findings: dict[str, Any] = dict(questions.findings_of(answers))
    regions = _regions(answers.get("pain_regions", []))
    if regions:
        findings["pain_regions"] = regions
    sent = intake.submitted_at or intake.created
    return Reported(
        intake_id=intake.pk,
        day=sent.astimezone(scheduling.clinic_zone(intake.clinic)).date(),
        findings=findings,
        flags=[f for f, _q in questions.RED_FLAG_QUESTIONS if findings.get(f) is True],
        words={k: str(answers[k]).strip() for k in WORDS if str(answers.get(k, "")).strip()},
        pregnant=str(answers.get("pregnant", "")),
        raised=[
            {k: str(f.get(k, "")) for k in ("name", "urgency", "action")} for f in intake.red_flags
        ],
    )


def for_new_exam(patient: Patient, intake_id: int | None = None) -> Reported | None:
    """The newest submitted intake when the patient has no exam yet (``intake_id``: the one the
    form was opened with, so a save records what the clinician was shown)."""
    if patient.exams.exists():
        return None
    intakes = patient.intakes.filter(submitted_at__isnull=False)
    if intake_id is not None:
        intakes = intakes.filter(pk=intake_id)
    intake = intakes.order_by("-submitted_at").first()
    return None if intake is None else reported_by(intake)


def status_of(reported: Any, recorded: Any, confirmed: bool) -> str:
    """``confirmed``, ``unconfirmed`` or ``changed`` for one reported finding."""
    if isinstance(reported, list) and isinstance(recorded, list):
        same = sorted(reported) == sorted(recorded)
    else:
        same = recorded == reported
    if not same:
        return CHANGED
    return CONFIRMED if confirmed else UNCONFIRMED


def saved_record(
    reported: Reported, findings: dict[str, Any], confirmed: set[str]
) -> dict[str, Any]:
    """What the saved exam keeps of the patient's report: per pre-filled finding, the reported
    value and whether it was confirmed, left unconfirmed or changed (with what was recorded)."""
    out: dict[str, dict[str, Any]] = {}
    for fid, value in reported.findings.items():
        status = status_of(value, findings.get(fid), fid in confirmed)
        out[fid] = {"reported": value, "status": status}
        if status == CHANGED:
            out[fid]["recorded"] = findings.get(fid)
    return {
        "intake": reported.intake_id,
        "day": reported.day.isoformat(),
        "findings": out,
        "words": dict(reported.words),
        "pregnant": reported.pregnant,
    }


def safety_differences(patient: Patient, reported: Reported) -> list[str]:
    """Where the patient's report and the patient's details (which the case's ``patient`` block
    and the planner's safety rules read) disagree, in words."""
    notes: list[str] = []
    said = PREGNANT.get(reported.pregnant)
    if said is True and not patient.pregnant:
        notes.append(_("The patient reported being pregnant; the patient's details say not."))
    elif reported.pregnant == "not_sure" and not patient.pregnant:
        notes.append(_("The patient is not sure whether they are pregnant: ask before treating."))
    if reported.words.get("medicines") and not patient.medications:
        notes.append(_("The patient listed medicines; the patient's details list none."))
    if reported.words.get("devices") and not patient.devices:
        notes.append(_("The patient listed devices or implants; the patient's details list none."))
    return notes
