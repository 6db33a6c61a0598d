"""The patient and the exam from a Bundle: the Patient, pregnancy status, and each Observation read
as a finding of the case format (numbers, lists, coded values), the latest exam winning."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from weizhong.fhir.codes import (
    FINDING_ITEM_SYSTEM,
    FINDING_SYSTEM,
    FINDING_VALUE_SYSTEM,
    LIST_ITEM_SYSTEMS,
    LOINC,
    SNOMED,
    code_table,
    finding_unit,
)
from weizhong.fhir.import_common import (
    JSON,
    _code_in,
    _codings,
    _Entry,
    _Finding,
    _Import,
    _number,
    _parse_time,
)
from weizhong.knowledge.records import FindingDef

# --------------------------------------------------------------------------- patient


def _patient(entries: Sequence[_Entry], state: _Import) -> tuple[JSON, _Entry | None]:
    patients = [e for e in entries if e.resource["resourceType"] == "Patient"]
    if not patients:
        state.problem("required", "Bundle.entry", "The bundle has no Patient resource.")
        return {}, None
    if len(patients) > 1:
        places = ", ".join(str(p.index) for p in patients)
        state.problem(
            "invalid",
            f"{patients[1].where}",
            f"The bundle has {len(patients)} Patient resources (entries {places}); send one "
            "patient per bundle.",
        )
    resource = patients[0].resource
    names = resource.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    telecom = resource.get("telecom") or []

    def contact(system: str) -> str:
        return next((t.get("value", "") for t in telecom if t.get("system") == system), "")

    patient = {
        "given_name": " ".join(name.get("given") or ())
        or ("" if name.get("family") else name.get("text", "")),
        "family_name": name.get("family", ""),
        "birth_date": resource.get("birthDate", ""),
        "sex": resource.get("gender", "unknown"),
        "phone": contact("phone"),
        "email": contact("email"),
        "pregnant": None,
        "medications": [],
        "devices": [],
        "conditions": [],
    }
    return patient, patients[0]


def _pregnancy(entry: _Entry) -> bool | None:
    """True or False from a LOINC pregnancy-status Observation; None for any other."""
    codes = code_table()
    loinc = {
        c.get("code") for c in _codings(entry.resource.get("code")) if c.get("system") == LOINC
    }
    if codes.pregnancy_status.code not in loinc:
        return None
    value = _code_in(entry.resource.get("valueCodeableConcept"), SNOMED)
    if value is None:
        return None
    return {codes.pregnant.code: True, codes.not_pregnant.code: False}.get(value[1])


# --------------------------------------------------------------------------- findings


def _finding_code(entry: _Entry, state: _Import) -> str | None:
    found = _code_in(entry.resource.get("code"), FINDING_SYSTEM)
    if found is None:
        return None
    index, name = found
    if name not in state.knowledge.findings:
        state.problem(
            "not-supported",
            f"{entry.where}.code.coding[{index}].code",
            f"{entry.label}: '{name}' is not a weizhong finding; see the case format for the "
            "list of findings.",
        )
        return None
    return name


def _wrong_value(entry: _Entry, state: _Import, definition: FindingDef, expected: str) -> None:
    state.problem(
        "value",
        f"{entry.where}.value[x]",
        f"{entry.label}: finding '{definition.id}' needs {expected}.",
    )


def _read_number(entry: _Entry, state: _Import, definition: FindingDef) -> tuple[Any, str] | None:
    resource = entry.resource
    if "valueInteger" in resource:
        return resource["valueInteger"], f"{entry.where}.valueInteger"
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, Mapping) or "value" not in quantity:
        _wrong_value(entry, state, definition, "a number (valueQuantity or valueInteger)")
        return None
    unit = finding_unit(definition)
    if unit is not None and quantity.get("code") not in (None, unit.code):
        state.problem(
            "value",
            f"{entry.where}.valueQuantity.code",
            f"{entry.label}: finding '{definition.id}' is recorded in '{unit.code}', not "
            f"'{quantity.get('code')}'.",
        )
        return None
    return _number(quantity["value"]), f"{entry.where}.valueQuantity.value"


def _read_list(
    entry: _Entry, state: _Import, definition: FindingDef
) -> tuple[Any, str, list[str]] | None:
    resource = entry.resource
    components = resource.get("component") or []
    if not components:
        if resource.get("valueBoolean") is False:
            return [], f"{entry.where}.valueBoolean", []
        _wrong_value(
            entry, state, definition, "one component per item, or valueBoolean false for none"
        )
        return None
    system = LIST_ITEM_SYSTEMS[definition.type]
    items, paths = [], []
    for index, component in enumerate(components):
        where = f"{entry.where}.component[{index}]"
        found = _code_in(component.get("code"), system)
        if found is None:
            state.problem(
                "value",
                f"{where}.code",
                f"{entry.label}: component {index} needs a code from {system}.",
            )
            continue
        if component.get("valueBoolean") is False:
            continue  # explicitly absent: the case format lists only what was found
        items.append(found[1])
        paths.append(f"{where}.code.coding[{found[0]}].code")
    return items, f"{entry.where}.component", paths


def _read_int_list(
    entry: _Entry, state: _Import, definition: FindingDef
) -> tuple[Any, str, list[str]] | None:
    answers: dict[int, Any] = {}
    for index, component in enumerate(entry.resource.get("component") or []):
        found = _code_in(component.get("code"), FINDING_ITEM_SYSTEM)
        number = found[1].removeprefix("item-") if found else ""
        if not number.isdigit() or "valueInteger" not in component:
            state.problem(
                "value",
                f"{entry.where}.component[{index}]",
                f"{entry.label}: component {index} needs an item-N code and a valueInteger.",
            )
            return None
        answers[int(number)] = component["valueInteger"]
    values = [answers.get(n) for n in range(1, max(answers, default=0) + 1)]
    return values, f"{entry.where}.component", []


def _read_value(
    entry: _Entry, state: _Import, definition: FindingDef
) -> tuple[Any, str, list[str]] | None:
    resource = entry.resource
    kind = definition.type
    if kind == "bool":
        if "valueBoolean" in resource:
            return resource["valueBoolean"], f"{entry.where}.valueBoolean", []
        _wrong_value(entry, state, definition, "valueBoolean (true or false)")
        return None
    if kind in ("int", "number"):
        number = _read_number(entry, state, definition)
        return None if number is None else (number[0], number[1], [])
    if kind == "enum":
        found = _code_in(resource.get("valueCodeableConcept"), FINDING_VALUE_SYSTEM)
        if found is None:
            _wrong_value(
                entry,
                state,
                definition,
                f"valueCodeableConcept with a code from {FINDING_VALUE_SYSTEM}",
            )
            return None
        return found[1], f"{entry.where}.valueCodeableConcept.coding[{found[0]}].code", []
    if kind == "int_list":
        return _read_int_list(entry, state, definition)
    return _read_list(entry, state, definition)


def _finding(entry: _Entry, state: _Import) -> _Finding | None:
    name = _finding_code(entry, state)
    if name is None:
        return None
    read = _read_value(entry, state, state.knowledge.findings[name])
    if read is None:
        return None
    value, path, items = read
    when = _parse_time(entry.resource.get("effectiveDateTime"))
    return _Finding(name, value, entry, path, items, when)


def _latest_exam(found: list[_Finding], state: _Import) -> list[_Finding]:
    """The findings of the latest effectiveDateTime; older exams are listed as ignored."""
    if not found:
        return []
    floor = datetime.min.replace(tzinfo=UTC)
    latest = max((f.when or floor) for f in found)
    keep = [f for f in found if (f.when or floor) == latest]
    for f in found:
        if (f.when or floor) != latest:
            state.ignored.append(
                f"{f.entry.label}: finding '{f.name}' from an earlier exam; only the latest "
                "exam's findings are imported"
            )
    seen: dict[str, _Finding] = {}
    unique: list[_Finding] = []
    for f in keep:
        first = seen.get(f.name)
        if first is None:
            seen[f.name] = f
            unique.append(f)
        elif first.value == f.value:  # the same result sent twice: read once
            state.ignored.append(
                f"{f.entry.label}: finding '{f.name}' repeats entry {first.entry.index}"
            )
        elif state.lenient and isinstance(f.value, bool) and isinstance(first.value, bool):
            # Decision support keeps the alarming answer when two results disagree.
            seen[f.name] = unique[unique.index(first)] = first if first.value else f
            state.ignored.append(
                f"{f.entry.label}: finding '{f.name}' disagrees with entry {first.entry.index}; "
                "the positive answer is kept"
            )
        else:
            state.problem(
                "invalid",
                f.entry.where,
                f"{f.entry.label}: finding '{f.name}' is recorded twice for the same exam "
                f"(also in entry {first.entry.index}).",
            )
    return unique
