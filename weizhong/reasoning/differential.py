"""The differential: each condition's pre-test probability updated by likelihood ratios.

Conditions are not mutually exclusive, so each is updated on its own (odds × LRs). Entries that
share a `group` in evidence.toml measure the same thing (SLR, slump and structural
differentiation; the two piriformis tests; the hamstring-length measures): only the most
informative of a group counts, so correlated tests are not double-counted. "Nonspecific" is the
chance that none of the specific conditions is present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from weizhong.case import Case
from weizhong.knowledge import Knowledge
from weizhong.knowledge.predicates import all_of
from weizhong.knowledge.records import EvidenceDef


@dataclass(frozen=True)
class Reading:
    """How one evidence entry reads on this case."""

    evidence: EvidenceDef
    result: bool | None  # True positive, False negative, None not examined / not applicable
    side: str | None
    applicable: bool  # False when its `given` fails on every read side
    missing: tuple[str, ...]  # unexamined findings that would settle it

    @property
    def lr(self) -> float:
        if self.result is None:
            return 1.0
        return self.evidence.lr_positive if self.result else self.evidence.lr_negative


def read_evidence(case: Case, knowledge: Knowledge) -> list[Reading]:
    sides = case.symptomatic_sides()
    readings = []
    view = case.view
    findings = knowledge.findings
    for evidence in knowledge.evidence:
        result: bool | None = None
        side: str | None = None
        applicable = False
        missing: list[str] = []
        for variant in evidence.variants:
            if variant.side is not None and variant.side not in sides:
                continue
            given = all_of(variant.given, view)
            if given is False:
                continue
            applicable = True
            if given is None:
                missing.extend(
                    n
                    for p in variant.given
                    for n in p.reads
                    if n in findings and view.get(n) is None
                )
                continue
            outcome = all_of(variant.when, view)
            if outcome is True:
                result, side = True, variant.side
                break
            if outcome is False and result is None:
                result, side = False, variant.side
            elif outcome is None:
                missing.extend(n for n in variant.reads if n in findings and view.get(n) is None)
        readings.append(
            Reading(
                evidence,
                result,
                side if result is not None else None,
                applicable,
                tuple(dict.fromkeys(missing)),
            )
        )
    return readings


def _strength(lr: float) -> float:
    return abs(math.log(lr))


def counted_readings(readings: list[Reading]) -> dict[str, Reading]:
    """Per (condition, group), the single most informative result; ungrouped ones all count."""
    best: dict[str, Reading] = {}
    for reading in readings:
        if reading.result is None:
            continue
        e = reading.evidence
        key = f"{e.condition}/{e.group}" if e.group else f"{e.condition}/#{e.id}"
        current = best.get(key)
        if current is None or _strength(reading.lr) > _strength(current.lr):
            best[key] = reading
    return best


def _because(reading: Reading, counted: bool, instead: str | None, case: Case) -> dict[str, Any]:
    e = reading.evidence
    lr = reading.lr
    side = f" ({reading.side})" if reading.side else ""
    finding_values = {}
    for variant in e.variants:
        if variant.side == reading.side:
            for name in variant.reads:
                value = case.view.get(name)
                if value is not None:
                    finding_values[name] = sorted(value) if isinstance(value, frozenset) else value
    effect = "raises" if lr > 1 else "lowers" if lr < 1 else "leaves"
    found = "present" if reading.result else "absent"
    text = f"{found} — {e.label}{side}: LR {lr:.2g} {effect} it"
    if not counted:
        text += f" — not counted again: measures the same as '{instead}', which counts"
    return {
        "evidence": e.id,
        "finding": e.label,
        "present": bool(reading.result),
        "side": reading.side,
        "values": finding_values,
        "likelihood_ratio": round(lr, 3),
        "effect": effect,
        "counted": counted,
        "text": text,
        "source": e.citation.text(),
        "estimate": e.citation.estimate,
    }


def compute_differential(
    case: Case, knowledge: Knowledge, readings: list[Reading]
) -> list[dict[str, Any]]:
    counted = counted_readings(readings)
    counted_ids = {r.evidence.id for r in counted.values()}
    group_winner = {
        f"{r.evidence.condition}/{r.evidence.group}": r.evidence.label
        for r in counted.values()
        if r.evidence.group
    }
    by_condition: dict[str, list[Reading]] = {}
    for reading in readings:
        if reading.result is not None and reading.lr != 1.0:
            by_condition.setdefault(reading.evidence.condition, []).append(reading)
    entries: list[dict[str, Any]] = []
    specific_probabilities = []
    for condition in knowledge.conditions:
        if condition.computed:
            continue
        assert condition.prior is not None
        log_odds = math.log(condition.prior / (1.0 - condition.prior))
        because = []
        for reading in by_condition.get(condition.id, []):
            is_counted = reading.evidence.id in counted_ids
            if is_counted:
                log_odds += math.log(reading.lr)
            instead = (
                None if is_counted else group_winner.get(f"{condition.id}/{reading.evidence.group}")
            )
            because.append(_because(reading, is_counted, instead, case))
        because.sort(key=lambda b: (not b["counted"], -_strength(b["likelihood_ratio"])))
        probability = 1.0 / (1.0 + math.exp(-log_odds))
        specific_probabilities.append((condition, probability))
        entries.append(
            {
                "condition": condition.id,
                "name": condition.name,
                "probability": round(probability, 4),
                "prior": condition.prior,
                "prior_source": condition.citation.text(),
                "because": because,
                "summary": _summary(condition.name, condition.prior, probability, because),
            }
        )
    for condition in knowledge.conditions:
        if condition.computed:
            none_of_them = math.prod(1.0 - p for _, p in specific_probabilities)
            leading = sorted(specific_probabilities, key=lambda cp: -cp[1])[:3]
            because = [
                {
                    "condition": c.id,
                    "probability": round(p, 4),
                    "text": f"{c.name} at {p:.0%}",
                    "counted": True,
                }
                for c, p in leading
            ]
            entries.append(
                {
                    "condition": condition.id,
                    "name": condition.name,
                    "probability": round(none_of_them, 4),
                    "prior": None,
                    "prior_source": condition.citation.text(),
                    "because": because,
                    "summary": (
                        f"{none_of_them:.0%} chance that none of the specific causes is "
                        f"present; the most likely specific one is {leading[0][0].name} "
                        f"({leading[0][1]:.0%})."
                    ),
                }
            )
    entries.sort(key=lambda entry: -float(entry["probability"]))
    return entries


def _summary(name: str, prior: float, probability: float, because: list[dict[str, Any]]) -> str:
    counted = [b for b in because if b["counted"]]
    if not counted:
        return f"{probability:.0%}: no examined finding bears on it yet (prior {prior:.0%})."

    def said(b: dict[str, Any]) -> str:
        return str(b["finding"]) if b["present"] else f"not {b['finding']}"

    up = [said(b) for b in counted if b["effect"] == "raises"][:3]
    down = [said(b) for b in counted if b["effect"] == "lowers"][:2]
    parts = [f"{probability:.0%} (prior {prior:.0%})"]
    if up:
        parts.append("for: " + "; ".join(up))
    if down:
        parts.append("against: " + "; ".join(down))
    return ". ".join(parts) + "."
