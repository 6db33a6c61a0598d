"""Score the clinic's questionnaires: ODI, RMDQ, STarT Back, NPRS, PSFS, FABQ and LEFS.

The rules (item counts, answer ranges, formulas, bands, cut-offs, MCID, MDC, missing-item
limits) live in ``knowledge/data/instruments.toml`` with their sources; this module loads them
once, checks them, and applies them. It holds no clinical number of its own.

    >>> score_instrument("odi", [2, 2, 1, 2, 2, 1, 2, 1, 2, 1]).score
    32.0
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from weizhong.knowledge.tables import Table

__all__ = [
    "DATA_FILE",
    "AnswerRule",
    "Band",
    "ChangeThreshold",
    "Flag",
    "InstrumentDataError",
    "InstrumentDefinition",
    "InstrumentError",
    "InstrumentLibrary",
    "InstrumentResult",
    "ItemCount",
    "MissingRule",
    "Provenance",
    "Stratification",
    "Subscale",
    "important_change",
    "instrument_definition",
    "instrument_ids",
    "load_instrument_file",
    "score_instrument",
]

DATA_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "instruments.toml"

Direction = Literal["higher_is_worse", "higher_is_better"]
Method = Literal["percent_of_answered_max", "sum", "mean", "count_positive"]
MissingKind = Literal["none", "shrink_denominator"]
Comparison = Literal["<", "<=", ">", ">="]

_DIRECTIONS: tuple[Direction, ...] = ("higher_is_worse", "higher_is_better")
_METHODS: tuple[Method, ...] = ("percent_of_answered_max", "sum", "mean", "count_positive")
_MISSING_KINDS: tuple[MissingKind, ...] = ("none", "shrink_denominator")
_COMPARISONS: tuple[Comparison, ...] = ("<", "<=", ">", ">=")
_TOLERANCE = 1e-9  # float noise allowed when a change is compared with a threshold


class InstrumentError(ValueError):
    """Answers, or a request, that the instrument's rules cannot score.

    The message names the instrument, the item (1-based) where there is one, and what is allowed.
    """


class InstrumentDataError(ValueError):
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


@dataclass(frozen=True)
class InstrumentResult:
    """A scored questionnaire, ready to show a clinician or serialise with :meth:`to_dict`."""

    instrument: str
    name: str
    score: float | int | None
    score_range: tuple[float, float]
    units: str
    direction: Direction
    answered: int
    skipped: list[int]
    band: str | None
    subscores: dict[str, float | int]
    mcid: float | None
    mdc: float | None
    interpretation: str
    notes: list[str] = field(default_factory=list)
    knowledge_version: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready copy (lists and dicts are fresh, tuples become lists)."""
        return {
            "instrument": self.instrument,
            "name": self.name,
            "score": self.score,
            "score_range": [self.score_range[0], self.score_range[1]],
            "units": self.units,
            "direction": self.direction,
            "answered": self.answered,
            "skipped": list(self.skipped),
            "band": self.band,
            "subscores": dict(self.subscores),
            "mcid": self.mcid,
            "mdc": self.mdc,
            "interpretation": self.interpretation,
            "notes": list(self.notes),
            "knowledge_version": self.knowledge_version,
        }


# --------------------------------------------------------------------------- loading


def _data_error(file: str, where: str, problem: str) -> InstrumentDataError:
    return InstrumentDataError(f"{file}: {where}: {problem}")


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
    "missing", "bands", "subscale", "flag", "stratification", "mcid", "mdc",
)  # fmt: skip


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
    return InstrumentDefinition(
        id=instrument_id,
        name=table.text("name"),
        short_name=table.text("short_name"),
        version=table.text("version"),
        item_count=item_count,
        item_noun=table.text("item_noun"),
        item_labels=labels,
        answers=tuple(rules),
        answer_integer=table.opt_flag("answer_integer", True),
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
            f"score range {score_min:g}–{score_max:g} does not match the items and method "
            f"'{method}' ({expected[0]:g}–{expected[1]:g})"
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
        table.fail(f"bands must end at score_max {hi:g} (last max is {maxima[-1]:g})")
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
        table.fail(f"'max' {stated:g} does not match its items (expected {expected:g})")
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
    """Read and check an instruments TOML file (uncached; the module uses :data:`DATA_FILE`)."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise InstrumentDataError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentDataError(f"{path}: is not valid TOML: {exc}") from exc
    top = Table(raw, str(path), "top level", _data_error)
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


@cache
def _library() -> InstrumentLibrary:
    return load_instrument_file(DATA_FILE)


# --------------------------------------------------------------------------- public API


def instrument_ids() -> list[str]:
    """Ids of the instruments in the data file, in file order."""
    return [d.id for d in _library().instruments]


def instrument_definition(instrument_id: str) -> InstrumentDefinition:
    """The checked data-file entry for one instrument (ids are matched case-insensitively)."""
    wanted = instrument_id.strip().lower() if isinstance(instrument_id, str) else instrument_id
    definition = _library().find(wanted) if isinstance(wanted, str) else None
    if definition is None:
        raise InstrumentError(
            f"unknown instrument {instrument_id!r}; "
            f"known instruments: {', '.join(instrument_ids())}"
        )
    return definition


def score_instrument(instrument_id: str, answers: Sequence[int | float | None]) -> InstrumentResult:
    """Score one completed questionnaire; ``None`` marks a skipped item.

    Raises :class:`InstrumentError` for an unknown id, the wrong number of answers, a value the
    item does not accept, or more skipped items than the instrument's rule tolerates.
    """
    definition = instrument_definition(instrument_id)
    values = _checked_answers(definition, answers)
    skipped = [n for n, v in enumerate(values, start=1) if v is None]
    _check_skipped(definition, skipped)

    notes: list[str] = []
    points = _item_points(definition, values)
    score = _total(definition, values, points, notes)
    subscores: dict[str, float | int] = {}
    for subscale in definition.subscales:
        missing_items = [n for n in subscale.items if values[n - 1] is None]
        if missing_items:
            notes.append(
                f"{subscale.short_name} not computed: item(s) {_join(missing_items)} skipped"
            )
            continue
        subscores[subscale.id] = _tidy(sum(points[n - 1] for n in subscale.items))

    band, band_meaning = _band_for(definition, score, subscores)
    for flag in definition.flags:
        target = score if flag.applies_to == "score" else subscores.get(flag.applies_to)
        if target is not None and flag.fires(target):
            name = definition.short_name if flag.applies_to == "score" else _sub(definition, flag)
            crossing = f"{name} = {_fmt(target)}; cut-off {flag.op} {_fmt(flag.value)}"
            notes.append(f"{flag.note} ({crossing})")
    notes.extend(_positive_notes(definition, values))
    notes.append(_change_note(definition))

    return InstrumentResult(
        instrument=definition.id,
        name=definition.name,
        score=score,
        score_range=(definition.score_min, definition.score_max),
        units=definition.units,
        direction=definition.direction,
        answered=len(values) - len(skipped),
        skipped=skipped,
        band=band,
        subscores=subscores,
        mcid=None if definition.mcid is None else definition.mcid.points,
        mdc=None if definition.mdc is None else definition.mdc.points,
        interpretation=_interpretation(definition, score, subscores, band_meaning, len(values)),
        notes=notes,
        knowledge_version=_library().version,
    )


def important_change(instrument_id: str, before: float, after: float) -> dict[str, object]:
    """Does the change from ``before`` to ``after`` reach the instrument's MCID?

    Direction is respected (ODI, RMDQ, NPRS: lower is better; LEFS, PSFS: higher is better).
    An improvement counts when it reaches the MCID in points or, where the source gives one, the
    percent-of-baseline rule (e.g. ODI: 10 points or 30%). A worsening counts when it reaches the
    MCID in points: percent rules are published for improvement only.
    """
    definition = instrument_definition(instrument_id)
    mcid = definition.mcid
    if mcid is None:
        raise InstrumentError(
            f"{definition.id}: no minimal clinically important change is stored for "
            f"{definition.name}; compare scores against the cut-offs instead"
        )
    start = _checked_score(definition, "before", before)
    end = _checked_score(definition, "after", after)
    change = end - start
    improvement = change if definition.higher_is_better else -change

    # Percent rules (Ostelo 2008) are relative to the baseline score; the loader allows them on
    # higher_is_worse instruments only, where the baseline is the room left to improve.
    percent = mcid.percent
    baseline = start - definition.score_min
    percent_improvement: float | None = None
    percent_threshold: float | None = None
    if percent is not None and baseline > 0:
        percent_improvement = improvement / baseline * 100
        percent_threshold = baseline * percent / 100

    by_points = _reaches(improvement, mcid.points)
    by_percent = percent_improvement is not None and _reaches(percent_improvement, percent)
    important_improvement = improvement > 0 and (by_points or by_percent)
    important_worsening = _reaches(-improvement, mcid.points)

    unit = definition.units
    threshold = mcid.points
    threshold_used = f"MCID {_fmt(mcid.points)} {unit}"
    if percent is not None and improvement < 0:
        threshold_used += " (the percent rule applies to improvement only)"
    elif percent is not None and percent_threshold is not None:
        if percent_threshold < mcid.points:
            threshold = percent_threshold
            threshold_used = (
                f"{_fmt(percent)}% of baseline {_fmt(start)} = {_fmt(round(threshold, 2))} {unit} "
                f"(MCID {_fmt(mcid.points)} {unit} or {_fmt(percent)}%, whichever is smaller)"
            )
        else:
            threshold_used += f" (less than {_fmt(percent)}% of baseline {_fmt(start)})"

    mdc = definition.mdc
    beyond_mdc = None if mdc is None else _reaches(abs(change), mdc.points)
    notes: list[str] = []
    if (important_improvement or important_worsening) and mdc is not None and not beyond_mdc:
        notes.append(
            f"the change reaches the MCID but not the MDC ({_fmt(mdc.points)} {unit}): "
            "it may be measurement error; confirm at the next visit"
        )
    return {
        "instrument": definition.id,
        "before": start,
        "after": end,
        "change": _tidy(round(change, 6)),
        "improvement": _tidy(round(improvement, 6)),
        "better_is": "higher" if definition.higher_is_better else "lower",
        "direction": _direction_word(improvement),
        "threshold": _tidy(round(threshold, 6)),
        "threshold_used": threshold_used,
        "mcid_points": mcid.points,
        "mcid_percent": mcid.percent,
        "percent_improvement": (
            None if percent_improvement is None else round(percent_improvement, 1)
        ),
        "important": important_improvement or important_worsening,
        "important_improvement": important_improvement,
        "important_worsening": important_worsening,
        "mdc_points": None if mdc is None else mdc.points,
        "beyond_mdc": beyond_mdc,
        "notes": notes,
        "source": mcid.provenance.source,
        "knowledge_version": _library().version,
    }


# --------------------------------------------------------------------------- scoring helpers


def _checked_answers(
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
            f"{prefix}: {_fmt(value)} is not allowed (whole numbers only); {allowed}"
        )
    if not rule.min <= value <= rule.max:
        raise InstrumentError(f"{prefix}: {_fmt(value)} is not allowed; {allowed}")
    return int(value) if definition.answer_integer else float(value)


def _allowed(definition: InstrumentDefinition, rule: AnswerRule) -> str:
    binary = definition.answer_integer and (rule.min, rule.max) == (0, 1)
    text = "answer 0 or 1" if binary else f"answer {_fmt(rule.min)}–{_fmt(rule.max)}"
    if not definition.answer_integer:
        text += " (decimals allowed)"
    meaning = rule.meaning or (definition.answer_meaning if binary else None)
    if meaning:
        text += f" ({meaning})"
    if definition.missing.max_skipped > 0:
        text += ", or '-' for skipped"
    return text


def _check_skipped(definition: InstrumentDefinition, skipped: list[int]) -> None:
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
        f"(item{plural} {_join(skipped)}); {definition.short_name} accepts {allowance} "
        f"({basis}), so no score is given. {definition.missing.description}"
    )


def _item_points(
    definition: InstrumentDefinition, values: list[int | float | None]
) -> list[int | float]:
    """What each item adds to the total: its answer, or 0/1 for count_positive items."""
    if definition.method != "count_positive":
        return [0 if v is None else v for v in values]
    return [
        0 if v is None else int(v >= rule.positive_min)
        for v, rule in zip(values, definition.answers, strict=False)
    ]


def _total(
    definition: InstrumentDefinition,
    values: list[int | float | None],
    points: list[int | float],
    notes: list[str],
) -> float | int:
    answered = [
        (v, rule) for v, rule in zip(values, definition.answers, strict=False) if v is not None
    ]
    if definition.method == "percent_of_answered_max":
        denominator = sum(rule.max for _, rule in answered)
        skipped = len(values) - len(answered)
        if skipped:
            noun = definition.item_noun + ("" if skipped == 1 else "s")
            notes.append(f"{skipped} {noun} skipped: denominator {_fmt(denominator)}")
        return round(sum(v for v, _ in answered) / denominator * 100, definition.decimals)
    if definition.method == "mean":
        notes.append(f"mean of {len(answered)} {definition.item_noun} ratings")
        return round(sum(v for v, _ in answered) / len(answered), definition.decimals)
    return _tidy(sum(points))


def _band_for(
    definition: InstrumentDefinition, score: float, subscores: Mapping[str, float | int]
) -> tuple[str | None, str | None]:
    strat = definition.stratification
    if strat is not None:
        if score <= strat.low_max_total:
            return "low", strat.low_meaning
        if subscores[strat.subscale] >= strat.high_min_subscale:
            return "high", strat.high_meaning
        return "medium", strat.medium_meaning
    for band in definition.bands:
        if score <= band.max:
            return band.label, band.meaning
    return None, None


def _positive_notes(
    definition: InstrumentDefinition, values: list[int | float | None]
) -> list[str]:
    """Explain items that count only above a threshold (STarT Back item 9)."""
    notes: list[str] = []
    if definition.method != "count_positive":
        return notes
    for n, (value, rule) in enumerate(zip(values, definition.answers, strict=False), start=1):
        if value is not None and rule.positive_min > 1:
            counted = int(value >= rule.positive_min)
            notes.append(
                f"item {n} answered {_fmt(value)}: counts {counted} "
                f"(only {_fmt(rule.positive_min)}–{_fmt(rule.max)} count)"
            )
    return notes


def _change_note(definition: InstrumentDefinition) -> str:
    unit = definition.units
    parts = []
    if definition.mcid is None:
        parts.append("no MCID is stored for this instrument")
    else:
        text = f"MCID {_fmt(definition.mcid.points)} {unit}"
        if definition.mcid.percent is not None:
            text += f" or {_fmt(definition.mcid.percent)}% of baseline"
        parts.append(text)
    if definition.mdc is not None:
        level = "" if definition.mdc.confidence is None else str(definition.mdc.confidence)
        parts.append(f"MDC{level} {_fmt(definition.mdc.points)} {unit}")
    return "; ".join(parts)


def _interpretation(
    definition: InstrumentDefinition,
    score: float,
    subscores: Mapping[str, float | int],
    band_meaning: str | None,
    answers: int,
) -> str:
    if definition.method == "percent_of_answered_max":
        text = f"{definition.short_name} {score:.{definition.decimals}f}%"
    elif definition.method == "mean":
        text = (
            f"{definition.short_name} mean {_fmt(score)}/{_fmt(definition.score_max)} "
            f"over {answers} {definition.item_noun} ratings"
        )
    else:
        text = f"{definition.short_name} {_fmt(score)}/{_fmt(definition.score_max)}"
    text += f" ({definition.direction.replace('_', ' ')})"
    for subscale in definition.subscales:
        if subscale.id in subscores:
            text += f", {subscale.short_name} {_fmt(subscores[subscale.id])}/{_fmt(subscale.max)}"
    if band_meaning:
        text += f": {band_meaning}"
    return text + "."


def _checked_score(definition: InstrumentDefinition, which: str, value: object) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InstrumentError(f"{definition.id} {which}: {value!r} is not a number")
    if not definition.score_min <= value <= definition.score_max:
        raise InstrumentError(
            f"{definition.id} {which}: {_fmt(value)} is outside the score range "
            f"{_fmt(definition.score_min)}–{_fmt(definition.score_max)}"
        )
    return value


def _sub(definition: InstrumentDefinition, flag: Flag) -> str:
    return next(s.short_name for s in definition.subscales if s.id == flag.applies_to)


def _direction_word(improvement: float) -> str:
    if improvement > 0:
        return "improved"
    return "worsened" if improvement < 0 else "unchanged"


def _reaches(value: float, threshold: float | None) -> bool:
    return threshold is not None and value >= threshold - _TOLERANCE


def _tidy(value: float) -> float | int:
    """Whole numbers as int, so sums read '7', not '7.0'."""
    return int(value) if float(value).is_integer() else value


def _fmt(value: float) -> str:
    return f"{value:g}"


def _join(numbers: Iterable[int]) -> str:
    return ", ".join(str(n) for n in numbers)
