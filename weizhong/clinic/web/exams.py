"""Examinations: the exam form (with the body chart), its live preview, the saved exam and its
case."""

from __future__ import annotations

import uuid
from functools import cache

import orjson
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
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
from weizhong.clinic.models import Exam
from weizhong.clinic.records import services
from weizhong.clinic.web import figures
from weizhong.clinic.web.forms import (
    ExamForm,
    submit_token_of,
)


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def exam_new(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    sections = None
    if request.method == "POST":
        form = ExamForm(request.POST)
        token = submit_token_of(request.POST.get("submit_token"))
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
    }
    return render(request, "clinic/exam_form.html", context, status=status)


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
    return render(
        request,
        "clinic/_assessment_panel.html",
        {"result": result, "problems": problem_list, "live": True, "patient": patient},
    )


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
        },
    )


@staff_required(CLINICIAN)
def exam_case_json(request: ClinicRequest, pk: int) -> HttpResponse:
    exam = record_for(request, Exam, pk)
    response = HttpResponse(
        orjson.dumps(exam.case, option=orjson.OPT_INDENT_2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="case-{exam.pk}.json"'
    return response
