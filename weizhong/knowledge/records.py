"""Frozen, typed records of what the clinic believes, read from the TOML files in ``data/``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

from weizhong.knowledge.predicates import Check, Predicate
from weizhong.numbers import number

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
class Population:
    """Who a study measured: an age range (inclusive, None when open) and its setting in words."""

    age_min: float | None
    age_max: float | None
    setting: str

    def excludes_age(self, age: object) -> bool:
        """Whether a known age lies outside the range (an unknown age is never excluded)."""
        if isinstance(age, bool) or not isinstance(age, int | float):
            return False
        return (self.age_min is not None and age < self.age_min) or (
            self.age_max is not None and age > self.age_max
        )

    def describe(self) -> str:
        low = 0.0 if self.age_min is None else self.age_min
        if self.age_max is None or self.age_max >= 120:
            return f"{self.setting}, ages {number(low)}+"
        return f"{self.setting}, ages {number(low)}–{number(self.age_max)}"


@dataclass(frozen=True)
class RequiredPain:
    """A condition whose definition needs pain in certain regions (its name says 'back pain'):
    when the body chart was filled in without them, the probability is capped."""

    predicate: Predicate
    cap: float
    reason: str
    rule_id: str
    regions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ConditionDef:
    id: str
    name: str
    summary: str
    prior: float | None
    citation: Citation
    computed: str = ""
    requires_pain: RequiredPain | None = None
    core_regions: frozenset[str] = frozenset()  # body-chart regions (sided ids) it explains

    @cached_property
    def prior_log_odds(self) -> float:
        """log(prior / (1 − prior)), where every assessment's update starts (0 when computed)."""
        return 0.0 if self.prior is None else math.log(self.prior / (1.0 - self.prior))


@dataclass(frozen=True)
class FitRules:
    """When the picture fits none of the modelled conditions well (conditions.toml [fit])."""

    min_odds_ratio: float  # a condition "stands out" when its odds rose at least this much
    unexplained: tuple[tuple[str, Predicate, str], ...]  # rule id, predicate, what it suggests
    source: str
    min_probability: float = 0.0  # ... and it is at least this probable
    priors_population: Population = Population(None, None, "")
    outside_suggests: str = ""


@dataclass(frozen=True)
class OutsidePopulation:
    """How a reading from outside its study population counts (evidence.toml [population])."""

    weight: float  # the share of log LR kept
    rule_id: str
    rationale: str


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
    population: Population = Population(None, None, "")

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

    @cached_property
    def results(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """(LR, |log LR|) of a negative and of a positive result, indexed by the result."""
        return (
            (self.lr_negative, abs(math.log(self.lr_negative))),
            (self.lr_positive, abs(math.log(self.lr_positive))),
        )

    @cached_property
    def age_range(self) -> tuple[float, float]:
        """The study population's ages, inclusive, with open ends filled in (read per case)."""
        low, high = self.population.age_min, self.population.age_max
        return (0.0 if low is None else low, 200.0 if high is None else high)

    @property
    def sided(self) -> bool:
        return self.variants[0].side is not None

    @cached_property  # read for every entry of every assessment
    def proposable(self) -> bool:
        """Whether the entry behaves as a binary test (both LRs informative)."""
        return self.sensitivity is not None


SidedEvidence = tuple[EvidenceDef, tuple[EvidenceVariant, ...]]
# How one variant of an entry is read, flattened at load time for the per-case loop:
# (side, given check or None, given predicates, findings `given` reads, when check, findings
# `when` reads).
VariantPlan = tuple[
    "str | None", "Check | None", tuple[Predicate, ...], tuple[str, ...], Check, tuple[str, ...]
]
# (entry, youngest and oldest age of its study population, whether it can be proposed as a
# next test, the variants read on the case's sides).
EvidencePlan = tuple[EvidenceDef, float, float, bool, tuple[VariantPlan, ...]]


@dataclass(frozen=True)
class RedFlagRule:
    id: str  # stable, snake_case, unique in red_flags.toml: never renamed
    urgency: str
    all: tuple[Predicate, ...]
    any: tuple[Predicate, ...]
    of: tuple[Predicate, ...]
    at_least: int
    action: str
    source: str  # the citation's text (a source, or "expert estimate: <rationale>")
    reads: tuple[str, ...] = ()  # the case findings (not patient fields) the rule reads


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
    # Plain words for the patient's handout, one per urgency the flag's rules can raise.
    patient_action: dict[str, str] = field(default_factory=dict)
    # For each urgency: the unexamined findings that could make the flag more urgent, read by
    # its more urgent rules, in rule order. Asked whenever the flag is raised at that urgency.
    escalation: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RedFlagScreen:
    """The screen every back-pain history covers, and when cauda equina is still open."""

    core: tuple[str, ...]
    rescreen_when: Predicate | None  # re-evaluation: ask every unanswered core question again
    cauda_equina_possible: Predicate
    cauda_equina_cardinal: tuple[str, ...]
    words: dict[str, str]  # short words for the screen summary
    # finding -> rank (index in URGENCIES) of the most urgent rule that reads it; the order in
    # which red-flag questions are asked
    question_rank: dict[str, int]


@dataclass(frozen=True)
class Criterion:
    id: str
    label: str
    predicate: Predicate


@dataclass(frozen=True)
class Exclusion:
    """A fact that puts a patient outside the population a rule was validated in."""

    id: str
    label: str
    predicate: Predicate


@dataclass(frozen=True)
class RulePopulation:
    """Who the manipulation rule was validated in, and the trial that failed to confirm it
    (triage.toml [manipulation_rule.population] and [manipulation_rule.validation])."""

    min_age: int
    max_age: int
    source: str
    outside: tuple[Exclusion, ...]
    validation: dict[str, str]


@dataclass(frozen=True)
class ManipulationRule:
    name: str
    positive_at: int
    source: str
    criteria: tuple[Criterion, ...]
    population: RulePopulation


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
    red_flag_screen: RedFlagScreen
    manipulation_rule: ManipulationRule
    medication_classes: dict[str, str]
    medications: dict[str, Medication] = field(default_factory=dict)
    fit: FitRules = FitRules(3.0, (), "")
    outside_population: OutsidePopulation = OutsidePopulation(1.0, "", "")

    @cached_property
    def sources(self) -> dict[str, str]:
        """Every evidence entry's source by id, and every prior's as 'prior:<condition>'."""
        return {
            **{f"prior:{c.id}": c.citation.text() for c in self.conditions},
            **{e.id: e.citation.text() for e in self.evidence},
        }

    @cached_property
    def prior_sources(self) -> dict[str, str]:
        """The priors' sources, 'prior:<condition>': every assessment cites them all."""
        return {key: text for key, text in self.sources.items() if key.startswith("prior:")}

    @cached_property
    def explained_regions(self) -> frozenset[str]:
        """Body-chart regions that at least one modelled condition explains."""
        return frozenset(r for c in self.conditions for r in c.core_regions)

    @cached_property
    def back_regions(self) -> frozenset[str]:
        """The regions that make pain 'back pain' for labels that claim it."""
        return frozenset(
            r for c in self.conditions if c.requires_pain for r in c.requires_pain.regions
        )

    @cached_property
    def condition_names(self) -> dict[str, str]:
        return {c.id: c.name for c in self.conditions}

    @cached_property
    def none_of_the_others(self) -> str | None:
        """The computed condition: the chance that none of the specific ones is present."""
        return next((c.id for c in self.conditions if c.computed), None)

    @cached_property
    def finding_templates(self) -> dict[str, str]:
        """Each concrete finding's template ('slr_left_deg' -> 'slr_{side}_deg')."""
        return {name: finding.template for name, finding in self.findings.items()}

    @cached_property
    def red_flags_by_id(self) -> dict[str, RedFlagDef]:
        return {flag.id: flag for flag in self.red_flags}

    @cached_property
    def red_flag_asks(self) -> tuple[tuple[str, RedFlagAsk], ...]:
        """Every flag's `ask` entries with the flag's id, in file order (most flags have none)."""
        return tuple((flag.id, ask) for flag in self.red_flags for ask in flag.asks)

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

    @cached_property
    def _plans_by_sides(self) -> dict[tuple[str, ...], tuple[EvidencePlan, ...]]:
        return {
            sides: tuple(
                (
                    entry,
                    *entry.age_range,
                    entry.proposable,
                    tuple(
                        (
                            v.side,
                            v.given_check if v.given else None,
                            v.given,
                            v.given_reads,
                            v.when_check,
                            v.reads,
                        )
                        for v in variants
                    ),
                )
                for entry, variants in sided
            )
            for sides, sided in self._variants_by_sides.items()
        }

    def reading_plan(self, sides: tuple[str, ...]) -> tuple[EvidencePlan, ...]:
        """Every evidence entry with the variants read on these sides, as plain tuples built
        once: reading every entry for every case then touches one compact tuple per entry."""
        return self._plans_by_sides[sides]

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
