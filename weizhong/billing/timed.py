"""Timed therapy codes (97110, 97112, 97140) under the CMS 8-minute rule.

The day's timed minutes are added up and turned into units (8–22 min = 1, 23–37 = 2, …). Each
service first gets one unit per full 15 minutes of its own; a unit left over goes to the service
with the most minutes remaining, and equal remainders leave the choice to the clinician (we take
the first in form order and say so). Acupuncture minutes are not in this pool: acupuncture codes
have their own increments (see acupuncture.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from weizhong.billing.model import Line, Notice
from weizhong.billing.rules import BillingRules

__all__ = ["TimedAllocation", "allocate", "timed_lines", "units_for_total"]


def units_for_total(total: int, rules: BillingRules) -> int:
    """Units for a day's total timed minutes: none under the minimum, then one more unit each
    time the total passes the midpoint of the next 15 minutes (8, 23, 38, …)."""
    if total < rules.minimum_minutes:
        return 0
    return (total + rules.unit_minutes - rules.minimum_minutes) // rules.unit_minutes


@dataclass(frozen=True)
class TimedAllocation:
    total: int
    units: int
    by_code: dict[str, int]
    full: dict[str, int]  # units from each service's own full 15 minutes
    leftover: dict[str, int]  # minutes beyond those full units
    extra_to: tuple[str, ...]  # services given a leftover unit, in order
    tied: tuple[str, ...]  # services tied for the last leftover unit (the clinician may choose)


def allocate(minutes: dict[str, int], rules: BillingRules) -> TimedAllocation:
    """Units per code for the minutes given (in form order), per CMS 100-04 ch. 5 §20.2."""
    total = sum(minutes.values())
    units = units_for_total(total, rules)
    full = {code: m // rules.unit_minutes for code, m in minutes.items()}
    leftover = {code: m % rules.unit_minutes for code, m in minutes.items()}
    by_code = dict(full)
    remaining = units - sum(full.values())
    order = list(minutes)
    candidates = sorted(
        (code for code in order if leftover[code] > 0),
        key=lambda code: (-leftover[code], order.index(code)),
    )
    extra_to = tuple(candidates[:remaining])
    for code in extra_to:
        by_code[code] += 1
    tied: tuple[str, ...] = ()
    if 0 < remaining < len(candidates):
        cut = leftover[candidates[remaining - 1]]
        if leftover[candidates[remaining]] == cut:
            tied = tuple(code for code in candidates if leftover[code] == cut)
    return TimedAllocation(total, units, by_code, full, leftover, extra_to, tied)


def timed_lines(minutes: dict[str, int], rules: BillingRules) -> tuple[list[Line], list[Notice]]:
    """Lines for the timed codes, and warnings for minutes that cannot become units."""
    minutes = {code: m for code, m in minutes.items() if m > 0}
    if not minutes:
        return [], []
    done = allocate(minutes, rules)
    listing = " + ".join(f"{code} {m}" for code, m in minutes.items())
    if done.units == 0:
        return [], [
            {
                "id": "timed-under-8",
                "message": f"Timed therapy totals {done.total} min ({listing}): under "
                f"{rules.minimum_minutes} minutes, so no unit can be billed.",
                "source": rules.timed_source,
            }
        ]
    notices: list[Notice] = []
    low = (done.units - 1) * rules.unit_minutes + rules.minimum_minutes
    high = low + rules.unit_minutes - 1
    summary = (
        f"Timed minutes today: {listing} = {done.total} min → {done.units} "
        f"unit{'s' if done.units > 1 else ''} ({low}–{high} min)."
    )
    lines: list[Line] = []
    for code, m in minutes.items():
        units = done.by_code[code]
        if units == 0:
            notices.append(
                {
                    "id": "timed-minutes-unbilled",
                    "message": f"{code}: {m} min counted toward the day's total, but the units "
                    "went to services with more minutes, so no unit is billed for it.",
                    "source": rules.timed_source,
                }
            )
            continue
        parts = [summary]
        if done.full[code]:
            parts.append(
                f"{code}: {done.full[code]} full 15-min unit"
                f"{'s' if done.full[code] > 1 else ''} from its own {m} min"
                + (f", {done.leftover[code]} min left." if done.leftover[code] else ".")
            )
        if code in done.extra_to:
            parts.append(
                f"A leftover unit goes to the service with the most minutes remaining: {code} "
                f"({done.leftover[code]} min)."
            )
        lines.append(rules.line(code, units=units, minutes=m, why=" ".join(parts)))
    if done.tied:
        chosen = [code for code in done.tied if code in done.extra_to]
        notices.append(
            {
                "id": "timed-tie",
                "message": f"{', '.join(done.tied)} each had {done.leftover[done.tied[0]]} min "
                f"left for the last unit; CMS leaves the choice to the clinician. weizhong gave "
                f"it to {', '.join(chosen)} (first in form order): change it if another service "
                "was the main one.",
                "source": rules.timed_source,
            }
        )
    return lines, notices
