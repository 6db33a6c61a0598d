"""The patient's own resources: Patient, Organization, pregnancy status, medications, devices and
past conditions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weizhong.case import match_medication
from weizhong.fhir.codes import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    DEVICE_SYSTEM,
    OBSERVATION_CATEGORY,
    PATIENT_CONDITION_SYSTEM,
    code_table,
)
from weizhong.fhir.common import JSON, _category, _concept, _ref, fhir_id
from weizhong.knowledge import Knowledge

# --------------------------------------------------------------------------- patient


def patient_resource(patient: Mapping[str, Any], clinic: Mapping[str, Any], base_url: str) -> JSON:
    resource: JSON = {
        "resourceType": "Patient",
        "id": fhir_id(patient["id"]),
        "identifier": [
            {"system": f"{base_url.rstrip('/')}/sid/patient", "value": str(patient["id"])}
        ],
        "gender": patient.get("sex") or "unknown",
    }
    name = {
        key: value
        for key, value in (
            ("family", patient.get("family_name")),
            ("given", [patient["given_name"]] if patient.get("given_name") else None),
        )
        if value
    }
    if name:
        resource["name"] = [{"use": "official", **name}]
    if patient.get("birth_date"):
        resource["birthDate"] = patient["birth_date"]
    telecom = [
        {"system": system, "value": patient[key]}
        for system, key in (("phone", "phone"), ("email", "email"))
        if patient.get(key)
    ]
    if telecom:
        resource["telecom"] = telecom
    if clinic.get("id") is not None:
        resource["managingOrganization"] = _ref("Organization", _clinic_id(clinic))
    return resource


def _clinic_id(clinic: Mapping[str, Any]) -> str:
    return fhir_id("clinic", clinic["id"])


def organization_resource(clinic: Mapping[str, Any]) -> JSON:
    return {
        "resourceType": "Organization",
        "id": _clinic_id(clinic),
        "name": clinic.get("name") or "Clinic",
    }


def pregnancy_resource(patient: Mapping[str, Any], patient_id: str, when: str) -> JSON:
    codes = code_table()
    answer = codes.pregnant if patient["pregnant"] else codes.not_pregnant
    return {
        "resourceType": "Observation",
        "id": fhir_id("patient", patient_id, "pregnancy"),
        "status": "final",
        "category": [_category(OBSERVATION_CATEGORY, "social-history")],
        "code": _concept(codes.pregnancy_status.coding(), text="Pregnancy status"),
        "subject": _ref("Patient", patient_id),
        "effectiveDateTime": when,
        "valueCodeableConcept": _concept(answer.coding(), text=answer.display),
    }


def medication_resources(
    patient: Mapping[str, Any], patient_id: str, knowledge: Knowledge
) -> list[JSON]:
    resources = []
    for number, name in enumerate(patient.get("medications") or (), start=1):
        match = match_medication(name, knowledge)
        if match.generic is None:
            note = "weizhong does not recognise this name; check the medication by hand."
        else:
            classes = ", ".join(match.classes)
            note = f"weizhong reads this as {match.generic} (class: {classes})."
        resources.append(
            {
                "resourceType": "MedicationStatement",
                "id": fhir_id("patient", patient_id, "medication", number),
                "status": "active",
                "medicationCodeableConcept": {"text": name},
                "subject": _ref("Patient", patient_id),
                "note": [{"text": note}],
            }
        )
    return resources


def device_resources(patient: Mapping[str, Any], patient_id: str) -> list[JSON]:
    return [
        {
            "resourceType": "Device",
            "id": fhir_id("patient", patient_id, "device", device),
            "status": "active",
            "type": _concept(
                {"system": DEVICE_SYSTEM, "code": device}, text=device.replace("_", " ")
            ),
            "patient": _ref("Patient", patient_id),
        }
        for device in patient.get("devices") or ()
    ]


def history_condition_resources(patient: Mapping[str, Any], patient_id: str) -> list[JSON]:
    """The patient's standing conditions (epilepsy, osteoporosis…) as problem-list Conditions."""
    return [
        {
            "resourceType": "Condition",
            "id": fhir_id("patient", patient_id, "history", condition),
            "clinicalStatus": _concept({"system": CONDITION_CLINICAL, "code": "active"}),
            "category": [_category(CONDITION_CATEGORY, "problem-list-item")],
            "code": _concept(
                {"system": PATIENT_CONDITION_SYSTEM, "code": condition},
                text=condition.replace("_", " "),
            ),
            "subject": _ref("Patient", patient_id),
        }
        for condition in patient.get("conditions") or ()
    ]
