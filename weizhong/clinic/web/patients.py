"""Patients: the list, new and edited details, the chart, the portal link and emergency access to a
record outside one's care."""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weizhong.clinic import actions
from weizhong.clinic.accounts import portal_links
from weizhong.clinic.accounts.access import (
    ALL_STAFF,
    CLINICIAN,
    clinic_of,
    patient_for,
    staff_required,
)
from weizhong.clinic.accounts.http import ClinicRequest, base_url
from weizhong.clinic.models import Patient
from weizhong.clinic.records import queries, services
from weizhong.clinic.web.forms import (
    PatientForm,
    fields_of,
)
from weizhong.clinic.web.history import KIND_NAMES, field_label, shown_value

PAGE = 25  # patients a page


@staff_required()
def patient_list(request: ClinicRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    found = queries.find_patients(clinic_of(request), q)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    rows = list(
        found.order_by("family_name", "given_name", "pk")[(page - 1) * PAGE : page * PAGE + 1]
    )
    context = {
        "patients": rows[:PAGE],
        "q": q,
        "page": page,
        "has_next": len(rows) > PAGE,
    }
    if request.htmx:
        return render(request, "clinic/_patient_rows.html", context)
    return render(request, "clinic/patient_list.html", context)


@staff_required()
@require_http_methods(["GET", "POST"])
def patient_new(request: ClinicRequest) -> HttpResponse:
    form = PatientForm(
        request.POST or None, instance=Patient(clinic=clinic_of(request)),
        clinical=request.role == CLINICIAN,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        patient = actions.do_create_patient(
            clinic=clinic_of(request), fields=fields_of(form), by=request.user
        )
        messages.success(request, _("Patient added."))
        return redirect("patient", patient.pk)
    return render(
        request,
        "clinic/patient_form.html",
        {"form": form, "patient": None},
        status=422 if request.method == "POST" else 200,
    )


@staff_required()
@require_http_methods(["GET", "POST"])
def patient_edit(request: ClinicRequest, pk: int) -> HttpResponse:
    from weizhong.clinic.history.versions import version_number

    patient = patient_for(request, pk)
    form = PatientForm(request.POST or None, instance=patient, clinical=request.role == CLINICIAN)
    version = request.POST.get("record_version", "")
    status, conflict = 200, None
    if request.method == "POST":
        status = 422
        if not version.isdigit():
            form.add_error(None, _("The form is out of date; please reload the page."))
        elif form.is_valid():
            try:
                actions.do_update_patient(
                    patient=form.instance, fields=fields_of(form), after_version=int(version),
                    by=request.user,
                )  # fmt: skip
            except actions.StaleCopy as stale:
                conflict, status = stale.current, 409
                form.add_error(None, _details_conflict(stale.current))
                version = str(stale.current.version if stale.current else 0)
            else:
                messages.success(request, _("Saved."))
                return redirect("patient", patient.pk)
    else:
        version = str(version_number("patient", patient.pk))
    return render(
        request,
        "clinic/patient_form.html",
        {"form": form, "patient": patient, "record_version": version, "conflict": conflict},
        status=status,
    )


def _details_conflict(newer: Any) -> str:
    """What to say when a patient's details were saved by someone else after this form was
    opened: who, when, and the saved values of what they changed."""
    if newer is None:
        return _("These details changed after you opened them; please reload the page.")
    changed = "; ".join(
        f"{field_label(Patient, name)}: {shown_value(newer.data.get(name))}"
        for name in newer.changed
    )
    return _(
        "%(who)s changed these details at %(when)s, after you opened them. Nothing you typed "
        "was saved; it is kept below. The saved values of what they changed: %(what)s. Check, "
        "then save again."
    ) % {
        "who": newer.author_label,
        "when": timezone.localtime(newer.at).strftime("%H:%M"),
        "what": changed or "–",
    }


@staff_required()
def patient_chart(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    clinician = request.role == CLINICIAN
    # The timeline needs each visit's date, response and whether its note is signed: not the
    # plan (15 KB of JSON each) nor the clinician.
    visits = list(patient.visits.select_related("note")[:100])
    events: list[dict[str, Any]] = [
        {"kind": "visit", "when": v.date, "at": v.created, "obj": v} for v in visits
    ]
    context: dict[str, Any] = {"patient": patient, "visits": visits}
    if clinician:
        exams = list(patient.exams.select_related("clinician")[:50])
        plans = list(patient.plans.select_related("created_by")[:50])
        outcomes = list(patient.outcomes.order_by("-taken")[:100])
        events += [
            {"kind": "exam", "when": e.created.date(), "at": e.created, "obj": e} for e in exams
        ]
        events += [
            {"kind": "plan", "when": p.created.date(), "at": p.created, "obj": p} for p in plans
        ]
        events += [
            {"kind": "outcome", "when": o.taken.date(), "at": o.taken, "obj": o} for o in outcomes
        ]
        plan = plans[0] if plans else None
        context.update(
            exam=exams[0] if exams else None,
            plan=plan,
            reeval=services.reevaluation(patient),
            adherence=services.adherence([patient], days=14)[patient.pk],
            requests=list(patient.requests.filter(completed_at__isnull=True)),
            medication_matches=_medication_matches(patient),
        )
    events.sort(key=lambda e: e["at"], reverse=True)
    context["events"] = events
    context["voided"] = _voided_records(patient, clinician)
    context["portal_url"] = (
        portal_links.url_for(request, patient) if patient.portal_active else None
    )
    context.update(_intake_context(request, patient))
    return render(request, "clinic/patient_chart.html", context)


def _intake_context(request: ClinicRequest, patient: Patient) -> dict[str, Any]:
    """The intake before the first visit at the desk: the open intake's link and its QR code
    (inline SVG) to scan from the patient's phone, or when the patient sent it."""
    intakes = list(patient.intakes.only("key", "created", "submitted_at", "link_sent_at")[:20])
    sent = next((i for i in intakes if i.submitted_at is not None), None)
    open_intake = next((i for i in intakes if i.submitted_at is None), None)
    if open_intake is None:
        return {"intake_sent": sent}
    url = base_url(request) + reverse("intake", args=[open_intake.key])
    qr = segno.make(url, error="m").svg_inline(scale=4, dark="#1b2430", omitsize=True)
    return {"intake_sent": sent, "intake_open": open_intake, "intake_url": url,
            "intake_qr": mark_safe(qr)}  # fmt: skip


@staff_required(*ALL_STAFF)
@require_POST
def intake_link(request: ClinicRequest, pk: int) -> HttpResponse:
    """A new intake for the patient to fill in on their phone (its link and QR code show on
    the patient's page)."""
    patient = patient_for(request, pk)
    actions.do_start_intake(patient=patient, by=request.user)
    messages.success(request, _("Intake link ready: let the patient scan the code or send it."))
    return redirect(reverse("patient", args=[patient.pk]) + "#intake")


def _voided_records(patient: Patient, clinician: bool) -> list[dict[str, Any]]:
    """The patient's voided records (one query, from their history): still shown, marked.
    The front desk sees voided visits only, as it sees visits only."""
    from weizhong.clinic.history.versions import RecordVersion

    kinds = ("exam", "plan", "visit", "outcome") if clinician else ("visit",)
    rows = RecordVersion.objects.filter(patient=patient, action="voided", kind__in=kinds)
    return [
        {
            "kind": v.kind,
            "kind_name": KIND_NAMES[v.kind],
            "record_id": v.record_id,
            "label": _voided_label(v),
            "at": v.at,
            "by": v.author_label,
            "reason": v.reason,
            "url": (
                reverse("outcome_history", args=[v.record_id])
                if v.kind == "outcome"
                else reverse(v.kind, args=[v.record_id])
            )
            if clinician
            else "",
        }
        for v in rows.order_by("-at")[:100]
    ]


def _voided_label(version: Any) -> str:
    """ "Visit of 19 Nov 2026", "Plan v2", "ODI score": what a voided record was."""
    data = version.data
    if version.kind == "visit" and data.get("date"):
        day = dt.date.fromisoformat(data["date"])
        return _("Visit of %(day)s") % {"day": date_format(day, "j M Y")}
    if version.kind == "exam" and data.get("created"):
        day = timezone.localtime(dt.datetime.fromisoformat(data["created"]))
        return _("Examination of %(day)s") % {"day": date_format(day, "j M Y")}
    if version.kind == "plan" and data.get("version"):
        return _("Plan v%(v)s") % {"v": data["version"]}
    if version.kind == "outcome" and data.get("instrument"):
        return _("%(name)s score") % {"name": str(data["instrument"]).upper()}
    return f"{KIND_NAMES[version.kind]} {version.record_id}"


def _medication_matches(patient: Patient) -> list[dict[str, Any]]:
    from weizhong.case import match_medication

    k = services.knowledge()
    out = []
    for name in patient.medications:
        match = match_medication(name, k)
        out.append({"name": name, "generic": match.generic, "classes": match.classes})
    return out


@staff_required(*ALL_STAFF)
@require_POST
def portal_manage(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    action = request.POST.get("action")
    if action == "issue":
        actions.do_issue_portal_link(patient=patient)
        messages.success(request, _("Portal link ready: copy it or send it to the patient."))
    elif action == "revoke":
        actions.do_revoke_portal_link(patient=patient)
        messages.success(request, _("Portal link revoked; the old link no longer opens."))
    elif action == "send" and request.role == CLINICIAN:
        instrument = request.POST.get("instrument", "")
        if instrument not in services.instruments():
            messages.error(request, _("Choose a questionnaire to send."))
        else:
            actions.do_send_questionnaire(
                patient=patient, instrument=instrument, sent_by=request.user
            )
            messages.success(request, _("Questionnaire sent to the portal."))
    else:
        messages.error(request, _("Unknown action."))
    return redirect("patient", patient.pk)


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def emergency_access(request: ClinicRequest, pk: int) -> HttpResponse:
    """Open the record of a patient outside one's care team: a reason, recorded and flagged."""
    from weizhong.clinic.accounts.access import EMERGENCY, MIN_REASON
    from weizhong.clinic.audit.events import EMERGENCY_ACCESS
    from weizhong.clinic.audit.trail import record

    patient = get_object_or_404(Patient, pk=pk, clinic=clinic_of(request))
    target = request.GET.get("next") or reverse("patient", args=[patient.pk])
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("patient", args=[patient.pk])
    error = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()[:500]
        if len(reason) < MIN_REASON:
            error = _("Write why you need this record now (at least a short sentence).")
        else:
            grants = dict(request.session.get(EMERGENCY, {}))
            grants[str(patient.pk)] = reason
            request.session[EMERGENCY] = grants
            record(EMERGENCY_ACCESS, user=request.user, username=request.user.get_username(),
                   role=CLINICIAN, clinic_id=patient.clinic_id, patient_id=patient.pk,
                   target=f"patient {patient.pk}",
                   method="POST", path=request.path[:300], status=302, allowed=True,
                   emergency=True, reason=reason)  # fmt: skip
            return redirect(target)
    primary = patient.primary_clinician
    return render(
        request,
        "clinic/emergency.html",
        {"patient": patient, "primary": primary, "error": error, "next": target},
        status=422 if error else 200,
    )


# What a search shows of each patient: enough to tell two patients of the same name apart.
SEARCH_FIELDS = ("pk", "given_name", "family_name", "birth_date", "phone")


def patient_matches(request: ClinicRequest, q: str) -> tuple[list[Patient], bool]:
    """The header search's matches for ``q`` (at most ``SEARCH_LIMIT``) and whether there are
    more: a clinician finds the patients of their care team, the front desk every patient of
    the clinic. The booking form's patient picker uses the same."""
    if not q:
        return [], False
    care_of = request.user if request.role == CLINICIAN else None
    found = queries.search_patients(clinic_of(request), q, care_of=care_of)
    rows = list(found.only(*SEARCH_FIELDS)[: queries.SEARCH_LIMIT + 1])
    return rows[: queries.SEARCH_LIMIT], len(rows) > queries.SEARCH_LIMIT


def chosen_patient(clinic: Any, key: Any) -> Patient | None:
    """The patient of this clinic with this key (a form's value: text), else None."""
    if not str(key or "").isdigit():
        return None
    return Patient.objects.filter(clinic=clinic, pk=int(key)).only(*SEARCH_FIELDS).first()


@staff_required()
def patient_search(request: ClinicRequest) -> HttpResponse:
    """The header's search (name, date of birth, phone) for clinicians and the front desk: as
    you type with htmx (the results under the field), or a page of its own without JavaScript.
    A clinician finds the patients of their care team (others through the patient list, with the
    emergency question); the front desk finds every patient of the clinic, names, dates of birth
    and phones only. ``for=booking`` (htmx): the matches as the day page's booking form shows
    them, radio buttons to choose from, with the patient already chosen (``patient``) first."""
    q = request.GET.get("q", "").strip()[:100]
    found, more = patient_matches(request, q)
    context: dict[str, Any] = {
        "q": q,
        "found": found,
        "more": more,
        "care_team_only": request.role == CLINICIAN,
    }
    if request.htmx and request.GET.get("for") == "booking":
        context["chosen"] = chosen_patient(clinic_of(request), request.GET.get("patient"))
        return render(request, "clinic/_patient_choices.html", context)
    if request.htmx:
        return render(request, "clinic/_search_results.html", context)
    return render(request, "clinic/search.html", context)
