"""Export one patient's record as a FHIR R4 Bundle (type collection).

The input is a plain dict gathered by the web layer (see :func:`export_bundle`); every resource is
built and checked with the ``fhir.resources.R4B`` model of its type and returned as plain JSON.

The resources are built by family: :mod:`~weizhong.fhir.patient` (the patient and what they
bring), :mod:`~weizhong.fhir.exams` (each exam and its assessment) and :mod:`~weizhong.fhir.care`
(outcomes, visits, the plan) and :mod:`~weizhong.fhir.schedule` (appointments), with the shared
helpers in :mod:`~weizhong.fhir.common`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from weizhong.fhir.care import (
    care_plan_resource,
    newest_plan_id,
    outcome_resources,
    visit_resources,
)
from weizhong.fhir.common import DEFAULT_BASE_URL, JSON, _Bundle, fhir_id
from weizhong.fhir.exams import exam_resources
from weizhong.fhir.patient import (
    _clinic_id,
    device_resources,
    history_condition_resources,
    medication_resources,
    organization_resource,
    patient_resource,
    pregnancy_resource,
)
from weizhong.fhir.schedule import appointment_resources
from weizhong.knowledge import Knowledge, load_knowledge

# --------------------------------------------------------------------------- the bundle

__all__ = ["DEFAULT_BASE_URL", "export_bundle"]


def _patient_resources(
    record: Mapping[str, Any], base_url: str, knowledge: Knowledge
) -> list[JSON]:
    patient = record["patient"]
    clinic = record.get("clinic") or {}
    patient_id = fhir_id(patient["id"])
    resources = []
    if clinic.get("id") is not None:
        resources.append(organization_resource(clinic))
    resources.append(patient_resource(patient, clinic, base_url))
    if patient.get("pregnant") is not None:
        exams = record.get("exams") or ()
        when = exams[-1]["created"] if exams else _now()
        resources.append(pregnancy_resource(patient, patient_id, when))
    resources += medication_resources(patient, patient_id, knowledge)
    resources += device_resources(patient, patient_id)
    resources += history_condition_resources(patient, patient_id)
    return resources


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def export_bundle(
    record: Mapping[str, Any],
    *,
    base_url: str = DEFAULT_BASE_URL,
    timestamp: str | None = None,
) -> JSON:
    """The patient's record as a FHIR R4 Bundle of type collection, as plain JSON.

    ``record`` holds ``clinic``, ``patient``, ``exams`` (oldest first), ``plans``, ``visits`` and
    ``outcomes`` as gathered by the web layer, and optionally ``appointments`` (each with
    ``id``, ``start`` and ``end`` in ISO 8601 with their offset, ``minutes``, ``created``,
    ``status``, ``kind``, ``clinician`` as ``{"id", "name"}`` and ``room`` as ``{"id", "name"}``
    or None). ``timestamp`` (ISO 8601) defaults to now.
    Raises ``weizhong.case.CaseError`` if a stored case is invalid.
    """
    knowledge = load_knowledge()
    patient_id = fhir_id(record["patient"]["id"])
    bundle = _Bundle(base_url)
    bundle.add_all(_patient_resources(record, base_url, knowledge))
    conditions_by_exam: dict[str, list[str]] = {}
    exams = sorted(record.get("exams") or (), key=lambda e: str(e["created"]))
    for n, exam in enumerate(exams):
        later = exams[n + 1]["created"] if n + 1 < len(exams) else None
        resources = exam_resources(exam, patient_id, knowledge, later)
        conditions_by_exam[str(exam["id"])] = [
            r["id"] for r in resources if r["resourceType"] == "Condition"
        ]
        bundle.add_all(resources)
    plans = record.get("plans") or ()
    active = newest_plan_id(plans)
    for saved in plans:
        bundle.add(care_plan_resource(saved, patient_id, saved["id"] == active, conditions_by_exam))
    for visit in record.get("visits") or ():
        bundle.add_all(visit_resources(visit, patient_id))
    for outcome in record.get("outcomes") or ():
        bundle.add_all(outcome_resources(outcome, patient_id))
    if appointments := record.get("appointments"):
        person = record["patient"]
        name = f"{person.get('given_name', '')} {person.get('family_name', '')}".strip()
        clinic = record.get("clinic") or {}
        organization = _clinic_id(clinic) if clinic.get("id") is not None else None
        bundle.add_all(appointment_resources(appointments, patient_id, name, organization))
    built = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": timestamp or _now(),
            "entry": bundle.entries,
        }
    )
    return built.model_dump(mode="json", exclude_none=True)
