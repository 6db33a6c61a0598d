"""The clinic's audit trail for its administrators, filtered, as a page or CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from weizhong.clinic.accounts.access import (
    admin_required,
    clinic_of,
)
from weizhong.clinic.accounts.http import ClinicRequest


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
    return render(
        request,
        "clinic/audit.html",
        {"events": rows, "filters": filters, "staff_names": staff_names, "check": check},
    )


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
