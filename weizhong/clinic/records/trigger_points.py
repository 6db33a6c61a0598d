"""Trigger points as a visit records them: {"muscle", "side", "depth_cun", "technique"}."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from weizhong import numbers
from weizhong.planning.prescription import load_prescription_rules

TECHNIQUES = [
    ("retained", _("Needle retained")),
    ("pistoning", _("Fast in and out (pistoning)")),
    ("pressure", _("Pressure only, no needle")),
]
NEEDLED = frozenset(("retained", "pistoning"))
SIDES = [("left", _("left")), ("right", _("right"))]
MAX_DEPTH_CUN = 4.0
MAX_TRIGGER_POINTS = 12


def trigger_muscles() -> list[tuple[str, str]]:
    """The muscles a trigger point can be recorded in (those the prescription rules know)."""
    return sorted((m, m.replace("_", " ")) for m in load_prescription_rules().trigger_points)


def trigger_point_text(point: dict[str, Any]) -> str:
    """ "piriformis (left), 1.5 cun, needle retained": a trigger point as a person reads it."""
    techniques = dict(TECHNIQUES)
    parts = [f"{str(point.get('muscle', '')).replace('_', ' ')} ({point.get('side', '')})"]
    if point.get("depth_cun") is not None:
        parts.append(f"{numbers.number(float(point['depth_cun']))} cun")
    if point.get("technique") in techniques:
        parts.append(str(techniques[point["technique"]]).lower())
    return ", ".join(parts)
