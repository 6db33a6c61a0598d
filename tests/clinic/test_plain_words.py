"""Issue 13: no raw identifier reaches a person. Every page the crawl opens (tests/clinic/
test_crawl.py: each role, each demo patient) and every handout and superbill PDF it downloads is
read as a person reads it (text, not markup, attributes or URLs; code samples in ``<code>`` and
``<pre>`` aside) and must hold no snake_case identifier such as ``fabq_work_under_19``."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any, ClassVar

import pytest

from tests.clinic.test_crawl import PATIENTS, ROLES, demo, pages_for  # noqa: F401 (fixture)
from weizhong.clinic.models import Clinic

RAW_ID = re.compile(r"\b[a-z]+_[a-z_]+[a-z0-9]*\b")
URL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+")
# Pages for programmers, not people reading a record: the API's own documentation.
FOR_PROGRAMMERS = re.compile(r"^/api/")


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
    return sorted(set(RAW_ID.findall(URL.sub(" ", text))))


def test_the_scan_finds_identifiers_in_words_and_not_in_markup() -> None:
    page = (
        '<p class="fabq_hidden" data-x="a_b">Fear-avoidance: fabq_work_under_19</p>'
        "<pre>weizhong serve --no_demo</pre><code>slr_left_deg</code>"
        '<a href="/x_y/">see https://example.org/a_b</a><p>acu-retention-only</p>'
    )
    assert raw_ids(readable_text(page)) == ["fabq_work_under_19"]


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
