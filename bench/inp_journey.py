"""Interaction to next paint (INP) of the journey's interactions, in a real browser (Debian's
chromium driven by Playwright) against gunicorn on the bench's clinic (issue 13).

Advisory figures, not a target: the browser, the server and everything else share this
machine's cores. For each interaction the page's own Event Timing entries are read: a
``PerformanceObserver`` of type ``event`` with ``durationThreshold: 16`` (the smallest the
browser allows), added to every page before its scripts run (Playwright's init script, not a
file the app serves, so the pages' content security policy is unchanged; nothing is fetched
from a CDN). An interaction's duration is the longest of its events with the same
``interactionId`` (from the input to the next paint after its handlers ran); an interaction
with no entry took under 16 ms. INP over the whole run is the p98 of all interactions (the
largest when there are fewer than 50, as the web-vitals definition says).

INP ends at the first paint after the click, before an htmx request comes back; what a person
waits for is until the new content is on the screen, so the time from the click to htmx's
``htmx:afterSettle`` (or to the next page, or the downloaded file) is printed beside it.

The interactions, ``BENCH_INP_ROUNDS`` (10) times each, on one patient of the bench clinic
with the bundled runner's exam and a plan: the live assessment (a yes/no answer of the exam
clicked), the plan editor's remove a point and add it back, saving the plan (the next page),
the portal's tick and undo (on a phone-sized page), and opening the handout (a PDF download).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

ROUNDS = int(os.environ.get("BENCH_INP_ROUNDS", "10"))
CHROMIUM = os.environ.get("WEIZHONG_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

# Runs in every page before its own scripts: Event Timing entries into window.__inp, and
# the time of htmx's last settle into window.__settled.
OBSERVER = """
window.__inp = [];
window.__settled = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) {
    if (e.interactionId) window.__inp.push({id: e.interactionId, name: e.name,
                                            duration: e.duration, start: e.startTime});
  });
}).observe({type: "event", durationThreshold: 16, buffered: true});
document.addEventListener("htmx:afterSettle", function () {
  window.__settled = performance.now();
});
"""


def _p(values: list[float], q: float) -> float:
    import math

    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Recorder:
    """Per interaction label: INP of each interaction (0 when under 16 ms) and the time until
    its content was on the screen."""

    def __init__(self) -> None:
        self.inp: dict[str, list[float]] = {}
        self.shown: dict[str, list[float]] = {}

    def interaction(self, page: Any, label: str, act: Callable[[], Any], done: str) -> None:
        """``act`` clicks; ``done``: "settle" (htmx swapped), "none" (``act`` waits), or
        "navigation" (``act`` waits for the next page, whose document no longer holds the
        click's entries, or is no click at all: no INP figure, only the time)."""
        page.evaluate("window.__inp = []; window.__settled = 0")
        started = time.perf_counter()
        t0 = page.evaluate("performance.now()")
        act()
        if done == "settle":
            _until_settled(page)
            shown = page.evaluate("window.__settled") - t0
        else:
            shown = (time.perf_counter() - started) * 1000
        self.shown.setdefault(label, []).append(shown)
        if done == "navigation":
            return
        page.wait_for_timeout(120)  # the observer reports after the next frame
        entries = page.evaluate("window.__inp")
        worst: dict[int, float] = {}
        for e in entries:
            worst[e["id"]] = max(worst.get(e["id"], 0.0), e["duration"])
        self.inp.setdefault(label, []).append(max(worst.values(), default=0.0))

    def report(self) -> None:
        every = [v for values in self.inp.values() for v in values]
        print(
            "\ninteraction to next paint in chromium (Event Timing, durationThreshold 16 ms; "
            f"{ROUNDS} rounds each; advisory: browser and server share the machine):"
        )
        print(f"  {'interaction':<30} {'INP p50':>8} {'p98':>7} {'max':>7}   "
              f"{'on screen p50':>13} {'p98':>7}")  # fmt: skip
        for label, shown in self.shown.items():
            values = self.inp.get(label)
            figures = (f"{_fmt(_p(values, 0.5))} {_fmt(_p(values, 0.98))} {_fmt(max(values))}"
                       if values else f"{'(no INP figure)':>25}")  # fmt: skip
            print(f"  {label:<30} {figures}   {_p(shown, 0.5):10.0f} ms {_p(shown, 0.98):4.0f} ms")
        if every:
            print(f"  INP of the whole run (p98 of {len(every)} interactions): "
                  f"{_fmt(_p(every, 0.98)).strip()}")  # fmt: skip


def _until_settled(page: Any, timeout: float = 30.0) -> None:
    """Until htmx has swapped (polled: the pages' policy forbids the eval that
    ``wait_for_function`` uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate("window.__settled > 0"):
        if time.monotonic() > deadline:
            raise TimeoutError("htmx did not swap within 30 s")
        page.wait_for_timeout(5)


def _fmt(ms: float) -> str:
    return "  <16 ms" if ms < 16 else f"{ms:5.0f} ms"


def run(
    user: Any,
    patient_ids: list[int],
    serve: Callable[[int, Path], AbstractContextManager[Any]],
    port: int,
    log: Path,
) -> None:
    """Measure and print; never fails the bench (advisory)."""
    from django.db import connections
    from django.test import Client

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        print(f"\nINP: chromium not found at {CHROMIUM}: skipped")
        return
    from htmx_interactions import _setup

    case = _setup(user, patient_ids[-1:])[0]  # a patient the htmx bench did not use
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    connections.close_all()
    try:
        _measure(session, case, serve, port, log)
    except Exception as error:  # advisory: say what went wrong, never stop the bench
        print(f"\nINP: not measured: {type(error).__name__}: {error}")


def _measure(
    session: str,
    case: dict[str, Any],
    serve: Callable[[int, Path], AbstractContextManager[Any]],
    port: int,
    log: Path,
) -> None:
    with serve(port, log), _browser() as browser:
        base = f"http://127.0.0.1:{port}"
        recorder = Recorder()
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      accept_downloads=True)  # fmt: skip
        context.add_cookies([{"name": "sessionid", "value": session, "domain": "127.0.0.1",
                              "path": "/"}])  # fmt: skip
        context.add_init_script(OBSERVER)
        page = context.new_page()
        page.set_default_timeout(30_000)
        _clinic(page, base, case, recorder)
        context.close()
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                    has_touch=True)  # fmt: skip
        phone.add_init_script(OBSERVER)
        _portal(phone.new_page(), base + case["portal"], recorder)
        phone.close()
        recorder.report()


def _browser() -> Any:
    from contextlib import contextmanager

    from playwright.sync_api import sync_playwright

    @contextmanager
    def launched() -> Iterator[Any]:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                yield browser
            finally:
                browser.close()

    return launched()


def _clinic(page: Any, base: str, case: dict[str, Any], recorder: Recorder) -> None:
    patient, exam = case["patient"], case["exam"]
    # the live assessment: a yes/no answer of the exam, clicked back and forth
    page.goto(f"{base}/patients/{patient.pk}/exam/")
    _until_settled(page)  # the first assessment (hx-trigger load)
    for n in range(ROUNDS):
        answer = "#id_runner_1" if n % 2 == 0 else "#id_runner_0"
        recorder.interaction(page, "live assessment update",
                             lambda a=answer: page.check(a), "settle")  # fmt: skip
    # the plan editor: remove the first point, add it back
    page.goto(f"{base}/exams/{exam.pk}/plan/")
    first = page.locator("table.points tbody tr:first-child button[name=drop_point]")
    back = page.locator("button[name=pick_point]:has-text('Restore')")
    for _n in range(ROUNDS):
        recorder.interaction(page, "plan: remove a point", first.click, "settle")
        recorder.interaction(page, "plan: add a point (restore)", back.click, "settle")
    # saving the plan: the click, then the saved plan's page
    for _n in range(ROUNDS):
        page.goto(f"{base}/exams/{exam.pk}/plan/")

        def save() -> None:
            with page.expect_navigation(url="**/plans/*/"):
                page.click("button[name=action][value=save]")

        recorder.interaction(page, "plan: save (to the next page)", save, "navigation")
    # the handout from the chart: the click, then the downloaded PDF
    page.goto(f"{base}/patients/{patient.pk}/")
    for _n in range(ROUNDS):

        def handout() -> None:
            with page.expect_download() as download:
                page.click("a:has-text('Handout (PDF)')")
            download.value.path()

        recorder.interaction(page, "handout open (PDF downloaded)", handout, "none")
    # the same handout fetched without the browser's download handling (the server's part)
    href = page.locator("a:has-text('Handout (PDF)')").get_attribute("href")

    def fetch() -> None:
        page.request.get(base + href).body()

    for _n in range(ROUNDS):
        recorder.interaction(page, "handout: HTTP fetch only", fetch, "navigation")


def _portal(page: Any, link: str, recorder: Recorder) -> None:
    page.set_default_timeout(30_000)
    page.goto(link)
    tick = page.locator("[id^=card-] button:not([name=undo])").first
    if tick.count() == 0:
        print("\nINP: no exercise on the portal today for the bench patient: tick skipped")
        return
    undo = page.locator("[id^=card-] button[name=undo]").first
    for _n in range(ROUNDS):
        recorder.interaction(page, "portal: tick (phone)", tick.tap, "settle")
        recorder.interaction(page, "portal: undo (phone)", undo.tap, "settle")
