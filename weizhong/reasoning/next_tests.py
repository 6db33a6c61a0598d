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

import math
from typing import Any

from weizhong.case import Case
from weizhong.knowledge import Knowledge
from weizhong.reasoning.differential import Reading, counted_readings

MAX_TESTS = 5


def _entropy(p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1.0 - p) * math.log2(1.0 - p))


def _gain(p: float, sensitivity: float, specificity: float) -> tuple[float, float, float]:
    """Expected information gain (bits) and the probability after a positive / negative."""
    p_pos = p * sensitivity + (1.0 - p) * (1.0 - specificity)
    after_pos = p * sensitivity / p_pos
    after_neg = p * (1.0 - sensitivity) / (1.0 - p_pos)
    expected = p_pos * _entropy(after_pos) + (1.0 - p_pos) * _entropy(after_neg)
    return _entropy(p) - expected, after_pos, after_neg


def next_tests(
    case: Case,
    knowledge: Knowledge,
    readings: list[Reading],
    probabilities: dict[str, float],
    limit: int = MAX_TESTS,
) -> list[dict[str, Any]]:
    counted = counted_readings(readings)
    group_strength = {key: abs(math.log(r.lr)) for key, r in counted.items()}
    # candidate key (finding template) -> condition -> (gain, after_pos, after_neg, evidence)
    candidates: dict[str, dict[str, tuple[float, float, float, str]]] = {}
    findings_of: dict[str, list[str]] = {}
    for reading in readings:
        e = reading.evidence
        if reading.result is not None or not reading.applicable or not reading.missing:
            continue
        if e.sensitivity is None or e.specificity is None:
            continue
        if e.group:
            held = group_strength.get(f"{e.condition}/{e.group}", 0.0)
            if held >= max(abs(math.log(e.lr_positive)), abs(math.log(e.lr_negative))):
                continue
        p = probabilities[e.condition]
        gain, after_pos, after_neg = _gain(p, e.sensitivity, e.specificity)
        template = knowledge.findings[reading.missing[0]].template
        names = findings_of.setdefault(template, [])
        names.extend(n for n in reading.missing if n not in names)
        per_condition = candidates.setdefault(template, {})
        if gain > per_condition.get(e.condition, (0.0, 0.0, 0.0, ""))[0]:
            per_condition[e.condition] = (gain, after_pos, after_neg, e.label)
    ranked = sorted(candidates.items(), key=lambda item: -sum(g for g, *_ in item[1].values()))
    out = []
    for template, per_condition in ranked[:limit]:
        total = sum(g for g, *_ in per_condition.values())
        if total <= 1e-4:
            break
        condition, (_, after_pos, after_neg, label) = max(
            per_condition.items(), key=lambda kv: kv[1][0]
        )
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
                "why": (
                    f"Tests whether {label}: {condition} is {now:.0%} now; it would be about "
                    f"{after_pos:.0%} if positive and {after_neg:.0%} if negative."
                ),
            }
        )
    return out
