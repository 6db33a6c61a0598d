"""The billing numbers and code tables from billing.toml, read once into frozen records.

The file lives in the bundled knowledge folder; a clinic may keep its own copy in
``$WEIZHONG_KNOWLEDGE_DIR/billing.toml``. A malformed file raises ``KnowledgeError`` naming the
file, the entry and the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from weizhong.billing.model import Line
from weizhong.errors import KnowledgeError
from weizhong.knowledge.registry import knowledge_path
from weizhong.knowledge.tables import Table, read_toml

__all__ = [
    "BillingRules",
    "CmtBand",
    "DiagnosisDef",
    "NotBillable",
    "ProcedureDef",
    "SeventhCharacter",
    "SuggestionDef",
    "billing_rules",
    "rules_path",
]

FILE = "billing.toml"
SIDED = ("right", "left", "bilateral", "unspecified")
ROLES = ("primary", "alternative", "secondary")
PROCEDURE_KINDS = ("acupuncture_initial", "acupuncture_addon", "cmt", "timed")


@dataclass(frozen=True)
class ProcedureDef:
    cpt: str
    kind: str
    description: str
    source: str


@dataclass(frozen=True)
class DiagnosisDef:
    code: str
    description: str
    laterality: str | None
    source: str


@dataclass(frozen=True)
class NotBillable:
    code: str
    use: tuple[str, ...]
    reason: str
    source: str


@dataclass(frozen=True)
class SeventhCharacter:
    prefix: str
    characters: str
    meanings: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class SuggestionDef:
    condition: str
    role: str
    label: str
    verified: bool
    source: str
    code: str | None = None
    by_side: tuple[tuple[str, str], ...] = ()

    def code_for(self, side: str | None) -> tuple[str, ...]:
        """The code(s) for this side: a bilateral problem without a bilateral code gets both."""
        if self.code is not None:
            return (self.code,)
        sides = dict(self.by_side)
        if side == "bilateral" and "bilateral" not in sides:
            return (sides["right"], sides["left"])
        return (sides.get(side or "unspecified", sides["unspecified"]),)


@dataclass(frozen=True)
class CmtBand:
    min_regions: int
    max_regions: int
    cpt: str


@dataclass(frozen=True)
class BillingRules:
    version: str
    # CMS 8-minute rule for timed therapy codes
    unit_minutes: int
    minimum_minutes: int
    timed_codes: tuple[str, ...]
    timed_source: str
    acupuncture_apart_source: str
    # acupuncture increments
    acu_increment_minutes: int
    acu_minimum_minutes: int
    acu_source: str
    acu_per_increment_source: str
    acu_rounding_source: str
    # chiropractic manipulation
    spinal_regions: tuple[str, ...]
    extraspinal_regions: tuple[str, ...]
    extraspinal_code: str
    cmt_bands: tuple[CmtBand, ...]
    medicare_cmt_covered: tuple[str, ...]
    bundled_with_cmt: tuple[str, ...]
    distinct_region_modifier: str
    subluxation_prefix: str
    cmt_source: str
    cmt_medicare_source: str
    subluxation_source: str
    bundling_source: str
    # Medicare NCD 30.3.3
    chronic_days: int
    window_days: int
    visits_in_window: int
    extra_visits_if_improving: int
    visits_per_year: int
    year_full_months: int
    improvement_modifier: str
    ncd_specific_conditions: tuple[str, ...]
    ncd_not_back_pain_conditions: tuple[str, ...]
    physician_credentials: tuple[str, ...]
    midlevel_credentials: tuple[str, ...]
    ncd_source: str
    ncd_provider_source: str
    ncd_year_source: str
    # code tables
    procedures: dict[str, ProcedureDef]
    diagnoses: dict[str, DiagnosisDef]
    not_billable: dict[str, NotBillable]
    seventh_characters: tuple[SeventhCharacter, ...]
    suggestions: tuple[SuggestionDef, ...]

    def cmt_code(self, spinal_count: int) -> str | None:
        for band in self.cmt_bands:
            if band.min_regions <= spinal_count <= band.max_regions:
                return band.cpt
        return None

    def description(self, cpt: str) -> str:
        procedure = self.procedures.get(cpt)
        return procedure.description if procedure else ""

    def line(self, cpt: str, *, units: int, minutes: int, why: str) -> Line:
        """A superbill line with this code's description, no modifiers or pointers yet."""
        return {
            "cpt": cpt,
            "description": self.description(cpt),
            "units": units,
            "minutes": minutes,
            "modifiers": [],
            "diagnosis_pointers": [],
            "why": why,
            "unit_fee": None,
            "charge": None,
        }


def rules_path() -> Path:
    """billing.toml where the knowledge registry finds it (a clinic's copy, else the bundled)."""
    return knowledge_path(FILE)


def billing_rules(path: Path | None = None) -> BillingRules:
    """The validated rules at ``path`` (default :func:`rules_path`), read once per file."""
    return _load((path or rules_path()).resolve())


def _positive(table: Table, key: str) -> int:
    value = table.integer(key)
    if value <= 0:
        table.fail(f"'{key}' must be a positive whole number, got {value}")
    return value


@cache
def _load(path: Path) -> BillingRules:
    top = read_toml(path, KnowledgeError, FILE)
    meta = top.table("meta")
    timed = top.table("timed_therapy")
    acu = top.table("acupuncture")
    chiro = top.table("chiropractic")
    ncd = top.table("medicare_acupuncture")

    bands = []
    for band in chiro.numbered("band", "band"):
        band.only(("min_regions", "max_regions", "cpt"))
        low, high = _positive(band, "min_regions"), _positive(band, "max_regions")
        if high < low:
            band.fail("'max_regions' is below 'min_regions'")
        bands.append(CmtBand(low, high, band.text("cpt")))

    procedures: dict[str, ProcedureDef] = {}
    for item in top.numbered("procedure", "procedure"):
        item.only(("cpt", "kind", "description", "source"))
        cpt = item.text("cpt")
        if cpt in procedures:
            item.fail(f"CPT {cpt} is listed twice")
        procedures[cpt] = ProcedureDef(
            cpt, item.choice("kind", PROCEDURE_KINDS), item.text("description"), item.text("source")
        )

    diagnoses: dict[str, DiagnosisDef] = {}
    for item in top.numbered("diagnosis", "diagnosis"):
        item.only(("code", "description", "laterality", "source"))
        code = item.text("code")
        if code in diagnoses:
            item.fail(f"ICD-10-CM {code} is listed twice")
        laterality = item.choice("laterality", SIDED) if item.has("laterality") else None
        diagnoses[code] = DiagnosisDef(
            code, item.text("description"), laterality, item.text("source")
        )

    not_billable: dict[str, NotBillable] = {}
    for item in top.numbered("not_billable", "not_billable entry"):
        item.only(("code", "use", "reason", "source"))
        code = item.text("code")
        not_billable[code] = NotBillable(
            code, item.texts("use"), item.text("reason"), item.text("source")
        )

    sevenths = []
    for item in top.numbered("seventh_character", "seventh_character entry"):
        item.only(("prefix", "characters", "meanings", "source"))
        characters, meanings = item.text("characters"), item.texts("meanings")
        if len(characters) != len(meanings):
            item.fail("'meanings' needs one entry per character in 'characters'")
        sevenths.append(
            SeventhCharacter(item.text("prefix"), characters, meanings, item.text("source"))
        )

    suggestions = []
    for item in top.numbered("suggestion", "suggestion"):
        item.only(("condition", "role", "code", "label", "verified", "source", *SIDED))
        verified = item.opt_flag("verified", False)
        role = item.choice("role", ROLES)
        if role == "primary" and not verified:
            item.fail("an unverified suggestion cannot be primary (make it 'alternative')")
        single = item.opt_text("code")
        by_side = tuple((side, item.text(side)) for side in SIDED if item.has(side))
        if (single is None) == (not by_side):
            item.fail("needs either 'code' or the sided codes 'right', 'left', 'unspecified'")
        if by_side and not {"right", "left", "unspecified"} <= dict(by_side).keys():
            item.fail("sided suggestions need 'right', 'left' and 'unspecified'")
        suggestions.append(
            SuggestionDef(
                item.text("condition"),
                role,
                item.text("label"),
                verified,
                item.text("source"),
                single,
                by_side,
            )
        )

    for where, cpt in (
        *((chiro, band.cpt) for band in bands),
        (chiro, chiro.text("extraspinal_code")),
        *((chiro, cpt) for cpt in chiro.texts("medicare_covered")),
        *((chiro, cpt) for cpt in chiro.texts("bundled_with_cmt")),
        *((timed, cpt) for cpt in timed.texts("codes")),
    ):
        if cpt not in procedures:
            where.fail(f"CPT {cpt} has no [[procedure]] entry")
    for suggestion, item in zip(suggestions, top.numbered("suggestion", "suggestion"), strict=True):
        for code in (c for side in (*SIDED, None) for c in suggestion.code_for(side)):
            stem = code[:-1] if any(code.startswith(s.prefix) for s in sevenths) else code
            if stem not in diagnoses:
                item.fail(f"code {code} has no [[diagnosis]] entry")

    return BillingRules(
        version=meta.text("version"),
        unit_minutes=_positive(timed, "unit_minutes"),
        minimum_minutes=_positive(timed, "minimum_minutes"),
        timed_codes=timed.texts("codes"),
        timed_source=timed.text("source"),
        acupuncture_apart_source=timed.text("acupuncture_apart"),
        acu_increment_minutes=_positive(acu, "increment_minutes"),
        acu_minimum_minutes=_positive(acu, "minimum_minutes"),
        acu_source=acu.text("source"),
        acu_per_increment_source=acu.text("per_increment_source"),
        acu_rounding_source=acu.text("rounding_source"),
        spinal_regions=chiro.texts("spinal_regions"),
        extraspinal_regions=chiro.texts("extraspinal_regions"),
        extraspinal_code=chiro.text("extraspinal_code"),
        cmt_bands=tuple(bands),
        medicare_cmt_covered=chiro.texts("medicare_covered"),
        bundled_with_cmt=chiro.texts("bundled_with_cmt"),
        distinct_region_modifier=chiro.text("distinct_region_modifier"),
        subluxation_prefix=chiro.text("subluxation_prefix"),
        cmt_source=chiro.text("source"),
        cmt_medicare_source=chiro.text("medicare_source"),
        subluxation_source=chiro.text("subluxation_source"),
        bundling_source=chiro.text("bundling_source"),
        chronic_days=_positive(ncd, "chronic_days"),
        window_days=_positive(ncd, "window_days"),
        visits_in_window=_positive(ncd, "visits_in_window"),
        extra_visits_if_improving=_positive(ncd, "extra_visits_if_improving"),
        visits_per_year=_positive(ncd, "visits_per_year"),
        year_full_months=_positive(ncd, "year_full_months"),
        improvement_modifier=ncd.text("improvement_modifier"),
        ncd_specific_conditions=ncd.texts("specific_conditions"),
        ncd_not_back_pain_conditions=ncd.texts("not_back_pain_conditions"),
        physician_credentials=ncd.texts("physician_credentials"),
        midlevel_credentials=ncd.texts("midlevel_credentials"),
        ncd_source=ncd.text("source"),
        ncd_provider_source=ncd.text("provider_source"),
        ncd_year_source=ncd.text("year_source"),
        procedures=procedures,
        diagnoses=diagnoses,
        not_billable=not_billable,
        seventh_characters=tuple(sevenths),
        suggestions=tuple(suggestions),
    )
