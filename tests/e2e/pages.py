"""What the browser tests share: signing in as the clinician of ``test_journey``'s ``staff``
fixture, and axe's violations in words (each rule with its help and the first targets)."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_journey import PASSWORD


def sign_in(page: Any, base: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", "mei")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it is now; [] when clean."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}" for v in found]


SAVE_DELAY_MS = 1000  # the intake's save-as-you-go: hx-trigger="change, input delay:1s"


def saves_settled(page: Any) -> None:
    """Wait until a page's save-as-you-go has landed: past the typing delay, and no htmx request
    in flight, so that what the test then reads from the database is what the page saved."""
    page.wait_for_timeout(SAVE_DELAY_MS + 100)
    page.wait_for_function("() => document.querySelector('.htmx-request') === null")
