"""Herbal formulas the planner may offer, checked against the patient.

The catalogue lives in ``knowledge/data/herbs.toml``: formulas, their ingredients, the picture each
is offered for, and interaction rules written in the predicate language of the knowledge files.
It is read and validated once; a malformed entry raises :class:`KnowledgeError` naming the file,
the formula (or herb) and the problem.

A formula is offered, never prescribed: it is proposed only when it fits the differential, never
when a gate (a red flag, a patient under 18) or an ``avoid`` rule applies to this patient (it is
then listed as withheld, with the reason and the rule ids), and always with its warnings. A rule
that reads a fact the case does not record (age, pregnancy) is reported as "not recorded" so that
the clinician asks, and never read as clear.

The top-level ``warnings`` speak only of offered formulas, once per rule: a rule that applies to
two offered formulas is one warning naming both (``formulas``). Each herb's daily dose is added up
across the offered formulas (honey-fried licorice counts as licorice) and a total above the herb's
usual maximum is a warning that names the total.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

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
    "load_catalogue",
    "propose_herbs",
]

Severity = Literal["warning", "avoid"]
Known = Callable[[str, Value | None], None]

FILE = "herbs.toml"
SEVERITIES: tuple[Severity, ...] = ("warning", "avoid")
STRENGTHS = ("moderate", "strong")
# A condition leads the differential when it is first, or at least this likely.
LEAD_PROBABILITY = 0.5
OFFERED_NOT_FORCED = (
    "Offered, not prescribed: the herbalist confirms the TCM pattern ({pattern}) and decides, "
    "and the patient may decline."
)


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
    name: str
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
        groups.append(Group(ident, reader.text("name"), strengths, rules))
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


# ------------------------------------------------------------------------------ proposing


class HerbWarning(TypedDict):
    id: str
    formula: str  # the first formula it applies to; `formulas` lists all of them
    formulas: list[str]
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
    rules: list[str]  # ids of the gates or avoid rules that withheld it
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


def _names(ingredients: Sequence[Ingredient]) -> str:
    return ", ".join(i.herb.pinyin for i in ingredients)


def _check(formula: Formula, case: Case) -> list[HerbWarning]:
    found: list[HerbWarning] = []
    for rule, ingredient in formula.rules():
        result = rule.check(case)
        if result is False:
            continue
        message = rule.message
        if rule.group:
            message = message.replace("{herbs}", _names(formula.members(rule.group)))
        if ingredient is not None and rule.when is None:
            dose = formula.doses()[ingredient.herb.drug]
            message += f" Typical dose in this formula: {dose:g} g a day."
        if result is None:
            assert rule.when is not None
            missing = ", ".join(_missing(rule.when, case)) or "a fact this rule reads"
            message = f"Not recorded ({missing}): ask before offering. If it applies: {message}"
        found.append(
            HerbWarning(
                id=rule.id,
                formula=formula.id,
                formulas=[formula.id],
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


def _gates(
    cat: Catalogue, case: Case, red_flags: Sequence[Mapping[str, Any]]
) -> tuple[list[tuple[Gate, str]], list[Gate]]:
    """The gates that withhold every formula (with the message), and those not recorded."""
    hit: list[tuple[Gate, str]] = []
    ask: list[Gate] = []
    for gate in cat.gates:
        if gate.on_red_flag:
            if red_flags:
                names = ", ".join(str(f.get("name") or f.get("id")) for f in red_flags)
                hit.append((gate, gate.message.replace("{flags}", names)))
            continue
        assert gate.when is not None
        result = gate.when.check(case.view)
        if result is True:
            hit.append((gate, gate.message))
        elif result is None:
            ask.append(gate)
    return hit, ask


def _copy(warning: HerbWarning) -> HerbWarning:
    return HerbWarning(
        id=warning["id"],
        formula=warning["formula"],
        formulas=list(warning["formulas"]),
        herb=warning["herb"],
        severity=warning["severity"],
        status=warning["status"],
        message=warning["message"],
        source=warning["source"],
    )


def _merge(
    offered: Sequence[OfferedFormula], cat: Catalogue, by_id: Mapping[str, Formula]
) -> list[HerbWarning]:
    """One warning per rule over the offered formulas, naming every formula it applies to."""
    merged: dict[str, HerbWarning] = {}
    for entry in offered:
        for warning in entry["interactions_found"]:
            first = merged.get(warning["id"])
            if first is None:
                merged[warning["id"]] = _copy(warning)
            elif entry["formula"] not in first["formulas"]:
                first["formulas"].append(entry["formula"])
    for warning in merged.values():
        if len(warning["formulas"]) < 2:
            continue
        formulas = [by_id[f] for f in warning["formulas"]]
        names = " and ".join(f.pinyin for f in formulas)
        rule = cat.rule(warning["id"])
        herb = next(
            (h for h in cat.herbs.values() if rule is not None and h.pinyin == rule.owner), None
        )
        if rule is not None and herb is not None and rule.when is None:
            doses = [(f.pinyin, f.doses().get(herb.drug, 0.0)) for f in formulas]
            parts = " + ".join(f"{dose:g} g ({name})" for name, dose in doses)
            total = sum(dose for _, dose in doses)
            base = rule.message
            warning["message"] = (
                f"{base} In the offered formulas together: {parts} = {total:g} g a day."
            )
        else:
            warning["message"] = f"{names}: {warning['message']}"
    return list(merged.values())


def _dose_totals(
    offered: Sequence[OfferedFormula], cat: Catalogue, by_id: Mapping[str, Formula]
) -> list[HerbWarning]:
    """A warning for each herb whose summed daily dose over the offered formulas is too high."""
    rule = cat.dose_rule
    if rule is None:
        return []
    totals: dict[str, list[tuple[Formula, float]]] = {}
    for entry in offered:
        formula = by_id[entry["formula"]]
        for drug, dose in formula.doses().items():
            totals.setdefault(drug, []).append((formula, dose))
    out: list[HerbWarning] = []
    for drug, parts in totals.items():
        herb = cat.herbs[drug]
        total = sum(dose for _, dose in parts)
        if total <= herb.max_daily_g:
            continue
        named = " + ".join(f"{dose:g} g ({f.pinyin})" for f, dose in parts)
        out.append(
            HerbWarning(
                id=rule.id,
                formula=parts[0][0].id,
                formulas=[f.id for f, _ in parts],
                herb=herb.pinyin,
                severity="warning",
                status="applies",
                message=rule.message.format(
                    herb=herb.pinyin, parts=named, total=total, limit=herb.max_daily_g
                ),
                source=herb.limit_source,
            )
        )
    return out


def propose_herbs(
    case: Case,
    differential: Sequence[Mapping[str, Any]],
    *,
    red_flags: Sequence[Mapping[str, Any]] = (),
    catalogue: Catalogue | None = None,
) -> HerbProposal:
    """Formulas that fit this case, those withheld for this patient, and every warning.

    ``differential`` is ``assess(case)["differential"]``. Pass ``assess(case)["red_flags"]`` as
    ``red_flags``: while any red flag is raised, every fitting formula is withheld. A patient under
    18 gets no formula either (gate ``herbs_withheld_under_18``).
    """
    cat = catalogue or load_catalogue()
    leads = _leads(differential)
    hit, ask = _gates(cat, case, red_flags)
    proposal = HerbProposal(offered=[], withheld=[], warnings=[])
    by_id = {f.id: f for f in cat.formulas}
    for formula in cat.formulas:
        offer = _fit(formula, case, leads)
        if offer is None:
            continue
        found = _check(formula, case)
        avoid = [w for w in found if w["severity"] == "avoid"]
        if hit:
            proposal["withheld"].append(
                WithheldFormula(
                    formula=formula.id,
                    pinyin=formula.pinyin,
                    why=" ".join(message for _, message in hit),
                    rules=[gate.id for gate, _ in hit],
                    interactions_found=found,
                )
            )
        elif avoid:
            reasons = " ".join(w["message"] for w in avoid)
            why = f"Withheld for this patient, though it fits the picture. {reasons} ({offer.why})"
            proposal["withheld"].append(
                WithheldFormula(
                    formula=formula.id,
                    pinyin=formula.pinyin,
                    why=why,
                    rules=[w["id"] for w in avoid],
                    interactions_found=found,
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
    offered = proposal["offered"]
    if not offered:
        return proposal
    ids = [o["formula"] for o in offered]
    for gate in ask:
        assert gate.when is not None
        missing = ", ".join(_missing(gate.when, case)) or "a fact this rule reads"
        proposal["warnings"].append(
            HerbWarning(
                id=gate.id,
                formula=ids[0],
                formulas=list(ids),
                herb="",
                severity="warning",
                status="not_recorded",
                message=f"Not recorded ({missing}): ask before offering. If it applies: "
                f"{gate.message}",
                source=gate.source,
            )
        )
    proposal["warnings"].extend(_merge(offered, cat, by_id))
    proposal["warnings"].extend(_dose_totals(offered, cat, by_id))
    return proposal
