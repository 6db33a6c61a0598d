"""The clinic's day: each appointment as an Appointment, with the clinicians it names as
Practitioners and its room as a Location, so every reference resolves within the bundle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from weizhong.fhir.codes import APPOINTMENT_KIND_SYSTEM, APPOINTMENT_TYPE
from weizhong.fhir.common import JSON, _concept, _ref, fhir_id

# weizhong's statuses as FHIR R4B AppointmentStatus codes.
APPOINTMENT_STATUS = {
    "booked": "booked",
    "arrived": "arrived",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
# weizhong's kinds: the HL7 v2 appointment reason (table 0276) and the kind's own words.
APPOINTMENT_KINDS = {
    "new": ("ROUTINE", "Routine appointment", "New patient"),
    "follow_up": ("FOLLOWUP", "A follow up visit from a previous appointment", "Follow-up"),
    "reevaluation": (
        "FOLLOWUP",
        "A follow up visit from a previous appointment",
        "Re-evaluation",
    ),
}


def practitioner_id(clinician: Mapping[str, Any]) -> str:
    return fhir_id("practitioner", clinician["id"])


def practitioner_resource(clinician: Mapping[str, Any]) -> JSON:
    return {
        "resourceType": "Practitioner",
        "id": practitioner_id(clinician),
        "active": True,
        "name": [{"text": clinician["name"]}],
    }


def location_resource(room: Mapping[str, Any], organization_id: str | None) -> JSON:
    resource: JSON = {
        "resourceType": "Location",
        "id": fhir_id("room", room["id"]),
        "status": "active",
        "name": room["name"],
        "mode": "instance",
        "physicalType": _concept(
            {
                "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                "code": "ro",
                "display": "Room",
            }
        ),
    }
    if organization_id is not None:
        resource["managingOrganization"] = _ref("Organization", organization_id)
    return resource


def appointment_resource(appointment: Mapping[str, Any], patient_id: str, patient: str) -> JSON:
    """One appointment (``start`` and ``end`` are ISO 8601 with their offset)."""
    status = APPOINTMENT_STATUS.get(appointment["status"])
    if status is None:
        raise ValueError(
            f"appointment {appointment['id']}: status {appointment['status']!r} is not one of "
            + ", ".join(APPOINTMENT_STATUS)
        )
    code, display, text = APPOINTMENT_KINDS[appointment["kind"]]
    clinician = appointment["clinician"]
    # A cancelled appointment's people no longer come; the others accepted it.
    answer = "declined" if status == "cancelled" else "accepted"
    participants: list[JSON] = [
        {"actor": _ref("Patient", patient_id, patient), "required": "required", "status": answer},
        {
            "actor": _ref("Practitioner", practitioner_id(clinician), clinician["name"]),
            "required": "required",
            "status": answer,
        },
    ]
    room = appointment.get("room")
    if room:
        participants.append(
            {
                "actor": _ref("Location", fhir_id("room", room["id"]), room["name"]),
                "required": "required",
                "status": answer,
            }
        )
    return {
        "resourceType": "Appointment",
        "id": fhir_id("appointment", appointment["id"]),
        "status": status,
        "appointmentType": _concept(
            {"system": APPOINTMENT_TYPE, "code": code, "display": display},
            {"system": APPOINTMENT_KIND_SYSTEM, "code": appointment["kind"], "display": text},
            text=text,
        ),
        "start": appointment["start"],
        "end": appointment["end"],
        "minutesDuration": int(appointment["minutes"]),
        "created": appointment["created"][:10],
        "participant": participants,
    }


def appointment_resources(
    appointments: Sequence[Mapping[str, Any]],
    patient_id: str,
    patient: str,
    organization_id: str | None,
) -> list[JSON]:
    """The Practitioners and Locations the appointments name (each once), then the
    Appointments in the order given."""
    people: dict[str, JSON] = {}
    rooms: dict[str, JSON] = {}
    for appointment in appointments:
        clinician = appointment["clinician"]
        people.setdefault(practitioner_id(clinician), practitioner_resource(clinician))
        if room := appointment.get("room"):
            rooms.setdefault(str(room["id"]), location_resource(room, organization_id))
    made: list[JSON] = [*people.values(), *rooms.values()]
    made += [appointment_resource(a, patient_id, patient) for a in appointments]
    return made


__all__ = ["APPOINTMENT_STATUS", "appointment_resources"]
