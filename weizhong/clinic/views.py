"""The clinic's pages. Each view: check the role (``staff_required``), fetch through the clinic
(``access``), delegate the work to ``services``, render. htmx requests get the fragment only."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cache
from typing import Any

import orjson
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from weizhong.handouts.handout import handout_html, handout_pdf
from weizhong.planning.home_programme import load_exercises
from weizhong.planning.plan import PlanEdits, PlanSettingError
from weizhong.planning.safety import OverrideError, parse_overrides
from weizhong.reasoning.instruments import InstrumentError

from . import actions, figures, portal, queries, services
from .access import (
    ALL_STAFF,
    CLINICIAN,
    admin_required,
    clinic_of,
    patient_for,
    record_for,
    staff_required,
)
from .forms import (
    AmendmentForm,
    ClinicSettingsForm,
    ExamForm,
    NoteForm,
    PatientForm,
    PlanSettingsForm,
    VisitForm,
    answers_of,
    fields_of,
    outcome_form,
    override_rules,
)
from .models import Exam, Note, Outcome, Patient, Plan, Visit

PAGE = 25


def server_error(request: HttpRequest) -> HttpResponse:
    """500: JSON for programs (the API, CDS Hooks), the page for people. Nothing is half-saved:
    every write is one transaction."""
    if request.path.startswith(("/api/", "/cds-services")):
        return HttpResponse(
            b'{"error": "internal error; it was logged, and nothing was half-saved"}',
            status=500,
            content_type="application/json",
        )
    return render(request, "500.html", status=500)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


# ------------------------------------------------------------------------------ dashboard


@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    clinic = clinic_of(request)
    today = timezone.localdate()
    mine = Patient.objects.filter(clinic=clinic)
    todays = list(
        Visit.objects.filter(patient__clinic=clinic, date=today)
        .select_related("patient", "note")
        .order_by("-created")[:30]
    )
    recent = list(mine.exclude(last_seen=None).order_by("-last_seen")[:12])
    context: dict[str, Any] = {"todays": todays, "recent": recent, "today": today}
    if request.role == CLINICIAN:  # type: ignore[attr-defined]
        context["flagged"] = list(mine.filter(flagged=True).order_by("-last_seen")[:20])
        context["due"] = list(mine.filter(reeval_due=True).order_by("-last_seen")[:20])
        context["adherence"] = services.adherence(recent)
        context["unsigned"] = list(
            Visit.objects.filter(
                patient__clinic=clinic, note__signed_at__isnull=True, clinician=request.user
            )
            .select_related("patient")
            .order_by("-date")[:10]
        )
    return render(request, "clinic/dashboard.html", context)


# ------------------------------------------------------------------------------- patients


@staff_required()
def patient_list(request: HttpRequest) -> HttpResponse:
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
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "clinic/_patient_rows.html", context)
    return render(request, "clinic/patient_list.html", context)


@staff_required()
@require_http_methods(["GET", "POST"])
def patient_new(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, instance=Patient(clinic=clinic_of(request)))
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
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from .history import version_number

    patient = patient_for(request, pk)
    form = PatientForm(request.POST or None, instance=patient)
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
        f"{_field_label(Patient, name)}: {_shown(newer.data.get(name))}" for name in newer.changed
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
def patient_chart(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    clinician = request.role == CLINICIAN  # type: ignore[attr-defined]
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
    context["portal_url"] = portal.url_for(request, patient) if patient.portal_active else None
    return render(request, "clinic/patient_chart.html", context)


def _voided_records(patient: Patient, clinician: bool) -> list[dict[str, Any]]:
    """The patient's voided records (one query, from their history): still shown, marked.
    The front desk sees voided visits only, as it sees visits only."""
    from .history import RecordVersion

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


# -------------------------------------------------------------------------- examination


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def exam_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    sections = None
    if request.method == "POST":
        form = ExamForm(request.POST)
        token = _token(request.POST.get("submit_token"))
        if form.is_valid():
            raw = services.build_case(patient, form.findings())
            case, problems = services.check_case(raw)
            if case is not None:
                try:
                    exam = actions.do_save_exam(
                        patient=patient, clinician=request.user, case=case, raw=raw,
                        submit_token=token,
                    )  # fmt: skip
                except actions.KeyUsedElsewhere:
                    token = uuid.uuid4()  # a form of another patient's page: send it again
                else:
                    return redirect("exam", exam.pk)
            for name, texts in problems.items():
                form.add_error(name if name in form.fields else None, texts)
        messages.error(request, _("The exam was not saved: please correct the fields marked."))
        status = 422
    else:
        initial = {}
        source = request.GET.get("from")
        if source and source.isdigit():
            previous = get_object_or_404(patient.exams, pk=int(source))
            initial = ExamForm.initial_from(
                services.reexam_findings(patient, previous, timezone.localdate())
            )
        form = ExamForm(initial=initial)
        token = uuid.uuid4()
        status = 200
        if not initial:  # a blank form is the same for everyone: render its 68 fields once
            sections = _blank_exam_sections(get_language() or "")
    regions = (
        form.data.getlist("pain_regions") if form.is_bound else form.initial.get("pain_regions")
    ) or []
    context = {
        "patient": patient,
        "form": form,
        "sections_html": sections,
        "token": token,
        "body_chart": mark_safe(
            figures.body_chart_html(regions, invalid="pain_regions" in form.errors)
        ),
        "focus": request.GET.get("focus", ""),
    }
    return render(request, "clinic/exam_form.html", context, status=status)


@cache
def _blank_exam_sections(language: str) -> str:
    return mark_safe(render_to_string("clinic/_exam_sections.html", {"form": ExamForm()}))


def _token(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


@staff_required(CLINICIAN)
@require_POST
def exam_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The live assessment beside the exam form (htmx, on every change)."""
    patient = patient_for(request, pk)
    form = ExamForm(request.POST)
    problems: dict[str, list[str]] = {}
    result = None
    if form.is_valid():
        case, problems = services.check_case(services.build_case(patient, form.findings()))
        if case is not None:
            from weizhong.reasoning.assessment import assess

            result = services.decorate(assess(case, services.knowledge()))
    else:
        problems = {name: list(errors) for name, errors in form.errors.items()}
    labels = {fid: str(f.label) for fid, f in form.fields.items()}
    problem_list = [
        {"field": name, "label": labels.get(name, name), "messages": texts}
        for name, texts in problems.items()
    ]
    return render(
        request,
        "clinic/_assessment_panel.html",
        {"result": result, "problems": problem_list, "live": True, "patient": patient},
    )


@staff_required(CLINICIAN)
def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exam = record_for(request, Exam, pk)
    result = services.decorate(exam.assessment)
    return render(
        request,
        "clinic/exam_detail.html",
        {
            "exam": exam,
            "patient": exam.patient,
            "result": result,
            "exam_lines": services.exam_lines(exam.case),
            "regions": [
                figures.REGION_NAMES.get(r, r)
                for r in exam.case["findings"].get("pain_regions", [])
            ],
        },
    )


@staff_required(CLINICIAN)
def exam_case_json(request: HttpRequest, pk: int) -> HttpResponse:
    exam = record_for(request, Exam, pk)
    response = HttpResponse(
        orjson.dumps(exam.case, option=orjson.OPT_INDENT_2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="case-{exam.pk}.json"'
    return response


# ----------------------------------------------------------------------------- planning


def _edits_from(data: Any) -> PlanEdits:
    """The clinician's edits so far (hidden fields) plus the button just pressed: pick adds
    (or restores a removed proposal), drop removes (or takes back an addition)."""
    add_p, rem_p = list(data.getlist("add_points")), list(data.getlist("remove_points"))
    add_e, rem_e = list(data.getlist("add_exercises")), list(data.getlist("remove_exercises"))
    typed = data.get("add_points_text", "")
    for text in [data.get("pick_point", ""), *typed.replace("\n", ",").split(",")]:
        text = text.strip().upper().replace(":LEFT", ":left").replace(":RIGHT", ":right")
        text = text.replace(":BOTH", ":both")
        if not text:
            continue
        if text in rem_p:
            rem_p.remove(text)
        else:
            add_p.append(text)
    if drop := data.get("drop_point", "").strip():
        if any(a.partition(":")[0] == drop for a in add_p):
            add_p = [a for a in add_p if a.partition(":")[0] != drop]
        else:
            rem_p.append(drop)
    if pick := data.get("pick_exercise", "").strip():
        if pick in rem_e:
            rem_e.remove(pick)
        else:
            add_e.append(pick)
    if drop := data.get("drop_exercise", "").strip():
        if drop in add_e:
            add_e.remove(drop)
        else:
            rem_e.append(drop)
    return PlanEdits(
        add_points=tuple(dict.fromkeys(add_p)),
        remove_points=tuple(dict.fromkeys(rem_p)),
        add_exercises=tuple(dict.fromkeys(add_e)),
        remove_exercises=tuple(dict.fromkeys(rem_e)),
    )


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def plan_editor(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose a plan from an exam; the clinician edits, overrides with a reason, saves."""
    exam = record_for(request, Exam, pk)
    if exam.voided:
        messages.error(request, _("This examination is voided: plans are made from a live one."))
        return redirect("exam", exam.pk)
    patient = exam.patient
    clinic = clinic_of(request)
    base = None
    if (source := request.GET.get("from")) and source.isdigit():
        base = get_object_or_404(patient.plans, pk=int(source))
    errors: list[str] = []
    overrides: dict[str, str] = {}
    active = patient.plans.order_by("-version").values_list("version", flat=True).first()
    after_version = request.POST.get("after_version", "") or str(active or 0)
    if request.POST.get("action") == "save" and not request.POST.get("after_version", "").isdigit():
        errors.append(_("The form is out of date; please reload the page."))
    if request.method == "POST":
        edits = _edits_from(request.POST)
        raw_overrides = {
            rule: request.POST.get(f"override_reason_{rule}", "")
            for rule in request.POST.getlist("override")
        }
        try:
            overrides = parse_overrides(raw_overrides)
        except OverrideError as error:
            errors.append(str(error))
        settings_form = PlanSettingsForm(request.POST)
    else:
        edits = services.edits_of(base) if base else PlanEdits()
        overrides = dict(base.overrides) if base else {}
        settings_form = PlanSettingsForm(
            initial={
                "visits_per_week": base.visits_per_week if base else clinic.visits_per_week,
                "planned_visits": base.planned_visits
                if base
                else clinic.rounds_before_reevaluation,
                "guideline": base.guideline if base else "ACP2017",
                "note": base.note if base else "",
            }
        )
    guideline = request.POST.get("guideline") or (base.guideline if base else "ACP2017")
    plan = None
    try:
        plan = services.propose_plan(exam, edits=edits, overrides=overrides, guideline=guideline)
    except (PlanSettingError, ValueError) as error:
        errors.append(str(error))
        # Show the unedited proposal so nothing typed is lost and the error is in context.
        plan = services.propose_plan(exam, overrides=overrides)
    saving = request.method == "POST" and request.POST.get("action") == "save"
    status = 200
    if saving and not errors and settings_form.is_valid():
        try:
            saved = actions.do_save_plan(
                exam=exam,
                author=request.user,
                plan=plan,
                edits=edits,
                overrides=overrides,
                guideline=guideline,
                visits_per_week=settings_form.cleaned_data["visits_per_week"],
                planned_visits=settings_form.cleaned_data["planned_visits"],
                note=settings_form.cleaned_data["note"],
                after_version=int(after_version),
            )
        except actions.StaleCopy as stale:
            errors.append(_plan_conflict(stale.current))
            status = 409
            after_version = str(stale.current.version if stale.current else 0)
        else:
            messages.success(request, _("Plan v%(version)s saved.") % {"version": saved.version})
            if request.htmx:  # type: ignore[attr-defined]
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("plan", args=[saved.pk])
                return response
            return redirect("plan", saved.pk)
    if saving and errors:
        messages.error(request, _("The plan was not saved: see the problems above the plan."))
    context = {
        "exam": exam,
        "patient": patient,
        "plan": plan,
        "edits": edits,
        "overrides": overrides,
        "errors": errors,
        "settings_form": settings_form,
        "rules": override_rules(),
        "points_figure": mark_safe(figures.points_figure_svg(_figure_points(plan))),
        "atlas": {p["code"]: _point_entry(p["code"]) for p in plan["acupuncture"]["points"]},
        "query": request.POST.get("q", ""),
        "found": _atlas_search(request.POST.get("q", "")) if request.POST.get("q") else [],
        "exercise_choices": _exercise_choices(plan),
        "base": base,
        "after_version": after_version,
    }
    template = "clinic/_plan_editor.html" if request.htmx else "clinic/plan_editor.html"  # type: ignore[attr-defined]
    if status == 200 and request.method == "POST" and (errors or not settings_form.is_valid()):
        status = 422
    return render(request, template, context, status=status)


def _plan_conflict(newer: Plan | None) -> str:
    """What to say when another plan version was saved while this editor was open."""
    if newer is None:  # the version this editor started after was voided meanwhile
        return _(
            "The active plan was voided while you were editing. Nothing was saved; your edits "
            "are kept. Save again to make a new plan."
        )
    return _(
        "%(who)s saved plan v%(v)s at %(when)s while you were editing. Nothing was saved; your "
        "edits are kept. Open v%(v)s to compare; saving again makes a new version after it."
    ) % {
        "who": newer.created_by.get_full_name() or newer.created_by.username,
        "v": newer.version,
        "when": timezone.localtime(newer.created).strftime("%H:%M"),
    }


def _figure_points(plan: dict[str, Any]) -> list[dict[str, Any]]:
    atlas = services.atlas()
    out = []
    for p in plan["acupuncture"]["points"]:
        try:
            regions = list(atlas.point(p["code"]).regions)
        except KeyError:
            regions = []
        out.append({**p, "regions": regions})
    return out


def _exercise_choices(plan: dict[str, Any]) -> list[dict[str, str]]:
    chosen = {e["id"] for e in plan["exercises"]}
    return [
        {"id": e.id, "name": e.name, "category": e.category}
        for e in load_exercises().values()
        if e.id not in chosen
    ]


def _atlas_search(query: str) -> list[Any]:
    query = query.strip()[:60]
    if not query:
        return []
    return services.atlas().search(query)[:12]


@staff_required(CLINICIAN)
def atlas_search(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "clinic/_atlas_results.html",
        {"found": _atlas_search(request.GET.get("q", "")), "query": request.GET.get("q", "")},
    )


@staff_required(CLINICIAN)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = record_for(request, Plan, pk)
    data = plan.plan
    exercises = [
        {**e, "figure": services.exercise_figure(e["id"])} for e in data.get("exercises", [])
    ]
    return render(
        request,
        "clinic/plan_detail.html",
        {
            "saved": plan,
            "patient": plan.patient,
            "plan": data,
            "exercises": exercises,
            "points_figure": mark_safe(figures.points_figure_svg(_figure_points(data))),
            "atlas": {p["code"]: _point_entry(p["code"]) for p in data["acupuncture"]["points"]},
            "visits_done": plan.visits.count(),
        },
    )


def _point_entry(code: str) -> dict[str, Any] | None:
    try:
        return services.atlas().point(code).to_dict()
    except KeyError:
        return None


@staff_required(CLINICIAN)
def plan_handout(request: HttpRequest, pk: int) -> HttpResponse:
    plan = record_for(request, Plan, pk)
    html = handout_html(
        plan.plan, {"exercises": plan.plan.get("exercises", [])}, clinic_of(request).name
    )
    response = HttpResponse(handout_pdf(html), content_type="application/pdf")
    name = f"home-programme-{plan.patient.family_name.lower()}-v{plan.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{_ascii(name)}"'
    return response


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in name)


# ------------------------------------------------------------------------------- visits


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    plan = services.active_plan(patient)
    suggested = services.suggested_diagnoses(patient)
    if request.method == "POST":
        form = VisitForm(request.POST)
        token = _token(request.POST.get("submit_token"))
        if form.is_valid() and token is not None:
            try:
                visit = actions.do_record_visit(
                    patient=patient, clinician=request.user, fields=fields_of(form), plan=plan,
                    submit_token=token,
                )  # fmt: skip
            except actions.KeyUsedElsewhere:
                token = None  # a form of another patient's page: send it again
            else:
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
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
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


# ----------------------------------------------------------------------------- outcomes


@staff_required(CLINICIAN)
def outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    charts = []
    rows = list(patient.outcomes.filter(score__isnull=False).order_by("taken"))
    for instrument, definition in services.instruments().items():
        series = [
            (o.taken.strftime("%d %b"), float(o.score)) for o in rows if o.instrument == instrument
        ]  # type: ignore[arg-type]
        if not series:
            continue
        mcid = definition.mcid.points if definition.mcid else None
        charts.append(
            {
                "name": definition.name,
                "svg": mark_safe(
                    figures.outcome_chart_svg(
                        definition.short_name,
                        series,
                        score_min=definition.score_min,
                        score_max=definition.score_max,
                        higher_is_better=definition.higher_is_better,
                        mcid=mcid,
                        units=definition.units,
                    )
                ),
            }
        )
    angles: dict[str, list[tuple[str, float]]] = {}
    names = {"slr_left_deg": "SLR left", "slr_right_deg": "SLR right",
             "ake_left_deg": "AKE left", "ake_right_deg": "AKE right"}  # fmt: skip
    for exam in patient.exams.order_by("created").only("created", "case"):
        found = exam.case.get("findings", {})
        for fid, name in names.items():
            if fid in found:
                angles.setdefault(name, []).append(
                    (exam.created.strftime("%d %b"), float(found[fid]))
                )
    angle_chart = mark_safe(figures.angles_chart_svg(_("Exam angles"), angles)) if angles else ""
    pain = list(patient.pain_logs.order_by("-day")[:28])[::-1]
    pain_chart = (
        mark_safe(
            figures.outcome_chart_svg(
                _("Pain logged on the portal"),
                [(p.day.strftime("%d %b"), float(p.pain)) for p in pain],
                score_min=0,
                score_max=10,
                higher_is_better=False,
                mcid=2,
            )
        )
        if pain
        else ""
    )
    return render(
        request,
        "clinic/outcomes.html",
        {
            "patient": patient,
            "charts": charts,
            "angle_chart": angle_chart,
            "pain_chart": pain_chart,
            "rows": rows[::-1],
            "reeval": services.reevaluation(patient),
            "instruments": services.instruments(),
        },
    )


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def outcome_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    instrument = request.GET.get("instrument") or request.POST.get("instrument") or "nprs"
    if instrument not in services.instruments():
        raise Http404
    form = outcome_form(instrument, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_score_outcome(
                patient=patient, instrument=instrument, answers=answers_of(form),
                entered_by=request.user,
            )  # fmt: skip
        except InstrumentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Score saved."))
            return redirect("outcomes", patient.pk)
    return render(
        request,
        "clinic/outcome_form.html",
        {
            "patient": patient,
            "form": form,
            "instrument": services.instruments()[instrument],
            "instruments": services.instruments(),
        },
        status=422 if request.method == "POST" else 200,
    )


# ------------------------------------------------------------------------ portal (staff)


@staff_required(*ALL_STAFF)
@require_POST
def portal_manage(request: HttpRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    action = request.POST.get("action")
    if action == "issue":
        actions.do_issue_portal_link(patient=patient)
        messages.success(request, _("Portal link ready: copy it or send it to the patient."))
    elif action == "revoke":
        actions.do_revoke_portal_link(patient=patient)
        messages.success(request, _("Portal link revoked; the old link no longer opens."))
    elif action == "send" and request.role == CLINICIAN:  # type: ignore[attr-defined]
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


# ----------------------------------------------------------------------------- settings


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def clinic_settings(request: HttpRequest) -> HttpResponse:
    form = ClinicSettingsForm(request.POST or None, instance=clinic_of(request))
    if request.method == "POST" and form.is_valid():
        actions.do_update_clinic_settings(clinic=form.instance, fields=fields_of(form))
        messages.success(request, _("Clinic settings saved."))
        return redirect("dashboard")
    return render(request, "clinic/settings.html", {"form": form})


# ----------------------------------------------------------------------------- API tokens


@staff_required()
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's personal tokens for the JSON API: make one (shown once), revoke one."""
    key = None
    if request.method == "POST":
        if request.POST.get("action") == "create":
            name = request.POST.get("name", "").strip()[:80] or _("API token")
            _token, key = actions.do_create_api_token(user=request.user, name=name)
        elif (pk := request.POST.get("revoke", "")).isdigit():
            actions.do_revoke_api_token(user=request.user, token_id=int(pk))
            messages.success(request, _("Token revoked."))
            return redirect("api_tokens")
    tokens = list(request.user.api_tokens.all()[:50])  # type: ignore[attr-defined]
    response = render(request, "clinic/api_tokens.html", {"tokens": tokens, "key": key})
    response["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ FHIR and research


@staff_required(CLINICIAN)
def patient_fhir(request: HttpRequest, pk: int) -> HttpResponse:
    from weizhong.fhir.export import export_bundle

    patient = patient_for(request, pk)
    bundle = export_bundle(
        services.patient_record(patient), base_url=request.build_absolute_uri("/fhir").rstrip("/")
    )
    response = HttpResponse(
        orjson.dumps(bundle, option=orjson.OPT_INDENT_2), content_type="application/fhir+json"
    )
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-fhir.json"'
    return response


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def fhir_import(request: HttpRequest) -> HttpResponse:
    """Upload a FHIR Bundle (a referral from another system): a new patient with a case."""
    from weizhong.fhir.importer import FhirImportError, import_bundle

    issues: list[dict[str, str]] = []
    if request.method == "POST":
        upload = request.FILES.get("bundle")
        if upload is None or upload.size > 5_000_000:
            issues.append({"diagnostics": _("Choose a JSON file of at most 5 MB.")})
        else:
            try:
                bundle = orjson.loads(upload.read())
                imported = import_bundle(bundle)
            except orjson.JSONDecodeError as error:
                issues.append({"diagnostics": _("Not JSON: %(e)s") % {"e": error}})
            except FhirImportError as error:
                issues = list(error.outcome["issue"])
            else:
                patient, exam = actions.do_import_patient(
                    clinic=clinic_of(request), importer=request.user, imported=imported
                )
                messages.success(request, _("Imported as a new patient."))
                return redirect("exam", exam.pk) if exam else redirect("patient", patient.pk)
    return render(
        request,
        "clinic/fhir_import.html",
        {"issues": issues},
        status=422 if issues else 200,
    )


@staff_required(CLINICIAN)
def research_csv(request: HttpRequest) -> HttpResponse:
    from . import research

    rows = research.outcome_rows(clinic_of(request))
    response = HttpResponse(research.to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="weizhong-outcomes.csv"'
    return response


# -------------------------------------------------------------------------------- billing


def _bill_context(visit: Visit) -> dict[str, Any]:
    from weizhong.billing import BillingError

    if visit.voided:
        return {"bill": None, "bill_problems": [_("The visit is voided: it is not billed.")]}
    try:
        return {"bill": services.superbill_for(visit), "bill_problems": []}
    except BillingError as error:
        return {"bill": None, "bill_problems": [f"{p.field}: {p.message}" for p in error.problems]}


@staff_required(CLINICIAN)
def visit_superbill(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    from weizhong.billing import BillingError, superbill_csv, superbill_pdf

    visit = record_for(request, Visit, pk)
    if visit.voided:
        messages.error(request, _("This visit is voided: it is not billed."))
        return redirect("visit", visit.pk)
    try:
        bill = services.superbill_for(visit)
    except BillingError as error:
        for problem in error.problems:
            messages.error(request, f"{problem.field}: {problem.message}")
        return redirect("visit", visit.pk)
    name = f"superbill-{visit.date.isoformat()}-{visit.pk}"
    if fmt == "csv":
        response = HttpResponse(superbill_csv(bill), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(superbill_pdf(bill), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# ------------------------------------------------------------------------------ audit


@admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The clinic's audit trail, filtered; CSV with ?format=csv (the filtered rows)."""
    from .audit import AuditEvent, verify_chain

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


# ------------------------------------------------------------------------------ sessions


@staff_required()
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    """The user's signed-in sessions; end any but this one."""
    from .security import UserSession

    mine = UserSession.objects.filter(user=request.user, ended__isnull=True)
    if request.method == "POST":
        if (pk := request.POST.get("end", "")).isdigit():
            entry = mine.filter(pk=int(pk)).exclude(session_key=request.session.session_key).first()
            if entry is not None:
                actions.do_end_session(session=entry)
                messages.success(request, _("That session is ended."))
        elif request.POST.get("end") == "others":
            for entry in mine.exclude(session_key=request.session.session_key):
                actions.do_end_session(session=entry)
            messages.success(request, _("Every other session is ended."))
        return redirect("sessions")
    return render(
        request,
        "clinic/sessions.html",
        {"sessions": list(mine[:50]), "current": request.session.session_key},
    )


# ---------------------------------------------------------------------- emergency access


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def emergency_access(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the record of a patient outside one's care team: a reason, recorded and flagged."""
    from .access import EMERGENCY, MIN_REASON
    from .audit import record
    from .audit_events import EMERGENCY_ACCESS

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


# --------------------------------------------------------------------- history and voiding

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


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)


def _field_label(model: Any, name: str) -> str:
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


def _version_rows(model: Any, versions: list[Any]) -> list[dict[str, Any]]:
    """Each version with what changed (before → after); the first shows every field. Staff
    are named, not numbered."""
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

    moments = {
        f.attname for f in model._meta.concrete_fields if f.get_internal_type() == "DateTimeField"
    }

    def shown(name: str, value: Any) -> str:
        if name in user_fields and value:
            return names.get(value, str(value))
        if name in moments and value:
            moment = timezone.localtime(dt.datetime.fromisoformat(value))
            return date_format(moment, "j M Y H:i")
        return _shown(value)

    rows: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for v in versions:
        listed = list(v.data) if previous is None else v.changed
        rows.append(
            {
                "v": v,
                "fields": [
                    {
                        "label": _field_label(model, name),
                        "before": None if previous is None else shown(name, previous.get(name)),
                        "after": shown(name, v.data.get(name)),
                    }
                    for name in listed
                    if name not in HISTORY_HIDDEN
                ],
                "untracked_before": previous is None and v.action != "created",
            }
        )
        previous = v.data
    return rows


@staff_required()
def record_history(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Every version of a record, newest first: who, when, what changed, and voids' reasons.
    A visit's page shows its note's versions and amendments too. Patient details: all staff;
    clinical records: clinicians."""
    from .history import versions_for
    from .models import Amendment

    if kind == "patient":
        record: Any = patient_for(request, pk)
        patient, model = record, Patient
        sections = [(KIND_NAMES["patient"], _version_rows(Patient, versions_for("patient", pk)))]
    else:
        if request.role != CLINICIAN:  # type: ignore[attr-defined]
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
def void_record(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Void a record entered in error, with a reason: it leaves counts and decisions, stays
    readable (marked) and in its history. An exam's plans are voided with it."""
    from .history import MIN_REASON

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
