"""Frozen, typed records of what the clinic believes, read from the TOML files in ``data/``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

from weizhong.knowledge.predicates import Check, Predicate

SIDES = ("left", "right")
URGENCIES = ("emergency", "urgent", "soon")


@dataclass(frozen=True)
class FindingDef:
    """One finding of the case format. ``id`` is concrete (``slr_left_deg``)."""

    id: str
    template: str
    type: str
    section: str
    label: str
    side: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    length: int | None = None
    howto: str = ""
    added: str = ""

    @cached_property
    def level_ids(self) -> frozenset[str]:
        """For a levels finding: every level with a side, such as 'L5_left'."""
        return frozenset(f"{level}_{side}" for level in self.levels for side in SIDES)


@dataclass(frozen=True)
class Citation:
    """Where a number comes from: a source, or an expert estimate with its rationale."""

    source: str = ""
    estimate: bool = False
    rationale: str = ""

    def text(self) -> str:
        if self.estimate:
            return f"expert estimate: {self.rationale}"
        return self.source


@dataclass(frozen=True)
class ConditionDef:
    id: str
    name: str
    summary: str
    prior: float | None
    citation: Citation
    computed: str = ""


@dataclass(frozen=True)
class EvidenceVariant:
    """An evidence entry read on one side (``side`` None for unsided entries)."""

    side: str | None
    given: tuple[Predicate, ...]
    when: tuple[Predicate, ...]
    reads: tuple[str, ...]  # findings (not patient fields) that `when` reads
    given_reads: tuple[str, ...]  # findings that `given` reads
    given_check: Check
    when_check: Check


@dataclass(frozen=True, eq=False)  # identity equality: cheap to hash, used as a cache key
class EvidenceDef:
    id: str
    condition: str
    label: str
    lr_positive: float
    lr_negative: float
    sensitivity: float | None
    specificity: float | None
    group: str | None
    citation: Citation
    variants: tuple[EvidenceVariant, ...]
    group_key: str  # entries sharing it are correlated: only the strongest counts

    @cached_property
    def reads_on_side(self) -> dict[str | None, tuple[str, ...]]:
        """The findings each variant reads, by its side (None for an unsided entry; "both" for
        a result read on each side)."""
        by_side: dict[str | None, tuple[str, ...]] = {v.side: v.reads for v in self.variants}
        by_side["both"] = tuple(dict.fromkeys(r for v in self.variants for r in v.reads))
        return by_side

    @cached_property
    def strength(self) -> float:
        """The larger |log LR| of the two results: how much this test can move its condition."""
        return max(abs(math.log(self.lr_positive)), abs(math.log(self.lr_negative)))

    @property
    def sided(self) -> bool:
        return self.variants[0].side is not None

    @property
    def proposable(self) -> bool:
        """Whether the entry behaves as a binary test (both LRs informative)."""
        return self.sensitivity is not None


SidedEvidence = tuple[EvidenceDef, tuple[EvidenceVariant, ...]]


@dataclass(frozen=True)
class RedFlagRule:
    urgency: str
    all: tuple[Predicate, ...]
    any: tuple[Predicate, ...]
    of: tuple[Predicate, ...]
    at_least: int
    action: str
    source: str


@dataclass(frozen=True)
class RedFlagAsk:
    given: Predicate
    ask: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class RedFlagDef:
    id: str
    name: str
    rules: tuple[RedFlagRule, ...]
    asks: tuple[RedFlagAsk, ...]


@dataclass(frozen=True)
class Criterion:
    id: str
    label: str
    predicate: Predicate


@dataclass(frozen=True)
class ManipulationRule:
    name: str
    positive_at: int
    source: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Medication:
    generic: str
    classes: tuple[str, ...]
    atc: str


@dataclass(frozen=True)
class Vocabulary:
    regions: frozenset[str]
    muscles: frozenset[str]
    devices: tuple[str, ...]
    conditions: tuple[str, ...]
    sexes: tuple[str, ...]


@dataclass(frozen=True)
class Knowledge:
    """Everything the reasoning core reads, loaded once."""

    version: str
    file_versions: dict[str, str]
    findings: dict[str, FindingDef]
    vocabulary: Vocabulary
    conditions: tuple[ConditionDef, ...]
    evidence: tuple[EvidenceDef, ...]
    red_flags: tuple[RedFlagDef, ...]
    screen_core: tuple[str, ...]
    manipulation_rule: ManipulationRule
    medication_classes: dict[str, str]
    medications: dict[str, Medication] = field(default_factory=dict)

    @cached_property
    def sources(self) -> dict[str, str]:
        """Every evidence entry's source by id, and every prior's as 'prior:<condition>'."""
        return {
            **{f"prior:{c.id}": c.citation.text() for c in self.conditions},
            **{e.id: e.citation.text() for e in self.evidence},
        }

    @cached_property
    def condition_names(self) -> dict[str, str]:
        return {c.id: c.name for c in self.conditions}

    @cached_property
    def evidence_by_id(self) -> dict[str, EvidenceDef]:
        return {e.id: e for e in self.evidence}

    @cached_property
    def _variants_by_sides(self) -> dict[tuple[str, ...], list[SidedEvidence]]:
        return {
            sides: [
                (e, tuple(v for v in e.variants if v.side is None or v.side in sides))
                for e in self.evidence
            ]
            for sides in (("left",), ("right",), SIDES)
        }

    def evidence_on(self, sides: tuple[str, ...]) -> list[SidedEvidence]:
        """Every evidence entry with the variants that are read on these sides."""
        return self._variants_by_sides[sides]

    def counts(self) -> dict[str, int]:
        return {
            "findings": len(self.findings),
            "regions": len(self.vocabulary.regions),
            "conditions": len(self.conditions),
            "evidence": len(self.evidence),
            "evidence_published": sum(1 for e in self.evidence if not e.citation.estimate),
            "evidence_estimates": sum(1 for e in self.evidence if e.citation.estimate),
            "red_flags": len(self.red_flags),
            "red_flag_rules": sum(len(f.rules) for f in self.red_flags),
            "medication_names": len(self.medications),
            "medication_classes": len(self.medication_classes),
        }
