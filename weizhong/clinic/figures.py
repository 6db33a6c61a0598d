"""Clinic figures as HTML and SVG strings: the clickable body chart, the points proposed on a
body figure, and outcome charts.

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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from weizhong.i18n import _
from weizhong.knowledge.atlas import MUSCLE_REGIONS

__all__ = [
    "MUSCLE_REGIONS",
    "REGION_CENTRES",
    "REGION_GROUPS",
    "REGION_IDS",
    "REGION_NAMES",
    "ROLE_NAMES",
    "VIEWS",
    "angles_chart_svg",
    "body_chart_html",
    "outcome_chart_svg",
    "points_figure_svg",
]

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


def _region_names() -> dict[str, str]:
    # Whole phrases per side, so a translator can put the words in the right order.
    return {
        "neck": _("Neck"),
        "upper_back": _("Upper back"),
        "low_back": _("Low back"),
        "sacrum": _("Sacrum"),
        "lower_abdomen": _("Lower abdomen"),
        "buttock_left": _("Left buttock"),
        "buttock_right": _("Right buttock"),
        "groin_left": _("Left groin"),
        "groin_right": _("Right groin"),
        "posterior_thigh_left": _("Back of the left thigh"),
        "posterior_thigh_right": _("Back of the right thigh"),
        "lateral_thigh_left": _("Outside of the left thigh"),
        "lateral_thigh_right": _("Outside of the right thigh"),
        "anterior_thigh_left": _("Front of the left thigh"),
        "anterior_thigh_right": _("Front of the right thigh"),
        "medial_thigh_left": _("Inside of the left thigh"),
        "medial_thigh_right": _("Inside of the right thigh"),
        "posterior_knee_left": _("Back of the left knee"),
        "posterior_knee_right": _("Back of the right knee"),
        "calf_left": _("Left calf"),
        "calf_right": _("Right calf"),
        "shin_left": _("Left shin"),
        "shin_right": _("Right shin"),
        "foot_left": _("Left foot and ankle"),
        "foot_right": _("Right foot and ankle"),
        "shoulder_left": _("Left shoulder"),
        "shoulder_right": _("Right shoulder"),
        "upper_arm_left": _("Left upper arm"),
        "upper_arm_right": _("Right upper arm"),
        "forearm_left": _("Left forearm"),
        "forearm_right": _("Right forearm"),
        "hand_left": _("Left hand"),
        "hand_right": _("Right hand"),
        # Not on the clickable chart, but in the case vocabulary:
        "head": _("Head"),
        "face": _("Face"),
        "chest": _("Chest"),
        "upper_abdomen": _("Upper abdomen"),
        "anterior_knee_left": _("Front of the left knee"),
        "anterior_knee_right": _("Front of the right knee"),
        "elbow_left": _("Left elbow"),
        "elbow_right": _("Right elbow"),
        "wrist_left": _("Left wrist"),
        "wrist_right": _("Right wrist"),
    }


REGION_NAMES: dict[str, str] = _region_names()
"""Plain-English name of every region id (the chart's and the vocabulary's additions)."""


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


# --- 4. outcome charts --------------------------------------------------------------------------

_SERIES_STYLE = (  # colour, dash pattern, marker
    ("#1f5fa8", "", "circle"),
    ("#c62828", "7 4", "square"),
    ("#1e7a3c", "2 3", "triangle"),
    ("#6f2c91", "9 3 2 3", "diamond"),
    ("#b35400", "4 2", "circle"),
)


def _ticks(lo: float, hi: float) -> list[float]:
    """3–5 round tick values for the range, including its ends where they fit."""
    span = hi - lo
    if span <= 0:
        return [lo]
    best: tuple[tuple[bool, int], list[float]] | None = None
    power = 10 ** math.floor(math.log10(span))
    for scale in (power / 100, power / 10, power, power * 10):
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * scale
            first = math.ceil(lo / step - 1e-9)
            ticks = [round(k * step, 10) for k in range(first, int(hi / step + 1e-9) + 1)]
            if not ticks:
                continue
            if (
                mantissa == 2.5
                and lo.is_integer()
                and hi.is_integer()
                and any(not t.is_integer() for t in ticks)
            ):
                continue  # 2.5, 7.5 on a whole-number scale reads oddly
            if ticks[0] - lo >= 0.35 * step:
                ticks.insert(0, lo)
            if hi - ticks[-1] >= 0.35 * step:
                ticks.append(hi)
            if 3 <= len(ticks) <= 5:
                score = (math.isclose(ticks[0], lo) and math.isclose(ticks[-1], hi), len(ticks))
                if best is None or score > best[0]:
                    best = (score, ticks)
    return best[1] if best else [lo, (lo + hi) / 2, hi]


def _data_ticks(values: Sequence[float]) -> list[float]:
    """3–5 round ticks spanning measured values (at least 10 units), never below 0 for values
    that are all positive."""
    vmin, vmax = min(values), max(values)
    middle = (vmin + vmax) / 2
    vmin, vmax = min(vmin, middle - 5), max(vmax, middle + 5)
    pad = 0.04 * (vmax - vmin)
    for power in range(6):
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * 10**power
            lo = math.floor((vmin - pad) / step) * step
            hi = math.ceil((vmax + pad) / step) * step
            if min(values) >= 0:
                lo = max(lo, 0.0)
            count = round((hi - lo) / step) + 1
            if 3 <= count <= 5 and (mantissa != 2.5 or lo % 5 == 0):
                return [lo + k * step for k in range(count)]
    return [vmin, middle, vmax]


def _thin(labels: Sequence[str], room: float) -> list[int]:
    """Indices of the x labels to print: every k-th, always the first and the last."""
    n = len(labels)
    if n <= 1:
        return list(range(n))
    widest = max(_text_width(label, 10) for label in labels) + 6
    every = max(1, math.ceil(widest / (room / (n - 1))))
    keep = list(range(0, n, every))
    if keep[-1] != n - 1:
        if (n - 1 - keep[-1]) < every and len(keep) > 1:
            keep.pop()  # too close to the last one
        keep.append(n - 1)
    return keep


@dataclass(frozen=True)
class _Frame:
    left: float
    top: float
    right: float
    bottom: float
    lo: float
    hi: float
    count: int

    def x(self, i: int) -> float:
        if self.count <= 1:
            return (self.left + self.right) / 2
        pad = 14.0
        return self.left + pad + i * (self.right - self.left - 2 * pad) / (self.count - 1)

    def y(self, value: float) -> float:
        value = min(max(value, self.lo), self.hi)
        return self.bottom - (value - self.lo) / (self.hi - self.lo) * (self.bottom - self.top)


def _finite(points: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    return [(str(label), float(v)) for label, v in points if math.isfinite(float(v))]


def _svg_open(width: int, height: int, label: str, kind: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img"'
        f' aria-label="{_e(label)}" font-family="{FONT}">'
    )


def _empty_chart(title: str, message: str, width: int) -> str:
    return (
        f"{_svg_open(width, 56, f'{title}: {message}', 'chart-empty')}"
        f'<text x="8" y="18" font-size="13" font-weight="bold" fill="{INK}">{_e(title)}</text>'
        f'<text x="8" y="42" font-size="12" fill="{MUTED}">{_e(message)}</text></svg>'
    )


def _axes(frame: _Frame, labels: Sequence[str], ticks: Sequence[float], suffix: str) -> str:
    parts = []
    for t in ticks:
        y = frame.y(t)
        parts.append(
            f'<line x1="{_f(frame.left)}" y1="{_f(y)}" x2="{_f(frame.right)}" y2="{_f(y)}"'
            f' stroke="{GRID}" stroke-width="1"/>'
            f'<text class="y-tick" x="{_f(frame.left - 6)}" y="{_f(y + 3.5)}" text-anchor="end"'
            f' font-size="10"'
            f' fill="{MUTED}">{_e(_num(t) + suffix)}</text>'
        )
    parts.append(
        f'<path d="M{_f(frame.left)},{_f(frame.top)} L{_f(frame.left)},{_f(frame.bottom)}'
        f' L{_f(frame.right)},{_f(frame.bottom)}" fill="none" stroke="{MUTED}" stroke-width="1"/>'
    )
    for i in _thin(labels, frame.right - frame.left - 28):
        x = frame.x(i)
        parts.append(
            f'<line x1="{_f(x)}" y1="{_f(frame.bottom)}" x2="{_f(x)}" y2="{_f(frame.bottom + 4)}"'
            f' stroke="{MUTED}"/><text class="x-label" x="{_f(x)}" y="{_f(frame.bottom + 16)}"'
            f' text-anchor="middle" font-size="10" fill="{MUTED}">{_e(labels[i])}</text>'
        )
    return "".join(parts)


def _line(
    frame: _Frame,
    name: str,
    xs: Sequence[int],
    points: Sequence[tuple[str, float]],
    style: tuple[str, str, str],
    units: str = "",
) -> str:
    """One series: the line, then a dot per value (with its label and value as a tooltip)."""
    colour, dash, marker = style
    coords = [(frame.x(i), frame.y(v)) for i, (_label, v) in zip(xs, points, strict=True)]
    parts = [f'<g class="series" data-name="{_e(name)}">']
    if len(coords) > 1:
        d = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in coords)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path class="line" d="{d}" fill="none" stroke="{colour}" stroke-width="2.2"'
            f' stroke-linejoin="round"{dashes}/>'
        )
    for (x, y), (label, value) in zip(coords, points, strict=True):
        tip = f"{name}, {label}: {_num(value)}{units}" if name else f"{label}: {_num(value)}{units}"
        if marker == "circle":
            dot = (
                f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3.6" fill="{colour}" stroke="#ffffff"'
                f' stroke-width="1.2"/>'
            )
        else:
            dot = _marker_svg(marker, x, y, colour, 3.8)
        parts.append(f'<g class="dot"><title>{_e(tip)}</title>{dot}</g>')
    parts.append("</g>")
    return "".join(parts)


def _value_label(x: float, y: float, text: str, frame: _Frame, colour: str = INK) -> str:
    below = y - frame.top < 16  # no room above the top of the plot
    ty = y + 16 if below else y - 8
    return (
        f'<text class="value" x="{_f(x)}" y="{_f(ty)}" text-anchor="middle" font-size="10.5"'
        f' font-weight="bold" fill="{colour}" stroke="#ffffff" stroke-width="3"'
        f' paint-order="stroke">{_e(text)}</text>'
    )


def outcome_chart_svg(
    title: str,
    points: Sequence[tuple[str, float]],
    *,
    score_min: float,
    score_max: float,
    higher_is_better: bool,
    mcid: float | None = None,
    units: str = "",
    width: int = 560,
    height: int = 220,
) -> str:
    """One outcome measure over time: scores as a line with labelled dots on the instrument's
    own range, and, with an MCID, the band from the first score to the first score improved by
    the MCID (scores past its dashed edge have changed by an amount patients notice).

    Non-finite scores are left out; scores outside the range are drawn at its edge.
    """
    data = _finite(points)
    if not data:
        return _empty_chart(title, _("No scores yet"), width)
    lo, hi = float(score_min), float(score_max)
    if hi <= lo:
        hi = lo + 1
    direction = _("higher is better") if higher_is_better else _("lower is better")
    unit = f" {units}" if units else ""
    first, latest = data[0], data[-1]
    if len(data) == 1:
        summary = _("{title}: {value}{unit} on {label}; {direction}").format(
            title=title, value=_num(first[1]), unit=unit, label=first[0], direction=direction
        )
    else:
        summary = _(
            "{title}: first {first}{unit} on {first_label}, latest {latest}{unit} on"
            " {latest_label}; {direction}"
        ).format(
            title=title, first=_num(first[1]), first_label=first[0], latest=_num(latest[1]),
            latest_label=latest[0], unit=unit, direction=direction,
        )  # fmt: skip
    frame = _Frame(44, 32, width - 16, height - 28, lo, hi, len(data))
    parts = [
        _svg_open(width, height, summary, "outcome-chart"),
        f'<text x="8" y="18" font-size="13" font-weight="bold" fill="{INK}">{_e(title)}</text>',
        f'<text x="{width - 8}" y="18" text-anchor="end" font-size="10.5" fill="{MUTED}">'
        f"{_e(direction)}{_e(f' · {units}') if units else ''}</text>",
    ]
    parts.append(_axes(frame, [d[0] for d in data], _ticks(lo, hi), ""))
    if mcid is not None and mcid > 0:
        parts.append(_mcid_band(frame, data[0][1], mcid, higher_is_better))
    unit_tip = f" {units}" if units and len(units) > 2 else units
    parts.append(_line(frame, "", range(len(data)), data, _SERIES_STYLE[0], unit_tip))
    values = [v for _label, v in data]
    crowded = len(data) > 1 and (frame.x(1) - frame.x(0)) < 18
    keep = {0, len(data) - 1, values.index(min(values)), values.index(max(values))}
    for i, value in enumerate(values):
        if not crowded or i in keep:  # when crowded, only the ends and the extremes
            parts.append(_value_label(frame.x(i), frame.y(value), _num(value), frame))
    parts.append("</svg>")
    return "".join(parts)


def _mcid_band(frame: _Frame, baseline: float, mcid: float, higher_is_better: bool) -> str:
    target = baseline + mcid if higher_is_better else baseline - mcid
    y0, y1 = frame.y(baseline), frame.y(target)
    top, bottom = min(y0, y1), max(y0, y1)
    label = _("Important change (MCID {mcid})").format(mcid=_num(mcid))
    parts = [
        f'<g class="mcid"><rect x="{_f(frame.left)}" y="{_f(top)}"'
        f' width="{_f(frame.right - frame.left)}" height="{_f(max(bottom - top, 0.5))}"'
        f' fill="#1e7a3c" fill-opacity="0.1"/>'
    ]
    inside = frame.lo <= target <= frame.hi
    if inside:
        parts.append(
            f'<line x1="{_f(frame.left)}" y1="{_f(y1)}" x2="{_f(frame.right)}" y2="{_f(y1)}"'
            f' stroke="#1e7a3c" stroke-width="1.4" stroke-dasharray="6 4"/>'
        )
    # The label sits on the band's side of the dashed line, at the right end.
    room_inside = bottom - top >= 14
    towards_band = 1 if y1 < y0 else -1  # +1: the band lies below the dashed line
    if room_inside:
        ty = y1 + (13 if towards_band > 0 else -4)
    else:
        ty = y1 - 4 if towards_band > 0 else y1 + 11
    ty = min(max(ty, frame.top + 10), frame.bottom - 3)
    parts.append(
        f'<text x="{_f(frame.right - 4)}" y="{_f(ty)}" text-anchor="end" font-size="10"'
        f' fill="#17602f" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
        f"{_e(label)}</text></g>"
    )
    return "".join(parts)


def angles_chart_svg(
    title: str,
    series: Mapping[str, Sequence[tuple[str, float]]],
    units: str = "°",
    *,
    width: int = 560,
    height: int = 240,
) -> str:
    """Several measurements over time (such as straight-leg raise and active knee extension on
    each side): one line each, told apart by colour, dash pattern and marker, with a legend.
    The x axis is the union of the series' labels in first-seen order; each series' latest value
    is printed at its end."""
    clean = {name: _finite(points) for name, points in series.items()}
    clean = {name: points for name, points in clean.items() if points}
    if not clean:
        return _empty_chart(title, _("No measurements yet"), width)
    labels = list(dict.fromkeys(label for points in clean.values() for label, _v in points))
    index = {label: i for i, label in enumerate(labels)}
    ticks = _data_ticks([v for points in clean.values() for _label, v in points])
    lo, hi = ticks[0], ticks[-1]
    summary = "; ".join(
        _("{name} {first}{units} to {latest}{units}").format(
            name=name, first=_num(points[0][1]), latest=_num(points[-1][1]), units=units
        )
        for name, points in clean.items()
    )
    legend_y = 38
    frame = _Frame(44, 52, width - 48, height - 28, lo, hi, len(labels))
    parts = [
        _svg_open(width, height, f"{title}: {summary}", "angles-chart"),
        f'<text x="8" y="18" font-size="13" font-weight="bold" fill="{INK}">{_e(title)}</text>',
        _axes(frame, labels, ticks, units),
    ]
    x = frame.left
    ends: list[tuple[float, str, str]] = []
    for k, (name, points) in enumerate(clean.items()):
        style = _SERIES_STYLE[k % len(_SERIES_STYLE)]
        colour, dash, marker = style
        xs = [index[label] for label, _v in points]
        parts.append(_line(frame, name, xs, points, style, units))
        ends.append((frame.y(points[-1][1]), _num(points[-1][1]) + units, colour))
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{_f(x)}" y1="{legend_y}" x2="{_f(x + 26)}" y2="{legend_y}"'
            f' stroke="{colour}" stroke-width="2.2"{dashes}/>'
            f"{_marker_svg(marker, x + 13, legend_y, colour, 3.8)}"
            f'<text x="{_f(x + 32)}" y="{legend_y + 4}" font-size="11" fill="{INK}">'
            f"{_e(name)}</text>"
        )
        x += 32 + _text_width(name, 11) + 18
    # The latest values, at the right edge, nudged apart so they never overlap.
    ends.sort()
    last_y = -math.inf
    for y, text, colour in ends:
        y = max(y + 3.5, last_y + 12)
        last_y = y
        parts.append(
            f'<text x="{_f(frame.right + 6)}" y="{_f(y)}" font-size="10.5" font-weight="bold"'
            f' fill="{colour}">{_e(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
