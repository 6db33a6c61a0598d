from __future__ import annotations

from typing import Any

import pytest

from weizhong.case import Case, validate_case
from weizhong.knowledge import Knowledge, load_knowledge
from weizhong.reasoning.assessment import assess


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


def make_case(
    findings: dict[str, Any] | None = None, patient: dict[str, Any] | None = None
) -> Case:
    return validate_case(
        {"format": "weizhong.case/1", "patient": patient or {}, "findings": findings or {}}
    )


def assess_findings(
    findings: dict[str, Any] | None = None, patient: dict[str, Any] | None = None
) -> dict[str, Any]:
    return assess(make_case(findings, patient))


def probability(result: dict[str, Any], condition: str) -> float:
    return next(e["probability"] for e in result["differential"] if e["condition"] == condition)
