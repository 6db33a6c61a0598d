"""The clinic's fee schedule (``/settings/fees/``): one row per CPT code the billing rules can
produce, with the clinic's fee for one unit in US dollars. Administrators only, like the
clinic's day; every save goes through ``do_set_fees`` and is written to the audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import admin_required, clinic_of
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.audit.events import ACTION_EVENTS
from weizhong.clinic.audit.trail import client_ip, record
from weizhong.clinic.records.fees import FeeRow, fee_rows

FIELD = "fee_{}"  # the form field of a code's fee


class FeesForm(forms.Form):
    """One text box per code: the amount is read by the shared rule in the action, so the page
    and the API accept and refuse the same text with the same words."""

    def __init__(self, rows: list[FeeRow], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[FIELD.format(row.cpt)] = forms.CharField(
                label=f"{row.cpt} {row.description}",
                required=False,
                max_length=40,
                initial=row.typed,
                widget=forms.TextInput(
                    attrs={"inputmode": "decimal", "autocomplete": "off", "size": 10}
                ),
            )

    def typed(self) -> dict[str, str]:
        return {row.cpt: self.cleaned_data.get(FIELD.format(row.cpt), "") for row in self.rows}

    def table(self) -> list[dict[str, Any]]:
        return [{"row": row, "field": self[FIELD.format(row.cpt)]} for row in self.rows]


@admin_required
@require_http_methods(["GET", "POST"])
def fee_schedule(request: ClinicRequest) -> HttpResponse:
    clinic = clinic_of(request)
    rows = fee_rows(clinic)
    form = FeesForm(rows, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                change = actions.do_set_fees(clinic=clinic, fees=form.typed(), by=request.user)
                record(ACTION_EVENTS["do_set_fees"], user=request.user,
                       username=request.user.get_username(), role="admin",
                       clinic_id=clinic.pk, target=change.describe()[:120], method="POST",
                       path=request.path[:300], ip=client_ip(request), status=302,
                       allowed=True)  # fmt: skip
        except actions.FeesRefused as refused:
            for problem in refused.problems:
                name = FIELD.format(problem.field)
                form.add_error(name if name in form.fields else None, problem.message)
        else:
            messages.success(request, _("The fees are saved."))
            return redirect("fee_schedule")
    unset = [row.cpt for row in rows if row.cents is None]
    return render(
        request,
        "clinic/fees.html",
        {"form": form, "unset": unset},
        status=422 if request.method == "POST" else 200,
    )
