"""Code systems, canonical URLs and the cited code table (``knowledge/data/fhir_codes.toml``).

Everything the exporter and the importer agree on lives here, so the two cannot drift apart.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from weizhong.knowledge.records import SIDES, FindingDef

CODES_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "fhir_codes.toml"

WEIZHONG = "https://weizhong.dev/fhir"
FINDING_SYSTEM = f"{WEIZHONG}/CodeSystem/finding"
FINDING_VALUE_SYSTEM = f"{WEIZHONG}/CodeSystem/finding-value"
FINDING_ITEM_SYSTEM = f"{WEIZHONG}/CodeSystem/finding-item"
LIST_ITEM_SYSTEMS = {
    "regions": f"{WEIZHONG}/CodeSystem/region",
    "levels": f"{WEIZHONG}/CodeSystem/level",
    "muscles": f"{WEIZHONG}/CodeSystem/muscle",
}
INSTRUMENT_SYSTEM = f"{WEIZHONG}/CodeSystem/instrument"
QUESTIONNAIRE_BASE = f"{WEIZHONG}/Questionnaire/"
CONDITION_SYSTEM = f"{WEIZHONG}/CodeSystem/condition"
RED_FLAG_SYSTEM = f"{WEIZHONG}/CodeSystem/red-flag"
ACUPOINT_SYSTEM = f"{WEIZHONG}/CodeSystem/acupoint"
SPINAL_REGION_SYSTEM = f"{WEIZHONG}/CodeSystem/spinal-region"
EXERCISE_SYSTEM = f"{WEIZHONG}/CodeSystem/exercise"
PATIENT_CONDITION_SYSTEM = f"{WEIZHONG}/CodeSystem/patient-condition"
DEVICE_SYSTEM = f"{WEIZHONG}/CodeSystem/device"
MEDICATION_CLASS_SYSTEM = f"{WEIZHONG}/CodeSystem/medication-class"

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"

# Findings about how the patient lives rather than what the exam found.
SOCIAL_HISTORY = frozenset({"runner", "smoker", "iv_drug_use", "sitting_hours_per_day"})
SURVEY_SECTIONS = frozenset({"questionnaires"})
SURVEY_FINDINGS = frozenset({"nprs", "startback_answers"})

# FHIR days of the week (Timing.repeat.dayOfWeek) from a home programme's schedule.
FHIR_DAYS = {
    "Mon": "mon",
    "Tue": "tue",
    "Wed": "wed",
    "Thu": "thu",
    "Fri": "fri",
    "Sat": "sat",
    "Sun": "sun",
}


class FhirCodesError(ValueError):
    """``fhir_codes.toml`` is malformed: the message names the entry and the problem."""


@dataclass(frozen=True)
class Unit:
    """A UCUM unit for a measured finding."""

    code: str
    text: str


def finding_unit(finding: FindingDef) -> Unit | None:
    """The unit a numeric finding is measured in, from its id; None for a unitless count."""
    name = finding.id
    if name.endswith("_deg"):
        return Unit("deg", "degrees")
    if name.endswith("_cm"):
        return Unit("cm", "cm")
    if name.endswith("_hours_per_day"):
        return Unit("h/d", "hours per day")
    if name.endswith("_days"):
        return Unit("d", "days")
    if finding.type == "number":
        return Unit("1", "")
    return None


def finding_category(finding: FindingDef) -> str:
    """The observation-category code for a finding."""
    if finding.id in SOCIAL_HISTORY:
        return "social-history"
    if finding.section in SURVEY_SECTIONS or finding.id in SURVEY_FINDINGS:
        return "survey"
    return "exam"


@dataclass(frozen=True)
class Code:
    """One code of a standard system, with where it was seen."""

    system: str
    code: str
    display: str
    source: str

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True)
class IcdChoice:
    """An ICD-10-CM code for a condition, and when it applies."""

    code: Code
    side: str  # left, right, bilateral or any
    when_true: str | None
    when_levels: tuple[str, ...]

    def applies(self, side: str, findings: Mapping[str, Any]) -> bool:
        if self.side not in ("any", side):
            return False
        if self.when_true is not None and findings.get(self.when_true) is not True:
            return False
        if self.when_levels:
            involved = [
                *findings.get("myotome_weakness", ()),
                *findings.get("dermatome_sensory_loss", ()),
            ]
            levels = {item.split("_", 1)[0] for item in involved}
            return bool(levels & set(self.when_levels))
        return True


@dataclass(frozen=True)
class ConditionCodes:
    """The standard codes for one condition of the assessment."""

    id: str
    sided: bool
    icd10cm: tuple[IcdChoice, ...]
    snomed: tuple[Code, ...]

    def icd_for(self, side: str, findings: Mapping[str, Any]) -> Code | None:
        """The first ICD-10-CM code that applies to ``side`` (left, right, bilateral or any)."""
        return next((c.code for c in self.icd10cm if c.applies(side, findings)), None)

    def has_side(self, side: str) -> bool:
        return any(c.side == side for c in self.icd10cm)


@dataclass(frozen=True)
class CodeTable:
    version: str
    conditions: dict[str, ConditionCodes]
    acupuncture: Code
    manipulation: Code
    lower_limb: dict[str, Code]  # by side
    pregnancy_status: Code
    pregnant: Code
    not_pregnant: Code
    nprs: Code
    retired_icd10cm: frozenset[str]


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise FhirCodesError(f"fhir_codes.toml: {where}: '{key}' must be non-empty text")
    return value


def _code(table: Mapping[str, Any], system: str, where: str) -> Code:
    return Code(
        system,
        _text(table, "code", where),
        _text(table, "display", where),
        _text(table, "source", where),
    )


def _verified(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Entries whose code was checked; ``verified = false`` ones are never exported."""
    return [e for e in entries if e.get("verified", True) is True]


def _condition(table: Mapping[str, Any]) -> ConditionCodes:
    condition_id = _text(table, "id", "[[condition]]")
    where = f"condition '{condition_id}'"
    choices = []
    for entry in _verified(table.get("icd10cm", [])):
        side = entry.get("side", "any")
        if side not in ("any", "bilateral", *SIDES):
            raise FhirCodesError(f"fhir_codes.toml: {where}: side {side!r} is not known")
        choices.append(
            IcdChoice(
                _code(entry, ICD10CM, where),
                side,
                entry.get("when_true"),
                tuple(entry.get("when_levels", ())),
            )
        )
    snomed = tuple(_code(e, SNOMED, where) for e in _verified(table.get("snomed", [])))
    return ConditionCodes(condition_id, bool(table.get("sided", False)), tuple(choices), snomed)


def _named(table: Mapping[str, Any], where: str) -> Code:
    return _code(table, _text(table, "system", where), where)


def load_code_table(path: Path = CODES_FILE) -> CodeTable:
    """Read and check the code table."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    conditions = {c.id: c for c in (_condition(t) for t in raw.get("condition", []))}
    procedures = raw["procedure"]
    sites = raw["body_site"]
    pregnancy = raw["pregnancy"]
    source = _text(pregnancy, "source", "[pregnancy]")
    nprs = raw["nprs"]
    return CodeTable(
        version=_text(raw["meta"], "version", "[meta]"),
        conditions=conditions,
        acupuncture=_named(procedures["acupuncture"], "[procedure.acupuncture]"),
        manipulation=_named(procedures["manipulation"], "[procedure.manipulation]"),
        lower_limb={
            "left": _named(sites["left_lower_limb"], "[body_site.left_lower_limb]"),
            "right": _named(sites["right_lower_limb"], "[body_site.right_lower_limb]"),
        },
        pregnancy_status=Code(LOINC, pregnancy["loinc"], pregnancy["loinc_display"], source),
        pregnant=Code(SNOMED, pregnancy["pregnant"], pregnancy["pregnant_display"], source),
        not_pregnant=Code(
            SNOMED, pregnancy["not_pregnant"], pregnancy["not_pregnant_display"], source
        ),
        nprs=Code(LOINC, nprs["loinc"], nprs["loinc_display"], _text(nprs, "source", "[nprs]")),
        retired_icd10cm=frozenset(raw["retired"]["icd10cm"]),
    )


@cache
def code_table() -> CodeTable:
    """The code table, loaded once."""
    return load_code_table()
