"""Issue 13: the clinic works for every page and every patient. For each role (the patient's
clinician, a colleague, the front desk, the administrator, the patient through the portal link)
and each demo patient (one for each branch of the planner), every page reachable by links answers
below 500, and every form on those pages, posted back as it was rendered, is accepted or refused
with a form error, never a 500.

One seeded demo clinic serves the module (made once, rolled back at the end); each test runs in
its own savepoint, so a form a test posts is undone before the next. The pages a crawl opened are
kept for the module, so the form tests and the raw-identifier scan (test_plain_words.py) reuse
them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tests.clinic.conftest import past_second_factor
from tests.clinic.crawl import Form, Visited, crawl, in_app
from weizhong.clinic import actions
from weizhong.clinic.accounts import portal_links
from weizhong.clinic.models import Clinic, Patient, Staff
from weizhong.clinic.ops.demo import DEMO_PATIENTS, ensure_demo_clinic

ROLES = ["clinician", "colleague", "front_desk", "administrator", "patient"]
PATIENTS = [f"{p.given} {p.family}" for p in DEMO_PATIENTS]
# Record pages: a patient's own pages, and their exams, plans, visits and outcomes.
RECORD = re.compile(r"^/(patients/(\d+)/|exams/\d+/|plans/\d+/|visits/\d+/|outcomes/\d+/)")


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Clinic]:
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_demo_clinic()
        clinic = Clinic.objects.get(slug="demo")
        actions.do_add_staff(
            clinic=clinic, username="dr.wu", role=Staff.CLINICIAN, password=None,
            first_name="Wen", last_name="Wu", title="L.Ac.",
        )  # fmt: skip
        for patient in Patient.objects.filter(clinic=clinic):
            actions.do_issue_portal_link(patient=patient)
        yield clinic
        transaction.set_rollback(True)


def client_for(role: str, clinic: Clinic) -> Client:
    login = {"clinician": "dr.lin", "colleague": "dr.wu", "front_desk": "desk",
             "administrator": "owner"}[role]  # fmt: skip
    client = Client()
    client.force_login(Staff.objects.get(clinic=clinic, user__username=login).user)
    return past_second_factor(client) if role == "administrator" else client


def patient_named(clinic: Clinic, name: str) -> Patient:
    given, family = name.split(" ", 1)
    return Patient.objects.get(clinic=clinic, given_name=given, family_name=family)


_PAGES: dict[tuple[str, str], dict[str, Visited]] = {}


def pages_for(role: str, name: str, clinic: Clinic) -> tuple[Client, dict[str, Visited]]:
    """The pages ``role`` reaches by links for the patient ``name`` ("" for the pages that
    belong to no patient), kept for the module."""
    if role == "patient":
        client = Client()
        if not name:
            return client, {}
        start = [in_app("/", portal_links.url_for(None, patient_named(clinic, name))) or ""]

        def follow(url: str) -> bool:
            return url.startswith("/p/")

    else:
        client = client_for(role, clinic)
        if name:
            own = patient_named(clinic, name).pk
            start = [f"/patients/{own}/"]
            _break_the_glass(client, start[0])

            def follow(url: str) -> bool:
                match = RECORD.match(url)
                return bool(match) and match.group(2) in (None, str(own))

        else:
            start = ["/", "/patients/"]

            def follow(url: str) -> bool:
                return not RECORD.match(url)

    key = (role, name)
    if key not in _PAGES:
        _PAGES[key] = crawl(client, start, follow)
    return client, _PAGES[key]


def _break_the_glass(client: Client, chart: str) -> None:
    """A clinician outside the patient's care team opens the record as the page offers: with
    a reason (emergency access, recorded in the session and the audit trail)."""
    opened = client.get(chart)
    if opened.status_code == 302 and "/emergency/" in opened["Location"]:
        granted = client.post(opened["Location"], {"reason": "Covering for Dr Lin this week"})
        assert granted.status_code == 302, granted.content.decode()[:500]


def _where(pages: dict[str, Visited], url: str) -> str:
    return next((p.url for p in pages.values() if url in p.links), "the start")


@pytest.mark.parametrize("name", ["", *PATIENTS], ids=["no patient", *PATIENTS])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_reachable_by_links_answers(role: str, name: str, demo: Clinic, db: Any) -> None:
    _client, pages = pages_for(role, name, demo)
    broken = [f"{p.url} ({p.status}, linked from {_where(pages, p.url)})"
              for p in pages.values() if p.status >= 500]  # fmt: skip
    assert not broken, "\n".join(broken)
    if role != "patient" or name:  # the crawl started where that person starts
        assert next(iter(pages.values())).status == 200, list(pages)


def test_the_front_desk_reaches_each_visits_superbill_by_links(demo: Clinic, db: Any) -> None:
    """Issue 13: the desk's superbill page and its PDF are in the desk's crawl (from the chart's
    visits) for every demo patient with a visit, and answer 200."""
    reached = 0
    for name in PATIENTS:
        if not patient_named(demo, name).visits.exists():
            continue
        _client, pages = pages_for("front_desk", name, demo)
        bills = [p for p in pages.values() if re.fullmatch(r"/visits/\d+/bill/", p.url)]
        pdfs = [p for p in pages.values() if re.fullmatch(r"/visits/\d+/superbill\.pdf", p.url)]
        assert bills and all(p.status == 200 for p in bills), name
        assert all(p.status in (200, 302) for p in pdfs), name
        reached += len(bills)
    assert reached


def test_the_administrator_reaches_the_fees_page_by_links_and_nobody_else_does(
    demo: Clinic, db: Any
) -> None:
    """The fee schedule is an administrator's page, linked from Clinic settings."""
    _client, pages = pages_for("administrator", "", demo)
    assert pages["/settings/fees/"].status == 200
    for role in ("clinician", "colleague", "front_desk"):
        _client, pages = pages_for(role, "", demo)
        assert "/settings/fees/" not in pages, role


def test_the_demo_clinic_ships_no_prices_and_its_superbills_ask_for_them(
    demo: Clinic, db: Any
) -> None:
    """No invented price: the demo has no fees, and a desk superbill says they are missing."""
    assert not demo.fees.exists()
    said = 0
    for name in PATIENTS:
        _client, pages = pages_for("front_desk", name, demo)
        for page in pages.values():
            if re.fullmatch(r"/visits/\d+/bill/", page.url) and "<table" in page.html:
                assert "No fee is set for" in page.html and "$" not in page.html, page.url
                said += 1
    assert said


# Forms filled in with what the record holds: sent back untouched they must be accepted.
PREFILLED = re.compile(r"^/patients/\d+/(edit|exam)/")
ERRORS = re.compile(r'class="[^"]*\b(errorlist|error|alert)\b|role="alert"')


def _send(client: Client, page: Visited, form: Form) -> Any:
    action = in_app(page.url, form.action) or page.url
    data = form.data()
    if form.method == "post":
        return client.post(action, data)
    return client.get(action, data)


def _errors(response: Any) -> list[str]:
    text = response.content.decode()
    return [re.sub(r"<[^>]+>", " ", m).strip()
            for m in re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', text, re.S)]  # fmt: skip


# Forms that depend on the patient's branch (the exam, the plan editor, the visit, the details,
# the chart's portal buttons): sent for every patient. The rest (outcome questionnaires, void and
# history forms, the pages that belong to no patient) are the same form whoever the patient is:
# sent once per role and kind, to keep the crawl fast enough for CI.
PER_PATIENT = re.compile(r"^/patients/\d+/(exam/|visit/|edit/|$)|^/exams/\d+/plan/|^/p/")
_SENT: set[tuple[str, str, str]] = set()


def _kind(url: str) -> str:
    return re.sub(r"\d+", "N", url)


def _forms(pages: dict[str, Visited], role: str | None = None) -> list[tuple[Visited, Form]]:
    found = []
    for page in pages.values():
        if page.status != 200:
            continue
        for form in page.forms:
            if "/logout/" in form.action:
                continue
            # the header's patient search is on every page: sent once per role
            header = form.action == "/search/" and form.method == "get"
            if role is not None and (header or not PER_PATIENT.match(page.url)):
                kind = (role, _kind(page.url), _kind(form.action))
                if kind in _SENT:
                    continue
                _SENT.add(kind)
            found.append((page, form))
    return found


@pytest.mark.parametrize("name", ["", *PATIENTS], ids=["no patient", *PATIENTS])
@pytest.mark.parametrize("role", ROLES)
def test_every_form_posted_back_as_rendered_is_accepted_or_refused_plainly(
    role: str, name: str, demo: Clinic, db: Any
) -> None:
    """A form sent back with the values it was rendered with is accepted (a redirect, or the
    page again without an error) or refused with a form error; never a 500. Each form is sent
    in a savepoint rolled back afterwards, so one form's write does not change the next."""
    client, pages = pages_for(role, name, demo)
    failures = []
    for page, form in _forms(pages, role):
        sid = transaction.savepoint()
        try:
            response = _send(client, page, form)
        finally:
            transaction.savepoint_rollback(sid)
        if PREFILLED.match(page.url) and form.method == "post" and response.status_code != 302:
            failures.append(f"POST {form.action or page.url} on {page.url}: "
                            f"{response.status_code}; its own values were refused: "
                            f"{_errors(response)}")  # fmt: skip
        elif response.status_code >= 500:
            failures.append(f"{form.method.upper()} {form.action or page.url} on {page.url}: "
                            f"{response.status_code}")  # fmt: skip
        elif response.status_code in (400, 422) and not ERRORS.search(response.content.decode()):
            failures.append(f"{form.method.upper()} {form.action or page.url} on {page.url}: "
                            f"{response.status_code} without a form error")  # fmt: skip
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", PATIENTS)
def test_the_visit_form_sent_back_as_rendered_is_accepted(name: str, demo: Clinic, db: Any) -> None:
    """The visit form carries the last visit's points; sent untouched it records the visit
    (issue 13: trigger points carried as ASHI:side were refused by the same form)."""
    client, pages = pages_for("clinician", name, demo)
    visit_forms = [(p, f) for p, f in _forms(pages)
                   if p.url.endswith("/visit/") and f.method == "post"]  # fmt: skip
    assert visit_forms
    for page, form in visit_forms:
        sid = transaction.savepoint()
        try:
            response = _send(client, page, form)
            errors = _errors(response) if response.status_code != 302 else []
        finally:
            transaction.savepoint_rollback(sid)
        assert response.status_code == 302, errors
