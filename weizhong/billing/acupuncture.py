"""Acupuncture codes 97810/97811 (no stimulation) and 97813/97814 (electrical stimulation).

Only personal one-on-one contact counts, never needle retention. Contact time is cut into
15-minute increments; a partial increment counts once it passes the midpoint (8 minutes), the
rounding the American Acupuncture Council applies (our choice; see billing.toml). The first
increment is the initial code, once a day. Each further increment is an add-on only if needles
were re-inserted in it; an increment without a re-insertion cannot be billed as an add-on.
Stimulation is decided increment by increment: with only the visit's flag, it applies to all.
"""

from __future__ import annotations

from collections import Counter

from weizhong.billing.model import Increment, Line, Notice, VisitFacts
from weizhong.billing.rules import BillingRules

__all__ = ["INITIAL_CODES", "acupuncture_lines", "supported_increments"]

INITIAL_CODES = ("97810", "97813")


def supported_increments(minutes: int, rules: BillingRules) -> int:
    """How many 15-minute increments the contact time supports (8–22 min = 1, 23–37 = 2 …)."""
    if minutes < rules.acu_minimum_minutes:
        return 0
    step = rules.acu_increment_minutes
    return (minutes + step - rules.acu_minimum_minutes) // step


def _increment_minutes(minutes: int, count: int, step: int) -> list[int]:
    """Minutes in each increment: full ones, the last taking the rest."""
    return [step] * (count - 1) + [minutes - step * (count - 1)]


def _code(increment: Increment, initial: bool) -> str:
    if initial:
        return "97813" if increment.electro else "97810"
    return "97814" if increment.electro else "97811"


def acupuncture_lines(visit: VisitFacts, rules: BillingRules) -> tuple[list[Line], list[Notice]]:
    minutes = visit.acupuncture_minutes
    notices: list[Notice] = []
    if minutes == 0:
        if visit.points_needled or visit.electro or visit.reinsertions:
            recorded = (
                f"{visit.points_needled} point{'s' if visit.points_needled != 1 else ''} needled"
                if visit.points_needled
                else "acupuncture recorded"
            )
            notices.append(
                {
                    "id": "acu-retention-only",
                    "message": f"{recorded}, but no one-on-one contact time: needle retention "
                    "alone is not billable. Record the face-to-face minutes if there were any.",
                    "source": rules.acu_source,
                }
            )
        return [], notices
    count = supported_increments(minutes, rules)
    if count == 0:
        notices.append(
            {
                "id": "acu-under-threshold",
                "message": f"Acupuncture contact {minutes} min: under {rules.acu_minimum_minutes}"
                " minutes, so it cannot support the initial acupuncture code.",
                "source": rules.acu_rounding_source,
            }
        )
        return [], notices

    step = rules.acu_increment_minutes
    rounding = (
        f"Contact {minutes} min → {count} increment{'s' if count > 1 else ''} of 15 min "
        f"(a part-increment counts from {rules.acu_minimum_minutes} min)."
    )
    detail = visit.acupuncture_increments or None
    if detail is None:
        extra = count - 1
        increments = [Increment(visit.electro, False)] + [
            Increment(visit.electro, i < visit.reinsertions) for i in range(extra)
        ]
        stim_note = (
            "Electrical stimulation recorded for the visit, applied to every increment."
            if visit.electro
            else "No electrical stimulation recorded."
        )
        if visit.reinsertions > extra:
            notices.append(
                {
                    "id": "acu-extra-reinsertions",
                    "message": f"{visit.reinsertions} re-insertion"
                    f"{'s' if visit.reinsertions != 1 else ''} recorded, but {minutes} min of "
                    f"contact supports only {extra} additional increment"
                    f"{'s' if extra != 1 else ''}: re-inserting needles does not add billable "
                    "time.",
                    "source": rules.acu_source,
                }
            )
    else:
        increments = list(detail[:count])
        stim_note = "Stimulation and re-insertion taken increment by increment from the record."
        if len(detail) != count:
            notices.append(
                {
                    "id": "acu-increments-mismatch",
                    "message": f"{len(detail)} acupuncture increment"
                    f"{'s' if len(detail) != 1 else ''} described, but {minutes} min of contact "
                    f"supports {count}: billed for {min(len(detail), count)}.",
                    "source": rules.acu_rounding_source,
                }
            )
        stimulated = any(i.electro for i in detail)
        reinserted = sum(i.reinsertion for i in detail[1:])
        if stimulated != visit.electro or reinserted != visit.reinsertions:
            notices.append(
                {
                    "id": "acu-detail-disagrees",
                    "message": "The increment detail (stimulation "
                    f"{'yes' if stimulated else 'no'}, {reinserted} re-insertions) differs from "
                    f"the visit fields (stimulation {'yes' if visit.electro else 'no'}, "
                    f"{visit.reinsertions} re-insertions): the detail was used; correct the "
                    "one that is wrong.",
                    "source": rules.acu_per_increment_source,
                }
            )

    spans = _increment_minutes(minutes, count, step)[: len(increments)]
    initial = _code(increments[0], True)
    lines: list[Line] = [
        rules.line(
            initial,
            units=1,
            minutes=spans[0],
            why=f"{rounding} Increment 1 is the initial code (once a day), "
            f"{'with' if increments[0].electro else 'without'} stimulation. {stim_note}",
        )
    ]
    addon_units: Counter[str] = Counter()
    addon_minutes: Counter[str] = Counter()
    addon_numbers: dict[str, list[int]] = {}
    unbilled: list[tuple[int, int]] = []
    for number, (increment, span) in enumerate(zip(increments[1:], spans[1:], strict=True), 2):
        if not increment.reinsertion:
            unbilled.append((number, span))
            continue
        code = _code(increment, False)
        addon_units[code] += 1
        addon_minutes[code] += span
        addon_numbers.setdefault(code, []).append(number)
    for code in ("97811", "97814"):
        if not addon_units[code]:
            continue
        numbers = ", ".join(str(n) for n in addon_numbers[code])
        lines.append(
            rules.line(
                code,
                units=addon_units[code],
                minutes=addon_minutes[code],
                why=f"{rounding} Increment{'s' if addon_units[code] > 1 else ''} {numbers}: "
                f"each with needles re-inserted, "
                f"{'with' if code == '97814' else 'without'} stimulation → one add-on unit each.",
            )
        )
    if unbilled:
        numbers = ", ".join(str(n) for n, _ in unbilled)
        total = sum(span for _, span in unbilled)
        notices.append(
            {
                "id": "acu-no-reinsertion",
                "message": f"Acupuncture increment{'s' if len(unbilled) > 1 else ''} {numbers} "
                f"({total} min) had no re-insertion of needles: that time cannot be billed as an "
                "add-on (97811/97814 need a re-insertion in each further 15 minutes).",
                "source": rules.acu_source,
            }
        )
    return lines, notices
