"""Herbal formulas the planner may offer, checked against the patient.

The catalogue lives in ``knowledge/data/herbs.toml``: formulas, their ingredients, the picture each
is offered for, and interaction rules written in the predicate language of the knowledge files.
It is read and validated once; a malformed entry raises :class:`KnowledgeError` naming the file,
the formula (or herb) and the problem.

A formula is offered, never prescribed: it is proposed only when it fits the differential, never
when an ``avoid`` rule applies to this patient (it is then listed as withheld, with the reason),
and always with its warnings. A rule that reads a fact the case does not record (age, pregnancy)
is reported as "not recorded" so that the clinician asks, and never read as clear.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

from weizhong.case import Case
from weizhong.knowledge import Knowledge, KnowledgeError, load_knowledge
from weizhong.knowledge.loader import DATA_DIR, case_name_checker
from weizhong.knowledge.predicates import Predicate, PredicateError, Value, compile_predicate
from weizhong.knowledge.tables import Table

__all__ = [
    "Catalogue",
    "Formula",
    "Herb",
    "Interaction",
    "load_catalogue",
    "propose_herbs",
]

Severity = Literal["warning", "avoid"]
Known = Callable[[str, Value | None], None]

FILE = "herbs.toml"
SEVERITIES: tuple[Severity, ...] = ("warning", "avoid")
# A condition leads the differential when it is first, or at least this likely.
LEAD_PROBABILITY = 0.5
OFFERED_NOT_FORCED = (
    "Offered, not prescribed: the herbalist confirms the TCM pattern ({pattern}) and decides, "
    "and the patient may decline."
)


# ------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class Interaction:
    """A check against the patient. ``when`` None means it always applies."""

    id: str
    owner: str  # pinyin of the herb the rule belongs to; "" for a formula-level rule
    severity: Severity
    when: Predicate | None
    message: str
    source: str


@dataclass(frozen=True)
class Herb:
    id: str
    pinyin: str
    characters: str
    latin: str
    interactions: tuple[Interaction, ...]


@dataclass(frozen=True)
class Ingredient:
    herb: Herb
    dose_g: float
    classical: str
    note: str


@dataclass(frozen=True)
class Offer:
    """When a formula fits: a lead condition (any, if empty) and predicates that must all hold."""

    leads: frozenset[str]
    when: tuple[Predicate, ...]
    why: str


@dataclass(frozen=True)
class Caution:
    text: str
    source: str


@dataclass(frozen=True)
class Formula:
    id: str
    pinyin: str
    characters: str
    english: str
    classical_source: str
    pattern: str
    indication: str
    source: str
    ingredients: tuple[Ingredient, ...]
    offers: tuple[Offer, ...]
    cautions: tuple[Caution, ...]
    interactions: tuple[Interaction, ...]  # formula-level rules only

    def rules(self) -> list[tuple[Interaction, Ingredient | None]]:
        """Every rule that applies to this formula, with the ingredient it comes from."""
        out: list[tuple[Interaction, Ingredient | None]] = [(r, None) for r in self.interactions]
        seen = {r.id for r in self.interactions}
        for ingredient in self.ingredients:
            for rule in ingredient.herb.interactions:
                if rule.id not in seen:
                    seen.add(rule.id)
                    out.append((rule, ingredient))
        return out


@dataclass(frozen=True)
class Catalogue:
    version: str
    herbs: Mapping[str, Herb]
    formulas: tuple[Formula, ...]


# ------------------------------------------------------------------------------ loading


def _citation(reader: Table) -> str:
    return reader.citation().text()


def _interaction(reader: Table, owner: str, known: Known) -> Interaction:
    reader.only(("id", "when", "always", "severity", "message", "source", "estimate", "rationale"))
    ident = reader.text("id")
    reader.where = f"{reader.where} '{ident}'"
    severity = reader.choice("severity", SEVERITIES)
    always = reader.opt_flag("always", False)
    text = reader.opt_text("when")
    if always == (text is not None):
        reader.fail("give either 'when' (a predicate on the patient) or 'always = true'")
    when = None
    if text is not None:
        try:
            when = compile_predicate(text, known)
        except PredicateError as error:
            reader.fail(f"'when': {error}")
    return Interaction(ident, owner, severity, when, reader.text("message"), _citation(reader))


def _has_tone_marks(pinyin: str) -> bool:
    return any(not ch.isascii() for ch in pinyin)


def _load_herbs(table: dict[str, Any], known: Known) -> dict[str, Herb]:
    items = table.get("herb")
    if not isinstance(items, list) or not items:
        raise KnowledgeError(FILE, "[[herb]]", "no entries")
    readers: dict[str, Table] = {}
    for index, item in enumerate(items, 1):
        ident = item.get("id") if isinstance(item, dict) else None
        reader = Table(item, FILE, f"herb #{index} '{ident}'", KnowledgeError)
        reader.only(("id", "pinyin", "characters", "latin", "interaction", "same_as"))
        ident = reader.text("id")
        if ident in readers:
            reader.fail(f"duplicate id '{ident}'")
        readers[ident] = reader
    herbs: dict[str, Herb] = {}
    for ident, reader in readers.items():
        pinyin = reader.text("pinyin")
        if not _has_tone_marks(pinyin):
            reader.fail(f"pinyin '{pinyin}' needs tone marks (Gān Cǎo, not Gan Cao)")
        rules = tuple(
            _interaction(r.child(r.data, f"{reader.where} interaction #{n}"), pinyin, known)
            for n, r in enumerate(reader.opt_tables("interaction"), 1)
        )
        herbs[ident] = Herb(ident, pinyin, reader.text("characters"), reader.text("latin"), rules)
    for ident, reader in readers.items():  # a processed form shares its crude drug's rules
        same_as = reader.opt_text("same_as")
        if same_as is None:
            continue
        if same_as not in herbs or same_as == ident:
            reader.fail(f"'same_as' must name another herb; '{same_as}' is not one")
        herb = herbs[ident]
        shared = herb.interactions + herbs[same_as].interactions
        herbs[ident] = Herb(herb.id, herb.pinyin, herb.characters, herb.latin, shared)
    return herbs


def _load_formula(
    reader: Table, herbs: Mapping[str, Herb], condition_ids: frozenset[str], known: Known
) -> Formula:
    reader.only(
        (
            *("id", "pinyin", "characters", "english", "classical_source", "pattern"),
            *("indication", "source", "estimate", "rationale", "ingredient", "offer"),
            *("caution", "interaction"),
        )
    )
    ident = reader.text("id")
    pinyin = reader.text("pinyin")
    if not _has_tone_marks(pinyin):
        reader.fail(f"pinyin '{pinyin}' needs tone marks")
    ingredients = []
    for r in reader.numbered("ingredient", "ingredient"):
        r.only(("herb", "dose_g", "classical", "note"))
        herb_id = r.text("herb")
        if herb_id not in herbs:
            r.fail(f"herb '{herb_id}' is not in the [[herb]] list")
        dose = r.number("dose_g")
        if dose <= 0:
            r.fail("'dose_g' must be a positive number of grams a day")
        ingredients.append(
            Ingredient(herbs[herb_id], float(dose), r.text("classical"), r.opt_text("note") or "")
        )
    offers = []
    for r in reader.numbered("offer", "offer"):
        r.only(("leads", "when", "why"))
        leads = r.opt_texts("leads")
        unknown = [c for c in leads if c not in condition_ids]
        if unknown:
            r.fail(f"'leads' names conditions not in conditions.toml: {', '.join(unknown)}")
        when = []
        for text in r.opt_texts("when"):
            try:
                when.append(compile_predicate(text, known))
            except PredicateError as error:
                r.fail(f"'when': {error}")
        if not leads and not when:
            r.fail("needs 'leads' or 'when' (an offer that always fits is not an offer)")
        offers.append(Offer(frozenset(leads), tuple(when), r.text("why")))
    cautions = []
    for n, r in enumerate(reader.opt_tables("caution"), 1):
        r.where = f"{reader.where} caution #{n}"
        r.only(("text", "source", "estimate", "rationale"))
        cautions.append(Caution(r.text("text"), _citation(r)))
    interactions = tuple(
        _interaction(r.child(r.data, f"{reader.where} interaction #{n}"), "", known)
        for n, r in enumerate(reader.opt_tables("interaction"), 1)
    )
    return Formula(
        id=ident,
        pinyin=pinyin,
        characters=reader.text("characters"),
        english=reader.text("english"),
        classical_source=reader.text("classical_source"),
        pattern=reader.text("pattern"),
        indication=reader.text("indication"),
        source=_citation(reader),
        ingredients=tuple(ingredients),
        offers=tuple(offers),
        cautions=tuple(cautions),
        interactions=interactions,
    )


def _parse(raw: str, knowledge: Knowledge) -> Catalogue:
    try:
        table = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as error:
        raise KnowledgeError(FILE, "file", f"is not valid TOML: {error}") from None
    meta = table.get("meta")
    if not isinstance(meta, dict) or not all(
        isinstance(meta.get(k), str) for k in ("version", "licence")
    ):
        raise KnowledgeError(FILE, "[meta]", "needs 'version' and 'licence' strings")
    known = case_name_checker(knowledge)
    herbs = _load_herbs(table, known)
    condition_ids = frozenset(c.id for c in knowledge.conditions)
    items = table.get("formula")
    if not isinstance(items, list) or not items:
        raise KnowledgeError(FILE, "[[formula]]", "no entries")
    formulas: list[Formula] = []
    rule_ids: dict[str, str] = {}
    for index, item in enumerate(items, 1):
        ident = item.get("id") if isinstance(item, dict) else None
        reader = Table(item, FILE, f"formula #{index} '{ident}'", KnowledgeError)
        formula = _load_formula(reader, herbs, condition_ids, known)
        if any(f.id == formula.id for f in formulas):
            reader.fail(f"duplicate id '{formula.id}'")
        formulas.append(formula)
        for rule in formula.interactions:
            if rule_ids.setdefault(rule.id, formula.id) != formula.id:
                reader.fail(f"interaction id '{rule.id}' is already used")
    for herb in herbs.values():
        for rule in herb.interactions:
            if rule.id in rule_ids:
                raise KnowledgeError(
                    FILE, f"herb '{herb.id}'", f"interaction id '{rule.id}' is already used"
                )
    return Catalogue(str(meta["version"]), herbs, tuple(formulas))


_CACHE: dict[tuple[Path, str], Catalogue] = {}


def catalogue_path() -> Path:
    """herbs.toml in $WEIZHONG_KNOWLEDGE_DIR when that folder has one, else the bundled file."""
    folder = os.environ.get("WEIZHONG_KNOWLEDGE_DIR")
    if folder and (Path(folder) / FILE).is_file():
        return Path(folder) / FILE
    return DATA_DIR / FILE


def load_catalogue(path: Path | None = None, knowledge: Knowledge | None = None) -> Catalogue:
    """The validated catalogue at ``path`` (default: :func:`catalogue_path`), read once."""
    k = knowledge or load_knowledge()
    where = (path or catalogue_path()).resolve()
    key = (where, k.version)
    if key not in _CACHE:
        try:
            raw = where.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise KnowledgeError(FILE, "file", f"cannot be read ({error})") from None
        _CACHE[key] = _parse(raw, k)
    return _CACHE[key]


# ------------------------------------------------------------------------------ proposing


class HerbWarning(TypedDict):
    id: str
    formula: str
    herb: str
    severity: Severity
    status: Literal["applies", "not_recorded"]
    message: str
    source: str


class IngredientOut(TypedDict):
    herb: str
    pinyin: str
    characters: str
    latin: str
    dose_g: float
    classical: str
    note: str


class CautionOut(TypedDict):
    text: str
    source: str


class OfferedFormula(TypedDict):
    formula: str
    pinyin: str
    characters: str
    english: str
    classical_source: str
    why: str
    ingredients: list[IngredientOut]
    cautions: list[CautionOut]
    interactions_found: list[HerbWarning]


class WithheldFormula(TypedDict):
    formula: str
    pinyin: str
    why: str
    interactions_found: list[HerbWarning]


class HerbProposal(TypedDict):
    offered: list[OfferedFormula]
    withheld: list[WithheldFormula]
    warnings: list[HerbWarning]


def _leads(differential: Sequence[Mapping[str, Any]]) -> set[str]:
    leads = {str(e["condition"]) for e in differential if e["probability"] >= LEAD_PROBABILITY}
    if differential:
        leads.add(str(differential[0]["condition"]))
    return leads


def _fit(formula: Formula, case: Case, leads: set[str]) -> Offer | None:
    for offer in formula.offers:
        if offer.leads and offer.leads.isdisjoint(leads):
            continue
        if all(p.check(case.view) is True for p in offer.when):
            return offer
    return None


def _missing(predicate: Predicate, case: Case) -> list[str]:
    return [name for name in predicate.reads if case.view.get(name) is None]


def _check(formula: Formula, case: Case) -> list[HerbWarning]:
    found: list[HerbWarning] = []
    for rule, ingredient in formula.rules():
        result = True if rule.when is None else rule.when.check(case.view)
        if result is False:
            continue
        message = rule.message
        if ingredient is not None and rule.when is None:
            message += f" Typical dose in this formula: {ingredient.dose_g:g} g a day."
        if result is None:
            assert rule.when is not None
            missing = ", ".join(_missing(rule.when, case)) or "a fact this rule reads"
            message = f"Not recorded ({missing}): ask before offering. If it applies: {message}"
        found.append(
            HerbWarning(
                id=rule.id,
                formula=formula.id,
                herb=rule.owner,
                # An unrecorded fact cannot withhold a formula; it makes the clinician ask.
                severity=rule.severity if result is True else "warning",
                status="applies" if result is True else "not_recorded",
                message=message,
                source=rule.source,
            )
        )
    return found


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _ingredients(formula: Formula) -> list[IngredientOut]:
    return [
        IngredientOut(
            herb=i.herb.id,
            pinyin=i.herb.pinyin,
            characters=i.herb.characters,
            latin=i.herb.latin,
            dose_g=i.dose_g,
            classical=i.classical,
            note=i.note,
        )
        for i in formula.ingredients
    ]


def propose_herbs(
    case: Case,
    differential: Sequence[Mapping[str, Any]],
    *,
    red_flags: Sequence[Mapping[str, Any]] = (),
    catalogue: Catalogue | None = None,
) -> HerbProposal:
    """Formulas that fit this case, those withheld for this patient, and every warning.

    ``differential`` is ``assess(case)["differential"]``. Pass ``assess(case)["red_flags"]`` as
    ``red_flags``: while any red flag is raised, every fitting formula is withheld.
    """
    cat = catalogue or load_catalogue()
    leads = _leads(differential)
    proposal = HerbProposal(offered=[], withheld=[], warnings=[])
    for formula in cat.formulas:
        offer = _fit(formula, case, leads)
        if offer is None:
            continue
        found = _check(formula, case)
        proposal["warnings"].extend(found)
        avoid = [w for w in found if w["severity"] == "avoid"]
        if red_flags:
            names = ", ".join(str(f.get("name") or f.get("id")) for f in red_flags)
            why = f"Red flag raised ({names}): no herbal formula until it has been dealt with."
            proposal["withheld"].append(
                WithheldFormula(
                    formula=formula.id, pinyin=formula.pinyin, why=why, interactions_found=found
                )
            )
        elif avoid:
            reasons = " ".join(w["message"] for w in avoid)
            why = f"Withheld for this patient, though it fits the picture. {reasons} ({offer.why})"
            proposal["withheld"].append(
                WithheldFormula(
                    formula=formula.id, pinyin=formula.pinyin, why=why, interactions_found=found
                )
            )
        else:
            pattern = _lower_first(formula.pattern.rstrip("."))
            why = f"{offer.why} {OFFERED_NOT_FORCED.format(pattern=pattern)}"
            proposal["offered"].append(
                OfferedFormula(
                    formula=formula.id,
                    pinyin=formula.pinyin,
                    characters=formula.characters,
                    english=formula.english,
                    classical_source=formula.classical_source,
                    why=why,
                    ingredients=_ingredients(formula),
                    cautions=[CautionOut(text=c.text, source=c.source) for c in formula.cautions],
                    interactions_found=found,
                )
            )
    return proposal
