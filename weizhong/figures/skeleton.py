"""The body of an exercise figure in body units (y up): proportions, palette, the skeleton built
from a pose, its limbs as strokes and the stretched muscle as a band (POSE_FORMAT.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from weizhong.figures.pose import TRUNK_MUSCLES, Highlight, Pose

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
