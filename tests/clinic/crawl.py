"""A crawler for the clinic's pages (issue 13): the links a person can follow and the forms they
can send, read from the rendered HTML with the standard library's parser.

``crawl`` follows ``<a href>`` within the app from a start page, GET only, and keeps every page
it opened; ``Form.data`` is what the browser would post for a form as it was rendered (text and
hidden inputs, the checked boxes and radios, each select's selected option, each textarea)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.test import Client


@dataclass
class Field:
    name: str
    kind: str  # input type, "select" or "textarea"
    value: str
    checked: bool = False
    disabled: bool = False


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)
    submit: tuple[str, str] | None = None  # the first named submit button (name, value)

    def data(self) -> dict[str, list[str]]:
        """What a browser sends for this form untouched (the first submit button pressed)."""
        sent: dict[str, list[str]] = {}
        for f in self.fields:
            if f.disabled or not f.name:
                continue
            if f.kind in ("checkbox", "radio") and not f.checked:
                continue
            if f.kind in ("submit", "button", "image", "reset", "file"):
                continue
            sent.setdefault(f.name, []).append(f.value)
        if self.submit:
            sent.setdefault(self.submit[0], []).append(self.submit[1])
        return sent


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._first_option: str | None = None
        self._option: dict[str, Any] | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "form":
            action = a.get("action") or a.get("hx-post") or a.get("hx-get") or ""
            method = "post" if "hx-post" in a else a.get("method", "get").lower()
            self._form = Form(action=action, method=method)
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image") and "name" in a and self._form.submit is None:
                self._form.submit = (a["name"], a.get("value", ""))
            default = "on" if kind in ("checkbox", "radio") else ""
            self._form.fields.append(
                Field(a.get("name", ""), kind, a.get("value", default),
                      checked="checked" in a, disabled="disabled" in a)
            )  # fmt: skip
        elif tag == "button":
            kind = a.get("type", "submit").lower()
            if kind == "submit" and "name" in a and self._form.submit is None:
                self._form.submit = (a["name"], a.get("value", ""))
        elif tag == "select":
            self._select = Field(a.get("name", ""), "select", "", disabled="disabled" in a)
            self._first_option = None
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea":
            self._textarea = Field(a.get("name", ""), "textarea", "", disabled="disabled" in a)
            self._form.fields.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option["value"]
            value = self._option["text"].strip() if value is None else value
            if self._first_option is None:
                self._first_option = value
                self._select.value = value
            if self._option["selected"]:
                self._select.value = value
                self._select.checked = True
            self._option = None
        elif tag == "select" and self._select is not None:
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._textarea.value.startswith("\n"):  # HTML drops one leading newline
                self._textarea.value = self._textarea.value[1:]
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


@dataclass
class Visited:
    url: str
    status: int
    content_type: str
    body: bytes
    links: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)

    @property
    def html(self) -> str:
        return self.body.decode() if self.content_type.startswith("text/html") else ""


SKIP = re.compile(r"/logout/|^mailto:|^tel:|^javascript:")
# Query parameters that only scroll the same page to a field: one of them is crawled.
SAME_PAGE = re.compile(r"[?&]focus=[^&]*")


def in_app(base: str, href: str) -> str | None:
    """The app path a link leads to (no fragment), or None for another site or a skipped link."""
    if not href or href.startswith("#") or SKIP.search(href):
        return None
    url = urljoin(base, href)
    parts = urlsplit(SAME_PAGE.sub("", url))
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(
    client: Client, start: Iterable[str], follow: Callable[[str], bool], limit: int = 400
) -> dict[str, Visited]:
    """Open ``start`` and every in-app link ``follow`` accepts, breadth first, GET only."""
    seen: dict[str, Visited] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        kind = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        page = Visited(url, response.status_code, kind, body)
        seen[url] = page
        if response.status_code in (301, 302):
            target = in_app(url, response["Location"])
            if target and follow(target):
                queue.append(target)
            continue
        if page.html:
            parsed = parse(page.html)
            page.forms = parsed.forms
            for href in parsed.links:
                target = in_app(url, href)
                if target and target not in seen and follow(target):
                    page.links.append(target)
                    queue.append(target)
    return seen
