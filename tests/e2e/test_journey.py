"""The clinician's and the patient's journey in a real browser (Debian's chromium driven by
Playwright) against the real app on a live server: log in, add a patient, examine on the body
chart, read the assessment, edit and save a plan, record a visit, sign the note, download the
handout, then open the portal link as the patient and log a session.

Never skipped: without chromium the test fails and says how to install it (`.ci/run` does)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from weizhong.clinic import actions
from weizhong.clinic.models import Clinic, HomeLog, Note, Patient, Plan, Staff, Visit
from weizhong.clinic.records import services

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop vs the ORM
CHROMIUM = os.environ.get("WEIZHONG_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
PASSWORD = "a long demo passphrase"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"chromium not found at {CHROMIUM}: apt-get install -y chromium (.ci/run does)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def staff(transactional_db: Any) -> User:
    clinic = Clinic.objects.create(name="Riverside", slug="riverside")
    user = User.objects.create_user("mei", password=PASSWORD, first_name="Mei", last_name="Lin")
    Staff.objects.create(user=user, clinic=clinic, role=Staff.CLINICIAN)
    return user


def test_the_whole_journey(browser: Any, live_server: Any, staff: User, tmp_path: Path) -> None:
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The pages must obey their content security policy: a refused script or style shows up
    # as a console error.
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    # log in
    page.goto(base + "/login/")
    page.fill("#id_username", "mei")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    assert "Today" in page.inner_text("h1")

    # add a patient
    page.click("text=New patient")
    page.fill("#id_given_name", "Jo")
    page.fill("#id_family_name", "Sprinter")
    page.fill("#id_birth_date", "1996-04-02")
    page.select_option("#id_sex", "male")
    page.fill("#id_email", "jo@example.org")
    page.click("button:has-text('Save')")
    page.wait_for_selector("h1:has-text('Jo Sprinter')")
    patient = Patient.objects.get(family_name="Sprinter")

    # examine: the body chart and the tests, the live assessment follows
    page.click("text=Examine")
    page.wait_for_selector("#exam-form")
    page.click("#exam-form [data-region='low_back']")
    assert page.is_checked("input[name=pain_regions][value=low_back]")
    page.check("#id_runner_1")  # yes
    page.check("#id_pain_worse_flexion_1")
    page.fill("#id_ake_left_deg", "46")
    page.fill("#id_ake_right_deg", "44")
    page.select_option("#id_slr_left_response", "posterior_thigh_stretch")
    page.fill("#id_slr_left_deg", "60")
    page.locator("#id_slr_left_deg").blur()
    page.wait_for_selector("#live:has-text('Low back pain driven by tight hamstrings')")
    page.fill("#id_slr_right_deg", "400")  # out of range: the panel names the field
    page.locator("#id_slr_right_deg").blur()
    page.wait_for_selector("#live:has-text('Check these entries')")
    page.fill("#id_slr_right_deg", "62")
    page.locator("#id_slr_right_deg").blur()
    page.wait_for_selector("#live:not(:has-text('Check these entries'))")
    page.click("button:has-text('Save exam and see the assessment')")
    page.wait_for_selector("h1:has-text('Assessment of')")
    first = page.inner_text(".bars li:first-child .bar-head")
    assert "Low back pain driven by tight hamstrings" in first

    # plan: remove the first proposed point, save
    page.click("a:has-text('Plan treatment')")
    page.wait_for_selector("#plan-editor")
    removed = page.inner_text("table.points tbody tr:first-child td:first-child").split()[0]
    page.click("table.points tbody tr:first-child button:has-text('Remove')")
    page.wait_for_selector(f"button:has-text('Restore {removed}')")
    page.fill("#atlas-q", "zusanli")  # pinyin without tones finds ST36
    page.click("#atlas-results li:has-text('ST36') button[aria-label='Add ST36 right']")
    page.wait_for_selector("table.points td:has-text('ST36')")
    page.click("button[value=save]")
    page.wait_for_selector("h1:has-text('Plan v1')")
    plan = Plan.objects.get(patient=patient)
    assert plan.edits["remove_points"] == [removed]
    assert plan.edits["add_points"] == ["ST36:right"]

    # visit, with the points carried from the plan, then sign the note
    page.click("a:has-text('Record a visit')")
    carried = page.input_value("#id_points")
    assert carried and removed not in carried.split(":")[0]
    page.fill("#id_contact_minutes", "30")
    page.select_option("#id_response", "better")
    page.click("button:has-text('Save visit and draft the note')")
    page.wait_for_selector("h2:has-text('SOAP note')")
    assert "Needled:" in page.input_value("#id_plan")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[value=sign]")
    page.wait_for_selector(".badge:has-text('signed')")
    note = Note.objects.get(visit__patient=patient)
    assert note.signed and Visit.objects.filter(patient=patient).count() == 1

    # the handout, one click from the chart
    page.goto(base + f"/patients/{patient.pk}/")
    with page.expect_download() as download:
        page.click("a:has-text('Handout (PDF)')")
    saved = tmp_path / "handout.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    # the portal link, opened by the patient on a phone
    page.click("button:has-text('Create portal link')")
    link = page.input_value("#portal-link")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    patient_page = phone.new_page()
    patient_page.goto(link)
    assert "Hello Jo" in patient_page.inner_text("h1")
    exercises = services.exercises_today(plan, dt.date.today())
    if exercises:
        patient_page.click("button:has-text('I did this today')")
        patient_page.wait_for_selector("text=Done today")
    patient_page.click(".pain-scale label:has-text('3')")
    patient_page.click("button:has-text('Save pain score')")
    patient_page.wait_for_selector("text=Pain score saved")
    assert HomeLog.objects.filter(patient=patient).count() == (1 if exercises else 0)
    assert patient.pain_logs.get().pain == 3
    width = patient_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the portal scrolls sideways on a phone ({width}px)"
    phone.close()
    context.close()
    assert errors == [], errors


def test_every_clinical_page_fits_a_phone(browser: Any, live_server: Any, staff: User) -> None:
    """At 390 px wide no page scrolls sideways (wide tables scroll inside their own box)."""
    from tests.clinic.conftest import make_exam, make_patient, make_plan, make_visit

    clinic = staff.staff.clinic
    patient = make_patient(clinic, medications=["warfarin"], devices=["pacemaker"])
    exam = make_exam(patient, staff)
    plan = make_plan(exam, staff)
    visit = make_visit(patient, plan, staff)
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[6], entered_by=staff)
    actions.do_score_outcome(patient=patient, instrument="nprs", answers=[4], entered_by=staff)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "mei")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    paths = [
        "/", "/patients/", f"/patients/{patient.pk}/", f"/patients/{patient.pk}/edit/",
        f"/patients/{patient.pk}/exam/", f"/exams/{exam.pk}/", f"/exams/{exam.pk}/plan/",
        f"/plans/{plan.pk}/", f"/patients/{patient.pk}/visit/", f"/visits/{visit.pk}/",
        f"/patients/{patient.pk}/outcomes/", f"/patients/{patient.pk}/outcomes/new/?instrument=odi",
        "/settings/", f"/patients/{patient.pk}/history/", f"/visits/{visit.pk}/history/",
        f"/visits/{visit.pk}/void/", "/settings/authenticator/",
    ]  # fmt: skip
    too_wide = {}
    for path in paths:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    context.close()
    assert too_wide == {}


def test_enter_in_a_number_field_of_the_exam_does_not_save_it(
    browser: Any, live_server: Any, staff: User
) -> None:
    """Issue 13: Enter in any number field of the exam submitted and saved a near-empty exam,
    which became the latest assessment. Enter moves to the next field; only the button saves."""
    from tests.clinic.conftest import make_patient

    patient = make_patient(staff.staff.clinic)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "mei")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/patients/{patient.pk}/exam/")
    page.fill("#id_ake_left_deg", "46")
    page.press("#id_ake_left_deg", "Enter")
    page.wait_for_timeout(500)
    assert page.url.endswith(f"/patients/{patient.pk}/exam/")
    assert page.evaluate("document.activeElement.id") != "id_ake_left_deg"  # moved on
    assert not patient.exams.exists()
    context.close()
