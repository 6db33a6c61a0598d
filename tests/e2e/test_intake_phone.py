"""The intake on a 390 px phone (issue 15): the patient opens the link, taps where it hurts on
the body chart (every tile at least 44 px, each named, keyboard operable, saved as they go)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User

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
    page.wait_for_timeout(600)  # the saves as they go
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
