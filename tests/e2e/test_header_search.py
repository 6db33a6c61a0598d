"""The header's patient search in a real browser (issue 13): typed into, the results appear
under the field; Arrow Down reaches them, Arrow Up goes back, Enter opens the chart; Escape
closes the list; without the list, Enter in the field opens the results page."""

from __future__ import annotations

import os
from typing import Any

from tests.e2e.test_axe import _session_cookie
from tests.e2e.test_journey import browser  # noqa: F401 (fixture)
from weizhong.clinic.models import Patient
from weizhong.clinic.ops.demo import ensure_demo_clinic

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_the_header_search_works_from_the_keyboard(
    browser: Any,  # noqa: F811
    live_server: Any,
    transactional_db: Any,
) -> None:
    ensure_demo_clinic()
    ana = Patient.objects.get(given_name="Ana")
    context = browser.new_context(viewport={"width": 820, "height": 900})
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": "sessionid", "domain": host, "path": "/",
                          "value": _session_cookie("desk", False)}])  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/schedule/")
    page.focus("#find-q")
    page.keyboard.type("cost")
    page.wait_for_selector("#find-results li a")
    assert "Costa, Ana" in page.inner_text("#find-results")
    assert "found" in page.inner_text("#find-status")  # told to a screen reader
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent").startswith("Costa, Ana")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "find-q"
    page.keyboard.press("Escape")
    assert page.locator("#find-results li").count() == 0
    page.keyboard.type("a")  # "costa": the list again
    page.wait_for_selector("#find-results li a:has-text('Costa, Ana')")
    for _n in range(8):  # down the list to her (an Acosta may come first)
        page.keyboard.press("ArrowDown")
        if page.evaluate("document.activeElement.textContent").startswith("Costa, Ana"):
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/patients/{ana.pk}/")
    # Enter in the field itself: the results page (the same as without JavaScript)
    born = ana.birth_date.strftime("%d/%m/%Y")
    page.fill("#find-q", born)
    page.press("#find-q", "Enter")
    page.wait_for_url("**/search/?q=" + born.replace("/", "%2F"))
    assert "Costa, Ana" in page.inner_text("main")
    context.close()
    assert errors == [], errors
