"""A course of care proposed from the plan (issue 15): the plan's visits per week and planned
visits become slots in the clinician's working hours, and the round ends with a re-evaluation.

Each week the visits fall on working days spread over the week (two a week on a Monday-to-Friday
week: Monday and Wednesday... as evenly as the days allow), each at the first free time of that
day that clashes with nothing (the same rules as a booking). A clinician without working hours
set is taken to work Monday to Friday, 09:00 to 17:00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from weizhong.clinic.models import Clinic, Patient, WorkingHours
from weizhong.clinic.records import scheduling

__all__ = ["DEFAULT_HOURS", "ProposedVisit", "propose_course"]

DEFAULT_HOURS = [(d, dt.time(9), dt.time(17)) for d in range(5)]
STEP = dt.timedelta(minutes=15)
MAX_WEEKS = 26


@dataclass(frozen=True)
class ProposedVisit:
    start: dt.datetime  # aware, in the clinic's zone
    kind: str  # "follow_up" or "reevaluation"


def _spread(days: list[int], per_week: int) -> list[int]:
    """``per_week`` of the working ``days``, as evenly spaced as they allow."""
    if per_week >= len(days):
        return days
    return sorted({days[(i * len(days)) // per_week] for i in range(per_week)})


def _first_free(
    clinic: Clinic, patient: Patient, clinician: Any, zone: ZoneInfo, day: dt.date,
    stretches: list[tuple[dt.time, dt.time]], minutes: int, after: dt.datetime,
) -> dt.datetime | None:  # fmt: skip
    length = dt.timedelta(minutes=minutes)
    for starts, ends in stretches:
        slot = dt.datetime.combine(day, starts, tzinfo=zone)
        closing = dt.datetime.combine(day, ends, tzinfo=zone)
        while slot + length <= closing:
            if slot > after and (
                scheduling.clash(
                    clinic=clinic,
                    patient_id=patient.pk,
                    clinician=clinician,
                    room_id=None,
                    start=slot.astimezone(dt.UTC),
                    end=(slot + length).astimezone(dt.UTC),
                )
                is None
            ):
                return slot
            slot += STEP
    return None


def propose_course(
    *, clinic: Clinic, patient: Patient, clinician: Any, visits_per_week: int,
    planned_visits: int, first_day: dt.date, minutes: int = 30, now: dt.datetime | None = None,
) -> list[ProposedVisit]:  # fmt: skip
    """``planned_visits`` follow-ups, ``visits_per_week`` a week from ``first_day``, then one
    re-evaluation on the next visit day: fewer when the clinician's diary is full for 26 weeks."""
    zone = scheduling.clinic_zone(clinic)
    hours = [
        (h.weekday, h.starts, h.ends) for h in WorkingHours.objects.filter(user=clinician)
    ] or DEFAULT_HOURS
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, starts, ends in sorted(hours):
        by_day.setdefault(weekday, []).append((starts, ends))
    chosen = _spread(sorted(by_day), visits_per_week)
    after = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    proposed: list[ProposedVisit] = []
    monday = first_day - dt.timedelta(days=first_day.weekday())
    for week in range(MAX_WEEKS):
        for weekday in chosen:
            day = monday + dt.timedelta(days=7 * week + weekday)
            if day < first_day:
                continue
            slot = _first_free(
                clinic, patient, clinician, zone, day, by_day[weekday], minutes, after
            )
            if slot is None:
                continue
            kind = "reevaluation" if len(proposed) == planned_visits else "follow_up"
            proposed.append(ProposedVisit(slot, kind))
            if kind == "reevaluation":
                return proposed
    return proposed
