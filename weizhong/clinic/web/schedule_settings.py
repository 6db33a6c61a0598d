"""The clinic's day, set up by an administrator (issue 15): the clinic's time zone and notice
period for online cancelling, its rooms, and each clinician's working hours and whether they
allow overlapping bookings in different rooms. Every change goes through its action and is
written to the audit trail under that action's event."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import admin_required, clinic_of
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.audit.events import ACTION_EVENTS
from weizhong.clinic.audit.trail import client_ip, record
from weizhong.clinic.models import ClinicSchedule, Room, Staff, WorkingHours
from weizhong.clinic.records.rules import Refused

MAX_NOTICE = actions.MAX_NOTICE_HOURS
STRETCHES = 2  # stretches of hours a day on the page (morning and afternoon, say)


class ClinicDayForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_lazy("Time zone"),
        help_text=_lazy("Appointments and working hours are in this zone's local time."),
    )
    cancel_notice_hours = forms.IntegerField(
        label=_lazy("Online cancelling notice (hours)"),
        min_value=0,
        max_value=MAX_NOTICE,
        help_text=_lazy("Patients may cancel on the portal until this many hours before."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(z, z.replace("_", " ")) for z in sorted(available_timezones())]


class RoomForm(forms.Form):
    use_required_attribute = False  # the empty box is not an error before it is sent
    name = forms.CharField(label=_lazy("Room name"), max_length=60)


class HoursForm(forms.Form):
    """One clinician's week: up to two stretches a day, and the overlap setting."""

    allow_overlap = forms.BooleanField(
        label=_lazy("Allow overlapping bookings in different rooms"),
        required=False,
        help_text=_lazy("For example, seeing another patient while needles are retained."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, name in WorkingHours.WEEKDAYS:
            for n in range(STRETCHES):
                for end, words in (("from", _("from")), ("until", _("until"))):
                    label = f"{name} {words}" if n == 0 else f"{name} ({_('second')}) {words}"
                    widget = forms.TimeInput(attrs={"type": "time", "aria-label": label})
                    self.fields[f"d{day}_{n}_{end}"] = forms.TimeField(
                        label=label, required=False, widget=widget
                    )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "stretches": [
                    (self[f"d{day}_{n}_from"], self[f"d{day}_{n}_until"]) for n in range(STRETCHES)
                ],
            }
            for day, name in WorkingHours.WEEKDAYS
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day, name in WorkingHours.WEEKDAYS:
            for n in range(STRETCHES):
                starts, ends = data.get(f"d{day}_{n}_from"), data.get(f"d{day}_{n}_until")
                if (starts is None) != (ends is None) and not self.errors:
                    field = f"d{day}_{n}_until" if ends is None else f"d{day}_{n}_from"
                    self.add_error(field, _("Give both times for %(day)s.") % {"day": name})
        return data

    def hours(self) -> list[tuple[int, dt.time, dt.time]]:
        found = []
        for day, _name in WorkingHours.WEEKDAYS:
            for n in range(STRETCHES):
                starts = self.cleaned_data.get(f"d{day}_{n}_from")
                ends = self.cleaned_data.get(f"d{day}_{n}_until")
                if starts is not None and ends is not None:
                    found.append((day, starts, ends))
        return found


def _initial_hours(user: Any, allow_overlap: bool) -> dict[str, Any]:
    initial: dict[str, Any] = {"allow_overlap": allow_overlap}
    count: dict[int, int] = {}
    for h in WorkingHours.objects.filter(user=user).order_by("weekday", "starts"):
        n = count.get(h.weekday, 0)
        count[h.weekday] = n + 1
        if n < STRETCHES:
            initial[f"d{h.weekday}_{n}_from"] = h.starts.strftime("%H:%M")
            initial[f"d{h.weekday}_{n}_until"] = h.ends.strftime("%H:%M")
    return initial


def _audit(request: ClinicRequest, action: str, target: str) -> None:
    record(ACTION_EVENTS[action], user=request.user, username=request.user.get_username(),
           role="admin", clinic_id=clinic_of(request).pk, target=target[:120], method="POST",
           path=request.path[:300], ip=client_ip(request), status=302,
           allowed=True)  # fmt: skip


def _refused_on(form: forms.Form, refused: Refused) -> None:
    form.add_error(refused.field if refused.field in form.fields else None, refused.message)


@admin_required
@require_http_methods(["GET", "POST"])
def schedule_settings(request: ClinicRequest) -> HttpResponse:
    clinic = clinic_of(request)
    current = ClinicSchedule.objects.filter(clinic=clinic).first()
    clinic_day = ClinicDayForm(
        initial={
            "time_zone": current.time_zone if current else settings.TIME_ZONE,
            "cancel_notice_hours": current.cancel_notice_hours if current else 24,
        }
    )
    room_form = RoomForm()
    clinicians = list(
        Staff.objects.filter(clinic=clinic, role=Staff.CLINICIAN, user__is_active=True)
        .select_related("user", "user__calendar")
        .order_by("user__last_name", "user__first_name")
    )
    bound: dict[int, HoursForm] = {}
    part = request.POST.get("part", "") if request.method == "POST" else ""
    if part == "clinic":
        clinic_day = ClinicDayForm(request.POST)
        if clinic_day.is_valid():
            try:
                with transaction.atomic():
                    actions.do_set_clinic_schedule(clinic=clinic, **clinic_day.cleaned_data)
                    _audit(request, "do_set_clinic_schedule", f"clinic {clinic.pk}")
            except Refused as refused:
                _refused_on(clinic_day, refused)
            else:
                messages.success(request, _("The clinic's time zone and notice period are saved."))
                return redirect("schedule_settings")
    elif part == "room":
        room_form = RoomForm(request.POST)
        if room_form.is_valid():
            try:
                with transaction.atomic():
                    room = actions.do_add_room(clinic=clinic, name=room_form.cleaned_data["name"])
                    _audit(request, "do_add_room", f"room {room.pk}")
            except Refused as refused:
                _refused_on(room_form, refused)
            else:
                messages.success(request, _("Room %(name)s added.") % {"name": room.name})
                return redirect("schedule_settings")
    elif part == "hours":
        member = next((m for m in clinicians if str(m.user_id) == request.POST.get("user")), None)
        if member is None:
            messages.error(request, _("Choose a clinician of this clinic."))
            return redirect("schedule_settings")
        form = HoursForm(request.POST, prefix=f"u{member.user_id}")
        bound[member.user_id] = form
        if form.is_valid():
            try:
                with transaction.atomic():
                    actions.do_set_working_hours(user=member.user, hours=form.hours())
                    actions.do_set_calendar(
                        user=member.user, allow_overlap=form.cleaned_data["allow_overlap"]
                    )
                    target = f"user {member.user_id} {member.user.get_username()}"
                    _audit(request, "do_set_working_hours", target)
                    _audit(request, "do_set_calendar", target)
            except Refused as refused:
                _refused_on(form, refused)
            else:
                name = member.user.get_full_name() or member.user.get_username()
                messages.success(request, _("Hours of %(name)s saved.") % {"name": name})
                return redirect("schedule_settings")
    people = []
    for member in clinicians:
        calendar = getattr(member.user, "calendar", None)
        overlap = bool(calendar and calendar.allow_overlap)
        form = bound.get(member.user_id) or HoursForm(
            initial=_initial_hours(member.user, overlap), prefix=f"u{member.user_id}"
        )
        people.append({"user": member.user, "form": form})
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "clinic/schedule_settings.html",
        {
            "clinic_day": clinic_day,
            "room_form": room_form,
            "rooms": list(Room.objects.filter(clinic=clinic)),
            "people": people,
        },
        status=status,
    )
