"""Hostile input: oversized bodies, wrong content types, deeply nested JSON, script injection in
every text field, broken FHIR bundles and CDS Hooks requests. Every answer is a clear 4xx (or a
2xx where the input is legitimately accepted as text), never a 5xx; a script typed into a field
never comes back unescaped on any page, and the PDFs print it as plain characters.

How: Django's test client in-process (exceptions turned into 500 answers, as in production) on
a fresh SQLite database; a clinician who is also the clinic's administrator (so the audit page
can be read) with a session for the pages and a bearer token for the API.

1. Size: bodies above ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (1.5 MB) and of 20 MB to the API, a page
   form, CDS Hooks and FHIR import.
2. Content types: JSON sent as text/plain, XML, form-encoded, multipart, none; invalid UTF-8;
   JSON whose top level is not an object; empty bodies.
3. Nesting: arrays and objects 10,000 levels deep (and 900, which parsers accept, so the code
   behind them sees it) to every JSON endpoint that takes a body, and to CDS Hooks.
4. Script injection: ``<script>alert(1)</script>`` and ``"><img src=x onerror=alert(1)>`` in
   every text field of the patient, the visit, the note, the plan's note, an amendment, the
   clinic settings and a sign-in name (which the audit trail records), through the pages' forms
   and through the API (outcomes have no free text: their instrument name is tried instead).
   Then every page that shows them (dashboard, patient list and its search, chart, edit form,
   visit, plan, plan editor, outcomes, settings, audit trail) must not contain either payload
   raw, and the handout and superbill PDFs must hold the literal characters in their text.
5. FHIR: broken bundles to ``POST /api/v1/fhir/import`` and the import page; broken CDS Hooks
   requests. Every CDS Hooks call carries a valid token of a trusted EHR (a fresh one each), so
   that the hostile input reaches the service behind the token check; and hostile tokens
   (``alg: none``, HS256, garbage, 100 KB, a script, another issuer) must each get a 401.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CdsSigner, Report, data_dir, fixtures, setup_django

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"Q{SCRIPT}{IMG}"
RAW = (SCRIPT, "<img src=x onerror=alert(1)>")
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;")
CDS = "/cds-services/weizhong-back-pain"


class Tracebacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.seen) < 5:
            import traceback

            text = record.getMessage()
            if record.exc_info:
                text += "\n" + "".join(traceback.format_exception(*record.exc_info))
            self.seen.append(text)


class Prober:
    """Sends the requests, tallies the answers by group, keeps the 5xx."""

    def __init__(self, page: Any, api: Any, token: str, cds: CdsSigner) -> None:
        self.cds = cds
        self.page = page
        self.api = api
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        self.answers: Counter[str] = Counter()
        self.server_errors: list[str] = []
        self.unclear: list[str] = []
        self.cds_token_misses: list[str] = []  # hostile CDS tokens not refused with 401
        self.accepted: list[str] = []  # 2xx to input that is not plainly valid: listed

    def send(
        self,
        group: str,
        method: str,
        url: str,
        body: Any = b"",
        content_type: str = "",
        api: bool = True,
        headers: dict[str, str] | None = None,
        accept: tuple[int, ...] = (),
    ) -> Any:
        client = self.api if api else self.page
        extra = {**(self.auth if api else {}), **(headers or {})}
        if url.startswith("/cds-services/") and "HTTP_AUTHORIZATION" not in extra:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.cds.token(url)}"
        if method == "GET":
            response = client.get(url, **extra)
        elif isinstance(body, dict) and not content_type:
            response = client.generic(
                method,
                url,
                data=_form(body),
                content_type="application/x-www-form-urlencoded",
                **extra,
            )
        else:
            data = body if isinstance(body, bytes) else str(body).encode()
            response = client.generic(method, url, data=data, content_type=content_type, **extra)
        status = response.status_code
        kind = f"{status // 100}xx"
        self.answers[kind] += 1
        self.answers[f"{group}: {kind}"] += 1
        label = f"{group}: {method} {url[:80]} ({content_type or 'form'}, {_size(body)}) → {status}"
        if status >= 500:
            self.server_errors.append(label)
        elif 200 <= status < 300 and not group.startswith(("script", "pages", "PDFs")):
            self.accepted.append(label)
        elif 400 <= status < 500 or status in accept or 200 <= status < 400:
            pass
        else:
            self.unclear.append(label)
        return response


def _form(data: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)


def _size(body: Any) -> str:
    n = len(body) if isinstance(body, bytes | str) else len(json.dumps(body))
    return f"{n / 1e6:.1f} MB" if n > 100_000 else f"{n} B"


def nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


# ------------------------------------------------------------------------- the sections


def sizes(p: Prober, patient: int) -> None:
    big = b"x" * 1_500_000
    huge = b"x" * 20_000_000
    for label, filler in (("1.5 MB", big), ("20 MB", huge)):
        name = filler.decode()
        body = json.dumps({"given_name": name, "family_name": "X", "birth_date": "1990-01-01"})
        p.send(f"size {label}", "POST", "/api/v1/patients", body, "application/json")
        p.send(
            f"size {label}",
            "POST",
            "/api/v1/fhir/import",
            json.dumps({"resourceType": "Bundle", "type": "collection", "x": name}),
            "application/json",
        )
        p.send(f"size {label}", "PUT", f"/api/v1/patients/{patient}", body, "application/json")
        p.send(
            f"size {label}", "POST", CDS, json.dumps({"hook": name}), "application/json", api=False
        )
        p.send(
            f"size {label}",
            "POST",
            "/patients/new/",
            {"given_name": name, "family_name": "X", "birth_date": "1990-01-01"},
            api=False,
        )
        upload = io.BytesIO(filler)
        upload.name = "bundle.json"
        response = p.page.post("/fhir/import/", {"bundle": upload})
        _tally_upload(p, f"size {label}", response.status_code, "/fhir/import/ upload")


def _tally_upload(p: Prober, group: str, status: int, what: str) -> None:
    kind = f"{status // 100}xx"
    p.answers[kind] += 1
    p.answers[f"{group}: {kind}"] += 1
    if status >= 500:
        p.server_errors.append(f"{group}: {what} → {status}")


def content_types(p: Prober, patient: int) -> None:
    good = json.dumps({"given_name": "Type", "family_name": "Probe", "birth_date": "1990-01-01"})
    for ctype in (
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "",
        "application/json; charset=latin-1",
        "application/octet-stream",
        "image/png",
    ):
        p.send("content type", "POST", "/api/v1/patients", good, ctype)
        p.send("content type", "PUT", f"/api/v1/patients/{patient}", good, ctype)
        p.send("content type", "POST", "/api/v1/assess", '{"findings": {}}', ctype)
        p.send("content type", "POST", CDS, '{"hook": "patient-view"}', ctype, api=False)
    for body in (
        b"\xff\xfe\x00garbage",
        b"",
        b"null",
        b"[]",
        b'"text"',
        b"42",
        b"{",
        b'{"given_name": NaN}',
        b"\x00" * 64,
        '{"given_name": "\ud800"}'.encode("utf-8", "surrogatepass"),
    ):
        for url in (
            "/api/v1/patients",
            "/api/v1/fhir/import",
            "/api/v1/assess",
            f"/api/v1/patients/{patient}/visits",
            f"/api/v1/patients/{patient}/cases",
            f"/api/v1/patients/{patient}/outcomes",
        ):
            p.send("malformed JSON", "POST", url, body, "application/json")
        p.send("malformed JSON", "POST", CDS, body, "application/json", api=False)


def nesting(p: Prober, patient: int, exam: int, visit: int) -> None:
    urls = [
        ("POST", "/api/v1/patients"),
        ("PUT", f"/api/v1/patients/{patient}"),
        ("POST", "/api/v1/assess"),
        ("POST", f"/api/v1/patients/{patient}/cases"),
        ("POST", f"/api/v1/cases/{exam}/plans"),
        ("POST", f"/api/v1/patients/{patient}/visits"),
        ("PUT", f"/api/v1/visits/{visit}/note"),
        ("POST", f"/api/v1/visits/{visit}/amendments"),
        ("POST", f"/api/v1/patients/{patient}/outcomes"),
        ("POST", "/api/v1/fhir/import"),
    ]
    for depth in (900, 10_000):
        for kind in ("array", "object"):
            raw = nested(depth, kind)
            for method, url in urls:
                p.send(
                    f"nested {depth}",
                    method,
                    url,
                    raw,
                    "application/json",
                    headers={"HTTP_IF_MATCH": '"x"'},
                )
            p.send(f"nested {depth}", "POST", CDS, raw, "application/json", api=False)
            inner = raw.decode()
            wrapped = [
                ("POST", f"/api/v1/patients/{patient}/cases", f'{{"findings": {{"x": {inner}}}}}'),
                ("POST", "/api/v1/assess", f'{{"findings": {inner}}}'),
                (
                    "POST",
                    "/api/v1/fhir/import",
                    f'{{"resourceType": "Bundle", "type": "collection", "entry": [{{"resource": '
                    f'{{"resourceType": "Patient", "extension": {inner}}}}}]}}',
                ),
                ("POST", f"/api/v1/patients/{patient}", f'{{"given_name": {inner}}}'),
            ]
            for method, url, body in wrapped:
                p.send(f"nested {depth}", method, url, body, "application/json")
            cds = (
                f'{{"hook": "patient-view", "hookInstance": "{uuid.uuid4()}", '
                f'"context": {{"patientId": "1", "x": {inner}}}, "prefetch": {{"patient": '
                f'{{"resourceType": "Patient", "id": "1", "extension": {inner}}}}}}}'
            )
            p.send(f"nested {depth}", "POST", CDS, cds, "application/json", api=False)


def bad_bundles() -> list[Any]:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "name": [{"family": "B", "given": ["A"]}],
        "birthDate": "1990-01-01",
        "gender": "female",
    }

    def bundle(*resources: Any, **extra: Any) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
            **extra,
        }

    def obs(**fields: Any) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "status": "final",
            "subject": {"reference": "Patient/p1"},
            **fields,
        }

    finding = {
        "coding": [
            {"system": "https://weizhong.dev/fhir/CodeSystem/finding", "code": "slr_left_deg"}
        ]
    }
    return [
        {},
        [],
        "bundle",
        42,
        None,
        {"resourceType": "Patient"},
        {"resourceType": "Bundle"},
        {"resourceType": "Bundle", "entry": "x"},
        {"resourceType": "Bundle", "entry": [None]},
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": None}]},
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": "x"}]},
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": []}]},
        {"resourceType": "Bundle", "type": "nonsense", "entry": [{"resource": patient}]},
        bundle(),
        bundle(patient, patient),
        bundle({**patient, "birthDate": "9999-99-99"}),
        bundle({**patient, "gender": "x"}),
        bundle({**patient, "name": 5}),
        bundle({**patient, "name": [{"given": [SCRIPT], "family": IMG}]}),
        bundle(patient, obs()),
        bundle(patient, obs(code=finding)),
        bundle(patient, obs(code=finding, valueQuantity={"value": "abc"})),
        bundle(patient, obs(code=finding, valueQuantity={"value": 1e308})),
        bundle(patient, obs(code=finding, valueQuantity={"value": -1e308})),
        bundle(patient, obs(code=finding, valueQuantity={"value": 10**30})),
        bundle(patient, obs(code=finding, valueBoolean="yes")),
        bundle(patient, obs(code={"coding": "x"}, valueQuantity={"value": 1})),
        bundle(
            patient, obs(code={"coding": [{"system": SCRIPT, "code": IMG}]}, valueString=SCRIPT)
        ),
        bundle(
            patient, obs(code=finding, valueQuantity={"value": 40}, effectiveDateTime="not a date")
        ),
        bundle(
            patient,
            {
                "resourceType": "QuestionnaireResponse",
                "status": "completed",
                "questionnaire": "x",
                "item": "x",
            },
        ),
        bundle(
            patient,
            {
                "resourceType": "QuestionnaireResponse",
                "status": "completed",
                "questionnaire": "https://weizhong.dev/fhir/Questionnaire/odi",
                "item": [{"linkId": "1", "answer": [{"valueInteger": 99}]}],
            },
        ),
        bundle(patient, {"resourceType": "NoSuchType"}),
        bundle(patient, {"resourceType": "MedicationStatement", "status": "active"}),
        bundle(patient, *[obs(code=finding, valueQuantity={"value": n % 90}) for n in range(3000)]),
    ]


def fhir(p: Prober) -> None:
    for bundle in bad_bundles():
        p.send(
            "bad FHIR bundle", "POST", "/api/v1/fhir/import", json.dumps(bundle), "application/json"
        )
        upload = io.BytesIO(json.dumps(bundle).encode())
        upload.name = "bundle.json"
        response = p.page.post("/fhir/import/", {"bundle": upload})
        _tally_upload(p, "bad FHIR bundle", response.status_code, "/fhir/import/ upload")
    for raw in (b"not json", b"\xff\xfe", b""):
        upload = io.BytesIO(raw)
        upload.name = "bundle.json"
        response = p.page.post("/fhir/import/", {"bundle": upload})
        _tally_upload(p, "bad FHIR bundle", response.status_code, "/fhir/import/ upload")
    hook = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": "p1", "userId": "Practitioner/1"},
    }
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1990-01-01"}
    for body in (
        {},
        {**hook, "hook": "order-select"},
        {**hook, "hookInstance": "x"},
        {**hook, "context": None},
        {**hook, "context": {"patientId": 5}},
        {**hook, "prefetch": 5},
        {**hook, "prefetch": {"patient": "Patient/1"}},
        {**hook, "prefetch": {"patient": None}},
        {**hook, "prefetch": {"patient": patient, "observations": "x"}},
        {
            **hook,
            "prefetch": {
                "patient": patient,
                "observations": {"resourceType": "Bundle", "entry": [5, None, "x"]},
            },
        },
        {**hook, "prefetch": {"patient": {**patient, "birthDate": SCRIPT}}},
        {**hook, "prefetch": {"patient": patient, "observations": bad_bundles()[-2]}},
        {**hook, "fhirAuthorization": {"access_token": SCRIPT}},
    ):
        p.send("bad CDS request", "POST", CDS, json.dumps(body), "application/json", api=False)
    p.send("bad CDS request", "PUT", CDS, "{}", "application/json", api=False)
    cds_tokens(p, json.dumps({**hook, "prefetch": {"patient": patient}}))
    p.send(
        "bad CDS request",
        "POST",
        "/cds-services/" + "x" * 5000,
        "{}",
        "application/json",
        api=False,
    )


def cds_tokens(p: Prober, body: str) -> None:
    """Hostile bearer tokens to CDS Hooks: each must be a 401, never a 5xx or an answer."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    real = p.cds.token(CDS)
    head, claims, _signature = real.split(".")
    none = b64(b'{"alg":"none","typ":"JWT"}')
    hs256 = b64(b'{"alg":"HS256","typ":"JWT"}')
    mac = hmac.new(b"guess", f"{hs256}.{claims}".encode(), hashlib.sha256).digest()
    for label, bearer in (
        ("alg none", f"{none}.{claims}."),
        ("HS256", f"{hs256}.{claims}.{b64(mac)}"),
        ("garbage", "x.y.z"),
        ("100 KB", "a" * 100_000),
        ("script", SCRIPT),
        ("no signature", f"{head}.{claims}."),
        ("nested header", b64(b'{"alg":{"alg":{"alg":[]}}}') + f".{claims}.x"),
        ("non-ASCII", "Bearer\u00e9"),
    ):
        response = p.send(
            "hostile CDS tokens",
            "POST",
            CDS,
            body,
            "application/json",
            api=False,
            headers={"HTTP_AUTHORIZATION": f"Bearer {bearer}"},
        )
        if response.status_code != 401:
            p.cds_token_misses.append(f"{label} → {response.status_code}, not 401")
    replayed = p.cds.token(CDS)
    for group in ("a CDS token's first use", "hostile CDS tokens"):
        last = p.send(
            group,
            "POST",
            CDS,
            body,
            "application/json",
            api=False,
            headers={"HTTP_AUTHORIZATION": f"Bearer {replayed}"},
        )
    if last.status_code != 401:
        p.cds_token_misses.append(f"replayed → {last.status_code}, not 401")


# ---------------------------------------------------------------------- script injection


def inject(p: Prober, f: Any, doc: Any, clinic: Any) -> dict[str, Any]:
    """Payloads into every text field; returns the records made, to look at them after."""
    from django.test import Client

    from weizhong.clinic.models import Exam, Note, Patient, Plan, Visit

    made: dict[str, Any] = {}
    settings = {
        "name": PAYLOAD,
        "address": PAYLOAD,
        "phone": IMG[:40],
        "email": "clinic@example.org",
        "provider_id": "1234567893",
        "tax_id": IMG[:40],
        "rounds_before_reevaluation": "6",
        "visits_per_week": "2",
        "portal_link_days": "90",
    }
    p.send("script: settings form", "POST", "/settings/", settings, api=False)
    patient_fields = {
        "given_name": PAYLOAD,
        "family_name": "Zed" + PAYLOAD,
        "birth_date": "1985-05-05",
        "sex": "female",
        "phone": IMG[:40],
        "email": "zed@example.org",
        "occupation": PAYLOAD,
        "address": PAYLOAD,
        "payer": "commercial",
        "member_id": PAYLOAD[:60],
        "medications": PAYLOAD,
    }
    # devices and conditions are choices, not free text: a payload there must be refused
    p.send(
        "script: patient form",
        "POST",
        "/patients/new/",
        {**patient_fields, "devices": PAYLOAD, "conditions": PAYLOAD},
        api=False,
    )
    answer = p.send("script: patient form", "POST", "/patients/new/", patient_fields, api=False)
    patient = Patient.objects.filter(family_name="Zed" + PAYLOAD).order_by("-pk").first()
    if patient is None:
        raise SystemExit(
            f"the patient form refused the payload patient: {answer.status_code} "
            f"{answer.get('Location')} {answer.content[:3000]!r}"
        )
    made["patient"] = patient
    api_patient = {**patient_fields, "family_name": "Api" + PAYLOAD, "medications": [PAYLOAD]}
    p.send(
        "script: patient API",
        "POST",
        "/api/v1/patients",
        json.dumps({**api_patient, "devices": [PAYLOAD], "conditions": [PAYLOAD]}),
        "application/json",
    )
    p.send(
        "script: patient API",
        "POST",
        "/api/v1/patients",
        json.dumps(api_patient),
        "application/json",
    )
    from weizhong.clinic.history.versions import version_number

    p.send(
        "script: patient API",
        "PUT",
        f"/api/v1/patients/{patient.pk}",
        json.dumps({**api_patient, "family_name": "Zed" + PAYLOAD}),
        "application/json",
        headers={
            "HTTP_IF_MATCH": f'"patient-{patient.pk}-v{version_number("patient", patient.pk)}"'
        },
    )
    exam: Exam = f.make_exam(patient, doc)
    made["exam"] = exam
    plan_form = {
        "action": "save",
        "after_version": "0",
        "visits_per_week": "2",
        "planned_visits": "6",
        "guideline": "ACP2017",
        "note": PAYLOAD,
    }
    p.send("script: plan form", "POST", f"/exams/{exam.pk}/plan/", plan_form, api=False)
    p.send(
        "script: plan API",
        "POST",
        f"/api/v1/cases/{exam.pk}/plans",
        json.dumps({"note": PAYLOAD, "overrides": {SCRIPT: IMG}}),
        "application/json",
    )
    p.send(
        "script: plan API",
        "POST",
        f"/api/v1/cases/{exam.pk}/plans",
        json.dumps({"note": PAYLOAD, "add_points": [SCRIPT]}),
        "application/json",
    )
    made["plan"] = Plan.objects.filter(patient=patient).order_by("-version").first()
    visit_form = {
        "date": "2026-01-05",
        "points": "BL40:both",
        "electro_settings": PAYLOAD[:200],
        "needle_minutes": "20",
        "contact_minutes": "20",
        "office_care": PAYLOAD,
        "response": "better",
        "response_notes": PAYLOAD,
        "diagnoses": "M54.50",
        "submit_token": str(uuid.uuid4()),
    }
    p.send("script: visit form", "POST", f"/patients/{patient.pk}/visit/", visit_form, api=False)
    p.send(
        "script: visit form",
        "POST",
        f"/patients/{patient.pk}/visit/",
        {**visit_form, "points": SCRIPT, "diagnoses": IMG, "submit_token": str(uuid.uuid4())},
        api=False,
    )
    visit_api = {
        "points": ["BL40:both"],
        "electro_settings": PAYLOAD,
        "office_care": PAYLOAD,
        "response_notes": PAYLOAD,
        "diagnoses": ["M54.50"],
        "needle_minutes": 20,
        "contact_minutes": 20,
    }
    p.send(
        "script: visit API",
        "POST",
        f"/api/v1/patients/{patient.pk}/visits",
        json.dumps(visit_api),
        "application/json",
    )
    p.send(
        "script: visit API",
        "POST",
        f"/api/v1/patients/{patient.pk}/visits",
        json.dumps({**visit_api, "points": [SCRIPT], "diagnoses": [IMG]}),
        "application/json",
    )
    visits = list(Visit.objects.filter(patient=patient).order_by("pk"))
    page_visit, api_visit = visits[0], visits[-1]
    made["visit"], made["api visit"] = page_visit, api_visit
    # a visit voided with a script as its reason: the reason shows in the chart and banners
    p.send(
        "script: visit API",
        "POST",
        f"/api/v1/patients/{patient.pk}/visits",
        json.dumps(visit_api),
        "application/json",
    )
    voided = Visit.objects.filter(patient=patient).order_by("-pk").first()
    p.send("script: void", "POST", f"/visits/{voided.pk}/void/", {"reason": PAYLOAD}, api=False)
    made["voided"] = Visit.all_objects.get(pk=voided.pk)
    if not made["voided"].voided:
        raise SystemExit("the void form refused a reason with a script in it")
    note = Note.objects.get(visit=page_visit)
    p.send(
        "script: note form",
        "POST",
        f"/visits/{page_visit.pk}/",
        {
            "action": "save",
            "version": str(note.version),
            "subjective": PAYLOAD,
            "objective": PAYLOAD,
            "assessment": PAYLOAD,
            "plan": PAYLOAD,
        },
        api=False,
    )
    note = Note.objects.get(visit=api_visit)
    p.send(
        "script: note API",
        "PUT",
        f"/api/v1/visits/{api_visit.pk}/note",
        json.dumps(
            {"subjective": PAYLOAD, "objective": PAYLOAD, "assessment": PAYLOAD, "plan": PAYLOAD}
        ),
        "application/json",
        headers={"HTTP_IF_MATCH": f'"note-{note.pk}-v{note.version}"'},
    )
    p.send("script: sign", "POST", f"/api/v1/visits/{api_visit.pk}/sign", "", "application/json")
    p.send(
        "script: amendment API",
        "POST",
        f"/api/v1/visits/{api_visit.pk}/amendments",
        json.dumps({"text": PAYLOAD}),
        "application/json",
    )
    p.send(
        "script: amendment form",
        "POST",
        f"/visits/{api_visit.pk}/",
        {"action": "amend", "text": "Form " + PAYLOAD},
        api=False,
    )
    p.send(
        "script: outcome API",
        "POST",
        f"/api/v1/patients/{patient.pk}/outcomes",
        json.dumps({"instrument": PAYLOAD, "answers": [3]}),
        "application/json",
    )
    p.send(
        "script: outcome API",
        "POST",
        f"/api/v1/patients/{patient.pk}/outcomes",
        json.dumps({"instrument": "nprs", "answers": [3]}),
        "application/json",
    )
    p.send(
        "script: outcome form",
        "POST",
        f"/patients/{patient.pk}/outcomes/new/?instrument=" + SCRIPT,
        {"instrument": SCRIPT, "item_1": IMG},
        api=False,
    )
    anonymous = Prober(Client(raise_request_exception=False), p.api, "", p.cds)
    anonymous.send(
        "script: sign-in name",
        "POST",
        "/login/",
        {"username": PAYLOAD, "password": "wrong password here"},
        api=False,
    )
    p.answers.update(anonymous.answers)
    p.server_errors += anonymous.server_errors
    p.send(
        "script: portal", "POST", f"/patients/{patient.pk}/portal/", {"action": "issue"}, api=False
    )
    return made


def pages_to_check(made: dict[str, Any]) -> list[str]:
    from urllib.parse import quote

    patient, visit, api_visit = made["patient"], made["visit"], made["api visit"]
    return [
        "/",
        "/patients/",
        f"/patients/?q={quote(SCRIPT)}",
        f"/patients/?q={quote('Zed')}",
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/edit/",
        f"/visits/{visit.pk}/",
        f"/visits/{api_visit.pk}/",
        f"/plans/{made['plan'].pk}/",
        f"/exams/{made['exam'].pk}/plan/",
        f"/exams/{made['exam'].pk}/",
        f"/patients/{patient.pk}/outcomes/",
        f"/patients/{patient.pk}/visit/",
        "/settings/",
        "/audit/",
        f"/audit/?user={quote(PAYLOAD)}",
        f"/patients/{patient.pk}/outcomes/new/",
        f"/patients/{patient.pk}/history/",
        f"/visits/{visit.pk}/history/",
        f"/visits/{api_visit.pk}/history/",
        f"/visits/{made['voided'].pk}/",
        f"/visits/{made['voided'].pk}/history/",
        "/settings/staff/",
    ]


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() or "" for page in reader.pages)


def main() -> int:
    report = Report("hostile")
    path = data_dir("hostile")
    cds = CdsSigner(path)  # before Django starts: its settings read the clients file's path
    setup_django(path)
    from django.test import Client

    from weizhong.clinic.actions import do_create_api_token, do_create_clinic
    from weizhong.clinic.models import Staff

    captured = Tracebacks()
    logger = logging.getLogger("django.request")
    logger.addHandler(captured)
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    for name in ("django.security", "django.security.RequestDataTooBig"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

    f = fixtures()
    clinic = do_create_clinic(name="Riverside", slug="riverside")
    doc = f.make_staff(clinic, "hostile-doc", Staff.CLINICIAN, is_admin=True, npi="1234567893")
    base = f.make_patient(clinic)
    exam = f.make_exam(base, doc)
    visit = f.make_visit(base, f.make_plan(exam, doc), doc)
    page = Client(raise_request_exception=False)
    page.force_login(doc)
    try:  # administrators must give a second factor: the session says it was given
        from django.utils import timezone

        from weizhong.clinic.accounts.second_factor import VERIFIED

        session = page.session
        session[VERIFIED] = timezone.now().isoformat()
        session.save()
    except ImportError:
        pass
    api = Client(raise_request_exception=False)
    p = Prober(page, api, do_create_api_token(user=doc, name="hostile")[1], cds)

    print("hostile: sizes", flush=True)
    sizes(p, base.pk)
    print("hostile: content types and malformed JSON", flush=True)
    content_types(p, base.pk)
    print("hostile: deep nesting", flush=True)
    nesting(p, base.pk, exam.pk, visit.pk)
    print("hostile: FHIR bundles and CDS Hooks requests", flush=True)
    fhir(p)
    print("hostile: script injection", flush=True)
    made = inject(p, f, doc, clinic)

    unescaped: list[str] = []
    escaped_seen = 0
    pages = pages_to_check(made)
    for url in pages:
        response = p.send("pages showing the payloads", "GET", url, api=False)
        text = response.content.decode("utf-8", "replace")
        for raw in RAW:
            if raw in text:
                where = text.index(raw)
                unescaped.append(f"{url}: …{text[max(0, where - 120) : where + 60]!r}…")
        escaped_seen += sum(text.count(e) for e in ESCAPED)
    htmx = p.send(
        "pages showing the payloads",
        "GET",
        "/patients/?q=Zed",
        api=False,
        headers={"HTTP_HX_REQUEST": "true"},
    )
    if any(raw in htmx.content.decode("utf-8", "replace") for raw in RAW):
        unescaped.append("/patients/?q=Zed (htmx rows)")
    pdf_literal = 0
    pdfs = [
        ("handout", f"/plans/{made['plan'].pk}/handout.pdf", False),
        ("superbill (page)", f"/visits/{made['visit'].pk}/superbill.pdf", False),
        ("superbill (API)", f"/api/v1/visits/{made['visit'].pk}/superbill?format=pdf", True),
    ]
    for label, url, is_api in pdfs:
        response = p.send("PDFs", "GET", url, api=is_api)
        if response.status_code != 200 or not response.content.startswith(b"%PDF"):
            report.note(
                f"{label}: {url} answered {response.status_code} "
                f"{response.get('Location', '')} (no PDF)"
            )
            continue
        text = re.sub(r"\s+", "", pdf_text(response.content))
        if SCRIPT in text:
            pdf_literal += 1
        else:
            report.note(f"{label}: the payload is not in the PDF's text (field not printed?)")

    report.add("requests", sum(v for k, v in p.answers.items() if ":" not in k))
    report.add(
        "answers", ", ".join(f"{k}: {v}" for k, v in sorted(p.answers.items()) if ":" not in k)
    )
    report.add("server errors (5xx)", len(p.server_errors), zero=True)
    report.add("hostile CDS tokens not refused (401)", len(p.cds_token_misses), zero=True)
    for text in p.cds_token_misses:
        report.note(f"CDS TOKEN NOT REFUSED {text}")
    report.add("pages checked for the payloads", len(pages) + 1)
    report.add("unescaped payloads on pages", len(unescaped), zero=True)
    report.add("escaped payloads seen on pages (proof they were shown)", escaped_seen, minimum=1)
    report.add("PDFs with the payload as literal text", pdf_literal)
    report.add("PDFs rendered", len(pdfs))
    for group in sorted({k.split(":")[0] for k in p.answers if ":" in k}):
        parts = {k.split(": ", 1)[1]: v for k, v in p.answers.items() if k.startswith(group + ":")}
        report.note(f"{group}: " + ", ".join(f"{k} {v}" for k, v in sorted(parts.items())))
    for label in p.accepted[:40]:
        report.note(f"accepted (2xx): {label}")
    for label in p.server_errors[:20]:
        report.note(f"SERVER ERROR {label}")
    for text in unescaped[:10]:
        report.note(f"UNESCAPED {text}")
    for text in captured.seen:
        print(text[-3000:])
    report.emit()
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
