"""Next best tests: which unexamined findings would most change the picture.

For each unexamined finding, every evidence entry it would settle is treated as a binary test
with the entry's sensitivity and specificity against its condition. The expected information gain
for that condition is the binary entropy of its current probability minus the expected entropy
after the result; a finding's value is the sum over conditions (the best entry per condition, since
entries from one finding are correlated). An entry whose group already has a stronger counted
result adds nothing and is skipped. Risk factors without an informative negative (LR− = 1) are
never proposed.
"""

from __future__ import annotations

from math import log2
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


def next_tests(
    case: Case,
    knowledge: Knowledge,
    readings: list[Reading],
    counted: dict[str, Reading],
    probabilities: dict[str, float],
    limit: int = MAX_TESTS,
) -> list[dict[str, Any]]:
    group_strength = {key: r.strength for key, r in counted.items()}
    entropy = {condition: _entropy(p) for condition, p in probabilities.items()}
    # candidate key (finding template) -> condition -> (gain, after_pos, after_neg, evidence)
    candidates: dict[str, dict[str, tuple[float, float, float, str]]] = {}
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
        # Each unexamined finding the entry needs is a candidate (a test on each symptomatic
        # side is one candidate, listed by side in `findings`).
        for name in reading.missing:
            template = knowledge.findings[name].template
            names = findings_of.setdefault(template, [])
            if name not in names:
                names.append(name)
            per_condition = candidates.setdefault(template, {})
            if gain > per_condition.get(e.condition, (0.0, 0.0, 0.0, ""))[0]:
                per_condition[e.condition] = (gain, after_pos, after_neg, e.label)
    totals = {t: sum(v[0] for v in per.values()) for t, per in candidates.items()}
    ranked = sorted(totals, key=totals.__getitem__, reverse=True)
    out = []
    for template in ranked[:limit]:
        total = totals[template]
        if total <= 1e-4:
            break
        per_condition = candidates[template]
        condition = max(per_condition, key=lambda c: per_condition[c][0])
        gain, after_pos, after_neg, label = per_condition[condition]
        names = findings_of[template]
        definition = knowledge.findings[names[0]]
        now = probabilities[condition]
        out.append(
            {
                "finding": names[0],
                "findings": names,
                "kind": "differential",
                "label": definition.label,
                "howto": definition.howto,
                "expected_information_gain": round(total, 4),
                "conditions": sorted(per_condition, key=lambda c: -per_condition[c][0]),
                "why": _(
                    "Tests whether {finding}: {condition} is {now} now; about {positive} if "
                    "positive, {negative} if negative."
                ).format(
                    finding=label,
                    condition=knowledge.condition_names[condition],
                    now=percent(now),
                    positive=percent(after_pos),
                    negative=percent(after_neg),
                ),
            }
        )
    return out
