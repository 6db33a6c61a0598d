"""Plans: the editor (edits, overrides with reasons, settings), the saved plan, the handout and the
point atlas search."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weizhong.clinic import actions
from weizhong.clinic.accounts.access import (
    CLINICIAN,
    clinic_of,
    record_for,
    staff_required,
)
from weizhong.clinic.accounts.http import ClinicRequest
from weizhong.clinic.models import Exam, Plan
from weizhong.clinic.records import services
from weizhong.clinic.web import figures
from weizhong.clinic.web.forms import (
    PlanSettingsForm,
    override_rules,
)
from weizhong.handouts.handout import handout_html, handout_pdf
from weizhong.planning.home_programme import load_exercises
from weizhong.planning.plan import PlanEdits, PlanSettingError
from weizhong.planning.safety import OverrideError, load_safety_rules, parse_overrides


def _edits_from(data: Any) -> PlanEdits:
    """The clinician's edits so far (hidden fields) plus the button just pressed: pick adds
    (or restores a removed proposal), drop removes (or takes back an addition)."""
    add_p, rem_p = list(data.getlist("add_points")), list(data.getlist("remove_points"))
    add_e, rem_e = list(data.getlist("add_exercises")), list(data.getlist("remove_exercises"))
    typed = data.get("add_points_text", "")
    for text in [data.get("pick_point", ""), *typed.replace("\n", ",").split(",")]:
        code, colon, rest = text.strip().partition(":")
        text = (
            code.strip().upper() + colon + rest.strip().lower()
        )  # BL40:both, ASHI:piriformis_left
        if not text:
            continue
        if text in rem_p:
            rem_p.remove(text)
        else:
            add_p.append(text)
    if drop := data.get("drop_point", "").strip():
        if any(_names(a, drop) for a in add_p):  # taking back an addition
            add_p = [a for a in add_p if not _names(a, drop)]
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


def _names(added: str, drop: str) -> bool:
    """The Remove button `drop` names the added point `added` (BL40 names BL40:left; a trigger
    point's button carries its whole key, ASHI:piriformis_left)."""
    return added == drop or (not added.startswith("ASHI") and added.partition(":")[0] == drop)


def _overrides_from(data: Any) -> tuple[dict[str, str], list[str]]:
    """Each ticked override on its own: one with its reason applies even when another is
    still missing its reason; the problems are said in words, naming the rule's title."""
    rules = load_safety_rules()
    overrides: dict[str, str] = {}
    errors: list[str] = []
    for rule in dict.fromkeys(data.getlist("override")):
        reason = data.get(f"override_reason_{rule}", "")
        try:
            overrides |= parse_overrides({rule: reason})
        except OverrideError:
            known = rules.get(rule)
            title = (known.title if known else "") or rule.replace("_", " ")
            if known is None or not known.overridable:
                errors.append(_("The rule “%(title)s” cannot be overridden.") % {"title": title})
            else:
                errors.append(
                    _(
                        "To override “%(title)s”, write the reason in its box (at least a short "
                        "sentence): why, and what the patient agreed to."
                    )
                    % {"title": title}
                )
    return overrides, errors


@staff_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def plan_editor(request: ClinicRequest, pk: int) -> HttpResponse:
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
        overrides, override_errors = _overrides_from(request.POST)
        errors += override_errors
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
            if request.htmx:
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
        "ticked": set(request.POST.getlist("override")) if request.method == "POST" else overrides,
        "reasons": {
            **overrides,
            **{
                k[len("override_reason_") :]: v
                for k, v in request.POST.items()
                if k.startswith("override_reason_") and v
            },
        },
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
    template = "clinic/_plan_editor.html" if request.htmx else "clinic/plan_editor.html"
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
def atlas_search(request: ClinicRequest) -> HttpResponse:
    return render(
        request,
        "clinic/_atlas_results.html",
        {"found": _atlas_search(request.GET.get("q", "")), "query": request.GET.get("q", "")},
    )


@staff_required(CLINICIAN)
def plan_detail(request: ClinicRequest, pk: int) -> HttpResponse:
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
def plan_handout(request: ClinicRequest, pk: int) -> HttpResponse:
    plan = record_for(request, Plan, pk)
    response = HttpResponse(_handout_bytes(plan, clinic_of(request).name),
                            content_type="application/pdf")  # fmt: skip
    name = f"home-programme-{plan.patient.family_name.lower()}-v{plan.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{_ascii(name)}"'
    return response


def _handout_bytes(plan: Plan, clinic_name: str) -> bytes:
    """The handout PDF with the patient's name and today's date as the clinic's pages write it;
    kept per plan version, day, name and clinic (a warm handout is not typeset again)."""
    import hashlib

    from django.core.cache import cache
    from django.utils import timezone
    from django.utils.formats import date_format

    date_text = date_format(timezone.localdate(), "j F Y")
    patient_name = plan.patient.full_name
    key = (
        "handout:"
        + hashlib.sha256(
            f"{plan.pk}|{plan.version}|{date_text}|{patient_name}|{clinic_name}".encode()
        ).hexdigest()
    )
    pdf: bytes | None = cache.get(key)
    if pdf is None:
        html = handout_html(
            plan.plan, {"exercises": plan.plan.get("exercises", [])}, clinic_name,
            patient_name=patient_name, date_text=date_text,
        )  # fmt: skip
        pdf = handout_pdf(html)
        cache.set(key, pdf, 60 * 60 * 24)
    return pdf


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in name)
