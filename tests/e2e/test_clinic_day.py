"""The clinic's day in a real browser (issue 15): the intake with a cauda equina answer shows
the patient the emergency message on a phone and puts the alert on Today; the schedule is
usable from a phone to a desktop (no sideways scroll at 390 px; a booking made by clicking)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User

from tests.e2e.pages import saves_settled
from tests.e2e.pages import sign_in as _sign_in
from tests.e2e.test_journey import browser, staff  # noqa: F401 - fixtures
from weizhong.clinic import actions
from weizhong.clinic.models import Appointment, Staff
from weizhong.clinic.records import intake as questions

SHOTS = os.environ.get("WEIZHONG_SCREENSHOTS", "")


def test_a_cauda_equina_intake_tells_the_patient_and_alerts_today(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic.conftest import make_patient

    patient = make_patient(staff.staff.clinic)
    intake = actions.do_start_intake(patient=patient, by=staff)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(f"{live_server.url}/intake/{intake.key}/")
    page.fill("#history", "My back hurts since Monday and my left leg tingles.")
    for finding, _question in questions.RED_FLAG_QUESTIONS:
        answer = "yes" if finding == "saddle_anaesthesia" else "no"
        page.check(f"input[name={finding}][value={answer}]")
    saves_settled(page)
    intake.refresh_from_db()
    assert intake.answers.get("saddle_anaesthesia") == "yes"  # saved before sending
    page.click("button[type=submit]")
    alert = page.locator("#act-now")
    alert.wait_for()
    assert "Go to an emergency department now" in alert.inner_text()
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "intake-emergency-390.png"), full_page=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(desk, live_server.url)
    banner = desk.locator("section[aria-labelledby=intake-alerts-h]")
    assert "Possible cauda equina syndrome" in banner.inner_text()
    assert patient.full_name in banner.inner_text()


def test_the_schedule_books_by_clicking_and_fits_every_width(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic.conftest import make_patient

    clinic = staff.staff.clinic
    patient = make_patient(clinic)
    other = make_patient(clinic, given_name="Bo", family_name="Tanaka")
    today = dt.date.today()
    actions.do_book_appointment(
        clinic=clinic, patient=other, clinician=staff, minutes=30, kind="new",
        start=dt.datetime.combine(today, dt.time(8), tzinfo=dt.UTC),
    )  # fmt: skip
    assert Staff.objects.filter(user=staff).exists()
    for width, height in ((1280, 900), (820, 1180), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _sign_in(page, live_server.url)
        page.goto(live_server.url + "/schedule/")
        if width == 390:
            page.select_option("#id_patient", str(patient.pk))
            page.fill("#id_time", "11:00")
            page.click("form[action^='/schedule/book/'] button[type=submit]")
            page.wait_for_url(f"**/schedule/?date={today.isoformat()}")
            assert "11:00–11:45" in page.content()
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not wide, f"the schedule scrolls sideways at {width} px"
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"schedule-{width}.png"), full_page=True)
            page.goto(live_server.url + "/schedule/week/")
            page.screenshot(path=str(Path(SHOTS) / f"week-{width}.png"), full_page=True)
        context.close()
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_the_desk_books_a_course_from_the_plan(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic import conftest

    clinic = staff.staff.clinic
    patient = conftest.make_patient(clinic)
    plan = conftest.make_plan(conftest.make_exam(patient, staff), staff, planned_visits=4)
    conftest.make_staff(clinic, "sam", Staff.FRONT_DESK)
    page = browser.new_context(viewport={"width": 820, "height": 1180}).new_page()
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", conftest.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("text=Book a course of care")
    page.wait_for_url(f"**/patients/{patient.pk}/course/")
    proposed = page.locator("input[name=start]")
    assert proposed.count() == plan.planned_visits + 1
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "course-820.png"), full_page=True)
    page.click("text=Book these visits")
    page.wait_for_url("**/schedule/?date=*")
    assert "Booked 5 visits." in page.content()
    kinds = list(Appointment.objects.filter(patient=patient).values_list("kind", flat=True))
    assert kinds == ["follow_up"] * 4 + ["reevaluation"]
