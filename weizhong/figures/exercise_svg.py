"""Exercise figures: a :class:`~weizhong.figures.pose.Pose` drawn as a standalone SVG 1.1 image.

One style for every figure, so a patient reads a programme at a glance: a floor line, limbs as
thick round-capped strokes (the near side dark slate, the far side paler and behind), a round
head, a thicker trunk, the stretched muscle as a warm translucent band, movements as blue arcs
with an arrowhead, and simple props.

The body is built in body units (the segment lengths of POSE_FORMAT.md, y pointing up), placed on
the floor (or a seat, a table, a step), then scaled and centred into the 400 × 260 view box.
Only the standard library is used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from xml.sax.saxutils import escape, quoteattr

from weizhong.figures.pose import TRUNK_MUSCLES, Arrow, Highlight, Pose, Prop

__all__ = ["HEIGHT", "PALETTE", "WIDTH", "render_pose_svg"]

WIDTH, HEIGHT = 400, 260
MARGIN_X, MARGIN_Y = 16.0, 14.0
MAX_SCALE = 250.0
"""Pixels per body unit at most: a standing and a lying figure are drawn the same size when
both fit, so a programme's figures look like one person."""

MIN_ARC = 0.14
"""The shortest arrow arc, in body units (about 35 px), so the arrowhead has a shaft."""

FONT = "DejaVu Sans, sans-serif"
LABEL_SIZE = 14.0

PALETTE = {
    "near": "#2f3e4e",  # dark slate, 11:1 on white
    "far": "#7a8794",  # pale grey, 3.6:1 on white (WCAG AA for graphics)
    "highlight": "#e0401f",  # warm orange-red, drawn translucent over the limb
    "nerve": "#ffcf1a",
    "nerve_edge": "#7a5a00",
    "arrow": "#1f5fa8",  # 6.3:1 on white
    "label": "#17467f",  # 9:1 on white
    "floor": "#5e6a75",
    "mat": "#d3e9df",
    "mat_edge": "#5f9483",
    "wood": "#f0e4cf",
    "wood_edge": "#8a6a43",
    "wall": "#e9edf1",
    "wall_edge": "#7f8a95",
    "ball": "#cde0f5",
    "ball_edge": "#4a76a8",
    "towel": "#f4e7c3",
    "towel_edge": "#9c854c",
    "strap": "#1c7a6c",
}

# Body geometry, in body units (POSE_FORMAT.md gives the lengths).
LENGTH = {
    "trunk": 0.30,
    "head": 0.12,
    "upper_arm": 0.17,
    "forearm": 0.15,
    "thigh": 0.24,
    "shank": 0.23,
    "foot": 0.08,
}
LIMB_WIDTH = 0.052
FOOT_WIDTH = 0.042
TRUNK_WIDTH = 0.078
NECK_LENGTH = 0.03
HEAD_RADIUS = 0.06
# A chair seat at knee height: the feet of a seated figure with upright shanks rest on the floor.
SEAT_HEIGHT = LENGTH["shank"] + FOOT_WIDTH / 2 - TRUNK_WIDTH / 2
TABLE_HEIGHT = 0.36
STEP_HEIGHT = 0.09
MAT_THICKNESS = 0.022
RAISED = 0.05
"""A foot whose lowest point is this far above the support counts as raised (on a step…)."""

Point = tuple[float, float]
LYING = frozenset({"supine", "prone", "side_lying"})
ON_THE_FLOOR = LYING | {"quadruped", "kneeling", "half_kneeling", "long_sitting"}


def _unit(degrees: float) -> Point:
    radians = math.radians(degrees)
    return math.cos(radians), math.sin(radians)


def _add(p: Point, q: Point, k: float = 1.0) -> Point:
    return p[0] + k * q[0], p[1] + k * q[1]


def _norm(v: Point) -> Point:
    length = math.hypot(*v)
    return (v[0] / length, v[1] / length) if length > 1e-9 else (0.0, 0.0)


@dataclass(frozen=True)
class Stroke:
    """A round-capped line of the body or a band, in body units."""

    start: Point
    end: Point
    width: float
    colour: str
    css: str
    opacity: float = 1.0
    label: str = ""


@dataclass(frozen=True)
class Skeleton:
    """Joint positions in body units, the pelvis at the origin, y pointing up."""

    joints: dict[str, Point]
    angles: dict[str, float]

    def segment(self, name: str) -> tuple[Point, Point]:
        return self.joints[_PROXIMAL[name]], self.joints[_DISTAL[name]]


_PROXIMAL = {
    "trunk": "pelvis",
    "head": "neck_top",
    "near_upper_arm": "near_shoulder",
    "near_forearm": "near_elbow",
    "far_upper_arm": "far_shoulder",
    "far_forearm": "far_elbow",
    "near_thigh": "pelvis",
    "near_shank": "near_knee",
    "near_foot": "near_ankle",
    "far_thigh": "pelvis",
    "far_shank": "far_knee",
    "far_foot": "far_ankle",
}
_DISTAL = {
    "trunk": "shoulder",
    "head": "crown",
    "near_upper_arm": "near_elbow",
    "near_forearm": "near_hand",
    "far_upper_arm": "far_elbow",
    "far_forearm": "far_hand",
    "near_thigh": "near_knee",
    "near_shank": "near_ankle",
    "near_foot": "near_toe",
    "far_thigh": "far_knee",
    "far_shank": "far_ankle",
    "far_foot": "far_toe",
}


def build_skeleton(pose: Pose) -> Skeleton:
    """Chain the joints from the pelvis (body units, y up)."""
    a = {name: float(pose.angles.of(name)) for name in _PROXIMAL}
    j: dict[str, Point] = {"pelvis": (0.0, 0.0)}
    j["shoulder"] = _add(j["pelvis"], _unit(a["trunk"]), LENGTH["trunk"])
    j["neck_top"] = _add(j["shoulder"], _unit(a["head"]), NECK_LENGTH)
    j["head_centre"] = _add(j["neck_top"], _unit(a["head"]), HEAD_RADIUS)
    j["crown"] = _add(j["neck_top"], _unit(a["head"]), LENGTH["head"])
    for side in ("near", "far"):
        j[f"{side}_shoulder"] = j["shoulder"]
        j[f"{side}_elbow"] = _add(j["shoulder"], _unit(a[f"{side}_upper_arm"]), LENGTH["upper_arm"])
        j[f"{side}_hand"] = _add(j[f"{side}_elbow"], _unit(a[f"{side}_forearm"]), LENGTH["forearm"])
        j[f"{side}_knee"] = _add(j["pelvis"], _unit(a[f"{side}_thigh"]), LENGTH["thigh"])
        j[f"{side}_ankle"] = _add(j[f"{side}_knee"], _unit(a[f"{side}_shank"]), LENGTH["shank"])
        j[f"{side}_toe"] = _add(j[f"{side}_ankle"], _unit(a[f"{side}_foot"]), LENGTH["foot"])
    return Skeleton(j, a)


def _limb_strokes(sk: Skeleton, side: str) -> list[Stroke]:
    colour = PALETTE[side]
    out = []
    for seg, width in (
        ("thigh", LIMB_WIDTH),
        ("shank", LIMB_WIDTH * 0.92),
        ("foot", FOOT_WIDTH),
    ):
        start, end = sk.segment(f"{side}_{seg}")
        out.append(Stroke(start, end, width, colour, f"limb {side} {side}_{seg}"))
    for seg, width in (("upper_arm", LIMB_WIDTH * 0.85), ("forearm", LIMB_WIDTH * 0.75)):
        start, end = sk.segment(f"{side}_{seg}")
        out.append(Stroke(start, end, width, colour, f"limb {side} {side}_{seg}"))
    return out


def _front(sk: Skeleton, segment: str) -> Point:
    """Unit normal on the front of a segment; the body faces right when standing."""
    turn = -90.0 if segment == "trunk" else 90.0
    if segment.endswith(("upper_arm", "forearm")):
        turn = -90.0
    return _unit(sk.angles[segment] + turn)


def _along(sk: Skeleton, segment: str, fraction: float, offset: float) -> Point:
    """A point ``fraction`` of the way along a segment, ``offset`` towards its front."""
    start, end = sk.segment(segment)
    point = (start[0] + (end[0] - start[0]) * fraction, start[1] + (end[1] - start[1]) * fraction)
    return _add(point, _front(sk, segment), offset)


# muscle → (segment without side, from, to, offset towards the front in limb widths, band width)
_BANDS = {
    "hamstrings": ("thigh", 0.12, 0.86, -0.3, 0.6),
    "quadriceps": ("thigh", 0.12, 0.86, 0.3, 0.6),
    "rectus_femoris": ("thigh", 0.02, 0.84, 0.34, 0.42),
    "gastrocnemius": ("shank", 0.08, 0.58, -0.32, 0.62),
    "adductors": ("thigh", 0.08, 0.62, 0.0, 0.62),
    "erector_spinae": ("trunk", 0.08, 0.92, -0.3, 0.55),
    "abdominals": ("trunk", 0.12, 0.78, 0.3, 0.55),
}


@dataclass(frozen=True)
class Shape:
    """A drawn mark that is not a plain stroke: a circle or a polyline, in body units."""

    kind: str  # "circle" | "polyline" | "rect"
    points: tuple[Point, ...]
    size: float  # radius, stroke width, or (for rect) unused
    fill: str
    stroke: str
    css: str
    opacity: float = 1.0
    extra: tuple[float, float] = (0.0, 0.0)  # rect width and height
    rounded: float = 0.0


def _highlight_marks(sk: Skeleton, h: Highlight) -> list[Stroke | Shape]:
    colour, css = PALETTE["highlight"], f"highlight {h.muscle}"
    side = h.limb
    if h.muscle in _BANDS:
        part, a, b, offset, width = _BANDS[h.muscle]
        segment = part if h.muscle in TRUNK_MUSCLES else f"{side}_{part}"
        scale = TRUNK_WIDTH if part == "trunk" else LIMB_WIDTH
        return [
            Stroke(
                _along(sk, segment, a, offset * scale),
                _along(sk, segment, b, offset * scale),
                width * scale,
                colour,
                css,
                opacity=0.72,
                label=h.muscle,
            )
        ]
    thigh = f"{side}_thigh"
    back = _norm(_add((-_front(sk, "trunk")[0], -_front(sk, "trunk")[1]), _front(sk, thigh), -1.0))
    if back == (0.0, 0.0):
        back = (-_front(sk, thigh)[0], -_front(sk, thigh)[1])
    if h.muscle == "iliopsoas":
        hip_front = _add(sk.joints["pelvis"], back, -0.34 * TRUNK_WIDTH)
        points = (
            _along(sk, "trunk", 0.42, 0.3 * TRUNK_WIDTH),
            hip_front,
            _along(sk, thigh, 0.28, 0.3 * LIMB_WIDTH),
        )
        return [Shape("polyline", points, 0.5 * LIMB_WIDTH, "none", colour, css, 0.72)]
    if h.muscle in ("gluteals", "piriformis"):
        big = h.muscle == "gluteals"
        centre = _add(sk.joints["pelvis"], back, (0.42 if big else 0.3) * TRUNK_WIDTH)
        if not big:  # piriformis lies deep and a little higher, across the back of the hip
            centre = _add(centre, _unit(sk.angles["trunk"]), 0.03)
        radius = (0.62 if big else 0.36) * TRUNK_WIDTH
        return [Shape("circle", (centre,), radius, colour, "none", css, 0.72)]
    # sciatic nerve: a thin yellow line, outlined so it shows on white, down the back of the leg
    shank = f"{side}_shank"
    nerve = (
        _add(sk.joints["pelvis"], back, 0.3 * TRUNK_WIDTH),
        _along(sk, thigh, 0.5, -0.32 * LIMB_WIDTH),
        _along(sk, thigh, 1.0, -0.3 * LIMB_WIDTH),
        _along(sk, shank, 0.5, -0.3 * LIMB_WIDTH),
        _along(sk, shank, 0.95, -0.25 * LIMB_WIDTH),
    )
    return [
        Shape("polyline", nerve, 0.017, "none", PALETTE["nerve_edge"], f"{css} nerve-edge"),
        Shape("polyline", nerve, 0.009, "none", PALETTE["nerve"], css),
    ]


@dataclass
class Scene:
    """Everything to draw, in body units with y up, layered back to front."""

    back: list[Stroke | Shape]
    body: list[Stroke | Shape]
    front: list[Stroke | Shape]
    arrows: list[tuple[Arrow, Point, float]]  # arrow, centre, radius
    floor_y: float


def _extent(mark: Stroke | Shape) -> tuple[float, float, float, float]:
    if isinstance(mark, Stroke):
        r = mark.width / 2
        xs, ys = (mark.start[0], mark.end[0]), (mark.start[1], mark.end[1])
        return min(xs) - r, min(ys) - r, max(xs) + r, max(ys) + r
    if mark.kind == "rect":
        (x, y), (w, h) = mark.points[0], mark.extra
        return x, y, x + w, y + h
    r = mark.size if mark.kind == "circle" else mark.size / 2
    px, py = [p[0] for p in mark.points], [p[1] for p in mark.points]
    return min(px) - r, min(py) - r, max(px) + r, max(py) + r


def _bounds(marks: list[Stroke | Shape]) -> tuple[float, float, float, float]:
    boxes = [_extent(m) for m in marks]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _moved(mark: Stroke | Shape, dy: float) -> Stroke | Shape:
    if isinstance(mark, Stroke):
        return Stroke(
            (mark.start[0], mark.start[1] + dy),
            (mark.end[0], mark.end[1] + dy),
            mark.width,
            mark.colour,
            mark.css,
            mark.opacity,
            mark.label,
        )
    return Shape(
        mark.kind,
        tuple((x, y + dy) for x, y in mark.points),
        mark.size,
        mark.fill,
        mark.stroke,
        mark.css,
        mark.opacity,
        mark.extra,
        mark.rounded,
    )


def _rect(
    x0: float, y0: float, x1: float, y1: float, fill: str, edge: str, css: str, rounded: float = 0.0
) -> Shape:
    return Shape(
        "rect",
        ((min(x0, x1), min(y0, y1)),),
        0.006,
        fill,
        edge,
        css,
        extra=(abs(x1 - x0), abs(y1 - y0)),
        rounded=rounded,
    )


def _wood(x0: float, y0: float, x1: float, y1: float, css: str) -> Shape:
    return _rect(x0, y0, x1, y1, PALETTE["wood"], PALETTE["wood_edge"], css, 0.008)


def _chair(seat_x: float, seat_y: float, floor: float, back_x: float | None) -> list[Shape]:
    """A chair whose seat top is at ``seat_y``, centred on ``seat_x``; a backrest at ``back_x``."""
    x0, x1 = seat_x - 0.11, seat_x + 0.11
    marks = [
        _wood(x0 + 0.01, floor, x0 + 0.035, seat_y, "prop chair"),
        _wood(x1 - 0.035, floor, x1 - 0.01, seat_y, "prop chair"),
        _wood(x0, seat_y - 0.035, x1, seat_y, "prop chair"),
    ]
    if back_x is not None:
        marks.append(_wood(back_x - 0.025, seat_y, back_x, seat_y + 0.26, "prop chair"))
    return marks


def _leg_points(sk: Skeleton, side: str) -> list[Point]:
    return [sk.joints[f"{side}_{j}"] for j in ("knee", "ankle", "toe")]


def _lowest(points: list[Point], radius: float) -> float:
    return min(p[1] for p in points) - radius


def _raised_leg(sk: Skeleton, support: float) -> tuple[str, float] | None:
    """The leg whose foot is highest above the support, and the height of that foot's underside."""
    heights = {side: _lowest(_leg_points(sk, side)[1:], FOOT_WIDTH / 2) for side in ("near", "far")}
    side = max(heights, key=lambda s: (heights[s], s == "near"))
    if heights[side] - support < RAISED:
        return None
    return side, heights[side]


def _support_x(sk: Skeleton, side: str, top: float) -> float:
    """The x where a raised leg comes down to ``top``: the mean of its points near that level."""
    points = [p for p in _leg_points(sk, side) if p[1] - top < 0.09] or _leg_points(sk, side)
    return sum(p[0] for p in points) / len(points)


def _compose(pose: Pose) -> Scene:
    sk = build_skeleton(pose)
    body: list[Stroke | Shape] = []
    far_marks: list[Stroke | Shape] = []
    near_marks: list[Stroke | Shape] = []
    for h in pose.highlights:
        marks = _highlight_marks(sk, h)
        (far_marks if h.limb == "far" and h.muscle not in TRUNK_MUSCLES else near_marks).extend(
            marks
        )
    far = _limb_strokes(sk, "far")
    near = _limb_strokes(sk, "near")
    # The far arm, the far leg and their highlights sit behind the body.
    body += far[3:] + far[:3] + far_marks
    body.append(
        Stroke(sk.joints["pelvis"], sk.joints["shoulder"], TRUNK_WIDTH, PALETTE["near"], "trunk")
    )
    body.append(
        Stroke(
            sk.joints["shoulder"], sk.joints["neck_top"], LIMB_WIDTH * 0.8, PALETTE["near"], "neck"
        )
    )
    body.append(
        Shape("circle", (sk.joints["head_centre"],), HEAD_RADIUS, PALETTE["near"], "none", "head")
    )
    # A small nose shows which way the face looks (up when supine, down when prone).
    nose = _add(sk.joints["head_centre"], _unit(sk.angles["head"] - 80.0), HEAD_RADIUS * 0.95)
    body.append(Shape("circle", (nose,), HEAD_RADIUS * 0.3, PALETTE["near"], "none", "nose"))
    body += near[:3] + near[3:] + near_marks

    # Place the body: its lowest point on the floor, or the pelvis on a seat.
    low = _bounds(body)[1]
    position = pose.position
    back: list[Stroke | Shape] = []
    front: list[Stroke | Shape] = []
    pelvis = sk.joints["pelvis"]
    if position == "seated":
        on_table = pose.has_prop("table")
        seat = pelvis[1] - TRUNK_WIDTH / 2
        height = TABLE_HEIGHT if on_table else SEAT_HEIGHT
        floor = min(low, seat - height)
        if on_table:
            back.append(_wood(pelvis[0] - 0.2, seat - 0.04, pelvis[0] + 0.1, seat, "prop table"))
            back.append(_wood(pelvis[0] - 0.18, floor, pelvis[0] - 0.15, seat - 0.04, "prop table"))
        else:
            back_x = pelvis[0] - 0.1 if sk.angles["trunk"] <= 100 else None
            back += _chair(pelvis[0] + 0.02, seat, floor, back_x)
    elif position in LYING and pose.has_prop("table"):
        floor = low - TABLE_HEIGHT
        x0, _, x1, _ = _bounds(body)
        back.append(_wood(x0 - 0.02, low - 0.04, x1 + 0.02, low, "prop table"))
        for x in (x0 + 0.02, x1 - 0.05):
            back.append(_wood(x, floor, x + 0.03, low - 0.04, "prop table"))
    else:
        floor = low
    support = floor  # where the body rests (a mat lifts it a little)

    mat = pose.has_prop("mat") or (position in ON_THE_FLOOR and not pose.has_prop("table"))
    if mat:
        x0, _, x1, _ = _bounds(body)
        back.insert(
            0,
            _rect(
                x0 - 0.03,
                floor,
                x1 + 0.03,
                floor + MAT_THICKNESS,
                PALETTE["mat"],
                PALETTE["mat_edge"],
                "prop mat",
                0.011,
            ),
        )
        if support == low:
            body = [_moved(m, MAT_THICKNESS) for m in body]
            sk = Skeleton({k: (x, y + MAT_THICKNESS) for k, (x, y) in sk.joints.items()}, sk.angles)
            support = floor + MAT_THICKNESS

    raised = _raised_leg(sk, support)
    for prop in pose.props:
        back, front = _place_prop(prop, pose, sk, body, raised, floor, support, back, front)

    arrows = []
    for arrow in pose.arrows:
        centre = sk.joints[_PROXIMAL[arrow.segment]]
        radius = _ARROW_RADIUS.get(arrow.segment, 0.0)
        if not radius:
            start, end = sk.segment(arrow.segment)
            radius = math.dist(start, end) + 0.05
            # An arc that would dip under the floor is drawn across the limb instead.
            if min(p[1] for p in _arc_points(centre, radius, arrow.start, arrow.turn)) < support:
                radius = 0.7 * math.dist(start, end)
        arrows.append((arrow, centre, radius))
    return Scene(back, body, front, arrows, floor)


def _place_prop(
    prop: Prop,
    pose: Pose,
    sk: Skeleton,
    body: list[Stroke | Shape],
    raised: tuple[str, float] | None,
    floor: float,
    support: float,
    back: list[Stroke | Shape],
    front: list[Stroke | Shape],
) -> tuple[list[Stroke | Shape], list[Stroke | Shape]]:
    _, _, x_max, y_top = _bounds(body)
    kind = prop.kind
    if kind == "strap" and prop.start and prop.end:
        ends = []
        for end in (prop.start, prop.end):
            side, part = end.split("_")
            if part == "foot":  # round the ball of the foot
                ends.append(_along(sk, f"{side}_foot", 0.7, 0.0))
            else:
                ends.append(sk.joints[f"{side}_hand"])
        front.append(Stroke(ends[0], ends[1], 0.014, PALETTE["strap"], "prop strap"))
    elif kind in ("wall", "door_frame"):
        # Lying, a raised leg rests against it (legs up the wall, the doorway stretch);
        # otherwise it stands in front, where the hands or the foot reach.
        lying_leg_up = pose.position in LYING and raised and raised[1] - support > 0.15
        points = _leg_points(sk, raised[0]) if raised and lying_leg_up else None
        x = max(p[0] for p in points) + LIMB_WIDTH / 2 if points else x_max
        top = max(y_top + 0.05, floor + 0.6)
        if kind == "wall":
            back.append(
                _rect(x, floor, x + 0.06, top, PALETTE["wall"], PALETTE["wall_edge"], "prop wall")
            )
        else:  # the jamb seen edge on, with the lintel over the opening
            back.append(_wood(x, floor, x + 0.05, top, "prop door_frame"))
            back.append(_wood(x - 0.16, top - 0.04, x + 0.05, top, "prop door_frame"))
    elif kind == "mat":
        pass  # placed with the body, which it lifts
    elif kind == "table" and (pose.position == "seated" or pose.position in LYING):
        pass  # the body rests on it, placed with the body
    elif kind in ("step", "chair", "table", "ball"):
        if raised is not None:
            side, top = raised
            x = _support_x(sk, side, top)
        else:
            side, top = "near", support
            x = sk.joints["near_knee"][0] if kind == "ball" else sk.joints["near_ankle"][0]
        if kind == "step":
            if raised is None:  # nothing raised: a low step in front of the feet
                x, top = x_max + 0.1, floor + STEP_HEIGHT
            back.append(_wood(x - 0.1, floor, x + 0.1, top, "prop step"))
        elif kind == "chair":
            if raised is None:
                x, top = x_max + 0.14, floor + SEAT_HEIGHT
            back += _chair(x, top, floor, x + 0.11)
        elif kind == "table":
            if raised is None:
                x, top = x_max + 0.2, floor + TABLE_HEIGHT
            back.append(_wood(x - 0.16, top - 0.04, x + 0.16, top, "prop table"))
            back.append(_wood(x - 0.13, floor, x - 0.1, top - 0.04, "prop table"))
            back.append(_wood(x + 0.1, floor, x + 0.13, top - 0.04, "prop table"))
        else:
            if raised is not None:  # under the raised leg
                radius = min(max((top - floor) / 2, 0.05), 0.16)
                centre = (x, floor + radius)
            else:  # held between the knees
                radius, centre = 0.05, sk.joints["near_knee"]
            back.append(
                Shape(
                    "circle", (centre,), radius, PALETTE["ball"], PALETTE["ball_edge"], "prop ball"
                )
            )
    elif kind == "towel_roll":
        joint = "near_ankle" if pose.position == "prone" else "near_knee"
        x = sk.joints[joint][0]
        radius = 0.028
        back.append(
            Shape(
                "circle",
                ((x, support + radius),),
                radius,
                PALETTE["towel"],
                PALETTE["towel_edge"],
                "prop towel_roll",
            )
        )
    return back, front


_ARROW_RADIUS = {
    # The trunk turns about the pelvis: its arc clears the head. The head turns about the neck.
    "trunk": LENGTH["trunk"] + NECK_LENGTH + LENGTH["head"] + 0.05,
    "head": LENGTH["head"] + 0.06,
}


def _arc_points(centre: Point, radius: float, start: float, turn: float) -> list[Point]:
    steps = max(4, int(abs(turn) / 4))
    return [_add(centre, _unit(start + turn * i / steps), radius) for i in range(steps + 1)]


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


def render_pose_svg(pose: Pose, title: str, description: str = "", ident: str = "figure") -> str:
    """A complete standalone SVG 1.1 document (400 × 260) of ``pose``.

    ``title`` and ``description`` become the accessible name and description of the image;
    ``ident`` prefixes their element ids, so several figures can share one page.
    """
    layout = figure_layout(pose)
    scene, scale = layout.scene, layout.scale
    marks = scene.back + scene.body + scene.front

    def px(p: Point) -> str:
        x, y = layout.px(p)
        return f"{_fmt(x)} {_fmt(y)}"

    def xy(p: Point, a: str = "x", b: str = "y") -> str:
        x, y = layout.px(p)
        return f'{a}="{_fmt(x)}" {b}="{_fmt(y)}"'

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        f'<rect class="background" x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    floor_px = _fmt(layout.floor_px)
    out.append(
        f'<line class="floor" x1="{_fmt(MARGIN_X / 2)}" y1="{floor_px}" '
        f'x2="{_fmt(WIDTH - MARGIN_X / 2)}" y2="{floor_px}" stroke="{PALETTE["floor"]}" '
        'stroke-width="2.5" stroke-linecap="round"/>'
    )
    for mark in marks:
        if isinstance(mark, Stroke):
            opacity = f' stroke-opacity="{mark.opacity}"' if mark.opacity < 1 else ""
            muscle = f" data-muscle={quoteattr(mark.label)}" if mark.label else ""
            out.append(
                f"<line class={quoteattr(mark.css)}{muscle} {xy(mark.start, 'x1', 'y1')} "
                f'{xy(mark.end, "x2", "y2")} stroke="{mark.colour}" '
                f'stroke-width="{_fmt(mark.width * scale)}" stroke-linecap="round"{opacity}/>'
            )
        elif mark.kind == "circle":
            opacity = f' fill-opacity="{mark.opacity}"' if mark.opacity < 1 else ""
            edge = f' stroke="{mark.stroke}" stroke-width="1.5"' if mark.stroke != "none" else ""
            out.append(
                f"<circle class={quoteattr(mark.css)} {xy(mark.points[0], 'cx', 'cy')} "
                f'r="{_fmt(mark.size * scale)}" fill="{mark.fill}"{opacity}{edge}/>'
            )
        elif mark.kind == "polyline":
            opacity = f' stroke-opacity="{mark.opacity}"' if mark.opacity < 1 else ""
            out.append(
                f"<polyline class={quoteattr(mark.css)} "
                f'points="{" ".join(px(p).replace(" ", ",") for p in mark.points)}" '
                f'fill="none" stroke="{mark.stroke}" stroke-width="{_fmt(mark.size * scale)}" '
                f'stroke-linecap="round" stroke-linejoin="round"{opacity}/>'
            )
        else:
            (x, y), (w, h) = mark.points[0], mark.extra
            out.append(
                f"<rect class={quoteattr(mark.css)} {xy((x, y + h))} "
                f'width="{_fmt(w * scale)}" height="{_fmt(h * scale)}" '
                f'rx="{_fmt(mark.rounded * scale)}" fill="{mark.fill}" stroke="{mark.stroke}" '
                'stroke-width="1.5"/>'
            )
    for arrow in layout.arrows:
        out += _arrow_svg(arrow)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _arrow_svg(layout: ArrowLayout) -> list[str]:
    path = "M " + " L ".join(f"{_fmt(x)} {_fmt(y)}" for x, y in layout.shaft)
    points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in layout.head)
    out = [
        f'<g class="arrow" data-segment="{layout.arrow.segment}">',
        f'<path d="{path}" fill="none" stroke="{PALETTE["arrow"]}" stroke-width="3" '
        'stroke-linecap="round" stroke-linejoin="round"/>',
        f'<polygon points="{points}" fill="{PALETTE["arrow"]}"/>',
    ]
    label = layout.label
    if label is not None:
        text = (
            f'x="{_fmt(label.x)}" y="{_fmt(label.y)}" font-family="{FONT}" '
            f'font-size="{_fmt(LABEL_SIZE)}"'
        )
        # A white halo keeps the words readable wherever they come near a line.
        out.append(
            f'<text class="label-halo" {text} fill="#ffffff" stroke="#ffffff" stroke-width="4" '
            f'stroke-linejoin="round">{escape(label.text)}</text>'
        )
        out.append(
            f'<text class="label" {text} fill="{PALETTE["label"]}">{escape(label.text)}</text>'
        )
    out.append("</g>")
    return out
