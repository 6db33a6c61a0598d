"""The reference pages are kept true by the code, as datasette's tests/test_docs.py does.

Everything is found by behaviour, not by file path, so that moving modules around does not
hide anything: environment variables by reading every module under ``weizhong/``, settings by
asking Django, routes by asking Django's URL resolver and the API's own OpenAPI document,
commands by asking the ``weizhong`` argument parser (through cog, which regenerates
docs/cli.md from it).
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from weizhong.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

# How docs/operations.md marks a variable that is documented but read by nothing (issue 12:
# WEIZHONG_CDS_ORIGINS; the CDS Hooks answers carry `Access-Control-Allow-Origin: *` whatever it
# says). The tests below hold both halves true: every other documented name is read, and a name
# so marked is not, so the mark goes when the code starts reading it.
UNREAD_MARK = "nothing reads it today"


def _is_environ(node: ast.expr) -> bool:
    """`os.environ` or a bare `environ`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    return isinstance(node, ast.Name) and node.id == "environ"


def _environment_names(folder: Path) -> set[str]:
    """Every environment variable a module under `folder` reads by a literal name."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            key: ast.expr | None = None
            if isinstance(node, ast.Subscript) and _is_environ(node.value):
                key = node.slice
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr in ("get", "setdefault", "pop")
                    and _is_environ(func.value)
                ) or (
                    (isinstance(func, ast.Attribute) and func.attr == "getenv")
                    or (isinstance(func, ast.Name) and func.id == "getenv")
                ):
                    key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
    return names


def _settings_read_by_code(folder: Path) -> set[str]:
    """`settings.WEIZHONG_X` and `getattr(settings, "WEIZHONG_X", …)` anywhere under `folder`."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "settings"
                and node.attr.startswith("WEIZHONG_")
            ):
                names.add(node.attr)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "settings"
                and isinstance(node.args[1], ast.Constant)
                and str(node.args[1].value).startswith("WEIZHONG_")
            ):
                names.add(str(node.args[1].value))
    return names


def _code_spans(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", text))


def test_the_scanner_finds_a_variable_read_across_lines(tmp_path: Path) -> None:
    (tmp_path / "module.py").write_text(
        "import os\n"
        "from os import environ, getenv\n"
        'A = os.environ.get(\n    "SPLIT_OVER_LINES"\n)\n'
        'B = os.environ["BY_INDEX"]\n'
        'C = getenv("BY_GETENV")\n'
        'D = environ.setdefault("BY_DEFAULT", "x")\n'
    )
    assert _environment_names(tmp_path) == {
        "SPLIT_OVER_LINES",
        "BY_INDEX",
        "BY_GETENV",
        "BY_DEFAULT",
    }


def test_every_environment_variable_the_code_reads_is_in_operations() -> None:
    read = _environment_names(ROOT / "weizhong")
    assert {"WEIZHONG_DATA_DIR", "DATABASE_URL", "WEIZHONG_KNOWLEDGE_DIR"} <= read  # the scan works
    documented = _code_spans((DOCS / "operations.md").read_text())
    assert sorted(read - documented) == []


def test_every_weizhong_setting_is_in_operations() -> None:
    defined = {name for name in dir(settings) if name.startswith("WEIZHONG_")}
    used = _settings_read_by_code(ROOT / "weizhong")
    assert "WEIZHONG_IDLE_MINUTES" in defined and "WEIZHONG_BASE_URL" in used
    documented = _code_spans((DOCS / "operations.md").read_text())
    assert sorted((defined | used) - documented) == []


def _read_anywhere() -> set[str]:
    read = {name for name in dir(settings) if name.startswith("WEIZHONG_")}
    for folder in ("weizhong", "tests", "bench", "reliability", "accuracy"):
        read |= _environment_names(ROOT / folder)
    return read


def _marked_unread(text: str) -> set[str]:
    """The names whose table row says they are read by nothing."""
    rows = re.finditer(r"^\| `([A-Z_]+)` \|(.*)$", text, re.MULTILINE)
    return {row[1] for row in rows if UNREAD_MARK in row[2]}


def test_the_unread_mark_is_found_in_its_row_only() -> None:
    table = f"| `A_B` | 1 | {UNREAD_MARK} |\n| `C_D` | 2 | read |\nA_E: {UNREAD_MARK}\n"
    assert _marked_unread(table) == {"A_B"}


def test_every_weizhong_variable_the_docs_name_is_read_by_something() -> None:
    """A documented knob that nothing reads is worse than none: the clinic trusts it."""
    text = "\n".join(page.read_text() for page in PAGES)
    named = set(re.findall(r"\bWEIZHONG_[A-Z_]+[A-Z]\b", text))
    marked = _marked_unread((DOCS / "operations.md").read_text())
    assert sorted(named - _read_anywhere() - marked) == []


def test_a_variable_the_docs_call_unread_is_unread() -> None:
    """When the code starts reading it, the operations page must say what it does instead."""
    marked = _marked_unread((DOCS / "operations.md").read_text())
    assert sorted(marked & _read_anywhere()) == []


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def _normal(route: str) -> str:
    """One spelling for a path: leading slash, `<int:pk>` and `{patient_id}` both `<>`."""
    return "/" + re.sub(r"<[^>]*>|\{[^}]*\}", "<>", route).lstrip("/")


def _documented_paths(*pages: str) -> set[str]:
    paths = set()
    for page in pages:
        for span in _code_spans((DOCS / page).read_text()):
            paths |= {_normal(word) for word in span.split() if word.startswith("/")}
    return paths


def test_every_route_is_in_the_clinic_or_api_page() -> None:
    routes = {_normal(route) for route in _routes(get_resolver().url_patterns)}
    assert len(routes) > 60 and "/patients/<>/exam/" in routes  # the walk reaches every level
    assert sorted(routes - _documented_paths("clinic.md", "api.md")) == []


def test_every_api_operation_is_in_the_api_page() -> None:
    api = resolve("/api/v1/openapi.json").func.keywords["api"]  # ninja binds its API here
    operations = {
        f"{method.upper()} {_normal(path)}"
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    }
    assert len(operations) > 25
    documented = set()
    for span in _code_spans((DOCS / "api.md").read_text()):
        if match := re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE) (/\S+)", span):
            documented.add(f"{match[1]} {_normal(match[2])}")
    assert sorted(operations - documented) == []


@pytest.mark.skipif(
    sys.version_info[:2] != (3, 11),
    reason="docs/cli.md is generated with Python 3.11 (CI's); later argparse lays out help "
    "differently (3.13: '-o, --output OUTPUT'). The heading test below runs everywhere.",
)
def test_the_cli_reference_is_what_cog_generates_now() -> None:
    """Fails when a command, an option or a help text changed.

    Regenerate with `.venv/bin/cog -r docs/cli.md`.
    """
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--diff", "docs/cli.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class _Parsed(BaseException):  # not an Exception: main's "this is a bug" handler must not catch it
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def weizhong_parser() -> argparse.ArgumentParser:
    """The parser `weizhong.cli.main` parses with, however the command's package builds it.

    docs/cli.md's cog code uses it too, so the reference and this test see the same commands.
    """

    def caught(parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _Parsed(parser)

    with mock.patch.object(argparse.ArgumentParser, "parse_args", caught):
        try:
            main(["--help"])
        except _Parsed as parsed:
            return parsed.parser
    raise AssertionError("weizhong.cli.main parsed no arguments")


def _commands(parser: argparse.ArgumentParser, words: list[str]) -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield " ".join([*words, name])
                yield from _commands(child, [*words, name])


def test_every_command_has_a_heading_in_the_cli_reference() -> None:
    commands = set(_commands(weizhong_parser(), ["weizhong"]))
    assert {"weizhong assess", "weizhong fhir import", "weizhong audit verify"} <= commands
    headings = set(re.findall(r"^#+ (weizhong.*)$", (DOCS / "cli.md").read_text(), re.MULTILINE))
    assert sorted(commands - headings) == []


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _links(page: Path) -> Iterator[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)  # not inside code
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    yield from re.findall(r"\]\(([^)\s]+)\)", text)
    yield from re.findall(r'<img [^>]*src="([^"]+)"', text)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_resolves(page: Path) -> None:
    for link in _links(page):
        if re.match(r"[a-z]+:", link):
            continue  # https:, mailto:
        target, _, fragment = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.is_file(), f"{page.name}: {link} names no file"
        if fragment and path.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", path.read_text(), re.MULTILINE)
            assert fragment in {_anchor(h) for h in headings}, f"{page.name}: {link}"


def test_the_link_check_sees_links(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("See [x](other.md#a-b), ![y](img/y.png) and `[z](not-a-link.md)`.\n")
    assert list(_links(page)) == ["other.md#a-b", "img/y.png"]
    assert _anchor("A b: `c`") == "a-b-c"


@pytest.mark.django_db
def test_the_demo_sign_ins_in_the_readme_work(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """`weizhong seed` makes the demo clinic `make run` makes; the README's sign-ins open it."""
    readme = (ROOT / "README.md").read_text()
    head = readme[: readme.index("\n## ")]
    sign_ins = re.findall(r"`([a-z.]+)`\s+(?:with the password|/)\s+`([a-z-]+)`", head)
    assert len(sign_ins) == 3  # clinician, front desk, administrator
    assert main(["seed"]) == 0
    capsys.readouterr()
    for user, password in sign_ins:
        answer = client.post("/login/", {"username": user, "password": password})
        assert answer.status_code == 302, user  # a wrong password shows the form again (200)
        assert not answer["Location"].startswith("/login/?"), user
        client.logout()
    wrong = client.post("/login/", {"username": "dr.lin", "password": "not-the-password"})
    assert wrong.status_code == 200
