"""The differential: each condition's pre-test probability updated by likelihood ratios.

Conditions are not mutually exclusive, so each is updated on its own (odds × LRs). Entries that
share a `group` in evidence.toml measure the same thing (SLR, slump and structural
differentiation; the two piriformis tests; the hamstring-length measures): only the most
informative of a group counts, so correlated tests are not double-counted. "Nonspecific" is the
chance that none of the specific conditions is present.

Three honesty rules (issue 11):
- a reading from a patient outside the entry's study population (age) is marked and counted at a
  reduced weight (evidence.toml [population]: log LR times ``outside_weight``);
- a condition whose name claims back pain is capped when the body chart was filled in without
  back or sacral pain (conditions.toml [back_pain_label]);
- each entry says how much of its movement rests on expert estimates (``estimate_share``), and
  :func:`assess_fit` says when the picture fits none of the modelled conditions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import exp, log
from operator import itemgetter
from typing import Any

from weizhong.case import Case
from weizhong.i18n import _
from weizhong.knowledge import Knowledge
from weizhong.knowledge.records import ConditionDef, EvidenceDef
from weizhong.numbers import percent
from weizhong.reasoning.words import region_words


@dataclass(slots=True)  # not frozen: frozen __init__ is slow on this hot path
class Reading:
    """How one evidence entry reads on this case."""

    evidence: EvidenceDef
    result: bool | None  # True positive, False negative, None not examined / not applicable
    side: str | None
    applicable: bool  # False when its `given` fails on every read side
    missing: tuple[str, ...]  # unexamined findings that would settle it
    lr: float  # the likelihood ratio that applies (1.0 when not examined)
    strength: float  # |log LR|: how far this result moves its condition
    outside: bool = False  # the patient lies outside the entry's study population


def read_evidence(case: Case, knowledge: Knowledge) -> list[Reading]:
    """The entries that bear on this case: every examined result, then every unexamined test
    that could be proposed next (applicable, with both likelihood ratios informative)."""
    results, unexamined = read_results(case, knowledge)
    return results + unexamined


def read_results(case: Case, knowledge: Knowledge) -> tuple[list[Reading], list[Reading]]:
    """:func:`read_evidence` in its two parts, each in entry order: the examined results (what
    the differential counts) and the unexamined tests (what next tests weigh), so that neither
    has to sift the other out."""
    view = case.view
    raw_age = view.get("age")
    known_age = not isinstance(raw_age, bool) and isinstance(raw_age, int | float)
    age = float(raw_age) if known_age else 0.0  # type: ignore[arg-type]
    weight = knowledge.outside_population.weight
    results: list[Reading] = []
    unexamined: list[Reading] = []
    for evidence, low, high, proposable, variants in knowledge.reading_plan(
        case.symptomatic_sides()
    ):
        result: bool | None = None
        side: str | None = None
        applicable = False
        missing: list[str] = []
        for variant_side, given_check, given, given_reads, when_check, reads in variants:
            if given_check is not None:
                holds = given_check(view)
                if holds is False:
                    continue
                if holds is None:  # applicable or not depends on findings not yet examined
                    applicable = True
                    missing += [
                        n
                        for p in given
                        if p.check(view) is None
                        for n in p.reads
                        if n in given_reads and view.get(n) is None
                    ]
                    continue
            applicable = True
            outcome = when_check(view)
            if outcome is True:
                result, side = True, variant_side
                break
            if outcome is False:
                if result is None:
                    result, side = False, variant_side
                elif variant_side is not None:
                    side = "both"  # negative on each side read
            else:
                for name in reads:  # (a loop: a comprehension costs a call per entry)
                    if view.get(name) is None:
                        missing.append(name)
        outside = known_age and not low <= age <= high
        if result is not None:
            if outside:
                lr = (evidence.lr_positive if result else evidence.lr_negative) ** weight
                strength = abs(log(lr))
            else:
                lr, strength = evidence.results[result]
            results.append(Reading(evidence, result, side, True, (), lr, strength, outside))
        elif applicable and missing and proposable:
            # Most entries miss one finding, which needs no de-duplication.
            missing_once = tuple(missing) if len(missing) == 1 else tuple(dict.fromkeys(missing))
            unexamined.append(Reading(evidence, None, None, True, missing_once, 1.0, 0.0, outside))
    return results, unexamined


def counted_readings(readings: list[Reading]) -> dict[str, Reading]:
    """Per group key, the single most informative result; ungrouped entries all count."""
    best: dict[str, Reading] = {}
    for reading in readings:
        if reading.result is None:
            continue
        key = reading.evidence.group_key
        current = best.get(key)
        if current is None or reading.strength > current.strength:
            best[key] = reading
    return best


@dataclass(frozen=True, slots=True)
class _Contribution:
    """The case-independent part of one finding's contribution to a condition."""

    item: dict[str, Any]  # the `because` entry, its "values" still empty
    said: str  # how the condition's summary names the finding
    raises: bool  # whether the summary lists it under "for" (else "against")


_Key = tuple[EvidenceDef, bool, "str | None", bool, "str | None", float | None]
# Built once per kind of reading, then copied for each case: the texts are the same every time.
_STATIC: dict[_Key, _Contribution] = {}


def _static_part(key: _Key) -> _Contribution:
    """The case-independent part of a contribution: built once, copied for each case.

    The last part of the key is the outside-population weight, or None inside the population."""
    evidence, result, side, counted, instead, outside_weight = key
    published = evidence.lr_positive if result else evidence.lr_negative
    lr = published if outside_weight is None else published**outside_weight
    effect = "raises" if lr > 1 else "lowers" if lr < 1 else "leaves"
    sides = {"left": _("left"), "right": _("right"), "both": _("both sides")}
    where = f" ({sides[side]})" if side else ""
    if result:
        template = (
            _("present — {finding}{where}: LR {lr} raises it")
            if lr > 1
            else _("present — {finding}{where}: LR {lr} lowers it")
        )
    else:
        template = (
            _("absent — {finding}{where}: LR {lr} lowers it")
            if lr < 1
            else _("absent — {finding}{where}: LR {lr} raises it")
        )
    text = template.format(finding=evidence.label, where=where, lr=f"{lr:.2g}")
    if evidence.citation.estimate:
        text += " " + _("(estimate)")
    if outside_weight is not None:
        text += " — " + _(
            "outside the study population ({population}): counted at reduced weight "
            "(LR {published} as published)"
        ).format(population=evidence.population.describe(), published=f"{published:.2g}")
    if not counted:
        text += " — " + _("not counted again: measures the same as '{other}', which counts").format(
            other=instead
        )
    said = evidence.label if result else _("not {finding}").format(finding=evidence.label)
    if evidence.citation.estimate:
        said += " " + _("(estimate)")
    item: dict[str, Any] = {
        "evidence": evidence.id,
        "finding": evidence.label,
        "present": result,
        "side": side,
        "values": {},
        "likelihood_ratio": round(lr, 3),
        "effect": effect,
        "counted": counted,
        "text": text,
        "estimate": evidence.citation.estimate,
        "outside_population": outside_weight is not None,
        "population": evidence.population.describe(),
    }
    return _Contribution(item, said, effect == "raises")


def _static_for(key: _Key) -> _Contribution:
    """The case-independent part of a contribution, built on first use."""
    static = _STATIC.get(key)
    if static is None:
        static = _STATIC[key] = _static_part(key)
    return static


def cited_sources(differential: list[dict[str, Any]], knowledge: Knowledge) -> dict[str, str]:
    """The sources this result cites, once each: its evidence by id, and every prior."""
    everything = knowledge.sources
    cited = dict(knowledge.prior_sources)
    for entry in differential:
        for item in entry["because"]:
            if "evidence" in item:
                cited[item["evidence"]] = everything[item["evidence"]]
    return cited


def compute_differential(
    case: Case, knowledge: Knowledge, readings: list[Reading], counted: dict[str, Reading]
) -> list[dict[str, Any]]:
    counted_ids = {r.evidence.id for r in counted.values()}
    group_winner = {
        r.evidence.group_key: r.evidence.label for r in counted.values() if r.evidence.group
    }
    weight = knowledge.outside_population.weight
    view = case.view
    by_condition: dict[str, list[Reading]] = {}
    for reading in readings:
        if reading.result is not None and reading.lr != 1.0:
            by_condition.setdefault(reading.evidence.condition, []).append(reading)
    entries: list[dict[str, Any]] = []
    specific_probabilities = []
    all_moved = all_estimated = 0.0
    for condition in knowledge.conditions:
        if condition.computed:
            continue
        assert condition.prior is not None
        log_odds = condition.prior_log_odds
        because = []
        up: list[str] = []  # what the summary names for and against, counted results only
        down: list[str] = []
        moved = estimated = 0.0
        mine = by_condition.get(condition.id, [])
        mine.sort(key=lambda r: (r.evidence.id not in counted_ids, -r.strength))
        for reading in mine:
            # One finding's contribution, in words and numbers: the case-independent part
            # (texts built once), then this case's values. Inline: it runs ~35 times a case.
            e = reading.evidence
            is_counted = e.id in counted_ids
            instead = None if is_counted else group_winner.get(e.group_key)
            outside_weight = weight if reading.outside else None
            key = (e, reading.result is True, reading.side, is_counted, instead, outside_weight)
            static = _STATIC.get(key) or _static_for(key)
            values: dict[str, object] = {}
            for name in e.reads_on_side[reading.side]:
                value = view.get(name)
                if value is not None:
                    values[name] = sorted(value) if type(value) is frozenset else value
            item = dict(static.item)
            item["values"] = values
            because.append(item)
            if is_counted:
                log_odds += log(reading.lr)
                moved += reading.strength
                if reading.evidence.citation.estimate:
                    estimated += reading.strength
                (up if static.raises else down).append(static.said)
        all_moved += moved
        all_estimated += estimated
        probability, cap = _capped(condition, 1.0 / (1.0 + exp(-log_odds)), view)
        specific_probabilities.append((condition, probability))
        entries.append(
            {
                "condition": condition.id,
                "name": condition.name,
                "probability": round(probability, 4),
                "prior": condition.prior,
                "prior_is_estimate": condition.citation.estimate,
                "summary": (
                    _summary_of(condition.prior, probability, tuple(up[:3]), tuple(down[:2]))
                    if cap is None
                    else _summary(condition.prior, probability, up, down, cap)
                ),
                "because": because,
                "estimate_share": round(estimated / moved, 3) if moved else 0.0,
                "cap": cap,
            }
        )
    for condition in knowledge.conditions:
        if condition.computed:
            none_of_them = math.prod(1.0 - p for _, p in specific_probabilities)
            leading = sorted(specific_probabilities, key=itemgetter(1), reverse=True)[:3]
            leaders: list[dict[str, Any]] = [
                {
                    "condition": c.id,
                    "probability": round(p, 4),
                    "text": _("{condition} at {probability}").format(
                        condition=c.name, probability=percent(p)
                    ),
                    "counted": True,
                }
                for c, p in leading
            ]
            probability, cap = _capped(condition, none_of_them, view)
            summary = _(
                "{probability} chance that none of the specific causes is present; "
                "the most likely specific one is {condition} ({its})."
            ).format(
                probability=percent(none_of_them),
                condition=leading[0][0].name,
                its=percent(leading[0][1]),
            )
            if cap is not None:
                summary += " " + cap["reason"]
            entries.append(
                {
                    "condition": condition.id,
                    "name": condition.name,
                    "probability": round(probability, 4),
                    "prior": None,
                    "prior_is_estimate": False,
                    "summary": summary,
                    "because": leaders,
                    # It moves with every specific condition, so it rests on all their evidence.
                    "estimate_share": round(all_estimated / all_moved, 3) if all_moved else 0.0,
                    "cap": cap,
                }
            )
    # Most probable first; a reverse sort keeps ties in their order.
    entries.sort(key=itemgetter("probability"), reverse=True)
    return _by_exclusion(entries, knowledge)


def stands_out(entry: dict[str, Any], knowledge: Knowledge) -> bool:
    """Whether a specific condition stands out: its odds rose at least ``min_odds_ratio``-fold
    from its prior and it is at least ``min_probability`` (conditions.toml [fit])."""
    prior, p = entry["prior"], float(entry["probability"])
    if prior is None or entry["cap"] is not None or not 0.0 < p < 1.0:
        return False
    rules = knowledge.fit
    ratio = (p / (1.0 - p)) / (prior / (1.0 - prior))
    return ratio >= rules.min_odds_ratio and p >= rules.min_probability


def _by_exclusion(entries: list[dict[str, Any]], knowledge: Knowledge) -> list[dict[str, Any]]:
    """Nonspecific low back pain is a diagnosis of exclusion (conditions.toml
    [nonspecific_by_exclusion]): it never ranks above a specific condition that stands out.
    Its probability (the chance that none of the specific causes is present) is unchanged."""
    none_id = knowledge.none_of_the_others
    at = next((i for i, e in enumerate(entries) if e["condition"] == none_id), None)
    if at is None:
        return entries
    below = [i for i in range(at + 1, len(entries)) if stands_out(entries[i], knowledge)]
    if below:
        entries.insert(below[-1], entries.pop(at))
    return entries


def _capped(
    condition: ConditionDef, probability: float, view: Any
) -> tuple[float, dict[str, Any] | None]:
    """The probability after the back-pain label rule, and the cap that applied (or None).

    The cap applies only when the body chart was filled in and shows no back or sacral pain;
    a chart not yet filled in caps nothing."""
    rule = condition.requires_pain
    if rule is None or probability <= rule.cap or rule.predicate.check(view) is not False:
        return probability, None
    return rule.cap, {
        "rule": rule.rule_id,
        "cap": rule.cap,
        "uncapped": round(probability, 4),
        "reason": rule.reason,
    }


def assess_fit(
    case: Case, knowledge: Knowledge, differential: list[dict[str, Any]]
) -> dict[str, str]:
    """Whether the picture fits any modelled condition well: ``{"status", "why", "rule"}``.

    Poor when the patient lies outside the population the priors were set for (a child), when
    a finding points to something the model does not hold (a clot, arterial disease, a visceral
    or hip cause), when every charted pain region lies where no modelled condition is felt, when
    no pain is charted at all and nothing stands out, or when no condition stands out and no back
    pain makes "nonspecific low back pain" the fitting answer. The rules and thresholds live in
    conditions.toml [fit]."""
    rules = knowledge.fit
    view = case.view
    suggestions = [(rule, text) for rule, p, text in rules.unexplained if p.check(view)]
    if suggestions:
        return {
            "status": "poor",
            "rule": suggestions[0][0],
            "why": _(
                "Findings point outside the modelled conditions: think of {causes}. "
                "Examine for these before treating."
            ).format(causes="; ".join(text for _, text in suggestions)),
        }
    if rules.priors_population.excludes_age(view.get("age")):
        return {
            "status": "poor",
            "rule": "fit_outside_prior_population",
            "why": rules.outside_suggests,
        }
    charted = view.get("pain_regions")
    regions: frozenset[str] = charted if isinstance(charted, frozenset) else frozenset()
    if regions and not (regions & knowledge.explained_regions):
        return {
            "status": "poor",
            "rule": "fit_regions_unexplained",
            "why": _(
                "Pain only in {regions}: none of the modelled conditions is felt there alone. "
                "Look for another cause (for example a clot, arterial disease or a local injury)."
            ).format(regions=", ".join(region_words(r) for r in sorted(regions))),
        }
    # Entries are in order, so the first that stands out is the most probable.
    standing_out = next((e for e in differential if stands_out(e, knowledge)), None)
    if standing_out is not None:
        return {
            "status": "good",
            "rule": "fit_condition_stands_out",
            "why": _("{condition} stands out: {probability} from a prior of {prior}.").format(
                condition=standing_out["name"],
                probability=percent(standing_out["probability"]),
                prior=percent(standing_out["prior"]),
            ),
        }
    if regions & knowledge.back_regions:
        return {
            "status": "good",
            "rule": "fit_nonspecific_back_pain",
            "why": _(
                "Back pain with no specific cause standing out: nonspecific low back pain fits."
            ),
        }
    if not regions:
        return {
            "status": "poor",
            "rule": "fit_no_pain_charted",
            "why": _(
                "No pain is charted and no modelled condition stands out, so nothing can be "
                "matched to the patient yet. Chart where the pain is before choosing a treatment."
            ),
        }
    return {
        "status": "poor",
        "rule": "fit_nothing_stands_out",
        "why": _(
            "No modelled condition stands out and no back pain is charted, so the picture fits "
            "none of them yet. Chart the pain and examine further before choosing a treatment."
        ),
    }


@lru_cache(maxsize=16384)
def _summary_of(
    prior: float, probability: float, up: tuple[str, ...], down: tuple[str, ...]
) -> str:
    """:func:`_summary` of an uncapped condition, remembered: a sentence depends on nothing but
    these, and the same few readings recur from case to case (the texts cost ~10 µs a case)."""
    return _summary(prior, probability, up, down)


def _summary(
    prior: float,
    probability: float,
    up: Sequence[str],
    down: Sequence[str],
    cap: dict[str, Any] | None = None,
) -> str:
    """One condition in a sentence: where it stands, and the counted findings for and against
    (``up`` and ``down``, most informative first)."""
    head = _("{probability} (prior {prior})").format(
        probability=percent(probability), prior=percent(prior)
    )
    if cap is not None:
        head += ". " + cap["reason"]
    if not up and not down:
        return _("{head}: no examined finding bears on it yet.").format(head=head)
    parts = [head]
    if up:
        parts.append(_("for: {findings}").format(findings="; ".join(up[:3])))
    if down:
        parts.append(_("against: {findings}").format(findings="; ".join(down[:2])))
    return ". ".join(parts) + "."
