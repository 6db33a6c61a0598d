"""Read the TOML knowledge files into frozen records, failing loudly on anything malformed.

Every error names the file, the entry and the problem, so that whoever edits a data file can fix
it without reading this code.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Collection
from functools import cache
from pathlib import Path
from typing import Any

from weizhong.errors import KnowledgeError
from weizhong.knowledge.predicates import (
    Predicate,
    PredicateError,
    Value,
    combine,
    compile_predicate,
)
from weizhong.knowledge.records import (
    SIDES,
    URGENCIES,
    Citation,
    ConditionDef,
    Criterion,
    EvidenceDef,
    EvidenceVariant,
    Exclusion,
    FindingDef,
    FitRules,
    Knowledge,
    ManipulationRule,
    Medication,
    OutsidePopulation,
    Population,
    RedFlagAsk,
    RedFlagDef,
    RedFlagRule,
    RedFlagScreen,
    RequiredPain,
    RulePopulation,
    Vocabulary,
)
from weizhong.knowledge.registry import BUNDLED_DIR, configuration, knowledge_path
from weizhong.knowledge.tables import Table

__all__ = ["DATA_DIR", "KnowledgeError", "case_name_checker", "load_knowledge", "name_checker"]

DATA_DIR = BUNDLED_DIR  # the bundled knowledge folder
FILES = ("findings", "conditions", "evidence", "red_flags", "triage", "medications")
# Parsed by weizhong.reasoning.instruments; read here only so that a change to the scoring rules
# changes the knowledge version too.
VERSIONED_ONLY = ("instruments", "prescription", "safety", "herbs", "exercises")
FINDING_TYPES = ("bool", "int", "number", "enum", "regions", "levels", "muscles", "int_list")

RawTable = dict[str, Any]


def _read_file(name: str, path: Path) -> tuple[RawTable, bytes]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise KnowledgeError(f"{name}.toml", "file", f"cannot be read ({error.strerror})") from None
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"{name}.toml", "file", f"is not valid TOML: {error}") from None
    meta = table.get("meta")
    if not isinstance(meta, dict) or not all(
        isinstance(meta.get(k), str) for k in ("version", "licence")
    ):
        raise KnowledgeError(f"{name}.toml", "[meta]", "needs 'version' and 'licence' strings")
    return table, raw


def _entries(file: str, table: RawTable, key: str) -> list[tuple[Table, str]]:
    items = table.get(key)
    if not isinstance(items, list) or not items:
        raise KnowledgeError(file, f"[[{key}]]", "no entries")
    out: list[tuple[Table, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(items, 1):
        ident = item.get("id") if isinstance(item, dict) else None
        label = f"{key} #{index}" + (f" '{ident}'" if isinstance(ident, str) else "")
        if not isinstance(ident, str) or not ident:
            raise KnowledgeError(file, label, "needs an 'id'")
        if ident in seen:
            raise KnowledgeError(file, label, f"duplicate id '{ident}'")
        seen.add(ident)
        out.append((Table(item, file, label, KnowledgeError), ident))
    return out


def _section(table: RawTable, file: str, name: str) -> Table:
    """A required top-level [name] table of a knowledge file, as a reader."""
    raw = table.get(name)
    if not isinstance(raw, dict):
        raise KnowledgeError(file, f"[{name}]", "missing")
    return Table(raw, file, f"[{name}]", KnowledgeError)


def _load_findings(table: RawTable) -> tuple[dict[str, FindingDef], Vocabulary]:
    file = "findings.toml"
    vocab_reader = _section(table, file, "vocabulary")
    midline = vocab_reader.opt_texts("regions_midline")
    sided = vocab_reader.opt_texts("regions_sided")
    vocabulary = Vocabulary(
        regions=frozenset(midline) | {f"{r}_{s}" for r in sided for s in SIDES},
        muscles=frozenset(f"{m}_{s}" for m in vocab_reader.opt_texts("muscles") for s in SIDES),
        devices=vocab_reader.opt_texts("devices"),
        conditions=vocab_reader.opt_texts("conditions"),
        sexes=vocab_reader.opt_texts("sexes"),
    )
    findings: dict[str, FindingDef] = {}
    for reader, template in _entries(file, table, "finding"):
        kind = reader.text("type")
        if kind not in FINDING_TYPES:
            reader.fail(f"type '{kind}' is not one of {', '.join(FINDING_TYPES)}")
        minimum, maximum = _opt_float(reader, "min"), _opt_float(reader, "max")
        if kind in ("int", "number") and (minimum is None or maximum is None or minimum >= maximum):
            reader.fail("an int or number finding needs 'min' < 'max'")
        values = reader.opt_texts("values")
        if kind == "enum" and len(values) < 2:
            reader.fail("an enum finding needs at least two 'values'")
        levels = reader.opt_texts("levels")
        if kind == "levels" and not levels:
            reader.fail("a levels finding needs 'levels'")
        length = reader.data.get("length")
        if kind == "int_list" and not (isinstance(length, int) and length > 0):
            reader.fail("an int_list finding needs a positive 'length'")
        sides: tuple[str | None, ...] = SIDES if "{side}" in template else (None,)
        for side in sides:
            concrete = template.replace("{side}", side) if side else template
            findings[concrete] = FindingDef(
                id=concrete,
                template=template,
                type=kind,
                section=reader.text("section"),
                label=reader.text("label"),
                side=side,
                minimum=minimum,
                maximum=maximum,
                values=values,
                levels=levels,
                length=length if isinstance(length, int) else None,
                howto=reader.opt_text("howto") or "",
                added=reader.opt_text("added") or "",
            )
    return findings, vocabulary


def name_checker(
    findings: dict[str, FindingDef], vocabulary: Vocabulary, medication_classes: dict[str, str]
) -> Callable[[str, Value | None], None]:
    """Build the validator that rule predicates use for names and literal values."""

    def known(name: str, literal: Value | None) -> None:
        allowed: Collection[str] | None
        if name in findings:
            finding = findings[name]
            kind = finding.type
            if kind == "bool":
                if literal not in (True, False):
                    raise PredicateError(f"'{name}' is true or false, not {literal!r}")
                return
            if kind in ("int", "number"):
                if isinstance(literal, bool) or not isinstance(literal, int | float):
                    raise PredicateError(f"'{name}' is compared with numbers, not {literal!r}")
                return
            allowed = {
                "enum": finding.values,
                "regions": vocabulary.regions,
                "levels": finding.level_ids,
                "muscles": vocabulary.muscles,
            }.get(kind)
        elif name == "age":
            if isinstance(literal, bool) or not isinstance(literal, int | float):
                raise PredicateError(f"'age' is compared with numbers, not {literal!r}")
            return
        elif name == "pregnant":
            return
        elif name == "sex":
            allowed = vocabulary.sexes
        elif name == "conditions":
            allowed = vocabulary.conditions
        elif name == "devices":
            allowed = vocabulary.devices
        elif name == "medications":
            allowed = tuple(medication_classes)
        else:
            raise PredicateError(f"unknown finding or patient field '{name}'")
        if allowed is None or (literal is not True and literal not in allowed):
            if literal is True:
                return  # "pain_regions" alone: examined and not empty
            raise PredicateError(f"'{literal}' is not a value of '{name}'")

    return known


def _opt_float(reader: Table, key: str) -> float | None:
    """An optional number as a float, as the knowledge records hold them."""
    value = reader.opt_number(key)
    return None if value is None else float(value)


def _predicates(
    reader: Table, key: str, known: Callable[[str, Value | None], None], side: str | None
) -> tuple[Predicate, ...]:
    out = []
    for text in reader.opt_texts(key):
        if side is None and "{side}" in text:
            reader.fail(f"'{key}' uses {{side}} but the entry is not sided")
        try:
            out.append(compile_predicate(text.replace("{side}", side or ""), known))
        except PredicateError as error:
            reader.fail(f"'{key}': {error}")
    return tuple(out)


def _load_conditions(
    table: RawTable, known: Callable[[str, Value | None], None], vocabulary: Vocabulary
) -> tuple[ConditionDef, ...]:
    file = "conditions.toml"
    back = _back_pain_label(table, known, vocabulary)
    conditions = []
    for reader, ident in _entries(file, table, "condition"):
        computed = reader.opt_text("computed") or ""
        prior = _opt_float(reader, "prior")
        if computed:
            if computed != "none_of_the_others":
                reader.fail("'computed' can only be 'none_of_the_others'")
            citation = Citation(
                source="computed: chance that none of the specific conditions is present"
            )
        else:
            if prior is None or not 0.0 < prior < 1.0:
                reader.fail("'prior' must be a probability strictly between 0 and 1")
            citation = reader.citation()
        regions = _regions(reader, "regions", vocabulary)
        if not regions:
            reader.fail("needs 'regions': the body-chart regions this condition explains")
        claims_back_pain = reader.opt_flag("label_claims_back_pain", False)
        conditions.append(
            ConditionDef(
                ident,
                reader.text("name"),
                reader.text("summary"),
                prior,
                citation,
                computed,
                back if claims_back_pain else None,
                regions,
            )
        )
    return tuple(conditions)


def _regions(reader: Table, key: str, vocabulary: Vocabulary) -> frozenset[str]:
    """Region names as written (``posterior_thigh`` stands for both sides) as concrete ids."""
    out: set[str] = set()
    for name in reader.opt_texts(key):
        concrete = {name} if name in vocabulary.regions else {f"{name}_{s}" for s in SIDES}
        if not concrete <= vocabulary.regions:
            reader.fail(f"'{key}': '{name}' is not a body-chart region")
        out |= concrete
    return frozenset(out)


def _back_pain_label(
    table: RawTable, known: Callable[[str, Value | None], None], vocabulary: Vocabulary
) -> RequiredPain:
    file = "conditions.toml"
    reader = _section(table, file, "back_pain_label")
    regions = sorted(_regions(reader, "regions", vocabulary))
    if not regions:
        reader.fail("needs 'regions'")
    cap = reader.number("cap")
    if not 0.0 < cap < 1.0:
        reader.fail("'cap' must be a probability strictly between 0 and 1")
    reader.citation()  # the cap is a number: it needs a source or an estimate's rationale
    try:
        predicate = compile_predicate(f"pain_regions has_any [{', '.join(regions)}]", known)
    except PredicateError as error:
        reader.fail(str(error))
    return RequiredPain(
        predicate, float(cap), reader.text("reason"), reader.text("id"), frozenset(regions)
    )


def _load_fit(table: RawTable, known: Callable[[str, Value | None], None]) -> FitRules:
    file = "conditions.toml"
    reader = _section(table, file, "fit")
    ratio = reader.number("min_odds_ratio")
    if ratio <= 1.0:
        reader.fail("'min_odds_ratio' must be above 1")
    citation = reader.citation()
    unexplained = []
    for rule in reader.numbered("unexplained", "unexplained feature"):
        try:
            predicate = compile_predicate(rule.text("when"), known)
        except PredicateError as error:
            rule.fail(f"'when': {error}")
        unexplained.append((rule.text("id"), predicate, rule.text("suggests")))
    minimum = reader.number("min_probability")
    if not 0.0 <= minimum < 1.0:
        reader.fail("'min_probability' must lie in [0, 1)")
    return FitRules(
        float(ratio),
        tuple(unexplained),
        citation.text(),
        float(minimum),
        _population(reader),
        reader.text("outside_population_suggests"),
    )


def _population(reader: Table) -> Population:
    raw = reader.opt_table("population")
    if raw is None:
        reader.fail(
            "needs 'population = {age = [low, high], setting = \"...\"}': who the figures "
            "come from (for an estimate: the patients it was made for)"
        )
    raw.only(("age", "setting"))
    ages = raw.integers("age")
    if len(ages) != 2 or not 0 <= ages[0] < ages[1] <= 120:
        raw.fail("'age' must be [low, high] with 0 <= low < high <= 120")
    return Population(float(ages[0]), float(ages[1]), raw.text("setting"))


def _outside_population(table: RawTable) -> OutsidePopulation:
    raw = table.get("population")
    if not isinstance(raw, dict):
        raise KnowledgeError("evidence.toml", "[population]", "missing")
    reader = Table(raw, "evidence.toml", "[population]", KnowledgeError)
    weight = reader.number("outside_weight")
    if not 0.0 <= weight < 1.0:
        reader.fail("'outside_weight' must lie in [0, 1)")
    citation = reader.citation()
    return OutsidePopulation(float(weight), reader.text("id"), citation.text())


def _likelihood_ratios(reader: Table) -> tuple[float, float, float | None, float | None]:
    """Return LR+, LR−, Se, Sp (Se/Sp None when the entry is a one-sided risk factor)."""
    se, sp = _opt_float(reader, "sensitivity"), _opt_float(reader, "specificity")
    lr_pos, lr_neg = _opt_float(reader, "lr_positive"), _opt_float(reader, "lr_negative")
    if se is not None or sp is not None:
        if se is None or sp is None or lr_pos is not None or lr_neg is not None:
            reader.fail(
                "give 'sensitivity' with 'specificity', or 'lr_positive' with "
                "'lr_negative', not a mix"
            )
        if not (0.0 < se < 1.0 and 0.0 < sp < 1.0):
            reader.fail("sensitivity and specificity must lie strictly between 0 and 1")
        return se / (1.0 - sp), (1.0 - se) / sp, se, sp
    if lr_pos is None or lr_neg is None or lr_pos <= 0 or lr_neg <= 0:
        reader.fail(
            "needs 'sensitivity' and 'specificity', or positive 'lr_positive' and 'lr_negative'"
        )
    if lr_neg == 1.0:
        return lr_pos, lr_neg, None, None
    if (lr_pos - 1.0) * (lr_neg - 1.0) >= 0:
        reader.fail(
            f"lr_positive {lr_pos} and lr_negative {lr_neg} must lie on opposite "
            "sides of 1 (or lr_negative = 1.0 for a risk factor)"
        )
    spec = (lr_pos - 1.0) / (lr_pos - lr_neg)
    sens = 1.0 - lr_neg * spec
    if not (0.0 < sens < 1.0 and 0.0 < spec < 1.0):
        reader.fail(
            f"lr_positive {lr_pos} with lr_negative {lr_neg} implies sensitivity "
            f"{sens:.2f} and specificity {spec:.2f}, which is impossible"
        )
    return lr_pos, lr_neg, sens, spec


def _load_evidence(
    table: RawTable,
    condition_ids: set[str],
    known: Callable[[str, Value | None], None],
    findings: dict[str, FindingDef],
) -> tuple[EvidenceDef, ...]:
    out = []
    for reader, ident in _entries("evidence.toml", table, "evidence"):
        condition = reader.text("condition")
        if condition not in condition_ids:
            reader.fail(f"condition '{condition}' is not in conditions.toml")
        if not reader.opt_texts("when"):
            reader.fail("needs at least one 'when' predicate")
        lr_pos, lr_neg, se, sp = _likelihood_ratios(reader)
        texts = reader.opt_texts("when") + reader.opt_texts("given")
        sides: tuple[str | None, ...] = SIDES if any("{side}" in t for t in texts) else (None,)
        variants = []
        for side in sides:
            given = _predicates(reader, "given", known, side)
            when = _predicates(reader, "when", known, side)
            reads = tuple(dict.fromkeys(r for p in when for r in p.reads if r in findings))
            given_reads = tuple(dict.fromkeys(r for p in given for r in p.reads if r in findings))
            variants.append(
                EvidenceVariant(
                    side, given, when, reads, given_reads, combine(given), combine(when)
                )
            )
        group = reader.data.get("group")
        if group is not None and not isinstance(group, str):
            reader.fail("'group' must be a string")
        out.append(
            EvidenceDef(
                ident,
                condition,
                reader.text("label"),
                lr_pos,
                lr_neg,
                se,
                sp,
                group,
                reader.citation(),
                tuple(variants),
                f"{condition}/{group}" if group else f"{condition}/#{ident}",
                _population(reader),
            )
        )
    return tuple(out)


_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _load_red_flags(
    table: RawTable, known: Callable[[str, Value | None], None], findings: dict[str, FindingDef]
) -> tuple[tuple[RedFlagDef, ...], RedFlagScreen]:
    file = "red_flags.toml"
    flags = []
    rule_ids: set[str] = set()
    # Words that would make a patient's handout speak about the patient instead of to them.
    wording = Table(table.get("patient_wording"), file, "[patient_wording]", KnowledgeError)
    clinician_words = tuple(w.lower() for w in wording.texts("refuse"))
    for reader, ident in _entries(file, table, "red_flag"):
        rules = []
        for rule_reader in reader.numbered("rule", "rule"):
            rule_id = rule_reader.text("id")
            if not _SNAKE_CASE.match(rule_id):
                rule_reader.fail(f"rule id '{rule_id}' must be snake_case")
            if rule_id in rule_ids:
                rule_reader.fail(f"duplicate rule id '{rule_id}' (rule ids are unique in the file)")
            rule_ids.add(rule_id)
            rule_reader.where = f"{rule_reader.where} '{rule_id}'"
            urgency = rule_reader.text("urgency")
            if urgency not in URGENCIES:
                rule_reader.fail(f"urgency '{urgency}' is not one of {', '.join(URGENCIES)}")
            all_ = _predicates(rule_reader, "all", known, None)
            any_ = _predicates(rule_reader, "any", known, None)
            of = _predicates(rule_reader, "of", known, None)
            at_least = rule_reader.opt_integer("at_least") or 0
            if of and not 1 <= at_least <= len(of):
                rule_reader.fail("'at_least' must be between 1 and the length of 'of'")
            if not (all_ or any_ or of):
                rule_reader.fail("needs 'all', 'any' or 'of' predicates")
            reads = tuple(
                dict.fromkeys(
                    name for p in all_ + any_ + of for name in p.reads if name in findings
                )
            )
            rules.append(
                RedFlagRule(
                    rule_id,
                    urgency,
                    all_,
                    any_,
                    of,
                    at_least if of else 0,
                    rule_reader.text("action"),
                    rule_reader.citation().text(),
                    reads,
                )
            )
        asks = []
        for n, ask_reader in enumerate(reader.opt_tables("ask"), 1):
            ask_reader.where = f"{reader.where} ask #{n}"
            (given,) = _predicates(ask_reader, "given", known, None) or (None,)
            if given is None:
                ask_reader.fail("needs one 'given' predicate")
            ask = ask_reader.opt_texts("ask")
            unknown = [a for a in ask if a not in findings]
            if unknown or not ask:
                ask_reader.fail(f"'ask' must list findings; unknown: {', '.join(unknown)}")
            asks.append(RedFlagAsk(given, ask, ask_reader.text("why")))
        patient_action = _patient_action(reader, {r.urgency for r in rules}, clinician_words)
        escalation = {
            urgency: tuple(
                dict.fromkeys(
                    name
                    for r in rules
                    if URGENCIES.index(r.urgency) < URGENCIES.index(urgency)
                    for name in r.reads
                )
            )
            for urgency in URGENCIES
        }
        flags.append(
            RedFlagDef(
                ident, reader.text("name"), tuple(rules), tuple(asks), patient_action, escalation
            )
        )
    return tuple(flags), _red_flag_screen(table, known, findings, flags)


def _patient_action(
    reader: Table, urgencies: set[str], clinician_words: tuple[str, ...]
) -> dict[str, str]:
    """Plain words for the patient, one for every urgency the flag can be raised at."""
    table = reader.opt_table("patient_action")
    if table is None:
        reader.fail("needs a [red_flag.patient_action] table: plain words for the patient")
    out: dict[str, str] = {}
    for urgency in URGENCIES:
        text = table.opt_text(urgency)
        if text is None:
            if urgency in urgencies:
                table.fail(f"needs '{urgency}': a rule of this flag raises it")
            continue
        if any(word in text.lower() for word in clinician_words):
            table.fail(f"'{urgency}' must speak to the patient, not about them: {text!r}")
        out[urgency] = text
    return out


def _red_flag_screen(
    table: RawTable,
    known: Callable[[str, Value | None], None],
    findings: dict[str, FindingDef],
    flags: list[RedFlagDef],
) -> RedFlagScreen:
    file = "red_flags.toml"
    reader = _section(table, file, "screen")
    core = reader.opt_texts("core")
    cardinal = reader.opt_texts("cauda_equina_cardinal")
    for key, names in (("core", core), ("cauda_equina_cardinal", cardinal)):
        bad = [s for s in names if s not in findings]
        if bad or not names:
            reader.fail(f"'{key}' must list findings; unknown: {bad}")
    possible = _one_predicate(reader, "cauda_equina_possible", known)
    if possible is None:
        reader.fail("needs 'cauda_equina_possible': when leg symptoms make cauda equina possible")
    rescreen = _one_predicate(reader, "rescreen_when", known)
    words_table = reader.opt_table("words")
    words = {name: words_table.text(name) for name in cardinal} if words_table else {}
    rank: dict[str, int] = {}
    for flag in flags:
        for rule in flag.rules:
            for name in rule.reads:
                rank[name] = min(rank.get(name, len(URGENCIES)), URGENCIES.index(rule.urgency))
    return RedFlagScreen(core, rescreen, possible, cardinal, words, rank)


def _one_predicate(
    reader: Table, key: str, known: Callable[[str, Value | None], None]
) -> Predicate | None:
    text = reader.opt_text(key)
    if text is None:
        return None
    try:
        return compile_predicate(text, known)
    except PredicateError as error:
        reader.fail(f"'{key}': {error}")


def _load_triage(table: RawTable, known: Callable[[str, Value | None], None]) -> ManipulationRule:
    raw = table.get("manipulation_rule")
    if not isinstance(raw, dict):
        raise KnowledgeError("triage.toml", "[manipulation_rule]", "missing")
    reader = Table(raw, "triage.toml", "[manipulation_rule]", KnowledgeError)
    criteria = []
    for c_reader in reader.opt_tables("criterion"):
        c_reader.where = f"criterion '{c_reader.data.get('id')}'"
        try:
            predicate = compile_predicate(c_reader.text("predicate"), known)
        except PredicateError as error:
            c_reader.fail(f"'predicate': {error}")
        criteria.append(Criterion(c_reader.text("id"), c_reader.text("label"), predicate))
    positive_at = reader.data.get("positive_at")
    if not isinstance(positive_at, int) or not 1 <= positive_at <= len(criteria):
        reader.fail("'positive_at' must be between 1 and the number of criteria")
    return ManipulationRule(
        reader.text("name"),
        positive_at,
        reader.text("source"),
        tuple(criteria),
        _rule_population(reader, known),
    )


def _rule_population(rule: Table, known: Callable[[str, Value | None], None]) -> RulePopulation:
    """[manipulation_rule.population] and [manipulation_rule.validation]."""
    population = rule.table("population")
    outside = []
    for entry in population.opt_tables("outside"):
        entry.where = f"manipulation_rule.population.outside '{entry.data.get('id')}'"
        try:
            predicate = compile_predicate(entry.text("predicate"), known)
        except PredicateError as error:
            entry.fail(f"'predicate': {error}")
        outside.append(Exclusion(entry.text("id"), entry.text("label"), predicate))
    validation = rule.table("validation")
    return RulePopulation(
        min_age=population.integer("min_age"),
        max_age=population.integer("max_age"),
        source=population.text("source"),
        outside=tuple(outside),
        validation={"text": validation.text("text"), "source": validation.text("source")},
    )


def _load_medications(table: RawTable) -> tuple[dict[str, str], dict[str, Medication]]:
    file = "medications.toml"
    classes = table.get("classes")
    if not isinstance(classes, dict) or not classes:
        raise KnowledgeError(file, "[classes]", "missing")
    index: dict[str, Medication] = {}
    for n, item in enumerate(table.get("medication", []), 1):
        reader = Table(item, file, f"medication #{n} '{item.get('generic')}'", KnowledgeError)
        generic = reader.text("generic")
        drug_classes = reader.opt_texts("classes")
        unknown = [c for c in drug_classes if c not in classes]
        if not drug_classes or unknown:
            reader.fail(f"'classes' must list classes from [classes]; unknown: {unknown}")
        medication = Medication(generic, drug_classes, reader.opt_text("atc") or "")
        for name in (generic, *reader.opt_texts("brands"), *reader.opt_texts("aliases")):
            key = name.casefold()
            if key in index and index[key].generic != generic:
                reader.fail(f"name '{name}' already belongs to '{index[key].generic}'")
            index[key] = medication
    return {str(k): str(v) for k, v in classes.items()}, index


def load_knowledge(data_dir: Path | None = None) -> Knowledge:
    """The knowledge in ``data_dir``, else each file where the registry finds it
    (:func:`~weizhong.knowledge.registry.knowledge_path`: a clinic's copy overrides the bundled
    file).

    Loaded and validated once per set of files; raises KnowledgeError on the first problem.
    """
    if data_dir is None:  # callers that pass no knowledge ask for it once per case
        return _load_configured(configuration())
    return _load_files(tuple(data_dir / f"{name}.toml" for name in (*FILES, *VERSIONED_ONLY)))


@cache
def _load_configured(configured: str) -> Knowledge:
    """The configured knowledge, looked up by the setting's text so that asking again builds no
    Path."""
    names = (*FILES, *VERSIONED_ONLY)
    return _load_files(tuple(knowledge_path(f"{name}.toml") for name in names))


@cache
def _load_files(paths: tuple[Path, ...]) -> Knowledge:
    """The knowledge in ``paths``: one per name of FILES then VERSIONED_ONLY, in that order."""
    tables: dict[str, RawTable] = {}
    digest = hashlib.sha256()
    for name, path in zip((*FILES, *VERSIONED_ONLY), paths, strict=True):
        tables[name], raw = _read_file(name, path)
        digest.update(f"{name}:{len(raw)}:".encode())  # framed: no two file sets hash alike
        digest.update(raw)
    findings, vocabulary = _load_findings(tables["findings"])
    medication_classes, medications = _load_medications(tables["medications"])
    known = name_checker(findings, vocabulary, medication_classes)
    conditions = _load_conditions(tables["conditions"], known, vocabulary)
    evidence = _load_evidence(tables["evidence"], {c.id for c in conditions}, known, findings)
    covered = {e.condition for e in evidence}
    for condition in conditions:
        if not condition.computed and condition.id not in covered:
            raise KnowledgeError(
                "evidence.toml", condition.id, "no evidence entry for this condition"
            )
    red_flags, screen = _load_red_flags(tables["red_flags"], known, findings)
    file_versions = {name: str(table["meta"]["version"]) for name, table in tables.items()}
    version = f"{max(file_versions.values())}+{digest.hexdigest()[:10]}"
    return Knowledge(
        version=version,
        file_versions=file_versions,
        findings=findings,
        vocabulary=vocabulary,
        conditions=conditions,
        evidence=evidence,
        red_flags=red_flags,
        red_flag_screen=screen,
        manipulation_rule=_load_triage(tables["triage"], known),
        medication_classes=medication_classes,
        medications=medications,
        fit=_load_fit(tables["conditions"], known),
        outside_population=_outside_population(tables["evidence"]),
    )


def case_name_checker(knowledge: Knowledge) -> Callable[[str, Value | None], None]:
    """The validator for rule predicates over a case, for other data files (plans, herbs)."""
    return name_checker(knowledge.findings, knowledge.vocabulary, knowledge.medication_classes)
