"""Import a FHIR Bundle (a Patient and Observations) into weizhong's plain dicts.

Every resource is first checked with its ``fhir.resources.R4B`` model; then the Patient, the
findings of the latest exam, the outcome scores and the safety-relevant history are read. Every
problem found is collected and raised together as an R4 OperationOutcome; nothing is returned
half-imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError

from weizhong.case import CaseError, validate_case
from weizhong.errors import InputError
from weizhong.fhir.codes import (
    CONDITION_VERIFICATION,
    DEVICE_SYSTEM,
    FINDING_ITEM_SYSTEM,
    FINDING_SYSTEM,
    FINDING_VALUE_SYSTEM,
    INSTRUMENT_SYSTEM,
    LIST_ITEM_SYSTEMS,
    LOINC,
    PATIENT_CONDITION_SYSTEM,
    QUESTIONNAIRE_BASE,
    SNOMED,
    code_table,
    finding_unit,
)
from weizhong.knowledge import Knowledge, load_knowledge
from weizhong.knowledge.records import FindingDef
from weizhong.numbers import number
from weizhong.reasoning.instruments import (
    InstrumentError,
    instrument_definition,
    instrument_ids,
    score_instrument,
)

JSON = dict[str, Any]
BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset", "document")
CURRENT_MEDICATION = ("active", "intended", "on-hold")
# What may be relied on (issue 14): results that are final, amended or corrected, and preliminary
# ones marked as such; registered, cancelled, entered-in-error and unknown results are ignored.
RELIABLE_OBSERVATION = ("final", "amended", "corrected")
PRELIMINARY = "preliminary"
RELIABLE_RESPONSE = ("completed", "amended")
# The field of each resource type that names whose data it is.
SUBJECT_FIELD = {
    "Observation": "subject",
    "QuestionnaireResponse": "subject",
    "Condition": "subject",
    "MedicationStatement": "subject",
    "Device": "patient",
}


@dataclass(frozen=True)
class ImportResult:
    """What a bundle gave: the patient, the latest exam's findings, outcomes, and what was skipped.

    ``patient`` has the keys given_name, family_name, birth_date, sex, phone, email, pregnant
    (None when the bundle does not say), medications, devices and conditions.
    ``findings`` is a case-format findings dict that passed ``validate_case``.
    ``outcomes`` are ``{instrument, answers, score, taken, source}``; ``answers`` is None when
    only a score came (an instrument other than NPRS without its QuestionnaireResponse).
    """

    patient: dict[str, Any]
    findings: dict[str, Any]
    outcomes: list[dict[str, Any]]
    ignored: list[str] = field(default_factory=list)
    # Findings read from preliminary results: used, and to be shown as preliminary.
    preliminary: list[str] = field(default_factory=list)

    def outcome(self) -> JSON:
        """An R4 OperationOutcome listing, as information, everything that was not relied on."""
        return _operation_outcome(
            [_Issue("informational", f"Ignored: {text}", "Bundle") for text in self.ignored],
            severity="information",
        )


class FhirImportError(InputError):
    """The bundle cannot be imported; ``outcome`` is an R4 OperationOutcome naming each problem."""

    def __init__(self, outcome: JSON) -> None:
        self.outcome = outcome
        super().__init__("; ".join(i["diagnostics"] for i in outcome["issue"]))


@dataclass(frozen=True)
class _Issue:
    code: str  # invalid, not-supported, required, value
    diagnostics: str
    expression: str


@dataclass
class _Entry:
    index: int
    resource: JSON

    @property
    def where(self) -> str:
        return f"Bundle.entry[{self.index}].resource"

    @property
    def label(self) -> str:
        kind = self.resource.get("resourceType", "resource")
        rid = self.resource.get("id")
        return f"{kind} {rid}" if rid else f"{kind} (entry {self.index})"


@dataclass
class _Finding:
    """One finding read from an Observation, with where each part came from."""

    name: str
    value: Any
    entry: _Entry
    value_path: str
    item_paths: list[str]
    when: datetime | None


@dataclass
class _Import:
    """The state of one import: the problems found so far and what was read."""

    knowledge: Knowledge
    lenient: bool = False
    issues: list[_Issue] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def problem(self, code: str, expression: str, diagnostics: str) -> None:
        # Leniently (decision support), a resource that cannot be read is set aside and listed,
        # so one malformed resource never hides a red flag found in another.
        if self.lenient and expression.startswith("Bundle.entry["):
            self.ignored.append(f"{diagnostics} (not read)")
            return
        self.issues.append(_Issue(code, diagnostics, expression))


# --------------------------------------------------------------------------- small readers


def _codings(concept: Any) -> list[JSON]:
    if not isinstance(concept, Mapping):
        return []
    return [c for c in concept.get("coding") or () if isinstance(c, Mapping)]  # type: ignore[misc]


def _code_in(concept: Any, system: str) -> tuple[int, str] | None:
    for index, coding in enumerate(_codings(concept)):
        if coding.get("system") == system and isinstance(coding.get("code"), str):
            return index, coding["code"]
    return None


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _normal_time(text: Any) -> Any:
    """An ISO date-time as Python writes it (+00:00, not Z); anything else unchanged."""
    moment = _parse_time(text)
    if moment is None or not isinstance(text, str) or "T" not in text:
        return text
    return moment.isoformat()


def _number(value: Any) -> int | float:
    """A JSON number as int when whole, so 44.0 and 44 both read as 44."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    assert isinstance(value, int | float)
    return value


def _reference_keys(entry: _Entry, full_url: Any) -> list[str]:
    keys = [f"{entry.resource.get('resourceType')}/{entry.resource.get('id')}"]
    if isinstance(full_url, str):
        keys.append(full_url)
        keys.append("/".join(full_url.rstrip("/").split("/")[-2:]))
    return keys


# --------------------------------------------------------------------------- the bundle shell


def _entries(bundle: Any, state: _Import) -> list[tuple[_Entry, Any]]:
    """Check the Bundle itself and each resource with its R4B model.

    A bundle that is not a Bundle at all stops the import at once: nothing else can be read.
    """
    if not isinstance(bundle, Mapping):
        state.problem("invalid", "Bundle", "The bundle must be a JSON object.")
        raise FhirImportError(_operation_outcome(state.issues))
    if bundle.get("resourceType") != "Bundle":
        shown = bundle.get("resourceType")
        state.problem(
            "invalid", "Bundle.resourceType", f"Expected a Bundle resource, not {shown!r}."
        )
        raise FhirImportError(_operation_outcome(state.issues))
    if bundle.get("type") not in BUNDLE_TYPES:
        state.problem(
            "not-supported",
            "Bundle.type",
            f"Bundle type {bundle.get('type')!r} cannot be imported; send one of: "
            + ", ".join(BUNDLE_TYPES)
            + ".",
        )
    raw_entries = bundle.get("entry") or []
    if not isinstance(raw_entries, list):
        state.problem("invalid", "Bundle.entry", "Bundle.entry must be a list of entries.")
        raise FhirImportError(_operation_outcome(state.issues))
    checked = []
    for index, raw in enumerate(raw_entries):
        resource = raw.get("resource") if isinstance(raw, Mapping) else None
        if not isinstance(resource, Mapping):
            state.problem("required", f"Bundle.entry[{index}]", f"Entry {index} has no resource.")
            continue
        entry = _Entry(index, dict(resource))
        parsed = _validated(entry, state)
        if parsed is not None:
            checked.append((_Entry(index, parsed), raw.get("fullUrl")))
    return checked


def _validated(entry: _Entry, state: _Import) -> JSON | None:
    kind = entry.resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(kind))
    except (KeyError, AttributeError, ValueError):
        state.problem(
            "invalid",
            f"{entry.where}.resourceType",
            f"Entry {entry.index}: {kind!r} is not an R4 resource type.",
        )
        return None
    try:
        parsed = model.model_validate(entry.resource)
    except ValidationError as error:
        for detail in error.errors():
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in detail["loc"])
            state.problem(
                "invalid",
                f"{entry.where}{path}",
                f"{entry.label}: {path.lstrip('.') or 'the resource'} is not valid R4 "
                f"({detail['msg']}).",
            )
        return None
    dumped: JSON = parsed.model_dump(mode="json", exclude_none=True)
    return dumped


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


# --------------------------------------------------------------------------- assembling


@dataclass
class _Read:
    """What the resources gave, before the case check."""

    findings: list[_Finding] = field(default_factory=list)
    outcomes: list[JSON] = field(default_factory=list)
    pregnant: bool | None = None
    medications: list[tuple[str, _Entry]] = field(default_factory=list)
    devices: list[tuple[str, _Entry]] = field(default_factory=list)
    conditions: list[tuple[str, _Entry]] = field(default_factory=list)


def _read_observation(
    entry: _Entry, state: _Import, read: _Read, scored: set[str], refs: Mapping[str, int]
) -> None:
    codes = _codings(entry.resource.get("code"))
    if any(c.get("system") == FINDING_SYSTEM for c in codes):
        finding = _finding(entry, state)
        if finding is not None:
            read.findings.append(finding)
        return
    pregnant = _pregnancy(entry)
    if pregnant is not None:
        read.pregnant = pregnant
        return
    instrument = _score_instrument_code(entry)
    if instrument is None:
        state.ignored.append(f"{entry.label}: its code is not one weizhong imports")
        return
    sources = [
        refs.get(str(r.get("reference")))
        for r in entry.resource.get("derivedFrom") or ()
        if isinstance(r, Mapping)
    ]
    if any(s is not None and str(s) in scored for s in sources):
        state.ignored.append(
            f"{entry.label}: score re-computed from its QuestionnaireResponse instead"
        )
        return
    outcome = _score_outcome(entry, instrument, state)
    if outcome is not None:
        read.outcomes.append(outcome)


def _about_someone_else(entry: _Entry, patient: set[str]) -> str | None:
    """Why the resource is about another patient, or None when it is about this one (or says
    nothing, which in a one-patient bundle means this one)."""
    name = SUBJECT_FIELD.get(entry.resource["resourceType"])
    subject = entry.resource.get(name) if name else None
    reference = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(reference, str) or not patient:
        return None
    tail = "/".join(reference.rstrip("/").split("/")[-2:])
    if reference in patient or tail in patient:
        return None
    return f"{entry.label}: its {name} is {reference}, not this bundle's patient"


def _not_relied_on(entry: _Entry, patient: set[str]) -> str | None:
    """Why a resource may not be relied on (status, subject), or None when it may."""
    resource = entry.resource
    kind = resource["resourceType"]
    status = resource.get("status")
    if kind == "Observation" and status not in (*RELIABLE_OBSERVATION, PRELIMINARY):
        return (
            f"{entry.label}: status '{status}' (only final, amended, corrected or preliminary "
            "results are used)"
        )
    if kind == "QuestionnaireResponse" and status not in RELIABLE_RESPONSE:
        return f"{entry.label}: status '{status}' (only completed or amended answers are used)"
    if kind == "Condition":
        verification = _code_in(resource.get("verificationStatus"), CONDITION_VERIFICATION)
        if verification and verification[1] in ("entered-in-error", "refuted"):
            return f"{entry.label}: verification status '{verification[1]}'"
    if kind == "Device" and status in ("inactive", "entered-in-error"):
        return f"{entry.label}: status '{status}' (not in the patient now)"
    return _about_someone_else(entry, patient)


def _read_entries(
    entries: Sequence[_Entry], refs: Mapping[str, int], state: _Import, patient: set[str]
) -> _Read:
    read = _Read()
    scored: set[str] = set()
    relied = []
    for entry in entries:
        is_patient = entry.resource["resourceType"] == "Patient"
        if why := None if is_patient else _not_relied_on(entry, patient):
            state.ignored.append(why)
        else:
            relied.append(entry)
    entries = relied
    for entry in entries:  # questionnaire responses first: observations may derive from them
        if entry.resource["resourceType"] == "QuestionnaireResponse":
            outcome = _questionnaire_outcome(entry, state)
            if outcome is not None:
                read.outcomes.append(outcome)
                scored.add(str(entry.index))
    for entry in entries:
        kind = entry.resource["resourceType"]
        if kind in ("Patient", "QuestionnaireResponse"):
            continue
        if kind == "Observation":
            _read_observation(entry, state, read, scored, refs)
        elif kind == "MedicationStatement":
            name = _medication(entry, state)
            if name:
                read.medications.append((name, entry))
        elif kind == "Device" and (found := _code_in(entry.resource.get("type"), DEVICE_SYSTEM)):
            read.devices.append((found[1], entry))
        elif kind == "Condition" and (
            found := _code_in(entry.resource.get("code"), PATIENT_CONDITION_SYSTEM)
        ):
            read.conditions.append((found[1], entry))
        elif kind == "Condition":
            state.ignored.append(
                f"{entry.label}: diagnoses are not imported; weizhong assesses the findings itself"
            )
        else:
            state.ignored.append(f"{entry.label}: {kind} is not imported")
    return read


def _expressions(
    kept: Sequence[_Finding], read: _Read, patient_entry: _Entry | None
) -> dict[str, tuple[str, str]]:
    """Where each case field came from (expression, resource), to point case problems at it."""
    where: dict[str, tuple[str, str]] = {}
    for f in kept:
        where[f"findings.{f.name}"] = (f.value_path, f.entry.label)
        for index, path in enumerate(f.item_paths):
            where[f"findings.{f.name}[{index}]"] = (path, f.entry.label)
    if patient_entry is not None:
        where["patient.sex"] = (f"{patient_entry.where}.gender", patient_entry.label)
    for key, items in (
        ("medications", read.medications),
        ("devices", read.devices),
        ("conditions", read.conditions),
    ):
        for index, (_, entry) in enumerate(items):
            where[f"patient.{key}[{index}]"] = (entry.where, entry.label)
    return where


def _checked_case(
    patient: JSON,
    kept: Sequence[_Finding],
    where: Mapping[str, tuple[str, str]],
    state: _Import,
) -> JSON:
    case_patient = {
        key: patient[key]
        for key in ("sex", "pregnant", "medications", "devices", "conditions")
        if patient.get(key) is not None
    }
    raw = {
        "format": "weizhong.case/1",
        "patient": case_patient,
        "findings": {f.name: f.value for f in kept},
    }
    try:
        case = validate_case(raw, state.knowledge)
    except CaseError as error:
        if state.lenient:
            # Set aside the findings the case check refused (listed) and read the rest.
            refused = {p.field.split(".", 1)[-1].split("[")[0] for p in error.problems}
            kept_now = [f for f in kept if f.name not in refused]
            if len(kept_now) < len(kept) and all(
                p.field.startswith("findings.") for p in error.problems
            ):
                for problem in error.problems:
                    place = where.get(problem.field) or where.get(problem.field.split("[")[0])
                    label = place[1] if place else "The bundle"
                    field_name = problem.field.split(".", 1)[-1]
                    state.ignored.append(f"{label}: {field_name} {problem.message} (not read)")
                return _checked_case(patient, kept_now, where, state)
        for problem in error.problems:
            place = where.get(problem.field) or where.get(problem.field.split("[")[0])
            expression, label = place or ("Bundle", "The bundle")
            field_name = problem.field.split(".", 1)[-1]
            state.problem("value", expression, f"{label}: {field_name} {problem.message}.")
        return {}
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in case.findings.items()
    }


def _operation_outcome(issues: Sequence[_Issue], severity: str = "error") -> JSON:
    outcome = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": severity,
                    "code": issue.code,
                    "diagnostics": issue.diagnostics,
                    "expression": [issue.expression],
                }
                for issue in issues
            ],
        }
    )
    dumped: JSON = outcome.model_dump(mode="json", exclude_none=True)
    return dumped


def import_bundle(bundle: Mapping[str, Any], *, lenient: bool = False) -> ImportResult:
    """Read a Bundle into a patient, the latest exam's findings and outcome scores.

    Only what may be relied on is read: results that are final, amended or corrected (and
    preliminary ones, listed in ``preliminary``) about the bundle's own patient; everything else
    is listed in ``ignored``. Raises :class:`FhirImportError` (with an OperationOutcome listing
    every problem) when the bundle is not a Bundle, has no Patient or several, or holds a resource
    weizhong cannot read; with ``lenient`` (decision support) an unreadable resource is listed
    in ``ignored`` instead and the rest is still read.
    """
    state = _Import(load_knowledge(), lenient=lenient)
    checked = _entries(bundle, state)
    entries = [e for e, _ in checked]
    refs: dict[str, int] = {}
    for entry, full_url in checked:
        for key in _reference_keys(entry, full_url):
            refs.setdefault(key, entry.index)
    patient, patient_entry = _patient(entries, state)
    patient_refs = {
        key
        for entry, full_url in checked
        if entry is not None and patient_entry is not None and entry.index == patient_entry.index
        for key in _reference_keys(entry, full_url)
    }
    read = _read_entries(entries, refs, state, patient_refs)
    kept = _latest_exam(read.findings, state)
    patient["pregnant"] = read.pregnant
    patient["medications"] = [name for name, _ in read.medications]
    patient["devices"] = [name for name, _ in read.devices]
    patient["conditions"] = [name for name, _ in read.conditions]
    findings = _checked_case(patient, kept, _expressions(kept, read, patient_entry), state)
    if state.issues:
        raise FhirImportError(_operation_outcome(state.issues))
    preliminary = sorted(
        {
            f.name
            for f in kept
            if f.entry.resource.get("status") == PRELIMINARY and f.name in findings
        }
    )
    return ImportResult(patient, findings, read.outcomes, state.ignored, preliminary)
