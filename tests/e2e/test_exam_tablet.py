"""Tablet first for the exam (issue 13): at 820 px the live assessment dropped below a 5,000 px
form while the page said it was "on the right", and the menu wrapped into a 280 px block. Now, at
tablet and phone widths, a summary of the assessment (red flags first, then the leading
conditions) stays at the top of the screen while the form scrolls; at a desktop width the full
assessment is beside the form. Driven in Debian's chromium against the live server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.e2e.pages import axe_violations
from tests.e2e.pages import sign_in as _sign_in
from tests.e2e.test_journey import browser, staff  # noqa: F401 - fixtures

SHOTS = os.environ.get("WEIZHONG_SCREENSHOTS", "")


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return dict(box)


def _in_view(page: Any, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    viewport = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["height"] > 0
        and box["y"] + box["height"] <= viewport["height"] + 1
    )  # +1: sub-pixel rounding of a box whose bottom sits at the viewport edge


@pytest.mark.parametrize(("width", "height"), [(820, 1180), (390, 844)])
def test_the_summary_stays_in_view_to_the_bottom_of_the_form(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
    width: int,
    height: int,
) -> None:
    from tests.clinic.conftest import make_patient

    patient = make_patient(staff.staff.clinic)
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/patients/{patient.pk}/exam/")
    # The menu is one row under the clinic's name, not a block beside it.
    if width == 820:
        assert _box(page, "header.top nav")["height"] < 60
    page.check("input[name=saddle_anaesthesia][value=yes]")
    summary = page.locator("#live-summary")
    summary.locator(".ls-flags").wait_for()
    assert "Possible cauda equina syndrome" in summary.inner_text()
    # The red flag comes first, before the leading conditions.
    text = summary.inner_text()
    assert text.index("cauda equina") < text.index("%")
    page.locator("#exam-form .actions").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('#exam-form .actions').scrollIntoView({block: 'end'})")
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") > 2000, "the form is long: the page scrolled"
    assert _in_view(page, "#live-summary"), "the summary scrolled out of view"
    assert _in_view(page, "#exam-form .actions button[type=submit]")
    # The summary does not hide the save button it scrolled over.
    s, save = _box(page, "#live-summary"), _box(page, "#exam-form .actions button[type=submit]")
    assert s["y"] + s["height"] <= save["y"]
    # The full assessment is below the form, as the page says.
    assert _box(page, "#live")["y"] > _box(page, "#exam-form .actions")["y"]
    assert "below the form" in page.locator("main").inner_text()
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"exam-summary-{width}.png"))
    violations = axe_violations(page)
    assert not violations, violations


def test_at_a_desktop_width_the_assessment_is_beside_the_form(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic.conftest import make_patient

    patient = make_patient(staff.staff.clinic)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/patients/{patient.pk}/exam/")
    page.check("input[name=saddle_anaesthesia][value=yes]")
    page.locator("#live .flag-banner").wait_for()
    form, live = _box(page, "#exam-form"), _box(page, "aside.sticky")
    assert live["x"] >= form["x"] + form["width"], "the assessment is beside the form"
    assert not page.locator("#live-summary").is_visible()  # the full one is in view instead
    page.evaluate("document.querySelector('#exam-form .actions').scrollIntoView({block: 'end'})")
    page.wait_for_timeout(200)
    assert _in_view(page, "#live .flag-banner"), "the assessment beside the form stays in view"
    assert "beside the form on a wide screen" in page.locator("main").inner_text()
