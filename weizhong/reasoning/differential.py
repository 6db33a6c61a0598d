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
from math import exp, log
from typing import Any

from weizhong.case import Case
from weizhong.i18n import _
from weizhong.knowledge import Knowledge
from weizhong.knowledge.records import ConditionDef, EvidenceDef
from weizhong.reasoning.words import percent


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
    """The entries that bear on this case: every examined result, and every unexamined test
    that could be proposed next (applicable, with both likelihood ratios informative)."""
    view = case.view
    raw_age = view.get("age")
    known_age = not isinstance(raw_age, bool) and isinstance(raw_age, int | float)
    age = float(raw_age) if known_age else 0.0  # type: ignore[arg-type]
    weight = knowledge.outside_population.weight
    readings = []
    for evidence, variants in knowledge.evidence_on(case.symptomatic_sides()):
        result: bool | None = None
        side: str | None = None
        applicable = False
        missing: list[str] = []
        for variant in variants:
            given = variant.given_check(view) if variant.given else True
            if given is False:
                continue
            applicable = True
            if given is None:  # applicable or not depends on findings not yet examined
                missing += [
                    n
                    for p in variant.given
                    if p.check(view) is None
                    for n in p.reads
                    if n in variant.given_reads and view.get(n) is None
                ]
                continue
            outcome = variant.when_check(view)
            if outcome is True:
                result, side = True, variant.side
                break
            if outcome is False:
                if result is None:
                    result, side = False, variant.side
                elif variant.side is not None:
                    side = "both"  # negative on each side read
            else:
                missing += [n for n in variant.reads if view.get(n) is None]
        population = evidence.population  # the loader always sets both ages
        outside = known_age and (
            age < (population.age_min or 0.0) or age > (population.age_max or 200.0)
        )
        if result is not None:
            lr = evidence.lr_positive if result else evidence.lr_negative
            if outside:
                lr = lr**weight
            readings.append(Reading(evidence, result, side, True, (), lr, abs(log(lr)), outside))
        elif applicable and missing and evidence.proposable:
            missing_once = tuple(dict.fromkeys(missing))
            readings.append(Reading(evidence, None, None, True, missing_once, 1.0, 0.0, outside))
    return readings


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


_Key = tuple[EvidenceDef, bool, "str | None", bool, "str | None", float | None]
_STATIC: dict[_Key, dict[str, Any]] = {}


def _static_part(key: _Key) -> dict[str, Any]:
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
    return {
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


def _because(
    reading: Reading, counted: bool, instead: str | None, case: Case, weight: float
) -> dict[str, Any]:
    """One finding's contribution to a condition, in words and numbers."""
    e = reading.evidence
    key = (
        e,
        bool(reading.result),
        reading.side,
        counted,
        instead,
        weight if reading.outside else None,
    )
    static = _STATIC.get(key)
    if static is None:
        static = _STATIC[key] = _static_part(key)
    view = case.view
    item = dict(static)
    values: dict[str, object] = {}
    for name in e.reads_on_side[reading.side]:
        value = view.get(name)
        if value is not None:
            values[name] = sorted(value) if type(value) is frozenset else value
    item["values"] = values
    return item


def cited_sources(differential: list[dict[str, Any]], knowledge: Knowledge) -> dict[str, str]:
    """The sources this result cites, once each: its evidence by id, and every prior."""
    everything = knowledge.sources
    cited = {key: text for key, text in everything.items() if key.startswith("prior:")}
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
        log_odds = log(condition.prior / (1.0 - condition.prior))
        because = []
        moved = estimated = 0.0
        mine = by_condition.get(condition.id, [])
        mine.sort(key=lambda r: (r.evidence.id not in counted_ids, -r.strength))
        for reading in mine:
            is_counted = reading.evidence.id in counted_ids
            if is_counted:
                log_odds += log(reading.lr)
                moved += reading.strength
                if reading.evidence.citation.estimate:
                    estimated += reading.strength
            instead = None if is_counted else group_winner.get(reading.evidence.group_key)
            because.append(_because(reading, is_counted, instead, case, weight))
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
                "summary": _summary(condition.name, condition.prior, probability, because, cap),
                "because": because,
                "estimate_share": round(estimated / moved, 3) if moved else 0.0,
                "cap": cap,
            }
        )
    for condition in knowledge.conditions:
        if condition.computed:
            none_of_them = math.prod(1.0 - p for _, p in specific_probabilities)
            leading = sorted(specific_probabilities, key=lambda cp: -cp[1])[:3]
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
    entries.sort(key=lambda entry: -float(entry["probability"]))
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
    or hip cause), when every charted pain region lies where no modelled condition
    is felt, or when no condition stands out and no back pain makes "nonspecific low back pain"
    the fitting answer. The rules and thresholds live in conditions.toml [fit]."""
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
            ).format(regions=", ".join(sorted(regions))),
        }
    standing_out = None
    for entry in differential:
        prior = entry["prior"]
        p = float(entry["probability"])
        if prior is None or entry["cap"] is not None or not 0.0 < p < 1.0:
            continue
        ratio = (p / (1.0 - p)) / (prior / (1.0 - prior))
        if ratio >= rules.min_odds_ratio and p >= rules.min_probability:
            standing_out = entry
            break  # entries are sorted, so the first is the most probable
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
    return {
        "status": "poor",
        "rule": "fit_nothing_stands_out",
        "why": _(
            "No modelled condition stands out and no back pain is charted, so the picture fits "
            "none of them yet. Chart the pain and examine further before choosing a treatment."
        ),
    }


def _summary(
    name: str,
    prior: float,
    probability: float,
    because: Sequence[dict[str, Any]],
    cap: dict[str, Any] | None = None,
) -> str:
    up: list[str] = []
    down: list[str] = []
    for b in because:
        if not b["counted"]:
            continue
        said = b["finding"] if b["present"] else _("not {finding}").format(finding=b["finding"])
        if b.get("estimate"):
            said += " " + _("(estimate)")
        if b["effect"] == "raises":
            up.append(said)
        else:
            down.append(said)
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
