"""Small helpers for how numbers are said to clinicians."""

from __future__ import annotations


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
