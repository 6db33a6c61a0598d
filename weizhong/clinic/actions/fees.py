"""The clinic's fee schedule: one action sets it, for the page, the API and anything else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from weizhong.clinic.actions.audited import audited
from weizhong.clinic.models import Clinic, Fee
from weizhong.clinic.records.fees import fee_schedule, schedule_codes
from weizhong.clinic.records.rules import Refused, fee_cents
from weizhong.numbers import money

__all__ = ["FeeChange", "FeesRefused", "do_set_fees"]


class FeesRefused(Refused):
    """Some fees cannot be taken: ``problems`` names each code and why (nothing is saved)."""

    def __init__(self, problems: list[Refused]) -> None:
        self.problems = tuple(problems)
        super().__init__(problems[0].field, " ".join(p.message for p in problems))


@dataclass(frozen=True)
class FeeChange:
    """The schedule after the change, and what changed: code → new cents (None: no fee now)."""

    fees: dict[str, int]
    changed: dict[str, int | None] = field(default_factory=dict)

    def describe(self) -> str:
        """The change in words for the audit trail ("97810 $85.00, 97140 no fee")."""
        if not self.changed:
            return "fees unchanged"
        return "fees " + ", ".join(
            f"{cpt} {'no fee' if cents is None else money(cents)}"
            for cpt, cents in self.changed.items()
        )


@audited
def do_set_fees(*, clinic: Clinic, fees: Mapping[str, str | None], by: Any = None) -> FeeChange:
    """Replace the clinic's fee schedule. ``fees`` maps each CPT code of the billing rules to
    its fee for one unit as typed ("85", "$85.50"); a code left out or empty has no fee. Every
    problem is refused at once (``FeesRefused``, each naming its code), and then nothing is
    saved."""
    codes = [cpt for cpt, _description in schedule_codes()]
    problems: list[Refused] = []
    unknown = [str(cpt) for cpt in fees if cpt not in codes]
    for cpt in unknown:
        problems.append(
            Refused(
                cpt[:20],
                _("%(code)s: not a CPT code weizhong bills; the codes are %(codes)s.")
                % {"code": cpt[:20], "codes": ", ".join(codes)},
            )
        )
    wanted: dict[str, int] = {}
    for cpt in codes:
        try:
            cents = fee_cents(cpt, fees.get(cpt))
        except Refused as refused:
            problems.append(refused)
            continue
        if cents is not None:
            wanted[cpt] = cents
    if problems:
        raise FeesRefused(problems)
    with transaction.atomic():
        before = fee_schedule(clinic)
        changed = {cpt: wanted.get(cpt) for cpt in codes if wanted.get(cpt) != before.get(cpt)}
        gone = [cpt for cpt, cents in changed.items() if cents is None]
        if gone:
            Fee.objects.filter(clinic=clinic, cpt__in=gone).delete()
        for cpt, cents in changed.items():
            if cents is not None:
                Fee.objects.update_or_create(clinic=clinic, cpt=cpt, defaults={"cents": cents})
    return FeeChange(fees=wanted, changed=changed)
