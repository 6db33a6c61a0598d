"""The clinic's day and week (issue 15): each clinician's appointments with their status; book,
move, cancel, mark arrived or "did not come" from the page. The front desk and clinicians use
it; it shows names and times, never clinical data. Every write goes through the same actions as
the API, which refuse the same inputs with the same messages."""

from __future__ import annotations

import datetime as dt
from html import escape as html_escape  # Django's escape without its lazy-text wrapper: per row
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import CLINICIAN, clinic_of, note_access, staff_required
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
from weizhong.clinic.web.patients import chosen_patient, patient_matches

STATUS_WORDS = dict(APPOINTMENT_STATUSES)


def _clinicians(clinic: Clinic) -> list[Any]:
    return [
        s.user
        for s in Staff.objects.filter(clinic=clinic, role=Staff.CLINICIAN, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    ]


class BookingForm(forms.Form):
    # Chosen with the patient picker (a search, its matches as radio buttons): the form checks
    # the key it is sent against the clinic's patients and never renders them as a list.
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.none(), label=gettext_lazy("Patient"),
        error_messages={
            "required": gettext_lazy(
                "Choose the patient: find them by name, date of birth or phone, then pick one."
            ),
            "invalid_choice": gettext_lazy(
                "That patient is not one of this clinic's patients: find the patient again and "
                "pick one."
            ),
        },
    )  # fmt: skip
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
        queryset=Room.objects.none(),
        required=False,
        label=gettext_lazy("Room"),
        empty_label=gettext_lazy("No room"),
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


def _words(choices: list[tuple[str, Any]]) -> dict[str, str]:
    """A list of choices' words, translated and escaped once for a page of many rows."""
    return {key: escape(str(words)) for key, words in choices}


_KEY = 987654321  # a key no row has, replaced by ``{}`` in ``_link``


def _link(name: str) -> str:
    """A route's address with ``{}`` for its key, reversed once for a page of many rows."""
    return reverse(name, args=[_KEY]).replace(str(_KEY), "{}")


class _DayRows:
    """The day page's appointments as HTML built here, each with the buttons of its status
    (arrived, did not come, completed, cancel, move): the words translated and escaped and the
    addresses reversed once per page, not once per row (a busy day has hundreds of rows)."""

    def __init__(self, request: ClinicRequest) -> None:
        self.clinician = request.role == CLINICIAN
        self.kinds, self.statuses = _words(APPOINTMENT_KINDS), _words(APPOINTMENT_STATUSES)
        self.say = {key: escape(text) for key, text in (
            ("visit", _("Open the visit")), ("reexam", _("Start the re-examination")),
            ("start", _("Start the visit")), ("arrived", _("Arrived")),
            ("no_show", _("Did not come")), ("completed", _("Completed")),
            ("cancel", _("Cancel")), ("move", _("Move")), ("date", _("New date")),
            ("time", _("New time")),
        )}  # fmt: skip
        self.patient_at, self.change_at = _link("patient"), _link("appointment_change")
        self.visit_at, self.visit_new_at = _link("visit"), _link("visit_new")
        self.exam_new_at = _link("exam_new")
        # one form token for the page, as ``{% csrf_token %}`` gives every form of a page
        self.token = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'
        )

    def row(self, row: list[Any]) -> str:
        """One appointment, ``row`` read as ``DAY_FIELDS``; names and rooms are escaped here."""
        pk, _who, start, end, status, kind, version, visit_id, patient_id, given, family, room = row
        say = self.say
        badge = {"cancelled": " warn", "no_show": " warn", "completed": " ok"}.get(status, "")
        html = [
            f'<li class="appointment status-{html_escape(status)}"><p><strong>'
            f"{start:%H:%M}–{end:%H:%M}"
            f'</strong> <a href="{self.patient_at.format(patient_id)}">{html_escape(given)} '
            f"{html_escape(family)}</a> · {self.kinds.get(kind, '')}"
            f"{f' · {html_escape(room)}' if room else ''} "
            f'<span class="badge{badge}">{self.statuses.get(status, "")}</span></p>'
        ]
        if visit_id and self.clinician:
            html.append(f'<p><a href="{self.visit_at.format(visit_id)}">{say["visit"]}</a></p>')
        if status not in ("booked", "arrived"):
            return "".join([*html, "</li>"])
        change = self.change_at.format(pk)
        version_input = f'<input type="hidden" name="version" value="{version}">'
        html.append(f'<form method="post" action="{change}" class="actions">{self.token}'
                    f"{version_input}")  # fmt: skip
        if self.clinician and kind == "reevaluation":
            html.append(f'<a class="btn small" href="{self.exam_new_at.format(patient_id)}'
                        f'?appointment={pk}">{say["reexam"]}</a>')  # fmt: skip
        if self.clinician and not visit_id:
            html.append(f'<a class="btn small" href="{self.visit_new_at.format(patient_id)}'
                        f'?appointment={pk}">{say["start"]}</a>')  # fmt: skip
        if status == "booked":
            html.append(
                f'<button class="btn small" name="status" value="arrived">{say["arrived"]}'
                f'</button><button class="btn secondary small" name="status" value="no_show">'
                f"{say['no_show']}</button>"
            )
        else:
            html.append(f'<button class="btn small" name="status" value="completed">'
                        f'{say["completed"]}</button>')  # fmt: skip
        html.append(f'<button class="btn danger small" name="status" value="cancelled">'
                    f'{say["cancel"]}</button></form>')  # fmt: skip
        if status == "booked":
            html.append(
                f'<details><summary>{say["move"]}</summary><form method="post" '
                f'action="{change}" class="move">{self.token}{version_input}'
                f'<label for="d{pk}">{say["date"]}</label><input id="d{pk}" type="date" '
                f'name="date" value="{start:%Y-%m-%d}" required>'
                f'<label for="t{pk}">{say["time"]}</label><input id="t{pk}" type="time" '
                f'name="time" value="{start:%H:%M}" required>'
                f'<button class="btn small" type="submit">{say["move"]}</button></form></details>'
            )
        return "".join([*html, "</li>"])


def _day_columns(
    request: ClinicRequest, clinic: Clinic, zone: Any, shown: dt.date, clinicians: list[Any]
) -> list[dict[str, Any]]:
    """One column per clinician (as the booking form lists them), their appointments of the
    day in order of time."""
    rows = _DayRows(request)
    html: dict[int, list[str]] = {}
    for row in scheduling.appointment_rows(clinic, zone, shown, 1, *DAY_FIELDS):
        html.setdefault(row[1], []).append(rows.row(row))
    # every name and room in the rows is escaped by ``_DayRows.row``
    return [
        {"clinician": c, "appointments": mark_safe("".join(html.get(c.pk, [])))} for c in clinicians
    ]


# What the day page shows of each appointment, in the order ``_day_columns`` reads them.
DAY_FIELDS = (
    "pk", "clinician_id", "start", "end", "status", "kind", "version", "visit_id", "patient_id",
    "patient__given_name", "patient__family_name", "room__name",
)  # fmt: skip


def _picker(request: ClinicRequest, clinic: Clinic, q: str, chosen_key: Any) -> dict[str, Any]:
    """The booking form's patient picker: the chosen patient (by key, of this clinic) and the
    matches of the header search's query for ``q``, as radio buttons."""
    found, more = patient_matches(request, q)
    return {
        "q": q,
        "chosen": chosen_patient(clinic, chosen_key),
        "found": found,
        "more": more,
        "care_team_only": request.role == CLINICIAN,
    }


@staff_required()
def day(request: ClinicRequest) -> HttpResponse:
    """The day page. ``?patient=<key>`` (the chart's "Book an appointment") chooses the
    patient in the booking form."""
    clinic = clinic_of(request)
    zone = scheduling.clinic_zone(clinic)
    shown = _day(request, zone)
    form = BookingForm(clinic, initial={"date": shown, "time": dt.time(9)})
    picker = _picker(request, clinic, "", request.GET.get("patient"))
    if picker["chosen"] is not None:
        note_access(request, picker["chosen"].pk, f"patient {picker['chosen'].pk}")
    return _render_day(request, clinic, zone, shown, form, picker)


def _render_day(
    request: ClinicRequest, clinic: Clinic, zone: Any, shown: dt.date, form: BookingForm,
    picker: dict[str, Any], status: int = 200,
) -> HttpResponse:  # fmt: skip
    with timezone.override(zone):
        return render(
            request,
            "clinic/schedule_day.html",
            {
                "day": shown,
                "previous": shown - dt.timedelta(days=1),
                "next": shown + dt.timedelta(days=1),
                "columns": _day_columns(request, clinic, zone, shown, form.clinicians),
                "form": form,
                "picker": picker,
                "zone": str(zone),
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
    cells: dict[tuple[int, dt.date], list[tuple[str, str, str]]] = {}
    for clinician_id, start, status, given, family in scheduling.appointment_rows(
        clinic, zone, monday, 7,
        "clinician_id", "start", "status", "patient__given_name", "patient__family_name",
    ):  # fmt: skip
        cells.setdefault((clinician_id, start.date()), []).append(
            (status, f"{start:%H:%M}", f"{given} {family}")
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
    q = request.POST.get("q", "").strip()[:100]
    if request.POST.get("find"):
        return _find(request, clinic, zone, q)
    form = BookingForm(clinic, request.POST)
    picker = _picker(request, clinic, q, request.POST.get("patient"))
    if not form.is_valid():
        return _render_day(request, clinic, zone, _day(request, zone), form, picker, status=422)
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
        return _render_day(request, clinic, zone, data["date"], form, picker, status=status)
    messages.success(request, _("Booked."))
    return redirect(f"{reverse('schedule')}?date={data['date'].isoformat()}")


def _find(request: ClinicRequest, clinic: Clinic, zone: Any, q: str) -> HttpResponse:
    """The booking form's search without JavaScript: the day page again with what was typed,
    the matches as radio buttons. Recorded in the audit trail as the header search is."""
    request.audit_route = "patient_search"
    kept = {name: request.POST.get(name) for name in BookingForm.base_fields if name != "patient"}
    form = BookingForm(clinic, initial={k: v for k, v in kept.items() if v is not None})
    picker = _picker(request, clinic, q, request.POST.get("patient"))
    return _render_day(request, clinic, zone, _day(request, zone), form, picker)


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
