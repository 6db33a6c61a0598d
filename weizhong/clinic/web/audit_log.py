"""The clinic's audit trail for its administrators, filtered, as a page or CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from weizhong.clinic.accounts.access import (
    admin_required,
    clinic_of,
)
from weizhong.clinic.accounts.http import ClinicRequest

# What each audited page is, in words (the trail stores the route's name).
ROUTE_WORDS = {
    "patient": _lazy("the patient's record"),
    "patient_new": _lazy("a new patient"),
    "patient_edit": _lazy("the patient's details"),
    "patient_fhir": _lazy("the record as FHIR"),
    "emergency_access": _lazy("emergency access"),
    "portal_manage": _lazy("the portal link"),
    "exam_new": _lazy("a new examination"),
    "exam_preview": _lazy("the live assessment"),
    "exam": _lazy("an examination"),
    "exam_case": _lazy("an examination's data"),
    "plan_editor": _lazy("the plan editor"),
    "plan": _lazy("a plan"),
    "plan_handout": _lazy("a plan's handout"),
    "visit_new": _lazy("a new visit"),
    "visit": _lazy("a visit and its note"),
    "visit_superbill": _lazy("a superbill"),
    "outcomes": _lazy("the outcome scores"),
    "outcome_new": _lazy("a new outcome score"),
    "patient_history": _lazy("the details' history"),
    "exam_history": _lazy("an examination's history"),
    "plan_history": _lazy("a plan's history"),
    "visit_history": _lazy("a visit's history"),
    "outcome_history": _lazy("an outcome's history"),
    "exam_void": _lazy("voiding an examination"),
    "plan_void": _lazy("voiding a plan"),
    "visit_void": _lazy("voiding a visit"),
    "outcome_void": _lazy("voiding an outcome"),
    "portal": _lazy("the portal (the patient)"),
    "portal_log": _lazy("the portal: a home-programme entry"),
    "portal_questionnaire": _lazy("the portal: a questionnaire"),
}


def plain_what(what: str) -> str:
    """The audited page or event in words: ``visit_new`` → "a new visit"."""
    if what in ROUTE_WORDS:
        return str(ROUTE_WORDS[what])
    if what.startswith("api:"):
        return _("the API: %(what)s") % {"what": what[4:].replace("_", " ")}
    return what.replace("_", " ")


def plain_target(target: str) -> str:
    """``pk=12`` → "no. 12" (the record's number); other targets as they are."""
    return " ".join(
        _("no. %(n)s") % {"n": part[3:]} if part.startswith("pk=") else part.replace("_", " ")
        for part in target.split()
    )


@admin_required
def audit_log(request: ClinicRequest) -> HttpResponse:
    """The clinic's audit trail, filtered; CSV with ?format=csv (the filtered rows)."""
    from weizhong.clinic.audit.trail import AuditEvent, verify_chain

    clinic = clinic_of(request)
    staff_names = list(clinic.staff.values_list("user__username", flat=True))
    events = AuditEvent.objects.filter(
        Q(clinic_id=clinic.pk) | Q(clinic_id__isnull=True, username__in=staff_names)
    )
    filters = {
        k: request.GET.get(k, "").strip()[:150]
        for k in ("user", "patient", "action", "since", "until")
    }
    if filters["user"]:
        events = events.filter(username=filters["user"])
    if filters["patient"].isdigit():
        events = events.filter(patient_id=int(filters["patient"]))
    if filters["action"] == "denied":
        events = events.filter(allowed=False)
    elif filters["action"] == "emergency":
        events = events.filter(emergency=True)
    elif filters["action"]:
        events = events.filter(action=filters["action"])
    for key, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        try:
            if filters[key]:
                events = events.filter(**{lookup: dt.date.fromisoformat(filters[key])})
        except ValueError:
            messages.error(request, _("Dates are YYYY-MM-DD."))
    if request.GET.get("format") == "csv":
        return _audit_csv(events.order_by("seq"))
    rows = list(events.order_by("-seq")[:200])
    check = verify_chain() if request.GET.get("verify") else None
    from weizhong.clinic.models import Patient

    people = {
        u.username: u.get_full_name() or u.username
        for u in (s.user for s in clinic.staff.select_related("user"))
    }
    patients = {
        p.pk: p.full_name
        for p in Patient.objects.filter(clinic=clinic, pk__in={e.patient_id for e in rows})
    }
    for event in rows:
        event.who = people.get(event.username, event.username)  # type: ignore[attr-defined]
        event.patient_name = patients.get(event.patient_id or 0, "")  # type: ignore[attr-defined]
        event.what_words = plain_what(event.what)  # type: ignore[attr-defined]
        event.target_words = plain_target(event.target)  # type: ignore[attr-defined]
    return render(
        request,
        "clinic/audit.html",
        {"events": rows, "filters": filters, "staff_names": staff_names, "check": check,
         "staff_choices": [(n, people.get(n, n)) for n in staff_names],
         "time_zone": timezone.get_current_timezone_name()},
    )  # fmt: skip


def _audit_csv(events: Any) -> HttpResponse:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = [
        "seq", "at", "username", "role", "patient_id", "action", "what", "target",
        "method", "path", "ip", "status", "allowed", "emergency", "reason", "hash",
    ]  # fmt: skip
    writer.writerow(columns)
    for event in events.iterator(2000):
        writer.writerow([getattr(event, c) for c in columns])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="weizhong-audit.csv"'
    return response
