"""A CDS Hooks 2.0 service: an EHR shows a patient, sends the prefetched Patient and
Observations, and gets back cards from the reasoning core.

- ``GET /cds-services``: discovery (one service, ``weizhong-back-pain``, on ``patient-view``).
- ``POST /cds-services/weizhong-back-pain``: the hook request. The service reads only the
  prefetch (it never calls the EHR's FHIR server: weizhong runs offline), maps the Observations
  with the same importer as FHIR import, runs the assessment and answers with
  - a **critical** card per red flag, with its action;
  - an **info** card when the picture points to tight hamstrings or hip flexors, or to an
    entrapment of the sciatic nerve, with the reasons, the next tests, a suggested referral and a
    link into weizhong;
  - nothing otherwise (a quiet service is a safe one: alarm fatigue is a hazard).
- Errors: malformed JSON or a request missing what the specification requires → 400 with
  ``{"error": ...}`` naming the field; no Patient in the prefetch → 412 (as the specification
  says when the data cannot be obtained); unusable FHIR → 400 with the OperationOutcome.
- CORS for browser-based EHRs (origins from ``WEIZHONG_CDS_ORIGINS``, default any).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from weizhong.case import CaseError, validate_case
from weizhong.clinic.records import services
from weizhong.fhir.importer import FhirImportError, import_bundle
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
DISCOVERY = {
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
    return _json(DISCOVERY)


@csrf_exempt
@with_cors
def service(request: HttpRequest, service_id: str) -> HttpResponse:
    if service_id != SERVICE_ID:
        return _error(f"no service '{service_id[:60]}'; this server offers '{SERVICE_ID}'", 404)
    if request.method == "OPTIONS":
        return _json({}, 200)
    if request.method != "POST":
        return _error("call a CDS service with POST", 405)
    if request.content_type != "application/json":
        return _error("the request body must be JSON (Content-Type: application/json)", 415)
    if len(request.body) > MAX_BODY:
        return _error(f"the request is larger than {MAX_BODY // 1_000_000} MB", 413)
    try:
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError as error:
        return _error(f"the body is not valid JSON: {error}")
    problem = _request_problem(body)
    if problem:
        return _error(problem)
    prefetch = body.get("prefetch") or {}
    patient = prefetch.get("patient")
    if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
        return _error(
            "prefetch.patient (a Patient resource) is needed: this service does not call the "
            "FHIR server",
            412,
        )
    observations = prefetch.get("observations")
    entries: list[dict[str, Any]] = [{"resource": patient}]
    if isinstance(observations, dict) and observations.get("resourceType") == "Bundle":
        entries += [e for e in observations.get("entry") or [] if isinstance(e, dict)]
    elif observations is not None:
        return _error("prefetch.observations must be a Bundle (or null)")
    try:
        imported = import_bundle({"resourceType": "Bundle", "type": "collection", "entry": entries})
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
    return _json({"cards": cards(result, str(body["context"]["patientId"]))})


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


def _source() -> dict[str, Any]:
    return {"label": "weizhong", "url": settings.WEIZHONG_BASE_URL.rstrip("/") + "/"}


def _short(text: str, limit: int = 139) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cards(result: dict[str, Any], patient_id: str) -> list[dict[str, Any]]:
    out = []
    for flag in result["red_flags"]:
        because = ", ".join(b["finding"].replace("_", " ") for b in flag["because"])
        out.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _short(f"Red flag: {flag['name']} ({flag['urgency']})"),
                "indicator": "critical",
                "detail": (
                    f"**{flag['action']}**\n\nBecause: {because}.\n\nSource: {flag['source']}"
                ),
                "source": _source(),
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
                "source": _source(),
            }
        )
        return out
    top = result["differential"][0] if result["differential"] else None
    if top and top["condition"] in ORIGIN_CARDS and top["probability"] >= CARD_THRESHOLD:
        out.append(_origin_card(result, top, patient_id))
    return out


def _origin_card(result: dict[str, Any], top: dict[str, Any], patient_id: str) -> dict[str, Any]:
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
        "source": _source(),
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
                "url": settings.WEIZHONG_BASE_URL.rstrip("/") + "/patients/",
                "type": "absolute",
            }
        ],
    }
