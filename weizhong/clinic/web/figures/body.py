"""The body figure and the clickable body chart (HTML and SVG strings); the shapes the points
figure reuses.

Standard library only, so the Django views just drop the strings into templates (mark them safe:
every piece of text put in here goes through :func:`html.escape`). Colours are SVG presentation
attributes rather than CSS, so the figures look right under a strict content security policy;
``static/clinic/bodychart.js`` switches them when a region is chosen.

The body is drawn in a 200 × 460 box per view. Limbs are tapered "tubes" along a centre line, so a
region is simply a stretch of a tube (along its length) and a strip of it (across its width); the
regions then follow the outline exactly. The figure is built for its left half on screen and
mirrored for the right half.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Collection
from dataclasses import dataclass

from weizhong.clinic.records.regions import REGION_NAMES
from weizhong.i18n import _

Point = tuple[float, float]

VIEW_WIDTH, VIEW_HEIGHT = 200, 460
MID_X = VIEW_WIDTH / 2
FRONT, BACK = "front", "back"
VIEWS = (FRONT, BACK)
SIDES = ("left", "right")
FONT = "DejaVu Sans, Arial, sans-serif"

# The case format's body-chart regions: these are the ones drawn as clickable shapes.
MIDLINE_REGIONS = ("neck", "upper_back", "low_back", "sacrum", "lower_abdomen")
SIDED_REGIONS = (
    "buttock", "groin", "posterior_thigh", "lateral_thigh", "anterior_thigh", "medial_thigh",
    "posterior_knee", "calf", "shin", "foot", "shoulder", "upper_arm", "forearm", "hand",
)  # fmt: skip
REGION_IDS: tuple[str, ...] = MIDLINE_REGIONS + tuple(
    f"{base}_{side}" for base in SIDED_REGIONS for side in SIDES
)
# Regions the point atlas also uses; they have a centre (for placing points) but no shape.
EXTRA_MIDLINE = ("head", "face", "chest", "upper_abdomen")
EXTRA_SIDED = ("anterior_knee", "elbow", "wrist")

# A trigger point is charted by its muscle when it has no region of its own (MUSCLE_REGIONS,
# from the atlas module, where the planner reads it too).


def _both(*bases: str) -> tuple[str, ...]:
    return tuple(f"{base}_{side}" for base in bases for side in SIDES)


REGION_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (_("Back and spine"), ("neck", "upper_back", "low_back", "sacrum")),
    (
        _("Hips and thighs"),
        (
            "lower_abdomen",
            *_both("groin", "buttock", "anterior_thigh", "lateral_thigh", "medial_thigh"),
            *_both("posterior_thigh"),
        ),
    ),
    (_("Knees, calves and feet"), _both("posterior_knee", "shin", "calf", "foot")),
    (_("Arms and shoulders"), _both("shoulder", "upper_arm", "forearm", "hand")),
)
"""The checkbox list's groups, in reading order; together they hold every chart region once."""

ROLE_NAMES: dict[str, str] = {
    "local": _("Local"),
    "adjacent": _("Adjacent"),
    "distal": _("Distal"),
    "balance": _("Balance"),
    "trigger_point": _("Trigger point"),
}

# Colours (contrast on white in brackets).
INK = "#1b2631"  # text (15:1)
MUTED = "#4a5560"  # small print (7.5:1)
BODY_FILL = "#f5f1ea"
BODY_EDGE = "#4f5b66"
REGION_FILL = "#e4ecf4"
REGION_EDGE = "#5d6d7e"
CHOSEN_FILL = "#c62828"  # a strong red (5.6:1), unmistakable against the pale body
CHOSEN_EDGE = "#5c0d0d"
GRID = "#e3e7eb"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _f(value: float) -> str:
    """A coordinate with at most one decimal."""
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def _num(value: float) -> str:
    """A score as a person writes it: 4, 4.5, 12.25."""
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


# --- geometry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """A closed polygon, or an ellipse (cx, cy, rx, ry) when ``points`` is empty."""

    points: tuple[Point, ...] = ()
    ellipse: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def mirrored(self) -> _Shape:
        cx, cy, rx, ry = self.ellipse
        return _Shape(
            tuple((VIEW_WIDTH - x, y) for x, y in self.points), (VIEW_WIDTH - cx, cy, rx, ry)
        )

    def centre(self) -> Point:
        if not self.points:
            return self.ellipse[0], self.ellipse[1]
        area = cx = cy = 0.0
        pts = self.points
        for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if abs(area) < 1e-9:
            return sum(x for x, _y in pts) / len(pts), sum(y for _x, y in pts) / len(pts)
        return cx / (3 * area), cy / (3 * area)

    def svg(self, attrs: str = "", inner: str = "") -> str:
        if self.points:
            d = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in self.points) + " Z"
            head = f'<path d="{d}"{attrs}'
        else:
            cx, cy, rx, ry = self.ellipse
            head = f'<ellipse cx="{_f(cx)}" cy="{_f(cy)}" rx="{_f(rx)}" ry="{_f(ry)}"{attrs}'
        return f"{head}>{inner}</{head[1 : head.index(' ')]}>" if inner else f"{head}/>"


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> _Shape:
    return _Shape(ellipse=(cx, cy, rx, ry))


@dataclass(frozen=True)
class _Limb:
    """A tapered tube: nodes are (x, y, half-width) along its centre line.

    Across the tube, u = -1 is the edge on the smaller-x side of a limb going down the page (the
    outer side of a limb on the left half of the figure) and u = +1 the other edge.
    """

    nodes: tuple[tuple[float, float, float], ...]

    def _cumulative(self) -> list[float]:
        out = [0.0]
        for (x0, y0, _w0), (x1, y1, _w1) in zip(self.nodes, self.nodes[1:], strict=False):
            out.append(out[-1] + math.hypot(x1 - x0, y1 - y0))
        return out

    def _centre(self, distance: float) -> tuple[float, float, float]:
        cum = self._cumulative()
        distance = min(max(distance, 0.0), cum[-1])
        for i in range(len(self.nodes) - 1):
            if distance <= cum[i + 1] or i == len(self.nodes) - 2:
                span = cum[i + 1] - cum[i]
                t = (distance - cum[i]) / span if span else 0.0
                (x0, y0, w0), (x1, y1, w1) = self.nodes[i], self.nodes[i + 1]
                return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, w0 + (w1 - w0) * t
        raise AssertionError("unreachable")  # pragma: no cover

    def at(self, f: float, u: float = 0.0) -> Point:
        """The point a fraction ``f`` along the tube and ``u`` across it."""
        total = self._cumulative()[-1]
        d = f * total
        x, y, w = self._centre(d)
        # The direction is taken over a short stretch, so the edges bend smoothly at the nodes.
        ax, ay, _ = self._centre(d - 5)
        bx, by, _ = self._centre(d + 5)
        length = math.hypot(bx - ax, by - ay) or 1.0
        nx, ny = (by - ay) / length, -(bx - ax) / length
        return x + nx * w * u, y + ny * w * u

    def band(self, f0: float, f1: float, u0: float = -1.0, u1: float = 1.0) -> _Shape:
        steps = max(4, round((f1 - f0) * 40))
        fs = [f0 + (f1 - f0) * i / steps for i in range(steps + 1)]
        edge1 = [self.at(f, u1) for f in fs]
        edge0 = [self.at(f, u0) for f in reversed(fs)]
        return _Shape(tuple(edge1 + edge0))

    def outline(self, round_ends: bool = True) -> list[_Shape]:
        """The tube, with round ends unless they are hidden under another part anyway."""
        (x0, y0, w0), (x1, y1, w1) = self.nodes[0], self.nodes[-1]
        ends = [_ellipse(x0, y0, w0, w0), _ellipse(x1, y1, w1, w1)] if round_ends else []
        return [self.band(0.0, 1.0), *ends]


# The body, left half on screen (x < 100); proportions of about eight heads.
_HEAD = _ellipse(100, 57, 19, 26)
_EAR = _ellipse(81.5, 59, 3.5, 7)
_NECK = _Limb(((100, 72, 9.5), (100, 100, 11.5)))
_TORSO = _Limb(
    (
        (100, 92, 13), (100, 97, 27), (100, 103, 39), (100, 112, 45), (100, 130, 44.5),
        (100, 150, 41), (100, 176, 35), (100, 200, 37), (100, 222, 41), (100, 242, 40),
    )
)  # fmt: skip
_SHOULDER_CAP = _ellipse(58, 111, 13, 13)
_ARM = _Limb(((57, 111, 12.5), (50, 150, 11), (45, 186, 9), (41, 214, 8.5), (38, 244, 6)))
_HAND = _Limb(((38, 243, 6.5), (37, 257, 9), (36, 274, 7.5), (36, 286, 4)))
_THUMB = _Limb(((33.5, 250, 3.4), (29, 266, 2.8)))
_LEG = _Limb(
    (
        (78.5, 222, 20.5), (79, 258, 18), (80.5, 298, 14.5), (81.5, 328, 11), (82.5, 350, 12),
        (84.5, 390, 8), (86.5, 426, 5.5),
    )
)  # fmt: skip
_FOOT_FRONT = _Limb(((86.5, 426, 6), (85, 436, 8.5), (83.5, 445, 6.5)))
_HEEL = _ellipse(86.5, 436, 7.5, 8.5)


def _half_outline(view: str) -> list[_Shape]:
    shapes = [_EAR, _SHOULDER_CAP, *_ARM.outline(), *_HAND.outline(), *_THUMB.outline()]
    shapes += _LEG.outline()
    shapes += _FOOT_FRONT.outline() if view == FRONT else [_HEEL]
    return shapes


def _outline_shapes(view: str) -> list[_Shape]:
    half = _half_outline(view)
    trunk = [_HEAD, *_NECK.outline(False), *_TORSO.outline(False)]
    return [*trunk, *half, *(s.mirrored() for s in half)]


def _near_side(view: str) -> str:
    """The patient's side drawn on the viewer's left: the right from the front, else the left."""
    return "right" if view == FRONT else "left"


def _far_side(view: str) -> str:
    return "left" if view == FRONT else "right"


def _shoulder() -> _Shape:
    """The cap of the shoulder down to the top of the upper arm."""
    cx, cy, r, _ry = _SHOULDER_CAP.ellipse
    arc = [
        (cx + r * math.cos(math.radians(a)), cy - r * math.sin(math.radians(a)))
        for a in range(200, -20, -20)
    ]
    return _Shape((*arc, _ARM.at(0.17, 0.97), _ARM.at(0.17, -0.97)))


# The groin crease runs from the front of the hip down to the pubic bone.
_CREASE_TOP, _PUBIS = (73.0, 221.0), (99.0, 244.0)


def _region_shapes(view: str) -> list[tuple[str, _Shape]]:
    """(region id, shape) for every clickable region of a view, in drawing order.

    Neighbouring regions share their edges, so the chart reads as one body divided into areas;
    what is left uncovered (head, chest, elbows, knees from the front) is not a pain region.
    """
    thigh_top = 0.136 if view == BACK else 0.17
    midline: list[tuple[str, _Shape]] = []
    sided: list[tuple[str, _Shape]] = [
        ("shoulder", _shoulder()),
        ("upper_arm", _ARM.band(0.17, 0.5, -0.97, 0.97)),
        ("forearm", _ARM.band(0.62, 1.0, -0.97, 0.97)),
        ("hand", _HAND.band(0.03, 1.0, -0.95, 0.95)),
    ]
    if view == FRONT:
        midline += [
            ("neck", _NECK.band(0.45, 0.95, -0.95, 0.95)),
            (
                "lower_abdomen",
                _Shape(
                    (
                        (69, 194), (131, 194), (200 - _CREASE_TOP[0], _CREASE_TOP[1]),
                        (200 - _PUBIS[0], _PUBIS[1]), _PUBIS, _CREASE_TOP,
                    )
                ),
            ),
        ]  # fmt: skip
        sided += [
            (
                "groin",
                _Shape((_CREASE_TOP, _PUBIS, _LEG.at(thigh_top, 0.97), _LEG.at(thigh_top, -0.33))),
            ),
            ("lateral_thigh", _LEG.band(0.02, 0.47, -0.97, -0.33)),
            ("anterior_thigh", _LEG.band(thigh_top, 0.47, -0.33, 0.33)),
            ("medial_thigh", _LEG.band(thigh_top, 0.47, 0.33, 0.97)),
            ("shin", _LEG.band(0.6, 0.97, -0.97, 0.97)),
            ("foot", _FOOT_FRONT.band(0.05, 1.0, -0.95, 0.95)),
        ]
    else:
        midline += [
            ("neck", _NECK.band(0.2, 0.95, -0.95, 0.95)),
            ("upper_back", _TORSO.band(0.06, 0.45, -0.97, 0.97)),
            ("low_back", _TORSO.band(0.45, 0.74, -0.97, 0.97)),
            ("sacrum", _Shape(((86, 203), (114, 203), (100, 238)))),
        ]
        # Sacrum edge, the gluteal fold, then up the side of the hip.
        buttock = [(62.5, 203), (86, 203), (99.5, 238), (99.5, 247), (92, 249.5), (84, 250.5)]
        buttock += [(76, 249.5), (68, 246.5), (62.5, 241), (60.3, 234), (59.6, 224), (61, 213)]
        sided += [
            ("buttock", _Shape(tuple(buttock))),
            ("lateral_thigh", _LEG.band(thigh_top, 0.48, -0.97, -0.5)),
            ("posterior_thigh", _LEG.band(thigh_top, 0.48, -0.5, 0.97)),
            ("posterior_knee", _LEG.band(0.48, 0.57, -0.97, 0.97)),
            ("calf", _LEG.band(0.57, 0.9, -0.97, 0.97)),
            ("foot", _HEEL),
        ]
    out = list(midline)
    for base, shape in sided:
        out.append((f"{base}_{_near_side(view)}", shape))
        out.append((f"{base}_{_far_side(view)}", shape.mirrored()))
    return out


def _extra_centres(view: str) -> dict[str, Point]:
    """Centres for the vocabulary's regions that have no shape on the chart."""
    near: dict[str, Point] = {"elbow": _ARM.at(0.57), "wrist": _ARM.at(0.98)}
    out: dict[str, Point] = {"head": (100, 44) if view == FRONT else (100, 52)}
    if view == FRONT:
        out |= {"face": (100, 63), "chest": (100, 136), "upper_abdomen": (100, 172)}
        near["anterior_knee"] = _LEG.at(0.52)
    for base, (x, y) in near.items():
        out[f"{base}_{_near_side(view)}"] = (x, y)
        out[f"{base}_{_far_side(view)}"] = (VIEW_WIDTH - x, y)
    return out


_REGIONS: dict[str, list[tuple[str, _Shape]]] = {v: _region_shapes(v) for v in VIEWS}

REGION_CENTRES: dict[tuple[str, str], tuple[float, float]] = {
    (view, region): shape.centre() for view in VIEWS for region, shape in _REGIONS[view]
} | {(view, region): xy for view in VIEWS for region, xy in _extra_centres(view).items()}
"""(view, region id) → centre of that region in the view's 200 × 460 coordinates. The chart's
regions use their shape's centre; head, face, chest, upper abdomen, front of the knee, elbow and
wrist (atlas regions without a clickable shape) have a centre too, for placing points."""


@functools.cache  # the same two outlines on every exam page: draw them once per process
def _view_body(view: str) -> str:
    """The silhouette of one view, with its labels; no regions."""
    shapes = _outline_shapes(view)
    # Stroke every piece, then fill every piece over it: only the outer edge of the union shows.
    parts = [
        f'<g fill="{BODY_EDGE}" stroke="{BODY_EDGE}" stroke-width="3.6" stroke-linejoin="round">',
        *(s.svg() for s in shapes),
        f'</g><g fill="{BODY_FILL}">',
        *(s.svg() for s in shapes),
        "</g>",
    ]
    detail = f' fill="none" stroke="{BODY_EDGE}" stroke-width="1" stroke-linecap="round"'
    if view == FRONT:
        parts.append(f'<circle cx="100" cy="186" r="1.8" fill="{BODY_EDGE}"/>')  # navel
        parts.append(f'<path d="M77,103 Q88,99 95,101 M123,103 Q112,99 105,101"{detail}/>')
    else:
        parts.append(f'<path d="M100,92 L100,200"{detail} stroke-dasharray="3 4"/>')  # spine
        parts.append(f'<path d="M100,236 L100,247"{detail}/>')
        parts.append(f'<path d="M64,241 Q78,248 97,245 M136,241 Q122,248 103,245"{detail}/>')
    view_name = _("Front") if view == FRONT else _("Back")
    near, far = (_("Right"), _("Left")) if view == FRONT else (_("Left"), _("Right"))
    text = f'font-family="{FONT}" fill="{INK}" text-anchor="middle"'
    parts += [
        f'<text x="100" y="17" {text} font-size="15" font-weight="bold">{_e(view_name)}</text>',
        f'<text x="24" y="66" {text} font-size="12">{_e(near)}</text>',
        f'<text x="176" y="66" {text} font-size="12">{_e(far)}</text>',
    ]
    return "".join(parts)


# --- 1. the clickable body chart ----------------------------------------------------------------


def _region_attrs(region: str, view: str, chosen: bool) -> str:
    name = REGION_NAMES[region]
    fill, edge, width = (CHOSEN_FILL, CHOSEN_EDGE, 2) if chosen else (REGION_FILL, REGION_EDGE, 1)
    classes = "region selected" if chosen else "region"
    return (
        f' class="{classes}" data-region="{_e(region)}" id="region-{view}-{_e(region)}"'
        f' fill="{fill}" stroke="{edge}" stroke-width="{width}" stroke-linejoin="round"'
        f' tabindex="0" role="checkbox" aria-checked="{"true" if chosen else "false"}"'
        f' aria-label="{_e(name)}" cursor="pointer"'
    )


def _view_svg(view: str, selected: Collection[str]) -> str:
    label = _("Body seen from the front") if view == FRONT else _("Body seen from the back")
    regions = "".join(
        shape.svg(
            _region_attrs(region, view, region in selected),
            f"<title>{_e(REGION_NAMES[region])}</title>",
        )
        for region, shape in _REGIONS[view]
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bodychart-view bodychart-{view}"'
        f' viewBox="0 0 {VIEW_WIDTH} {VIEW_HEIGHT}" width="{VIEW_WIDTH}" height="{VIEW_HEIGHT}"'
        f' role="group" aria-label="{_e(label)}">{_view_body(view)}{regions}</svg>'
    )


def _checkbox(field: str, region: str, name: str, chosen: bool) -> str:
    box_id = f"region-{_e(region)}"
    checked = " checked" if chosen else ""
    return (
        f'<li><input type="checkbox" name="{_e(field)}" value="{_e(region)}" id="{box_id}"'
        f'{checked}> <label for="{box_id}">{_e(name)}</label></li>'
    )


def body_chart_html(
    selected: Collection[str], field: str = "pain_regions", invalid: bool = False
) -> str:
    """The pain body chart: front and back figures whose regions toggle, and the same choice as
    a plain checkbox list (which is what the form posts; ``bodychart.js`` keeps both in step).

    Chosen ids that are not on the chart (such as "head") stay in the list under "Other", so
    re-posting the form never drops them.
    """
    chosen = set(selected)
    groups = []
    for title, regions in (*REGION_GROUPS, (_("Other"), tuple(sorted(chosen - set(REGION_IDS))))):
        if not regions:
            continue
        items = "".join(
            _checkbox(field, r, REGION_NAMES.get(r, r.replace("_", " ")), r in chosen)
            for r in regions
        )
        groups.append(
            f'<fieldset class="bodychart-group"><legend>{_e(title)}</legend>'
            f'<ul class="bodychart-checklist">{items}</ul></fieldset>'
        )
    invalid_attr = ' aria-invalid="true"' if invalid else ""
    hint = _(
        "Click or tap every area that hurts; with the keyboard, Tab to an area and press Space."
    )
    return (
        f'<fieldset class="bodychart"{invalid_attr}'
        f' data-fill="{REGION_FILL}" data-stroke="{REGION_EDGE}" data-stroke-width="1"'
        f' data-selected-fill="{CHOSEN_FILL}" data-selected-stroke="{CHOSEN_EDGE}"'
        f' data-selected-stroke-width="2">'
        f"<legend>{_e(_('Where does it hurt?'))}</legend>"
        f'<p class="bodychart-hint">{_e(hint)}</p>'
        f'<div class="bodychart-views">{_view_svg(FRONT, chosen)}{_view_svg(BACK, chosen)}</div>'
        f'<details class="bodychart-list"><summary>{_e(_("Regions as a list"))}</summary>'
        f"{''.join(groups)}</details></fieldset>"
    )
