"""Online booking on a phone (issue 15): the patient books a free time with their clinician
from the portal at 390 px, the desk's schedule shows it at once, and the patient cancels it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User

from tests.e2e.pages import sign_in as _sign_in
from tests.e2e.test_journey import browser, staff  # noqa: F401 - fixtures
from weizhong.clinic import actions
from weizhong.clinic.accounts.portal_links import make_token
from weizhong.clinic.models import Appointment
from weizhong.clinic.records import scheduling

SHOTS = os.environ.get("WEIZHONG_SCREENSHOTS", "")


def _fits(page: Any) -> bool:
    return not page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")


def test_a_patient_books_and_cancels_on_a_phone(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic.conftest import make_patient

    clinic = staff.staff.clinic
    patient = make_patient(clinic, primary_clinician=staff)
    actions.do_issue_portal_link(patient=patient)
    patient.refresh_from_db()
    portal = f"{live_server.url}/p/{make_token(patient)}/"
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(portal)
    assert "You have no appointments booked." in page.content()
    page.click("text=Book an appointment")
    page.wait_for_url("**/book/")
    assert _fits(page), "the booking page scrolls sideways at 390 px"
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "portal-book-390.png"), full_page=True)
    # The third day with free times is at least two days away: more than the 24 hours' notice.
    page.locator(".day-picker a").nth(2).click()
    page.wait_for_url("**/book/?day=*")
    first = page.locator(".time-picker button").first
    chosen = first.get_attribute("value")
    first.click()
    page.wait_for_url(portal)
    assert "Booked:" in page.content()
    made = Appointment.objects.get(patient=patient)
    assert made.status == "booked" and made.clinician == staff and made.booked_by is None
    section = page.locator("section[aria-labelledby=appointments-h]")
    assert "with" in section.inner_text() and _fits(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "portal-booked-390.png"), full_page=True)

    # The desk sees it at once on the day's schedule.
    local = made.start.astimezone(scheduling.clinic_zone(clinic))
    assert chosen is not None and local.isoformat() == chosen
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(desk, live_server.url)
    desk.goto(f"{live_server.url}/schedule/?date={local.date().isoformat()}")
    row = desk.locator(f"li.appointment:has(a[href='/patients/{patient.pk}/'])")
    assert f"{local:%H:%M}" in row.inner_text() and "Booked" in row.inner_text()

    # The patient cancels it.
    section.locator("button", has_text="Cancel").click()
    page.wait_for_url(portal)
    assert "Your appointment is cancelled." in page.content()
    assert "You have no appointments booked." in page.content()
    made.refresh_from_db()
    assert made.status == "cancelled"
    desk.reload()
    assert (
        "Cancelled"
        in desk.locator(f"li.appointment:has(a[href='/patients/{patient.pk}/'])").inner_text()
    )
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "portal-cancelled-390.png"), full_page=True)


def test_the_clinic_day_settings_fit_every_width_and_save_by_clicking(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from weizhong.clinic.accounts.second_factor import VERIFIED
    from weizhong.clinic.models import Staff, WorkingHours

    Staff.objects.filter(user=staff).update(is_admin=True)
    signed = Client()
    signed.force_login(staff)
    session = signed.session
    session[VERIFIED] = timezone.now().isoformat()  # past the second factor
    session.save()
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
              "url": live_server.url}  # fmt: skip
    for width, height in ((1280, 900), (820, 1180), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.add_cookies([cookie])
        page = context.new_page()
        page.goto(f"{live_server.url}/settings/day/")
        assert page.locator("h1").inner_text() == "The clinic's day"
        assert _fits(page), f"the settings page scrolls sideways at {width} px"
        if width == 390:
            page.fill(f"#id_u{staff.pk}-d1_0_from", "08:30")
            page.fill(f"#id_u{staff.pk}-d1_0_until", "12:30")
            page.check(f"#id_u{staff.pk}-allow_overlap")
            page.click("button:has-text('Save the hours of Mei Lin')")
            page.wait_for_url("**/settings/day/")
            assert "Hours of Mei Lin saved." in page.content()
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"day-settings-{width}.png"), full_page=True)
        context.close()
    (tuesday,) = WorkingHours.objects.filter(user=staff)
    assert (tuesday.weekday, f"{tuesday.starts:%H:%M}", f"{tuesday.ends:%H:%M}") == (
        1, "08:30", "12:30"
    )  # fmt: skip
    assert actions.do_get_calendar(staff).allow_overlap is True
