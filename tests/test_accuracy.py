"""The diagnostic-accuracy benchmark (issue 16, protocol in docs/accuracy.md): every case is
well formed, the split never moves, and the published figures are those of today's knowledge."""

from __future__ import annotations

import math
from typing import Any

import pytest

from accuracy.benchmark import (
    CASES,
    figures,
    half_of,
    load_cases,
    read_lock,
    reliability_svg,
    run_case,
    seed,
    shape_problems,
    unsafe_items,
    wilson,
)
from accuracy.run import DOC, END, START, results
from weizhong.case import validate_case

BENCHMARK = load_cases()


@pytest.mark.parametrize("case", BENCHMARK, ids=[c.id for c in BENCHMARK])
def test_every_case_is_well_formed_and_a_valid_case(case: Any) -> None:
    assert shape_problems(case.data, case.id) == []
    assert sorted(CASES.glob(f"{case.id}*.json"))
    validate_case(case.data["case"])


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in BENCHMARK]
    assert len(ids) == len(set(ids))


def test_the_split_is_locked_and_never_moves() -> None:
    locked = read_lock()
    assert {c.id: c.half for c in BENCHMARK} == {c.id: locked.get(c.id) for c in BENCHMARK}


def test_the_split_is_a_keyed_hash_of_the_id() -> None:
    key = seed()
    halves = [half_of(f"B{n:03d}", key) for n in range(1000)]
    assert 400 < halves.count("test") < 600  # about half, at random
    assert half_of("B001", key) == half_of("B001", key)
    assert half_of("B001", "another seed") in ("test", "dev")


def test_wilson_interval_matches_a_worked_example() -> None:
    low, high = wilson(8, 10)  # 80%: 95% Wilson interval 49.0%–94.3%
    assert (round(low, 3), round(high, 3)) == (0.49, 0.943)
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_unsafe_items_name_each_breach() -> None:
    plan = {
        "acupuncture": {"points": [{"code": "BL37"}, {"code": "ASHI", "muscle": "piriformis"}],
                        "electrostimulation": None},
        "office_care": {"soft_tissue_and_mobilisation": None,
                        "manipulation": {"suitability": "not suitable"}},
        "herbs": [], "exercises": [{"id": "prone_press_up"}],
    }  # fmt: skip
    must_not = ["needling", "point:BL37", "trigger_point:piriformis", "exercise:prone_press_up",
                "electro", "herbs", "hands_on", "manipulation"]  # fmt: skip
    assert unsafe_items(plan, must_not) == [
        "needling", "point:BL37", "trigger_point:piriformis", "exercise:prone_press_up",
    ]  # fmt: skip


def test_the_reliability_plot_is_an_svg_with_its_title() -> None:
    svg = reliability_svg([{"from": 0.8, "to": 1.0, "cases": 4, "stated": 0.9, "observed": 0.75}],
                          "Leading condition, test half")  # fmt: skip
    assert svg.startswith("<svg") and "Leading condition, test half" in svg
    assert "<circle" in svg


def test_the_published_figures_are_those_of_todays_knowledge() -> None:
    outcomes: dict[str, list[Any]] = {"test": [], "dev": []}
    for case in BENCHMARK:
        outcomes[case.half].append(run_case(case))
    expected = results({half: figures(items) for half, items in outcomes.items()})
    text = DOC.read_text(encoding="utf-8")
    published = START + text.split(START, 1)[1].split(END, 1)[0] + END
    assert published == expected, "run `make accuracy` and commit docs/accuracy.md"


def test_every_rule_the_mimics_table_names_exists() -> None:
    """docs/accuracy.md says how each mimic is modelled; each rule it names must be a real rule
    (a rename or a deletion fails here, not silently in the docs)."""
    import re

    from weizhong.knowledge.hazards import rule_index

    text = DOC.read_text(encoding="utf-8")
    table = text.split("## The mimics", 1)[1].split("\n## ", 1)[0]
    named: list[tuple[str, str]] = []
    for cell in re.findall(r"^\|[^|]+\|[^|]+\|([^|]+)\|$", table, re.M):
        file = ""
        for name in re.findall(r"`([a-z_]+:)?([a-z0-9_]+)`", cell):
            file = name[0].rstrip(":") or file
            named.append((file, name[1]))
    assert len(named) >= 20
    missing = [f"{file}:{rule}" for file, rule in named if rule not in rule_index(file)]
    assert missing == []
