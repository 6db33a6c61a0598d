"""Hypothesis strategies for generated cases, shared by the property tests.

A case is random findings from the knowledge vocabulary (each with a value its type allows), a
random body chart, trigger points, and a random patient aged 5–95 with pregnancy, devices,
conditions and medications from a short list that covers every bleeding class.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from weizhong.case import Case, CaseError, validate_case
from weizhong.knowledge import load_knowledge

KNOWLEDGE = load_knowledge()
FINDING_IDS = sorted(KNOWLEDGE.findings)
REGIONS = sorted(KNOWLEDGE.vocabulary.regions)
MUSCLES = sorted(KNOWLEDGE.vocabulary.muscles)
MEDICATIONS = [
    "warfarin", "apixaban", "aspirin", "naproxen", "sertraline", "prednisolone", "furosemide",
    "ramipril", "ibuprofen", "clopidogrel",
]  # fmt: skip


def finding_value(definition: Any) -> st.SearchStrategy[Any]:
    """Any value the finding's type allows."""
    kind = definition.type
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        return st.integers(int(definition.minimum), int(definition.maximum))
    if kind == "number":
        return st.floats(definition.minimum, definition.maximum, allow_nan=False).map(
            lambda x: round(x, 1)
        )
    if kind == "enum":
        return st.sampled_from(definition.values)
    if kind == "regions":
        return st.lists(st.sampled_from(REGIONS), max_size=5)
    if kind == "muscles":
        return st.lists(st.sampled_from(MUSCLES), max_size=4)
    if kind == "levels":
        return st.lists(st.sampled_from(sorted(definition.level_ids)), max_size=3)
    # int_list: the STarT Back answers
    return st.tuples(*[st.integers(0, 1)] * 8, st.integers(0, 4)).map(list)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    chosen = draw(st.lists(st.sampled_from(FINDING_IDS), max_size=14, unique=True))
    findings = {fid: draw(finding_value(KNOWLEDGE.findings[fid])) for fid in chosen}
    if draw(st.booleans()):
        findings["pain_regions"] = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=4))
    if draw(st.booleans()):
        findings["trigger_points"] = draw(st.lists(st.sampled_from(MUSCLES), max_size=4))
    sex = draw(st.sampled_from(["female", "male", "other", "unknown"]))
    patient = {
        "age": draw(st.integers(5, 95)),
        "sex": sex,
        "pregnant": sex == "female" and draw(st.booleans()),
        "medications": draw(st.lists(st.sampled_from(MEDICATIONS), max_size=3, unique=True)),
        "devices": draw(
            st.lists(st.sampled_from(KNOWLEDGE.vocabulary.devices), max_size=2, unique=True)
        ),
        "conditions": draw(
            st.lists(st.sampled_from(KNOWLEDGE.vocabulary.conditions), max_size=3, unique=True)
        ),
    }
    raw = {"format": "weizhong.case/1", "patient": patient, "findings": findings}
    try:
        return validate_case(raw)
    except CaseError:  # an inconsistent draw (sensitised with no SLR response): drop those keys
        for key in [k for k in findings if k.endswith("_sensitised")]:
            del findings[key]
        return validate_case(raw)
