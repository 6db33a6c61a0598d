"""Chiropractic manipulative treatment: 98940–98942 by the number of spinal regions, 98943 for
any extraspinal region, and the distinct-region modifier on therapy codes billed the same day."""

from __future__ import annotations

from weizhong.billing.model import Line, Notice, VisitFacts
from weizhong.billing.rules import BillingRules

__all__ = ["CMT_CODES", "cmt_lines", "mark_distinct_regions"]

CMT_CODES = ("98940", "98941", "98942", "98943")


def _names(regions: list[str]) -> str:
    return ", ".join(r.replace("_", " ") for r in regions)


def cmt_lines(visit: VisitFacts, rules: BillingRules) -> tuple[list[Line], list[Notice]]:
    notices: list[Notice] = []
    recorded = list(dict.fromkeys(r.strip().lower() for r in visit.regions_adjusted if r.strip()))
    spinal = [r for r in rules.spinal_regions if r in recorded]
    extraspinal = [r for r in rules.extraspinal_regions if r in recorded]
    unknown = [r for r in recorded if r not in spinal and r not in extraspinal]
    if unknown:
        notices.append(
            {
                "id": "cmt-unknown-region",
                "message": f"Region{'s' if len(unknown) > 1 else ''} adjusted not counted "
                f"({', '.join(unknown)}): CMT regions are {_names(list(rules.spinal_regions))} "
                f"(spinal) and {_names(list(rules.extraspinal_regions))} (extraspinal)."
                + ("" if spinal or extraspinal else " No manipulation code can be billed."),
                "source": rules.cmt_source,
            }
        )
    repeated = len(visit.regions_adjusted) - len(recorded)
    once = " (a region listed twice counts once)" if repeated else ""
    lines: list[Line] = []
    if spinal:
        code = rules.cmt_code(len(spinal))
        if code is None:  # only if billing.toml's bands leave a gap
            notices.append(
                {
                    "id": "cmt-no-band",
                    "message": f"{len(spinal)} spinal regions match no CMT code in billing.toml.",
                    "source": rules.cmt_source,
                }
            )
        else:
            band = next(b for b in rules.cmt_bands if b.cpt == code)
            span = (
                f"{band.min_regions}"
                if band.min_regions == band.max_regions
                else f"{band.min_regions}–{band.max_regions}"
            )
            lines.append(
                rules.line(
                    code,
                    units=1,
                    minutes=0,
                    why=f"Spinal regions manipulated: {_names(spinal)} ({len(spinal)}){once} "
                    f"→ {code} ({span} regions); one code for all spinal regions, not per region.",
                )
            )
    if extraspinal:
        code = rules.extraspinal_code
        lines.append(
            rules.line(
                code,
                units=1,
                minutes=0,
                why=f"Extraspinal regions manipulated: {_names(extraspinal)} "
                f"({len(extraspinal)}){once} → {code}, one unit for any number of extraspinal "
                "regions.",
            )
        )
    return lines, notices


def mark_distinct_regions(lines: list[Line], rules: BillingRules) -> list[Notice]:
    """With manipulation the same day, the therapy codes NCCI bundles with CMT get the
    distinct-region modifier and a warning asking the clinician to confirm another region."""
    cmt = [line["cpt"] for line in lines if line["cpt"] in CMT_CODES]
    if not cmt:
        return []
    notices: list[Notice] = []
    modifier = rules.distinct_region_modifier
    for line in lines:
        if line["cpt"] in rules.bundled_with_cmt:
            if modifier not in line["modifiers"]:
                line["modifiers"].append(modifier)
            notices.append(
                {
                    "id": "cmt-distinct-region",
                    "message": f"{line['cpt']} is billed with manipulation ({', '.join(cmt)}) "
                    "the same day: payers pay it only for a different region from the one "
                    f"manipulated. Modifier {modifier} added; confirm the note names the other "
                    "region (some payers want XS instead).",
                    "source": rules.bundling_source,
                }
            )
    return notices
