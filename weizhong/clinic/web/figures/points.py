"""Proposed points on the body figure, labelled without overlaps, with a legend (SVG)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from weizhong.i18n import _
from weizhong.knowledge.atlas import MUSCLE_REGIONS

from .body import (
    BACK,
    FONT,
    FRONT,
    INK,
    MID_X,
    MUTED,
    REGION_CENTRES,
    ROLE_NAMES,
    SIDES,
    VIEW_HEIGHT,
    VIEW_WIDTH,
    VIEWS,
    Point,
    _e,
    _f,
    _view_body,
)

# --- 3. points on the body figure ---------------------------------------------------------------

_ROLE_STYLE = {  # colour, marker shape
    "local": ("#c62828", "circle"),
    "adjacent": ("#b35400", "square"),
    "distal": ("#1f5fa8", "triangle"),
    "balance": ("#1e7a3c", "diamond"),
    "trigger_point": ("#6f2c91", "star"),
}
_OTHER_ROLE = ("#4a5560", "ring")
# Channels running mostly on the back or side of the body; the rest are charted from the front.
_BACK_CHANNELS = ("BL", "GV", "SI", "TE", "GB")
_FRONT_CHANNELS = ("LU", "LI", "ST", "SP", "HT", "KI", "PC", "LR", "CV")
_PARASPINAL = 16.0  # a sided point in a midline region sits this far from the midline
_MARKER = 6.0
_LABEL_SIZE = 10.0
_PAD_X, _GAP, _LEGEND_H = 34.0, 36.0, 34.0
_VIEW_X = {FRONT: _PAD_X, BACK: _PAD_X + VIEW_WIDTH + _GAP}  # where each view starts


def _marker_svg(shape: str, x: float, y: float, colour: str, size: float = _MARKER) -> str:
    s = size
    edge = ' stroke="#ffffff" stroke-width="1.6" stroke-linejoin="round"'
    if shape == "circle":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(s)}" fill="{colour}"{edge}/>'
    if shape == "ring":
        return (
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(s - 1)}" fill="#ffffff"'
            f' stroke="{colour}" stroke-width="2.4"/>'
        )
    if shape == "square":
        pts = [(-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)]
    elif shape == "triangle":
        pts = [(0.0, -1.15), (1.05, 0.75), (-1.05, 0.75)]
    elif shape == "diamond":
        pts = [(0.0, -1.15), (1.15, 0.0), (0.0, 1.15), (-1.15, 0.0)]
    else:  # a five-pointed star
        pts = [
            (math.sin(k * math.pi / 5) * r, -math.cos(k * math.pi / 5) * r)
            for k, r in enumerate([1.3, 0.55] * 5)
        ]
    d = " ".join(f"{_f(x + px * s)},{_f(y + py * s)}" for px, py in pts)
    return f'<polygon points="{d}" fill="{colour}"{edge}/>'


def _prefix(code: str) -> str:
    letters = ""
    for ch in code.upper():
        if not ch.isalpha():
            break
        letters += ch
    return letters


def _split_region(region: str) -> tuple[str, str | None]:
    for side in SIDES:
        if region.endswith(f"_{side}"):
            return region[: -len(side) - 1], side
    return region, None


def _views_with(base: str) -> list[str]:
    return [
        v for v in VIEWS if (v, base) in REGION_CENTRES or (v, f"{base}_left") in REGION_CENTRES
    ]


@dataclass
class _Mark:
    view: str
    x: float  # where the point belongs, in the view's own coordinates
    y: float
    code: str
    role: str
    side: str


def _anchors(point: Mapping[str, object]) -> list[_Mark] | None:
    """Where a point's markers belong, or None when none of its regions is on the figure."""
    code = str(point.get("code", "?"))
    role = str(point.get("role", ""))
    side = str(point.get("side", ""))
    raw = point.get("regions") or []
    regions = [str(r) for r in raw] if isinstance(raw, list | tuple) else []
    muscle = point.get("muscle")
    if not regions and isinstance(muscle, str) and muscle in MUSCLE_REGIONS:
        regions = [MUSCLE_REGIONS[muscle]]
    for region in regions:
        base, suffix = _split_region(region)
        views = _views_with(base)
        if not views:
            continue
        prefix = _prefix(code)
        if len(views) == 1:
            view = views[0]
        elif prefix in _FRONT_CHANNELS:
            view = FRONT
        else:
            view = BACK if prefix in _BACK_CHANNELS or base in ("neck", "head") else FRONT
        if side in SIDES:
            sides: list[str | None] = [side]
        elif side == "both":
            sides = list(SIDES)
        else:  # midline, or not given: the region's own side, else both sides of a sided region
            sides = [suffix] if suffix else [None]
        marks = []
        for s in sides:
            if (view, base) in REGION_CENTRES:  # a midline region
                x, y = REGION_CENTRES[(view, base)]
                if s is not None:  # a sided point beside the midline
                    towards_viewer_left = (s == "right") == (view == FRONT)
                    x += -_PARASPINAL if towards_viewer_left else _PARASPINAL
                marks.append(_Mark(view, x, y, code, role, s or side))
            else:
                for each in [s] if s else list(SIDES):
                    x, y = REGION_CENTRES[(view, f"{base}_{each}")]
                    marks.append(_Mark(view, x, y, code, role, each))
        return marks
    return None


Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _text_width(text: str, size: float) -> float:
    return 0.62 * size * len(text) + 2


def _place(marks: list[_Mark], width: float, height: float) -> list[tuple[_Mark, Point, Box]]:
    """Each marker's drawn position and its label's anchor, avoiding markers and labels placed
    before it: try the spot itself, then rings around it; the label goes outward first."""
    placed: list[tuple[_Mark, Point, Box]] = []
    taken: list[Box] = []
    rings = [(0.0, 0.0)] + [
        (r * math.cos(a * math.pi / 4), r * math.sin(a * math.pi / 4))
        for r in (13.0, 22.0, 32.0)
        for a in (4, 0, 2, 6, 3, 5, 1, 7)
    ]
    for mark in marks:
        mx, my = mark.x + _VIEW_X[mark.view], mark.y
        outward_left = mark.x < MID_X - 1
        w, h = _text_width(mark.code, _LABEL_SIZE), _LABEL_SIZE + 1
        choice = None
        for dx, dy in rings:
            x, y = mx + dx, my + dy
            dot: Box = (x - _MARKER, y - _MARKER, x + _MARKER, y + _MARKER)
            if any(_overlaps(dot, b) for b in taken):
                continue
            sides = ["end", "start"] if outward_left else ["start", "end"]
            for anchor in [*sides, "above", "below"]:
                box = _label_box(x, y, w, h, anchor)
                if box[0] < 0 or box[2] > width or box[1] < 20 or box[3] > height:
                    continue
                if not any(_overlaps(box, b) for b in taken) and not _overlaps(box, dot):
                    choice = ((x, y), anchor, box, dot)
                    break
            if choice:
                break
        if choice is None:  # crowded beyond the rings: draw at the spot regardless
            dot = (mx - _MARKER, my - _MARKER, mx + _MARKER, my + _MARKER)
            choice = ((mx, my), "start", _label_box(mx, my, w, h, "start"), dot)
        (x, y), _anchor, box, dot = choice
        taken += [dot, box]
        placed.append((mark, (x, y), box))
    return placed


def _label_box(x: float, y: float, w: float, h: float, anchor: str) -> Box:
    gap = _MARKER + 2
    if anchor == "end":
        return (x - gap - w, y - h / 2, x - gap, y + h / 2)
    if anchor == "start":
        return (x + gap, y - h / 2, x + gap + w, y + h / 2)
    if anchor == "above":
        return (x - w / 2, y - gap - h, x + w / 2, y - gap)
    return (x - w / 2, y + gap, x + w / 2, y + gap + h)


def points_figure_svg(points: Sequence[Mapping[str, object]]) -> str:
    """The proposed points on front and back figures: one marker per point and side, coloured
    and shaped by role, labelled with the code. Points with no drawable region are named in a
    "Not drawn" line under the figure."""
    width = 2 * _PAD_X + 2 * VIEW_WIDTH + _GAP
    height = VIEW_HEIGHT + _LEGEND_H
    marks: list[_Mark] = []
    missing: list[str] = []
    for point in points:
        found = _anchors(point)
        if found is None:
            regions = point.get("regions") or []
            where = ", ".join(str(r) for r in regions) if isinstance(regions, list | tuple) else ""
            code = str(point.get("code", "?"))
            missing.append(f"{code} ({where})" if where else code)
        else:
            marks += found
    placed = _place(marks, width, VIEW_HEIGHT)
    side_names = {"left": _("left"), "right": _("right"), "both": _("both sides"),
                  "midline": _("midline")}  # fmt: skip
    body = []
    for name, x in _VIEW_X.items():
        body.append(
            f'<g class="view view-{name}" transform="translate({_f(x)},0)">{_view_body(name)}</g>'
        )
    drawn = []
    for mark, (x, y), box in placed:
        colour, shape = _ROLE_STYLE.get(mark.role, _OTHER_ROLE)
        role = ROLE_NAMES.get(mark.role) or mark.role.replace("_", " ") or _("no role given")
        title = f"{mark.code} — {role}, {side_names.get(mark.side, mark.side)}"
        leader = ""
        ax, ay = mark.x + _VIEW_X[mark.view], mark.y
        if math.hypot(x - ax, y - ay) > 0.5:  # moved aside: a thin line back to where it belongs
            leader = (
                f'<line x1="{_f(ax)}" y1="{_f(ay)}" x2="{_f(x)}" y2="{_f(y)}"'
                f' stroke="{MUTED}" stroke-width="1"/><circle cx="{_f(ax)}" cy="{_f(ay)}"'
                f' r="1.6" fill="{MUTED}"/>'
            )
        tx = box[0] + (box[2] - box[0]) / 2
        drawn.append(
            f'<g class="point" data-code="{_e(mark.code)}" data-view="{mark.view}">'
            f"<title>{_e(title)}</title>{leader}{_marker_svg(shape, x, y, colour)}"
            f'<text x="{_f(tx)}" y="{_f(box[3] - 2)}" text-anchor="middle"'
            f' font-family="{FONT}" font-size="{_f(_LABEL_SIZE)}" font-weight="bold" fill="{INK}"'
            f' stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">'
            f"{_e(mark.code)}</text></g>"
        )
    legend = _points_legend([m.role for m in marks], width)
    codes = ", ".join(dict.fromkeys(str(p.get("code", "?")) for p in points))
    label = _("Points proposed, front and back: {codes}").format(codes=codes or _("none"))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="points-figure"'
        f' viewBox="0 0 {_f(width)} {_f(height)}" width="{_f(width)}" height="{_f(height)}"'
        f' role="img" aria-label="{_e(label)}">{"".join(body)}{"".join(drawn)}{legend}</svg>'
    )
    note = ""
    if missing:
        text = _("Not drawn: {points}").format(points="; ".join(missing))
        note = f'<p class="figure-note not-drawn"><small>{_e(text)}</small></p>'
    caption = _e(_("Points proposed, front and back"))
    return f'<figure class="points-figure">{svg}{note}<figcaption>{caption}</figcaption></figure>'


def _points_legend(roles: Iterable[str], width: float) -> str:
    present = set(roles)
    keys = [r for r in _ROLE_STYLE if r in present] + sorted(present - set(_ROLE_STYLE))
    if not keys:
        return ""
    entries = []
    for key in keys:
        colour, shape = _ROLE_STYLE.get(key, _OTHER_ROLE)
        name = ROLE_NAMES.get(key, key.replace("_", " "))
        entries.append((shape, colour, name, 2 * _MARKER + 6 + _text_width(name, 11) + 16))
    x = (width - sum(e[3] for e in entries)) / 2
    y = VIEW_HEIGHT + _LEGEND_H / 2
    parts = [f'<g class="legend" font-family="{FONT}" font-size="11" fill="{INK}">']
    for shape, colour, name, span in entries:
        parts.append(_marker_svg(shape, x + _MARKER, y, colour))
        parts.append(f'<text x="{_f(x + 2 * _MARKER + 5)}" y="{_f(y + 4)}">{_e(name)}</text>')
        x += span
    parts.append("</g>")
    return "".join(parts)
