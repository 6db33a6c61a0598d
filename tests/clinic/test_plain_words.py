"""Issue 13: no raw identifier reaches a person. Every page the crawl opens (tests/clinic/
test_crawl.py: each role, each demo patient) and every handout and superbill PDF it downloads is
read as a person reads it (text, not markup, attributes or URLs; code samples in ``<code>`` and
``<pre>`` aside) and must hold no snake_case identifier such as ``fabq_work_under_19``, no
kebab-case identifier of the code's (``acu-retention-only``), no medication class as its id in
words ("ssri snri"), no range whose ends are equal ("1.0-1.0 cun") and no unit left without its
number ("– cun")."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.clinic.test_crawl import PATIENTS, ROLES, demo, pages_for  # noqa: F401 (fixture)
from weizhong.clinic.models import Clinic
from weizhong.knowledge import load_knowledge
from weizhong.reasoning.words import medication_class_words

RAW_ID = re.compile(r"\b[a-z]+_[a-z_]+[a-z0-9]*\b")
URL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+")
PACKAGE = Path(__file__).parents[2] / "weizhong"
KEBAB = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w-])", re.IGNORECASE)
# Hyphenated strings in the code that are words a person reads, not identifiers.
HYPHENATED_WORDS = frozenset({
    "e-mail", "electro-acupuncture", "sign-in", "sign-out", "bed-bound", "omega-3",
    "menaquinone-4", "amoxicillin-clavulanate", "utf-8",
})  # fmt: skip


def _kebab_identifiers() -> frozenset[str]:
    """Every kebab-case string literal in the package's code and knowledge (billing notice ids,
    rule ids, CSS hooks…), less the hyphenated words and the co- drug names people read."""
    found: set[str] = set()
    for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.toml")]:
        for literal in re.findall(r"[\"']([a-z][a-z0-9]*(?:-[a-z0-9]+)+)[\"']", path.read_text()):
            found.add(literal)
    return frozenset(i for i in found if i not in HYPHENATED_WORDS and not i.startswith("co-"))


KEBAB_IDS = _kebab_identifiers()
# A medication class said as its id in words ("ssri snri") where it has a proper name.
CLASS_IDS_AS_WORDS = {
    c.replace("_", " "): medication_class_words(c)
    for c in load_knowledge().medication_classes
    if c.replace("_", " ") != medication_class_words(c)
}
NUMBER = r"(?<![\d.:/\-–])(\d+(?:\.\d+)?)"
RANGE = re.compile(NUMBER + r"\s?[-–]\s?(\d+(?:\.\d+)?)(?![\d.:/\-–])")
UNITS = r"(?:cun|mA|ms|min|mins|minutes|mm|cm|kg|km|points?|days?|weeks?|sessions?|visits?)"
DANGLING_UNIT = re.compile(r"(?<![\w.%°])(?:[-–—]|None|nan)\s+" + UNITS + r"\b")
# Pages for programmers, not people reading a record: the API's own documentation.
FOR_PROGRAMMERS = re.compile(r"^/api/")
EMPTY_CHOICE = "---------"


class _Text(HTMLParser):
    """The text a person reads: data outside code samples, scripts and styles."""

    HIDDEN: ClassVar[frozenset[str]] = frozenset({"code", "pre", "script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def readable_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def raw_ids(text: str) -> list[str]:
    """What a person should not read: identifiers, equal-ended ranges, units without numbers."""
    text = URL.sub(" ", text)
    found = set(RAW_ID.findall(text))
    found |= {k for k in KEBAB.findall(text) if k.lower() in KEBAB_IDS}
    for raw, words in CLASS_IDS_AS_WORDS.items():  # as the id is spelt, or capitalised
        spelt = f"[{raw[0]}{raw[0].upper()}]{re.escape(raw[1:])}"
        if re.search(rf"(?<![\w-]){spelt}(?![\w-])", text):
            found.add(f"{raw!r} (say {words!r})")
    found |= {m.group(0) for m in RANGE.finditer(text) if float(m.group(1)) == float(m.group(2))}
    found |= {m.group(0).strip() for m in DANGLING_UNIT.finditer(text)}
    if EMPTY_CHOICE in text:  # Django's label of a select's empty choice
        found.add(f"{EMPTY_CHOICE!r} (an empty choice: say what it means)")
    return sorted(found)


def test_the_scan_finds_identifiers_in_words_and_not_in_markup() -> None:
    page = (
        '<p class="fabq_hidden" data-x="a_b">Fear-avoidance: fabq_work_under_19</p>'
        "<pre>weizhong serve --no_demo</pre><code>slr_left_deg</code>"
        '<a href="/x_y/">see https://example.org/a_b</a><p class="acu-x">one-on-one time</p>'
    )
    assert raw_ids(readable_text(page)) == ["fabq_work_under_19"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Acu-retention-only: needle retention alone", ["Acu-retention-only"]),  # capfirst
        ("acu-retention-only: needle retention alone", ["acu-retention-only"]),
        ("timed minutes unbilled; timed-minutes-unbilled", ["timed-minutes-unbilled"]),
        ("Sertraline ssri snri", ["'ssri snri' (say 'SSRI or SNRI')"]),
        ("Sertraline: SSRI or SNRI; NSAIDs", []),
        ("Ibuprofen: Nsaid", ["'nsaid' (say 'NSAID')"]),
        ("BL40 1.0-1.0 cun, perpendicular", ["1.0-1.0"]),
        ("1–1 cun", ["1–1"]),
        ("0.5–1 cun; 2026-06-06; 10:00–10:00; 1-1.5 cun", []),
        ("ASHI (left) – cun, perpendicular", ["– cun"]),
        ("Minutes: None min", ["None min"]),
        ("25–30 min, 0.2–0.5 ms, − 2 points", []),
        ("Room: --------- Treatment room 1", ["'---------' (an empty choice: say what it means)"]),
    ],
)
def test_the_scan_finds_what_issue_13_found(text: str, found: list[str]) -> None:
    """Each raw text issue 13 saw on a page: a kebab-case notice id, a medication class as its
    id, a range whose ends are equal, a unit with no number."""
    assert raw_ids(text) == found


@pytest.mark.parametrize("name", ["", *PATIENTS], ids=["no patient", *PATIENTS])
@pytest.mark.parametrize("role", ROLES)
def test_no_raw_identifier_on_any_page_or_pdf(role: str, name: str, demo: Clinic, db: Any) -> None:  # noqa: F811
    _client, pages = pages_for(role, name, demo)
    found: dict[str, list[str]] = {}
    for page in pages.values():
        if page.status != 200 or FOR_PROGRAMMERS.match(page.url):
            continue
        if page.html:
            text = readable_text(page.html)
        elif page.content_type.startswith("application/pdf"):
            text = pdf_text(page.body)
        else:
            continue  # JSON, CSV: data files for programs
        if hits := raw_ids(text):
            found[page.url] = hits
    assert not found, "\n".join(f"{url}: {', '.join(ids)}" for url, ids in found.items())


def test_a_billing_warning_is_its_message_not_its_id(clinic: Clinic, db: Any) -> None:
    """Issue 13: the visit page headed each billing warning with its id ("acu-retention-only");
    the message says it in words, as the superbill PDF does."""
    from django.urls import reverse

    from tests.clinic.conftest import (
        logged_in,
        make_exam,
        make_patient,
        make_plan,
        make_staff,
        make_visit,
        runner_findings,
    )

    doctor = make_staff(clinic, "dr.bill", "clinician", npi="1234567893")
    patient = make_patient(clinic)
    plan = make_plan(make_exam(patient, doctor, runner_findings()), doctor)
    visit = make_visit(
        patient, plan, doctor, contact_minutes=0, needle_minutes=20, diagnoses=["M54.50"]
    )
    page = logged_in(doctor).get(reverse("visit", args=[visit.pk])).content.decode()
    assert "needle retention alone is not billable" in page
    assert raw_ids(readable_text(page)) == []


def test_the_command_line_names_a_medication_class_as_a_clinician_says_it() -> None:
    """Issue 13: medication chips read "ssri snri"; the assessment's text said it too."""
    from tests.conftest import assess_findings
    from weizhong.report import render_assessment

    text = render_assessment(
        assess_findings({"pain_regions": ["low_back"]}, {"medications": ["sertraline"]})
    )
    assert "sertraline: sertraline — SSRI or SNRI" in text
    assert "ssri" not in text
