"""Small helpers for how findings and regions are said to clinicians (numbers: weizhong.numbers)."""

from __future__ import annotations

from weizhong.knowledge import Knowledge, load_knowledge
from weizhong.numbers import percent as percent  # re-exported: it was defined here


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
