"""Herbal formulas the planner may offer, checked against the patient.

The catalogue (``knowledge/data/herbs.toml``) is read and checked by
:mod:`weizhong.planning.herb_catalogue`; its records are re-exported here.

A formula is offered, never prescribed: it is proposed only when it fits the differential, never
when a gate (a red flag, a patient under 18) or an ``avoid`` rule applies to this patient (it is
then listed as withheld, with the reason and the rule ids), and always with its warnings. A rule
that reads a fact the case does not record (age, pregnancy) is reported as "not recorded" so that
the clinician asks, and never read as clear.

The top-level ``warnings`` speak only of offered formulas, once per rule: a rule that applies to
two offered formulas is one warning naming both (``formulas``). Each herb's daily dose is added up
across the offered formulas (honey-fried licorice counts as licorice) and a total above the herb's
usual maximum is a warning that names the total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

from weizhong.case import Case
from weizhong.knowledge.predicates import Predicate
from weizhong.numbers import number
from weizhong.planning.herb_catalogue import (
    Catalogue,
    Formula,
    Gate,
    Herb,
    Ingredient,
    Interaction,
    Offer,
    Severity,
    load_catalogue,
)

__all__ = [
    "Catalogue",
    "Formula",
    "Gate",
    "Herb",
    "HerbProposal",
    "HerbWarning",
    "Interaction",
    "load_catalogue",
    "propose_herbs",
]


# ------------------------------------------------------------------------------ proposing

# A condition leads the differential when it is first, or at least this likely.
LEAD_PROBABILITY = 0.5
OFFERED_NOT_FORCED = (
    "Offered, not prescribed: the herbalist confirms the TCM pattern ({pattern}) and decides, "
    "and the patient may decline."
)


class HerbWarning(TypedDict):
    id: str
    formula: str  # the first formula it applies to; `formulas` lists all of them
    formulas: list[str]
    herb: str
    severity: Severity
    status: Literal["applies", "not_recorded"]
    message: str
    source: str


class IngredientOut(TypedDict):
    herb: str
    pinyin: str
    characters: str
    latin: str
    dose_g: float
    classical: str
    note: str


class CautionOut(TypedDict):
    text: str
    source: str


class OfferedFormula(TypedDict):
    formula: str
    pinyin: str
    characters: str
    english: str
    classical_source: str
    why: str
    ingredients: list[IngredientOut]
    cautions: list[CautionOut]
    interactions_found: list[HerbWarning]


class WithheldFormula(TypedDict):
    formula: str
    pinyin: str
    why: str
    rules: list[str]  # ids of the gates or avoid rules that withheld it
    interactions_found: list[HerbWarning]


class HerbProposal(TypedDict):
    offered: list[OfferedFormula]
    withheld: list[WithheldFormula]
    warnings: list[HerbWarning]


def _leads(differential: Sequence[Mapping[str, Any]]) -> set[str]:
    leads = {str(e["condition"]) for e in differential if e["probability"] >= LEAD_PROBABILITY}
    if differential:
        leads.add(str(differential[0]["condition"]))
    return leads


def _fit(formula: Formula, case: Case, leads: set[str]) -> Offer | None:
    for offer in formula.offers:
        if offer.leads and offer.leads.isdisjoint(leads):
            continue
        if all(p.check(case.view) is True for p in offer.when):
            return offer
    return None


def _missing(predicate: Predicate, case: Case) -> list[str]:
    return [name for name in predicate.reads if case.view.get(name) is None]


def _names(ingredients: Sequence[Ingredient]) -> str:
    return ", ".join(i.herb.pinyin for i in ingredients)


def _check(formula: Formula, case: Case) -> list[HerbWarning]:
    found: list[HerbWarning] = []
    for rule, ingredient in formula.rules():
        result = rule.check(case)
        if result is False:
            continue
        message = rule.message
        if rule.group:
            message = message.replace("{herbs}", _names(formula.members(rule.group)))
        if ingredient is not None and rule.when is None:
            dose = formula.doses()[ingredient.herb.drug]
            message += f" Typical dose in this formula: {number(dose)} g a day."
        if result is None:
            assert rule.when is not None
            missing = ", ".join(_missing(rule.when, case)) or "a fact this rule reads"
            message = f"Not recorded ({missing}): ask before offering. If it applies: {message}"
        found.append(
            HerbWarning(
                id=rule.id,
                formula=formula.id,
                formulas=[formula.id],
                herb=rule.owner,
                # An unrecorded fact cannot withhold a formula; it makes the clinician ask.
                severity=rule.severity if result is True else "warning",
                status="applies" if result is True else "not_recorded",
                message=message,
                source=rule.source,
            )
        )
    return found


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _ingredients(formula: Formula) -> list[IngredientOut]:
    return [
        IngredientOut(
            herb=i.herb.id,
            pinyin=i.herb.pinyin,
            characters=i.herb.characters,
            latin=i.herb.latin,
            dose_g=i.dose_g,
            classical=i.classical,
            note=i.note,
        )
        for i in formula.ingredients
    ]


def _gates(
    cat: Catalogue, case: Case, red_flags: Sequence[Mapping[str, Any]]
) -> tuple[list[tuple[Gate, str]], list[Gate]]:
    """The gates that withhold every formula (with the message), and those not recorded."""
    hit: list[tuple[Gate, str]] = []
    ask: list[Gate] = []
    for gate in cat.gates:
        if gate.on_red_flag:
            if red_flags:
                names = ", ".join(str(f.get("name") or f.get("id")) for f in red_flags)
                hit.append((gate, gate.message.replace("{flags}", names)))
            continue
        assert gate.when is not None
        result = gate.when.check(case.view)
        if result is True:
            hit.append((gate, gate.message))
        elif result is None:
            ask.append(gate)
    return hit, ask


def _copy(warning: HerbWarning) -> HerbWarning:
    return HerbWarning(
        id=warning["id"],
        formula=warning["formula"],
        formulas=list(warning["formulas"]),
        herb=warning["herb"],
        severity=warning["severity"],
        status=warning["status"],
        message=warning["message"],
        source=warning["source"],
    )


def _merge(
    offered: Sequence[OfferedFormula], cat: Catalogue, by_id: Mapping[str, Formula]
) -> list[HerbWarning]:
    """One warning per rule over the offered formulas, naming every formula it applies to."""
    merged: dict[str, HerbWarning] = {}
    for entry in offered:
        for warning in entry["interactions_found"]:
            first = merged.get(warning["id"])
            if first is None:
                merged[warning["id"]] = _copy(warning)
            elif entry["formula"] not in first["formulas"]:
                first["formulas"].append(entry["formula"])
    for warning in merged.values():
        if len(warning["formulas"]) < 2:
            continue
        formulas = [by_id[f] for f in warning["formulas"]]
        names = " and ".join(f.pinyin for f in formulas)
        rule = cat.rule(warning["id"])
        herb = next(
            (h for h in cat.herbs.values() if rule is not None and h.pinyin == rule.owner), None
        )
        if rule is not None and herb is not None and rule.when is None:
            doses = [(f.pinyin, f.doses().get(herb.drug, 0.0)) for f in formulas]
            parts = " + ".join(f"{number(dose)} g ({name})" for name, dose in doses)
            total = sum(dose for _, dose in doses)
            base = rule.message
            warning["message"] = (
                f"{base} In the offered formulas together: {parts} = {number(total)} g a day."
            )
        else:
            warning["message"] = f"{names}: {warning['message']}"
    return list(merged.values())


def _dose_totals(
    offered: Sequence[OfferedFormula], cat: Catalogue, by_id: Mapping[str, Formula]
) -> list[HerbWarning]:
    """A warning for each herb whose summed daily dose over the offered formulas is too high."""
    rule = cat.dose_rule
    if rule is None:
        return []
    totals: dict[str, list[tuple[Formula, float]]] = {}
    for entry in offered:
        formula = by_id[entry["formula"]]
        for drug, dose in formula.doses().items():
            totals.setdefault(drug, []).append((formula, dose))
    out: list[HerbWarning] = []
    for drug, parts in totals.items():
        herb = cat.herbs[drug]
        total = sum(dose for _, dose in parts)
        if total <= herb.max_daily_g:
            continue
        named = " + ".join(f"{number(dose)} g ({f.pinyin})" for f, dose in parts)
        out.append(
            HerbWarning(
                id=rule.id,
                formula=parts[0][0].id,
                formulas=[f.id for f, _ in parts],
                herb=herb.pinyin,
                severity="warning",
                status="applies",
                message=rule.message.format(
                    herb=herb.pinyin, parts=named, total=total, limit=herb.max_daily_g
                ),
                source=herb.limit_source,
            )
        )
    return out


def propose_herbs(
    case: Case,
    differential: Sequence[Mapping[str, Any]],
    *,
    red_flags: Sequence[Mapping[str, Any]] = (),
    catalogue: Catalogue | None = None,
) -> HerbProposal:
    """Formulas that fit this case, those withheld for this patient, and every warning.

    ``differential`` is ``assess(case)["differential"]``. Pass ``assess(case)["red_flags"]`` as
    ``red_flags``: while any red flag is raised, every fitting formula is withheld. A patient under
    18 gets no formula either (gate ``herbs_withheld_under_18``).
    """
    cat = catalogue or load_catalogue()
    leads = _leads(differential)
    hit, ask = _gates(cat, case, red_flags)
    proposal = HerbProposal(offered=[], withheld=[], warnings=[])
    by_id = {f.id: f for f in cat.formulas}
    for formula in cat.formulas:
        offer = _fit(formula, case, leads)
        if offer is None:
            continue
        found = _check(formula, case)
        avoid = [w for w in found if w["severity"] == "avoid"]
        if hit:
            proposal["withheld"].append(
                WithheldFormula(
                    formula=formula.id,
                    pinyin=formula.pinyin,
                    why=" ".join(message for _, message in hit),
                    rules=[gate.id for gate, _ in hit],
                    interactions_found=found,
                )
            )
        elif avoid:
            reasons = " ".join(w["message"] for w in avoid)
            why = f"Withheld for this patient, though it fits the picture. {reasons} ({offer.why})"
            proposal["withheld"].append(
                WithheldFormula(
                    formula=formula.id,
                    pinyin=formula.pinyin,
                    why=why,
                    rules=[w["id"] for w in avoid],
                    interactions_found=found,
                )
            )
        else:
            pattern = _lower_first(formula.pattern.rstrip("."))
            why = f"{offer.why} {OFFERED_NOT_FORCED.format(pattern=pattern)}"
            proposal["offered"].append(
                OfferedFormula(
                    formula=formula.id,
                    pinyin=formula.pinyin,
                    characters=formula.characters,
                    english=formula.english,
                    classical_source=formula.classical_source,
                    why=why,
                    ingredients=_ingredients(formula),
                    cautions=[CautionOut(text=c.text, source=c.source) for c in formula.cautions],
                    interactions_found=found,
                )
            )
    offered = proposal["offered"]
    if not offered:
        return proposal
    ids = [o["formula"] for o in offered]
    for gate in ask:
        assert gate.when is not None
        missing = ", ".join(_missing(gate.when, case)) or "a fact this rule reads"
        proposal["warnings"].append(
            HerbWarning(
                id=gate.id,
                formula=ids[0],
                formulas=list(ids),
                herb="",
                severity="warning",
                status="not_recorded",
                message=f"Not recorded ({missing}): ask before offering. If it applies: "
                f"{gate.message}",
                source=gate.source,
            )
        )
    proposal["warnings"].extend(_merge(offered, cat, by_id))
    proposal["warnings"].extend(_dose_totals(offered, cat, by_id))
    return proposal
