"""Outcomes and history from a Bundle: questionnaire answers and scores as outcomes, and current
medications by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weizhong.fhir.codes import (
    INSTRUMENT_SYSTEM,
    LOINC,
    QUESTIONNAIRE_BASE,
    UCUM,
    code_table,
    score_unit,
)
from weizhong.fhir.import_common import (
    CURRENT_MEDICATION,
    JSON,
    _code_in,
    _codings,
    _Entry,
    _Import,
    _normal_time,
    _number,
)
from weizhong.numbers import number
from weizhong.reasoning.instruments import (
    InstrumentError,
    instrument_definition,
    instrument_ids,
    score_instrument,
)

# --------------------------------------------------------------------------- outcomes


def _qr_instrument(entry: _Entry, state: _Import) -> str | None:
    questionnaire = str(entry.resource.get("questionnaire", ""))
    if not questionnaire.startswith(QUESTIONNAIRE_BASE):
        state.ignored.append(f"{entry.label}: not a weizhong questionnaire ({questionnaire})")
        return None
    instrument = questionnaire.removeprefix(QUESTIONNAIRE_BASE).split("|")[0]
    if instrument not in instrument_ids():
        state.problem(
            "not-supported",
            f"{entry.where}.questionnaire",
            f"{entry.label}: weizhong does not score '{instrument}'; it scores "
            + ", ".join(instrument_ids())
            + ".",
        )
        return None
    return instrument


def _qr_answers(entry: _Entry, state: _Import) -> list[Any] | None:
    by_number: dict[int, Any] = {}
    for index, item in enumerate(entry.resource.get("item") or []):
        number = str(item.get("linkId", "")).removeprefix("item-")
        if not number.isdigit():
            state.problem(
                "value",
                f"{entry.where}.item[{index}].linkId",
                f"{entry.label}: item {index} needs a linkId item-1, item-2, …",
            )
            return None
        answers = item.get("answer") or []
        value = None
        if answers:
            answer = answers[0]
            value = answer.get("valueInteger", answer.get("valueDecimal"))
            if value is None:
                state.problem(
                    "value",
                    f"{entry.where}.item[{index}].answer[0]",
                    f"{entry.label}: item {number} needs a valueInteger or valueDecimal answer.",
                )
                return None
        by_number[int(number)] = value
    return [by_number.get(n) for n in range(1, max(by_number, default=0) + 1)]


def _source(resource: Mapping[str, Any], field_name: str) -> str:
    value = resource.get(field_name)
    references = value if isinstance(value, list) else [value]
    patient = any(
        isinstance(r, Mapping) and str(r.get("reference", "")).startswith("Patient/")
        for r in references
    )
    return "portal" if patient else "clinic"


def _questionnaire_outcome(entry: _Entry, state: _Import) -> JSON | None:
    instrument = _qr_instrument(entry, state)
    if instrument is None:
        return None
    answers = _qr_answers(entry, state)
    if answers is None:
        return None
    try:
        result = score_instrument(instrument, answers)
    except InstrumentError as error:
        state.problem("value", f"{entry.where}.item", f"{entry.label}: {error}")
        return None
    return {
        "instrument": instrument,
        "answers": answers,
        "score": result.score,
        "taken": _normal_time(entry.resource.get("authored")),
        "source": _source(entry.resource, "source"),
    }


def _score_instrument_code(entry: _Entry) -> str | None:
    code = entry.resource.get("code")
    found = _code_in(code, INSTRUMENT_SYSTEM)
    if found is not None:
        return found[1]
    loinc = {c.get("code") for c in _codings(code) if c.get("system") == LOINC}
    return "nprs" if code_table().nprs.code in loinc else None


def _score_outcome(entry: _Entry, instrument: str, state: _Import) -> JSON | None:
    resource = entry.resource
    if instrument not in instrument_ids():
        state.problem(
            "not-supported",
            f"{entry.where}.code",
            f"{entry.label}: weizhong does not score '{instrument}'.",
        )
        return None
    if "valueInteger" in resource:
        score, path = resource["valueInteger"], "valueInteger"
    elif (
        isinstance(resource.get("valueQuantity"), Mapping) and "value" in resource["valueQuantity"]
    ):
        score, path = _number(resource["valueQuantity"]["value"]), "valueQuantity.value"
    else:
        state.problem(
            "value",
            f"{entry.where}.value[x]",
            f"{entry.label}: an outcome score needs valueInteger or valueQuantity.",
        )
        return None
    definition = instrument_definition(instrument)
    quantity: Mapping[str, Any] = resource.get("valueQuantity") or {}
    if path == "valueQuantity.value" and quantity.get("system") == UCUM:
        # A UCUM code is checked: a score is "{score}" (or "1"), a percentage "%".
        expected = score_unit(definition.units).code
        if quantity.get("code") not in (None, expected, "1" if expected != "%" else "%"):
            state.problem(
                "value",
                f"{entry.where}.valueQuantity.code",
                f"{entry.label}: a {definition.short_name} score is in UCUM '{expected}', not "
                f"'{quantity.get('code')}'.",
            )
            return None
    answers: list[Any] | None = None
    if instrument == "nprs":
        answers = [score]
        try:
            score = score_instrument("nprs", answers).score
        except InstrumentError as error:
            state.problem("value", f"{entry.where}.{path}", f"{entry.label}: {error}")
            return None
    elif not definition.score_min <= score <= definition.score_max:
        state.problem(
            "value",
            f"{entry.where}.{path}",
            f"{entry.label}: a {definition.short_name} score must be in "
            f"{number(definition.score_min)}–{number(definition.score_max)}, not {score}.",
        )
        return None
    return {
        "instrument": instrument,
        "answers": answers,
        "score": score,
        "taken": _normal_time(resource.get("effectiveDateTime")),
        "source": _source(resource, "performer"),
    }


# --------------------------------------------------------------------------- history


def _medication(entry: _Entry, state: _Import) -> str | None:
    resource = entry.resource
    if resource.get("status") not in CURRENT_MEDICATION:
        state.ignored.append(f"{entry.label}: not a current medication ({resource.get('status')})")
        return None
    concept = resource.get("medicationCodeableConcept") or {}
    name = concept.get("text") or next(
        (c.get("display") for c in _codings(concept) if c.get("display")), None
    )
    if not name:
        state.ignored.append(f"{entry.label}: the medication has no name to import")
    return name
