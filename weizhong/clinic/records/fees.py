"""The clinic's fee schedule as read by the pages, the API and the superbill: the CPT codes the
billing rules can produce (``billing.toml``, never listed again here) with the clinic's fee for
one unit of each, in whole US cents. weizhong ships no price: a code without a fee has none."""

from __future__ import annotations

from dataclasses import dataclass

from weizhong.clinic.models import Clinic, Fee
from weizhong.numbers import money, money_plain

__all__ = ["FeeRow", "fee_rows", "fee_schedule", "schedule_codes"]


@dataclass(frozen=True)
class FeeRow:
    cpt: str
    description: str
    cents: int | None  # None: no fee set

    @property
    def shown(self) -> str:
        """The fee as a bill shows it ("$85.00"), empty when none is set."""
        return "" if self.cents is None else money(self.cents)

    @property
    def typed(self) -> str:
        """The fee as it goes back into the form ("85.00"), empty when none is set."""
        return "" if self.cents is None else money_plain(self.cents)


def schedule_codes() -> list[tuple[str, str]]:
    """Every CPT code of the billing rules with its description, in the rules' order."""
    from weizhong.billing import billable_codes, billing_rules  # the rules load on first use

    return billable_codes(billing_rules())


def fee_schedule(clinic: Clinic) -> dict[str, int]:
    """The clinic's fees, code → cents for one unit (only the codes that have one)."""
    known = dict(schedule_codes())
    return {
        cpt: cents
        for cpt, cents in Fee.objects.filter(clinic=clinic).values_list("cpt", "cents")
        if cpt in known  # a code dropped from the rules since is not billed any more
    }


def fee_rows(clinic: Clinic) -> list[FeeRow]:
    """One row per billable code, with the clinic's fee or None."""
    fees = fee_schedule(clinic)
    return [FeeRow(cpt, description, fees.get(cpt)) for cpt, description in schedule_codes()]
