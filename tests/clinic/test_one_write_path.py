"""Issue 12: one write path. The pages, the API and the portal validate and then call an action
(``weizhong.clinic.actions``); none of them writes to a model itself, and the page and the API
accept and refuse the same input, field by field.
"""

from __future__ import annotations

import ast
import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from weizhong.clinic import actions
from weizhong.clinic.models import Amendment, Appointment, Exam, Outcome, Patient, Plan, Visit

from .conftest import make_exam, make_patient, make_plan, make_visit
from .test_api import Api


@pytest.fixture
def api(clinician: Any) -> Api:
    return Api(actions.do_create_api_token(user=clinician, name="tests")[1])


CLINIC = Path(__file__).resolve().parents[2] / "weizhong" / "clinic"

# ------------------------------------------------------------------ nothing else writes

RELIABILITY = CLINIC.parents[1] / "reliability"
# Modules that answer requests or commands, and the reliability harness: they validate (or set
# up), then call an action.
ENTRY_MODULES = [
    *sorted((CLINIC / "web").glob("*.py")),
    *sorted((CLINIC / "api").glob("*.py")),
    *sorted((CLINIC / "portal").glob("*.py")),
    *sorted((CLINIC / "interop").glob("*.py")),
    *sorted((CLINIC / "accounts").glob("*.py")),
    *sorted((CLINIC / "management" / "commands").glob("*.py")),
    *sorted(RELIABILITY.glob("*.py")),
]
WRITES = {"save", "create", "update", "delete", "bulk_create", "get_or_create",
          "update_or_create", "bulk_update"}  # fmt: skip
# Calls by those names that are not writes to a model, and why.
ALLOWED = {
    ("patients.py", "context.update"): "a template context, a dict",
    ("sessions.py", "request.session.save"): "Django's session store (a new session's key)",
    ("audit_cost.py", "env.update"): "a process environment, a dict",
    ("audit_cost.py", "best.update"): "the best figures, a dict",
    ("hostile.py", "p.answers.update"): "a prober's answers, a dict",
    ("hostile.py", "session.save"): "the test client's session (the second factor was given)",
    ("matrix.py", "session.save"): "the test client's session (the second factor was given)",
}


def _writes_in(path: Path) -> list[str]:
    """``receiver.method(`` calls whose method is a model write, as 'line: source'."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
        ):
            call = f"{ast.unparse(node.func.value)}.{node.func.attr}"
            if (path.name, call) not in ALLOWED:
                found.append(f"{node.lineno}: {call}(")
    return found


@pytest.mark.parametrize("module", ENTRY_MODULES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_pages_api_portal_commands_and_harness_write_only_through_actions(module: Path) -> None:
    """Issue 12: writes lived in services, views, api, portal… and disagreed."""
    assert _writes_in(module) == [], f"{module.name} writes to a model outside an action"


def test_the_scan_finds_a_direct_write(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def view(p):\n    p.save()\n    Visit.objects.create(x=1)\n")
    assert _writes_in(sample) == ["2: p.save(", "3: Visit.objects.create("]


# ---------------------------------------------------------------- the drifts of issue 12


def _signed_visit(patient: Patient, clinician: Any) -> Visit:
    plan = make_plan(make_exam(patient, clinician), clinician)
    visit = make_visit(patient, plan, clinician)
    actions.do_sign_note(note=visit.note, signer=clinician)
    return visit


@pytest.mark.parametrize("text", ["   ok    ", "    ", "\n\t\n", "ok"])
def test_issue_12_the_api_refuses_the_amendment_the_page_refuses(
    api: Api, doc: Client, clinician: Any, patient: Patient, text: str
) -> None:
    visit = _signed_visit(patient, clinician)
    answer = api.post(f"/visits/{visit.pk}/amendments", {"text": text})
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", "text"]
    assert problem["msg"] == "Write what is corrected and why."
    page = doc.post(reverse("visit", args=[visit.pk]), {"action": "amend", "text": text})
    assert page.status_code == 422
    assert "Write what is corrected and why." in page.content.decode()
    assert not Amendment.objects.filter(note=visit.note).exists()


def test_issue_12_an_amendment_is_stored_without_its_surrounding_blanks(
    api: Api, clinician: Any, patient: Patient
) -> None:
    visit = _signed_visit(patient, clinician)
    answer = api.post(f"/visits/{visit.pk}/amendments", {"text": "   dose was 5 mg   "})
    assert answer.status_code == 201
    assert Amendment.objects.get(note=visit.note).text == "dose was 5 mg"


def test_issue_12_retrying_a_visit_after_it_was_voided_says_so(
    api: Api, clinician: Any, patient: Patient
) -> None:
    make_plan(make_exam(patient, clinician), clinician)
    key = str(uuid.uuid4())
    first = api.post(
        f"/patients/{patient.pk}/visits", {"points": ["BL40:both"], "idempotency_key": key}
    )
    assert first.status_code == 201
    visit = Visit.objects.get(pk=first.json()["id"])
    actions.do_void_record(record=visit, by=clinician, reason="entered on the wrong day")
    again = api.post(
        f"/patients/{patient.pk}/visits", {"points": ["BL40:both"], "idempotency_key": key}
    )
    assert again.status_code == 409
    assert "was voided" in again.json()["detail"]
    assert "entered on the wrong day" in again.json()["detail"]
    assert Visit.all_objects.filter(patient=patient).count() == 1


def test_issue_12_retrying_a_live_visit_returns_it_with_200(
    api: Api, clinician: Any, patient: Patient
) -> None:
    key = str(uuid.uuid4())
    first = api.post(f"/patients/{patient.pk}/visits", {"idempotency_key": key})
    again = api.post(f"/patients/{patient.pk}/visits", {"idempotency_key": key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


def test_issue_12_retrying_a_case_after_it_was_voided_says_so(
    api: Api, clinician: Any, patient: Patient
) -> None:
    from .conftest import runner_findings

    key = str(uuid.uuid4())
    body = {"findings": runner_findings(), "idempotency_key": key}
    first = api.post(f"/patients/{patient.pk}/cases", body)
    assert first.status_code == 201
    exam = Exam.objects.get(pk=first.json()["id"])
    actions.do_void_record(record=exam, by=clinician, reason="the wrong patient's findings")
    again = api.post(f"/patients/{patient.pk}/cases", body)
    assert again.status_code == 409 and "was voided" in again.json()["detail"]


def test_an_idempotency_key_of_another_patients_visit_shows_nothing_of_it(
    api: Api, clinician: Any, clinic: Any, patient: Patient
) -> None:
    other = make_patient(clinic, given_name="Bo", email="bo@example.org")
    key = str(uuid.uuid4())
    assert api.post(f"/patients/{patient.pk}/visits", {"idempotency_key": key}).status_code == 201
    answer = api.post(f"/patients/{other.pk}/visits", {"idempotency_key": key})
    assert answer.status_code == 409
    assert "another patient" in answer.json()["detail"]
    assert not Visit.objects.filter(patient=other).exists()


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("Runner", True),
        ("ada", True),
        ("0171 555", True),  # the phone, word by word
        ("ada@example", True),  # the e-mail
        ("Runner 0171", True),  # every word somewhere
        ("Runner 0999", False),
        ("nobody", False),
    ],
)
def test_issue_12_the_api_q_matches_name_phone_or_email_like_the_page(
    api: Api, doc: Client, clinic: Any, q: str, found: bool
) -> None:
    make_patient(clinic, phone="0171 555 0101")
    names = [p["family_name"] for p in api.get(f"/patients?q={q}").json()]
    assert names == (["Runner"] if found else [])
    page = doc.get(reverse("patients"), {"q": q}).content.decode()
    assert ("Ada Runner" in page or "Runner, Ada" in page) is found


@pytest.mark.parametrize(
    ("allowed", "origin", "expected"),
    [
        ("*", "https://ehr.example", "*"),
        ("https://ehr.example", "https://ehr.example", "https://ehr.example"),
        ("https://a.example, https://ehr.example", "https://ehr.example", "https://ehr.example"),
        ("https://ehr.example", "https://evil.example", None),
        ("https://ehr.example", "", None),
    ],
)
def test_issue_12_cds_cors_honours_weizhong_cds_origins(
    db: Any, allowed: str, origin: str, expected: str | None
) -> None:
    origins = tuple(o.strip() for o in allowed.split(","))
    headers = {"Origin": origin} if origin else {}
    with override_settings(WEIZHONG_CDS_ORIGINS=origins):
        response = Client().get("/cds-services", headers=headers)
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == expected
    if "*" not in origins:
        assert "Origin" in response["Vary"]


def test_issue_12_weizhong_cds_origins_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    import weizhong.site.settings as site_settings

    monkeypatch.setenv("WEIZHONG_CDS_ORIGINS", "https://ehr.example/, https://b.example")
    try:
        assert importlib.reload(site_settings).WEIZHONG_CDS_ORIGINS == (
            "https://ehr.example",
            "https://b.example",
        )
        monkeypatch.delenv("WEIZHONG_CDS_ORIGINS")
        assert importlib.reload(site_settings).WEIZHONG_CDS_ORIGINS == ("*",)
    finally:
        monkeypatch.delenv("WEIZHONG_CDS_ORIGINS", raising=False)
        importlib.reload(site_settings)


# --------------------------------------------------------------- page and API: parity

VALID_PATIENT = {
    "given_name": "Li",
    "family_name": "Wei",
    "birth_date": "1980-05-02",
    "sex": "male",
    "email": "li@example.org",
}
FUTURE = (dt.date.today() + dt.timedelta(days=2)).isoformat()

# write, field, value, accepted by both
CASES: list[tuple[str, str, Any, bool]] = [
    ("patient", "given_name", "Mei", True),
    ("patient", "given_name", "", False),
    ("patient", "given_name", "   ", False),
    ("patient", "given_name", "x" * 101, False),
    ("patient", "birth_date", FUTURE, False),
    ("patient", "birth_date", "1890-01-01", False),
    ("patient", "birth_date", "not a date", False),
    ("patient", "sex", "female", True),
    ("patient", "sex", "robot", False),
    ("patient", "email", "not an address", False),
    ("patient", "phone", "x" * 41, False),
    ("patient", "payer", "medicare", True),
    ("patient", "payer", "barter", False),
    ("patient", "pregnant", True, False),  # with sex male: the page and the API both refuse
    ("patient", "medications", ["x" * 101], False),
    ("patient", "medications", ["warfarin"], True),
    ("patient", "devices", ["pacemaker"], True),
    ("patient", "devices", ["teleporter"], False),
    ("patient", "reminders", True, True),
    ("patient_edit", "given_name", "Mei", True),
    ("patient_edit", "given_name", "   ", False),
    ("patient_edit", "birth_date", FUTURE, False),
    ("patient_edit", "email", "nope", False),
    ("amendment", "text", "dose was 5 mg, not 10", True),
    ("amendment", "text", "   ok    ", False),
    ("amendment", "text", "    ", False),
    ("amendment", "text", "x" * 20001, False),
    ("visit", "needle_minutes", 20, True),
    ("visit", "needle_minutes", 121, False),
    ("visit", "needle_minutes", -1, False),
    ("visit", "contact_minutes", 241, False),
    ("visit", "reinsertions", 17, False),
    ("visit", "points", ["BL40:both", "GB30:left"], True),
    ("visit", "points", ["XX99:left"], False),
    ("visit", "points", ["BL40:sideways"], False),
    ("visit", "trigger_points", [{"muscle": "piriformis", "side": "left"}], True),
    ("visit", "trigger_points", [{"muscle": "elbow", "side": "left"}], False),
    ("visit", "trigger_points", [{"muscle": "piriformis", "side": "up"}], False),
    ("visit", "trigger_points", [{"muscle": "piriformis", "side": "left", "depth_cun": 9}], False),
    ("visit", "stimulated_increments", [9], False),
    ("visit", "reinserted_increments", [2], False),  # no contact time: there is no increment 2
    ("visit", "response", "better", True),
    ("visit", "response", "fabulous", False),
    ("visit", "regions_adjusted", ["lumbar"], True),
    ("visit", "regions_adjusted", ["elbow"], False),
    ("visit", "diagnoses", ["M54.50"], True),
    ("visit", "diagnoses", ["not a code"], False),
    ("visit", "date", "2026-01-02", True),
    ("visit", "date", "yesterday", False),
    ("visit", "electro_settings", "x" * 201, False),
    ("visit", "office_care", "x" * 4001, False),
    ("visit", "response_notes", "x" * 4001, False),
    ("outcome", "nprs", [6], True),
    ("outcome", "nprs", [11], False),
    ("outcome", "nprs", [-1], False),
    ("plan", "visits_per_week", 3, True),
    ("plan", "visits_per_week", 8, False),
    ("plan", "visits_per_week", 0, False),
    ("plan", "planned_visits", 41, False),
    ("plan", "guideline", "NICE_NG59", True),
    ("plan", "guideline", "WHIM", False),
    ("plan", "note", "x" * 2001, False),
    # the day page's booking (issue 15: its patient is chosen with a search, sent by key)
    ("appointment", "patient", "mine", True),
    ("appointment", "patient", "", False),
    ("appointment", "patient", "another clinic's", False),
    ("appointment", "patient", "no such patient", False),
    ("appointment", "patient", "not a key", False),
    ("appointment", "minutes", 0, False),
    ("appointment", "kind", "massage", False),
    ("void", "reason", "entered on the wrong patient", True),
    ("void", "reason", "oops", False),
    ("void", "reason", "          ", False),
]


def _form_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "on" if value else ""
    return value


@dataclass(frozen=True)
class Answer:
    accepted: bool
    fields: frozenset[str]  # what a refusal names


def _page(response: Any, stored: bool, form: str | None = "form") -> Answer:
    assert response.status_code in (302, 422), response.status_code
    if stored or form is None:
        return Answer(stored, frozenset())
    return Answer(stored, frozenset(response.context[form].errors))


def _api(response: Any, ok: int) -> Answer:
    assert response.status_code in (ok, 422), response.status_code
    if response.status_code == ok:
        return Answer(True, frozenset())
    return Answer(
        False, frozenset(str(p) for problem in response.json()["detail"] for p in problem["loc"])
    )


class Both:
    """One write done through the page and through the API, on fresh records each time."""

    def __init__(self, doc: Client, api: Api, clinic: Any, clinician: Any) -> None:
        self.doc, self.api, self.clinic, self.clinician = doc, api, clinic, clinician

    def patient(self) -> Patient:
        return make_patient(self.clinic, given_name="Ada", family_name=uuid.uuid4().hex[:8])

    def by_page(self, write: str, field: str, value: Any) -> Answer:
        return getattr(self, f"page_{write}")(field, value)  # type: ignore[no-any-return]

    def by_api(self, write: str, field: str, value: Any) -> Answer:
        return getattr(self, f"api_{write}")(field, value)  # type: ignore[no-any-return]

    # -- patients
    def page_patient(self, field: str, value: Any) -> Answer:
        data = {**VALID_PATIENT, field: value}
        if isinstance(value, list) and field == "medications":
            data[field] = ", ".join(value)
        data = {k: _form_value(v) for k, v in data.items()}
        response = self.doc.post(reverse("patient_new"), data)
        return _page(response, response.status_code == 302)

    def api_patient(self, field: str, value: Any) -> Answer:
        return _api(self.api.post("/patients", {**VALID_PATIENT, field: value}), 201)

    def page_patient_edit(self, field: str, value: Any) -> Answer:
        from weizhong.clinic.history.versions import version_number

        patient = self.patient()
        data = {
            **VALID_PATIENT,
            field: value,
            "record_version": version_number("patient", patient.pk),
        }
        response = self.doc.post(reverse("patient_edit", args=[patient.pk]), data)
        return _page(response, response.status_code == 302)

    def api_patient_edit(self, field: str, value: Any) -> Answer:
        patient = self.patient()
        etag = self.api.get(f"/patients/{patient.pk}")["ETag"]
        body = {**VALID_PATIENT, field: value}
        return _api(self.api.put(f"/patients/{patient.pk}", body, etag), 200)

    # -- amendments
    def _signed(self) -> Visit:
        return _signed_visit(self.patient(), self.clinician)

    def page_amendment(self, field: str, value: Any) -> Answer:
        visit = self._signed()
        response = self.doc.post(
            reverse("visit", args=[visit.pk]), {"action": "amend", field: value}
        )
        stored = Amendment.objects.filter(note__visit=visit).exists()
        return _page(response, stored, "amend_form")

    def api_amendment(self, field: str, value: Any) -> Answer:
        visit = self._signed()
        return _api(self.api.post(f"/visits/{visit.pk}/amendments", {field: value}), 201)

    # -- visits
    def page_visit(self, field: str, value: Any) -> Answer:
        patient = self.patient()
        data: dict[str, Any] = {"date": "2026-01-01", "response": "not_assessed",
                                "submit_token": str(uuid.uuid4()), field: value}  # fmt: skip
        for name in ("points", "diagnoses"):
            if isinstance(data.get(name), list):
                data[name] = ", ".join(data[name])
        for row in data.pop("trigger_points", None) or ():  # the page's rows
            for key in ("muscle", "side", "depth_cun", "technique"):
                data.setdefault(f"tp_{key}", []).append(str(row.get(key, "")))
        response = self.doc.post(reverse("visit_new", args=[patient.pk]), data)
        return _page(response, Visit.objects.filter(patient=patient).exists())

    def api_visit(self, field: str, value: Any) -> Answer:
        patient = self.patient()
        return _api(self.api.post(f"/patients/{patient.pk}/visits", {field: value}), 201)

    # -- outcomes (the page has a field per item, the API one list of answers)
    def page_outcome(self, instrument: str, answers: list[int]) -> Answer:
        patient = self.patient()
        data = {f"item_{n}": a for n, a in enumerate(answers, start=1)}
        url = reverse("outcome_new", args=[patient.pk]) + f"?instrument={instrument}"
        response = self.doc.post(url, data)
        return _page(response, Outcome.objects.filter(patient=patient).exists())

    def api_outcome(self, instrument: str, answers: list[int]) -> Answer:
        patient = self.patient()
        body = {"instrument": instrument, "answers": answers}
        return _api(self.api.post(f"/patients/{patient.pk}/outcomes", body), 201)

    # -- plans
    def page_plan(self, field: str, value: Any) -> Answer:
        exam = make_exam(self.patient(), self.clinician)
        data = {"action": "save", "after_version": "0", "visits_per_week": 2,
                "planned_visits": 6, "guideline": "ACP2017", "note": "", field: value}  # fmt: skip
        response = self.doc.post(reverse("plan_editor", args=[exam.pk]), data)
        return _page(response, Plan.objects.filter(exam=exam).exists(), "settings_form")

    def api_plan(self, field: str, value: Any) -> Answer:
        exam = make_exam(self.patient(), self.clinician)
        return _api(self.api.post(f"/cases/{exam.pk}/plans", {field: value}), 201)

    # -- voids (the page has one reason box: its error is about the reason)
    def _visit(self) -> Visit:
        return make_visit(self.patient(), None, self.clinician)

    def page_void(self, field: str, value: Any) -> Answer:
        visit = self._visit()
        response = self.doc.post(reverse("visit_void", args=[visit.pk]), {field: value})
        voided = Visit.all_objects.get(pk=visit.pk).voided
        if not voided:
            assert response.context["error"]
            return Answer(False, frozenset({"reason"}))
        return _page(response, voided, None)

    def api_void(self, field: str, value: Any) -> Answer:
        visit = self._visit()
        return _api(self.api.post(f"/visits/{visit.pk}/void", {field: value}), 200)

    # -- appointments
    def _booked_patient(self, value: Any) -> Any:
        """The patient key a case sends: a patient of this clinic, of another, or none."""
        if value == "mine":
            return self.patient().pk
        if value == "another clinic's":
            elsewhere = actions.do_create_clinic(name="Elsewhere", slug=uuid.uuid4().hex[:8])
            return make_patient(elsewhere).pk
        if value == "no such patient":
            return 10**9
        return "x1" if value == "not a key" else value

    def _booking(self, field: str, value: Any) -> dict[str, Any]:
        booking = {"patient": self.patient().pk, "minutes": 45, "kind": "follow_up"}
        booking[field] = self._booked_patient(value) if field == "patient" else value
        return booking

    def page_appointment(self, field: str, value: Any) -> Answer:
        data = {**self._booking(field, value), "clinician": self.clinician.username,
                "date": "2030-01-07", "time": "09:00"}  # fmt: skip
        response = self.doc.post(reverse("schedule_book"), data)
        return _page(response, Appointment.objects.exists())

    def api_appointment(self, field: str, value: Any) -> Answer:
        body = {
            **self._booking(field, value),
            "clinician": self.clinician.username,
            "start": "2030-01-07T11:00:00+00:00",  # not the page's 09:00: no clash
        }
        return _api(self.api.post("/appointments", body), 201)


# The name each side gives the field, where the page and the API differ.
PAGE_FIELD = {("outcome", "nprs"): "item_1"}
API_FIELD = {("outcome", "nprs"): "answers"}


@pytest.mark.parametrize(("write", "field", "value", "accepted"), CASES)
def test_the_page_and_the_api_accept_and_refuse_the_same_input(
    doc: Client, api: Api, clinic: Any, clinician: Any,
    write: str, field: str, value: Any, accepted: bool,
) -> None:  # fmt: skip
    both = Both(doc, api, clinic, clinician)
    page, api_answer = both.by_page(write, field, value), both.by_api(write, field, value)
    assert page.accepted is accepted, "the page"
    assert api_answer.accepted is accepted, "the API"
    if not accepted:  # and both name the field they refuse
        assert PAGE_FIELD.get((write, field), field) in page.fields, page.fields
        assert API_FIELD.get((write, field), field) in api_answer.fields, api_answer.fields


def test_every_write_offered_by_both_has_parity_cases() -> None:
    offered = {"patient", "patient_edit", "amendment", "visit", "outcome", "plan", "void",
               "appointment"}  # fmt: skip
    covered: dict[str, set[bool]] = {}
    for write, _field, _value, accepted in CASES:
        covered.setdefault(write, set()).add(accepted)
    assert set(covered) == offered
    assert all(flags == {True, False} for flags in covered.values()), covered
