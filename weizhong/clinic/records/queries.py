"""Reads shared by the pages and the API, so both answer the same question the same way."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.db.models.lookups import Contains

from weizhong.clinic.models import Clinic, Patient


def find_patients(clinic: Clinic, q: str) -> QuerySet[Patient]:
    """The clinic's patients whose name, phone or e-mail contains every word of ``q``."""
    found = Patient.objects.filter(clinic=clinic)
    for word in q.split():
        found = found.filter(
            Q(family_name__icontains=word)
            | Q(given_name__icontains=word)
            | Q(phone__icontains=word)
            | Q(email__icontains=word)
        )
    return found


# A date of birth typed into the search: 1991-04-23, 23/04/1991, 23.4.1991 or 23-4-1991.
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
SEARCH_LIMIT = 8  # results as you type: enough to pick from, few enough to read


def _as_date(word: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(word, fmt).date()
        except ValueError:
            continue
    return None


def care_team_filter(user: Any) -> Q:
    """The care-team rule of ``access.in_care_team`` as a filter: the patient's primary
    clinician, anyone when there is none, and whoever has examined, planned for or treated the
    patient."""
    from weizhong.clinic.models import Exam, Plan, Visit

    def by(model: Any, field: str) -> Exists:
        return Exists(model.objects.filter(patient=OuterRef("pk"), **{field: user.pk}))

    return (
        Q(primary_clinician__isnull=True)
        | Q(primary_clinician=user.pk)
        | Q(by(Exam, "clinician"))
        | Q(by(Visit, "clinician"))
        | Q(by(Plan, "created_by"))
    )


def search_patients(clinic: Clinic, q: str, *, care_of: Any = None) -> QuerySet[Patient]:
    """The header's patient search: every word of ``q`` matches a name (its start, or any part
    from the third letter typed), a date of birth (a whole date) or a phone number (its digits,
    whatever the spaces and dashes). ``care_of``: only the patients in this clinician's care
    team. Ordered by name."""
    found = Patient.objects.filter(clinic=clinic)
    if care_of is not None:
        found = found.filter(care_team_filter(care_of))
    digits_only: Any = F("phone")
    for mark in (" ", "-", "(", ")", "."):
        digits_only = Replace(digits_only, Value(mark), Value(""))
    for word in q.split()[:6]:
        born = _as_date(word)
        if born is not None:
            found = found.filter(birth_date=born)
            continue
        digits = re.sub(r"[\s().+-]", "", word)
        if digits.isdigit() and len(digits) >= 3:
            found = found.filter(Contains(digits_only, Value(digits)))
            continue
        if len(word) < 3:
            found = found.filter(Q(family_name__istartswith=word) | Q(given_name__istartswith=word))
        else:
            found = found.filter(Q(family_name__icontains=word) | Q(given_name__icontains=word))
    return found.order_by("family_name", "given_name", "pk")
