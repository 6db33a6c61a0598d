"""Small helpers for how numbers are said to clinicians."""

from __future__ import annotations

from weizhong.knowledge import Knowledge, load_knowledge


def percent(p: float) -> str:
    """A probability as a clinician reads it: never a false 0% or 100%."""
    if 0.0 < p < 0.005:
        return "<1%"
    if 0.995 < p < 1.0:
        return ">99%"
    return f"{p:.0%}"


def region_words(region: str) -> str:
    """A body-chart region as a person says it: 'calf_left' is 'left calf'."""
    base, _, side = region.rpartition("_")
    if side in ("left", "right") and base:
        return f"{side} {base.replace('_', ' ')}"
    return region.replace("_", " ")


def finding_label(
    finding: str, knowledge: Knowledge | None = None, *, side: bool = False, lower: bool = False
) -> str:
    """A finding as a person reads it: its label (never its id), with its side when asked
    ('... (left)'), starting lower-case when it goes inside a sentence."""
    definition = (knowledge or load_knowledge()).findings.get(finding)
    label = definition.label if definition else finding.replace("_", " ")
    if side and definition is not None and definition.side:
        label += f" ({definition.side})"
    return label[:1].lower() + label[1:] if lower else label
