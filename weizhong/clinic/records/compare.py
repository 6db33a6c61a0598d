"""A re-examination beside the previous exam (issue 15): the previous value of each finding, the
change since, and the assessment then and now, in words (no finding or condition id shown)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from weizhong.clinic.records.regions import REGION_NAMES
from weizhong.numbers import number, percent

__all__ = ["assessment_change", "change_text", "previous_notes", "value_text"]


def value_text(value: Any) -> str:
    """A finding's value as a person reads it."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        if not value:
            return _("examined: none found")
        return ", ".join(str(REGION_NAMES.get(v, str(v).replace("_", " "))) for v in value)
    if isinstance(value, int | float):
        return number(value)
    return str(value).replace("_", " ")


def change_text(fid: str, before: Any, after: Any) -> str:
    """The change from the previous exam to what is on the form now."""
    if after is None:
        return _("not examined yet")
    numeric = (int, float)
    if (
        isinstance(before, numeric)
        and isinstance(after, numeric)
        and not isinstance(before, bool)
        and not isinstance(after, bool)
    ):
        diff = after - before
        if diff == 0:
            return _("no change")
        unit = "°" if fid.endswith("_deg") else ""
        return _("%(sign)s%(n)s%(unit)s since then") % {
            "sign": "+" if diff > 0 else "−", "n": number(abs(diff)), "unit": unit}  # fmt: skip
    same = (
        sorted(map(str, before)) == sorted(map(str, after))
        if isinstance(before, list) and isinstance(after, list)
        else before == after
    )
    if same:
        return _("no change")
    return _("changed (now %(value)s)") % {"value": value_text(after)}


def previous_notes(
    previous: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, dict[str, str]]:
    """Per finding of the previous exam: its value and its change to ``current`` (the form's
    findings now; None when they cannot be read, e.g. a number typed out of range)."""
    notes: dict[str, dict[str, str]] = {}
    for fid, before in previous.items():
        notes[fid] = {
            "value": value_text(before),
            "change": "" if current is None else change_text(fid, before, current.get(fid)),
        }
    return notes


def _probabilities(result: dict[str, Any]) -> dict[str, tuple[str, float]]:
    return {
        d["condition"]: (str(d.get("name") or d["condition"].replace("_", " ")), d["probability"])
        for d in result.get("differential", [])
    }


def _direction(then: float, now: float) -> str:
    """ "up" or "down" for a change of more than 5 points of probability, else "same"."""
    if now > then + 0.05:
        return "up"
    return "down" if now < then - 0.05 else "same"


def assessment_change(
    before: dict[str, Any], after: dict[str, Any], day: dt.date
) -> dict[str, Any]:
    """The assessment of the previous exam beside the live one: the conditions that lead either
    (probability then and now) and the red flags then and now."""
    then, now = _probabilities(before), _probabilities(after)
    leading = [d["condition"] for d in before.get("differential", [])[:3]]
    leading += [
        d["condition"] for d in after.get("differential", [])[:3] if d["condition"] not in leading
    ]
    rows = []
    for condition in leading:
        name = (now.get(condition) or then.get(condition) or (condition, 0.0))[0]
        p_then = then.get(condition, (name, 0.0))[1]
        p_now = now.get(condition, (name, 0.0))[1]
        rows.append(
            {
                "name": name,
                "then": percent(p_then),
                "now": percent(p_now),
                "direction": _direction(p_then, p_now),
            }
        )
    flags_then = [str(f.get("name", "")) for f in before.get("red_flags", [])]
    flags_now = [str(f.get("name", "")) for f in after.get("red_flags", [])]
    return {
        "day": formats.date_format(day, "j F Y"),
        "rows": rows,
        "flags_then": flags_then,
        "flags_now": flags_now,
    }
