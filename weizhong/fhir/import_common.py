"""What a FHIR import works with: what may be relied on, the result and its error, the state of
one import (its entries, findings and issues), the small readers, and the bundle's shell
(entries checked against their R4B model)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import BaseModel, ValidationError

from weizhong.errors import InputError
from weizhong.knowledge import Knowledge

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
    if _as_modelled(entry.resource, parsed):
        return entry.resource  # already what the model would give back: no dump needed
    dumped: JSON = parsed.model_dump(mode="json", exclude_none=True)
    return dumped


# Speed (issue 14: CDS p95): dumping a validated R4B model back to JSON cost two thirds of a
# CDS call. A resource sent as the model holds it (no value coerced, no null or empty element)
# is used as sent; anything else (a "6" for an integer, a null, an empty list) is dumped.


@cache
def _aliases(model: type[BaseModel]) -> dict[str, str]:
    return {(f.alias or name): name for name, f in model.model_fields.items()}


def _as_modelled(value: Any, model: BaseModel) -> bool:
    """Whether the JSON object ``value`` is exactly what ``model`` (validated from it) dumps."""
    names = _aliases(type(model))
    for key, item in value.items():
        if key == "resourceType":
            continue
        name = names.get(key)
        if name is None or not _same(item, getattr(model, name, None)):
            return False
    return True


def _same(value: Any, held: Any) -> bool:
    if value is None or held is None:
        return False
    if isinstance(value, dict):
        return isinstance(held, BaseModel) and bool(value) and _as_modelled(value, held)
    if isinstance(value, list):
        return (
            isinstance(held, list)
            and len(value) == len(held) > 0
            and all(_same(v, h) for v, h in zip(value, held, strict=True))
        )
    if isinstance(value, str):
        if isinstance(held, str):
            return value == held
        # date, dateTime, instant, time: held parsed, sent as FHIR writes it
        return isinstance(held, date | time) and bool(value)
    if isinstance(value, bool) or isinstance(held, bool):
        return value is held
    if isinstance(value, int | float) and isinstance(held, Decimal):
        return Decimal(str(value)) == held
    return type(value) is type(held) and value == held
