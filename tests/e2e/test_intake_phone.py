"""The intake on a 390 px phone (issue 15): the patient opens the link, taps where it hurts on
the body chart (every tile at least 44 px, each named, keyboard operable, saved as they go)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User

from tests.e2e.pages import axe_violations, saves_settled
from tests.e2e.test_journey import browser, staff  # noqa: F401 - fixtures
from weizhong.clinic import actions
from weizhong.clinic.web.figures import REGION_IDS

SHOTS = os.environ.get("WEIZHONG_SCREENSHOTS", "")


def test_the_patient_taps_the_body_chart_on_a_phone(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic.conftest import make_patient

    patient = make_patient(staff.staff.clinic)
    intake = actions.do_start_intake(patient=patient, by=staff)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.goto(f"{live_server.url}/intake/{intake.key}/")
    tiles = page.locator(".intake-chart .region")
    drawn = {tiles.nth(i).get_attribute("data-region") for i in range(tiles.count())}
    assert drawn == set(REGION_IDS)
    for i in range(tiles.count()):
        box = tiles.nth(i).bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, (
            tiles.nth(i).get_attribute("aria-label"),
            box,
        )
        assert tiles.nth(i).get_attribute("aria-label")  # named in words
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    page.locator("#tile-back-low_back").tap()
    page.locator("#tile-back-buttock_left").tap()
    page.locator("#tile-front-shin_left").focus()
    page.keyboard.press("Space")
    page.locator("#tile-back-buttock_left").tap()  # tapped again: undone
    assert page.locator("#tile-back-low_back").get_attribute("aria-checked") == "true"
    assert page.locator("#tile-back-buttock_left").get_attribute("aria-checked") == "false"
    saves_settled(page)
    intake.refresh_from_db()
    assert intake.answers["pain_regions"] == ["low_back", "shin_left"]
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "intake-chart-390.png"), full_page=True)
        for width in (820, 1280):
            wide = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            wide.goto(f"{live_server.url}/intake/{intake.key}/")
            wide.screenshot(path=str(Path(SHOTS) / f"intake-chart-{width}.png"), full_page=True)
            wide.context.close()
    page.reload()  # back after a drop: the chart shows what was saved
    assert page.locator("#tile-front-shin_left").get_attribute("aria-checked") == "true"
    assert page.locator("#tile-back-shin_left").count() == 0  # shins are seen from the front


def test_the_patient_fills_the_whole_intake_and_the_chart_shows_the_baseline(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic.conftest import make_patient
    from tests.e2e.pages import sign_in as _sign_in
    from weizhong.clinic.records import intake as questions

    patient = make_patient(staff.staff.clinic, primary_clinician=staff)
    intake = actions.do_start_intake(patient=patient, by=staff)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/intake/{intake.key}/")
    assert axe_violations(page) == []
    page.fill("#history", "My low back hurts since Monday, worse when I sit.")
    page.locator("#tile-back-low_back").tap()
    page.locator("#tile-back-buttock_right").tap()
    for finding, _question in questions.RED_FLAG_QUESTIONS:
        page.locator(f"input[name={finding}][value=no]").check()
    for n, value in enumerate([2, 1, 3, 2, 2, 1, 1, 0, 2, 1], start=1):  # ODI: 15/50 = 30%
        page.locator(f"input[name=odi_{n}][value='{value}']").check()
    for n, value in enumerate([0, 0, 1, 1, 0, 1, 0, 0, 3], start=1):  # STarT Back: 4, psych 2
        page.locator(f"input[name=startback_{n}][value='{value}']").check()
    for n, (activity, rating) in enumerate([("Walking the dog", 4), ("Lifting my son", 2)], 1):
        page.fill(f"#psfs_activity_{n}", activity)
        page.locator(f"input[name=psfs_{n}][value='{rating}']").check(force=True)
    page.click("button[type=submit]")
    problem = page.locator("#part-psfs-problem")
    problem.wait_for()  # two activities: the clinic's PSFS asks for three
    assert "at least 3 things" in problem.inner_text()
    assert axe_violations(page) == []
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "intake-psfs-problem-390.png"), full_page=True)
    assert page.locator("#psfs_activity_2").input_value() == "Lifting my son"  # nothing lost
    page.fill("#psfs_activity_3", "Sitting at work")
    page.locator("input[name=psfs_3][value='6']").check(force=True)
    page.click("button[type=submit]")
    page.get_by_role("heading", name="Thank you").wait_for()
    assert axe_violations(page) == []
    assert errors == []
    intake.refresh_from_db()
    assert intake.answers["pain_regions"] == ["low_back", "buttock_right"]
    scores = {o.instrument: o.score for o in patient.outcomes.all()}
    assert scores == {"odi": 30.0, "startback": 4.0, "psfs": 4.0}
    # The clinician's chart and outcome graphs show the baseline reported at intake.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(desk, live_server.url)
    desk.goto(f"{live_server.url}/patients/{patient.pk}/")
    timeline = desk.locator("main").inner_text()
    assert "reported by the patient at intake" in timeline
    assert "Oswestry Disability Index: 30" in timeline
    desk.goto(f"{live_server.url}/patients/{patient.pk}/outcomes/")
    assert desk.locator("main svg").count() >= 3  # a graph each for ODI, STarT Back and PSFS
    assert "By the patient at intake" in desk.locator("main").inner_text()
    if SHOTS:
        desk.screenshot(path=str(Path(SHOTS) / "intake-baseline-outcomes-1280.png"), full_page=True)
        desk.goto(f"{live_server.url}/patients/{patient.pk}/")
        desk.screenshot(path=str(Path(SHOTS) / "intake-baseline-chart-1280.png"), full_page=True)
    desk.context.close()
    phone.close()


def test_the_desk_shows_the_intake_link_and_its_qr_code(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic.conftest import make_patient
    from tests.e2e.pages import sign_in as _sign_in

    patient = make_patient(staff.staff.clinic, primary_clinician=staff)
    for width in (390, 820, 1280):
        page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        _sign_in(page, live_server.url)
        page.goto(f"{live_server.url}/patients/{patient.pk}/")
        if width == 390:
            page.get_by_role("button", name="Make an intake link").click()
        card = page.locator("#intake")
        card.get_by_role("img", name="QR code of the intake link").wait_for()
        key = patient.intakes.get().key
        assert page.locator("#intake-link").input_value().endswith(f"/intake/{key}/")
        assert axe_violations(page) == []
        if SHOTS:
            card.screenshot(path=str(Path(SHOTS) / f"intake-desk-qr-{width}.png"))
        page.context.close()


def test_saves_sent_together_all_land(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    """A patient's saves as they go can overlap with each other and with the submit (the CI
    once failed on exactly that). Eight saves sent at once all land; see tests/e2e/conftest.py
    for why the live server takes them one at a time on in-memory SQLite."""
    from tests.clinic.conftest import make_patient

    patient = make_patient(staff.staff.clinic)
    intake = actions.do_start_intake(patient=patient, by=staff)
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live_server.url}/intake/{intake.key}/")
    page.fill("#history", "Sore low back after the long drive.")
    statuses = page.evaluate(
        """async (url) => {
            const form = document.querySelector("form.intake-form");
            const send = () => fetch(url, {method: "POST", body: new FormData(form)});
            const answers = await Promise.all(Array.from({length: 8}, send));
            return answers.map((answer) => answer.status);
        }""",
        f"{live_server.url}/intake/{intake.key}/save",
    )
    assert statuses == [204] * 8
    intake.refresh_from_db()
    assert intake.answers["history"] == "Sore low back after the long drive."
    page.context.close()
