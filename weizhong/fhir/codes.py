"""Code systems, canonical URLs and the cited code table (``knowledge/data/fhir_codes.toml``).

Everything the exporter and the importer agree on lives here, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from weizhong.billing import icd10cm
from weizhong.errors import KnowledgeError
from weizhong.knowledge.records import SIDES, FindingDef
from weizhong.knowledge.registry import BUNDLED_DIR, knowledge_path
from weizhong.knowledge.tables import Table, read_toml

FILE = "fhir_codes.toml"
CODES_FILE = BUNDLED_DIR / FILE  # the bundled table

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


class FhirCodesError(KnowledgeError):
    """``fhir_codes.toml`` is malformed: the message names the entry and the problem."""


@dataclass(frozen=True)
class Unit:
    """A UCUM unit for a measured finding."""

    code: str
    text: str


# The UCUM code of an outcome score by the units its instrument states: a percentage is "%",
# points on a scale are the annotation "{score}" (UCUM's unity with a label).
SCORE_UNITS = {"percent": "%", "percentage points": "%", "%": "%"}
SCORE_UNIT_DEFAULT = "{score}"


def score_unit(units: str) -> Unit:
    """The UCUM unit of an outcome score, with the instrument's own words as its text."""
    return Unit(SCORE_UNITS.get(units.strip().lower(), SCORE_UNIT_DEFAULT), units)


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
        """The FHIR Coding; an ICD-10-CM code shows its official title (the code set's own
        words, :func:`weizhong.billing.icd10cm.title`), whatever the table says."""
        display = self.display
        if self.system == ICD10CM:
            display = icd10cm.title(self.code) or display
        return {"system": self.system, "code": self.code, "display": display}


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


def _fhir_codes_error(file: str, where: str, problem: str) -> FhirCodesError:
    return FhirCodesError(file, where, problem)


def _code(table: Table, system: str) -> Code:
    return Code(system, table.text("code"), table.text("display"), table.text("source"))


def _verified(entries: Sequence[Table]) -> list[Table]:
    """Entries whose code was checked; ``verified = false`` ones are never exported."""
    return [e for e in entries if e.opt_flag("verified", True)]


def _condition(table: Table) -> ConditionCodes:
    condition_id = table.text("id")
    table.where = f"condition '{condition_id}'"
    choices = []
    for entry in _verified(table.opt_tables("icd10cm")):
        entry.where = table.where
        side = entry.opt_text("side") or "any"
        if side not in ("any", "bilateral", *SIDES):
            entry.fail(f"side {side!r} is not known")
        choices.append(
            IcdChoice(
                _code(entry, ICD10CM), side, entry.opt_text("when_true"),
                entry.opt_texts("when_levels"),
            )
        )  # fmt: skip
    snomed = []
    for entry in _verified(table.opt_tables("snomed")):
        entry.where = table.where
        snomed.append(_code(entry, SNOMED))
    return ConditionCodes(
        condition_id, table.opt_flag("sided", False), tuple(choices), tuple(snomed)
    )


def _named(table: Table) -> Code:
    return _code(table, table.text("system"))


def load_code_table(path: Path | None = None) -> CodeTable:
    """Read and check the code table at ``path`` (default: where the knowledge registry finds
    fhir_codes.toml); FhirCodesError naming the entry and the problem."""
    top = read_toml(path or knowledge_path(FILE), _fhir_codes_error, FILE)
    conditions = {c.id: c for c in (_condition(t) for t in top.opt_tables("condition"))}
    procedures = top.table("procedure")
    sites = top.table("body_site")
    pregnancy = top.table("pregnancy")
    source = pregnancy.text("source")
    nprs = top.table("nprs")
    return CodeTable(
        version=top.table("meta").text("version"),
        conditions=conditions,
        acupuncture=_named(procedures.table("acupuncture")),
        manipulation=_named(procedures.table("manipulation")),
        lower_limb={
            "left": _named(sites.table("left_lower_limb")),
            "right": _named(sites.table("right_lower_limb")),
        },
        pregnancy_status=Code(
            LOINC, pregnancy.text("loinc"), pregnancy.text("loinc_display"), source
        ),
        pregnant=Code(
            SNOMED, pregnancy.text("pregnant"), pregnancy.text("pregnant_display"), source
        ),
        not_pregnant=Code(
            SNOMED, pregnancy.text("not_pregnant"), pregnancy.text("not_pregnant_display"), source
        ),
        nprs=Code(LOINC, nprs.text("loinc"), nprs.text("loinc_display"), nprs.text("source")),
        retired_icd10cm=frozenset(top.table("retired").texts("icd10cm")),
    )


def code_table() -> CodeTable:
    """The code table where the knowledge registry finds it, loaded once per file."""
    return _load(knowledge_path(FILE))


@cache
def _load(path: Path) -> CodeTable:
    return load_code_table(path)
