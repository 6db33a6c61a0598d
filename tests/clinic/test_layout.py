"""Issue 12: a clinic app you can find your way in. These fail when a module grows past what a
reader can hold, or a part appears that the layout does not name."""

from __future__ import annotations

from pathlib import Path

import pytest

CLINIC = Path(__file__).resolve().parents[2] / "weizhong" / "clinic"
LONGEST = 800  # lines
MODULES = sorted(p for p in CLINIC.rglob("*.py") if "migrations" not in p.parts)
PARTS = {"accounts", "actions", "api", "audit", "history", "interop", "management", "migrations",
         "models", "ops", "portal", "records", "templatetags", "web"}  # fmt: skip


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CLINIC)))
def test_no_clinic_module_is_longer_than_800_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= LONGEST, (
        f"{path.relative_to(CLINIC)} has {lines} lines: split it by what it does"
    )


def test_the_clinic_is_made_of_the_named_parts() -> None:
    packages = {p.name for p in CLINIC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == PARTS
    loose = {p.name for p in CLINIC.glob("*.py")}
    assert loose == {"__init__.py", "apps.py"}, "a module outside the parts"


def test_the_root_urls_only_include_the_parts() -> None:
    from weizhong.site import urls

    text = Path(urls.__file__).read_text()
    assert "views." not in text and "include(" in text
