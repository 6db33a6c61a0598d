"""Small template helpers."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from weizhong import numbers
from weizhong.clinic.records.trigger_points import trigger_point_text
from weizhong.clinic.web.figures import REGION_NAMES
from weizhong.planning.plan import point_key as plan_point_key
from weizhong.reasoning.words import medication_class_words

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping|get_item:key`` (a dict lookup with a variable key)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def words(identifier: str) -> str:
    """``hamstring_tightness`` → ``hamstring tightness``."""
    return str(identifier).replace("_", " ")


@register.filter
def medication_classes(classes: Any) -> str:
    """A medicine's classes as a clinician says them: "SSRI or SNRI", never "ssri snri"."""
    return ", ".join(medication_class_words(str(c)) for c in classes or ())


@register.filter
def region(identifier: str) -> str:
    return str(REGION_NAMES.get(identifier, str(identifier).replace("_", " ")))


@register.filter
def percent(value: Any) -> str:
    """A probability as the command line shows it ("<1%", never a false "0%"): weizhong.numbers."""
    try:
        return numbers.percent(float(value))
    except (TypeError, ValueError):
        return "–"


@register.filter
def money(cents: Any) -> str:
    """Whole cents as a bill shows them ("$1,250.00"): weizhong.numbers; "–" when none."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        return "–"
    return numbers.money(cents)


@register.filter
def num(value: Any) -> str:
    """A score without a trailing .0 (36.0 → 36; 2.5 stays): weizhong.numbers."""
    try:
        return numbers.number(float(value))
    except (TypeError, ValueError):
        return "–"


@register.filter
def span(pair: Any) -> str:
    """A [low, high] range in words: "0.2–0.5", one number when the ends are equal."""
    try:
        low, high = (float(d) for d in pair)
    except (TypeError, ValueError):
        return "–"
    return numbers.number_range(low, high)


@register.filter
def cun(depth: Any) -> str:
    """A needling depth in words: "0.5–1 cun", "1 cun" when both ends are equal (never
    "1.0-1.0"), "depth not given" when the plan gives none (never "– cun")."""
    try:
        low, high = (float(d) for d in depth)
    except (TypeError, ValueError):
        return _("depth not given")
    return _("%(depth)s cun") % {"depth": numbers.number_range(low, high)}


@register.filter
def point_key(point: dict[str, Any]) -> str:
    """The name of one proposed point in the plan editor's edits (a trigger point by muscle and
    side, since every trigger point has the code ASHI)."""
    return plan_point_key(point)


@register.filter
def point_label(point: dict[str, Any]) -> str:
    """A point as a person reads it: BL40, or "trigger point, piriformis (left)"."""
    if point.get("code") == "ASHI" and point.get("muscle"):
        return _("Trigger point, %(muscle)s") % {"muscle": str(point["muscle"]).replace("_", " ")}
    return str(point.get("code", ""))


@register.filter
def trigger_point(point: dict[str, Any]) -> str:
    """A recorded trigger point in words: "piriformis (left), 1.5 cun, needle retained"."""
    return trigger_point_text(point)


@register.filter
def get_item_at(sequence: Any, index: int) -> Any:
    """``list|get_item_at:n`` (the n-th item, None past the end)."""
    try:
        return sequence[int(index)]
    except (IndexError, TypeError, ValueError):
        return None
