"""Examinations: the exam form (with the body chart), its live preview, the saved exam and its
case."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cache
from typing import Any

import orjson
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import (
    CLINICIAN,
    patient_for,
    record_for,
    staff_required,
)
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.models import Exam, Patient
from weizhong.clinic.records import compare, from_intake, services
from weizhong.clinic.records import intake as intake_questions
from weizhong.clinic.web import figures
from weizhong.clinic.web.forms import (
    ExamForm,
    submit_token_of,
)
from weizhong.reasoning.words import finding_label


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def exam_new(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    sections = None
    data = request.POST if request.method == "POST" else request.GET
    previous = _previous_exam(patient, data)
    reported = None if previous else from_intake.for_new_exam(patient, _number(data.get("intake")))
    confirmed = set(request.POST.getlist("confirm")) if request.method == "POST" else set()
    if request.method == "POST":
        form = ExamForm(request.POST)
        token = submit_token_of(request.POST.get("submit_token"))
        if form.is_valid():
            findings = form.findings()
            raw = services.build_case(patient, findings)
            case, problems = services.check_case(raw)
            if case is not None:
                try:
                    exam = actions.do_save_exam(
                        patient=patient, clinician=request.user, case=case, raw=raw,
                        submit_token=token,
                        reported=None if reported is None else from_intake.saved_record(
                            reported, findings, confirmed),
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
        if previous is not None:
            initial = ExamForm.initial_from(
                services.reexam_findings(patient, previous, timezone.localdate())
            )
        elif reported is not None:
            initial = ExamForm.initial_from(reported.findings)
        form = ExamForm(initial=initial)
        token = uuid.uuid4()
        status = 200
        if not initial:  # a blank form is the same for everyone: render its 68 fields once
            sections = _blank_exam_sections(get_language() or "")
    regions = (
        request.POST.getlist("pain_regions") if form.is_bound else form.initial.get("pain_regions")
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
        **_reported_context(
            patient, reported, confirmed, _findings_now(form) if form.is_bound else None
        ),
        **_previous_context(patient, previous, form),
    }
    return render(request, "clinic/exam_form.html", context, status=status)


def _findings_now(form: ExamForm) -> dict[str, Any] | None:
    return form.findings() if form.is_valid() else None


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _previous_exam(patient: Patient, data: Any) -> Exam | None:
    """The exam a re-examination is put beside: ``from`` (the chart's "Re-examine"), ``previous``
    (the form's own field), or the newest exam when opened from a re-evaluation appointment."""
    chosen = _number(data.get("from")) or _number(data.get("previous"))
    if chosen is not None:
        return get_object_or_404(patient.exams, pk=chosen)
    appointment = _number(data.get("appointment"))
    if (
        appointment is not None
        and patient.appointments.filter(pk=appointment, kind="reevaluation").exists()
    ):
        return patient.exams.order_by("-created").first()
    return None


def _reported_context(
    patient: Patient,
    reported: from_intake.Reported | None,
    confirmed: set[str],
    current: dict[str, Any] | None,
) -> dict[str, Any]:
    """The patient's report beside the form; ``current``: the form's findings now (None when
    the form cannot be read: each finding keeps its last status)."""
    if reported is None:
        return {"reported": None}
    labels = {fid: finding_label(fid, services.knowledge()) for fid in reported.findings}
    asked = dict(intake_questions.RED_FLAG_QUESTIONS)
    now = reported.findings if current is None else current
    return {
        "reported": reported,
        "reported_day": formats.date_format(reported.day, "j F Y"),
        "reported_notes": {
            fid: {
                "value": compare.value_text(value),
                "confirmed": fid in confirmed,
                "status": from_intake.status_of(value, now.get(fid), fid in confirmed),
            }
            for fid, value in reported.findings.items()
        },
        "reported_flags": [(labels[f], asked.get(f, "")) for f in reported.flags],
        "reported_differences": from_intake.safety_differences(patient, reported),
    }


def _previous_context(patient: Patient, previous: Exam | None, form: ExamForm) -> dict[str, Any]:
    if previous is None:
        return {"previous": None}
    if form.is_bound:
        current = _findings_now(form)
    else:
        current = services.reexam_findings(patient, previous, timezone.localdate())
    return {
        "previous": previous,
        "previous_day": formats.date_format(timezone.localtime(previous.created).date(), "j F Y"),
        "previous_notes": compare.previous_notes(previous.case.get("findings", {}), current),
        "reevaluation": services.reevaluation(patient),
    }


@cache
def _blank_exam_sections(language: str) -> str:
    return mark_safe(render_to_string("clinic/_exam_sections.html", {"form": ExamForm()}))


@staff_required(CLINICIAN)
@require_POST
def exam_preview(request: ClinicRequest, pk: int) -> HttpResponse:
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
        problems = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
    labels = {fid: str(f.label) for fid, f in form.fields.items()}
    problem_list = [
        {"field": name, "label": labels.get(name, name), "messages": texts}
        for name, texts in problems.items()
    ]
    context: dict[str, Any] = {
        "result": result, "problems": problem_list, "live": True, "patient": patient}  # fmt: skip
    if form.is_valid():  # the notes beside each field follow the form (htmx out-of-band swaps)
        previous = _previous_exam(patient, request.POST)
        reported = None if previous else from_intake.for_new_exam(
            patient, _number(request.POST.get("intake")))  # fmt: skip
        confirmed = set(request.POST.getlist("confirm"))
        context |= _reported_context(patient, reported, confirmed, form.findings())
        context |= _previous_context(patient, previous, form)
        if previous is not None and result is not None:
            context["comparison"] = compare.assessment_change(
                previous.assessment, result, timezone.localtime(previous.created).date()
            )
    return render(request, "clinic/_assessment_panel.html", context)


@staff_required(CLINICIAN)
def exam_detail(request: ClinicRequest, pk: int) -> HttpResponse:
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
            **_reported_lines(exam),
        },
    )


def _reported_lines(exam: Exam) -> dict[str, Any]:
    """Which findings of a saved exam came from the patient's intake, and what became of each."""
    record = exam.reported or {}
    if not record.get("findings"):
        return {}
    k = services.knowledge()
    lines = [
        {
            "label": finding_label(fid, k),
            "reported": compare.value_text(item.get("reported")),
            "status": item.get("status"),
            "recorded": compare.value_text(item["recorded"])
            if item.get("recorded") is not None
            else _("not examined"),
        }
        for fid, item in record["findings"].items()
    ]
    day = formats.date_format(dt.date.fromisoformat(record["day"]), "j F Y")
    return {"reported_lines": lines, "reported_day": day, "reported_words": record.get("words")}


@staff_required(CLINICIAN)
def exam_case_json(request: ClinicRequest, pk: int) -> HttpResponse:
    exam = record_for(request, Exam, pk)
    response = HttpResponse(
        orjson.dumps(exam.case, option=orjson.OPT_INDENT_2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="case-{exam.pk}.json"'
    return response
