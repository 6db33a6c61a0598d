"""Visits planned and kept on a plan (issue 15): the appointments booked since the active plan was
saved whose time has come, and how many of them were cancelled or missed ("did not come"). They
count in adherence (the chart and Today) and in the re-evaluation reasoning: no improvement
after a round of care means something else when a third of the visits did not happen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from weizhong.clinic.models import Appointment

__all__ = ["MISSED", "Attendance", "attendance_for", "attendance_since"]

MISSED = ("cancelled", "no_show")


@dataclass(frozen=True)
class Attendance:
    planned: int  # appointments since the plan whose start has passed, whatever their status
    cancelled: int
    no_show: int

    @property
    def missed(self) -> int:
        return self.cancelled + self.no_show

    @property
    def kept(self) -> int:
        return self.planned - self.missed

    def words(self) -> str:
        """'3 of 8 planned visits were missed (2 cancelled, 1 did not come)', or '' when none
        was missed."""
        if not self.missed:
            return ""
        parts = []
        if self.cancelled:
            parts.append(_("%(n)s cancelled") % {"n": self.cancelled})
        if self.no_show:
            parts.append(_("%(n)s did not come") % {"n": self.no_show})
        return ngettext(
            "%(missed)s of %(planned)s planned visit was missed (%(how)s)",
            "%(missed)s of %(planned)s planned visits were missed (%(how)s)",
            self.planned,
        ) % {"missed": self.missed, "planned": self.planned, "how": ", ".join(parts)}


def _count(statuses: list[str]) -> Attendance:
    return Attendance(
        planned=len(statuses),
        cancelled=statuses.count("cancelled"),
        no_show=statuses.count("no_show"),
    )


def attendance_since(
    patient_id: int, since: dt.datetime, now: dt.datetime | None = None
) -> Attendance:
    """The patient's appointments from ``since`` (the plan's saving) to ``now``."""
    statuses = list(
        Appointment.objects.filter(
            patient_id=patient_id, start__gte=since, start__lte=now or timezone.now()
        ).values_list("status", flat=True)
    )
    return _count(statuses)


def attendance_for(
    since_by_patient: dict[int, dt.datetime], now: dt.datetime | None = None
) -> dict[int, Attendance]:
    """The same for several patients in one query (the dashboard's recent patients)."""
    if not since_by_patient:
        return {}
    rows = Appointment.objects.filter(
        patient_id__in=list(since_by_patient),
        start__gte=min(since_by_patient.values()),
        start__lte=now or timezone.now(),
    ).values_list("patient_id", "start", "status")
    statuses: dict[int, list[str]] = {pid: [] for pid in since_by_patient}
    for pid, start, status in rows:
        if start >= since_by_patient[pid]:
            statuses[pid].append(status)
    return {pid: _count(found) for pid, found in statuses.items()}
