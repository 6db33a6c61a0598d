"""Appointments (issue 15): book, list a day, read, move or change the status (with If-Match),
and the signed-in clinician's calendar feed; the intake link sent before the first visit and the
submitted intakes. The front desk can do all of it but read intakes (their red flags are
clinical): appointments carry the patient's name and id, never clinical data."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.params import functions as param
from ninja.responses import Status
from pydantic import Field

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import CLINICIAN, clinic_of, note_access
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.api.common import _patient, _role, unprocessable
from weizhong.clinic.api.schemas import Message, Problems
from weizhong.clinic.models import Appointment, Clinic, Patient, Room, Staff
from weizhong.clinic.records import scheduling
from weizhong.clinic.records.rules import Refused

router = Router()

Kind = Literal["new", "follow_up", "reevaluation"]
Status_ = Literal["booked", "arrived", "completed", "cancelled", "no_show"]


class AppointmentIn(Schema):
    patient: int = Field(description="the patient's id")
    clinician: str = Field(max_length=150, description="the clinician's user name")
    start: dt.datetime = Field(description="ISO 8601 with its offset")
    minutes: int = Field(ge=actions.MIN_MINUTES, le=actions.MAX_MINUTES)
    kind: Kind
    room: str | None = Field(None, max_length=60, description="a room's name, if any")


class AppointmentChange(Schema):
    """Only the fields sent change; ``room: null`` takes the appointment out of its room."""

    start: dt.datetime | None = None
    minutes: int | None = Field(None, ge=actions.MIN_MINUTES, le=actions.MAX_MINUTES)
    room: str | None = Field(None, max_length=60)
    status: Status_ | None = None


class AppointmentOut(Schema):
    id: int
    patient: int
    patient_name: str
    clinician: str
    start: dt.datetime = Field(description="in the clinic's time zone, with its offset")
    end: dt.datetime
    minutes: int
    kind: Kind
    status: Status_
    room: str | None
    visit: int | None
    version: int


class ClashOut(Schema):
    detail: str
    appointment: AppointmentOut


class CalendarOut(Schema):
    ics_url: str


def appointment_etag(appointment: Appointment) -> str:
    return f'"appointment-{appointment.pk}-v{appointment.version}"'


def _out(appointment: Appointment, zone: Any) -> dict[str, Any]:
    return {
        "id": appointment.pk,
        "patient": appointment.patient_id,
        "patient_name": appointment.patient.full_name,
        "clinician": appointment.clinician.get_username(),
        "start": appointment.start.astimezone(zone),
        "end": appointment.end.astimezone(zone),
        "minutes": appointment.minutes,
        "kind": appointment.kind,
        "status": appointment.status,
        "room": appointment.room.name if appointment.room else None,
        "visit": appointment.visit_id,
        "version": appointment.version,
    }


def _clash(hit: Appointment, zone: Any) -> Status[Any]:
    local = hit.start.astimezone(zone)
    return Status(
        409,
        {
            "detail": f"the time is taken by appointment {hit.pk} "
            f"({local:%Y-%m-%d %H:%M}, {hit.minutes} minutes)",
            "appointment": _out(hit, zone),
        },
    )


def _clinician(clinic: Clinic, username: str) -> Any:
    staff = (
        Staff.objects.select_related("user")
        .filter(clinic=clinic, role=Staff.CLINICIAN, user__username=username, user__is_active=True)
        .first()
    )
    if staff is None:
        raise Refused("clinician", f"no clinician of this clinic has the user name {username!r}")
    return staff.user


def _room(clinic: Clinic, name: str | None) -> Room | None:
    if name is None:
        return None
    room = Room.objects.filter(clinic=clinic, name__iexact=name.strip()).first()
    if room is None:
        rooms = ", ".join(Room.objects.filter(clinic=clinic).values_list("name", flat=True))
        raise Refused("room", f"no room called {name!r}; rooms: {rooms or 'none set up'}")
    return room


def _appointment(request: ClinicRequest, pk: int) -> Appointment:
    _role(request)
    found = get_object_or_404(
        Appointment.objects.select_related("patient", "clinician", "room", "clinic"),
        pk=pk,
        clinic=clinic_of(request),
    )
    note_access(request, found.patient_id, f"appointment {pk}")
    return found


@router.post(
    "/appointments",
    response={201: AppointmentOut, 409: ClashOut, 422: Problems},
    tags=["appointments"],
)
def book_appointment(
    request: ClinicRequest, data: AppointmentIn, response: HttpResponse
) -> Status[Any]:
    """Book an appointment. 409 names the appointment it clashes with: the same patient at an
    overlapping time, the same room, or the same clinician (unless they allow overlapping
    bookings in different rooms)."""
    _role(request)
    clinic = clinic_of(request)
    zone = scheduling.clinic_zone(clinic)
    patient = Patient.objects.filter(pk=data.patient, clinic=clinic).first()
    if patient is None:
        return unprocessable([(["body", "patient"], "no such patient in this clinic")])
    note_access(request, patient.pk, f"patient {patient.pk}")
    try:
        appointment = actions.do_book_appointment(
            clinic=clinic,
            patient=patient,
            clinician=_clinician(clinic, data.clinician),
            start=data.start,
            minutes=data.minutes,
            kind=data.kind,
            room=_room(clinic, data.room),
            by=request.user,
        )
    except Refused as refused:
        return unprocessable([(["body", refused.field], refused.message)])
    except actions.Clash as clash:
        return _clash(clash.appointment, zone)
    response["ETag"] = appointment_etag(appointment)
    return Status(201, _out(appointment, zone))


@router.get(
    "/appointments", response={200: list[AppointmentOut], 422: Problems}, tags=["appointments"]
)
def list_appointments(
    request: ClinicRequest,
    date: str = param.Query("", max_length=10, description="YYYY-MM-DD; today if left out"),
    clinician: str = param.Query("", max_length=150, description="one clinician's user name"),
) -> Status[Any]:
    """A day's appointments (in the clinic's time zone), by start, of every clinician or one."""
    _role(request)
    clinic = clinic_of(request)
    zone = scheduling.clinic_zone(clinic)
    try:
        day = dt.date.fromisoformat(date) if date else dt.datetime.now(zone).date()
    except ValueError:
        return unprocessable([(["query", "date"], "a date as YYYY-MM-DD, like 2026-03-30")])
    who = None
    if clinician:
        try:
            who = _clinician(clinic, clinician)
        except Refused as refused:
            return unprocessable([(["query", "clinician"], refused.message)])
    start, end = scheduling.day_bounds(zone, day)
    found = scheduling.appointments_between(clinic, start, end, clinician=who)
    return Status(200, [_out(a, zone) for a in found])


@router.get("/appointments/{appointment_id}", response=AppointmentOut, tags=["appointments"])
def get_appointment(
    request: ClinicRequest, appointment_id: int, response: HttpResponse
) -> dict[str, Any]:
    """One appointment, with the ``ETag`` to send back as ``If-Match`` when changing it."""
    appointment = _appointment(request, appointment_id)
    response["ETag"] = appointment_etag(appointment)
    return _out(appointment, scheduling.clinic_zone(appointment.clinic))


@router.patch(
    "/appointments/{appointment_id}",
    response={
        200: AppointmentOut,
        409: Message | ClashOut,
        412: Message,
        422: Problems,
        428: Message,
    },
    tags=["appointments"],
)
def change_appointment(
    request: ClinicRequest, appointment_id: int, data: AppointmentChange, response: HttpResponse
) -> Status[Any]:
    """Move it (``start``, ``minutes``, ``room``) or change its status (``arrived``,
    ``completed``, ``cancelled``, ``no_show``, or back to ``booked``). Requires ``If-Match``
    with its ETag: a copy that is no longer current gets 412 and nothing changes."""
    appointment = _appointment(request, appointment_id)
    zone = scheduling.clinic_zone(appointment.clinic)
    wanted = request.headers.get("If-Match", "").strip()
    if not wanted:
        return Status(428, {"detail": "send If-Match with the ETag of GET /appointments/{id}"})
    match = re.fullmatch(rf'(?:W/)?"appointment-{appointment.pk}-v(\d+)"', wanted)
    if match is None:
        return Status(412, {"detail": "If-Match does not name a version of this appointment"})
    sent = data.model_fields_set
    changes: dict[str, Any] = {
        k: getattr(data, k) for k in ("start", "minutes", "status") if k in sent
    }
    try:
        if "room" in sent:
            changes["room"] = _room(appointment.clinic, data.room)
        for name in ("start", "minutes", "status"):
            if name in changes and changes[name] is None:
                raise Refused(name, "leave it out to keep it; it cannot be empty")
        changed = actions.do_change_appointment(
            appointment=appointment, version=int(match.group(1)), by=request.user, **changes
        )
    except Refused as refused:
        return unprocessable([(["body", refused.field], refused.message)])
    except actions.StaleAppointment as stale:
        response["ETag"] = appointment_etag(stale.current)
        return Status(412, {"detail": "the appointment changed since you read it; read it again"})
    except actions.WrongStatus as wrong:
        return Status(409, {"detail": wrong.message})
    except actions.Clash as clash:
        return _clash(clash.appointment, zone)
    response["ETag"] = appointment_etag(changed)
    return Status(200, _out(changed, zone))


@router.get("/me/calendar", response={200: CalendarOut, 403: Message}, tags=["appointments"])
def my_calendar(request: ClinicRequest) -> Status[Any]:
    """The address of your private calendar feed (iCalendar): add it to a calendar app. Anyone
    with the address sees your appointments (first name and initial, kind, room)."""
    if getattr(request, "role", None) != CLINICIAN:
        raise HttpError(403, "only clinicians have a calendar of appointments")
    calendar = actions.do_get_calendar(request.user)
    url = request.build_absolute_uri(reverse("calendar_feed", args=[calendar.feed_key]))
    return Status(200, {"ics_url": url})


# ------------------------------------------------------------------------------- intakes


class IntakeLink(Schema):
    url: str


class IntakeFlag(Schema):
    id: str
    name: str
    urgency: str
    action: str
    patient_action: str


class IntakeOut(Schema):
    id: int
    created: dt.datetime
    submitted_at: dt.datetime
    act_today: bool
    red_flags: list[IntakeFlag]
    answers: dict[str, str | list[str]]


@router.post("/patients/{patient_id}/intake", response={201: IntakeLink}, tags=["intakes"])
def start_intake(request: ClinicRequest, patient_id: int) -> Status[Any]:
    """A new intake for the patient to fill in before the first visit: send them its link."""
    _role(request)
    # The same care-team check as every patient endpoint (a colleague outside it is refused).
    patient = _patient(request, patient_id)
    intake = actions.do_start_intake(patient=patient, by=request.user)
    return Status(201, {"url": request.build_absolute_uri(reverse("intake", args=[intake.key]))})


@router.get("/patients/{patient_id}/intakes", response=list[IntakeOut], tags=["intakes"])
def list_intakes(request: ClinicRequest, patient_id: int) -> list[dict[str, Any]]:
    """The patient's submitted intakes, newest first, with the red flags the core raised
    (clinical data: clinicians only)."""
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return [
        {
            "id": i.pk,
            "created": i.created,
            "submitted_at": i.submitted_at,
            "act_today": i.act_today,
            "red_flags": i.red_flags,
            "answers": i.answers,
        }
        for i in patient.intakes.filter(submitted_at__isnull=False)[:50]
    ]


__all__ = ["AppointmentOut", "appointment_etag", "router"]
