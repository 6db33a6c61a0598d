"""Next best tests: which unexamined findings would best separate the two leading conditions.

Issue 11 (HZ-19): tests are ranked first by the expected absolute change in the log-odds ratio
between the two most probable conditions (a result that raises both alike separates nothing), and
each says which two it separates; information gain breaks ties and orders the rest, which are
labelled as not separating the leaders.

For each unexamined finding, every evidence entry it would settle is treated as a binary test
with the entry's sensitivity and specificity against its condition. The expected information gain
for that condition is the binary entropy of its current probability minus the expected entropy
after the result; a finding's value is the sum over conditions (the best entry per condition, since
entries from one finding are correlated). An entry whose group already has a stronger counted
result adds nothing and is skipped. Risk factors without an informative negative (LR− = 1) are
never proposed.
"""

from __future__ import annotations

from functools import lru_cache
from math import log, log2
from operator import itemgetter
from typing import Any

from weizhong.case import Case
from weizhong.i18n import _
from weizhong.knowledge import Knowledge
from weizhong.numbers import percent
from weizhong.reasoning.differential import Reading

MAX_TESTS = 5
_GAIN = itemgetter(0)  # a candidate's expected information gain


def _entropy(p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return 0.0
    q = 1.0 - p
    return -(p * log2(p) + q * log2(q))


def _gain(
    p: float, entropy_now: float, sensitivity: float, specificity: float
) -> tuple[float, float, float]:
    """Expected information gain (bits) and the probability after a positive / negative."""
    p_pos = p * sensitivity + (1.0 - p) * (1.0 - specificity)
    after_pos = p * sensitivity / p_pos
    after_neg = p * (1.0 - sensitivity) / (1.0 - p_pos)
    expected = p_pos * _entropy(after_pos) + (1.0 - p_pos) * _entropy(after_neg)
    return entropy_now - expected, after_pos, after_neg


@lru_cache(maxsize=16384)
def _test_of(p: float, sensitivity: float, specificity: float) -> tuple[float, float, float, float]:
    """:func:`_gain` of a test at probability ``p`` (from its entropy now), and the chance of a
    positive result. Remembered: ``p`` is a rounded probability and tests are few, so the same
    arguments recur case after case (about twenty tests are weighed per case)."""
    gain, after_pos, after_neg = _gain(p, _entropy(p), sensitivity, specificity)
    return gain, after_pos, after_neg, p * sensitivity + (1.0 - p) * (1.0 - specificity)


@lru_cache(maxsize=16384)
def _tests_whether(
    finding: str, condition: str, now: float, positive: float, negative: float
) -> str:
    """What a test tells, in words. Remembered: the same tests at the same (rounded)
    probabilities recur case after case, and the sentence is the same each time."""
    return _(
        "Tests whether {finding}: {condition} is {now} now; about {positive} if "
        "positive, {negative} if negative."
    ).format(
        finding=finding,
        condition=condition,
        now=percent(now),
        positive=percent(positive),
        negative=percent(negative),
    )


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return log(p / (1.0 - p))


# A candidate, per finding template and condition: (gain, after_pos, after_neg, label, lr+, lr-,
# p_positive). A plain tuple: a score of them are built per case.
_Candidate = tuple[float, float, float, str, float, float, float]


def _shifts(
    leader: str,
    per: dict[str, _Candidate],
    probabilities: dict[str, float],
    none_id: str | None,
    none_logit: float,
    fixed: frozenset[str],
) -> tuple[float, float]:
    """How far a positive and a negative result (the likelihood ratios in each candidate) move
    a leading condition's log-odds. A capped condition does not move; "none of the others" (its
    log-odds now: ``none_logit``) moves with every specific condition the result touches.
    (Both outcomes in one call: this runs for each leader of every candidate test.)"""
    if leader in fixed:
        return 0.0, 0.0
    if leader == none_id:
        after_pos = after_neg = probabilities[leader]
        for condition, candidate in per.items():
            p = probabilities[condition]
            if p < 1.0:
                prior_odds = p / (1.0 - p)
                odds = prior_odds * candidate[4]  # LR+
                after_pos *= (1.0 - odds / (1.0 + odds)) / (1.0 - p)
                odds = prior_odds * candidate[5]  # LR−
                after_neg *= (1.0 - odds / (1.0 + odds)) / (1.0 - p)
        return _logit(after_pos) - none_logit, _logit(after_neg) - none_logit
    moved = per.get(leader)
    return (log(moved[4]), log(moved[5])) if moved else (0.0, 0.0)


def next_tests(
    case: Case,
    knowledge: Knowledge,
    readings: list[Reading],
    counted: dict[str, Reading],
    probabilities: dict[str, float],
    limit: int = MAX_TESTS,
    leading: tuple[str, str] | None = None,
    fixed: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Unexamined findings ranked by how much they would separate the two leading conditions
    (the expected absolute change in the log-odds ratio between them), then by information.

    ``leading`` is the two most probable conditions (by default from ``probabilities``);
    ``fixed`` the conditions whose shown probability a result cannot move (capped)."""
    if leading is None:
        top = sorted(probabilities, key=probabilities.__getitem__, reverse=True)[:2]
        leading = (top[0], top[1]) if len(top) == 2 else None
    none_id = knowledge.none_of_the_others
    templates = knowledge.finding_templates
    weight = knowledge.outside_population.weight
    group_strength = {key: r.strength for key, r in counted.items()}
    candidates: dict[str, dict[str, _Candidate]] = {}  # finding template -> condition -> candidate
    findings_of: dict[str, list[str]] = {}
    for reading in readings:
        e = reading.evidence
        if reading.result is not None or not reading.applicable or not reading.missing:
            continue
        if e.sensitivity is None or e.specificity is None:
            continue
        if e.group and group_strength.get(e.group_key, 0.0) >= e.strength:
            continue
        gain, after_pos, after_neg, p_positive = _test_of(
            probabilities[e.condition], e.sensitivity, e.specificity
        )
        lr_pos, lr_neg = e.lr_positive, e.lr_negative
        if reading.outside:
            lr_pos, lr_neg = lr_pos**weight, lr_neg**weight
            gain *= weight  # a reduced reading tells less
        # Each unexamined finding the entry needs is a candidate (a test on each symptomatic
        # side is one candidate, listed by side in `findings`).
        for name in reading.missing:
            template = templates[name]
            per_condition = candidates.get(template)
            if per_condition is None:
                per_condition = candidates[template] = {}
                findings_of[template] = [name]
            elif name not in findings_of[template]:
                findings_of[template].append(name)
            best = per_condition.get(e.condition)
            if best is None or gain > best[0]:
                per_condition[e.condition] = (
                    gain,
                    after_pos,
                    after_neg,
                    e.label,
                    lr_pos,
                    lr_neg,
                    p_positive,
                )
    totals: dict[str, float] = {}
    separation: dict[str, float] = {}
    # Where "none of the others" leads, every test's shift of it starts from its log-odds now.
    none_logit = _logit(probabilities[none_id]) if leading and none_id in leading else 0.0
    for template, per in candidates.items():
        totals[template] = sum(map(_GAIN, per.values()))  # map: no generator frame per test
        if leading is None:
            separation[template] = 0.0
            continue
        first, second = leading
        if none_id not in leading and first not in per and second not in per:
            # The result moves neither leader: it cannot separate them.
            separation[template] = 0.0
            continue
        # The chance of a positive result, read from the entry on a leader when there is one.
        if first in per:
            anchor = first
        elif second in per:
            anchor = second
        else:
            anchor = max(per, key=lambda c: per[c][0])
        p_pos = per[anchor][6]
        a_pos, a_neg = _shifts(first, per, probabilities, none_id, none_logit, fixed)
        b_pos, b_neg = _shifts(second, per, probabilities, none_id, none_logit, fixed)
        separation[template] = p_pos * abs(a_pos - b_pos) + (1.0 - p_pos) * abs(a_neg - b_neg)
    # Separation first (rounded, so that float noise does not reorder ties), then information.
    rank = {t: (-round(separation[t], 6), -total) for t, total in totals.items()}
    ranked = sorted(totals, key=rank.__getitem__)
    out: list[dict[str, Any]] = []
    separates_words = (  # the same for every test of this case: said once
        _("Separates {first} from {second}. ").format(
            first=knowledge.condition_names[leading[0]],
            second=knowledge.condition_names[leading[1]],
        )
        if leading is not None and ranked
        else ""
    )
    for template in ranked:
        if len(out) >= limit:
            break
        total = totals[template]
        if total <= 1e-4 and separation[template] <= 1e-4:
            continue
        per_condition = candidates[template]
        # Most informative first; on a tie the first met, so [0] is what max() would pick.
        conditions = sorted(per_condition, key=lambda c: -per_condition[c][0])
        condition = conditions[0]
        gain, after_pos, after_neg, label = per_condition[condition][:4]
        names = findings_of[template]
        definition = knowledge.findings[names[0]]
        now = probabilities[condition]
        why = _tests_whether(label, knowledge.condition_names[condition], now, after_pos, after_neg)
        separates: list[str] | None = None
        if leading is not None and separation[template] > 1e-4:
            separates = list(leading)
            why = separates_words + why
        elif leading is not None:
            why = _("Does not separate the two leading conditions. ") + why
        out.append(
            {
                "finding": names[0],
                "findings": names,
                "kind": "differential",
                "label": definition.label,
                "howto": definition.howto,
                "expected_information_gain": round(total, 4),
                "expected_separation": round(separation[template], 4),
                "separates": separates,
                "conditions": conditions,
                "why": why,
            }
        )
    return out
