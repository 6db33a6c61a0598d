"""A pose placed in its surroundings: on the floor, a seat, a table or a step, with its props
(strap, chair, wall, towel roll, …), layered back to front in body units."""

from __future__ import annotations

import math
from dataclasses import dataclass

from weizhong.figures.pose import TRUNK_MUSCLES, Arrow, Pose, Prop
from weizhong.figures.skeleton import (
    _PROXIMAL,
    FOOT_WIDTH,
    HEAD_RADIUS,
    LENGTH,
    LIMB_WIDTH,
    LYING,
    MAT_THICKNESS,
    NECK_LENGTH,
    ON_THE_FLOOR,
    PALETTE,
    RAISED,
    SEAT_HEIGHT,
    STEP_HEIGHT,
    TABLE_HEIGHT,
    TRUNK_WIDTH,
    Point,
    Shape,
    Skeleton,
    Stroke,
    _add,
    _along,
    _highlight_marks,
    _limb_strokes,
    _unit,
    build_skeleton,
)


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
