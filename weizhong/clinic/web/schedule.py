"""The clinic's day and week (issue 15): each clinician's appointments with their status; book,
move, cancel, mark arrived or "did not come" from the page. The front desk and clinicians use
it; it shows names and times, never clinical data. Every write goes through the same actions as
the API, which refuse the same inputs with the same messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import clinic_of, note_access, staff_required
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.models import (
    APPOINTMENT_KINDS,
    APPOINTMENT_STATUSES,
    Appointment,
    Clinic,
    Patient,
    Room,
    Staff,
)
from weizhong.clinic.records import scheduling
from weizhong.clinic.records.rules import Refused

STATUS_WORDS = dict(APPOINTMENT_STATUSES)


def _clinicians(clinic: Clinic) -> list[Any]:
    return [
        s.user
        for s in Staff.objects.filter(clinic=clinic, role=Staff.CLINICIAN, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    ]


class BookingForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), label=gettext_lazy("Patient"))
    clinician = forms.ChoiceField(label=gettext_lazy("Clinician"))
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label=gettext_lazy("Time"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes"), min_value=actions.MIN_MINUTES, max_value=actions.MAX_MINUTES,
        initial=45,
    )  # fmt: skip
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=APPOINTMENT_KINDS)
    room = forms.ModelChoiceField(
        queryset=Room.objects.none(), required=False, label=gettext_lazy("Room")
    )

    def __init__(self, clinic: Clinic, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinicians = _clinicians(clinic)
        patient_field = self.fields["patient"]
        assert isinstance(patient_field, forms.ModelChoiceField)
        patient_field.queryset = Patient.objects.filter(clinic=clinic).order_by(
            "family_name", "given_name"
        )
        room_field = self.fields["room"]
        assert isinstance(room_field, forms.ModelChoiceField)
        room_field.queryset = Room.objects.filter(clinic=clinic)
        clinician_field = self.fields["clinician"]
        assert isinstance(clinician_field, forms.ChoiceField)
        clinician_field.choices = [
            (u.username, u.get_full_name() or u.username) for u in self.clinicians
        ]


def _day(request: ClinicRequest, zone: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return dt.datetime.now(zone).date()


def _columns(clinic: Clinic, zone: Any, start: dt.date, days: int) -> list[dict[str, Any]]:
    """One column per clinician, each with the appointments of the days asked, local times."""
    begin, end = scheduling.day_bounds(zone, start, days)
    found = list(scheduling.appointments_between(clinic, begin, end))
    columns = []
    for clinician in _clinicians(clinic):
        theirs = [a for a in found if a.clinician_id == clinician.pk]
        for a in theirs:
            a.local_start = a.start.astimezone(zone)  # type: ignore[attr-defined]
            a.local_end = a.end.astimezone(zone)  # type: ignore[attr-defined]
        columns.append({"clinician": clinician, "appointments": theirs})
    return columns


@staff_required()
def day(request: ClinicRequest) -> HttpResponse:
    clinic = clinic_of(request)
    zone = scheduling.clinic_zone(clinic)
    shown = _day(request, zone)
    form = BookingForm(clinic, initial={"date": shown, "time": dt.time(9)})
    return _render_day(request, clinic, zone, shown, form)


def _render_day(
    request: ClinicRequest, clinic: Clinic, zone: Any, shown: dt.date, form: BookingForm,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    with timezone.override(zone):
        return render(
            request,
            "clinic/schedule_day.html",
            {
                "day": shown,
                "previous": shown - dt.timedelta(days=1),
                "next": shown + dt.timedelta(days=1),
                "columns": _columns(clinic, zone, shown, 1),
                "form": form,
                "zone": str(zone),
                "statuses": STATUS_WORDS,
            },
            status=status,
        )


def _cell(appointments: list[tuple[str, str, str]]) -> str:
    """One day of one clinician in the week table, as HTML built here: a busy week has
    thousands of appointments, and a template loop over each costs several times more."""
    if not appointments:
        return mark_safe('<span class="muted">–</span>')
    return format_html_join(
        "",
        '<div class="slot status-{}">{} {}{}</div>',
        (
            (
                status,
                time,
                name,
                ""
                if status == "booked"
                else format_html(' <span class="muted">({})</span>', STATUS_WORDS[status]),
            )
            for status, time, name in appointments
        ),
    )


@staff_required()
def week(request: ClinicRequest) -> HttpResponse:
    clinic = clinic_of(request)
    zone = scheduling.clinic_zone(clinic)
    shown = _day(request, zone)
    monday = shown - dt.timedelta(days=shown.weekday())
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    begin, end = scheduling.day_bounds(zone, monday, 7)
    # Plain tuples, not model instances: a busy week has thousands of appointments.
    found = (
        Appointment.objects.filter(clinic=clinic, start__lt=end, end__gt=begin)
        .order_by("start", "pk")
        .values_list(
            "clinician_id", "start", "status", "patient__given_name", "patient__family_name"
        )
    )
    cells: dict[tuple[int, dt.date], list[tuple[str, str, str]]] = {}
    for clinician_id, start, status, given, family in found:
        local = start.astimezone(zone)
        cells.setdefault((clinician_id, local.date()), []).append(
            (status, f"{local:%H:%M}", f"{given} {family}")
        )
    rows = [
        {"clinician": c, "days": [_cell(cells.get((c.pk, d), [])) for d in days]}
        for c in _clinicians(clinic)
    ]
    with timezone.override(zone):
        return render(
            request,
            "clinic/schedule_week.html",
            {
                "days": days,
                "rows": rows,
                "previous": monday - dt.timedelta(days=7),
                "next": monday + dt.timedelta(days=7),
                "zone": str(zone),
            },
        )


@staff_required()
@require_POST
def book(request: ClinicRequest) -> HttpResponse:
    clinic = clinic_of(request)
    zone = scheduling.clinic_zone(clinic)
    form = BookingForm(clinic, request.POST)
    if not form.is_valid():
        return _render_day(request, clinic, zone, _day(request, zone), form, status=422)
    data = form.cleaned_data
    start = dt.datetime.combine(data["date"], data["time"], tzinfo=zone)
    clinician = next(u for u in form.clinicians if u.username == data["clinician"])
    note_access(request, data["patient"].pk, f"patient {data['patient'].pk}")
    status = 422
    try:
        actions.do_book_appointment(
            clinic=clinic, patient=data["patient"], clinician=clinician, start=start,
            minutes=data["minutes"], kind=data["kind"], room=data["room"], by=request.user,
        )  # fmt: skip
    except Refused as refused:
        form.add_error(refused.field if refused.field in form.fields else "time", refused.message)
    except actions.Clash as clash:
        form.add_error("time", _clash_words(clash.appointment, zone))
        status = 409
    if form.errors:
        return _render_day(request, clinic, zone, data["date"], form, status=status)
    messages.success(request, _("Booked."))
    return redirect(f"{reverse('schedule')}?date={data['date'].isoformat()}")


def _clash_words(hit: Appointment, zone: Any) -> str:
    local = hit.start.astimezone(zone)
    return _("The time is taken by appointment %(id)s: %(name)s with %(who)s at %(when)s.") % {
        "id": hit.pk,
        "name": hit.patient.full_name,
        "who": hit.clinician.get_full_name() or hit.clinician.get_username(),
        "when": f"{local:%H:%M}",
    }


@staff_required()
@require_POST
def change(request: ClinicRequest, pk: int) -> HttpResponse:
    """A status change or a move from the day page; the version read guards against a change
    made since (the page is reloaded with a message, nothing changed)."""
    clinic = clinic_of(request)
    zone = scheduling.clinic_zone(clinic)
    appointment = get_object_or_404(Appointment, pk=pk, clinic=clinic)
    note_access(request, appointment.patient_id, f"appointment {pk}")
    back = f"{reverse('schedule')}?date={appointment.start.astimezone(zone).date().isoformat()}"
    changes: dict[str, Any] = {}
    if request.POST.get("status"):
        changes["status"] = request.POST["status"]
    if request.POST.get("date") and request.POST.get("time"):
        try:
            changes["start"] = dt.datetime.combine(
                dt.date.fromisoformat(request.POST["date"]),
                dt.time.fromisoformat(request.POST["time"]),
                tzinfo=zone,
            )
        except ValueError:
            messages.error(request, _("Give the new date and time."))
            return redirect(back)
    try:
        version = int(request.POST.get("version", ""))
        actions.do_change_appointment(
            appointment=appointment, version=version, by=request.user, **changes
        )
    except ValueError:
        messages.error(request, _("The page was out of date; nothing changed."))
    except actions.StaleAppointment:
        messages.error(request, _("Someone changed this appointment; nothing changed. Look again."))
    except (actions.WrongStatus, Refused) as refused:
        messages.error(request, refused.message)
    except actions.Clash as clash:
        messages.error(request, _clash_words(clash.appointment, zone))
    else:
        messages.success(request, _("Saved."))
    if "start" in changes:
        back = f"{reverse('schedule')}?date={changes['start'].date().isoformat()}"
    return redirect(back)


def link_started_visit(appointment_id: str | None, visit: Any) -> None:
    """A visit started from an appointment (``?appointment=ID`` on the visit form) is linked to
    it, and the patient marked arrived; an id of another patient or clinic is ignored."""
    if not appointment_id or not appointment_id.isdigit():
        return
    appointment = Appointment.objects.filter(
        pk=int(appointment_id), patient=visit.patient, visit__isnull=True
    ).first()
    if appointment is not None:
        actions.do_link_visit(appointment=appointment, visit=visit)
