"""A record's history (every version, who and why) and voiding a record entered in error."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import (
    CLINICIAN,
    patient_for,
    record_for,
    staff_required,
)
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.models import Exam, Note, Outcome, Patient, Plan, Visit
from weizhong.clinic.records import services
from weizhong.clinic.web.forms import CLINICAL_PATIENT_FIELDS

VOIDABLE: dict[str, type[Any]] = {"exam": Exam, "plan": Plan, "visit": Visit, "outcome": Outcome}
KIND_NAMES = {
    "patient": _lazy("patient details"),
    "exam": _lazy("examination"),
    "plan": _lazy("plan"),
    "visit": _lazy("visit"),
    "note": _lazy("note"),
    "amendment": _lazy("amendment"),
    "outcome": _lazy("outcome score"),
    "pain": _lazy("pain entry"),
}


def record_url(kind: str, record: Any) -> str:
    """Where a record is read: its own page (an outcome: the patient's outcomes)."""
    if kind == "outcome":
        return reverse("outcomes", args=[record.patient_id])
    if kind == "patient":
        return reverse("patient", args=[record.pk])
    return reverse(kind, args=[record.pk])


SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


def _plain(text: str) -> str:
    """Identifiers in words: ``hamstring_tightness`` → "hamstring tightness" (a condition or
    a red flag by its name)."""
    names = services.knowledge().condition_names
    return SNAKE.sub(lambda m: str(names.get(m.group(0), m.group(0).replace("_", " "))), text)


def shown_value(value: Any) -> str:
    """A stored value as a person reads it: words, never identifiers or JSON."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(shown_value(v) for v in value)
    if isinstance(value, dict):
        if "findings" in value:  # an exam's case: the findings as the note lists them
            return "\n".join(services.exam_lines(value))
        return (
            "\n".join(
                f"{_plain(str(key)).capitalize()}: {shown_value(item)}"
                for key, item in value.items()
                if item not in (None, "", [], {})
            )
            or "–"
        )
    return _plain(str(value))


def field_label(model: Any, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a field since removed from the model
        return name


# Fields a history page does not list: the links that place the record (shown by the page
# itself), form plumbing, and the void (shown in its own banner with the reason).
HISTORY_HIDDEN = frozenset(
    {"clinic_id", "patient_id", "visit_id", "note_id", "request_id", "submit_token", "version",
     "voided_at", "voided_by_id", "void_reason"}
)  # fmt: skip


def _version_rows(
    model: Any, versions: list[Any], hidden: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Each version with what changed (before → after); the first shows every field. Staff
    are named, not numbered. ``hidden``: fields this reader may not see."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user_fields = {
        f.attname
        for f in model._meta.concrete_fields
        if getattr(f, "related_model", None) is user_model
    }
    ids = {v.data.get(n) for v in versions for n in user_fields} - {None}
    names = {
        u.pk: u.get_full_name() or u.get_username() for u in user_model.objects.filter(pk__in=ids)
    }

    choices = {f.attname: dict(f.flatchoices) for f in model._meta.concrete_fields if f.choices}
    moments = {
        f.attname for f in model._meta.concrete_fields if f.get_internal_type() == "DateTimeField"
    }

    def shown(name: str, value: Any) -> str:
        if name in user_fields and value:
            return names.get(value, str(value))
        if name in moments and value:
            moment = timezone.localtime(dt.datetime.fromisoformat(value))
            return date_format(moment, "j M Y H:i")
        if name in choices and value in choices[name]:
            return str(choices[name][value])
        return shown_value(value)

    rows: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for v in versions:
        listed = list(v.data) if previous is None else v.changed
        rows.append(
            {
                "v": v,
                "fields": [
                    {
                        "label": field_label(model, name),
                        "before": None if previous is None else shown(name, previous.get(name)),
                        "after": shown(name, v.data.get(name)),
                    }
                    for name in listed
                    if name not in HISTORY_HIDDEN and name not in hidden
                ],
                "untracked_before": previous is None and v.action != "created",
            }
        )
        previous = v.data
    return rows


@staff_required()
def record_history(request: ClinicRequest, pk: int, kind: str) -> HttpResponse:
    """Every version of a record, newest first: who, when, what changed, and voids' reasons.
    A visit's page shows its note's versions and amendments too. Patient details: all staff;
    clinical records: clinicians."""
    from weizhong.clinic.history.versions import versions_for
    from weizhong.clinic.models import Amendment

    if kind == "patient":
        record: Any = patient_for(request, pk)
        patient, model = record, Patient
        # The front desk sees the details' history without the clinical fields.
        hidden = frozenset() if request.role == CLINICIAN else frozenset(CLINICAL_PATIENT_FIELDS)
        rows = _version_rows(Patient, versions_for("patient", pk), hidden)
        sections = [(KIND_NAMES["patient"], rows)]
    else:
        if request.role != CLINICIAN:
            raise PermissionDenied
        model = VOIDABLE[kind]
        record = record_for(request, model, pk)
        patient = record.patient
        sections = [(KIND_NAMES[kind], _version_rows(model, versions_for(kind, pk)))]
        if kind == "visit":
            note = record.note
            notes = _version_rows(Note, versions_for("note", note.pk))
            sections.append((KIND_NAMES["note"], notes))
            for amendment in note.amendments.all():
                sections.append(
                    (
                        KIND_NAMES["amendment"],
                        _version_rows(Amendment, versions_for("amendment", amendment.pk)),
                    )
                )
    for _name, rows in sections:
        rows.reverse()
    return render(
        request,
        "clinic/history.html",
        {
            "record": record,
            "kind": kind,
            "kind_name": KIND_NAMES[kind],
            "patient": patient,
            "sections": sections,
            "back": record_url(kind, record),
        },
    )


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def void_record(request: ClinicRequest, pk: int, kind: str) -> HttpResponse:
    """Void a record entered in error, with a reason: it leaves counts and decisions, stays
    readable (marked) and in its history. An exam's plans are voided with it."""
    from weizhong.clinic.history.versions import MIN_REASON

    model = VOIDABLE[kind]
    record = record_for(request, model, pk)
    # the plans voided with an exam, named by version (their 15 KB of content is not needed)
    also = list(record.plans.only("id", "version")) if kind == "exam" else []
    error, reason, status = "", "", 200
    if record.voided:
        status = 409
    elif request.method == "POST":
        reason = request.POST.get("reason", "")[:2000]
        try:
            voided = actions.do_void_record(record=record, by=request.user, reason=reason)
        except ValueError as problem:
            error, status = str(problem), 422
        except actions.AlreadyVoided as done:
            record, status = done.record, 409
        else:
            text = _("Voided. It stays in the chart, marked, with your reason.")
            if len(voided) > 1:
                text += " " + _("Its %(n)s plan version(s) were voided with it.") % {
                    "n": len(voided) - 1
                }
            messages.success(request, text)
            return redirect(record_url(kind, record))
    return render(
        request,
        "clinic/void.html",
        {
            "record": record,
            "kind": kind,
            "kind_name": KIND_NAMES[kind],
            "patient": record.patient,
            "also": also,
            "error": error,
            "reason": reason,
            "min_reason": MIN_REASON,
            "back": record_url(kind, record),
        },
        status=status,
    )
