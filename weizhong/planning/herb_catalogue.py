"""The herbal catalogue (``knowledge/data/herbs.toml``) read into frozen records: formulas, their
ingredients, the picture each is offered for, and interaction rules written in the predicate
language of the knowledge files. It is read and validated once; a malformed entry raises
:class:`KnowledgeError` naming the file, the formula (or herb) and the problem."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from weizhong.case import Case
from weizhong.knowledge import Knowledge, KnowledgeError, load_knowledge
from weizhong.knowledge.hazards import hazard_ids
from weizhong.knowledge.loader import case_name_checker
from weizhong.knowledge.predicates import Predicate, PredicateError, Value, compile_predicate
from weizhong.knowledge.registry import knowledge_path
from weizhong.knowledge.tables import Table

__all__ = [
    "Catalogue",
    "Formula",
    "Gate",
    "Herb",
    "Interaction",
    "catalogue_path",
    "load_catalogue",
]

Severity = Literal["warning", "avoid"]
Known = Callable[[str, Value | None], None]

FILE = "herbs.toml"
SEVERITIES: tuple[Severity, ...] = ("warning", "avoid")
STRENGTHS = ("moderate", "strong")


# ------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class Interaction:
    """A check against the patient. ``when`` None and no medicine count: it always applies.

    A group rule (``group`` set) applies to a formula holding a member of the group, limited by
    ``strengths`` to formulas whose strongest member has one of them; ``medicines_at_least`` > 0
    counts the patient's medicines in ``medicine_classes``.
    """

    id: str
    owner: str  # pinyin of the herb the rule belongs to; "" for a formula or group rule
    severity: Severity
    when: Predicate | None
    message: str
    source: str
    group: str = ""
    strengths: frozenset[str] = frozenset()
    medicines_at_least: int = 0
    medicine_classes: frozenset[str] = frozenset()

    def check(self, case: Case) -> bool | None:
        if self.medicines_at_least:
            count = sum(1 for m in case.medications if self.medicine_classes & set(m.classes))
            return count >= self.medicines_at_least
        return True if self.when is None else self.when.check(case.view)


@dataclass(frozen=True)
class Herb:
    id: str
    pinyin: str
    characters: str
    latin: str
    interactions: tuple[Interaction, ...]
    max_daily_g: float
    limit_source: str
    same_as: str = ""  # the crude drug this is a processed form of ("" = itself)

    @property
    def drug(self) -> str:
        """The id its daily dose is added up under (honey-fried licorice counts as licorice)."""
        return self.same_as or self.id


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
class Group:
    """Herbs sharing an action, each with a strength, and the rules for a formula holding one."""

    id: str
    strengths: Mapping[str, str]  # herb id -> "moderate" | "strong"
    interactions: tuple[Interaction, ...]


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
    # (group, its members in this formula, the strongest member's strength)
    groups: tuple[tuple[Group, tuple[Ingredient, ...], str], ...] = ()

    def rules(self) -> list[tuple[Interaction, Ingredient | None]]:
        """Every rule that applies to this formula, with the ingredient it comes from."""
        out: list[tuple[Interaction, Ingredient | None]] = [(r, None) for r in self.interactions]
        seen = {r.id for r in self.interactions}
        for ingredient in self.ingredients:
            for rule in ingredient.herb.interactions:
                if rule.id not in seen:
                    seen.add(rule.id)
                    out.append((rule, ingredient))
        for group, _members, strongest in self.groups:
            for rule in group.interactions:
                if rule.strengths and strongest not in rule.strengths:
                    continue
                if rule.id not in seen:
                    seen.add(rule.id)
                    out.append((rule, None))
        return out

    def members(self, group_id: str) -> tuple[Ingredient, ...]:
        return next((m for g, m, _ in self.groups if g.id == group_id), ())

    def doses(self) -> dict[str, float]:
        """Grams a day of each crude drug in the formula (processed forms added to their drug)."""
        out: dict[str, float] = {}
        for ingredient in self.ingredients:
            drug = ingredient.herb.drug
            out[drug] = out.get(drug, 0.0) + ingredient.dose_g
        return out


@dataclass(frozen=True)
class Gate:
    """A rule that withholds every fitting formula: a red flag, or a predicate on the patient."""

    id: str
    on_red_flag: bool
    when: Predicate | None
    hazards: tuple[str, ...]
    message: str
    source: str


@dataclass(frozen=True)
class DoseRule:
    id: str
    hazards: tuple[str, ...]
    message: str
    source: str


@dataclass(frozen=True)
class Catalogue:
    version: str
    herbs: Mapping[str, Herb]
    formulas: tuple[Formula, ...]
    gates: tuple[Gate, ...] = ()
    groups: tuple[Group, ...] = ()
    dose_rule: DoseRule | None = None

    def rule(self, ident: str) -> Interaction | None:
        for formula in self.formulas:
            for rule, _ in formula.rules():
                if rule.id == ident:
                    return rule
        return None


# ------------------------------------------------------------------------------ loading


def _citation(reader: Table) -> str:
    return reader.citation().text()


def _interaction(reader: Table, owner: str, known: Known, *, group: str = "") -> Interaction:
    keys = ["id", "when", "always", "severity", "message", "source", "estimate", "rationale"]
    if group:
        keys += ["strength", "medicines_at_least", "medicine_classes"]
    reader.only(keys)
    ident = reader.text("id")
    reader.where = f"{reader.where} '{ident}'"
    severity = reader.choice("severity", SEVERITIES)
    always = reader.opt_flag("always", False)
    text = reader.opt_text("when")
    at_least = reader.opt_integer("medicines_at_least") or 0
    classes = frozenset(reader.opt_texts("medicine_classes"))
    if (at_least > 0) != bool(classes):
        reader.fail("'medicines_at_least' and 'medicine_classes' go together")
    for name in classes:
        try:
            known("medications", name)
        except PredicateError as error:
            reader.fail(f"'medicine_classes': {error}")
    if [always, text is not None, at_least > 0].count(True) != 1:
        reader.fail(
            "give either 'when' (a predicate on the patient) or 'always = true'"
            + (" or 'medicines_at_least'" if group else "")
        )
    strengths = frozenset(reader.opt_texts("strength"))
    if bad := sorted(strengths - set(STRENGTHS)):
        reader.fail(f"'strength' must be among {', '.join(STRENGTHS)}, not {', '.join(bad)}")
    when = None
    if text is not None:
        try:
            when = compile_predicate(text, known)
        except PredicateError as error:
            reader.fail(f"'when': {error}")
    return Interaction(
        ident,
        owner,
        severity,
        when,
        reader.text("message"),
        _citation(reader),
        group=group,
        strengths=strengths,
        medicines_at_least=at_least,
        medicine_classes=classes,
    )


def _has_tone_marks(pinyin: str) -> bool:
    return any(not ch.isascii() for ch in pinyin)


def _load_herbs(table: dict[str, Any], known: Known, limit_source: str) -> dict[str, Herb]:
    items = table.get("herb")
    if not isinstance(items, list) or not items:
        raise KnowledgeError(FILE, "[[herb]]", "no entries")
    readers: dict[str, Table] = {}
    for index, item in enumerate(items, 1):
        ident = item.get("id") if isinstance(item, dict) else None
        reader = Table(item, FILE, f"herb #{index} '{ident}'", KnowledgeError)
        reader.only(
            (
                *("id", "pinyin", "characters", "latin", "interaction", "same_as"),
                *("max_daily_g", "max_daily_source"),
            )
        )
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
        limit = reader.number("max_daily_g")
        if limit <= 0:
            reader.fail("'max_daily_g' must be a positive number of grams a day")
        source = reader.opt_text("max_daily_source") or limit_source
        herbs[ident] = Herb(
            ident,
            pinyin,
            reader.text("characters"),
            reader.text("latin"),
            rules,
            float(limit),
            source,
        )
    for ident, reader in readers.items():  # a processed form shares its crude drug's rules
        same_as = reader.opt_text("same_as")
        if same_as is None:
            continue
        if same_as not in herbs or same_as == ident or readers[same_as].has("same_as"):
            reader.fail(f"'same_as' must name another crude herb; '{same_as}' is not one")
        herb = herbs[ident]
        shared = herb.interactions + herbs[same_as].interactions
        herbs[ident] = Herb(
            herb.id,
            herb.pinyin,
            herb.characters,
            herb.latin,
            shared,
            herbs[same_as].max_daily_g,
            herbs[same_as].limit_source,
            same_as,
        )
    return herbs


def _load_groups(table: dict[str, Any], herbs: Mapping[str, Herb], known: Known) -> list[Group]:
    groups: list[Group] = []
    items = table.get("group", [])
    if not isinstance(items, list):
        raise KnowledgeError(FILE, "[[group]]", "must be an array of tables")
    for index, item in enumerate(items, 1):
        ident = item.get("id") if isinstance(item, dict) else None
        reader = Table(item, FILE, f"group #{index} '{ident}'", KnowledgeError)
        reader.only(("id", "name", "members", "interaction", "source", "estimate", "rationale"))
        ident = reader.text("id")
        _citation(reader)
        strengths: dict[str, str] = {}
        members = reader.data.get("members")
        if not isinstance(members, list) or not members:
            reader.fail("needs 'members', a list of {herb, strength}")
        for n, raw in enumerate(members, 1):
            member = reader.child(raw, f"{reader.where} member #{n}")
            member.only(("herb", "strength"))
            herb = member.text("herb")
            if herb not in herbs:
                member.fail(f"herb '{herb}' is not in the [[herb]] list")
            strengths[herb] = member.choice("strength", STRENGTHS)
        rules = tuple(
            _interaction(
                r.child(r.data, f"{reader.where} interaction #{n}"), "", known, group=ident
            )
            for n, r in enumerate(reader.opt_tables("interaction"), 1)
        )
        reader.text("name")  # required: it names the group for whoever edits the file
        groups.append(Group(ident, strengths, rules))
    return groups


def _load_gates(table: dict[str, Any], known: Known) -> list[Gate]:
    gates: list[Gate] = []
    items = table.get("gate", [])
    if not isinstance(items, list):
        raise KnowledgeError(FILE, "[[gate]]", "must be an array of tables")
    for index, item in enumerate(items, 1):
        ident = item.get("id") if isinstance(item, dict) else None
        reader = Table(item, FILE, f"gate #{index} '{ident}'", KnowledgeError)
        reader.only(
            (
                *("id", "on_red_flag", "when", "hazards", "message"),
                *("source", "estimate", "rationale"),
            )
        )
        on_red_flag = reader.opt_flag("on_red_flag", False)
        text = reader.opt_text("when")
        if on_red_flag == (text is not None):
            reader.fail("give either 'on_red_flag = true' or 'when' (a predicate on the patient)")
        when = None
        if text is not None:
            try:
                when = compile_predicate(text, known)
            except PredicateError as error:
                reader.fail(f"'when': {error}")
        gates.append(
            Gate(
                reader.text("id"),
                on_red_flag,
                when,
                hazard_ids(reader),
                reader.text("message"),
                _citation(reader),
            )
        )
    return gates


def _load_formula(
    reader: Table,
    herbs: Mapping[str, Herb],
    condition_ids: frozenset[str],
    known: Known,
    groups: Sequence[Group],
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
    memberships = []
    for group in groups:
        members = tuple(i for i in ingredients if i.herb.id in group.strengths)
        if members:
            strongest = max((group.strengths[m.herb.id] for m in members), key=STRENGTHS.index)
            memberships.append((group, members, strongest))
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
        groups=tuple(memberships),
    )


def _dose_rule(table: dict[str, Any]) -> tuple[DoseRule, str]:
    raw = table.get("daily_limits")
    reader = Table(raw, FILE, "[daily_limits]", KnowledgeError)
    reader.only(("id", "hazards", "message", "source", "estimate", "rationale"))
    source = _citation(reader)
    message = reader.text("message")
    try:
        message.format(herb="", parts="", total=1.0, limit=1.0)
    except (KeyError, IndexError, ValueError) as error:
        reader.fail(f"'message' may use only {{herb}}, {{parts}}, {{total}}, {{limit}} ({error})")
    return DoseRule(reader.text("id"), hazard_ids(reader), message, source), source


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
    dose_rule, limit_source = _dose_rule(table)
    herbs = _load_herbs(table, known, limit_source)
    groups = _load_groups(table, herbs, known)
    gates = _load_gates(table, known)
    condition_ids = frozenset(c.id for c in knowledge.conditions)
    items = table.get("formula")
    if not isinstance(items, list) or not items:
        raise KnowledgeError(FILE, "[[formula]]", "no entries")
    formulas: list[Formula] = []
    rule_ids: dict[str, str] = {g.id: "gate" for g in gates}
    rule_ids[dose_rule.id] = "daily_limits"
    for group in groups:
        for rule in group.interactions:
            if rule_ids.setdefault(rule.id, f"group {group.id}") != f"group {group.id}":
                raise KnowledgeError(
                    FILE, f"group '{group.id}'", f"interaction id '{rule.id}' is already used"
                )
    for index, item in enumerate(items, 1):
        ident = item.get("id") if isinstance(item, dict) else None
        reader = Table(item, FILE, f"formula #{index} '{ident}'", KnowledgeError)
        formula = _load_formula(reader, herbs, condition_ids, known, groups)
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
    return Catalogue(
        str(meta["version"]), herbs, tuple(formulas), tuple(gates), tuple(groups), dose_rule
    )


_CACHE: dict[tuple[Path, str], Catalogue] = {}


def catalogue_path() -> Path:
    """herbs.toml where the knowledge registry finds it (a clinic's copy, else the bundled one)."""
    return knowledge_path(FILE)


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
