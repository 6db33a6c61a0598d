"""Medicare checks: NCD 30.3.3 for acupuncture (chronic low back pain) and the chiropractic
benefit. They only warn: whether Medicare pays is decided by the claim, not by this module."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from weizhong.billing.chiropractic import CMT_CODES
from weizhong.billing.model import DiagnosisRow, Line, Notice, PatientFacts, Provider, VisitFacts
from weizhong.billing.rules import BillingRules

__all__ = ["AcupunctureCount", "acupuncture_notices", "cmt_notices", "count_visits"]


@dataclass(frozen=True)
class AcupunctureCount:
    """Where this visit falls among the patient's Medicare acupuncture visits."""

    in_window: int  # this visit's number in the 90 days ending today
    window_start: dt.date
    in_year: int  # its number in the current 20-visit year
    year_start: dt.date
    next_year: dt.date  # when a new 20-visit year may start


def _year_end(start: dt.date, full_months: int) -> dt.date:
    """The first day after ``full_months`` whole calendar months following the start's month."""
    index = start.year * 12 + start.month - 1 + full_months + 1
    return dt.date(index // 12, index % 12 + 1, 1)


def count_visits(day: dt.date, prior: Iterable[dt.date], rules: BillingRules) -> AcupunctureCount:
    """Count this visit among earlier ones (later or same-day dates are ignored).

    The window is the ``window_days`` days ending on this visit. The year is counted the way
    Medicare's claim edits are described: it starts with the first visit, and a new year begins
    once ``year_full_months`` full months have passed after that visit's month (first visit
    21 March → new year from 1 March next year).
    """
    earlier = sorted({d for d in prior if d < day})
    window_start = day - dt.timedelta(days=rules.window_days - 1)
    in_window = 1 + sum(1 for d in earlier if d >= window_start)
    dates = [*earlier, day]
    start = dates[0]
    end = _year_end(start, rules.year_full_months)
    for d in dates:
        if d >= end:
            start, end = d, _year_end(d, rules.year_full_months)
    in_year = sum(1 for d in dates if d >= start)
    return AcupunctureCount(in_window, window_start, in_year, start, end)


def _tokens(credentials: str) -> set[str]:
    """Credentials as comparable tokens: "L.Ac., PA-C" → {"LAC", "PAC"}."""
    plain = credentials.upper().replace(".", "").replace("-", "")
    return {t for t in re.split(r"[\s,/;]+", plain) if t}


def _provider_notice(provider: Provider, rules: BillingRules) -> Notice:
    held = _tokens(provider.credentials)
    who = f"{provider.name} ({provider.credentials or 'no credentials recorded'})"
    if held & _tokens(" ".join(rules.physician_credentials)):
        message = (
            f"Rendering provider {who} is a physician under the NCD: confirm the state's "
            "requirements for physicians practising acupuncture are met."
        )
    elif held & _tokens(" ".join(rules.midlevel_credentials)):
        message = (
            f"Rendering provider {who}: the NCD requires a master's or doctoral degree in "
            "acupuncture or Oriental medicine from an ACAOM-accredited school and a current, "
            "full, unrestricted state acupuncture licence. Confirm both are on file."
        )
    else:
        message = (
            f"Rendering provider {who} is not a physician, PA, NP or CNS: Medicare pays for "
            "acupuncture by other staff only as auxiliary personnel under the required "
            "supervision (42 CFR 410.26/410.27) of one who is, with an ACAOM-accredited master's "
            "or doctorate and a full state acupuncture licence. Confirm the supervision and bill "
            "as your Medicare contractor requires."
        )
    return {"id": "ncd-provider", "message": message, "source": rules.ncd_provider_source}


def acupuncture_notices(
    visit: VisitFacts,
    patient: PatientFacts,
    provider: Provider,
    prior: Iterable[dt.date],
    improving: bool | None,
    rules: BillingRules,
) -> tuple[list[Notice], AcupunctureCount, bool]:
    """NCD 30.3.3 warnings, the visit count, and whether the improvement modifier applies."""
    src = rules.ncd_source
    notices: list[Notice] = []

    def warn(ident: str, message: str, source: str = src) -> None:
        notices.append({"id": ident, "message": message, "source": source})

    weeks_needed = rules.chronic_days // 7
    if patient.onset_days is None:
        warn(
            "ncd-duration-unknown",
            f"Duration of the low back pain is not recorded: Medicare covers acupuncture only "
            f"for chronic low back pain lasting {weeks_needed} weeks or longer. Document the "
            "duration.",
        )
    elif patient.onset_days < rules.chronic_days:
        warn(
            "ncd-not-chronic",
            f"Low back pain for {patient.onset_days} days ({patient.onset_days // 7} weeks): "
            f"Medicare covers acupuncture only once it has lasted {weeks_needed} weeks "
            f"({rules.chronic_days} days) or longer.",
        )
    condition = patient.leading_condition
    if condition in rules.ncd_specific_conditions:
        warn(
            "ncd-not-nonspecific",
            f"Leading condition {condition.replace('_', ' ')}: the NCD covers nonspecific low "
            "back pain only; a nerve-root or stenosis diagnosis may not qualify. Confirm the "
            "treated condition is nonspecific chronic low back pain.",
        )
    elif condition in rules.ncd_not_back_pain_conditions:
        warn(
            "ncd-not-low-back-pain",
            f"Leading condition {condition.replace('_', ' ')}: Medicare covers acupuncture for "
            "chronic low back pain only. Confirm the needling treats the low back pain.",
        )
    if patient.red_flags:
        warn(
            "ncd-systemic-cause",
            f"Red flags are open ({', '.join(patient.red_flags)}): the NCD excludes back pain "
            "with an identifiable systemic cause (metastatic, inflammatory, infectious disease).",
        )
    if patient.lumbar_surgery_history:
        warn(
            "ncd-surgery",
            "Lumbar surgery in the history: the NCD excludes low back pain associated with "
            "surgery. Document why this pain is not.",
        )
    if patient.pregnant:
        warn(
            "ncd-pregnancy",
            "Pregnant: the NCD excludes low back pain associated with pregnancy.",
        )

    count = count_visits(visit.date, prior, rules)
    modifier = rules.improvement_modifier
    first = rules.visits_in_window
    cap = rules.visits_per_year
    beyond_first = count.in_window > first or count.in_year > first
    kx = bool(improving) and beyond_first and count.in_year <= cap
    window = (
        f"visit {count.in_window} in the {rules.window_days} days from "
        f"{count.window_start.isoformat()}"
    )
    year = (
        f"visit {count.in_year} in the Medicare acupuncture year that began "
        f"{count.year_start.isoformat()} (a new year from {count.next_year.isoformat()})"
    )
    if count.in_year > cap:
        warn(
            "ncd-over-yearly-limit",
            f"This is {year}: over the {cap}-visit yearly limit, so it is not covered.",
            rules.ncd_year_source,
        )
    elif beyond_first:
        where = window if count.in_window > first else year
        if improving:
            warn(
                "ncd-beyond-first-12",
                f"This is {where}: beyond the first {first}, covered only because improvement "
                f"is documented. Modifier {modifier} added; keep the measure of improvement in "
                f"the note (at most {rules.extra_visits_if_improving} such visits, {cap} a year).",
                rules.ncd_year_source,
            )
        else:
            warn(
                "ncd-beyond-first-12",
                f"This is {where}: beyond the first {first}. Medicare covers up to "
                f"{rules.extra_visits_if_improving} more only when improvement is documented, "
                "and none is recorded.",
                rules.ncd_year_source,
            )
    if improving is False:
        warn(
            "ncd-not-improving",
            "Not improving is recorded: the NCD says acupuncture must stop when the patient is "
            "not improving or is regressing.",
        )
    notices.append(_provider_notice(provider, rules))
    return notices, count, kx


def cmt_notices(
    lines: list[Line], rows: list[DiagnosisRow], provider: Provider, rules: BillingRules
) -> list[Notice]:
    """Medicare's chiropractic benefit: spinal CMT for a subluxation, with the AT modifier."""
    notices: list[Notice] = []
    cmt = [line["cpt"] for line in lines if line["cpt"] in CMT_CODES]
    if cmt:
        if rules.extraspinal_code in cmt:
            notices.append(
                {
                    "id": "medicare-cmt-extraspinal",
                    "message": f"Medicare does not cover {rules.extraspinal_code} (extraspinal "
                    f"manipulation); only {', '.join(rules.medicare_cmt_covered)}. The patient "
                    "may be asked to pay for it (an advance notice may be needed).",
                    "source": rules.cmt_medicare_source,
                }
            )
        codes = [row["code"] for row in rows]
        subluxations = [c for c in codes if c.startswith(rules.subluxation_prefix)]
        if not subluxations:
            notices.append(
                {
                    "id": "medicare-cmt-subluxation",
                    "message": "Medicare pays manipulation only for a subluxation: add the "
                    f"{rules.subluxation_prefix}- code (M99.01 cervical … M99.05 pelvic) for "
                    "each region manipulated, as the primary diagnosis.",
                    "source": rules.subluxation_source,
                }
            )
        elif not codes[0].startswith(rules.subluxation_prefix):
            notices.append(
                {
                    "id": "medicare-cmt-subluxation-not-primary",
                    "message": f"Medicare expects the subluxation ({', '.join(subluxations)}) as "
                    f"the primary diagnosis, with {codes[0]} as the secondary.",
                    "source": rules.subluxation_source,
                }
            )
        if any(c in rules.medicare_cmt_covered for c in cmt):
            notices.append(
                {
                    "id": "medicare-cmt-active-treatment",
                    "message": "Medicare pays manipulation only as active treatment, shown with "
                    "modifier AT; maintenance care without AT is denied. Add AT when the record "
                    "shows active, corrective care.",
                    "source": rules.cmt_medicare_source,
                }
            )
    if "DC" in _tokens(provider.credentials):
        other = [line["cpt"] for line in lines if line["cpt"] not in rules.medicare_cmt_covered]
        if other:
            notices.append(
                {
                    "id": "medicare-chiropractor-other-services",
                    "message": "Medicare pays a chiropractor only for spinal manipulation "
                    f"({', '.join(rules.medicare_cmt_covered)}): {', '.join(other)} "
                    "will not be covered when a chiropractor bills them.",
                    "source": rules.cmt_medicare_source,
                }
            )
    return notices
