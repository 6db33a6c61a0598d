"""Score the clinic's questionnaires: ODI, RMDQ, STarT Back, NPRS, PSFS, FABQ and LEFS.

The rules (item counts, answer ranges, formulas, bands, cut-offs, MCID, MDC, missing-item
limits) live in ``knowledge/data/instruments.toml`` with their sources, read and checked by
:mod:`weizhong.knowledge.instruments`; this module applies them. It holds no clinical number of
its own. The definitions are re-exported here, so either import path works.

    >>> score_instrument("odi", [2, 2, 1, 2, 2, 1, 2, 1, 2, 1]).score
    32.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from weizhong.i18n import _
from weizhong.knowledge.instruments import (
    DATA_FILE,
    AnswerRule,
    Band,
    ChangeThreshold,
    Direction,
    Flag,
    InstrumentDataError,
    InstrumentDefinition,
    InstrumentError,
    InstrumentLibrary,
    ItemCount,
    MissingRule,
    Provenance,
    Stratification,
    Subscale,
    check_answers,
    instrument_definition,
    instrument_ids,
    load_instrument_file,
    load_instruments,
)
from weizhong.knowledge.instruments import fmt as _fmt
from weizhong.knowledge.instruments import join_items as _join

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
    "improvement_threshold",
    "instrument_definition",
    "instrument_ids",
    "load_instrument_file",
    "score_instrument",
]

_TOLERANCE = 1e-9  # float noise allowed when a change is compared with a threshold


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


# --------------------------------------------------------------------------- scoring


def score_instrument(instrument_id: str, answers: Sequence[int | float | None]) -> InstrumentResult:
    """Score one completed questionnaire; ``None`` marks a skipped item.

    Raises :class:`InstrumentError` for an unknown id, the wrong number of answers, a value the
    item does not accept, or more skipped items than the instrument's rule tolerates.
    """
    definition, values = check_answers(instrument_id, answers)
    skipped = [n for n, v in enumerate(values, start=1) if v is None]

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
        knowledge_version=load_instruments().version,
    )


def _percent_threshold(definition: InstrumentDefinition, start: float) -> float | None:
    """The percent-of-baseline rule in points from ``start``: None without one."""
    if definition.mcid is None or definition.mcid.percent is None:
        return None
    room = start - definition.score_min
    return room * definition.mcid.percent / 100 if room > 0 else None


def improvement_threshold(instrument_id: str, baseline: float) -> tuple[float, str] | None:
    """The improvement from ``baseline`` that ``important_change`` counts as important, and how
    it was chosen in words: the MCID in points, or the percent-of-baseline rule where that is
    smaller (ODI from 30: 30% = 9 points, not 10). None when no MCID is stored. The outcome
    chart draws its band with this, so the figure and the rule read the same number."""
    definition = instrument_definition(instrument_id)
    if definition.mcid is None:
        return None
    points = definition.mcid.points
    by_percent = _percent_threshold(definition, baseline)
    if by_percent is not None and by_percent < points:
        return round(by_percent, 6), _("{percent}% of the first score").format(
            percent=_fmt(definition.mcid.percent or 0)
        )
    return points, _("MCID")


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
    percent_threshold = _percent_threshold(definition, start)
    if percent is not None and baseline > 0:
        percent_improvement = improvement / baseline * 100

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
        "knowledge_version": load_instruments().version,
    }


# --------------------------------------------------------------------------- scoring helpers


# --------------------------------------------------------------------------- scoring helpers


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
