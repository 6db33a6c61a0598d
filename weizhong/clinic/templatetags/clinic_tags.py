"""Small template helpers."""

from __future__ import annotations

from typing import Any

from django import template

from weizhong import numbers
from weizhong.clinic.web.figures import REGION_NAMES

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
def num(value: Any) -> str:
    """A score without a trailing .0 (36.0 → 36; 2.5 stays): weizhong.numbers."""
    try:
        return numbers.number(float(value))
    except (TypeError, ValueError):
        return "–"
