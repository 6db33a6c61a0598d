"""De-identified outcomes per episode of care, for research.

An episode is one plan version: from the day it was saved until the next version (or today).
For each episode and questionnaire: the baseline score (the last one on or before the plan, or
else the first one after it), the last score of the episode, the change and whether it reaches
the instrument's minimal important change (the core's ``important_change``).

What is left out (HIPAA Safe Harbor in spirit): names, contact details, dates (only days from the
start of the episode), record ids (patients and episodes get keyed hashes that cannot be turned
back into ids without the site's secret key), exact ages (five-year bands, 90 and over
together). Small clinics should still check before sharing: rare conditions in a small town can
identify a person.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from weizhong.clinic.models import Clinic, Outcome, Plan
from weizhong.reasoning.instruments import InstrumentError, important_change

COLUMNS = [
    "episode", "patient", "age_band", "sex", "leading_condition", "red_flag", "plan_version",
    "visits", "days", "instrument", "baseline", "final", "change", "important_improvement",
    "important_worsening",
]  # fmt: skip


def pseudonym(kind: str, pk: int) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"weizhong-research:{kind}:{pk}".encode(), hashlib.sha256).hexdigest()[:16]


def age_band(age: int) -> str:
    if age >= 90:
        return "90+"
    low = age // 5 * 5
    return f"{low}-{low + 4}"


def outcome_rows(clinic: Clinic) -> list[dict[str, Any]]:
    plans = list(
        Plan.objects.filter(patient__clinic=clinic)
        .select_related("patient", "exam")
        .annotate(n_visits=Count("visits", filter=Q(visits__voided_at__isnull=True)))
        .only(
            "id",
            "version",
            "created",
            "patient__id",
            "patient__birth_date",
            "patient__sex",
            "exam__top_condition",
            "exam__red_flags",
        )
        .order_by("patient_id", "version")
    )
    scores: dict[int, list[tuple[Any, str, float]]] = defaultdict(list)
    for patient_id, taken, instrument, score in (
        Outcome.objects.filter(patient__clinic=clinic, score__isnull=False)
        .order_by("taken")
        .values_list("patient_id", "taken", "instrument", "score")
    ):
        scores[patient_id].append((taken, instrument, score))
    by_patient: dict[int, list[Plan]] = defaultdict(list)
    for plan in plans:
        by_patient[plan.patient_id].append(plan)
    rows = []
    now = timezone.now()
    for patient_id, episodes in by_patient.items():
        for n, plan in enumerate(episodes):
            end = episodes[n + 1].created if n + 1 < len(episodes) else now
            rows.extend(_episode_rows(plan, end, scores.get(patient_id, [])))
    return rows


def _episode_rows(
    plan: Plan, end: Any, scores: list[tuple[Any, str, float]]
) -> list[dict[str, Any]]:
    patient = plan.patient
    base = {
        "episode": pseudonym("episode", plan.pk),
        "patient": pseudonym("patient", patient.pk),
        "age_band": age_band(patient.age_on(plan.created.date())),
        "sex": patient.sex,
        "leading_condition": plan.exam.top_condition,
        "red_flag": bool(plan.exam.red_flags),
        "plan_version": plan.version,
        "visits": plan.n_visits,  # type: ignore[attr-defined]
        "days": (end - plan.created).days,
    }
    rows = []
    for instrument in sorted({i for _t, i, _s in scores}):
        mine = [(t, s) for t, i, s in scores if i == instrument and t < end]
        before = [s for t, s in mine if t <= plan.created]
        after = [s for t, s in mine if t > plan.created]
        if not before and not after:
            continue
        baseline = before[-1] if before else after[0]
        final = after[-1] if after else baseline
        row = {**base, "instrument": instrument, "baseline": baseline, "final": final,
               "change": round(final - baseline, 2), "important_improvement": "",
               "important_worsening": ""}  # fmt: skip
        try:
            change = important_change(instrument, baseline, final)
        except InstrumentError:
            pass  # no MCID stored for this instrument (STarT Back, FABQ): left blank
        else:
            row["important_improvement"] = change["important_improvement"]
            row["important_worsening"] = change["important_worsening"]
        rows.append(row)
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
