"""The visit form's structured fields: trigger points (muscle, side, depth, technique) as rows,
and the acupuncture increments that had stimulation or re-inserted needles."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from weizhong import numbers
from weizhong.clinic.records.trigger_points import (
    MAX_DEPTH_CUN,
    MAX_TRIGGER_POINTS,
    SIDES,
    TECHNIQUES,
    trigger_muscles,
)

ROW_KEYS = ("muscle", "side", "depth_cun", "technique")
MAX_INCREMENTS = 8  # 120 minutes of contact


class TriggerPointsWidget(forms.Widget):
    """Rows of four inputs posted as repeated keys ``tp_muscle``, ``tp_side``, ``tp_depth_cun``,
    ``tp_technique`` (the n-th of each is the n-th row); the API posts the same keys."""

    template_name = "clinic/_trigger_points_widget.html"
    blank_rows = 2

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[dict[str, str]]:
        columns = {key: list(data.getlist(f"tp_{key}")) for key in ROW_KEYS}
        rows = max((len(c) for c in columns.values()), default=0)
        out = []
        for n in range(rows):
            row = {k: (columns[k][n] if n < len(columns[k]) else "").strip() for k in ROW_KEYS}
            if row["muscle"] or row["side"] or row["depth_cun"]:  # a blank row has a technique
                out.append(row)
        return out

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(f"tp_{key}" in data for key in ROW_KEYS)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        rows = [dict(r) for r in (value or []) if isinstance(r, dict)]
        for row in rows:
            depth = row.get("depth_cun")
            row["depth_cun"] = "" if depth in (None, "") else str(depth)
        rows += [{"muscle": "", "side": "", "depth_cun": "", "technique": "retained"}] * (
            self.blank_rows
        )
        context["widget"] = {
            **context["widget"],
            "rows": rows,
            "muscles": trigger_muscles(),
            "sides": SIDES,
            "techniques": TECHNIQUES,
        }
        return context


class TriggerPointsField(forms.Field):
    """A list of trigger points; every problem names the row and what is allowed."""

    widget = TriggerPointsWidget

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        rows = value if isinstance(value, list) else []
        if len(rows) > MAX_TRIGGER_POINTS:
            raise forms.ValidationError(
                _("At most %(n)s trigger points a visit.") % {"n": MAX_TRIGGER_POINTS}
            )
        muscles = dict(trigger_muscles())
        techniques = dict(TECHNIQUES)
        out: list[dict[str, Any]] = []
        problems: list[str] = []
        for number, row in enumerate(rows, 1):
            row = {k: str(row.get(k) if row.get(k) is not None else "").strip() for k in ROW_KEYS}
            muscle, side = row["muscle"].lower(), row["side"].lower()
            technique = row["technique"] or "retained"
            if muscle not in muscles:
                problems.append(
                    _("Trigger point %(n)s: choose the muscle (%(allowed)s).")
                    % {"n": number, "allowed": ", ".join(muscles.values())}
                )
                continue
            if side not in ("left", "right"):
                problems.append(
                    _("Trigger point %(n)s (%(m)s): the side is left or right.")
                    % {"n": number, "m": muscles[muscle]}
                )
                continue
            if technique not in techniques:
                problems.append(
                    _("Trigger point %(n)s (%(m)s): the technique is one of %(allowed)s.")
                    % {
                        "n": number,
                        "m": muscles[muscle],
                        "allowed": ", ".join(str(t) for t in techniques.values()),
                    }
                )
                continue
            depth: float | None = None
            if row["depth_cun"]:
                try:
                    depth = float(row["depth_cun"].replace(",", "."))
                except ValueError:
                    depth = -1.0
                if not 0.1 <= depth <= MAX_DEPTH_CUN:
                    problems.append(
                        _(
                            "Trigger point %(n)s (%(m)s): the depth is a number of cun from 0.1 "
                            "to %(max)s, or blank."
                        )
                        % {"n": number, "m": muscles[muscle], "max": numbers.number(MAX_DEPTH_CUN)}
                    )
                    continue
                if technique == "pressure":
                    depth = None  # pressure has no depth
            point = {"muscle": muscle, "side": side, "depth_cun": depth, "technique": technique}
            if any((p["muscle"], p["side"]) == (muscle, side) for p in out):
                problems.append(
                    _("Trigger point %(n)s (%(m)s, %(s)s) is listed twice.")
                    % {"n": number, "m": muscles[muscle], "s": side}
                )
                continue
            out.append(point)
        if problems:
            raise forms.ValidationError(problems)
        return out


class IncrementsField(forms.TypedMultipleChoiceField):
    """Which 15-minute increments (1, 2, …) something happened in."""

    def __init__(self, *, first: int = 1, **kwargs: Any) -> None:
        choices = [(str(n), str(n)) for n in range(first, MAX_INCREMENTS + 1)]
        super().__init__(
            choices=choices,
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )

    def clean(self, value: Any) -> list[int]:
        cleaned: list[int] = super().clean(value)
        return sorted(set(cleaned))
