"""The superbill of one visit: diagnoses with pointers, CPT lines with units and the reason for
each count, and warnings, as a plain dict (format ``weizhong.superbill/1``).

Prices come from the caller: the clinic's fee schedule, passed in as a plain mapping (CPT code →
whole cents; ``fees.py``). Each line then carries its charge and the bill its total, and a line
whose code has no fee is named in a warning. Without a schedule (``fees=None``) the lines carry
no charge and nothing is said about fees. Lines the record cannot support are never dropped
silently: each gets a warning saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from weizhong.billing.acupuncture import INITIAL_CODES, acupuncture_lines
from weizhong.billing.chiropractic import CMT_CODES, cmt_lines, mark_distinct_regions
from weizhong.billing.diagnoses import check_diagnoses, suggestions
from weizhong.billing.fees import apply_fees, fee_problems
from weizhong.billing.medicare import acupuncture_notices, cmt_notices
from weizhong.billing.model import (
    CURRENCY,
    FORMAT,
    PAYER_KINDS,
    SIDES,
    Bill,
    BillingError,
    BillingProblem,
    DiagnosisRow,
    Line,
    PatientFacts,
    Payer,
    Provider,
    VisitFacts,
)
from weizhong.billing.rules import BillingRules, billing_rules
from weizhong.billing.timed import timed_lines

__all__ = ["npi_is_valid", "suggest_diagnoses", "superbill"]

ACUPUNCTURE_CODES = ("97810", "97811", "97813", "97814")
MAX_POINTERS_PER_LINE = 4  # the CMS-1500 line holds four diagnosis pointers


def npi_is_valid(npi: str) -> bool:
    """Ten digits whose last is the Luhn check digit over '80840' + the first nine (CMS NPI
    standard)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed("80840" + npi[:9])):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return (10 - total % 10) % 10 == int(npi[9])


def _input_problems(
    visit: VisitFacts, patient: PatientFacts, provider: Provider, payer: Payer
) -> list[BillingProblem]:
    problems = []
    if payer.kind not in PAYER_KINDS:
        problems.append(
            BillingProblem("payer.kind", f"'{payer.kind}' is not one of {', '.join(PAYER_KINDS)}")
        )
    for name in (
        "acupuncture_minutes",
        "reinsertions",
        "points_needled",
        "exercise_minutes",
        "neuromuscular_minutes",
        "manual_therapy_minutes",
    ):
        value = getattr(visit, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(
                BillingProblem(f"visit.{name}", f"must be a whole number ≥ 0, got {value!r}")
            )
    if patient.side is not None and patient.side not in SIDES:
        problems.append(
            BillingProblem("patient.side", f"'{patient.side}' is not one of {', '.join(SIDES)}")
        )
    if patient.onset_days is not None and patient.onset_days < 0:
        problems.append(BillingProblem("patient.onset_days", "cannot be negative"))
    if not patient.name.strip():
        problems.append(BillingProblem("patient.name", "is needed on a superbill"))
    if not provider.name.strip():
        problems.append(BillingProblem("provider.name", "is needed on a superbill"))
    if not npi_is_valid(provider.npi.strip()):
        problems.append(
            BillingProblem(
                "provider.npi",
                f"'{provider.npi}' is not a valid NPI (10 digits with a correct check digit)",
            )
        )
    return problems


def _pointers(line: Line, rows: list[DiagnosisRow], rules: BillingRules) -> list[str]:
    """Manipulation points to the subluxations first; other services to the first diagnosis
    that is not a subluxation (the condition treated). The clinician may edit them."""
    subluxations = [r["pointer"] for r in rows if r["code"].startswith(rules.subluxation_prefix)]
    others = [r["pointer"] for r in rows if not r["code"].startswith(rules.subluxation_prefix)]
    if line["cpt"] in CMT_CODES:
        return (subluxations + others)[:MAX_POINTERS_PER_LINE] or ["A"]
    return (others or subluxations)[:1] or ["A"]


def superbill(
    visit: VisitFacts,
    patient: PatientFacts,
    provider: Provider,
    payer: Payer,
    prior_acupuncture_dates: Sequence[dt.date] = (),
    improving: bool | None = None,
    *,
    fees: Mapping[str, int] | None = None,
    rules: BillingRules | None = None,
) -> Bill:
    """The superbill for one visit. Raises BillingError listing every problem that blocks it
    (bad or retired diagnosis codes, impossible numbers, an invalid NPI); everything else that
    a payer may question is a warning on the bill.

    ``prior_acupuncture_dates`` are the patient's earlier acupuncture visits (for Medicare's
    visit limits, and to catch a second initial code on the same day); ``improving`` is whether
    the clinician documented improvement (None: not recorded). ``fees`` is the clinic's fee
    schedule, CPT code → cents for one unit (None: no schedule, no charges).
    """
    rules = rules or billing_rules()
    problems = _input_problems(visit, patient, provider, payer)
    if fees is not None:
        problems.extend(fee_problems(fees, rules))
    rows, diagnosis_problems, notices = check_diagnoses(visit.diagnoses, patient, rules)
    problems.extend(diagnosis_problems)
    if problems:
        raise BillingError(problems)

    lines: list[Line] = []
    for make in (acupuncture_lines, cmt_lines):
        made, warned = make(visit, rules)
        lines.extend(made)
        notices.extend(warned)
    timed_minutes = {
        "97110": visit.exercise_minutes,
        "97112": visit.neuromuscular_minutes,
        "97140": visit.manual_therapy_minutes,
    }
    made, warned = timed_lines(timed_minutes, rules)
    lines.extend(made)
    notices.extend(warned)
    notices.extend(mark_distinct_regions(lines, rules))

    acupuncture = [line for line in lines if line["cpt"] in ACUPUNCTURE_CODES]
    if acupuncture and visit.date in set(prior_acupuncture_dates):
        notices.append(
            {
                "id": "acu-second-initial",
                "message": "Another acupuncture service is already recorded on "
                f"{visit.date.isoformat()}: only one initial code (97810 or 97813) is allowed "
                "a day. Bill the day's acupuncture on one superbill.",
                "source": rules.acu_per_increment_source,
            }
        )
    if payer.kind == "medicare":
        if acupuncture:
            ncd, count, kx = acupuncture_notices(
                visit, patient, provider, prior_acupuncture_dates, improving, rules
            )
            notices.extend(ncd)
            for line in acupuncture:
                if kx:
                    line["modifiers"].append(rules.improvement_modifier)
                if line["cpt"] in INITIAL_CODES:
                    line["why"] += (
                        f" Medicare NCD 30.3.3 count: visit {count.in_window} in "
                        f"{rules.window_days} days ({rules.visits_in_window} covered without "
                        f"documented improvement); visit {count.in_year} in the year from "
                        f"{count.year_start.isoformat()} ({rules.visits_per_year} at most)."
                    )
        notices.extend(cmt_notices(lines, rows, provider, rules))
    if payer.kind in ("commercial", "medicare") and not payer.member_id.strip():
        notices.append(
            {
                "id": "payer-member-id",
                "message": "No member ID for the insurer: the patient's claim will need it.",
                "source": "CMS-1500 item 1a (insured's ID number)",
            }
        )
    if not lines:
        notices.append(
            {
                "id": "no-billable-lines",
                "message": "Nothing on this visit can be billed as recorded (see the warnings "
                "above).",
                "source": "weizhong billing rules",
            }
        )
    for line in lines:
        line["diagnosis_pointers"] = _pointers(line, rows, rules)
    total_charge: int | None = None
    if fees is not None:
        total_charge, unpriced = apply_fees(lines, fees)
        notices.extend(unpriced)
    return {
        "format": FORMAT,
        "rules_version": rules.version,
        "date": visit.date.isoformat(),
        "provider": {
            "name": provider.name,
            "credentials": provider.credentials,
            "npi": provider.npi.strip(),
            "tax_id": provider.tax_id,
            "clinic_name": provider.clinic_name,
            "address": provider.address,
            "phone": provider.phone,
        },
        "patient": {
            "name": patient.name,
            "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex,
            "address": patient.address,
        },
        "payer": {"kind": str(payer.kind), "name": payer.name, "member_id": payer.member_id},
        "diagnoses": rows,
        "lines": lines,
        "warnings": notices,
        "totals": {"units": sum(line["units"] for line in lines)},
        "currency": CURRENCY,
        "total_charge": total_charge,
    }


def suggest_diagnoses(
    leading_condition: str,
    side: str | None = None,
    onset_days: int | None = None,
    *,
    rules: BillingRules | None = None,
) -> list[dict[str, object]]:
    """ICD-10-CM candidates for a weizhong condition, primary first: each with its code,
    description, role (primary, alternative, secondary), label, verified flag, source and a note.
    Unverified mappings are never primary. Raises BillingError for an unknown condition or side.
    """
    return [
        dict(s) for s in suggestions(leading_condition, side, onset_days, rules or billing_rules())
    ]
