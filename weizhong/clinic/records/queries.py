"""Reads shared by the pages and the API, so both answer the same question the same way."""

from __future__ import annotations

from django.db.models import Q, QuerySet

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
