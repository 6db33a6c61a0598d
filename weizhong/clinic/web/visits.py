"""Visits: a new visit (points carried over, the note drafted), the visit with its note, amendments
and superbill."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import (
    ALL_STAFF,
    CLINICIAN,
    patient_for,
    record_for,
    staff_required,
)
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.models import Note, Patient, Visit
from weizhong.clinic.records import services
from weizhong.clinic.web import schedule
from weizhong.clinic.web.forms import (
    AmendmentForm,
    NoteForm,
    VisitForm,
    fields_of,
    submit_token_of,
)


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def visit_new(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    plan = services.active_plan(patient)
    suggested = services.suggested_diagnoses(patient)
    if request.method == "POST":
        form = VisitForm(request.POST)
        token = submit_token_of(request.POST.get("submit_token"))
        if form.is_valid() and token is not None:
            try:
                visit = actions.do_record_visit(
                    patient=patient, clinician=request.user, fields=fields_of(form), plan=plan,
                    submit_token=token,
                )  # fmt: skip
            except actions.KeyUsedElsewhere:
                token = None  # a form of another patient's page: send it again
            else:
                schedule.link_started_visit(request.GET.get("appointment"), visit)
                messages.success(request, _("Visit recorded; the note is drafted below."))
                return redirect("visit", visit.pk)
        if token is None:
            form.add_error(None, _("The form expired; please submit it again."))
            token = uuid.uuid4()
        status = 422
    else:
        electro = plan.plan["acupuncture"].get("electrostimulation") if plan else None
        form = VisitForm(
            initial={
                "date": timezone.localdate(),
                "points": services.carried_points(patient, plan),
                "trigger_points": services.carried_trigger_points(patient, plan),
                "electro": bool(electro),
                "electro_settings": _electro_text(electro),
                "needle_minutes": (electro or {}).get("minutes", [20])[0],
                "diagnoses": _carried_diagnoses(patient, suggested),
            }
        )
        token = uuid.uuid4()
        status = 200
    return render(
        request,
        "clinic/visit_form.html",
        {"patient": patient, "plan": plan, "form": form, "token": token, "suggested": suggested},
        status=status,
    )


def _carried_diagnoses(patient: Patient, suggested: list[dict[str, Any]]) -> list[str]:
    """The last visit's diagnoses, else the assessment's primary suggestion."""
    last = patient.visits.exclude(diagnoses=[]).order_by("-date", "-created").first()
    if last is not None:
        return list(last.diagnoses)
    return [str(s["code"]) for s in suggested if s.get("role") == "primary"][:1]


def _electro_text(electro: dict[str, Any] | None) -> str:
    if not electro:
        return ""
    pairs = "; ".join(
        f"{'–'.join(pair.get('points', []))} ({pair.get('side', '')})"
        for pair in electro.get("pairs", [])
    )
    return ", ".join(b for b in (electro.get("frequency", ""), pairs) if b)[:200]


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def visit_detail(request: ClinicRequest, pk: int) -> HttpResponse:
    visit = record_for(request, Visit, pk)
    note: Note = visit.note
    note_form = None
    conflict = False
    amend_form = AmendmentForm()
    if request.method == "POST" and visit.voided:
        messages.error(request, _("This visit is voided: its note can no longer be changed."))
        return redirect("visit", visit.pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("save", "sign"):
            if note.signed:
                messages.error(request, _("This note is signed; add an amendment instead."))
                return redirect("visit", visit.pk)
            note_form = NoteForm(request.POST, instance=note)
            version = request.POST.get("version", "")
            if note_form.is_valid() and version.isdigit():
                try:
                    actions.do_save_note(
                        note=note, author=request.user, version=int(version),
                        fields=note_form.cleaned_data, sign=action == "sign",
                    )  # fmt: skip
                except actions.NoteLocked:
                    messages.error(request, _("This note was signed meanwhile."))
                    return redirect("visit", visit.pk)
                except actions.RecordVoided:
                    messages.error(request, _("This visit was voided meanwhile."))
                    return redirect("visit", visit.pk)
                except actions.StaleCopy as stale:
                    who = stale.current.updated_by
                    note_form.add_error(
                        None,
                        _(
                            "%(who)s changed this note at %(when)s, after you opened it. Your "
                            "text is kept below and was not saved; the saved version is shown "
                            "beside it. Merge what you need, then save again."
                        )
                        % {
                            "who": (who.get_full_name() or who.username) if who else _("Someone"),
                            "when": timezone.localtime(stale.current.updated).strftime("%H:%M")
                            if stale.current.updated
                            else "?",
                        },
                    )
                    note = stale.current
                    conflict = True
                else:
                    messages.success(
                        request,
                        _("Note signed and locked.") if action == "sign" else _("Draft saved."),
                    )
                    return redirect("visit", visit.pk)
            elif not version.isdigit():
                note_form.add_error(None, _("The form is out of date; please reload the page."))
        elif action == "amend":
            if not note.signed:
                messages.error(
                    request, _("Edit the draft directly; amendments are for signed notes.")
                )
                return redirect("visit", visit.pk)
            amend_form = AmendmentForm(request.POST)
            if amend_form.is_valid():
                try:
                    actions.do_add_amendment(
                        note=note, author=request.user, text=amend_form.cleaned_data["text"]
                    )
                except actions.RecordVoided:
                    messages.error(request, _("This visit was voided meanwhile."))
                    return redirect("visit", visit.pk)
                messages.success(request, _("Amendment added; the signed note is unchanged."))
                return redirect("visit", visit.pk)
        else:
            messages.error(request, _("Unknown action."))
            return redirect("visit", visit.pk)
    if note_form is None and not note.signed:
        note_form = NoteForm(instance=note)
    return render(
        request,
        "clinic/visit_detail.html",
        {
            "visit": visit,
            "patient": visit.patient,
            "note": note,
            "note_form": note_form,
            "amend_form": amend_form,
            "amendments": list(note.amendments.select_related("author")),
            "conflict": conflict,
            **_bill_context(visit),
        },
        status=409 if conflict else 422 if request.method == "POST" else 200,
    )


def _bill_context(visit: Visit) -> dict[str, Any]:
    from weizhong.billing import BillingError

    if visit.voided:
        return {"bill": None, "bill_problems": [_("The visit is voided: it is not billed.")]}
    try:
        return {"bill": services.superbill_for(visit), "bill_problems": []}
    except BillingError as error:
        return {"bill": None, "bill_problems": [f"{p.field}: {p.message}" for p in error.problems]}


@staff_required(*ALL_STAFF)
def visit_bill(request: ClinicRequest, pk: int) -> HttpResponse:
    """The superbill of a visit for the front desk (clinicians may open it too): patient,
    provider, date, CPT codes with units, ICD-10-CM codes with their titles, and the PDF to
    print. Nothing clinical beyond what billing needs: no note, findings or assessment, and not
    how each line's units were counted."""
    visit = record_for(request, Visit, pk)
    context = {"visit": visit, "patient": visit.patient, **_bill_context(visit)}
    context["bill_problems"] = [p.replace("_", " ") for p in context["bill_problems"]]
    return render(request, "clinic/visit_bill.html", context)


@staff_required(*ALL_STAFF)
def visit_superbill(request: ClinicRequest, pk: int, fmt: str) -> HttpResponse:
    from weizhong.billing import BillingError, superbill_csv, superbill_pdf

    visit = record_for(request, Visit, pk)
    back = "visit" if request.role == CLINICIAN else "visit_bill"
    if visit.voided:
        messages.error(request, _("This visit is voided: it is not billed."))
        return redirect(back, visit.pk)
    try:
        bill = services.superbill_for(visit)
    except BillingError as error:
        for problem in error.problems:
            messages.error(request, f"{problem.field}: {problem.message}")
        return redirect(back, visit.pk)
    name = f"superbill-{visit.date.isoformat()}-{visit.pk}"
    if fmt == "csv":
        response = HttpResponse(superbill_csv(bill), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(superbill_pdf(bill), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
