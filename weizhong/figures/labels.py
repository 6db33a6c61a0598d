"""Layout in picture pixels: where every mark lands, the movement arcs, and where each arrow's
label goes so that it stays clear of the body, the props, the arrows and the other labels."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from weizhong.figures.pose import Arrow, Pose
from weizhong.figures.scene import Scene, _arc_points, _bounds, _compose
from weizhong.figures.skeleton import (
    HEIGHT,
    LABEL_SIZE,
    MARGIN_X,
    MARGIN_Y,
    MAX_SCALE,
    MIN_ARC,
    WIDTH,
    Point,
    Shape,
    Stroke,
    _add,
    _norm,
)


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


# Layout in picture pixels (y pointing down): where every mark lands, and where each arrow's
# label goes so that it stays clear of the body, the props, the arrows and the other labels.

Box = tuple[float, float, float, float]
"""left, top, right, bottom in picture pixels."""

_CHAR_WIDTHS = {
    **dict.fromkeys("iljI'|", 0.28),
    **dict.fromkeys(" ,.:;!", 0.32),
    **dict.fromkeys("ft()/-", 0.40),
    "r": 0.42,
    **dict.fromkeys("szcJ", 0.56),
    **dict.fromkeys("kvxyL", 0.60),
    **dict.fromkeys("abdeghnopqu0123456789", 0.64),
    "w": 0.82,
    "m": 0.98,
}
"""Advance widths in em of DejaVu Sans (the widest of the usual sans-serif fallbacks), rounded
up; any other character counts as :data:`WIDE_CHAR`."""
WIDE_CHAR = 0.8
LABEL_CLEARANCE = 3.0
"""Pixels kept between a label's text box and the body, a prop or another label."""
ARROW_CLEARANCE = 2.0
"""Pixels kept between a label's text box and an arrow."""
_LABEL_GAPS = (3.0, 6.0, 10.0, 15.0, 21.0, 28.0, 36.0, 46.0, 58.0, 72.0)
_LABEL_DIRECTIONS = 24
_LABEL_ANCHORS = ((0.5, 0.0), (1.0, 4.0), (0.75, 2.0), (0.25, 3.0), (0.0, 8.0))
"""Points along the arc (fraction from its start) a label may sit by, with a small penalty."""


@dataclass(frozen=True)
class Obstacle:
    """A drawn mark seen as a rounded segment (a circle when ``a == b``) or a rectangle, in px."""

    what: str  # the css class of the mark: "limb near near_thigh", "head", "prop wall", "arrow"…
    a: Point
    b: Point
    radius: float = 0.0
    box: Box | None = None  # a rectangle instead of a segment


@dataclass(frozen=True)
class PlacedLabel:
    """An arrow label: its text, the baseline start (x, y), its estimated box and its overlap."""

    text: str
    x: float
    y: float
    box: Box
    overlap: float  # 0 when clear of everything; otherwise how far it intrudes, in px


@dataclass(frozen=True)
class ArrowLayout:
    arrow: Arrow
    shaft: list[Point]  # px, the arc up to the base of the head
    head: tuple[Point, Point, Point]  # tip, left, right
    label: PlacedLabel | None


@dataclass(frozen=True)
class FigureLayout:
    """Every mark of a figure in picture pixels: what :func:`render_pose_svg` draws."""

    scene: Scene
    scale: float
    ox: float
    oy: float
    floor_px: float
    obstacles: list[Obstacle]  # body, props and floor marks (not the arrows)
    arrows: list[ArrowLayout]

    @property
    def labels(self) -> list[PlacedLabel]:
        return [a.label for a in self.arrows if a.label is not None]

    @property
    def head(self) -> tuple[float, float, float]:
        """Centre x, centre y and radius of the head circle."""
        (cx, cy), r = self.px(self.scene_head[0]), self.scene_head[1] * self.scale
        return cx, cy, r

    @property
    def scene_head(self) -> tuple[Point, float]:
        for mark in self.scene.body:
            if isinstance(mark, Shape) and mark.css == "head":
                return mark.points[0], mark.size
        raise LookupError("a figure always has a head")

    def px(self, p: Point) -> Point:
        return self.ox + self.scale * p[0], self.oy - self.scale * p[1]


def text_width(text: str, size: float = LABEL_SIZE) -> float:
    """The estimated width of ``text`` at ``size`` px, from its characters' widths."""
    return size * sum(_CHAR_WIDTHS.get(c, WIDE_CHAR) for c in text)


def label_box(x: float, baseline: float, text: str, size: float = LABEL_SIZE) -> Box:
    """The estimated box of ``text`` set from ``x`` on ``baseline`` (descenders included)."""
    return x, baseline - size, x + text_width(text, size), baseline + 0.25 * size


def _point_box_distance(p: Point, box: Box) -> float:
    dx = max(box[0] - p[0], 0.0, p[0] - box[2])
    dy = max(box[1] - p[1], 0.0, p[1] - box[3])
    return math.hypot(dx, dy)


def _point_segment_distance(p: Point, a: Point, b: Point) -> float:
    ab = (b[0] - a[0], b[1] - a[1])
    length2 = ab[0] ** 2 + ab[1] ** 2
    t = 0.0 if length2 < 1e-12 else ((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1]) / length2
    t = min(max(t, 0.0), 1.0)
    return math.dist(p, (a[0] + t * ab[0], a[1] + t * ab[1]))


def _segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    def side(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = side(q1, q2, p1), side(q1, q2, p2)
    d3, d4 = side(p1, p2, q1), side(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def _segment_box_distance(a: Point, b: Point, box: Box) -> float:
    corners = ((box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3]))
    edges = zip(corners, corners[1:] + corners[:1], strict=True)
    if any(_segments_cross(a, b, c, d) for c, d in edges):
        return 0.0
    return min(
        _point_box_distance(a, box),
        _point_box_distance(b, box),
        *(_point_segment_distance(c, a, b) for c in corners),
    )


def _box_box_distance(p: Box, q: Box) -> float:
    dx = max(q[0] - p[2], 0.0, p[0] - q[2])
    dy = max(q[1] - p[3], 0.0, p[1] - q[3])
    return math.hypot(dx, dy)


def clearance(box: Box, obstacle: Obstacle) -> float:
    """Pixels between ``box`` and ``obstacle``; 0 or less when they touch or overlap."""
    if obstacle.box is not None:
        return _box_box_distance(box, obstacle.box) - obstacle.radius
    return _segment_box_distance(obstacle.a, obstacle.b, box) - obstacle.radius


def _mark_obstacles(
    mark: Stroke | Shape, px: Callable[[Point], Point], scale: float
) -> list[Obstacle]:
    if isinstance(mark, Stroke):
        return [Obstacle(mark.css, px(mark.start), px(mark.end), mark.width * scale / 2)]
    if mark.kind == "circle":
        centre = px(mark.points[0])
        edge = 0.75 if mark.stroke != "none" else 0.0
        return [Obstacle(mark.css, centre, centre, mark.size * scale + edge)]
    if mark.kind == "polyline":
        points = [px(p) for p in mark.points]
        return [Obstacle(mark.css, p, q, mark.size * scale / 2) for p, q in pairwise(points)]
    (x, y), (w, h) = mark.points[0], mark.extra
    left, top = px((x, y + h))
    box = (left, top, left + w * scale, top + h * scale)
    return [Obstacle(mark.css, (left, top), (left, top), 0.75, box)]


def _arrow_geometry(points: list[Point]) -> tuple[list[Point], tuple[Point, Point, Point]]:
    tip, before = points[-1], points[-2]
    direction = _norm((tip[0] - before[0], tip[1] - before[1]))
    normal = (-direction[1], direction[0])
    head = 11.0
    base = _add(tip, direction, -head)
    left, right = _add(base, normal, head * 0.55), _add(base, normal, -head * 0.55)
    shaft = [*points[:-1], _add(tip, direction, -head * 0.6)]
    return shaft, (tip, left, right)


def _arrow_obstacles(shaft: list[Point], head: tuple[Point, Point, Point]) -> list[Obstacle]:
    out = [Obstacle("arrow", p, q, 1.5) for p, q in pairwise(shaft)]
    tip, left, right = head
    out += [Obstacle("arrow", p, q, 1.0) for p, q in ((tip, left), (left, right), (right, tip))]
    return out


def _place_label(
    text: str,
    arc: list[Point],
    centre: Point,
    hard: list[Obstacle],
    soft: list[Obstacle],
    floor_px: float,
) -> PlacedLabel:
    """The first clear spot next to the arc, nearest first and outward from the turn preferred.

    A spot is clear when the text box keeps :data:`LABEL_CLEARANCE` from the body, the props and
    the labels already placed (``hard``), :data:`ARROW_CLEARANCE` from the arrows (``soft``),
    stays inside the picture and above the floor line. With no clear spot, the least intrusive.
    """
    width = text_width(text)
    height = 1.25 * LABEL_SIZE
    left_limit, right_limit = 3.0, WIDTH - 3.0
    top_limit, bottom_limit = 3.0, min(HEIGHT - 3.0, floor_px - 3.0)
    candidates: list[tuple[float, Box]] = []  # score, box
    for gap in _LABEL_GAPS:
        for fraction, penalty in _LABEL_ANCHORS:
            anchor = arc[round(fraction * (len(arc) - 1))]
            outward = _norm((anchor[0] - centre[0], anchor[1] - centre[1]))
            out_angle = math.atan2(outward[1], outward[0])
            for k in range(_LABEL_DIRECTIONS):
                angle = out_angle + 2 * math.pi * k / _LABEL_DIRECTIONS
                u = (math.cos(angle), math.sin(angle))
                reach = gap + abs(u[0]) * width / 2 + abs(u[1]) * height / 2
                cx, cy = anchor[0] + u[0] * reach, anchor[1] + u[1] * reach
                box = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
                # Near the arc first; of two spots as near, the one outward from the turn.
                score = gap + penalty + 8.0 * abs(math.remainder(angle - out_angle, 2 * math.pi))
                candidates.append((score, box))
    candidates.sort(key=lambda c: c[0])
    best: tuple[float, float, Box] | None = None  # intrusion, score, box
    for score, box in candidates:  # best first: the first clear spot ends the search
        intrusion = 4.0 * (
            max(0.0, left_limit - box[0])
            + max(0.0, box[2] - right_limit)
            + max(0.0, top_limit - box[1])
            + max(0.0, box[3] - bottom_limit)
        )
        if best is not None and intrusion >= best[0]:
            continue
        intrusion += sum(max(0.0, LABEL_CLEARANCE - clearance(box, o)) for o in hard)
        if best is not None and intrusion >= best[0]:
            continue
        intrusion += sum(max(0.0, ARROW_CLEARANCE - clearance(box, o)) for o in soft)
        if best is None or intrusion < best[0]:
            best = (intrusion, score, box)
            if intrusion == 0.0:
                break
    assert best is not None
    intrusion, _, box = best
    return PlacedLabel(text, box[0], box[3] - 0.25 * LABEL_SIZE, box, intrusion)


def figure_layout(pose: Pose) -> FigureLayout:
    """Place ``pose`` in the picture: its marks, its arrows and their labels, in pixels."""
    scene = _compose(pose)
    marks = scene.back + scene.body + scene.front
    x0, y0, x1, y1 = _bounds(marks)
    arcs: list[tuple[Arrow, list[Point], Point]] = []
    for arrow, centre, radius in scene.arrows:
        # A small movement still gets an arc long enough to read: it starts a little earlier.
        turn = math.copysign(max(abs(arrow.turn), math.degrees(MIN_ARC / radius)), arrow.turn)
        points = _arc_points(centre, radius, arrow.end - turn, turn)
        arcs.append((arrow, points, centre))
        x0, x1 = min([x0] + [p[0] for p in points]), max([x1] + [p[0] for p in points])
        y0, y1 = min([y0] + [p[1] for p in points]), max([y1] + [p[1] for p in points])
    label_room = 0.0
    if any(a.label for a in pose.arrows):
        label_room = 0.07  # room for a label above the highest arc inside the picture
    y0 = min(y0, scene.floor_y) - 0.012  # the floor line's own thickness
    y1 += label_room
    # The floor runs across the picture: the scene is centred between it and the top.
    scale = min(MAX_SCALE, (WIDTH - 2 * MARGIN_X) / (x1 - x0), (HEIGHT - 2 * MARGIN_Y) / (y1 - y0))
    ox = WIDTH / 2 - scale * (x0 + x1) / 2
    oy = HEIGHT / 2 + scale * (y0 + y1) / 2

    def px(p: Point) -> Point:
        return ox + scale * p[0], oy - scale * p[1]

    floor_px = oy - scale * scene.floor_y
    obstacles = [o for mark in marks for o in _mark_obstacles(mark, px, scale)]
    obstacles.append(
        Obstacle("floor", (MARGIN_X / 2, floor_px), (WIDTH - MARGIN_X / 2, floor_px), 1.25)
    )
    drawn = []
    for arrow, points, centre in arcs:
        shaft, head = _arrow_geometry([px(p) for p in points])
        drawn.append((arrow, [px(p) for p in points], px(centre), shaft, head))
    arrow_marks = [o for *_, shaft, head in drawn for o in _arrow_obstacles(shaft, head)]
    placed: list[Obstacle] = []
    layouts = []
    for arrow, arc, centre, shaft, head in drawn:
        label = None
        if arrow.label:
            label = _place_label(
                arrow.label, arc, centre, obstacles + placed, arrow_marks, floor_px
            )
            placed.append(Obstacle("label", (0.0, 0.0), (0.0, 0.0), 0.0, label.box))
        layouts.append(ArrowLayout(arrow, shaft, head, label))
    return FigureLayout(scene, scale, ox, oy, floor_px, obstacles, layouts)
