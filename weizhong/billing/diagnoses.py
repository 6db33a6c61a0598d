"""ICD-10-CM codes on a superbill: format, retired and heading codes, 7th characters, sides, and
suggestions for weizhong's conditions."""

from __future__ import annotations

import re
from typing import TypedDict

from weizhong.billing import icd10cm
from weizhong.billing.model import (
    SIDES,
    BillingError,
    BillingProblem,
    DiagnosisRow,
    Notice,
    PatientFacts,
)
from weizhong.billing.rules import BillingRules, DiagnosisDef, SeventhCharacter

__all__ = ["MAX_DIAGNOSES", "POINTERS", "Suggestion", "check_diagnoses", "normalise", "suggestions"]

# A letter, a digit, a digit or letter (C4A, M1A exist), then optionally a dot and 1–4 characters.
ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
POINTERS = "ABCDEFGHIJKL"  # the CMS-1500 claim form holds 12 diagnoses, pointed to as A–L
MAX_DIAGNOSES = len(POINTERS)
ROLE_ORDER = {"primary": 0, "alternative": 1, "secondary": 2}


class Suggestion(TypedDict):
    code: str
    description: str
    role: str
    label: str
    verified: bool
    source: str
    note: str


def normalise(raw: str) -> str:
    """Upper case, no spaces, and the dot after the category when it was left out (M5450)."""
    code = raw.strip().upper().replace(" ", "")
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code


def _seventh(code: str, rules: BillingRules) -> SeventhCharacter | None:
    return next((s for s in rules.seventh_characters if code.startswith(s.prefix)), None)


def describe(code: str, rules: BillingRules) -> str:
    """The official title of a code (ICD-10-CM code set); for a code the set lacks, our short
    description, with the meaning of its 7th character; "" if unknown."""
    official = icd10cm.title(code)
    if official:
        return official
    family = _seventh(code, rules)
    if family and len(code) == 8 and code[-1] in family.characters:
        known = rules.diagnoses.get(code[:-1])
        meaning = family.meanings[family.characters.index(code[-1])]
        return f"{known.description}, {meaning}" if known else ""
    known = rules.diagnoses.get(code)
    return known.description if known else ""


def _entry(code: str, rules: BillingRules) -> DiagnosisDef | None:
    return rules.diagnoses.get(code[:-1] if _seventh(code, rules) else code)


def check_diagnoses(
    raw_codes: tuple[str, ...], patient: PatientFacts, rules: BillingRules
) -> tuple[list[DiagnosisRow], list[BillingProblem], list[Notice]]:
    """The diagnosis rows with their pointers, every problem that blocks the bill, and warnings."""
    rows: list[DiagnosisRow] = []
    problems: list[BillingProblem] = []
    notices: list[Notice] = []
    if not raw_codes:
        problems.append(
            BillingProblem(
                "diagnoses", "at least one ICD-10-CM code is needed (the first is primary)"
            )
        )
    if len(raw_codes) > MAX_DIAGNOSES:
        problems.append(
            BillingProblem(
                "diagnoses",
                f"{len(raw_codes)} codes given; a claim holds at most {MAX_DIAGNOSES} (A–L)",
            )
        )
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_codes):
        field = f"diagnoses[{i}]"
        code = normalise(raw)
        if not ICD10CM.match(code):
            problems.append(
                BillingProblem(
                    field,
                    f"'{raw}' is not an ICD-10-CM code: a letter, two digits, then optionally a "
                    "dot and 1–4 characters (for example M54.50)",
                )
            )
            continue
        retired = rules.not_billable.get(code)
        if retired:
            # The replacements come from the code set itself when it still has the heading.
            use = icd10cm.billable_under(code) or retired.use
            problems.append(
                BillingProblem(field, f"{code} is {retired.reason}; use {_either(use)} instead")
            )
            continue
        family = _seventh(code, rules)
        if family:
            example = f"{code}{family.characters[0]}" if len(code) == 7 else f"{family.prefix}12A"
            choices = ", ".join(
                f"{c} ({m})" for c, m in zip(family.characters, family.meanings, strict=True)
            )
            if len(code) != 8:
                problems.append(
                    BillingProblem(
                        field,
                        f"{code} needs a 7th character for the encounter: {choices}; "
                        f"for example {example}",
                    )
                )
                continue
            if code[-1] not in family.characters:
                problems.append(
                    BillingProblem(
                        field, f"{code}: the 7th character '{code[-1]}' is not one of {choices}"
                    )
                )
                continue
        if not icd10cm.is_known(code):
            problems.append(
                BillingProblem(
                    field,
                    f"{code} is not a code of {icd10cm.RELEASE}: check it against the code set "
                    "(for example M54.50, low back pain, unspecified)",
                )
            )
            continue
        if not icd10cm.is_billable(code):
            problems.append(
                BillingProblem(
                    field,
                    f"{code} ({icd10cm.title(code)}) is a heading in {icd10cm.RELEASE}, not a "
                    f"billable code: use {_listed(icd10cm.billable_under(code))}",
                )
            )
            continue
        if code in seen:
            problems.append(
                BillingProblem(field, f"{code} is already listed as diagnoses[{seen[code]}]")
            )
            continue
        seen[code] = i
        rows.append({"code": code, "description": describe(code, rules), "pointer": ""})
        notices.extend(_side_notices(code, field, patient, rules))
    for pointer, row in zip(POINTERS, rows, strict=False):
        row["pointer"] = pointer
    return rows, problems, notices


def _listed(codes: tuple[str, ...], most: int = 8) -> str:
    """Billable codes with their official titles, the first `most` of them."""
    shown = [f"{c} ({icd10cm.title(c)})" for c in codes[:most]]
    more = len(codes) - most
    return _either(tuple(shown)) + (f", or one of {more} more" if more > 0 else "")


def _either(codes: tuple[str, ...]) -> str:
    return codes[0] if len(codes) == 1 else f"{', '.join(codes[:-1])} or {codes[-1]}"


def _side_notices(
    code: str, field: str, patient: PatientFacts, rules: BillingRules
) -> list[Notice]:
    notices: list[Notice] = []
    known = _entry(code, rules)
    laterality, source = (known.laterality, known.source) if known else (None, "")
    if patient.side in SIDES and laterality == "unspecified":
        notices.append(
            {
                "id": "dx-unspecified-side",
                "message": f"{field} {code} leaves the side unspecified, but the record says "
                f"{patient.side}: use the {patient.side}-sided code when the documentation "
                "supports it.",
                "source": "ICD-10-CM guidelines: code to the highest documented specificity; "
                + source,
            }
        )
    elif (
        laterality in ("left", "right")
        and patient.side in ("left", "right")
        and (laterality != patient.side)
    ):
        notices.append(
            {
                "id": "dx-side-mismatch",
                "message": f"{field} {code} is the {laterality} side, but the record says "
                f"{patient.side}: check which side was treated.",
                "source": source,
            }
        )
    if code.startswith("S76.30") and patient.leading_condition == "hamstring_strain":
        notices.append(
            {
                "id": "dx-strain-coded-as-injury",
                "message": f"{field} {code} is an unspecified injury of the posterior thigh; a "
                "hamstring strain is coded S76.31- (S76.311A right, S76.312A left).",
                "source": "ICD-10-CM S76.30- vs S76.31- (clinical reference H [97])",
            }
        )
    return notices


def suggestions(
    leading_condition: str, side: str | None, onset_days: int | None, rules: BillingRules
) -> list[Suggestion]:
    """Candidate codes for a weizhong condition, primary first, each labelled, sourced and marked
    verified or not (an unverified code is never the primary). Raises BillingError for an unknown
    condition or side."""
    known = sorted({s.condition for s in rules.suggestions})
    problems = []
    if leading_condition not in known:
        problems.append(
            BillingProblem(
                "leading_condition",
                f"'{leading_condition}' has no suggestions; known: {', '.join(known)}",
            )
        )
    if side is not None and side not in SIDES:
        problems.append(BillingProblem("side", f"'{side}' is not one of {', '.join(SIDES)}"))
    if onset_days is not None and onset_days < 0:
        problems.append(BillingProblem("onset_days", "cannot be negative"))
    if problems:
        raise BillingError(problems)
    out: list[Suggestion] = []
    entries = [s for s in rules.suggestions if s.condition == leading_condition]
    for entry in sorted(entries, key=lambda s: ROLE_ORDER[s.role]):
        notes = []
        if entry.by_side and side is None:
            notes.append("side not recorded, so the unspecified-side code: record the side")
        if not entry.verified:
            notes.append("our judgement only, not confirmed in a coding source: check")
        if entry.code is not None and entry.code.startswith("M54.5") and onset_days is not None:
            weeks = onset_days // 7
            if onset_days >= rules.chronic_days:
                notes.append(
                    f"symptoms for {weeks} weeks: chronic (12 weeks or more); document the "
                    "duration, which Medicare's acupuncture benefit requires"
                )
            else:
                notes.append(f"symptoms for {weeks} weeks: not yet chronic (12 weeks)")
        for code in entry.code_for(side):
            out.append(
                {
                    "code": code,
                    "description": describe(code, rules),
                    "role": entry.role,
                    "label": entry.label,
                    "verified": entry.verified,
                    "source": entry.source,
                    "note": "; ".join(notes),
                }
            )
    return out
