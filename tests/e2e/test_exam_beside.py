"""The exam in a real browser (issue 15): a re-evaluation appointment on the schedule opens the
re-examination beside the previous exam on a tablet (820 px), each change shown as it is typed
and the assessment compared; the first exam opens from the intake with the patient's answers
marked until confirmed. Rendered at 1280, 820 and 390 px (WEIZHONG_SCREENSHOTS=dir keeps them)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.pages import axe_violations
from tests.e2e.pages import sign_in as _sign_in
from tests.e2e.test_journey import browser, staff  # noqa: F401 - fixtures
from weizhong.clinic import actions
from weizhong.clinic.models import Intake
from weizhong.clinic.records import intake as questions

SHOTS = os.environ.get("WEIZHONG_SCREENSHOTS", "")
WIDTHS = ((1280, 900), (820, 1180), (390, 844))


def _axe_violations(page: Any) -> list[str]:
    page.wait_for_load_state("networkidle")
    return axe_violations(page)


def _no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_a_reevaluation_appointment_opens_the_reexam_beside_the_last_on_a_tablet(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic import conftest

    clinic = staff.staff.clinic
    patient = conftest.make_patient(clinic)
    conftest.make_plan(conftest.make_exam(patient, staff), staff, planned_visits=4)
    start = (timezone.now() + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    appointment = actions.do_book_appointment(
        clinic=clinic, patient=patient, clinician=staff, start=start, minutes=30,
        kind="reevaluation",
    )  # fmt: skip
    day = timezone.localtime(appointment.start).date().isoformat()
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda error, seen=errors: seen.append(str(error)))
        _sign_in(page, live_server.url)
        page.goto(f"{live_server.url}/schedule/?date={day}")
        page.click("text=Start the re-examination")
        page.wait_for_url(f"**/patients/{patient.pk}/exam/?appointment={appointment.pk}")
        assert "Re-examination beside the exam of" in page.inner_text("#previous-h")
        change = page.locator("#change-ake_left_deg")
        assert change.inner_text() == "no change"
        page.fill("#id_ake_left_deg", "24")
        page.locator("#id_ake_left_deg").dispatch_event("change")
        expect(change).to_have_text("−20° since then")
        page.locator("#cmp-h").wait_for()
        assert "Then (" in page.inner_text("#cmp-h")
        assert page.locator("#field-ake_left_deg .previous-note").is_visible()
        assert _no_sideways_scroll(page), f"sideways scroll at {width} px"
        assert not errors, errors
        if width == 820:
            assert not _axe_violations(page)
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"reexam-{width}.png"), full_page=True)
        context.close()


def test_the_first_exam_opens_from_the_intake_and_confirming_is_a_tick(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: User,  # noqa: F811
) -> None:
    from tests.clinic import conftest

    patient = conftest.make_patient(staff.staff.clinic)
    intake = actions.do_start_intake(patient=patient, by=staff)
    answers = {finding: "no" for finding, _q in questions.RED_FLAG_QUESTIONS}
    answers |= {"saddle_anaesthesia": "yes", "history": "Low back pain since Monday."}
    intake = actions.do_submit_intake(intake=intake, answers=answers)
    sent = timezone.localtime(Intake.objects.get(pk=intake.pk).submitted_at).date()
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(15_000)
        _sign_in(page, live_server.url)
        page.goto(f"{live_server.url}/patients/{patient.pk}/exam/")
        assert "Numbness of the perineum or inner thighs" in page.inner_text(
            "section[aria-labelledby=reported-flags-h]"
        )
        status = page.locator("#reported-status-saddle_anaesthesia")
        assert status.inner_text().startswith("reported by the patient on ")
        assert str(sent.year) in status.inner_text()
        page.check("#field-saddle_anaesthesia input[name=confirm]")
        expect(status).to_have_text(re.compile(r", confirmed$"))
        page.check("#field-fever input[value=yes]")
        expect(page.locator("#reported-status-fever")).to_have_text(re.compile(r"^changed"))
        assert _no_sideways_scroll(page), f"sideways scroll at {width} px"
        if width == 820:
            assert not _axe_violations(page)
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"exam-from-intake-{width}.png"), full_page=True)
        context.close()
