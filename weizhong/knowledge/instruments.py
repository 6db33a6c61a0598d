"""The clinic's questionnaires as data: ODI, RMDQ, STarT Back, NPRS, PSFS, FABQ and LEFS.

The rules (item counts, answer ranges, formulas, bands, cut-offs, MCID, MDC, missing-item
limits) live in ``data/instruments.toml`` with their sources; this module loads them once into
frozen records, checks them, and checks a set of answers against them. Scoring is in
:mod:`weizhong.reasoning.instruments`; the case format checks STarT Back answers here, below the
reasoning.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from weizhong.errors import InputError, KnowledgeError
from weizhong.knowledge.registry import BUNDLED_DIR, configuration, knowledge_path
from weizhong.knowledge.tables import Table
from weizhong.numbers import number

__all__ = [
    "DATA_FILE",
    "AnswerRule",
    "Band",
    "ChangeThreshold",
    "Comparison",
    "Direction",
    "Flag",
    "InstrumentDataError",
    "InstrumentDefinition",
    "InstrumentError",
    "InstrumentLibrary",
    "ItemCount",
    "Method",
    "MissingRule",
    "PatientWording",
    "Provenance",
    "Stratification",
    "Subscale",
    "check_answers",
    "check_skipped",
    "checked_answers",
    "fmt",
    "instrument_definition",
    "instrument_ids",
    "join_items",
    "load_instrument_file",
    "load_instruments",
]

FILE = "instruments.toml"
DATA_FILE = BUNDLED_DIR / FILE  # the bundled file

Direction = Literal["higher_is_worse", "higher_is_better"]
Method = Literal["percent_of_answered_max", "sum", "mean", "count_positive"]
MissingKind = Literal["none", "shrink_denominator"]
Comparison = Literal["<", "<=", ">", ">="]

_DIRECTIONS: tuple[Direction, ...] = ("higher_is_worse", "higher_is_better")
_METHODS: tuple[Method, ...] = ("percent_of_answered_max", "sum", "mean", "count_positive")
_MISSING_KINDS: tuple[MissingKind, ...] = ("none", "shrink_denominator")
_COMPARISONS: tuple[Comparison, ...] = ("<", "<=", ">", ">=")


class InstrumentError(InputError):
    """Answers, or a request, that the instrument's rules cannot score.

    The message names the instrument, the item (1-based) where there is one, and what is allowed.
    """


class InstrumentDataError(KnowledgeError):
    """``instruments.toml`` is malformed: the message names the file, the entry and the problem."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Provenance:
    """Where a number comes from: a citation, or a practice convention marked as an estimate."""

    source: str | None
    estimate: bool = False
    rationale: str | None = None


@dataclass(frozen=True)
class ItemCount:
    """How many answers the instrument takes (min == max except for PSFS)."""

    min: int
    max: int
    provenance: Provenance | None = None


@dataclass(frozen=True)
class AnswerRule:
    """What one item accepts, and from which answer it counts as positive (STarT Back)."""

    min: float
    max: float
    positive_min: float
    meaning: str | None = None


@dataclass(frozen=True)
class MissingRule:
    """How many items may be skipped, and how the score copes with them."""

    max_skipped: int
    rule: MissingKind
    description: str
    provenance: Provenance


@dataclass(frozen=True)
class Band:
    """An interpretation band: a score is in the first band whose ``max`` it does not exceed."""

    label: str
    max: float
    meaning: str


@dataclass(frozen=True)
class Subscale:
    """A subscore summed over some items (FABQ-PA, FABQ-W, STarT Back psychosocial)."""

    id: str
    name: str
    short_name: str
    items: tuple[int, ...]
    max: float
    provenance: Provenance


@dataclass(frozen=True)
class Flag:
    """A published cut-off, reported as a note when the score or a subscore crosses it."""

    applies_to: str
    op: Comparison
    value: float
    note: str
    provenance: Provenance

    def fires(self, value: float) -> bool:
        if self.op == "<":
            return value < self.value
        if self.op == "<=":
            return value <= self.value
        if self.op == ">":
            return value > self.value
        return value >= self.value


@dataclass(frozen=True)
class Stratification:
    """STarT Back risk groups from the total and one subscore."""

    subscale: str
    low_max_total: float
    high_min_subscale: float
    low_meaning: str
    medium_meaning: str
    high_meaning: str
    provenance: Provenance


@dataclass(frozen=True)
class ChangeThreshold:
    """An MCID or MDC: points, and for MCID a percent of baseline where the source gives one."""

    points: float
    percent: float | None
    confidence: int | None
    provenance: Provenance


@dataclass(frozen=True)
class PatientWording:
    """How the questionnaire is asked of a patient filling it in alone (the intake), in plain
    words: weizhong's own wording, not a licensed questionnaire text (a clinic that holds a
    licence loads the licensed text in its own data file, in these same keys).

    ``questions``: one per item (empty for PSFS, whose items are the patient's activities);
    ``choices``: the words for each whole answer from the lowest, for every item without its own
    ``item_choices`` (1-based item → words); ``ends``: the words for the two ends of a scale
    too long to name every answer (PSFS 0–10)."""

    intro: str
    questions: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    item_choices: tuple[tuple[int, tuple[str, ...]], ...] = ()
    ends: tuple[str, str] | None = None

    def choices_for(self, item: int) -> tuple[str, ...]:
        """The answer words of ``item`` (1-based), lowest answer first."""
        return dict(self.item_choices).get(item, self.choices)


@dataclass(frozen=True)
class InstrumentDefinition:
    """One ``[[instrument]]`` entry of instruments.toml, checked."""

    id: str
    name: str
    short_name: str
    version: str
    item_count: ItemCount
    item_noun: str
    item_labels: tuple[str, ...]
    answers: tuple[AnswerRule, ...]  # one rule per item position, len == item_count.max
    answer_integer: bool
    answer_meaning: str
    direction: Direction
    method: Method
    score_min: float
    score_max: float
    decimals: int
    units: str
    source: str
    licence: str
    missing: MissingRule
    bands: tuple[Band, ...] = ()
    bands_provenance: Provenance | None = None
    subscales: tuple[Subscale, ...] = ()
    flags: tuple[Flag, ...] = ()
    stratification: Stratification | None = None
    mcid: ChangeThreshold | None = None
    mdc: ChangeThreshold | None = None
    patient: PatientWording | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"


@dataclass(frozen=True)
class InstrumentLibrary:
    """The whole file: its ``[meta]`` and the instruments in file order."""

    path: Path
    name: str
    version: str
    licence: str
    instruments: tuple[InstrumentDefinition, ...]

    def find(self, instrument_id: str) -> InstrumentDefinition | None:
        for definition in self.instruments:
            if definition.id == instrument_id:
                return definition
        return None


# --------------------------------------------------------------------------- loading


def _data_error(file: str, where: str, problem: str) -> InstrumentDataError:
    return InstrumentDataError(file, where, problem)


_PROVENANCE_KEYS = ("source", "estimate", "rationale")


def _provenance(table: Table) -> Provenance:
    citation = table.citation()
    return Provenance(citation.source or None, citation.estimate, citation.rationale or None)


def _threshold(table: Table, direction: Direction) -> ChangeThreshold:
    table.only(("points", "percent", "confidence", *_PROVENANCE_KEYS))
    points = table.number("points")
    if points <= 0:
        table.fail("'points' must be above 0")
    percent = table.opt_number("percent")
    if percent is not None:
        if not 0 < percent <= 100:
            table.fail("'percent' must be in (0, 100]")
        if direction != "higher_is_worse":
            # Published percent rules (Ostelo 2008) are relative to a baseline of disability or
            # pain; none is published for a higher-is-better scale.
            table.fail("'percent' is only supported for higher_is_worse instruments")
    return ChangeThreshold(points, percent, table.opt_integer("confidence"), _provenance(table))


_INSTRUMENT_KEYS = (
    "id", "name", "short_name", "version", "items", "item_count", "item_noun", "item_labels",
    "answer_min", "answer_max", "answer_integer", "answer_meaning", "answer_overrides",
    "direction", "method", "score_min", "score_max", "decimals", "units", "source", "licence",
    "missing", "bands", "subscale", "flag", "stratification", "mcid", "mdc", "patient",
)  # fmt: skip


def _patient_wording(
    table: Table, rules: list[AnswerRule], item_count: ItemCount, integer: bool
) -> PatientWording:
    table.only(("intro", "questions", "choices", "item_choices", "ends"))
    questions = table.opt_texts("questions")
    if questions and len(questions) != item_count.max:
        table.fail(f"'questions' has {len(questions)} questions for {item_count.max} items")

    def width(rule: AnswerRule) -> int:
        return int(rule.max - rule.min) + 1

    choices = table.opt_texts("choices")
    overrides: list[tuple[int, tuple[str, ...]]] = []
    for override in table.opt_tables("item_choices"):
        override.only(("item", "choices"))
        item = override.integer("item")
        if not 1 <= item <= item_count.max:
            override.fail(f"'item' {item} is outside 1–{item_count.max}")
        words = override.texts("choices")
        if len(words) != width(rules[item - 1]):
            override.fail(f"item {item} takes {width(rules[item - 1])} answers, not {len(words)}")
        overrides.append((item, words))
    overridden = {item for item, _words in overrides}
    for n, rule in enumerate(rules, start=1):
        if choices and n not in overridden and len(choices) != width(rule):
            table.fail(f"'choices' has {len(choices)} words; item {n} takes {width(rule)} answers")
    ends = table.opt_texts("ends")
    if ends and len(ends) != 2:
        table.fail("'ends' names the two ends of the scale: give 2 words")
    if not choices and not ends and len(overridden) < item_count.max:
        table.fail("give 'choices' or 'ends', so every answer has words")
    if (choices or overrides) and not integer:
        table.fail("'choices' need whole-number answers (answer_integer = true)")
    return PatientWording(
        intro=table.text("intro"),
        questions=questions,
        choices=choices,
        item_choices=tuple(overrides),
        ends=(ends[0], ends[1]) if ends else None,
    )


def _instrument(table: Table) -> InstrumentDefinition:
    table.only(_INSTRUMENT_KEYS)
    instrument_id = table.text("id")
    if not instrument_id.isascii() or not instrument_id.isalpha() or not instrument_id.islower():
        table.fail(f"'id' {instrument_id!r} must be lowercase letters only")
    table.where = f"instrument '{instrument_id}'"

    # How many answers.
    count_table = table.opt_table("item_count")
    if table.has("items") == (count_table is not None):
        table.fail("give either 'items' or an [instrument.item_count] table, not both or neither")
    if count_table is not None:
        count_table.only(("min", "max", *_PROVENANCE_KEYS))
        item_count = ItemCount(
            count_table.integer("min"), count_table.integer("max"), _provenance(count_table)
        )
    else:
        n = table.integer("items")
        item_count = ItemCount(n, n)
    if not 1 <= item_count.min <= item_count.max:
        table.fail(f"item count {item_count.min}–{item_count.max} is not a valid range")
    labels = table.texts("item_labels")
    if len(labels) != item_count.max:
        table.fail(f"'item_labels' has {len(labels)} labels for {item_count.max} items")

    # What each item accepts.
    answer_min = table.number("answer_min")
    answer_max = table.number("answer_max")
    if answer_min >= answer_max:
        table.fail("'answer_min' must be below 'answer_max'")
    rules = [AnswerRule(answer_min, answer_max, positive_min=1)] * item_count.max
    override_table = table.opt_tables("answer_overrides")
    for override in override_table:
        override.only(("item", "min", "max", "positive_min", "meaning"))
        item = override.integer("item")
        if not 1 <= item <= item_count.max:
            override.fail(f"'item' {item} is outside 1–{item_count.max}")
        lo, hi = override.number("min"), override.number("max")
        positive_min = override.opt_number("positive_min")
        if lo >= hi:
            override.fail("'min' must be below 'max'")
        if positive_min is not None and not lo <= positive_min <= hi:
            override.fail(f"'positive_min' {positive_min} is outside {lo}–{hi}")
        rules[item - 1] = AnswerRule(
            lo, hi, 1 if positive_min is None else positive_min, override.opt_text("meaning")
        )

    direction = table.choice("direction", _DIRECTIONS)
    method = table.choice("method", _METHODS)
    score_min, score_max = table.number("score_min"), table.number("score_max")
    if score_min >= score_max:
        table.fail("'score_min' must be below 'score_max'")
    decimals = table.integer("decimals")
    if decimals < 0:
        table.fail("'decimals' must be 0 or more")
    _check_score_range(table, method, rules, item_count, score_min, score_max)

    missing_table = table.table("missing")
    missing_table.only(("max_skipped", "rule", "description", *_PROVENANCE_KEYS))
    missing = MissingRule(
        max_skipped=missing_table.integer("max_skipped"),
        rule=missing_table.choice("rule", _MISSING_KINDS),
        description=missing_table.text("description"),
        provenance=_provenance(missing_table),
    )
    if not 0 <= missing.max_skipped < item_count.min:
        missing_table.fail(f"'max_skipped' must be between 0 and {item_count.min - 1}")
    if (missing.rule == "none") != (missing.max_skipped == 0):
        missing_table.fail("rule 'none' goes with max_skipped = 0, and only with it")
    if missing.rule == "shrink_denominator" and method != "percent_of_answered_max":
        missing_table.fail("'shrink_denominator' needs method 'percent_of_answered_max'")

    bands: tuple[Band, ...] = ()
    bands_provenance: Provenance | None = None
    bands_table = table.opt_table("bands")
    if bands_table is not None:
        bands_table.only(("levels", *_PROVENANCE_KEYS))
        bands_provenance = _provenance(bands_table)
        bands = tuple(_band(level) for level in bands_table.opt_tables("levels"))
        _check_bands(bands_table, bands, score_min, score_max)

    subscales = tuple(_subscale(t, rules, method) for t in table.opt_tables("subscale"))
    subscale_ids = [s.id for s in subscales]
    if len(set(subscale_ids)) != len(subscale_ids):
        table.fail("subscale ids must be unique")

    flags = tuple(_flag(t, ("score", *subscale_ids)) for t in table.opt_tables("flag"))

    stratification = None
    strat_table = table.opt_table("stratification")
    if strat_table is not None:
        stratification = _stratification(strat_table, subscale_ids)
        if bands_table is not None:
            table.fail("give either [instrument.bands] or [instrument.stratification], not both")

    mcid_table, mdc_table = table.opt_table("mcid"), table.opt_table("mdc")
    patient_table = table.opt_table("patient")
    answer_integer = table.opt_flag("answer_integer", True)
    patient = (
        None
        if patient_table is None
        else _patient_wording(patient_table, rules, item_count, answer_integer)
    )
    return InstrumentDefinition(
        id=instrument_id,
        name=table.text("name"),
        short_name=table.text("short_name"),
        version=table.text("version"),
        item_count=item_count,
        item_noun=table.text("item_noun"),
        item_labels=labels,
        answers=tuple(rules),
        answer_integer=answer_integer,
        answer_meaning=table.text("answer_meaning"),
        direction=direction,
        method=method,
        score_min=score_min,
        score_max=score_max,
        decimals=decimals,
        units=table.text("units"),
        source=table.text("source"),
        licence=table.text("licence"),
        missing=missing,
        bands=bands,
        bands_provenance=bands_provenance,
        subscales=subscales,
        flags=flags,
        stratification=stratification,
        mcid=None if mcid_table is None else _threshold(mcid_table, direction),
        mdc=None if mdc_table is None else _threshold(mdc_table, direction),
        patient=patient,
    )


def _check_score_range(
    table: Table,
    method: Method,
    rules: list[AnswerRule],
    item_count: ItemCount,
    score_min: float,
    score_max: float,
) -> None:
    """The stated score range must follow from the items, so a typo in either is caught."""
    if method == "percent_of_answered_max":
        expected = (0.0, 100.0)
    elif method == "count_positive":
        expected = (0.0, float(item_count.max))
    elif method == "mean":
        expected = (min(r.min for r in rules), max(r.max for r in rules))
    else:
        if item_count.min != item_count.max:
            table.fail("method 'sum' needs a fixed number of items")
        expected = (sum(r.min for r in rules), sum(r.max for r in rules))
    if (score_min, score_max) != expected:
        table.fail(
            f"score range {number(score_min)}–{number(score_max)} does not match the items and "
            f"method '{method}' ({number(expected[0])}–{number(expected[1])})"
        )


def _band(table: Table) -> Band:
    table.only(("label", "max", "meaning"))
    return Band(table.text("label"), table.number("max"), table.text("meaning"))


def _check_bands(table: Table, bands: tuple[Band, ...], lo: float, hi: float) -> None:
    if not bands:
        table.fail("'levels' is empty")
    maxima = [b.max for b in bands]
    if maxima != sorted(set(maxima)):
        table.fail("band 'max' values must rise strictly")
    if maxima[0] < lo or maxima[-1] != hi:
        table.fail(f"bands must end at score_max {number(hi)} (last max is {number(maxima[-1])})")
    if len({b.label for b in bands}) != len(bands):
        table.fail("band labels must be unique")


def _subscale(table: Table, rules: list[AnswerRule], method: Method) -> Subscale:
    table.only(("id", "name", "short_name", "items", "max", *_PROVENANCE_KEYS))
    items = table.integers("items")
    if len(set(items)) != len(items) or not all(1 <= i <= len(rules) for i in items):
        table.fail(f"'items' must be distinct item numbers within 1–{len(rules)}")
    stated = table.number("max")
    if method == "count_positive":
        expected = float(len(items))
    else:
        expected = sum(rules[i - 1].max for i in items)
    if stated != expected:
        table.fail(f"'max' {number(stated)} does not match its items (expected {number(expected)})")
    return Subscale(
        id=table.text("id"),
        name=table.text("name"),
        short_name=table.text("short_name"),
        items=items,
        max=stated,
        provenance=_provenance(table),
    )


def _flag(table: Table, targets: tuple[str, ...]) -> Flag:
    table.only(("applies_to", "op", "value", "note", *_PROVENANCE_KEYS))
    return Flag(
        applies_to=table.choice("applies_to", targets),
        op=table.choice("op", _COMPARISONS),
        value=table.number("value"),
        note=table.text("note"),
        provenance=_provenance(table),
    )


def _stratification(table: Table, subscale_ids: list[str]) -> Stratification:
    table.only(("subscale", "low_max_total", "high_min_subscale", "meanings", *_PROVENANCE_KEYS))
    meanings = table.table("meanings")
    meanings.only(("low", "medium", "high"))
    return Stratification(
        subscale=table.choice("subscale", tuple(subscale_ids)),
        low_max_total=table.number("low_max_total"),
        high_min_subscale=table.number("high_min_subscale"),
        low_meaning=meanings.text("low"),
        medium_meaning=meanings.text("medium"),
        high_meaning=meanings.text("high"),
        provenance=_provenance(table),
    )


def load_instrument_file(path: Path) -> InstrumentLibrary:
    """Read and check an instruments TOML file (uncached; :func:`load_instruments` caches)."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise InstrumentDataError(
            path.name, "file", f"cannot be read: {exc.strerror or exc}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentDataError(path.name, "file", f"is not valid TOML: {exc}") from None
    top = Table(raw, path.name, "top level", _data_error)
    top.only(("meta", "instrument"))
    meta = top.table("meta")
    meta.only(("name", "version", "licence"))
    entries = top.opt_tables("instrument")
    if not entries:
        top.fail("no [[instrument]] entries")
    instruments: list[InstrumentDefinition] = []
    for position, entry in enumerate(entries, start=1):
        entry.where = f"[[instrument]] #{position}"
        definition = _instrument(entry)
        if any(d.id == definition.id for d in instruments):
            entry.fail(f"duplicate id (entry #{position}); each id must be unique")
        instruments.append(definition)
    return InstrumentLibrary(
        path=path,
        name=meta.text("name"),
        version=meta.text("version"),
        licence=meta.text("licence"),
        instruments=tuple(instruments),
    )


def load_instruments(path: Path | None = None) -> InstrumentLibrary:
    """The instruments at ``path``, else where the knowledge registry finds instruments.toml;
    read and checked once per file."""
    if path is None:
        return _configured(configuration())
    return _load(path)


@cache
def _configured(configured: str) -> InstrumentLibrary:
    """Looked up by the setting's text: scoring asks for it once per questionnaire."""
    return _load(knowledge_path(FILE))


@cache
def _load(path: Path) -> InstrumentLibrary:
    return load_instrument_file(path)


# --------------------------------------------------------------------------- look-up


def instrument_ids() -> list[str]:
    """Ids of the instruments in the data file, in file order."""
    return [d.id for d in load_instruments().instruments]


def instrument_definition(instrument_id: str) -> InstrumentDefinition:
    """The checked data-file entry for one instrument (ids are matched case-insensitively)."""
    wanted = instrument_id.strip().lower() if isinstance(instrument_id, str) else instrument_id
    definition = load_instruments().find(wanted) if isinstance(wanted, str) else None
    if definition is None:
        raise InstrumentError(
            f"unknown instrument {instrument_id!r}; "
            f"known instruments: {', '.join(instrument_ids())}"
        )
    return definition


def check_answers(
    instrument_id: str, answers: Sequence[int | float | None]
) -> tuple[InstrumentDefinition, list[int | float | None]]:
    """The definition and the answers as numbers (None where skipped), when the instrument's
    rules accept them; else :class:`InstrumentError` naming the item and what is allowed."""
    definition = instrument_definition(instrument_id)
    values = checked_answers(definition, answers)
    check_skipped(definition, [n for n, v in enumerate(values, start=1) if v is None])
    return definition, values


def checked_answers(
    definition: InstrumentDefinition, answers: Sequence[int | float | None]
) -> list[int | float | None]:
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise InstrumentError(
            f"{definition.id}: answers must be a list of numbers (None for skipped), "
            f"got {type(answers).__name__}"
        )
    count = definition.item_count
    if not count.min <= len(answers) <= count.max:
        expected = str(count.max) if count.min == count.max else f"{count.min} to {count.max}"
        raise InstrumentError(
            f"{definition.id} expects {expected} answers (one per {definition.item_noun}), "
            f"got {len(answers)}"
        )
    return [
        _checked_value(definition, n, value, definition.answers[n - 1])
        for n, value in enumerate(answers, start=1)
    ]


def _checked_value(
    definition: InstrumentDefinition, item: int, value: object, rule: AnswerRule
) -> int | float | None:
    if value is None:
        return None
    allowed = _allowed(definition, rule)
    prefix = f"{definition.id} item {item}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstrumentError(f"{prefix}: {value!r} is not a number; {allowed}")
    if not math.isfinite(value):
        raise InstrumentError(f"{prefix}: {value!r} is not a finite number; {allowed}")
    if definition.answer_integer and not float(value).is_integer():
        raise InstrumentError(
            f"{prefix}: {fmt(value)} is not allowed (whole numbers only); {allowed}"
        )
    if not rule.min <= value <= rule.max:
        raise InstrumentError(f"{prefix}: {fmt(value)} is not allowed; {allowed}")
    return int(value) if definition.answer_integer else float(value)


def _allowed(definition: InstrumentDefinition, rule: AnswerRule) -> str:
    binary = definition.answer_integer and (rule.min, rule.max) == (0, 1)
    text = "answer 0 or 1" if binary else f"answer {fmt(rule.min)}–{fmt(rule.max)}"
    if not definition.answer_integer:
        text += " (decimals allowed)"
    meaning = rule.meaning or (definition.answer_meaning if binary else None)
    if meaning:
        text += f" ({meaning})"
    if definition.missing.max_skipped > 0:
        text += ", or '-' for skipped"
    return text


def check_skipped(definition: InstrumentDefinition, skipped: list[int]) -> None:
    limit = definition.missing.max_skipped
    if len(skipped) <= limit:
        return
    plural = "" if len(skipped) == 1 else "s"
    noun = definition.item_noun + plural
    basis = (
        "a practice convention, not a published rule"
        if definition.missing.provenance.estimate
        else "the published rule"
    )
    allowance = (
        f"no skipped {definition.item_noun}s"
        if limit == 0
        else f"at most {limit} skipped {definition.item_noun}{'' if limit == 1 else 's'}"
    )
    raise InstrumentError(
        f"{definition.id}: too many skipped: {len(skipped)} {noun} skipped "
        f"(item{plural} {join_items(skipped)}); {definition.short_name} accepts {allowance} "
        f"({basis}), so no score is given. {definition.missing.description}"
    )


def fmt(value: float) -> str:
    """A number as people write it (:func:`weizhong.numbers.number`)."""
    return number(value)


def join_items(numbers: Iterable[int]) -> str:
    return ", ".join(str(n) for n in numbers)
