"""The official ICD-10-CM code set, read through simple-icd-10-cm (which ships the CDC's tabular
list): whether a code exists, whether it is billable (a leaf of the tabular list), its official
title, and the billable codes under a heading.

The package parses its XML on first use (about a second), so it is imported only when a code is
checked, and its fiscal year is pinned by the dependency and named in ``RELEASE``. A test checks
that the installed package is the release billing.toml names.
"""

from __future__ import annotations

import warnings
from functools import cache
from importlib.metadata import version
from types import ModuleType

__all__ = ["PACKAGE", "RELEASE", "billable_under", "is_billable", "is_known", "title"]

# The fiscal year of the installed code set; simple-icd-10-cm 1.5.x carries ICD-10-CM FY2026
# (valid 1 October 2025 to 30 September 2026).
RELEASE = "ICD-10-CM FY2026"
PACKAGE = "simple-icd-10-cm"
PACKAGE_SERIES = "1.5"


@cache
def _codes() -> ModuleType:
    with warnings.catch_warnings():
        # The package reads its data with a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    module: ModuleType = simple_icd_10_cm
    return module


def package_version() -> str:
    return version(PACKAGE)


def is_known(code: str) -> bool:
    """A chapter-free code (category, subcategory or full code) of the official code set."""
    cm = _codes()
    return bool(cm.is_valid_item(code)) and not cm.is_chapter_or_block(code)


def is_billable(code: str) -> bool:
    """A code that can go on a claim: a leaf of the tabular list (7th character included)."""
    cm = _codes()
    return is_known(code) and bool(cm.is_leaf(code))


def title(code: str) -> str:
    """The official title of a known code, or "" for a code the code set does not have."""
    return str(_codes().get_description(code)) if is_known(code) else ""


def billable_under(code: str) -> tuple[str, ...]:
    """The billable codes under a heading, in the code set's order (empty for a leaf)."""
    if not is_known(code):
        return ()
    cm = _codes()
    return tuple(c for c in cm.get_descendants(code) if cm.is_leaf(c))
