"""Import a FHIR Bundle (a Patient and Observations) into weizhong's plain dicts.

Every resource is first checked with its ``fhir.resources.R4B`` model; then the Patient, the
findings of the latest exam, the outcome scores and the safety-relevant history are read. Every
problem found is collected and raised together as an R4 OperationOutcome; nothing is returned
half-imported.

The reading is split by what it reads: :mod:`~weizhong.fhir.import_common` (the result, its
error, the state of one import, the bundle's shell), :mod:`~weizhong.fhir.import_exam` (the
patient and each Observation as a finding) and :mod:`~weizhong.fhir.import_care` (outcomes and
medications); this module assembles the case and says what was left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from weizhong.case import CaseError, validate_case
from weizhong.fhir.codes import (
    CONDITION_VERIFICATION,
    DEVICE_SYSTEM,
    FINDING_SYSTEM,
    PATIENT_CONDITION_SYSTEM,
)
from weizhong.fhir.import_care import (
    _medication,
    _questionnaire_outcome,
    _score_instrument_code,
    _score_outcome,
)
from weizhong.fhir.import_common import (
    JSON,
    PRELIMINARY,
    RELIABLE_OBSERVATION,
    RELIABLE_RESPONSE,
    SUBJECT_FIELD,
    FhirImportError,
    ImportResult,
    _code_in,
    _codings,
    _entries,
    _Entry,
    _Finding,
    _Import,
    _operation_outcome,
    _reference_keys,
)
from weizhong.fhir.import_exam import _finding, _latest_exam, _patient, _pregnancy
from weizhong.knowledge import load_knowledge

__all__ = ["FhirImportError", "ImportResult", "import_bundle"]


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
