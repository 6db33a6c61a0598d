"""The FHIR export carries the patient's appointments (issue 15): valid R4B Appointments with
their status, patient, practitioner and room, times with the clinic's offset on both sides of a
daylight-saving change, and the kind of visit; every reference resolves within the bundle."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B import get_fhir_model_class

from tests.clinic.conftest import make_patient
from weizhong.clinic import actions
from weizhong.clinic.models import Clinic
from weizhong.clinic.records import services
from weizhong.fhir import export_bundle, import_bundle
from weizhong.fhir.codes import APPOINTMENT_KIND_SYSTEM, APPOINTMENT_TYPE

LONDON = ZoneInfo("Europe/London")
BEFORE = dt.date(2026, 3, 23)  # a Monday in GMT
AFTER = dt.date(2026, 3, 30)  # the next Monday, in BST


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def of_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [
            v if k == "reference" and isinstance(v, str) else r
            for k, v in node.items()
            for r in ([v] if k == "reference" and isinstance(v, str) else references(v))
        ]
    if isinstance(node, list):
        return [r for item in node for r in references(item)]
    return []


@pytest.fixture
def day(clinic: Clinic, patient: Any, clinician: Any) -> dict[str, Any]:
    """Five appointments of one patient, one in each status, across the change to BST."""
    actions.do_set_clinic_schedule(clinic=clinic, time_zone="Europe/London")
    room = actions.do_add_room(clinic=clinic, name="Room 2")

    def book(day: dt.date, hour: int, kind: str, **extra: Any) -> Any:
        return actions.do_book_appointment(
            clinic=clinic, patient=patient, clinician=clinician, start=at(day, hour),
            minutes=45, kind=kind, **extra,
        )  # fmt: skip

    made = {
        "booked": book(AFTER, 9, "reevaluation", room=room),
        "arrived": book(AFTER, 11, "follow_up"),
        "completed": book(BEFORE, 9, "new"),
        "cancelled": book(BEFORE, 11, "follow_up"),
        "no_show": book(BEFORE, 14, "follow_up"),
    }
    for status, appointment in made.items():
        if status != "booked":
            actions.do_change_appointment(
                appointment=appointment, version=appointment.version, status=status
            )
    other = make_patient(clinic, given_name="Bo")  # someone else's appointment stays out
    actions.do_book_appointment(
        clinic=clinic, patient=other, clinician=clinician, start=at(AFTER, 15), minutes=30,
        kind="new",
    )  # fmt: skip
    return made


def test_every_appointment_is_a_valid_r4b_appointment_with_its_status(
    day: dict[str, Any], patient: Any
) -> None:
    bundle = export_bundle(services.patient_record(patient))
    appointments = {a["id"]: a for a in of_type(bundle, "Appointment")}
    assert len(appointments) == 5
    expected = {
        "booked": "booked", "arrived": "arrived", "completed": "fulfilled",
        "cancelled": "cancelled", "no_show": "noshow",
    }  # fmt: skip
    for status, made in day.items():
        resource = appointments[f"appointment-{made.pk}"]
        assert resource["status"] == expected[status]
        model = get_fhir_model_class("Appointment")
        assert model.model_validate(resource).model_dump(mode="json", exclude_none=True) == resource


def test_times_carry_the_clinics_offset_on_both_sides_of_the_change(
    day: dict[str, Any], patient: Any
) -> None:
    bundle = export_bundle(services.patient_record(patient))
    by_id = {a["id"]: a for a in of_type(bundle, "Appointment")}
    winter = by_id[f"appointment-{day['completed'].pk}"]
    summer = by_id[f"appointment-{day['booked'].pk}"]
    # GMT is written as Z by the R4B model: the same instant, offset zero.
    assert winter["start"] == "2026-03-23T09:00:00Z"
    assert winter["end"] == "2026-03-23T09:45:00Z"
    assert summer["start"] == "2026-03-30T09:00:00+01:00"
    assert summer["minutesDuration"] == 45
    assert dt.datetime.fromisoformat(summer["start"]) == day["booked"].start


def test_participants_are_the_patient_the_practitioner_and_the_room(
    day: dict[str, Any], patient: Any, clinician: Any
) -> None:
    bundle = export_bundle(services.patient_record(patient))
    by_id = {a["id"]: a for a in of_type(bundle, "Appointment")}
    booked = by_id[f"appointment-{day['booked'].pk}"]
    actors = [p["actor"]["reference"] for p in booked["participant"]]
    room = day["booked"].room
    assert actors == [
        f"Patient/{patient.pk}",
        f"Practitioner/practitioner-{clinician.pk}",
        f"Location/room-{room.pk}",
    ]
    assert {p["status"] for p in booked["participant"]} == {"accepted"}
    cancelled = by_id[f"appointment-{day['cancelled'].pk}"]
    assert {p["status"] for p in cancelled["participant"]} == {"declined"}
    (practitioner,) = of_type(bundle, "Practitioner")  # once, however many appointments
    name = clinician.get_full_name() or clinician.username
    assert practitioner["name"] == [{"text": name}]
    (location,) = of_type(bundle, "Location")
    assert location["name"] == "Room 2"


def test_the_kind_is_the_appointment_type(day: dict[str, Any], patient: Any) -> None:
    bundle = export_bundle(services.patient_record(patient))
    by_id = {a["id"]: a for a in of_type(bundle, "Appointment")}

    def kind(made: Any) -> tuple[str, str, str]:
        concept = by_id[f"appointment-{made.pk}"]["appointmentType"]
        codes = {c["system"]: c["code"] for c in concept["coding"]}
        return codes[APPOINTMENT_TYPE], codes[APPOINTMENT_KIND_SYSTEM], concept["text"]

    assert kind(day["completed"]) == ("ROUTINE", "new", "New patient")
    assert kind(day["arrived"]) == ("FOLLOWUP", "follow_up", "Follow-up")
    assert kind(day["booked"]) == ("FOLLOWUP", "reevaluation", "Re-evaluation")


def test_every_reference_resolves_and_the_bundle_still_imports(
    day: dict[str, Any], patient: Any
) -> None:
    bundle = export_bundle(services.patient_record(patient))
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    assert len(present) == len(bundle["entry"])
    found = set(references(bundle))
    assert any(r.startswith("Practitioner/") for r in found)
    assert found <= present
    imported = import_bundle(bundle)
    assert any("Appointment is not imported" in why for why in imported.ignored)
