"""Booking a course of care the front desk confirmed (issue 15): every proposed visit is
booked in one transaction, or none is (a clash with a booking made since the proposal names the
appointment it hits, and the desk asks for a new proposal)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.actions.scheduling import do_book_appointment
from weizhong.clinic.models import Appointment, Clinic, Patient
from weizhong.clinic.records.rules import Refused

__all__ = ["do_book_course"]

MAX_VISITS = 41  # the plan's 40 visits at most, and the re-evaluation


@audited
def do_book_course(
    *, clinic: Clinic, patient: Patient, clinician: Any,
    visits: Sequence[tuple[dt.datetime, str]], minutes: int, by: Any = None,
) -> list[Appointment]:  # fmt: skip
    if not visits:
        raise Refused("visits", "there is no visit to book")
    if len(visits) > MAX_VISITS:
        raise Refused("visits", f"at most {MAX_VISITS} visits at once")
    with transaction.atomic():
        return [
            do_book_appointment(
                clinic=clinic,
                patient=patient,
                clinician=clinician,
                start=start,
                minutes=minutes,
                kind=kind,
                by=by,
            )
            for start, kind in visits
        ]
