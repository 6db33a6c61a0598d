"""The JSON API, version 1 (django-ninja): patients, cases and their assessments, plans, visits
with their notes, outcomes, FHIR export and import, superbills and the research export.

Authentication: ``Authorization: Bearer <token>``, a personal token made on the "API tokens"
page or with ``weizhong manage api_token USER``. The API applies the web app's rules through
the same functions: clinicians everything clinical in their clinic, the front desk patients and
demographics only, another clinic's ids answer 404. Input is validated by the same forms and the
same core as the pages, and every problem comes back as 422 with ``detail``: a list of
``{"loc": [...], "msg": "..."}`` naming the field.

OpenAPI: ``/api/v1/openapi.json``; interactive docs at ``/api/v1/docs`` (served by the app).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, Literal

import orjson
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Body, NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.security import HttpBearer
from pydantic import Field, ValidationError, create_model

from weizhong.case import CaseError, validate_case
from weizhong.fhir.export import export_bundle
from weizhong.fhir.importer import FhirImportError, import_bundle
from weizhong.planning.plan import PlanEdits, PlanSettingError
from weizhong.planning.safety import OverrideError, parse_overrides
from weizhong.reasoning.assessment import assess
from weizhong.reasoning.instruments import InstrumentError

from . import actions, history, queries, research, rules, services
from .access import CLINICIAN, EmergencyAccessRequired, check_care
from .audit import note_access
from .forms import PatientForm, VisitForm, fields_of
from .models import ApiToken, Exam, Note, Outcome, Patient, Plan, Staff, Visit

TOKEN_PREFIX = actions.TOKEN_PREFIX
digest = actions.token_digest


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=digest(token), revoked__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        staff = Staff.objects.select_related("clinic").filter(user=found.user).first()
        request.user = found.user
        request.staff = staff  # type: ignore[attr-defined]
        request.clinic = staff.clinic if staff else None  # type: ignore[attr-defined]
        request.role = staff.role if staff else None  # type: ignore[attr-defined]
        actions.do_note_token_used(token=found)
        return found


class JsonBodyMiddleware:
    """Bodies sent to the API are JSON objects labelled as JSON; anything else is refused here
    with a clear message (415, 400, 422), never read as an empty set of defaults."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH"):
            problem = self._problem(request)
            if problem:
                status, message = problem
                return HttpResponse(
                    orjson.dumps({"detail": message}),
                    status=status,
                    content_type="application/json",
                )
        response: HttpResponse = self.get_response(request)
        return response

    @staticmethod
    def _problem(request: HttpRequest) -> tuple[int, str] | None:
        if not request.body:
            return None
        kind = request.content_type or ""
        if kind != "application/json" and not kind.endswith("+json"):
            return 415, "send the body as JSON (Content-Type: application/json)"
        try:
            data = orjson.loads(request.body)
        except orjson.JSONDecodeError as error:
            return 400, f"the body is not valid JSON: {error}"
        if not isinstance(data, dict):
            return 422, "the body must be a JSON object"
        return None


api = NinjaAPI(
    title="weizhong API",
    version="1",
    description=__doc__ or "",
    urls_namespace="api-v1",
    auth=TokenAuth(),
)


def _role(request: HttpRequest, *roles: str) -> None:
    if getattr(request, "role", None) not in (roles or (CLINICIAN, Staff.FRONT_DESK)):
        raise HttpError(403, "your role in this clinic does not include this")


def _patient(request: HttpRequest, pk: int) -> Patient:
    _role(request)
    patient = get_object_or_404(Patient, pk=pk, clinic=request.clinic)  # type: ignore[attr-defined]
    note_access(request, patient.pk, f"patient {patient.pk}")
    check_care(request, patient)
    return patient


def _record(request: HttpRequest, model: Any, pk: int) -> Any:
    _role(request, CLINICIAN)
    found = get_object_or_404(
        model._base_manager.select_related("patient"),  # voided records stay readable
        pk=pk,
        patient__clinic=request.clinic,  # type: ignore[attr-defined]
    )
    note_access(request, found.patient_id, f"{model._meta.model_name} {pk}")
    check_care(request, found.patient)
    return found


KEY_USED_ELSEWHERE = "this idempotency key was used for another patient; send a new one"


def _voided_earlier(kind: str, record: Any) -> str:
    """Why a retried request with the key of a voided record stores nothing."""
    return (
        f"the {kind} sent earlier with this idempotency key ({kind} {record.pk}) was voided "
        f"(reason: {record.void_reason}); send a new idempotency key to record it again"
    )


def unprocessable(problems: list[tuple[list[str | int], str]]) -> Status[dict[str, Any]]:
    return Status(422, {"detail": [{"loc": loc, "msg": msg} for loc, msg in problems]})


def _form_problems(form: Any, prefix: str = "body") -> Status[dict[str, Any]]:
    return unprocessable(
        [
            ([prefix] + ([] if name == "__all__" else [name]), " ".join(str(m) for m in msgs))
            for name, msgs in form.errors.items()
        ]
    )


def _querydict(data: dict[str, Any]) -> QueryDict:
    """A form's input from JSON: lists as repeated keys, booleans as a form would send them."""
    q = QueryDict(mutable=True)
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, list):
            q.setlist(key, [str(v) for v in value])
        elif isinstance(value, bool):
            if value:
                q[key] = "on"
        else:
            q[key] = str(value)
    return q


# ------------------------------------------------------------------------------- schemas


Sex = Literal["female", "male", "other", "unknown"]
Payer = Literal["self_pay", "commercial", "medicare"]
Text100 = Field(default="", max_length=100)


class PatientIn(Schema):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: dt.date
    sex: Sex = "unknown"
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    occupation: str = Field(default="", max_length=120)
    address: str = Field(default="", max_length=1000)
    payer: Payer = "self_pay"
    member_id: str = Field(default="", max_length=60)
    pregnant: bool = False
    medications: list[str] = Field(default_factory=list, max_length=60)
    devices: list[str] = Field(default_factory=list, max_length=20)
    conditions: list[str] = Field(default_factory=list, max_length=40)
    reminders: bool = False
    primary_clinician: int | None = Field(default=None, description="a clinician's user id")


class PatientOut(Schema):
    id: int
    given_name: str
    family_name: str
    birth_date: dt.date
    age: int
    sex: str
    phone: str
    email: str
    occupation: str
    address: str
    payer: str
    member_id: str
    pregnant: bool
    medications: list[str]
    devices: list[str]
    conditions: list[str]
    reminders: bool
    last_seen: dt.datetime | None
    red_flags: list[str]
    reeval_due: bool
    reeval_reason: str
    primary_clinician_id: int | None


class Problem(Schema):
    loc: list[str | int]
    msg: str


class Problems(Schema):
    detail: list[Problem]


class Message(Schema):
    detail: str


class CaseIn(Schema):
    findings: dict[str, Any] = Field(
        description="findings in the public case format (weizhong.case/1); missing = not examined"
    )
    idempotency_key: uuid.UUID | None = None


class PublicCase(Schema):
    format: Literal["weizhong.case/1"] = "weizhong.case/1"
    patient: dict[str, Any] = Field(default_factory=dict)
    findings: dict[str, Any] = Field(default_factory=dict)


class Voided(Schema):
    """A voided record stays readable; these say when, by whom (user id) and why."""

    voided_at: dt.datetime | None = None
    voided_by_id: int | None = None
    void_reason: str = ""


class ExamOut(Voided):
    id: int
    patient_id: int
    created: dt.datetime
    case: dict[str, Any]
    assessment: dict[str, Any]


class PlanIn(Schema):
    add_points: list[str] = Field(default_factory=list, max_length=40)
    remove_points: list[str] = Field(default_factory=list, max_length=40)
    add_exercises: list[str] = Field(default_factory=list, max_length=20)
    remove_exercises: list[str] = Field(default_factory=list, max_length=20)
    overrides: dict[str, str] = Field(default_factory=dict)
    guideline: Literal["ACP2017", "NICE_NG59"] = "ACP2017"
    visits_per_week: int | None = Field(default=None, ge=1, le=7)
    planned_visits: int | None = Field(default=None, ge=1, le=40)
    note: str = Field(default="", max_length=2000)


class PlanOut(Voided):
    id: int
    patient_id: int
    exam_id: int
    version: int
    created: dt.datetime
    visits_per_week: int
    planned_visits: int
    reevaluation_date: dt.date
    plan: dict[str, Any]


class VisitIn(Schema):
    date: dt.date | None = None
    points: list[str] = Field(default_factory=list, max_length=60)
    electro: bool = False
    electro_settings: str = Field(default="", max_length=200)
    needle_minutes: int = Field(default=0, ge=0, le=120)
    contact_minutes: int = Field(default=0, ge=0, le=240)
    reinsertions: int = Field(default=0, ge=0, le=16)
    regions_adjusted: list[str] = Field(default_factory=list, max_length=10)
    exercise_minutes: int = Field(default=0, ge=0, le=240)
    neuromuscular_minutes: int = Field(default=0, ge=0, le=240)
    manual_therapy_minutes: int = Field(default=0, ge=0, le=240)
    office_care: str = Field(default="", max_length=4000)
    response: Literal["better", "same", "worse", "not_assessed"] = "not_assessed"
    response_notes: str = Field(default="", max_length=4000)
    diagnoses: list[str] = Field(default_factory=list, max_length=12)
    idempotency_key: uuid.UUID | None = None


class NoteOut(Schema):
    subjective: str
    objective: str
    assessment: str
    plan: str
    signed: bool
    signed_at: dt.datetime | None
    amendments: list[dict[str, Any]]


class VisitOut(Voided):
    id: int
    patient_id: int
    plan_id: int | None
    date: dt.date
    points: list[str]
    electro: bool
    electro_settings: str
    needle_minutes: int
    contact_minutes: int
    reinsertions: int
    regions_adjusted: list[str]
    exercise_minutes: int
    neuromuscular_minutes: int
    manual_therapy_minutes: int
    office_care: str
    response: str
    response_notes: str
    diagnoses: list[str]
    note: NoteOut


class NoteIn(Schema):
    subjective: str = Field(default="", max_length=20000)
    objective: str = Field(default="", max_length=20000)
    assessment: str = Field(default="", max_length=20000)
    plan: str = Field(default="", max_length=20000)


class AmendmentIn(Schema):
    # The length after blanks are removed is checked by the same rule as the page's.
    text: str = Field(max_length=20000, description="what is corrected and why")


Instrument = Literal["odi", "rmdq", "startback", "nprs", "psfs", "lefs", "fabq"]


class OutcomeIn(Schema):
    instrument: Instrument
    answers: list[int | float | None] = Field(max_length=30)
    taken: dt.datetime | None = None


class OutcomeOut(Voided):
    id: int
    instrument: str
    answers: list[int | float | None]
    score: float | None
    taken: dt.datetime
    source: str
    result: dict[str, Any]


def _patient_out(p: Patient) -> dict[str, Any]:
    return {**{f: getattr(p, f) for f in PatientOut.model_fields if f != "age"}, "age": p.age}


def _visit_out(v: Visit) -> dict[str, Any]:
    note: Note = v.note
    fields = {f: getattr(v, f) for f in VisitOut.model_fields if f != "note"}
    return {
        **fields,
        "note": {
            "subjective": note.subjective,
            "objective": note.objective,
            "assessment": note.assessment,
            "plan": note.plan,
            "signed": note.signed,
            "signed_at": note.signed_at,
            "amendments": [
                {"text": a.text, "created": a.created.isoformat(), "author": a.author.username}
                for a in note.amendments.select_related("author")
            ],
        },
    }


def _plan_out(p: Plan) -> dict[str, Any]:
    return {
        "id": p.pk, "patient_id": p.patient_id, "exam_id": p.exam_id, "version": p.version,
        "created": p.created, "visits_per_week": p.visits_per_week,
        "planned_visits": p.planned_visits, "reevaluation_date": p.reevaluation_date,
        "plan": p.plan, "voided_at": p.voided_at, "voided_by_id": p.voided_by_id,
        "void_reason": p.void_reason,
    }  # fmt: skip


# ------------------------------------------------------------------------------ patients


def _patient_form_data(data: PatientIn) -> QueryDict:
    fields = data.model_dump(mode="json")
    if any("," in m for m in fields["medications"]):
        raise HttpError(422, "a medication name cannot contain a comma")
    fields["medications"] = ", ".join(fields["medications"])
    return _querydict(fields)


@api.get("/patients", response=list[PatientOut], tags=["patients"])
def list_patients(
    request: HttpRequest,
    q: str = Query("", max_length=100),
    limit: int = Query(25, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> list[dict[str, Any]]:
    """Patients of your clinic, by family name; ``q`` matches name, phone or e-mail."""
    _role(request)
    found = queries.find_patients(request.clinic, q)  # type: ignore[attr-defined]
    rows = found.order_by("family_name", "given_name", "pk")[offset : offset + limit]
    return [_patient_out(p) for p in rows]


@api.post("/patients", response={201: PatientOut, 422: Problems}, tags=["patients"])
def create_patient(request: HttpRequest, data: PatientIn) -> Status[Any]:
    _role(request)
    form = PatientForm(_patient_form_data(data), instance=Patient(clinic=request.clinic))  # type: ignore[attr-defined]
    if not form.is_valid():
        return _form_problems(form)
    patient = actions.do_create_patient(
        clinic=request.clinic,  # type: ignore[attr-defined]
        fields=fields_of(form),
        by=request.user,
    )
    return Status(201, _patient_out(patient))


@api.get("/patients/{patient_id}", response=PatientOut, tags=["patients"])
def get_patient(request: HttpRequest, patient_id: int, response: HttpResponse) -> dict[str, Any]:
    """The patient's details, with an ``ETag`` to send back in ``If-Match`` when updating."""
    patient = _patient(request, patient_id)
    response["ETag"] = patient_etag(patient.pk, history.version_number("patient", patient.pk))
    return _patient_out(patient)


def patient_etag(pk: int, version: int) -> str:
    return f'"patient-{pk}-v{version}"'


@api.put(
    "/patients/{patient_id}",
    response={200: PatientOut, 412: Message, 422: Problems, 428: Message},
    tags=["patients"],
)
def update_patient(
    request: HttpRequest, patient_id: int, data: PatientIn, response: HttpResponse
) -> Status[Any]:
    """Replace the patient's details (a field left out takes its default: use PATCH to change
    some fields only). Requires ``If-Match`` with the ETag of GET /patients/{id}: a copy that
    is no longer current gets 412 and nothing is written."""
    return _save_details(request, _patient(request, patient_id), data, response)


# Every field of PatientIn, optional: only the fields sent change.
PatientPatch = create_model(  # type: ignore[call-overload]
    "PatientPatch",
    __base__=Schema,
    **{name: (field.annotation | None, None) for name, field in PatientIn.model_fields.items()},
)


@api.patch(
    "/patients/{patient_id}",
    response={200: PatientOut, 412: Message, 422: Problems, 428: Message},
    tags=["patients"],
)
def patch_patient(
    request: HttpRequest, patient_id: int, data: PatientPatch, response: HttpResponse
) -> Status[Any]:
    """Change only the fields sent (``"primary_clinician": null`` clears it; a field left out
    keeps its value). Requires ``If-Match`` like PUT."""
    patient = _patient(request, patient_id)
    current = {name: getattr(patient, name) for name in PatientIn.model_fields}
    current["primary_clinician"] = patient.primary_clinician_id
    try:
        merged = PatientIn(**{**current, **data.model_dump(exclude_unset=True)})
    except ValidationError as error:
        return unprocessable(
            [(["body", *(str(p) for p in e["loc"])], e["msg"]) for e in error.errors()]
        )
    return _save_details(request, patient, merged, response)


def _save_details(
    request: HttpRequest, patient: Patient, data: PatientIn, response: HttpResponse
) -> Status[Any]:
    """Check ``If-Match`` against the details' history version, validate with the page's form
    and save in one transaction; the new ETag on the answer."""
    wanted = request.headers.get("If-Match", "").strip()
    if not wanted:
        return Status(428, {"detail": "send If-Match with the ETag of GET /patients/{id}"})
    match = re.fullmatch(rf'(?:W/)?"patient-{patient.pk}-v(\d+)"', wanted)
    if match is None:
        return Status(412, {"detail": "If-Match does not name a version of this patient"})
    form = PatientForm(_patient_form_data(data), instance=patient)
    if not form.is_valid():
        return _form_problems(form)
    try:
        actions.do_update_patient(
            patient=form.instance, fields=fields_of(form), after_version=int(match.group(1)),
            by=request.user,
        )  # fmt: skip
    except actions.StaleCopy as stale:
        response["ETag"] = patient_etag(patient.pk, stale.current.version if stale.current else 0)
        return Status(412, {"detail": "the details changed since you read them; read again"})
    response["ETag"] = patient_etag(patient.pk, history.version_number("patient", patient.pk))
    return Status(200, _patient_out(patient))


# ------------------------------------------------------------------- cases and assessments


@api.post("/assess", response={200: dict[str, Any], 422: Problems}, tags=["cases"])
def assess_case(request: HttpRequest, case: PublicCase) -> Status[Any]:
    """Assess a case in the public format without storing anything."""
    _role(request, CLINICIAN)
    try:
        checked = validate_case(case.model_dump(), services.knowledge())
    except CaseError as error:
        return unprocessable([(["body", *p.field.split(".")], p.message) for p in error.problems])
    return Status(200, assess(checked, services.knowledge()))


@api.post(
    "/patients/{patient_id}/cases",
    response={201: ExamOut, 200: ExamOut, 409: Message, 422: Problems},
    tags=["cases"],
)
def create_case(request: HttpRequest, patient_id: int, data: CaseIn) -> Status[Any]:
    """Store a case (the patient block comes from the chart) and return its assessment."""
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    raw = services.build_case(patient, data.findings)
    case, problems = services.check_case(raw)
    if case is None:
        return unprocessable([(["body", "findings", n], " ".join(m)) for n, m in problems.items()])
    repeated = (
        data.idempotency_key
        and Exam.all_objects.filter(submit_token=data.idempotency_key, patient=patient).exists()
    )
    try:
        exam = actions.do_save_exam(
            patient=patient, clinician=request.user, case=case, raw=raw,
            submit_token=data.idempotency_key, refuse_voided=True,
        )  # fmt: skip
    except actions.EarlierRecordVoided as earlier:
        return Status(409, {"detail": _voided_earlier("case", earlier.record)})
    except actions.KeyUsedElsewhere:
        return Status(409, {"detail": KEY_USED_ELSEWHERE})
    return Status(200 if repeated else 201, exam)


@api.get("/patients/{patient_id}/cases", response=list[ExamOut], tags=["cases"])
def list_cases(request: HttpRequest, patient_id: int) -> Any:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return list(patient.exams.order_by("-created")[:100])


@api.get("/cases/{exam_id}", response=ExamOut, tags=["cases"])
def get_case(request: HttpRequest, exam_id: int) -> Any:
    return _record(request, Exam, exam_id)


# --------------------------------------------------------------------------------- plans


@api.post("/cases/{exam_id}/plans", response={201: PlanOut, 422: Problems}, tags=["plans"])
def create_plan(request: HttpRequest, exam_id: int, data: PlanIn) -> Status[Any]:
    """Propose a plan from the case with your edits and overrides, and save it as a version."""
    exam = _record(request, Exam, exam_id)
    clinic = request.clinic  # type: ignore[attr-defined]
    edits = PlanEdits(
        add_points=tuple(data.add_points),
        remove_points=tuple(data.remove_points),
        add_exercises=tuple(data.add_exercises),
        remove_exercises=tuple(data.remove_exercises),
    )
    try:
        overrides = parse_overrides(data.overrides)
        plan = services.propose_plan(
            exam, edits=edits, overrides=overrides, guideline=data.guideline
        )
    except (OverrideError, PlanSettingError) as error:
        return unprocessable([(["body"], str(error))])
    saved = actions.do_save_plan(
        exam=exam, author=request.user, plan=plan, edits=edits, overrides=overrides,
        guideline=data.guideline,
        visits_per_week=data.visits_per_week or clinic.visits_per_week,
        planned_visits=data.planned_visits or clinic.rounds_before_reevaluation, note=data.note,
    )  # fmt: skip
    return Status(201, _plan_out(saved))


@api.get("/plans/{plan_id}", response=PlanOut, tags=["plans"])
def get_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    return _plan_out(_record(request, Plan, plan_id))


@api.get("/patients/{patient_id}/plans", response=list[PlanOut], tags=["plans"])
def list_plans(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return [_plan_out(p) for p in patient.plans.order_by("-version")[:50]]


# -------------------------------------------------------------------------------- visits


@api.post(
    "/patients/{patient_id}/visits",
    response={201: VisitOut, 200: VisitOut, 409: Message, 422: Problems},
    tags=["visits"],
)
def create_visit(request: HttpRequest, patient_id: int, data: VisitIn) -> Status[Any]:
    """Record a visit (its SOAP note is drafted); the same idempotency key stores it once."""
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    fields = data.model_dump(mode="json", exclude={"idempotency_key"})
    fields["date"] = fields["date"] or timezone.localdate().isoformat()
    form = VisitForm(_querydict(fields))
    if not form.is_valid():
        return _form_problems(form)
    token = data.idempotency_key or uuid.uuid4()
    repeated = Visit.all_objects.filter(submit_token=token, patient=patient).exists()
    try:
        visit = actions.do_record_visit(
            patient=patient, clinician=request.user, fields=fields_of(form),
            plan=services.active_plan(patient), submit_token=token, refuse_voided=True,
        )  # fmt: skip
    except actions.EarlierRecordVoided as earlier:
        return Status(409, {"detail": _voided_earlier("visit", earlier.record)})
    except actions.KeyUsedElsewhere:
        return Status(409, {"detail": KEY_USED_ELSEWHERE})
    return Status(200 if repeated else 201, _visit_out(visit))


@api.get("/patients/{patient_id}/visits", response=list[VisitOut], tags=["visits"])
def list_visits(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return [_visit_out(v) for v in patient.visits.select_related("note")[:100]]


def etag(note: Note) -> str:
    return f'"note-{note.pk}-v{note.version}"'


@api.get("/visits/{visit_id}", response=VisitOut, tags=["visits"])
def get_visit(request: HttpRequest, visit_id: int, response: HttpResponse) -> dict[str, Any]:
    """The visit with its note. The ETag names the note's version: send it back as If-Match
    when you change the note."""
    visit = _record(request, Visit, visit_id)
    response["ETag"] = etag(visit.note)
    return _visit_out(visit)


@api.put(
    "/visits/{visit_id}/note",
    response={200: VisitOut, 409: Message, 412: Message, 428: Message},
    tags=["visits"],
)
def edit_note(
    request: HttpRequest, visit_id: int, data: NoteIn, response: HttpResponse
) -> Status[Any]:
    """Replace the draft note's text. Requires ``If-Match`` with the ETag you read: a copy
    that is no longer current gets 412 and nothing is written (no lost updates)."""
    visit = _record(request, Visit, visit_id)
    wanted = request.headers.get("If-Match", "").strip()
    if not wanted:
        return Status(428, {"detail": "send If-Match with the ETag of GET /visits/{id}"})
    note = visit.note
    match = re.fullmatch(rf'(?:W/)?"note-{note.pk}-v(\d+)"', wanted)
    if match is None:
        return Status(412, {"detail": "If-Match does not name a version of this note"})
    try:
        saved = actions.do_save_note(
            note=note, author=request.user, version=int(match.group(1)), fields=data.model_dump()
        )
    except actions.NoteLocked:
        return Status(409, {"detail": "the note is signed: add an amendment instead"})
    except actions.RecordVoided:
        return Status(409, {"detail": "the visit is voided: its note cannot change"})
    except actions.StaleCopy as stale:
        response["ETag"] = etag(stale.current)
        return Status(412, {"detail": "the note changed since you read it; read it again"})
    response["ETag"] = etag(saved)
    return Status(200, _visit_out(Visit.objects.get(pk=visit.pk)))


@api.post("/visits/{visit_id}/sign", response={200: VisitOut, 409: Message}, tags=["visits"])
def sign(request: HttpRequest, visit_id: int) -> Status[Any]:
    visit = _record(request, Visit, visit_id)
    try:
        actions.do_sign_note(note=visit.note, signer=request.user)
    except actions.NoteLocked:
        return Status(409, {"detail": "the note is already signed"})
    except actions.RecordVoided:
        return Status(409, {"detail": "the visit is voided: its note cannot be signed"})
    return Status(200, _visit_out(visit))


@api.post(
    "/visits/{visit_id}/amendments",
    response={201: VisitOut, 409: Message, 422: Problems},
    tags=["visits"],
)
def amend(request: HttpRequest, visit_id: int, data: AmendmentIn) -> Status[Any]:
    """Add an amendment to the signed note (the same rule as the page: at least a few
    characters besides blanks, saying what is corrected and why)."""
    visit = _record(request, Visit, visit_id)
    try:
        actions.do_add_amendment(note=visit.note, author=request.user, text=data.text)
    except rules.Refused as refused:
        return unprocessable([(["body", refused.field], refused.message)])
    except actions.RecordVoided:
        return Status(409, {"detail": "the visit is voided: its note cannot be amended"})
    except actions.NoteIsDraft:
        return Status(409, {"detail": "the note is a draft: edit it instead"})
    return Status(201, _visit_out(visit))


# ------------------------------------------------------------------------------ outcomes


@api.post(
    "/patients/{patient_id}/outcomes", response={201: OutcomeOut, 422: Problems}, tags=["outcomes"]
)
def create_outcome(request: HttpRequest, patient_id: int, data: OutcomeIn) -> Status[Any]:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    if data.taken and data.taken > timezone.now() + dt.timedelta(minutes=5):
        return unprocessable([(["body", "taken"], "a score cannot be taken in the future")])
    try:
        outcome = actions.do_score_outcome(
            patient=patient, instrument=data.instrument, answers=list(data.answers),
            entered_by=request.user, taken=data.taken,
        )  # fmt: skip
    except InstrumentError as error:
        return unprocessable([(["body", "answers"], str(error))])
    return Status(201, outcome)


@api.get("/patients/{patient_id}/outcomes", response=list[OutcomeOut], tags=["outcomes"])
def list_outcomes(request: HttpRequest, patient_id: int) -> Any:
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return list(Outcome.objects.filter(patient=patient).order_by("taken")[:500])


# --------------------------------------------------------------------- history and voids


class VoidIn(Schema):
    reason: str = Field(max_length=2000, description="why the record was entered in error")


class VersionOut(Schema):
    kind: str
    record_id: int
    version: int
    action: str
    at: dt.datetime
    author: str
    reason: str
    changed: list[str]
    data: dict[str, Any]


def _void(request: HttpRequest, model: Any, pk: int, data: VoidIn) -> Status[Any]:
    record = _record(request, model, pk)
    try:
        actions.do_void_record(record=record, by=request.user, reason=data.reason)
    except ValueError as problem:
        return unprocessable([(["body", "reason"], str(problem))])
    except actions.AlreadyVoided as done:
        when = done.record.voided_at.isoformat()
        return Status(409, {"detail": f"already voided at {when}: {done.record.void_reason}"})
    record = model._base_manager.get(pk=pk)
    return Status(200, _plan_out(record) if model is Plan else _visit_out(record)
                  if model is Visit else record)  # fmt: skip


VOID_DOC = (
    "Void a record entered in error, with a reason. Nothing is deleted: it stays readable "
    "(with voided_at, voided_by_id and void_reason), leaves lists, counts, summaries, exports "
    "and billing, and its history records the void. Voiding a case voids its plans too."
)


@api.post("/cases/{exam_id}/void", response={200: ExamOut, 409: Message, 422: Problems},
          tags=["history"], description=VOID_DOC)  # fmt: skip
def void_case(request: HttpRequest, exam_id: int, data: VoidIn) -> Status[Any]:
    return _void(request, Exam, exam_id, data)


@api.post("/plans/{plan_id}/void", response={200: PlanOut, 409: Message, 422: Problems},
          tags=["history"], description=VOID_DOC)  # fmt: skip
def void_plan(request: HttpRequest, plan_id: int, data: VoidIn) -> Status[Any]:
    return _void(request, Plan, plan_id, data)


@api.post("/visits/{visit_id}/void", response={200: VisitOut, 409: Message, 422: Problems},
          tags=["history"], description=VOID_DOC)  # fmt: skip
def void_visit(request: HttpRequest, visit_id: int, data: VoidIn) -> Status[Any]:
    return _void(request, Visit, visit_id, data)


@api.post("/outcomes/{outcome_id}/void", response={200: OutcomeOut, 409: Message, 422: Problems},
          tags=["history"], description=VOID_DOC)  # fmt: skip
def void_outcome(request: HttpRequest, outcome_id: int, data: VoidIn) -> Status[Any]:
    return _void(request, Outcome, outcome_id, data)


@api.get("/patients/{patient_id}/history", response=list[VersionOut], tags=["history"])
def patient_history(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    """Every version of every record of the patient (details, cases, plans, visits, notes,
    amendments, outcomes, portal pain entries), oldest first: the action, who, when, the
    fields changed and the record's fields after the change."""
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    return [
        {
            "kind": v.kind,
            "record_id": v.record_id,
            "version": v.version,
            "action": v.action,
            "at": v.at,
            "author": v.author_label,
            "reason": v.reason,
            "changed": v.changed,
            "data": v.data,
        }
        for v in history.RecordVersion.objects.filter(patient=patient).order_by("at", "id")[:5000]
    ]


# --------------------------------------------------------------------- FHIR and research


@api.get("/patients/{patient_id}/fhir", tags=["fhir"])
def fhir_export(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's record as a FHIR R4 Bundle (collection)."""
    patient = _patient(request, patient_id)
    _role(request, CLINICIAN)
    bundle = export_bundle(services.patient_record(patient), base_url=_fhir_base(request))
    return HttpResponse(orjson.dumps(bundle), content_type="application/fhir+json")


BUNDLE = Body(..., description="a FHIR R4 Bundle")


class ImportOut(Schema):
    patient_id: int
    exam_id: int | None
    outcomes: int
    ignored: list[str]


@api.post("/fhir/import", response={201: ImportOut, 422: dict[str, Any]}, tags=["fhir"])
def fhir_import(request: HttpRequest, bundle: dict[str, Any] = BUNDLE) -> Status[Any]:
    """A Bundle with a Patient and Observations (and QuestionnaireResponses) becomes a new
    patient with a case and scores. A bundle that cannot be imported gets an OperationOutcome
    naming each problem (422), and nothing is stored."""
    _role(request, CLINICIAN)
    try:
        imported = import_bundle(bundle)
    except FhirImportError as error:
        return Status(422, error.outcome)
    patient, exam = actions.do_import_patient(
        clinic=request.clinic,  # type: ignore[attr-defined]
        importer=request.user,
        imported=imported,
    )
    unscored = [
        f"{o['instrument']}: a score without its answers is not stored"
        for o in imported.outcomes
        if o.get("answers") is None
    ]
    return Status(
        201,
        {
            "patient_id": patient.pk,
            "exam_id": exam.pk if exam else None,
            "outcomes": patient.outcomes.count(),
            "ignored": [*imported.ignored, *unscored],
        },
    )


def _fhir_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


@api.get("/research/outcomes.csv", tags=["research"])
def research_outcomes(request: HttpRequest) -> HttpResponse:
    """De-identified outcomes per episode of care (one row per plan version and questionnaire)."""
    _role(request, CLINICIAN)
    rows = research.outcome_rows(request.clinic)  # type: ignore[attr-defined]
    response = HttpResponse(research.to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="weizhong-outcomes.csv"'
    return response


@api.get(
    "/visits/{visit_id}/superbill",
    response={200: dict[str, Any], 409: Message, 422: Problems},
    tags=["billing"],
)
def visit_superbill(
    request: HttpRequest, visit_id: int, format: Literal["json", "csv", "pdf"] = "json"
) -> Any:
    """The visit's superbill: ICD-10-CM diagnoses with pointers, CPT lines with units and how
    they were computed, and every warning a payer may raise (JSON, CSV or PDF)."""
    from weizhong.billing import BillingError, superbill_csv, superbill_pdf

    visit = _record(request, Visit, visit_id)
    if visit.voided:
        return Status(409, {"detail": "the visit is voided: it is not billed"})
    try:
        bill = services.superbill_for(visit)
    except BillingError as error:
        return unprocessable([(["visit", *p.field.split(".")], p.message) for p in error.problems])
    if format == "csv":
        return HttpResponse(superbill_csv(bill), content_type="text/csv; charset=utf-8")
    if format == "pdf":
        return HttpResponse(superbill_pdf(bill), content_type="application/pdf")
    return Status(200, bill)


def _emergency(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request,
        {
            "detail": "this patient is outside your care team: repeat the request with the "
            "header X-Emergency-Reason stating why (it is recorded and flagged)"
        },
        status=403,
    )


api.add_exception_handler(EmergencyAccessRequired, _emergency)


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "not found"}, status=404)


api.add_exception_handler(Http404, _not_found)
