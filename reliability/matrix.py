"""Access matrix: every route × every role × GET/POST/PUT/PATCH/DELETE × (own record, another
clinic's record, a nonexistent id). Proves: zero unauthorised successes. The roles: anonymous, the
patient (portal link), front desk, clinician, a clinician of another clinic, a clinic
administrator, and a colleague (a clinician of the same clinic outside the patient's care
team, who must answer the emergency-access question first).

How: the routes come from Django's URL resolver (recursing into includes, so the JSON API's
routes are there too and a new route is covered without touching this file). Each path
parameter is filled with a record of the role's own clinic, one of another clinic, and an id
that does not exist (portal links: the patient's valid link, a forged link for another
clinic's patient and an old revoked link, and garbage). The policy — who may do what — is the
table below, written from the README's "People and access" and ``weizhong/clinic/access.py``.
Requests go through Django's test client in-process, on a fresh SQLite database in a throwaway
data dir; page clients are logged in, API clients send their bearer token (the patient sends
their portal token as a bearer token, which must not work).

An *unauthorised success* is a 2xx, or a 3xx to anything but the login page, for a
combination the policy forbids, or any 2xx that reaches another clinic's record. An
*unexpected refusal* (401/403/404 for a combination the policy allows on the role's own
record) is a warning listed separately. 405 (a method the route does not take) and 4xx
validation answers count as neither success nor refusal of the role.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CdsSigner, Report, data_dir, fixtures, setup_django

# ------------------------------------------------------------------------------- policy

PUBLIC = "public"  # anyone: sign-in, health check, CDS discovery, the API's schema and docs
EHR = "trusted EHR"  # a CDS client of the clinic's clients file, with a token it signed
PORTAL = "portal"  # whoever holds the patient's valid link
KEY = "key holder"  # whoever holds the record's own key: an intake's link, a clinician's feed
STAFF = "staff"  # clinicians and the front desk of the record's clinic
CLINICAL = "clinical"  # clinicians of the record's clinic
ADMIN = "admin"  # staff with the clinic-administrator flag
NOBODY = "nobody"

# Page routes by URL name; API operations by operation name (``api:<name>``). A route missing
# from the table is treated as CLINICAL (deny by default) and named in a note.
POLICY: dict[str, str] = {
    "healthz": PUBLIC,
    "login": PUBLIC,
    "logout": PUBLIC,
    "cds_discovery": PUBLIC,
    # None of the roles holds a trusted EHR's key: each must be refused (the EHR's own signed
    # calls are checked after the matrix).
    "cds_service": EHR,
    "cds_feedback": EHR,
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:api-root": NOBODY,  # ninja's bare prefix: nothing is served there
    "second_factor": PUBLIC,  # the sign-in's second step (refers to sign-in without one)
    "portal": PORTAL,
    "portal_log": PORTAL,
    "portal_questionnaire": PORTAL,
    # the key in the address is the authority (a patient's intake link, the clinician's
    # calendar subscription): any role with the key may use it, nobody without
    "intake": KEY,
    "intake_save": KEY,
    "calendar_feed": KEY,
    # the front desk: patient records and demographics, portal links, their own API tokens
    "dashboard": STAFF,
    "patients": STAFF,
    "patient_new": STAFF,
    "patient": STAFF,
    "patient_edit": STAFF,
    "portal_manage": STAFF,
    "intake_link": STAFF,
    "api_tokens": STAFF,
    "sessions": STAFF,
    "second_factor_setup": STAFF,
    "api:list_patients": STAFF,
    "api:create_patient": STAFF,
    "api:get_patient": STAFF,
    "api:update_patient": STAFF,
    "api:patch_patient": STAFF,
    "patient_history": STAFF,
    "password_change": STAFF,
    # the clinic's day (issue 15): the front desk books, moves and cancels; the patient books
    # and cancels online with their link; the day's settings are the administrators'
    "schedule": STAFF,
    "schedule_week": STAFF,
    "schedule_book": STAFF,
    "appointment_change": STAFF,
    "course_of_care": STAFF,
    # the header's patient search (a clinician finds their care team); the desk prints a
    # visit's superbill (issue 13): billing codes, no note, findings or assessment
    "patient_search": STAFF,
    "visit_bill": STAFF,
    "visit_superbill": STAFF,
    "api:book_appointment": STAFF,
    "api:list_appointments": STAFF,
    "api:get_appointment": STAFF,
    "api:change_appointment": STAFF,
    "api:start_intake": STAFF,
    "portal_book": PORTAL,
    "portal_cancel": PORTAL,
    "schedule_settings": ADMIN,
    # the fee schedule: administrators set it (page and PUT); any staff member reads it through
    # the API (the desk quotes and prints the charges it makes)
    "fee_schedule": ADMIN,
    "api:get_fees": STAFF,
    "api:set_fees": ADMIN,
    # the audit trail and the staff: administrators
    "audit_log": ADMIN,
    "staff": ADMIN,
    # everything clinical (exams, plans, visits, notes, outcomes, billing, FHIR, research,
    # settings) is CLINICAL: listed for the record, the default would say the same
    **dict.fromkeys(
        (
            "exam_new",
            "exam_preview",
            "visit_new",
            "outcomes",
            "outcome_new",
            "patient_fhir",
            "fhir_import",
            "research_csv",
            "exam",
            "exam_case",
            "plan_editor",
            "plan",
            "plan_handout",
            "visit",
            "atlas_search",
            "clinic_settings",
            "emergency_access",
            "exam_history",
            "exam_void",
            "plan_history",
            "plan_void",
            "visit_history",
            "visit_void",
            "outcome_history",
            "outcome_void",
        ),
        CLINICAL,
    ),
}

# "other clinician": a clinician of another clinic; "colleague": a clinician of the same clinic
# outside the patient's care team (the patient has a primary clinician), who must pass the
# emergency-access question before any of the patient's records.
ROLES = ("anonymous", "patient", "front desk", "clinician", "other clinician", "admin", "colleague")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed(role: str, audience: str) -> bool:
    """The policy: may ``role`` use a route of ``audience`` (on its own clinic's records)?"""
    if audience in (PUBLIC, PORTAL, KEY):
        return True
    if audience == STAFF:
        return role in ("front desk", "clinician", "other clinician", "admin", "colleague")
    if audience == CLINICAL:
        return role in ("clinician", "other clinician", "colleague")
    if audience == ADMIN:
        return role == "admin"
    return False


# ------------------------------------------------------------------------------ the data


@dataclass
class ClinicData:
    clinic: Any
    patient: Any
    exam: Any
    plan: Any
    visit: Any
    outcome: Any
    request: Any  # an open questionnaire request on the portal
    intake_key: str  # the patient's intake link's key
    feed_key: str  # the clinician's calendar feed's key
    appointment: Any  # the patient's next appointment


def make_clinic(name: str, slug: str) -> tuple[ClinicData, dict[str, Any]]:
    from weizhong.clinic import actions
    from weizhong.clinic.models import Staff

    f = fixtures()
    clinic = actions.do_create_clinic(name=name, slug=slug)
    clinician = f.make_staff(clinic, f"{slug}-doc", Staff.CLINICIAN)
    desk = f.make_staff(clinic, f"{slug}-desk", Staff.FRONT_DESK)
    admin = f.make_staff(clinic, f"{slug}-admin", Staff.FRONT_DESK, is_admin=True)
    colleague = f.make_staff(clinic, f"{slug}-colleague", Staff.CLINICIAN)
    patient = f.make_patient(
        clinic, portal_active=True, portal_version=1, primary_clinician=clinician
    )
    exam = f.make_exam(patient, clinician)
    plan = f.make_plan(exam, clinician)
    visit = f.make_visit(patient, plan, clinician, needle_minutes=20, contact_minutes=20)
    f.make_visit(patient, plan, clinician)  # a second visit so the first can be edited freely
    outcome = actions.do_score_outcome(
        patient=patient, instrument="nprs", answers=[5], entered_by=clinician
    )
    request = actions.do_send_questionnaire(patient=patient, instrument="nprs", sent_by=clinician)
    intake = actions.do_start_intake(patient=patient, by=clinician)
    feed = actions.do_get_calendar(clinician)
    soon = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    appointment = actions.do_book_appointment(
        clinic=clinic, patient=patient, clinician=clinician, start=soon + dt.timedelta(days=7),
        minutes=45, kind="follow_up", by=desk,
    )  # fmt: skip
    users = {"clinician": clinician, "front desk": desk, "admin": admin, "colleague": colleague}
    data = ClinicData(
        clinic, patient, exam, plan, visit, outcome, request, intake.key, feed.feed_key,
        appointment,
    )  # fmt: skip
    return data, users


# --------------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "patients/<int:pk>/" or "api/v1/visits/<visit_id>/note"
    name: str  # policy key
    api: bool
    methods: dict[str, str]  # API: method → operation name; pages: empty


def routes() -> list[Route]:
    """Every URL pattern of the site, API operations named per method from its schema."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from weizhong.clinic.api import api

    schema = api.get_openapi_schema()
    operations: dict[str, dict[str, str]] = {}
    for path, ops in schema["paths"].items():
        key = re.sub(r"\{(\w+)\}", r"<\1>", path.lstrip("/"))
        operations[key] = {
            m.upper(): str(o.get("operationId", "")).rsplit("_api_", 1)[-1] for m, o in ops.items()
        }
    found: dict[str, Route] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern):
                pattern = prefix + str(p.pattern)
                if pattern in found:
                    continue  # ninja lists one pattern per operation; one view serves them
                api_route = bool(namespace and namespace.startswith("api"))
                name = f"api:{p.name}" if api_route else str(p.name)
                found[pattern] = Route(pattern, name, api_route, operations.get(pattern, {}))

    walk(get_resolver().url_patterns, "/", None)
    return list(found.values())


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
RECORD_OF_PREFIX = {
    "patients": "patient",
    "exams": "exam",
    "plans": "plan",
    "visits": "visit",
    "outcomes": "outcome",
}
RECORD_KINDS = ("patient", "exam", "plan", "visit", "outcome")


def param_kind(route: Route, name: str) -> str:
    """Which record a path parameter names."""
    if name in ("patient_id", "exam_id", "plan_id", "visit_id", "outcome_id"):
        return name.removesuffix("_id")
    if name == "appointment_id" or (name == "pk" and route.name == "appointment_change"):
        return "appointment"
    if name == "pk" and route.name == "portal_cancel":
        return "portal_appointment"  # the link's patient's (clinic A's), like the link itself
    if name == "pk":
        first = route.pattern.strip("/").split("/")[0]
        return RECORD_OF_PREFIX.get(first, "unknown")
    if name == "token" and route.name in ("intake", "intake_save"):
        return "intake_key"
    if name == "token" and route.name == "calendar_feed":
        return "feed_key"
    return {"token": "token", "request_id": "request", "service_id": "service", "fmt": "fmt"}.get(
        name, "unknown"
    )


# A value per variant: ("own", "other", "missing"); fixed parameters have one value.
Values = dict[str, list[tuple[str, str]]]


def values_for(
    own: ClinicData, other: ClinicData, tokens: dict[str, str], a: ClinicData, b: ClinicData
) -> Values:
    """Path values for a role whose clinic's data is ``own``. Portal parameters are relative
    to the link's patient (clinic A's): the link, not the role, is the key there."""

    def record(kind: str, mine: ClinicData, theirs: ClinicData) -> list[tuple[str, str]]:
        return [
            ("own", str(getattr(mine, kind).pk)),
            ("other", str(getattr(theirs, kind).pk)),
            ("missing", "987654321"),
        ]

    return {
        **{k: record(k, own, other) for k in RECORD_KINDS},
        "request": record("request", a, b),
        "appointment": record("appointment", own, other),
        "portal_appointment": record("appointment", a, b),
        "token": [
            ("own", tokens["valid"]),
            ("other", tokens["forged"]),
            ("other", tokens["revoked"]),
            ("missing", "not-a-token"),
        ],
        # A key route's "other" is a key of the right shape that was never issued: holding
        # another clinic's real key is holding its authority, as with a portal link.
        "intake_key": [
            ("own", a.intake_key),
            ("other", "x" * len(a.intake_key)),
            ("missing", "not-a-key"),
        ],
        "feed_key": [
            ("own", a.feed_key),
            ("other", "x" * len(a.feed_key)),
            ("missing", "not-a-key"),
        ],
        "service": [("own", "weizhong-back-pain"), ("missing", "no-such-service")],
        "fmt": [("own", "pdf"), ("own", "csv")],
        "unknown": [("own", "1"), ("missing", "987654321")],
    }


def expand(route: Route, values: Values) -> list[tuple[str, str]]:
    """(url, variant) for every combination of the route's parameter values; the variant of
    a URL is its worst parameter: other > missing > own."""
    params = PARAM.findall(route.pattern)
    if not params:
        return [(route.pattern, "own")]
    choices = [values[param_kind(route, name)] for _conv, name in params]
    out = []
    for combo in itertools.product(*choices):
        url = route.pattern
        for (_conv, name), (_variant, value) in zip(params, combo, strict=True):
            url = re.sub(rf"<(?:\w+:)?{name}>", value, url, count=1)
        variants = {v for v, _value in combo}
        variant = "other" if "other" in variants else "missing" if "missing" in variants else "own"
        out.append((url, variant))
    return out


# --------------------------------------------------------------------------------- bodies


def bodies(data: ClinicData) -> dict[str, Callable[[], dict[str, Any]]]:
    """Valid input for the writes, so that a wrongly admitted write would succeed (a refused
    write must be refused for who asks, not for what is sent). Built per request: a note's
    version changes with every save."""
    from weizhong.clinic.history.versions import version_number
    from weizhong.clinic.models import Note

    patient_form = {
        "given_name": "Matrix",
        "family_name": "Probe",
        "birth_date": "1980-01-02",
        "sex": "female",
        "payer": "self_pay",
        # kept as it is: an edit that cleared it would take the patient out of anyone's care
        "primary_clinician": str(data.patient.primary_clinician_id),
    }

    def note_form() -> dict[str, Any]:
        note = Note.objects.get(visit=data.visit)
        return {"action": "save", "version": str(note.version), "subjective": "matrix probe"}

    return {
        "patient_new": lambda: patient_form,
        "patient_edit": lambda: {
            **patient_form,
            "record_version": str(version_number("patient", data.patient.pk)),
        },
        "portal_manage": lambda: {"action": "issue"},
        "visit_new": lambda: {
            "date": dt.date.today().isoformat(),
            "points": "BL40:both",
            "response": "same",
            "needle_minutes": "20",
            "submit_token": str(uuid.uuid4()),
        },
        "outcome_new": lambda: {"instrument": "nprs", "item_1": "5"},
        "visit": note_form,
        "api_tokens": lambda: {"action": "create", "name": "matrix"},
        "staff": lambda: {
            "action": "add",
            "username": f"probe-{uuid.uuid4().hex[:8]}",
            "first_name": "M",
            "last_name": "P",
            "role": "front_desk",
        },
        "portal_log": lambda: {"pain": "3"},
        "api:create_patient": lambda: {
            "given_name": "Matrix",
            "family_name": "Probe",
            "birth_date": "1980-01-02",
        },
        "api:patch_patient": lambda: {"phone": "555-0100"},
        "api:update_patient": lambda: {
            "given_name": "Ada",
            "family_name": "Runner",
            "birth_date": "1995-03-14",
            "primary_clinician": data.patient.primary_clinician_id,
        },
        "api:create_visit": lambda: {"needle_minutes": 20, "idempotency_key": str(uuid.uuid4())},
        "api:create_outcome": lambda: {"instrument": "nprs", "answers": [4]},
        "api:edit_note": lambda: {"subjective": "matrix probe"},
        "api:create_plan": dict,
        "api:create_case": lambda: {"findings": {}},
        "api:assess_case": lambda: {"findings": {}},
        "api:amend": lambda: {"text": "matrix amendment"},
        **dict.fromkeys(
            (
                "exam_void",
                "plan_void",
                "visit_void",
                "outcome_void",
                "api:void_case",
                "api:void_plan",
                "api:void_visit",
                "api:void_outcome",
            ),
            lambda: {"reason": "matrix probe: entered in error"},
        ),
    }


# ------------------------------------------------------------------------------------ run


@dataclass
class Outcome:
    role: str
    method: str
    url: str
    name: str
    variant: str
    status: int
    location: str
    of_patient: bool = False  # the URL names one of a patient's records


CDS_NAMES = ("cds_service", "cds_feedback")


def cds_body(name: str) -> dict[str, Any]:
    """A well-formed hook or feedback body: only the caller's token can stop it."""
    if name == "cds_feedback":
        return {
            "feedback": [
                {
                    "card": str(uuid.uuid4()),
                    "outcome": "accepted",
                    "outcomeTimestamp": "2026-12-06T10:00:00+00:00",
                }
            ]
        }
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female"}
    observations = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
        "prefetch": {"patient": patient, "observations": observations},
    }


def trusted_ehr_calls(signer: CdsSigner) -> list[str]:
    """The trusted EHR's own signed calls to the hook and the feedback: what went wrong."""
    import json

    from django.test import Client

    problems = []
    for name, url in (
        ("cds_service", "/cds-services/weizhong-back-pain"),
        ("cds_feedback", "/cds-services/weizhong-back-pain/feedback"),
    ):
        response = Client().post(
            url,
            json.dumps(cds_body(name)),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {signer.token(url)}",
        )
        if response.status_code != 200:
            problems.append(f"{url} → {response.status_code}: {response.content[:200]!r}")
    return problems


def main() -> int:
    report = Report("matrix")
    path = data_dir("matrix")
    signer = CdsSigner(path)  # before Django starts: its settings read the clients file's path
    setup_django(path)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # 4xx are the point here
    from django.core import signing
    from django.test import Client

    from weizhong.clinic import portal
    from weizhong.clinic.actions import do_create_api_token

    a, users_a = make_clinic("Riverside", "riverside")
    b, users_b = make_clinic("Hillside", "hillside")
    # Links: A's valid link; A's link of the version before the current one (revoked); a link
    # for B's patient signed with another key (forged).
    valid = portal.url_for(None, a.patient).split("/")[2]
    revoked = signing.dumps({"p": a.patient.pk, "v": 0}, salt=portal.SALT, compress=True)
    forged = signing.dumps(
        {"p": b.patient.pk, "v": 1}, key="not-the-site-key", salt=portal.SALT, compress=True
    )
    tokens = {"valid": valid, "revoked": revoked, "forged": forged}

    # role → (page client, API bearer or None, own clinic data, other clinic data, user)
    setups: dict[str, tuple[Client, str | None, ClinicData, ClinicData, Any]] = {}
    anon = Client()
    setups["anonymous"] = (anon, None, a, b, None)
    patient_client = Client()
    patient_client.get(f"/p/{valid}/")  # the patient has opened their link
    setups["patient"] = (patient_client, valid, a, b, None)
    for role, user, own, other in (
        ("front desk", users_a["front desk"], a, b),
        ("clinician", users_a["clinician"], a, b),
        ("other clinician", users_b["clinician"], b, a),
        ("admin", users_a["admin"], a, b),
        ("colleague", users_a["colleague"], a, b),
    ):
        client = signed_in(user)
        setups[role] = (client, do_create_api_token(user=user, name="matrix")[1], own, other, user)

    all_routes = routes()
    unlisted = sorted({r.name for r in all_routes if r.name not in POLICY and not r.api})
    unlisted += sorted({f"api:{op}" for r in all_routes for op in r.methods.values()} - set(POLICY))
    if unlisted:
        report.note("routes not in the policy table, treated as clinical: " + ", ".join(unlisted))
    print(f"matrix: {len(all_routes)} URL patterns × {len(ROLES)} roles × {len(METHODS)} methods")

    results: list[Outcome] = []
    for role in ROLES:
        client, bearer, own, other, user = setups[role]
        values = values_for(own, other, tokens, a, b)
        writes = bodies(own)
        for route in all_routes:
            of_patient = any(
                param_kind(route, p) in RECORD_KINDS for _c, p in PARAM.findall(route.pattern)
            )
            for url, variant in expand(route, values):
                for method in METHODS:
                    name = route.name
                    if route.api and route.methods:
                        name = f"api:{route.methods.get(method, '')}"
                    body_of = writes.get(name)
                    body = body_of() if body_of else {}
                    status, location = call(client, method, url, route.api, bearer, body, name)
                    if name == "logout" and user is not None:
                        client = signed_in(user)
                        setups[role] = (client, bearer, own, other, user)
                    results.append(
                        Outcome(role, method, url, name, variant, status, location, of_patient)
                    )
    tally(report, results)
    ehr_problems = trusted_ehr_calls(signer)
    report.add("the trusted EHR's signed calls refused", len(ehr_problems), zero=True)
    for problem in ehr_problems:
        report.note(f"TRUSTED EHR REFUSED {problem}")
    report.emit()
    return 1 if report.failed else 0


def signed_in(user: Any) -> Any:
    """A page client logged in as ``user``, past the second factor where one is asked
    (administrators must have one: the session says it was given)."""
    from django.test import Client
    from django.utils import timezone

    client = Client()
    client.force_login(user)
    try:
        from weizhong.clinic.accounts.second_factor import VERIFIED
    except ImportError:  # an installation without a second factor
        return client
    session = client.session
    session[VERIFIED] = timezone.now().isoformat()
    session.save()
    return client


GATES = {"login", "second_factor", "second_factor_setup", "emergency_access", "logout"}


def call(
    client: Any,
    method: str,
    url: str,
    api: bool,
    bearer: str | None,
    body: dict[str, Any],
    name: str,
) -> tuple[int, str]:
    """One request; the status and the Location header."""
    import json

    extra: dict[str, Any] = {}
    if name in CDS_NAMES and method == "POST":  # JSON, so that only the token stands in the way
        response = client.post(url, json.dumps(cds_body(name)), content_type="application/json")
        return response.status_code, response.get("Location", "")
    if api:
        if bearer:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
        if name == "api:edit_note":
            extra["HTTP_IF_MATCH"] = current_etag(url)
        if name in ("api:update_patient", "api:patch_patient"):
            extra["HTTP_IF_MATCH"] = patient_etag(url)
        kwargs: dict[str, Any] = {"content_type": "application/json"}
        payload: Any = json.dumps(body) if method in ("POST", "PUT", "PATCH") else None
    else:
        kwargs = {}
        payload = body if method == "POST" else None
    fn = getattr(client, method.lower())
    if method == "GET":
        response = fn(url, **extra)
    elif method == "POST":
        response = fn(url, payload, **kwargs, **extra) if api else fn(url, payload or {}, **extra)
    elif method in ("PUT", "PATCH"):
        response = fn(
            url,
            payload or "",
            content_type=kwargs.get("content_type", "application/x-www-form-urlencoded"),
            **extra,
        )
    else:
        response = fn(url, **extra)
    return response.status_code, response.get("Location", "")


def current_etag(url: str) -> str:
    from weizhong.clinic.models import Note

    match = re.search(r"/visits/(\d+)/", url)
    note = Note.objects.filter(visit_id=int(match.group(1)) if match else 0).first()
    return f'"note-{note.pk}-v{note.version}"' if note else '"none"'


def patient_etag(url: str) -> str:
    from weizhong.clinic.history.versions import version_number

    match = re.search(r"/patients/(\d+)", url)
    pk = int(match.group(1)) if match else 0
    return f'"patient-{pk}-v{version_number("patient", pk)}"'


def is_success(o: Outcome) -> bool:
    """2xx, or a redirect to a page of data (not to signing in, the second factor or the
    emergency-access question: those are gates, not successes)."""
    if 200 <= o.status < 300:
        return True
    if 300 <= o.status < 400:
        return not is_gate(o.location)
    return False


def is_gate(location: str) -> bool:
    from urllib.parse import urlsplit

    from django.urls import Resolver404, resolve

    try:
        match = resolve(urlsplit(location).path or "/")
    except Resolver404:
        return False
    return match.url_name in GATES


# Answers of a page that got past its permission check to the input (pages check who asks
# before what is sent; the API validates the body's shape first, which reveals nothing).
REACHED = frozenset({409, 412, 422, 428})


def tally(report: Report, results: list[Outcome]) -> None:
    audiences = {r: POLICY.get(r, CLINICAL) for r in {o.name for o in results}}
    counts: Counter[str] = Counter()
    breaches: list[Outcome] = []
    refusals: list[Outcome] = []
    errors: list[Outcome] = []
    oddities: list[Outcome] = []
    for o in results:
        audience = audiences.get(o.name, CLINICAL)
        may = allowed(o.role, audience)
        if audience in (PORTAL, KEY):
            may = o.variant == "own"  # the link is the key, whoever holds it
        if o.role == "colleague" and o.of_patient and o.name != "emergency_access":
            may = False  # outside the care team: the emergency-access question comes first
        if o.status >= 500:
            errors.append(o)
            counts["server errors"] += 1
            continue
        if o.variant == "other" and 200 <= o.status < 300:
            breaches.append(o)
            continue
        if not may or o.variant == "other":
            if is_success(o) or (not o.url.startswith("/api/") and o.status in REACHED):
                breaches.append(o)  # a page that validated the input let the role through
            else:
                counts["refused as expected"] += 1
            continue
        if o.status == 405 or o.name == "api:":
            counts["method not allowed (405)"] += 1
        elif o.variant == "missing":
            if o.status >= 400 or 300 <= o.status < 400:
                counts["refused as expected"] += 1  # nothing there: a 4xx is the right answer
            elif audience == PUBLIC:
                counts["allowed as expected"] += 1
            else:
                oddities.append(o)  # a 2xx for an id that does not exist
        elif audience == PUBLIC and 300 <= o.status < 400:
            counts["allowed as expected"] += 1  # e.g. sign-out sends you to sign in
        elif o.status in (401, 403, 404) or (300 <= o.status < 400 and is_gate(o.location)):
            refusals.append(o)
        else:
            counts["allowed as expected"] += 1
            counts[f"allowed: {o.role}"] += 1
    report.add("combinations tried", len(results))
    report.add("allowed as expected", counts["allowed as expected"])
    report.add("refused as expected", counts["refused as expected"])
    report.add("method not allowed (405)", counts["method not allowed (405)"])
    report.add("unauthorised successes", len(breaches), zero=True)
    report.add("server errors (5xx)", len(errors), zero=True)
    report.add("unexpected refusals (warning)", len(refusals))
    report.add("2xx for a nonexistent id (warning)", len(oddities))
    for o in oddities[:10]:
        report.note(f"2xx for a missing id: {o.role} {o.method} {o.url} ({o.name}) → {o.status}")
    report.note(
        "allowed as expected, by role: "
        + ", ".join(f"{role} {counts[f'allowed: {role}']}" for role in ROLES)
    )
    for o in breaches[:30]:
        report.note(
            f"UNAUTHORISED {o.role} {o.method} {o.url} ({o.name}, {o.variant}) → "
            f"{o.status} {o.location}"
        )
    for o in errors[:30]:
        report.note(f"SERVER ERROR {o.role} {o.method} {o.url} ({o.name}) → {o.status}")
    grouped: Counter[tuple[str, str, str, int]] = Counter(
        (o.role, o.method, o.name, o.status) for o in refusals
    )
    for (role, method, name, status), n in sorted(grouped.items()):
        report.note(f"unexpected refusal: {role} {method} {name} → {status} (×{n})")


if __name__ == "__main__":
    sys.exit(main())
