"""A CDS Hooks 2.0 service: an EHR shows a patient, sends the prefetched Patient and
Observations, and gets back cards from the reasoning core.

- ``GET /cds-services``: discovery (one service, ``weizhong-back-pain``, on ``patient-view``).
- ``POST /cds-services/weizhong-back-pain``: the hook request. The service reads the prefetch;
  a prefetch key left out is read from ``fhirServer`` when the request names one
  (:mod:`~weizhong.clinic.interop.cds_fetch`). The Observations are mapped with the same
  importer as FHIR import, leniently: only results that may be relied on are read (final,
  amended, corrected; preliminary ones named as such in the card), about this patient; a
  malformed or duplicated resource, or an OperationOutcome in place of a prefetch (or among its
  entries), is set aside and the rest is still read, so a red flag is never lost. The answer:
  - a **critical** card per red flag, with its action;
  - an **info** card when the picture points to tight hamstrings or hip flexors, or to an
    entrapment of the sciatic nerve, with the reasons, the next tests, a suggested referral and a
    link into weizhong;
  - an **info** card naming what was set aside (retracted, another patient's, unreadable, not
    given by the EHR), and everything set aside as an OperationOutcome in the answer's
    ``extension`` (``dev.weizhong.not-used``);
  - nothing otherwise (a quiet service is a safe one: alarm fatigue is a hazard).
- Errors: malformed JSON or a request missing what the specification requires → 400 with
  ``{"error": ...}`` naming the field; no Patient to be had (none prefetched, no server, or the
  server failed) or a Patient other than ``context.patientId`` → 412.
- CORS for browser-based EHRs (origins from ``WEIZHONG_CDS_ORIGINS``, default any).
- Who may call: a CDS client of the clinic's trusted-clients file, with a signed JWT
  (:mod:`~weizhong.clinic.interop.cds_auth`); else 401. ``fhirServer`` is read only when it is
  one of that client's FHIR servers; a missing prefetch with any other server is 412, and no
  request is ever sent to it. Discovery is open. Development mode (no HTTPS, no trusted client):
  no token needed, and ``fhirServer`` is never read.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from weizhong.case import CaseError, validate_case
from weizhong.clinic.accounts.http import DEVELOPMENT_BASE_URL, base_url
from weizhong.clinic.interop.cds_auth import authenticate, development_mode
from weizhong.clinic.interop.cds_clients import ClientsFileError
from weizhong.clinic.interop.cds_fetch import FetchError, FhirServer
from weizhong.clinic.records import services
from weizhong.fhir.importer import FhirImportError, import_bundle
from weizhong.numbers import number
from weizhong.reasoning.assessment import assess

SERVICE_ID = "weizhong-back-pain"
HOOK = "patient-view"
MAX_BODY = 2_000_000
# Conditions whose card tells the clinician that the back may not be the problem.
ORIGIN_CARDS = {
    "hamstring_tightness": "Back pain may come from short hamstrings",
    "hip_flexor_tightness": "Back pain may come from short hip flexors",
    "sciatic_nerve_entrapment": "Leg pain may be the sciatic nerve caught outside the spine",
}
CARD_THRESHOLD = 0.5  # the leading condition must be at least this probable to earn a card
DISCOVERY: dict[str, Any] = {
    "services": [
        {
            "hook": HOOK,
            "id": SERVICE_ID,
            "title": "weizhong: where does this back pain come from?",
            "description": (
                "Red flags first; then whether low back pain looks driven by short hamstrings "
                "or hip flexors, or by the sciatic nerve caught outside the spine, with the "
                "reasons and the next tests."
            ),
            "prefetch": {
                "patient": "Patient/{{context.patientId}}",
                "observations": "Observation?patient={{context.patientId}}",
            },
            "usageRequirements": "Observations coded with the weizhong finding code system "
            "(https://weizhong.dev/fhir/CodeSystem/finding) or LOINC 72514-3 (pain severity).",
        }
    ]
}
# Added to the service's description and usage requirements in development mode.
DEVELOPMENT_NOTE = (
    " Development mode (no HTTPS, no trusted CDS client): calls need no token, and fhirServer "
    "is never read, so send every prefetch."
)


def _json(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


def allowed_origin(origin: str, allowed: tuple[str, ...]) -> str | None:
    """The ``Access-Control-Allow-Origin`` to send for a request from ``origin``: ``*`` when
    any origin may call (the default), the origin itself when it is listed, else none (the
    browser then keeps the answer from the page)."""
    if "*" in allowed:
        return "*"
    return origin if origin and origin in allowed else None


def with_cors(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """CORS for browser-based EHRs, from ``WEIZHONG_CDS_ORIGINS`` (comma-separated origins
    such as ``https://ehr.example.org``; default ``*``, any)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        allowed: tuple[str, ...] = settings.WEIZHONG_CDS_ORIGINS
        origin = allowed_origin(request.headers.get("Origin", ""), allowed)
        if origin is not None:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
            response["Access-Control-Max-Age"] = "86400"
        if "*" not in allowed:
            response["Vary"] = "Origin"
        return response

    return wrapped


def _error(message: str, status: int = 400) -> HttpResponse:
    return _json({"error": message}, status)


@csrf_exempt
@with_cors
def discovery(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _json({}, 200)
    if request.method != "GET":
        return _error("use GET for discovery", 405)
    try:
        open_to_all = development_mode()
    except ClientsFileError:
        open_to_all = False  # the hook answers 503 and the log says why
    if not open_to_all:
        return _json(DISCOVERY)
    (listed,) = DISCOVERY["services"]
    return _json(
        {
            "services": [
                {
                    **listed,
                    "description": listed["description"] + DEVELOPMENT_NOTE,
                    "usageRequirements": listed["usageRequirements"] + DEVELOPMENT_NOTE,
                }
            ]
        }
    )


def read_json_post(
    request: HttpRequest, service_id: str, *, use_post: str, max_body: int, too_large: str
) -> Any:
    """The JSON body of a POST to this service, or the HttpResponse that refuses it (an unknown
    service, a preflight, another method, not JSON, too large): shared by the service and its
    feedback endpoint."""
    if service_id != SERVICE_ID:
        return _error(f"no service '{service_id[:60]}'; this server offers '{SERVICE_ID}'", 404)
    if request.method == "OPTIONS":
        return _json({}, 200)
    if request.method != "POST":
        return _error(use_post, 405)
    if request.content_type != "application/json":
        return _error("the request body must be JSON (Content-Type: application/json)", 415)
    if len(request.body) > max_body:
        return _error(too_large, 413)
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError as error:
        return _error(f"the body is not valid JSON: {error}")


@csrf_exempt
# No transaction around the call (see audit.trail): its one write, the token's jti and the
# call's audit event, is a short transaction of its own (actions.do_note_cds_call).
@transaction.non_atomic_requests
@with_cors
def service(request: HttpRequest, service_id: str) -> HttpResponse:
    body = read_json_post(
        request,
        service_id,
        use_post="call a CDS service with POST",
        max_body=MAX_BODY,
        too_large=f"the request is larger than {MAX_BODY // 1_000_000} MB",
    )
    if isinstance(body, HttpResponse):
        return body
    caller = authenticate(request, service_id, feedback=False)
    if isinstance(caller, HttpResponse):
        return caller
    problem = _request_problem(body)
    if problem:
        return _error(problem)
    patient_id = str(body["context"]["patientId"])
    try:
        server = FhirServer.from_request(body)  # its shape only: nothing is sent yet
    except FetchError as error:
        return _error(str(error))
    prefetch = body.get("prefetch") or {}
    missing = [key for key in ("patient", "observations") if key not in prefetch]
    if server is not None and not caller.may_name(server.base):
        if missing:  # never a request to a server this caller may not name
            return _error(caller.untrusted_server(missing), 412)
        server = None
    notes: list[str] = []  # what the service could not read, in words
    patient, entries = _gathered(prefetch, patient_id, server, notes)
    if isinstance(patient, HttpResponse):
        return patient
    try:
        imported = import_bundle(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": patient}, *entries],
            },
            lenient=True,
        )
    except FhirImportError as error:
        return _json(
            {"error": "the prefetched FHIR data cannot be read", "outcome": error.outcome}, 400
        )
    case_patient = {
        key: imported.patient[key]
        for key in ("sex", "pregnant", "medications", "devices", "conditions")
        if imported.patient.get(key) is not None
    }
    if age := _age(imported.patient.get("birth_date")):
        case_patient["age"] = age
    raw = {"format": "weizhong.case/1", "patient": case_patient, "findings": imported.findings}
    try:
        case = validate_case(raw, services.knowledge())
    except CaseError as error:
        return _error("; ".join(str(p) for p in error.problems))
    result = assess(case, services.knowledge())
    ignored = notes + imported.ignored
    base = base_url(request)
    out = cards(result, patient_id, preliminary=imported.preliminary, base=base)
    if card := _not_used_card(ignored, base):
        out.append(card)
    answer: dict[str, Any] = {"cards": out}
    if ignored:
        # Everything set aside, for the EHR's logs (CDS Hooks extensions are named by reverse
        # domain): an OperationOutcome of information issues.
        answer["extension"] = {"dev.weizhong.not-used": _ignored_outcome(ignored)}
    return _json(answer)


def _gathered(
    prefetch: dict[str, Any], patient_id: str, server: FhirServer | None, notes: list[str]
) -> tuple[dict[str, Any] | HttpResponse, list[dict[str, Any]]]:
    """The Patient and the Observation entries to read: from the prefetch, else from the FHIR
    server; an OperationOutcome in their place (or among the entries) is listed in ``notes``
    and what is known is still read. The Patient is a response (412) when none can be had."""
    patient = prefetch.get("patient")
    fetch_error = None
    if patient is None and server is not None:
        try:
            patient = server.patient(patient_id)
        except FetchError as error:
            fetch_error = str(error)
    observations: Any = prefetch.get("observations")
    if "observations" not in prefetch and server is not None:
        try:
            observations = server.observations(patient_id)
        except FetchError as error:
            notes.append(f"Observations: {error}")
    entries: list[dict[str, Any]] = []
    if _is(observations, "Bundle"):
        for entry in observations.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if _is(resource, "OperationOutcome"):
                notes.append(f"Observations: the EHR reported {_diagnostics(resource)}")
            elif isinstance(entry, dict):
                entries.append(entry)
    elif _is(observations, "OperationOutcome"):
        notes.append(f"Observations: the EHR could not give them ({_diagnostics(observations)})")
    elif observations is not None:
        return _error("prefetch.observations must be a Bundle (or null)"), []
    if _is(patient, "OperationOutcome"):
        # The EHR could not give the Patient: the findings are still read (a red flag among
        # them must not be lost), for a patient whose sex and age are unknown.
        notes.append(f"Patient: the EHR could not give it ({_diagnostics(patient)})")
        patient = {"resourceType": "Patient", "id": patient_id}
    if not _is(patient, "Patient"):
        if fetch_error:
            return _error(f"the Patient could not be read: {fetch_error}", 412), []
        return _error(
            "prefetch.patient (a Patient resource) is needed; only a trusted CDS client may "
            "instead name a fhirServer listed for it in the clinic's CDS clients file",
            412,
        ), []
    assert isinstance(patient, dict)
    if patient.get("id") not in (None, patient_id):
        return _error(
            f"prefetch.patient is Patient/{str(patient.get('id'))[:64]}, not the patient of "
            "context.patientId",
            412,
        ), []
    return {**patient, "id": patient_id}, entries


def _is(resource: Any, kind: str) -> bool:
    return isinstance(resource, dict) and resource.get("resourceType") == kind


def _diagnostics(outcome: Any) -> str:
    texts = [
        str(issue.get("diagnostics") or (issue.get("details") or {}).get("text") or "")
        for issue in outcome.get("issue") or []
        if isinstance(issue, dict)
    ]
    said = "; ".join(t for t in texts if t)[:200]
    return f"an OperationOutcome: {said}" if said else "an OperationOutcome"


def _request_problem(body: Any) -> str | None:
    """What a CDS Hooks request lacks, in words; None when it is well formed."""
    if not isinstance(body, dict):
        return "the request must be a JSON object"
    if body.get("hook") != HOOK:
        return f"hook must be '{HOOK}' for this service (got {str(body.get('hook'))[:40]!r})"
    try:
        uuid.UUID(str(body.get("hookInstance", "")))
    except ValueError:
        return "hookInstance must be a UUID"
    context = body.get("context")
    if not isinstance(context, dict) or not isinstance(context.get("patientId"), str):
        return "context.patientId (a string) is required"
    if "prefetch" in body and not isinstance(body["prefetch"], dict | None):
        return "prefetch must be an object"
    return None


def _age(birth_date: Any) -> int | None:
    import datetime as dt

    try:
        born = dt.date.fromisoformat(str(birth_date))
    except ValueError:
        return None
    today = dt.date.today()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years if 0 <= years <= 120 else None


def _source(base: str) -> dict[str, Any]:
    return {"label": "weizhong", "url": base + "/"}


def _short(text: str, limit: int = 139) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cards(
    result: dict[str, Any],
    patient_id: str,
    preliminary: Sequence[str] = (),
    base: str = DEVELOPMENT_BASE_URL,
) -> list[dict[str, Any]]:
    """The cards for one assessment, their links under ``base`` (the clinic's public address);
    findings read from preliminary results are named as such in the card that relies on them."""
    out = []
    for flag in result["red_flags"]:
        because = ", ".join(
            _words(b["finding"]) + (" (preliminary)" if b["finding"] in preliminary else "")
            for b in flag["because"]
        )
        out.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _short(f"Red flag: {flag['name']} ({flag['urgency']})"),
                "indicator": "critical",
                "detail": (
                    f"**{flag['action']}**\n\nBecause: {because}.\n\nSource: {flag['source']}"
                    + _preliminary_note([b["finding"] for b in flag["because"]], preliminary)
                ),
                "source": _source(base),
            }
        )
    screen = result.get("red_flag_screen") or {}
    if screen.get("cauda_equina_unscreened") and not any(
        f["id"] == "cauda_equina_syndrome" for f in result["red_flags"]
    ):
        # Leg symptoms with a cardinal question unanswered: ask before anything else (HZ-01).
        out.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _short("Ask the cauda equina questions before treating"),
                "indicator": "warning",
                "detail": str(screen.get("summary", "")),
                "source": _source(base),
            }
        )
        return out
    if any(f["urgency"] in ("emergency", "urgent") for f in result["red_flags"]):
        # The referral comes first and alone: no treatment suggestion beside it (as the plan
        # withholds treatment under an urgent flag).
        return out
    top = result["differential"][0] if result["differential"] else None
    if top and top["condition"] in ORIGIN_CARDS and top["probability"] >= CARD_THRESHOLD:
        card = _origin_card(result, top, patient_id, base)
        card["detail"] += _preliminary_note(list(preliminary), preliminary)
        out.append(card)
    return out


def _words(name: str) -> str:
    return name.replace("_", " ")


def _preliminary_note(used: Sequence[str], preliminary: Sequence[str]) -> str:
    named = [_words(n) for n in used if n in preliminary]
    if not named:
        return ""
    return (
        "\n\n*Preliminary results (not yet final) were used: "
        + ", ".join(named)
        + ". Confirm them.*"
    )


# What was set aside that the clinician should know of: retracted, another patient's,
# unreadable, or not given by the EHR (not merely data weizhong does not use).
_WORTH_SAYING = (
    "status '",
    "verification status",
    "not this bundle's patient",
    "(not read)",
    "disagrees with",
    "Patient: ",
    "Observations: ",
)


def _not_used_card(ignored: Sequence[str], base: str) -> dict[str, Any] | None:
    """An information card listing what was set aside and why, so that a clinician never takes
    a quiet service for one that saw everything; None when nothing of note was set aside."""
    said = [text for text in ignored if any(key in text for key in _WORTH_SAYING)]
    if not said:
        return None
    shown = [_words(text) for text in said[:8]]
    more = len(said) - len(shown)
    detail = "These records were not used for the cards above:\n\n" + "\n".join(
        f"- {text}" for text in shown
    )
    if more:
        detail += f"\n- and {number(more)} more"
    return {
        "uuid": str(uuid.uuid4()),
        "summary": _short(
            f"{number(len(said))} record{'s' if len(said) != 1 else ''} not used "
            "(retracted, another patient's, or unreadable)"
        ),
        "indicator": "info",
        "detail": detail,
        "source": _source(base),
    }


def _ignored_outcome(ignored: Sequence[str]) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "information", "code": "informational", "diagnostics": text}
            for text in ignored
        ],
    }


def _origin_card(
    result: dict[str, Any], top: dict[str, Any], patient_id: str, base: str
) -> dict[str, Any]:
    percent = round(top["probability"] * 100)
    reasons = [r["text"] for r in top["because"] if r.get("counted") and r["effect"] == "raises"]
    tests = [t.get("label") or t["finding"] for t in result["next_tests"][:3]]
    detail = [f"{top['name']}: {percent}% (prior {round(top['prior'] * 100)}%)."]
    if reasons:
        detail.append("Why:\n" + "\n".join(f"- {r}" for r in reasons[:5]))
    if tests:
        detail.append("Worth examining next:\n" + "\n".join(f"- {t}" for t in tests))
    referral = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "subject": {"reference": f"Patient/{patient_id}"},
        "code": {"text": "Musculoskeletal assessment: muscle length and nerve mobility"},
        "reasonCode": [{"text": top["name"]}],
    }
    return {
        "uuid": str(uuid.uuid4()),
        "summary": _short(f"{ORIGIN_CARDS[top['condition']]} ({percent}%)"),
        "indicator": "info",
        "detail": "\n\n".join(detail),
        "source": _source(base),
        "suggestions": [
            {
                "label": "Refer for a muscle-length and nerve examination",
                "uuid": str(uuid.uuid4()),
                "actions": [
                    {
                        "type": "create",
                        "description": "Draft a referral for the examination",
                        "resource": referral,
                    }
                ],
            }
        ],
        "selectionBehavior": "at-most-one",
        "links": [
            {
                "label": "Open weizhong",
                "url": base + "/patients/",
                "type": "absolute",
            }
        ],
    }
