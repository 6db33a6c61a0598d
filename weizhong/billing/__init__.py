"""Superbills: from what a visit recorded to CPT lines with units, ICD-10-CM diagnoses with
pointers, and warnings a payer would raise, as plain dicts. Django-free: the clinic app and the
JSON API call :func:`superbill` and render with :mod:`weizhong.billing.render`.

The numbers and code tables are in ``knowledge/data/billing.toml``, each with its source. No
price ships: the caller passes the clinic's own fee schedule (code → cents, ``fees.py``).
"""

from weizhong.billing.fees import billable_codes
from weizhong.billing.model import (
    CURRENCY,
    FORMAT,
    MAX_FEE_CENTS,
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
    "CURRENCY",
    "FORMAT",
    "MAX_FEE_CENTS",
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
    "billable_codes",
    "billing_rules",
    "npi_is_valid",
    "suggest_diagnoses",
    "superbill",
    "superbill_csv",
    "superbill_html",
    "superbill_pdf",
]
