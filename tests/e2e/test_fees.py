"""The Fees page and the charges it makes on the superbill, in a real browser: an administrator
types the fees and sends them with the keyboard, a bad amount comes back named with everything
typed kept, and axe finds no violation on the page (blank and refused) or on the desk's
superbill with its charges, at 1280, 820 and 390 px, none wider than the screen.

``WEIZHONG_SHOTS=/some/dir`` also saves a screenshot of each page at each width, to look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.clinic.conftest import make_exam, make_patient, make_plan, make_staff, make_visit
from tests.e2e.pages import axe_violations
from tests.e2e.test_journey import browser  # noqa: F401 (fixture)
from weizhong.clinic import actions
from weizhong.clinic.accounts.second_factor import VERIFIED
from weizhong.clinic.models import Staff
from weizhong.clinic.records.fees import fee_schedule

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
WIDTHS = (1280, 820, 390)


def _look(page: Any, name: str) -> list[str]:
    """axe's violations and any sideways scrolling, at every width (and a screenshot when
    asked for)."""
    problems = []
    shots = os.environ.get("WEIZHONG_SHOTS")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        problems += [f"{name} at {width} px: {v}" for v in axe_violations(page)]
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            problems.append(f"{name} at {width} px scrolls sideways ({wide} px)")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def test_an_administrator_sets_the_fees_and_the_superbill_shows_the_charges(
    browser: Any,  # noqa: F811
    live_server: Any,
    transactional_db: Any,
) -> None:
    clinic = actions.do_create_clinic(name="Riverside", slug="riverside")
    actions.do_update_clinic_settings(clinic=clinic, fields={"provider_id": "1234567893"})
    owner = make_staff(clinic, "ana", Staff.CLINICIAN, is_admin=True, last_name="Chen")
    patient = make_patient(clinic)
    plan = make_plan(make_exam(patient, owner), owner)
    visit = make_visit(
        patient, plan, owner, contact_minutes=30, reinsertions=1, electro=True,
        regions_adjusted=["lumbar", "pelvic"], exercise_minutes=33, diagnoses=["M54.50"],
    )  # fmt: skip
    client = Client()
    client.force_login(owner)
    session = client.session
    session[VERIFIED] = timezone.now().isoformat()  # past the second factor
    session.save()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [{"name": "sessionid", "domain": host, "path": "/", "value": session.session_key}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []

    page.goto(live_server.url + "/settings/")
    page.get_by_role("link", name="Fees: the clinic's charge for each service").click()
    page.wait_for_url("**/settings/fees/")
    assert page.input_value("#id_fee_97813") == ""  # no price comes with weizhong
    problems += _look(page, "fees")

    page.get_by_label("97813 Acupuncture with electrical stimulation, first 15 min").fill("95")
    page.fill("#id_fee_97814", "40")
    page.fill("#id_fee_97110", "abc")
    page.press("#id_fee_97110", "Enter")  # sent with the keyboard
    page.wait_for_selector("[role=alert]")
    assert "97110: “abc” is not an amount of money" in page.inner_text("[role=alert]")
    assert page.input_value("#id_fee_97813") == "95" and page.input_value("#id_fee_97110") == "abc"
    assert page.get_attribute("#id_fee_97110", "aria-invalid") == "true"
    assert fee_schedule(clinic) == {}
    problems += _look(page, "fees-refused")
    page.click("[role=alert] a[href='#id_fee_97110']")
    assert page.evaluate("document.activeElement.id") == "id_fee_97110"

    page.fill("#id_fee_97110", "$35.25")
    page.click("button:has-text('Save the fees')")
    page.wait_for_selector("text=The fees are saved.")
    assert fee_schedule(clinic) == {"97813": 9500, "97814": 4000, "97110": 3525}
    assert page.input_value("#id_fee_97110") == "35.25"

    page.goto(f"{live_server.url}/visits/{visit.pk}/bill/")
    text = page.inner_text("main")
    assert "$95.00" in text and "$70.50" in text and "$205.50" in text  # 95 + 40 + 2 × 35.25
    assert "No fee is set for 98940" in text  # manipulation has no fee yet
    problems += _look(page, "bill")
    context.close()
    assert not problems, "\n".join(problems)
