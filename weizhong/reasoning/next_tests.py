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

from math import log, log2
from typing import Any

from weizhong.case import Case
from weizhong.i18n import _
from weizhong.knowledge import Knowledge
from weizhong.reasoning.differential import Reading
from weizhong.reasoning.words import percent

MAX_TESTS = 5


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


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return log(p / (1.0 - p))


def _shift(
    leader: str,
    outcome_lrs: dict[str, float],
    probabilities: dict[str, float],
    none_id: str | None,
    fixed: frozenset[str],
) -> float:
    """How far one result moves a leading condition's log-odds. A capped condition does not
    move; "none of the others" moves with every specific condition the result touches."""
    if leader in fixed:
        return 0.0
    if leader == none_id:
        p_none = probabilities[leader]
        after = p_none
        for condition, lr in outcome_lrs.items():
            p = probabilities[condition]
            odds = p / (1.0 - p) * lr if p < 1.0 else float("inf")
            p_after = odds / (1.0 + odds)
            after *= (1.0 - p_after) / (1.0 - p) if p < 1.0 else 1.0
        return _logit(after) - _logit(p_none)
    moved = outcome_lrs.get(leader)
    return log(moved) if moved else 0.0


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
        top = sorted(probabilities, key=lambda c: -probabilities[c])[:2]
        leading = (top[0], top[1]) if len(top) == 2 else None
    none_id = next((c.id for c in knowledge.conditions if c.computed), None)
    weight = knowledge.outside_population.weight
    group_strength = {key: r.strength for key, r in counted.items()}
    entropy = {condition: _entropy(p) for condition, p in probabilities.items()}
    # candidate key (finding template) -> condition -> (gain, after_pos, after_neg, label, lr+,
    # lr-, p_positive)
    candidates: dict[str, dict[str, tuple[float, float, float, str, float, float, float]]] = {}
    findings_of: dict[str, list[str]] = {}
    for reading in readings:
        e = reading.evidence
        if reading.result is not None or not reading.applicable or not reading.missing:
            continue
        if e.sensitivity is None or e.specificity is None:
            continue
        if e.group and group_strength.get(e.group_key, 0.0) >= e.strength:
            continue
        p = probabilities[e.condition]
        gain, after_pos, after_neg = _gain(p, entropy[e.condition], e.sensitivity, e.specificity)
        lr_pos, lr_neg = e.lr_positive, e.lr_negative
        if reading.outside:
            lr_pos, lr_neg = lr_pos**weight, lr_neg**weight
            gain *= weight  # a reduced reading tells less
        p_positive = p * e.sensitivity + (1.0 - p) * (1.0 - e.specificity)
        # Each unexamined finding the entry needs is a candidate (a test on each symptomatic
        # side is one candidate, listed by side in `findings`).
        for name in reading.missing:
            template = knowledge.findings[name].template
            names = findings_of.setdefault(template, [])
            if name not in names:
                names.append(name)
            per_condition = candidates.setdefault(template, {})
            if gain > per_condition.get(e.condition, (0.0,))[0]:
                per_condition[e.condition] = (
                    gain,
                    after_pos,
                    after_neg,
                    e.label,
                    lr_pos,
                    lr_neg,
                    p_positive,
                )
    totals = {t: sum(v[0] for v in per.values()) for t, per in candidates.items()}
    separation: dict[str, float] = {}
    for template, per in candidates.items():
        if leading is None:
            separation[template] = 0.0
            continue
        # The chance of a positive result, read from the entry on a leader when there is one.
        anchor = next((c for c in leading if c in per), max(per, key=lambda c: per[c][0]))
        p_pos = per[anchor][6]
        expected = 0.0
        positive = {c: v[4] for c, v in per.items()}
        negative = {c: v[5] for c, v in per.items()}
        for p_outcome, lrs in ((p_pos, positive), (1.0 - p_pos, negative)):
            a = _shift(leading[0], lrs, probabilities, none_id, fixed)
            b = _shift(leading[1], lrs, probabilities, none_id, fixed)
            expected += p_outcome * abs(a - b)
        separation[template] = expected
    ranked = sorted(totals, key=lambda t: (-round(separation[t], 6), -totals[t]))
    out: list[dict[str, Any]] = []
    for template in ranked:
        if len(out) >= limit:
            break
        total = totals[template]
        if total <= 1e-4 and separation[template] <= 1e-4:
            continue
        per_condition = candidates[template]
        condition = max(per_condition, key=lambda c: per_condition[c][0])
        gain, after_pos, after_neg, label = per_condition[condition][:4]
        names = findings_of[template]
        definition = knowledge.findings[names[0]]
        now = probabilities[condition]
        why = _(
            "Tests whether {finding}: {condition} is {now} now; about {positive} if "
            "positive, {negative} if negative."
        ).format(
            finding=label,
            condition=knowledge.condition_names[condition],
            now=percent(now),
            positive=percent(after_pos),
            negative=percent(after_neg),
        )
        separates: list[str] | None = None
        if leading is not None and separation[template] > 1e-4:
            separates = list(leading)
            why = (
                _("Separates {first} from {second}. ").format(
                    first=knowledge.condition_names[leading[0]],
                    second=knowledge.condition_names[leading[1]],
                )
                + why
            )
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
                "conditions": sorted(per_condition, key=lambda c: -per_condition[c][0]),
                "why": why,
            }
        )
    return out
