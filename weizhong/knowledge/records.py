"""Frozen, typed records of what the clinic believes, read from the TOML files in ``data/``."""

from __future__ import annotations

from dataclasses import dataclass, field

from weizhong.knowledge.predicates import Predicate

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
    reads: tuple[str, ...]


@dataclass(frozen=True)
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

    @property
    def sided(self) -> bool:
        return self.variants[0].side is not None

    @property
    def proposable(self) -> bool:
        """Whether the entry behaves as a binary test (both LRs informative)."""
        return self.sensitivity is not None


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
    regions_below_knee: tuple[str, ...]
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
