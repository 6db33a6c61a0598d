"""Charges on a superbill from the clinic's fee schedule.

weizhong ships no price: each clinic sets its own fee for one unit of each CPT code its
billing rules can produce (:func:`billable_codes`, read from ``billing.toml``). The clinic app
reads its schedule and passes it here as a plain mapping, CPT code → whole cents; money is never
a float. A line's charge is its units × the unit fee; the bill's total is the sum of the charges
that are known, and a line without a fee is named in a warning, never priced silently at zero.
"""

from __future__ import annotations

from collections.abc import Mapping

from weizhong.billing.model import MAX_FEE_CENTS, BillingProblem, Line, Notice
from weizhong.billing.rules import BillingRules

__all__ = ["FEE_NOTICE_ID", "apply_fees", "billable_codes", "fee_problems"]

FEE_NOTICE_ID = "fee-missing"


def billable_codes(rules: BillingRules) -> list[tuple[str, str]]:
    """Every CPT code the rules can put on a superbill, with its description, in the order of
    ``billing.toml``."""
    return [(cpt, procedure.description) for cpt, procedure in rules.procedures.items()]


def fee_problems(fees: Mapping[str, int], rules: BillingRules) -> list[BillingProblem]:
    """What is wrong with a fee schedule handed to the core: unknown codes, and amounts that
    are not whole cents from 0 to ``MAX_FEE_CENTS``."""
    problems = []
    for cpt, cents in fees.items():
        if cpt not in rules.procedures:
            problems.append(
                BillingProblem(f"fees.{cpt}", "is not a CPT code these billing rules produce")
            )
        elif isinstance(cents, bool) or not isinstance(cents, int):
            problems.append(
                BillingProblem(f"fees.{cpt}", f"must be whole cents (an integer), got {cents!r}")
            )
        elif not 0 <= cents <= MAX_FEE_CENTS:
            problems.append(
                BillingProblem(f"fees.{cpt}", f"must be 0 to {MAX_FEE_CENTS} cents, got {cents}")
            )
    return problems


def apply_fees(lines: list[Line], fees: Mapping[str, int]) -> tuple[int | None, list[Notice]]:
    """Set each line's ``unit_fee`` and ``charge`` from ``fees`` (code → cents). Returns the
    total of the known charges (None when no line has one) and a warning naming the codes
    that have no fee."""
    missing: list[str] = []
    total: int | None = None
    for line in lines:
        unit_fee = fees.get(line["cpt"])
        line["unit_fee"] = unit_fee
        if unit_fee is None:
            line["charge"] = None
            if line["cpt"] not in missing:
                missing.append(line["cpt"])
            continue
        charge = line["units"] * unit_fee
        line["charge"] = charge
        total = (total or 0) + charge
    if not missing:
        return total, []
    codes = ", ".join(missing)
    where = "set it in Settings → Fees" if len(missing) == 1 else "set them in Settings → Fees"
    message = (
        f"No fee is set for {codes}: {where}. "
        + ("The total leaves it out." if total is not None and len(missing) == 1 else "")
        + ("The total leaves them out." if total is not None and len(missing) > 1 else "")
    ).strip()
    return total, [
        {
            "id": FEE_NOTICE_ID,
            "message": message,
            "source": "the clinic's fee schedule (Settings → Fees)",
        }
    ]
