"""The clinic's use of the core: assess a saved case, propose plans, draft the SOAP notes of
visits, decide when re-evaluation is due, adherence, billing facts. Reads and
computations only: every write is an action (``weizhong.clinic.actions``).
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from functools import cache, reduce
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from weizhong.case import Case, CaseError, validate_case
from weizhong.clinic.models import Exam, Patient, Plan, Visit
from weizhong.clinic.records.attendance import Attendance, attendance_for, attendance_since
from weizhong.clinic.records.fees import fee_schedule
from weizhong.clinic.records.regions import REGION_NAMES
from weizhong.clinic.records.scheduling import clinic_zone
from weizhong.clinic.records.trigger_points import trigger_point_text
from weizhong.knowledge.atlas import Atlas, load_atlas
from weizhong.knowledge.loader import load_knowledge
from weizhong.knowledge.records import FindingDef, Knowledge
from weizhong.planning.plan import PlanEdits, make_plan
from weizhong.reasoning.instruments import (
    InstrumentDefinition,
    important_change,
    instrument_definition,
    instrument_ids,
)
from weizhong.reasoning.words import finding_label

User = AbstractBaseUser | AnonymousUser

if TYPE_CHECKING:
    from weizhong.billing import Bill

# Instruments whose change decides whether care is working, in order of preference.
CHANGE_INSTRUMENTS = ("odi", "rmdq", "nprs", "psfs", "lefs")


@cache
def knowledge() -> Knowledge:
    return load_knowledge()


@cache
def atlas() -> Atlas:
    return load_atlas()


@cache
def instruments() -> dict[str, InstrumentDefinition]:
    return {i: instrument_definition(i) for i in instrument_ids()}


def build_case(patient: Patient, findings: dict[str, Any]) -> dict[str, Any]:
    return {"format": "weizhong.case/1", "patient": patient.patient_block(), "findings": findings}


def check_case(raw: dict[str, Any]) -> tuple[Case | None, dict[str, list[str]]]:
    """The validated case, or the problems by field (``findings.x`` reported as ``x``)."""
    try:
        return validate_case(raw, knowledge()), {}
    except CaseError as error:
        problems: dict[str, list[str]] = {}
        for problem in error.problems:
            name = problem.field.removeprefix("findings.").split("[")[0]
            problems.setdefault(name, []).append(problem.message)
        return None, problems


def exam_case(exam: Exam) -> Case:
    return validate_case(exam.case, knowledge())


def propose_plan(
    exam: Exam,
    *,
    edits: PlanEdits | None = None,
    overrides: dict[str, str] | None = None,
    guideline: str = "ACP2017",
) -> dict[str, Any]:
    case = exam_case(exam)
    return make_plan(
        case, exam.assessment, edits=edits, overrides=overrides or {}, guideline=guideline
    )


def edits_of(plan: Plan) -> PlanEdits:
    e = plan.edits
    return PlanEdits(
        add_points=tuple(e.get("add_points", ())),
        remove_points=tuple(e.get("remove_points", ())),
        add_exercises=tuple(e.get("add_exercises", ())),
        remove_exercises=tuple(e.get("remove_exercises", ())),
    )


def psfs_activities(patient: Patient) -> list[str]:
    """The patient's PSFS activities of the last time, to rate again."""
    last = patient.outcomes.filter(instrument="psfs").order_by("-taken").first()
    return list(last.activities) if last is not None else []


def active_plan(patient: Patient) -> Plan | None:
    return patient.plans.select_related("exam").order_by("-version").first()


def carried_points(patient: Patient, plan: Plan | None) -> list[str]:
    """Points for a new visit: the last visit's on this plan, else the plan's."""
    if plan is not None:
        last = patient.visits.filter(plan=plan).order_by("-date", "-created").first()
        if last is not None:
            return list(last.points)
        return plan.point_keys
    last = patient.visits.order_by("-date", "-created").first()
    return list(last.points) if last else []


def carried_trigger_points(patient: Patient, plan: Plan | None) -> list[dict[str, Any]]:
    """Trigger points for a new visit: the last visit's on this plan, else the plan's."""
    visits = patient.visits.filter(plan=plan) if plan is not None else patient.visits
    last = visits.order_by("-date", "-created").first()
    if last is not None:
        return [dict(p) for p in last.trigger_points]
    return plan.trigger_points if plan is not None else []


# ------------------------------------------------------------------------ visits and notes


def _names(ids: list[str], labels: dict[str, str]) -> str:
    return ", ".join(labels.get(i, i.replace("_", " ")) for i in ids)


def region_names() -> dict[str, str]:
    return dict(REGION_NAMES)


def side_label(definition: FindingDef) -> str:
    """The finding's label with its side, so left and right never read the same (the exam
    form's labels and the note's lines)."""
    if definition.side == "left":
        return f"{definition.label} ({_('left')})"
    if definition.side == "right":
        return f"{definition.label} ({_('right')})"
    return definition.label


# What the patient tells (the history and the questionnaires): Subjective in a note; the rest of
# the findings are what the clinician examined (Objective).
TOLD = frozenset({"history", "questionnaires"})


def exam_lines(case: dict[str, Any], only: str = "all") -> list[str]:
    """Findings as short 'label: value' lines, in the knowledge's order: ``only="told"`` the
    history and questionnaires, ``only="examined"`` the examination (and the red-flag screen's
    summary), else all."""
    findings = case.get("findings", {})
    lines = []
    for fid, definition in knowledge().findings.items():
        if fid not in findings or definition.section in ("red_flags",) or fid == "pain_regions":
            continue
        if (only == "told" and definition.section not in TOLD) or (
            only == "examined" and definition.section in TOLD
        ):
            continue
        value = findings[fid]
        if isinstance(value, bool):
            shown = _("yes") if value else _("no")
        elif isinstance(value, list):
            if not value:
                continue
            shown = ", ".join(str(v).replace("_", " ") for v in value)
        else:
            shown = str(value).replace("_", " ")
        label = side_label(definition).split(", for example")[0]  # "Weak myotomes, for example …"
        lines.append(f"{label}: {shown}")
    screen = [f for f, d in knowledge().findings.items() if d.section == "red_flags"]
    asked = [f for f in screen if f in findings]
    positive = [f for f in asked if findings[f] is True]
    if asked and not positive and only != "told":
        lines.append(
            _("Red-flag screen: %(n)s of %(total)s questions asked, all negative")
            % {"n": len(asked), "total": len(screen)}
        )
    return lines


def draft_soap(visit: Visit) -> dict[str, str]:
    """A first draft of the SOAP note from the latest exam, the plan and this visit."""
    patient = visit.patient
    exam = patient.exams.order_by("-created").first()
    plan = visit.plan
    subjective: list[str] = []
    objective: list[str] = []
    assessment: list[str] = []
    plan_lines: list[str] = []
    if exam is not None:
        findings = exam.case.get("findings", {})
        if regions := findings.get("pain_regions"):
            subjective.append(
                _("Pain: %(regions)s.") % {"regions": _names(regions, region_names())}
            )
        if "onset_days" in findings:
            subjective.append(
                _("Onset %(days)s days before the exam.") % {"days": findings["onset_days"]}
            )
        told = {k: v for k, v in findings.items() if k != "onset_days"}  # said above
        subjective.extend(exam_lines({"findings": told}, only="told"))
        objective.extend(exam_lines(exam.case, only="examined"))
        result = exam.assessment
        for flag in result.get("red_flags", []):
            assessment.append(
                _("RED FLAG %(name)s (%(urgency)s): %(action)s")
                % {"name": flag.get("name") or flag["id"].replace("_", " "),
                   "urgency": flag["urgency"], "action": flag.get("action", "")}
            )  # fmt: skip
        for rank, item in enumerate(result.get("differential", [])[:3]):
            assessment.append(f"{item['name']}: {likelihood(item['probability'], rank)}")
    latest_pain = patient.outcomes.filter(instrument="nprs").order_by("-taken").first()
    if latest_pain is not None:
        subjective.append(
            _("Pain %(score)s/10 (NPRS, %(day)s).")
            % {"score": _number(latest_pain.score), "day": latest_pain.taken.date().isoformat()}
        )
    earlier = patient.visits.filter(date__lte=visit.date).exclude(pk=visit.pk)
    if visit.response != "not_assessed" and earlier.exists():
        subjective.append(
            _("Since the last visit: %(response)s.") % {"response": visit.get_response_display()}
        )
    if visit.response_notes:
        subjective.append(visit.response_notes)
    if visit.points:
        plan_lines.append(_("Needled: %(points)s.") % {"points": ", ".join(visit.points)})
    if visit.trigger_points:
        plan_lines.append(
            _("Trigger points: %(points)s.")
            % {"points": "; ".join(trigger_point_text(p) for p in visit.trigger_points)}
        )
    if visit.electro:
        plan_lines.append(
            _("Electro-acupuncture: %(settings)s.") % {"settings": visit.electro_settings or "-"}
        )
    if visit.needle_minutes:
        plan_lines.append(_("Retention %(min)s min.") % {"min": visit.needle_minutes})
    if visit.regions_adjusted:
        plan_lines.append(
            _("Regions adjusted: %(regions)s.")
            % {"regions": ", ".join(r.replace("_", " ") for r in visit.regions_adjusted)}
        )
    if visit.office_care:
        plan_lines.append(visit.office_care)
    if plan is not None:
        exercises = ", ".join(e["name"] for e in plan.plan.get("exercises", []))
        if exercises:
            plan_lines.append(_("Home programme: %(list)s.") % {"list": exercises})
        done = plan.visits.count() + (0 if visit.pk and plan.visits.filter(pk=visit.pk) else 1)
        plan_lines.append(visit_count_line(done, plan.planned_visits, plan.version,
                                           plan.reevaluation_date))  # fmt: skip
    return {
        "subjective": "\n".join(subjective),
        "objective": "\n".join(objective),
        "assessment": "\n".join(assessment),
        "plan": "\n".join(plan_lines),
    }


def visit_count_line(done: int, planned: int, version: int, due: dt.date) -> str:
    """Where this visit sits in the plan, for the legal note: past the planned visits it says so
    (never "visit 7 of 6"), and the re-evaluation date is written in words."""
    day = date_format(due, "j F Y")
    if done <= planned:
        return _("Visit %(n)s of %(total)s on plan v%(version)s; re-evaluate by %(day)s.") % {
            "n": done, "total": planned, "version": version, "day": day}  # fmt: skip
    return _(
        "Visit %(n)s on plan v%(version)s, beyond the %(total)s planned; re-evaluation was due "
        "by %(day)s."
    ) % {"n": done, "total": planned, "version": version, "day": day}


def likelihood(probability: float, rank: int) -> str:
    """A differential's probability in words for the legal note (never "95%": the figure is the
    model's, the words are what the clinician signs)."""
    if rank == 0 and probability >= 0.5:
        return str(_("most likely"))
    if probability >= 0.3:
        return str(_("likely"))
    if probability >= 0.1:
        return str(_("possible"))
    return str(_("less likely"))


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class NoteLocked(Exception):
    """A signed note changes only by amendment."""


class StaleCopy(Exception):
    """The record changed since this copy was read; ``current`` is what is stored now."""

    def __init__(self, current: Any) -> None:
        self.current = current
        super().__init__("stale copy")


NOTE_FIELDS = ("subjective", "objective", "assessment", "plan")


# ------------------------------------------------------------------------------ outcomes


@dataclass(frozen=True)
class Reevaluation:
    due: bool
    reason: str
    visits_on_plan: int
    planned_visits: int
    change: dict[str, Any] | None
    attendance: Attendance | None = None


def reevaluation(patient: Patient) -> Reevaluation | None:
    """After the planned visits on the active plan without an important improvement in any
    outcome measured before and since the plan, re-evaluation is due. Cancelled and missed
    appointments since the plan are said in the reason: when re-evaluation is due, to consider
    adherence before changing the plan."""
    plan = active_plan(patient)
    if plan is None:
        return None
    visits = plan.visits.count()
    change = outcome_change(patient, since=plan.created)
    improved = change is not None and bool(change["important_improvement"])
    kept = attendance_since(patient.pk, plan.created)
    missed = kept.words()
    if visits < plan.planned_visits:
        reason = _("%(n)s of %(total)s planned visits done") % {
            "n": visits, "total": plan.planned_visits}  # fmt: skip
        if missed:
            reason = f"{reason}; {missed}"
        return Reevaluation(False, reason, visits, plan.planned_visits, change, kept)
    if improved:
        reason = _(
            "important improvement on %(name)s: re-evaluate at the clinician's discretion"
        ) % {"name": change["instrument"].upper() if change else ""}
        if missed:
            reason = f"{reason}; {missed}"
        return Reevaluation(False, reason, visits, plan.planned_visits, change, kept)
    if change is None:
        reason = _(
            "%(n)s visits on plan v%(version)s and no outcome measured before and since: "
            "re-examine and score an outcome"
        ) % {"n": visits, "version": plan.version}
    else:
        reason = _(
            "%(n)s visits on plan v%(version)s without an important change on %(name)s "
            "(%(before)s → %(after)s; %(threshold)s): re-examine and reconsider the plan"
        ) % {"n": visits, "version": plan.version, "name": change["instrument"].upper(),
             "before": _number(change["before"]), "after": _number(change["after"]),
             "threshold": change["threshold_used"]}  # fmt: skip
    if missed:
        reason = _("%(reason)s. %(missed)s: consider adherence before changing the plan") % {
            "reason": reason, "missed": missed[:1].upper() + missed[1:]}  # fmt: skip
    return Reevaluation(True, reason, visits, plan.planned_visits, change, kept)


def reexam_findings(patient: Patient, previous: Exam, today: dt.date) -> dict[str, Any]:
    """What a new exam starts from when it follows ``previous``: its findings, except the
    red-flag screen, which is asked again at every examination (HZ-21: a 'no' from last month
    is not today's answer). When re-evaluation is due, the weeks of care without improvement are
    filled in, so the assessment re-screens (no improvement after 4 weeks is itself a flag)."""
    definitions = knowledge().findings
    findings = {
        fid: value
        for fid, value in previous.case.get("findings", {}).items()
        if fid in definitions and definitions[fid].section != "red_flags"
    }
    findings.pop("weeks_of_care_without_improvement", None)
    due = reevaluation(patient)
    plan = active_plan(patient)
    if due is not None and due.due and plan is not None:
        findings["weeks_of_care_without_improvement"] = max(
            0, (today - plan.created.date()).days // 7
        )
    return findings


def outcome_change(patient: Patient, since: dt.datetime) -> dict[str, Any] | None:
    """The change on the first instrument with a baseline (the last score up to ``since``, or
    the first after it) and a later score; None when no instrument has both."""
    rows = patient.outcomes.filter(instrument__in=CHANGE_INSTRUMENTS, score__isnull=False)
    by_instrument: dict[str, list[tuple[dt.datetime, float]]] = {}
    for instrument, taken, score in rows.order_by("taken").values_list(
        "instrument", "taken", "score"
    ):
        if score is not None:  # the query leaves them out; the type does not know
            by_instrument.setdefault(instrument, []).append((taken, score))
    for instrument in CHANGE_INSTRUMENTS:
        scores = by_instrument.get(instrument, [])
        if len(scores) < 2:
            continue
        before = [s for t, s in scores if t <= since]
        after = [(t, s) for t, s in scores if t > since]
        baseline = before[-1] if before else after.pop(0)[1]
        if not after:
            continue
        return important_change(instrument, baseline, after[-1][1])
    return None


# ------------------------------------------------------------------------------ adherence


def adherence(patients: list[Patient], days: int = 7) -> dict[int, dict[str, Any]]:
    """Home-programme sessions ticked in the last ``days`` days against those planned, and the
    visits booked since the active plan, kept and missed (``visits``: records/attendance.py),
    for several patients in four queries."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    ids = [p.pk for p in patients]
    ticks = dict(
        Patient.objects.filter(pk__in=ids)
        .annotate(n=Count("home_logs", filter=Q(home_logs__day__gte=start)))
        .values_list("pk", "n")
    )
    planned: dict[int, int] = {}
    newest = (
        Plan.objects.filter(patient_id__in=ids)
        .values("patient_id")
        .annotate(version=Max("version"))
        .values_list("patient_id", "version")
    )
    wanted = [Q(patient_id=pid, version=version) for pid, version in newest]
    since: dict[int, dt.datetime] = {}
    if wanted:  # only each patient's active plan is read (a plan is 15 KB of JSON)
        for plan in Plan.objects.filter(reduce(operator.or_, wanted)):
            planned[plan.patient_id] = sessions_planned(plan, start, today)
            since[plan.patient_id] = plan.created
    visits = attendance_for(since)
    out = {}
    for pid in ids:
        want = planned.get(pid, 0)
        done = ticks.get(pid, 0)
        out[pid] = {
            "done": done,
            "planned": want,
            "percent": None if want == 0 else min(100, round(100 * done / want)),
            # the visits booked since the active plan, kept and missed (cancelled, no-show)
            "visits": visits.get(pid),
        }
    return out


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def sessions_a_day(exercise: dict[str, Any]) -> int:
    """How many times a day an exercise is done (each session is ticked on its own)."""
    try:
        return max(1, min(int((exercise.get("dose") or {}).get("per_day") or 1), 6))
    except (TypeError, ValueError):
        return 1


def sessions_planned(plan: Plan, start: dt.date, end: dt.date) -> int:
    """Exercise sessions the plan schedules from ``start`` to ``end`` (both included), from the
    day after the plan was saved."""
    first = max(start, plan.created.date() + dt.timedelta(days=1))
    total = 0
    day = first
    while day <= end:
        name = WEEKDAYS[day.weekday()]
        total += sum(
            sessions_a_day(e)
            for e in plan.plan.get("exercises", [])
            if name in e.get("schedule", ())
        )
        day += dt.timedelta(days=1)
    return total


@cache
def exercise_figure(exercise_id: str) -> str:
    """The exercise's figure as inline SVG, drawn once per process ("" if the id is unknown)."""
    from weizhong.handouts.handout import card_figure

    try:
        return card_figure(exercise_id)
    except KeyError:
        return ""


def exercises_today(plan: Plan | None, day: dt.date) -> list[dict[str, Any]]:
    if plan is None:
        return []
    name = WEEKDAYS[day.weekday()]
    return [e for e in plan.plan.get("exercises", []) if name in e.get("schedule", ())]


def decorate(result: dict[str, Any]) -> dict[str, Any]:
    """The assessment with what the page shows: whole percentages, and the counted reasons
    split into those that raise and those that lower each condition."""
    out = dict(result)
    rows = []
    for item in result.get("differential", []):
        reasons = [r for r in item.get("because", []) if r.get("counted")]
        rows.append(
            {
                **item,
                "percent": round(item["probability"] * 100),
                "raises": [r for r in reasons if r.get("effect") == "raises"],
                "lowers": [r for r in reasons if r.get("effect") == "lowers"],
                # Shown too, as the README says: a finding that measures the same as one that
                # counts (SLR, slump, AKE) is listed as not counted again.
                "not_counted": [r for r in item.get("because", []) if not r.get("counted")],
            }
        )
    out["differential"] = rows

    def label(finding: str) -> str:
        return finding_label(finding, knowledge())

    out["red_flags"] = [
        {**flag, "because_labels": [label(b["finding"]) for b in flag.get("because", [])]}
        for flag in result.get("red_flags", [])
    ]
    tests = result.get("next_tests", [])
    # Red-flag questions are never cut (HZ-04); the exam tests after them are the best six.
    out["screen_questions"] = [t for t in tests if t.get("kind") == "red_flag_screen"]
    out["exam_tests"] = [t for t in tests if t.get("kind") != "red_flag_screen"][:6]
    screen = dict(result.get("red_flag_screen") or {})
    screen["not_asked_labels"] = [
        {"finding": f, "label": label(f)} for f in screen.get("not_asked", [])
    ]
    out["red_flag_screen"] = screen
    return out


# ----------------------------------------------------------------------------- interchange


def patient_record(patient: Patient) -> dict[str, Any]:
    """The patient's whole record in the plain shape ``weizhong.fhir.export_bundle`` maps."""

    def who(user: Any) -> str:
        return str(user.get_full_name() or user.username)

    return {
        "clinic": {"id": str(patient.clinic_id), "name": patient.clinic.name},
        "patient": {
            "id": str(patient.pk), "given_name": patient.given_name,
            "family_name": patient.family_name, "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex, "phone": patient.phone, "email": patient.email,
            "pregnant": patient.pregnant, "medications": list(patient.medications),
            "devices": list(patient.devices), "conditions": list(patient.conditions),
        },
        "exams": [
            {"id": str(e.pk), "created": e.created.isoformat(), "clinician": who(e.clinician),
             "case": e.case, "assessment": e.assessment}
            for e in patient.exams.select_related("clinician").order_by("created")
        ],
        "plans": [
            {"id": str(p.pk), "version": p.version, "created": p.created.isoformat(),
             "exam_id": str(p.exam_id), "plan": p.plan, "visits_per_week": p.visits_per_week,
             "planned_visits": p.planned_visits}
            for p in patient.plans.order_by("version")
        ],
        "visits": [
            {"id": str(v.pk), "date": v.date.isoformat(), "clinician": who(v.clinician),
             "plan_id": str(v.plan_id) if v.plan_id else None, "points": list(v.points),
             "trigger_points": [dict(p) for p in v.trigger_points],
             "stimulated_increments": list(v.stimulated_increments),
             "reinserted_increments": list(v.reinserted_increments),
             "electro": v.electro, "electro_settings": v.electro_settings,
             "needle_minutes": v.needle_minutes, "contact_minutes": v.contact_minutes,
             "regions_adjusted": list(v.regions_adjusted), "office_care": v.office_care,
             "response": v.response, "diagnoses": list(v.diagnoses)}
            for v in patient.visits.select_related("clinician").order_by("date", "created")
        ],
        "outcomes": [
            {"id": str(o.pk), "instrument": o.instrument, "answers": o.answers,
             "score": o.score, "taken": o.taken.isoformat(), "source": o.source}
            for o in patient.outcomes.order_by("taken")
        ],
        "appointments": _appointments_record(patient),
    }  # fmt: skip


def _appointments_record(patient: Patient) -> list[dict[str, Any]]:
    """The patient's appointments, their times in the clinic's own zone with its offset."""
    zone = clinic_zone(patient.clinic)

    def at(instant: Any) -> str:
        return str(instant.astimezone(zone).isoformat(timespec="seconds"))

    return [
        {
            "id": str(a.pk), "start": at(a.start), "end": at(a.end), "minutes": a.minutes,
            "created": at(a.created), "status": a.status, "kind": a.kind,
            "clinician": {"id": str(a.clinician_id),
                          "name": str(a.clinician.get_full_name() or a.clinician.username)},
            "room": {"id": str(a.room_id), "name": a.room.name} if a.room else None,
        }
        for a in patient.appointments.select_related("clinician", "room").order_by("start", "pk")
    ]  # fmt: skip


# -------------------------------------------------------------------------------- billing


def _exam_side(exam: Exam | None) -> str | None:
    if exam is None:
        return None
    regions = exam.case.get("findings", {}).get("pain_regions") or []
    sides = {s for s in ("left", "right") if any(r.endswith(f"_{s}") for r in regions)}
    return "bilateral" if len(sides) == 2 else next(iter(sides), None)


def _onset_on(exam: Exam | None, day: dt.date) -> int | None:
    if exam is None or "onset_days" not in exam.case.get("findings", {}):
        return None
    return int(exam.case["findings"]["onset_days"]) + (day - exam.created.date()).days


def billing_patient(patient: Patient, day: dt.date) -> Any:
    from weizhong.billing import PatientFacts

    exam = patient.exams.filter(created__date__lte=day).order_by("-created").first()
    return PatientFacts(
        name=patient.full_name,
        birth_date=patient.birth_date,
        sex=patient.sex,
        address=patient.address,
        onset_days=_onset_on(exam, day),
        pregnant=patient.pregnant,
        lumbar_surgery_history="lumbar_surgery_history" in patient.conditions,
        leading_condition=exam.top_condition if exam else None,
        side=_exam_side(exam),
        red_flags=tuple(exam.red_flags) if exam else (),
    )


def suggested_diagnoses(patient: Patient) -> list[dict[str, Any]]:
    """ICD-10-CM suggestions for the patient's latest assessment (verified codes only)."""
    from weizhong.billing import BillingError, suggest_diagnoses

    exam = patient.exams.order_by("-created").first()
    if exam is None or not exam.top_condition:
        return []
    try:
        found = suggest_diagnoses(
            exam.top_condition, _exam_side(exam), _onset_on(exam, timezone.localdate())
        )
    except BillingError:
        return []
    return [s for s in found if s.get("verified")]


def _increments(visit: Visit) -> tuple[Any, ...] | None:
    """The increments described one by one (None when the visit does not describe them:
    the core then applies the visit's stimulation to every increment)."""
    from weizhong.billing import billing_rules
    from weizhong.billing.acupuncture import supported_increments
    from weizhong.billing.model import Increment

    stimulated, reinserted = set(visit.stimulated_increments), set(visit.reinserted_increments)
    if not stimulated and not reinserted:
        return None
    if not stimulated and visit.electro:  # stimulation not described per increment: every one
        stimulated = set(range(1, 9))
    count = supported_increments(visit.contact_minutes, billing_rules())
    return tuple(Increment(n in stimulated, n in reinserted) for n in range(1, count + 1))


def superbill_for(visit: Visit) -> Bill:
    """The visit's superbill (raises weizhong.billing.BillingError naming what blocks it)."""
    from weizhong.billing import Payer, Provider, VisitFacts, superbill

    patient = visit.patient
    clinic = patient.clinic
    staff = getattr(visit.clinician, "staff", None)
    provider = Provider(
        name=str(visit.clinician.get_full_name() or visit.clinician.username),
        npi=(staff.npi if staff and staff.npi else clinic.provider_id),
        tax_id=clinic.tax_id,
        clinic_name=clinic.name,
        address=clinic.address,
        phone=clinic.phone,
        credentials=staff.credentials if staff else "",
    )
    needled = [p for p in visit.trigger_points if p.get("technique") != "pressure"]
    facts = VisitFacts(
        date=visit.date,
        acupuncture_minutes=visit.contact_minutes,
        electro=visit.electro,
        reinsertions=visit.reinsertions,
        points_needled=len(visit.points) + len(needled),
        acupuncture_increments=_increments(visit),
        regions_adjusted=tuple(visit.regions_adjusted),
        exercise_minutes=visit.exercise_minutes,
        neuromuscular_minutes=visit.neuromuscular_minutes,
        manual_therapy_minutes=visit.manual_therapy_minutes,
        diagnoses=tuple(visit.diagnoses),
    )
    # Earlier acupuncture visits, and the same day's other ones recorded before this one: the
    # core bills one initial code a day and warns (acu-second-initial) about a second.
    earlier = list(
        patient.visits.filter(contact_minutes__gt=0)
        .filter(
            Q(date__lt=visit.date)
            | Q(date=visit.date, created__lt=visit.created)
            | Q(date=visit.date, created=visit.created, pk__lt=visit.pk)
        )
        .exclude(pk=visit.pk)
        .order_by("date")
        .values_list("date", flat=True)
    )
    change = outcome_change(patient, since=visit.plan.created) if visit.plan else None
    improving = None if change is None else bool(change["important_improvement"])
    bill: Bill = superbill(
        facts,
        billing_patient(patient, visit.date),
        provider,
        Payer(kind=patient.payer, member_id=patient.member_id),
        prior_acupuncture_dates=earlier,
        improving=improving,
        fees=fee_schedule(clinic),
    )
    return bill
