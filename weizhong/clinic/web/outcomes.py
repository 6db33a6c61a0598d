"""Outcome measures: the patient's scores and charts, and a new score."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import (
    CLINICIAN,
    patient_for,
    staff_required,
)
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.records import services
from weizhong.clinic.records.rules import Refused
from weizhong.clinic.web import figures
from weizhong.clinic.web.forms import (
    activities_of,
    answers_of,
    outcome_form,
    taken_at,
)
from weizhong.reasoning.instruments import InstrumentError, improvement_threshold


@staff_required(CLINICIAN)
def outcomes(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    charts = []
    rows = list(patient.outcomes.filter(score__isnull=False).order_by("taken"))
    for instrument, definition in services.instruments().items():
        series = [
            (o.taken.strftime("%d %b"), float(o.score))
            for o in rows
            if o.instrument == instrument and o.score is not None
        ]
        if not series:
            continue
        # The band the change rule uses from the first score (issue 13: drawn at 10 while
        # the rule used 9, ODI's 30% of a first score of 30).
        threshold = improvement_threshold(instrument, series[0][1])
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
                        mcid=threshold[0] if threshold else None,
                        mcid_words=threshold[1] if threshold else "",
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
    # The portal's pain score is an NPRS: its band from the same knowledge as the rule.
    nprs = improvement_threshold("nprs", float(pain[0].pain)) if pain else None
    pain_chart = (
        mark_safe(
            figures.outcome_chart_svg(
                _("Pain logged on the portal"),
                [(p.day.strftime("%d %b"), float(p.pain)) for p in pain],
                score_min=0,
                score_max=10,
                higher_is_better=False,
                mcid=nprs[0] if nprs else None,
                mcid_words=nprs[1] if nprs else "",
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
def outcome_new(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_for(request, pk)
    instrument = request.GET.get("instrument") or request.POST.get("instrument") or "nprs"
    if instrument not in services.instruments():
        raise Http404
    form = outcome_form(
        instrument, request.POST or None, dated=True, activities=services.psfs_activities(patient)
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_score_outcome(
                patient=patient, instrument=instrument, answers=answers_of(form),
                entered_by=request.user, taken=taken_at(form.cleaned_data["taken"]),
                activities=activities_of(form),
            )  # fmt: skip
        except InstrumentError as error:
            form.add_error(None, str(error))
        except Refused as refused:
            form.add_error(None, refused.message)
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
