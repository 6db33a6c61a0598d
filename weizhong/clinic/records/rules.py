"""Rules for what the clinic accepts, shared by the pages' forms, the API and the actions, so
that the same input is accepted or refused everywhere with the same words (issue 12: the API
stored an amendment the page refused).

Each rule takes the raw value and returns the cleaned one, or raises ``Refused`` naming the
field and saying what to do. Nothing here reads or writes the database.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from weizhong.numbers import money

AMENDMENT_MIN = 5  # characters, after surrounding blanks are removed
AMENDMENT_MAX = 20_000


class Refused(ValueError):
    """An input the clinic does not accept: ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


def amendment_text(text: str) -> str:
    """An amendment says what is corrected and why: at least a few characters of words."""
    cleaned = text.strip()
    if len(cleaned) < AMENDMENT_MIN:
        raise Refused("text", _("Write what is corrected and why."))
    if len(cleaned) > AMENDMENT_MAX:
        raise Refused(
            "text", _("An amendment has at most %(n)s characters.") % {"n": f"{AMENDMENT_MAX:,}"}
        )
    return cleaned


ACTIVITY_MAX = 80  # characters of one PSFS activity


def psfs_activities(answers: list[int | float | None], activities: list[str]) -> list[str]:
    """PSFS: each rated activity named in the patient's own words (one name per rating, none
    without a rating); returns the names trimmed."""
    names = [a.strip() for a in activities]
    while names and not names[-1]:
        names.pop()
    rated = len(answers)
    if len(names) > rated:
        raise Refused(
            "activities",
            _("%(n)s activities are named but %(m)s are rated: rate each activity or remove it.")
            % {"n": len(names), "m": rated},
        )
    missing = [str(n) for n in range(1, rated + 1) if n > len(names) or not names[n - 1]]
    if missing:
        raise Refused(
            "activities",
            _("Name activity %(n)s in the patient's own words (what it is hard to do).")
            % {"n": ", ".join(missing)},
        )
    long = [str(n) for n, a in enumerate(names, 1) if len(a) > ACTIVITY_MAX]
    if long:
        raise Refused(
            "activities",
            _("Activity %(n)s is longer than %(max)s characters.")
            % {"n": ", ".join(long), "max": ACTIVITY_MAX},
        )
    return names


MAX_FEE_CENTS = 10_000_000  # $100,000.00 for one unit (weizhong.billing.MAX_FEE_CENTS)
_AMOUNT = re.compile(r"(-?)\$?(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.([0-9]*))?", re.ASCII)


def fee_cents(code: str, text: str | None) -> int | None:
    """One unit's fee for CPT ``code`` as typed ("85", "85.5", "85.50", "$85.50", "1,250"), in
    whole cents; None when left empty (no fee for that code). Integer arithmetic only: the
    amount is never a float. Refused (naming the code) when negative, with more than two
    decimals, over $100,000.00, or not an amount at all."""
    typed = (text or "").strip()
    if not typed:
        return None
    found = _AMOUNT.fullmatch(typed.replace(" ", ""))
    if found is None or not (found[3] or found[4]):
        raise Refused(
            code,
            _(
                "%(code)s: “%(typed)s” is not an amount of money. Write dollars and cents, "
                "like 85 or 85.50, or leave it empty for no fee."
            )
            % {"code": code, "typed": typed[:40]},
        )
    if found[1] or found[2]:
        raise Refused(code, _("%(code)s: a fee cannot be negative.") % {"code": code})
    cents_part = found[4] or ""
    if len(cents_part) > 2:
        raise Refused(
            code,
            _("%(code)s: give at most two decimals (cents), like 85.50.") % {"code": code},
        )
    cents = int(found[3].replace(",", "") or "0") * 100 + int(cents_part.ljust(2, "0"))
    if cents > MAX_FEE_CENTS:
        raise Refused(
            code,
            _("%(code)s: a fee is at most %(max)s for one unit.")
            % {"code": code, "max": money(MAX_FEE_CENTS)},
        )
    return cents
