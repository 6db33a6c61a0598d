"""Clinical vignettes written from the reference: expected top condition and exact red flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from weizhong.case import validate_case
from weizhong.reasoning.assessment import assess

VIGNETTES = sorted((Path(__file__).parent / "vignettes").glob("*.json"))


def test_there_are_at_least_twenty_vignettes() -> None:
    assert len(VIGNETTES) >= 20


@pytest.mark.parametrize("path", VIGNETTES, ids=[p.stem for p in VIGNETTES])
def test_vignette(path: Path) -> None:
    vignette: dict[str, Any] = json.loads(path.read_text())
    expect = vignette["expect"]
    result = assess(validate_case(vignette["case"]))
    ranked = [entry["condition"] for entry in result["differential"]]
    assert ranked[0] in [expect["top"], *expect.get("also_acceptable_top", [])], (
        f"{vignette['title']}: expected {expect['top']} on top, got {ranked[:3]}"
    )
    for condition in expect.get("in_top_3", []):
        assert condition in ranked[:3]
    raised = {flag["id"]: flag["urgency"] for flag in result["red_flags"]}
    assert set(raised) == set(expect["red_flags"])
    for flag, urgency in expect.get("red_flag_urgency", {}).items():
        assert raised[flag] == urgency
    for flag in expect.get("not_red_flags", []):
        assert flag not in raised
