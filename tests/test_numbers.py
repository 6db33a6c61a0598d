"""Issue 12: one place formats numbers and percentages for people (weizhong/numbers.py)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import weizhong.numbers
from weizhong.numbers import number, number_range, percent

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("probability", "shown"),
    [
        (0.0, "0%"),
        (0.0001, "<1%"),
        (0.0049, "<1%"),
        (0.005, "0%"),  # Python rounds half to even: 0.5% is shown as 0%, as before
        (0.006, "1%"),
        (0.4149, "41%"),
        (0.995, "100%"),
        (0.9951, ">99%"),
        (0.99999, ">99%"),
        (1.0, "100%"),
    ],
)
def test_a_small_chance_is_never_shown_as_ruled_out(probability: float, shown: str) -> None:
    assert percent(probability) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(36.0, "36"), (36, "36"), (2.5, "2.5"), (0.25, "0.25"), (-3.0, "-3"), (-0.0, "0"),
     (1_250_000.0, "1250000"), (1 / 3, "0.333333")],
)  # fmt: skip
def test_a_number_has_no_trailing_zero_and_no_exponent_when_whole(value: float, shown: str) -> None:
    assert number(value) == shown


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(weizhong.numbers).failed == 0


# How a number was formatted for people before this module: a percent format spec, a general
# format spec, or a probability multiplied by 100 and rounded.
AD_HOC = re.compile(r":\.\d%\}|:g\}|round\([^()]*\* ?100\)|round\(100 ?\*")
CORE = ("knowledge", "reasoning", "planning", "billing", "fhir", "handouts", "cli")
CORE_FILES = ("case.py", "report.py", "plan_report.py", "safety_case.py")


def test_the_core_formats_numbers_for_people_only_through_weizhong_numbers() -> None:
    files = [ROOT / "weizhong" / name for name in CORE_FILES]
    for package in CORE:
        files += sorted((ROOT / "weizhong" / package).rglob("*.py"))
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if AD_HOC.search(line)
    ]
    assert not found, "use weizhong.numbers.percent or number:\n" + "\n".join(found)


def test_the_reasoning_words_module_still_offers_percent() -> None:
    from weizhong.reasoning.words import percent as old_path

    assert old_path is percent


@pytest.mark.parametrize(
    ("low", "high", "written"),
    [
        (1.0, 1.0, "1"),
        (0.5, 1.0, "0.5–1"),
        (1.0, 1.5, "1–1.5"),
        (0.3, 0.3, "0.3"),
        (25, 30, "25–30"),
    ],
)
def test_a_range_whose_ends_are_equal_is_one_number(low: float, high: float, written: str) -> None:
    """Issue 13: a plan read "1.0-1.0 cun"."""
    assert number_range(low, high) == written
