"""The intake before the first visit, on the patient's phone: plain-words history, red-flag
questions written for patients, medicines, devices and pregnancy. Each change is saved at once
(htmx), so nothing typed is lost if the connection drops; on submit the core's red-flag screen
runs and a flag that needs action today tells the patient plainly what to do now."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from weizhong.clinic import actions
from weizhong.clinic.models import Intake
from weizhong.clinic.records import intake as questions
from weizhong.clinic.records import services
from weizhong.clinic.records.rules import ACTIVITY_MAX
from weizhong.clinic.web.figures import REGION_IDS
from weizhong.clinic.web.figures.intake_chart import intake_chart_html

TEXT_FIELDS = ("history", "medicines", "devices")
CHOICE_FIELDS = {"pregnant": ("yes", "no", "not_sure")}


def _intake(token: str) -> Intake:
    return get_object_or_404(Intake.objects.select_related("patient__clinic"), key=token)


def _answers(request: HttpRequest) -> dict[str, str | list[str]]:
    given: dict[str, str | list[str]] = {}
    if "pain_regions" in request.POST:  # the form always sends it (a hidden blank, then ticks)
        ticked = set(request.POST.getlist("pain_regions"))
        given["pain_regions"] = [r for r in REGION_IDS if r in ticked]
    for name in TEXT_FIELDS:
        if name in request.POST:
            given[name] = request.POST[name]
    for name, allowed in CHOICE_FIELDS.items():
        if request.POST.get(name) in allowed:
            given[name] = request.POST[name]
    for finding, _question in questions.RED_FLAG_QUESTIONS:
        if request.POST.get(finding) in ("yes", "no"):
            given[finding] = request.POST[finding]
    for instrument in questions.INSTRUMENTS:
        definition = services.instruments()[instrument]
        for n, rule in enumerate(definition.answers, start=1):
            name = f"{instrument}_{n}"
            if name in request.POST:  # a number the item takes, or blank (not answered)
                value = request.POST[name].strip()
                ok = value.isdigit() and rule.min <= int(value) <= rule.max
                given[name] = value if ok else ""
            if instrument == "psfs" and f"psfs_activity_{n}" in request.POST:
                given[f"psfs_activity_{n}"] = request.POST[f"psfs_activity_{n}"][:ACTIVITY_MAX]
    return given


def _questionnaires(intake: Intake, problems: dict[str, str]) -> list[dict[str, Any]]:
    """The intake's questionnaires for the template, in the knowledge's patient wording, with
    the answers saved so far."""
    out = []
    for instrument in questions.INSTRUMENTS:
        definition = services.instruments()[instrument]
        wording = definition.patient
        if wording is None:  # a clinic's own data file without patient wording: not asked
            continue
        items = []
        for n, rule in enumerate(definition.answers, start=1):
            name = f"{instrument}_{n}"
            values = range(int(rule.min), int(rule.max) + 1)
            words = wording.choices_for(n)
            items.append(
                {
                    "n": n,
                    "name": name,
                    "question": wording.questions[n - 1] if wording.questions else "",
                    "choices": [(v, words[i] if words else str(v)) for i, v in enumerate(values)],
                    "answer": str(intake.answers.get(name, "")),
                    "activity": str(intake.answers.get(f"psfs_activity_{n}", "")),
                }
            )
        out.append(
            {
                "id": instrument,
                "wording": wording,
                "items": items,
                "problem": problems.get(instrument, ""),
            }
        )
    return out


@require_http_methods(["GET", "POST"])
def intake_form(request: HttpRequest, token: str) -> HttpResponse:
    intake = _intake(token)
    problems: dict[str, str] = {}
    if request.method == "POST" and intake.submitted_at is None:
        given = _answers(request)
        try:
            intake = actions.do_submit_intake(intake=intake, answers=given)
        except actions.IntakeIncomplete as incomplete:
            problems = incomplete.problems
            intake = actions.do_save_intake(intake=intake, answers=given)  # nothing typed is lost
    context = {
        "patient": intake.patient,
        "intake": intake,
        "token": token,
        "questions": [
            (finding, text, intake.answers.get(finding, ""))
            for finding, text in questions.RED_FLAG_QUESTIONS
        ],
        "body_chart": mark_safe(intake_chart_html(_regions(intake))),
        "questionnaires": _questionnaires(intake, problems),
        "problems": problems,
        "today": [f for f in intake.red_flags if f["urgency"] in questions.ACT_TODAY],
        "soon": [f for f in intake.red_flags if f["urgency"] not in questions.ACT_TODAY],
    }
    return render(request, "clinic/intake.html", context, status=422 if problems else 200)


def _regions(intake: Intake) -> list[str]:
    chosen = intake.answers.get("pain_regions")
    return [str(r) for r in chosen] if isinstance(chosen, list) else []


@require_POST
def intake_save(request: HttpRequest, token: str) -> HttpResponse:
    intake = _intake(token)
    try:
        actions.do_save_intake(intake=intake, answers=_answers(request))
    except actions.IntakeSubmitted:
        return HttpResponse(status=409)
    return HttpResponse(status=204)
