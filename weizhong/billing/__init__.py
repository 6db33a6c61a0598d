"""Superbills: from what a visit recorded to CPT lines with units, ICD-10-CM diagnoses with
pointers, and warnings a payer would raise, as plain dicts. Django-free: the clinic app and the
JSON API call :func:`superbill` and render with :mod:`weizhong.billing.render`.

The numbers and code tables are in ``knowledge/data/billing.toml``, each with its source. There
are no prices: the clinic's fee schedule is not known here.
"""

from weizhong.billing.model import (
    FORMAT,
    Bill,
    BillingError,
    BillingProblem,
    Increment,
    Line,
    Notice,
    PatientFacts,
    Payer,
    Provider,
    VisitFacts,
)
from weizhong.billing.render import superbill_csv, superbill_html, superbill_pdf
from weizhong.billing.rules import BillingRules, billing_rules
from weizhong.billing.superbill import npi_is_valid, suggest_diagnoses, superbill

__all__ = [
    "FORMAT",
    "Bill",
    "BillingError",
    "BillingProblem",
    "BillingRules",
    "Increment",
    "Line",
    "Notice",
    "PatientFacts",
    "Payer",
    "Provider",
    "VisitFacts",
    "billing_rules",
    "npi_is_valid",
    "suggest_diagnoses",
    "superbill",
    "superbill_csv",
    "superbill_html",
    "superbill_pdf",
]
