"""The body chart of the intake, for a finger on a phone: the exam chart's regions (the same ids,
:data:`body.REGION_IDS`) drawn as a body map of tiles, every tile at least one grid cell (44 px
or more when the chart is 352 px wide or wider, as on a 390 px phone), front and back.

Like the exam's chart (:func:`body.body_chart_html`) the checkboxes are what the form posts; each
tile is a picture of its checkbox (role "checkbox", named in words, reached with Tab, flipped with
Space or Enter) and ``static/clinic/bodychart.js`` keeps the two in step. Without JavaScript the
patient ticks the same regions in the list.
"""

from __future__ import annotations

import html
from collections.abc import Collection

from weizhong.clinic.records.regions import REGION_NAMES
from weizhong.i18n import _

from .body import (
    BODY_EDGE,
    BODY_FILL,
    CHOSEN_EDGE,
    CHOSEN_FILL,
    FONT,
    INK,
    REGION_EDGE,
    REGION_FILL,
    REGION_GROUPS,
    REGION_IDS,
)

COLUMNS = 8  # grid cells across; a cell is CELL units, so a view is 8 cells wide
CELL = 10
TOP = 1.6  # cells above the figure, for the view's name and the sides

Box = tuple[float, float, float, float]  # x, y, width, height in cells

# Parts of the body that are not regions (drawn, not chosen).
_FRONT_BODY: tuple[Box, ...] = ((2, 2, 4, 2.5), (1.6, 8.5, 4.8, 0.7))  # chest, knees
_BACK_BODY: tuple[Box, ...] = ((1.6, 8, 4.8, 0.2),)


def _sided(near: str, far: str, boxes: dict[str, tuple[Box, Box]]) -> dict[str, Box]:
    """Each base region on the viewer's left (``near`` side of the patient) and right."""
    out: dict[str, Box] = {}
    for base, (left, right) in boxes.items():
        out[f"{base}_{near}"], out[f"{base}_{far}"] = left, right
    return out


# From the front the patient's right is on the viewer's left.
_FRONT: dict[str, Box] = {
    "neck": (3.5, 1, 1, 1),
    "lower_abdomen": (2, 4.5, 4, 1),
    **_sided("right", "left", {
        "shoulder": ((0.5, 2, 1.5, 1), (6, 2, 1.5, 1)),
        "upper_arm": ((0.5, 3, 1, 1), (6.5, 3, 1, 1)),
        "forearm": ((0.5, 4, 1, 1.5), (6.5, 4, 1, 1.5)),
        "hand": ((0.5, 5.5, 1, 1), (6.5, 5.5, 1, 1)),
        "groin": ((2, 5.5, 2, 1), (4, 5.5, 2, 1)),
        "lateral_thigh": ((1, 6.5, 1, 2), (6, 6.5, 1, 2)),
        "anterior_thigh": ((2, 6.5, 1, 2), (5, 6.5, 1, 2)),
        "medial_thigh": ((3, 6.5, 1, 2), (4, 6.5, 1, 2)),
        "shin": ((1.6, 9.2, 2.2, 1.6), (4.2, 9.2, 2.2, 1.6)),
        "foot": ((1.6, 10.8, 2.2, 1), (4.2, 10.8, 2.2, 1)),
    }),
}  # fmt: skip

# From the back the patient's left is on the viewer's left.
_BACK: dict[str, Box] = {
    "neck": (3.5, 1, 1, 1),
    "upper_back": (2, 2, 4, 1.5),
    "low_back": (2, 3.5, 4, 1),
    "sacrum": (3.5, 4.5, 1, 1.5),
    **_sided("left", "right", {
        "shoulder": ((0.5, 2, 1.5, 1), (6, 2, 1.5, 1)),
        "upper_arm": ((0.5, 3, 1, 1), (6.5, 3, 1, 1)),
        "forearm": ((0.5, 4, 1, 1.5), (6.5, 4, 1, 1.5)),
        "hand": ((0.5, 5.5, 1, 1), (6.5, 5.5, 1, 1)),
        "buttock": ((2, 4.5, 1.5, 1.5), (4.5, 4.5, 1.5, 1.5)),
        "lateral_thigh": ((1, 6.5, 1, 1.5), (6, 6.5, 1, 1.5)),
        "posterior_thigh": ((2, 6, 2, 2), (4, 6, 2, 2)),
        "posterior_knee": ((1.6, 8.2, 2.2, 1), (4.2, 8.2, 2.2, 1)),
        "calf": ((1.6, 9.2, 2.2, 1.6), (4.2, 9.2, 2.2, 1.6)),
        "foot": ((1.6, 10.8, 2.2, 1), (4.2, 10.8, 2.2, 1)),
    }),
}  # fmt: skip

VIEWS: dict[str, dict[str, Box]] = {"front": _FRONT, "back": _BACK}
ROWS = 12  # cells down, under TOP


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _rect(box: Box, attrs: str, inner: str = "") -> str:
    x, y, w, h = box
    geometry = (
        f'x="{_n(x * CELL)}" y="{_n((y + TOP) * CELL)}" width="{_n(w * CELL)}"'
        f' height="{_n(h * CELL)}" rx="1.6"'
    )
    return f"<rect {geometry}{attrs}>{inner}</rect>" if inner else f"<rect {geometry}{attrs}/>"


def _view_svg(view: str, chosen: Collection[str]) -> str:
    tiles = VIEWS[view]
    front = view == "front"
    label = _("Body seen from the front") if front else _("Body seen from the back")
    near, far = (_("Right"), _("Left")) if front else (_("Left"), _("Right"))
    body = "".join(
        _rect(box, f' fill="{BODY_FILL}" stroke="{BODY_EDGE}" stroke-width="0.4"')
        for box in (_FRONT_BODY if front else _BACK_BODY)
    )
    head = (
        f'<circle cx="{4 * CELL}" cy="{_n((TOP + 0.5) * CELL)}" r="{_n(0.48 * CELL)}"'
        f' fill="{BODY_FILL}" stroke="{BODY_EDGE}" stroke-width="0.4"/>'
    )
    parts = []
    for region, box in tiles.items():
        on = region in chosen
        name = _e(REGION_NAMES[region])
        parts.append(
            _rect(
                box,
                f' class="region{" selected" if on else ""}" data-region="{_e(region)}"'
                f' id="tile-{view}-{_e(region)}" tabindex="0" role="checkbox"'
                f' aria-checked="{"true" if on else "false"}" aria-label="{name}"'
                f' fill="{CHOSEN_FILL if on else REGION_FILL}"'
                f' stroke="{CHOSEN_EDGE if on else REGION_EDGE}"'
                f' stroke-width="{1 if on else 0.5}" cursor="pointer"',
                f"<title>{name}</title>",
            )
        )
    text = f'font-family="{FONT}" fill="{INK}" text-anchor="middle"'
    width, height = COLUMNS * CELL, (ROWS + TOP) * CELL
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="intake-chart-view"'
        f' viewBox="0 0 {width} {_n(height)}" role="group" aria-label="{_e(label)}">'
        f'<text x="{4 * CELL}" y="9" {text} font-size="7" font-weight="bold">'
        f"{_e(_('Front') if front else _('Back'))}</text>"
        f'<text x="{CELL}" y="{_n(TOP * CELL + 5)}" {text} font-size="5">{_e(near)}</text>'
        f'<text x="{7 * CELL}" y="{_n(TOP * CELL + 5)}" {text} font-size="5">{_e(far)}</text>'
        f"{head}{body}{''.join(parts)}</svg>"
    )


def intake_chart_html(selected: Collection[str], field: str = "pain_regions") -> str:
    """Front and back body maps whose tiles toggle, and the same choice as a list of
    checkboxes (what the form posts), in a fieldset ``bodychart.js`` binds like the exam's."""
    chosen = set(selected) & set(REGION_IDS)
    groups = []
    for title, regions in REGION_GROUPS:
        items = "".join(
            f'<li><input type="checkbox" name="{_e(field)}" value="{_e(r)}" id="where-{_e(r)}"'
            f'{" checked" if r in chosen else ""}> <label for="where-{_e(r)}">'
            f"{_e(REGION_NAMES[r])}</label></li>"
            for r in regions
        )
        groups.append(
            f'<fieldset class="bodychart-group"><legend>{_e(title)}</legend>'
            f'<ul class="bodychart-checklist">{items}</ul></fieldset>'
        )
    hint = _(
        "Tap each part of the body where you feel the problem. Tap it again to undo. "
        "You can also use the list below."
    )
    return (
        f'<fieldset class="bodychart intake-chart"'
        f' data-fill="{REGION_FILL}" data-stroke="{REGION_EDGE}" data-stroke-width="0.5"'
        f' data-selected-fill="{CHOSEN_FILL}" data-selected-stroke="{CHOSEN_EDGE}"'
        f' data-selected-stroke-width="1" data-focus-extra="0.6">'
        f"<legend>{_e(_('Where do you feel it?'))}</legend>"
        f'<p class="bodychart-hint">{_e(hint)}</p>'
        f'<div class="intake-chart-views">{_view_svg("front", chosen)}'
        f"{_view_svg('back', chosen)}</div>"
        f'<details class="bodychart-list"><summary>{_e(_("Choose from a list"))}</summary>'
        f"{''.join(groups)}</details></fieldset>"
    )


def _check() -> None:
    """Every region of the exam's chart is on the intake's chart, and only those."""
    drawn = set(_FRONT) | set(_BACK)
    if drawn != set(REGION_IDS):  # pragma: no cover - a layout edit that forgot a region
        raise AssertionError(f"intake chart regions differ: {sorted(drawn ^ set(REGION_IDS))}")


_check()
