"""Issue 13: axe-core (axe-playwright-python, its bundled axe.min.js: nothing downloaded) finds no
violation on the pages of the journey, for each role: the clinician, the front desk, the
administrator and the patient through the portal link, on the demo clinic (a patient who is
treated, one referred for a red flag, one waiting for an INR), at every width: a desktop
(1280 px), a tablet (820 px) and a phone (390 px). Each page is opened once and checked at the
three widths (the browser, its context and the page are reused)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.e2e.test_journey import ARGS, CHROMIUM, browser  # noqa: F401 (fixture)
from weizhong.clinic import actions
from weizhong.clinic.accounts import portal_links
from weizhong.clinic.accounts.second_factor import VERIFIED
from weizhong.clinic.models import Patient
from weizhong.clinic.ops.demo import ensure_demo_clinic

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SHOWN = ("Ana", "Jonas", "Noor")  # treated; referred (cauda equina); waiting for the INR
WIDTHS = (1280, 820, 390)  # desktop, tablet, phone


def _session_cookie(username: str, admin: bool) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    if admin:
        session = client.session
        session[VERIFIED] = timezone.now().isoformat()
        session.save()
    return client.cookies["sessionid"].value


def _pages(role: str) -> list[str]:
    people = [Patient.objects.get(given_name=name) for name in SHOWN]
    if role == "patient":
        links = [portal_links.url_for(None, p) for p in people]
        intake = people[0].intakes.get(submitted_at__isnull=True)  # the body chart, ODI, ...
        return [*links, links[0] + "book/", f"/intake/{intake.key}/"]  # issue 15
    pages = ["/", "/patients/", "/search/?q=a"]  # the header search's own page
    for p in people:
        pages.append(f"/patients/{p.pk}/")
        if role == "front desk":
            if visit := p.visits.first():
                pages.append(f"/visits/{visit.pk}/bill/")  # the desk's superbill
            continue
        exam = p.exams.first()
        plan = p.plans.first()
        own = f"/patients/{p.pk}/"
        pages += [own + "exam/", own + "outcomes/", own + "visit/",
                  own + "outcomes/new/?instrument=odi"]  # fmt: skip
        if exam:
            pages += [f"/exams/{exam.pk}/", f"/exams/{exam.pk}/plan/"]
        if plan:
            pages.append(f"/plans/{plan.pk}/")
        if visit := p.visits.first():
            pages.append(f"/visits/{visit.pk}/")
    if role == "administrator":
        pages += ["/audit/", "/settings/staff/", "/settings/", "/settings/day/", "/settings/fees/"]
    return pages


@pytest.mark.parametrize("role", ["clinician", "front desk", "administrator", "patient"])
def test_axe_finds_no_violation_on_the_journey(
    role: str,
    browser: Any,  # noqa: F811
    live_server: Any,
    transactional_db: Any,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    ensure_demo_clinic()
    for patient in Patient.objects.all():
        actions.do_issue_portal_link(patient=patient)
    # An open intake: its page for the patient, its link and QR code on the chart for the staff.
    actions.do_start_intake(patient=Patient.objects.get(given_name=SHOWN[0]))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    login = {"clinician": "dr.lin", "front desk": "desk", "administrator": "owner"}.get(role)
    if login:
        host = live_server.url.split("//")[1].split(":")[0]
        cookie = _session_cookie(login, role == "administrator")
        context.add_cookies([{"name": "sessionid", "domain": host, "path": "/", "value": cookie}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    axe = Axe()
    found: dict[str, list[str]] = {}

    def check(where: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            # two frames: the page's resize handler has run (wide tables become focusable)
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            for v in axe.run(page).response["violations"]:
                targets = [", ".join(n["target"]) for n in v["nodes"]][:3]
                found.setdefault(f"{v['id']} ({v['impact']}): {v['help']}", []).append(
                    f"{where} at {width} px {targets}"
                )

    for path in _pages(role):
        url = path if path.startswith("http") else live_server.url + path
        answer = page.goto(url)
        assert answer is not None and answer.status == 200, (path, answer and answer.status)
        page.wait_for_load_state("networkidle")
        check(path)
    if role in ("clinician", "front desk"):  # the header search's results as you type, open
        page.goto(live_server.url + "/")
        page.fill("#find-q", "a")
        page.wait_for_selector("#find-results li a")
        check("/ (header search open)")
    if role == "clinician":  # a flash message after an action (axe flagged its list's role)
        chart = Patient.objects.get(given_name="Ana").pk
        page.goto(f"{live_server.url}/patients/{chart}/")
        page.on("dialog", lambda dialog: dialog.accept())
        page.click(f"form[action='/patients/{chart}/portal/'] button[value=revoke]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".messages li").count() >= 1
        check("flash")
    # axe runs for real: a picture without a text alternative is found
    page.set_content('<html lang="en"><title>t</title><main><img src="data:,"></main></html>')
    assert "image-alt" in [v["id"] for v in axe.run(page).response["violations"]]
    context.close()
    assert not found, "\n".join(f"{rule}\n    " + "\n    ".join(where[:4])
                                for rule, where in found.items())  # fmt: skip
