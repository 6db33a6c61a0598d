"""Exercise poses: the `pose` table of an exercise, read into checked, immutable values.

The format is described in ``POSE_FORMAT.md`` beside this file. A pose states only what differs
from its position's defaults; :func:`pose_from_table` fills in the rest and checks every field,
so a typo in a data file stops with the entry, the field and what is allowed.

"Facing right" holds for every position: a person standing and facing right who lies down on
their back has the head on the left (supine, trunk 180); one who lies face down has the head on
the right (prone, trunk 0). The renderer puts the front of the body on that side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Literal, get_args

from weizhong.errors import KnowledgeError

__all__ = [
    "LIMBS",
    "MUSCLES",
    "POSITIONS",
    "PROP_KINDS",
    "SEGMENTS",
    "STRAP_ENDS",
    "TRUNK_MUSCLES",
    "Arrow",
    "Highlight",
    "Pose",
    "PoseError",
    "Prop",
    "SegmentAngles",
    "default_angles",
    "exercise_pose",
    "load_exercise_library",
    "pose_from_table",
]

Position = Literal[
    "supine",
    "prone",
    "standing",
    "seated",
    "quadruped",
    "side_lying",
    "kneeling",
    "half_kneeling",
    "long_sitting",
]
Segment = Literal[
    "trunk",
    "head",
    "near_upper_arm",
    "near_forearm",
    "far_upper_arm",
    "far_forearm",
    "near_thigh",
    "near_shank",
    "near_foot",
    "far_thigh",
    "far_shank",
    "far_foot",
]
Muscle = Literal[
    "hamstrings",
    "quadriceps",
    "rectus_femoris",
    "iliopsoas",
    "gluteals",
    "piriformis",
    "gastrocnemius",
    "erector_spinae",
    "abdominals",
    "adductors",
    "sciatic_nerve",
]
Limb = Literal["near", "far"]
PropKind = Literal[
    "strap", "chair", "wall", "step", "table", "mat", "ball", "towel_roll", "door_frame"
]
StrapEnd = Literal["near_foot", "far_foot", "near_hand", "far_hand"]

POSITIONS: tuple[Position, ...] = get_args(Position)
SEGMENTS: tuple[Segment, ...] = get_args(Segment)
MUSCLES: tuple[Muscle, ...] = get_args(Muscle)
LIMBS: tuple[Limb, ...] = get_args(Limb)
PROP_KINDS: tuple[PropKind, ...] = get_args(PropKind)
STRAP_ENDS: tuple[StrapEnd, ...] = get_args(StrapEnd)
TRUNK_MUSCLES: frozenset[Muscle] = frozenset({"iliopsoas", "erector_spinae", "abdominals"})
"""Muscles of the trunk: their `limb` is ignored."""

MAX_LABEL_LENGTH = 32
"""An arrow label is a short cue ("raise slowly"); longer text belongs in the instructions."""


class PoseError(ValueError):
    """A pose is invalid: ``where`` (the entry), the ``field``, and the ``problem`` with the fix."""

    def __init__(self, where: str, field: str, problem: str) -> None:
        self.where, self.field, self.problem = where, field, problem
        super().__init__(f"{where}: {field}: {problem}")


def _one_of(allowed: tuple[str, ...]) -> str:
    return "use one of " + ", ".join(allowed)


def _check_choice(value: object, allowed: tuple[str, ...], field_name: str, what: str) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise PoseError("pose", field_name, f"{value!r} is not {what}; {_one_of(allowed)}")


def _check_angle(value: object, field_name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PoseError(
            "pose",
            field_name,
            f"{value!r} is not an angle; give degrees as a number (0 = right, "
            "90 = up, 180 = left, 270 = down)",
        )


@dataclass(frozen=True)
class SegmentAngles:
    """Absolute direction of each segment, in degrees counter-clockwise from pointing right."""

    trunk: float
    head: float
    near_upper_arm: float
    near_forearm: float
    far_upper_arm: float
    far_forearm: float
    near_thigh: float
    near_shank: float
    near_foot: float
    far_thigh: float
    far_shank: float
    far_foot: float

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_angle(getattr(self, f.name), f.name)

    def of(self, segment: str) -> float:
        """The angle of ``segment`` (one of :data:`SEGMENTS`)."""
        _check_choice(segment, SEGMENTS, "segment", "a segment")
        value: float = getattr(self, segment)
        return value


@dataclass(frozen=True)
class Highlight:
    """A muscle (or the sciatic nerve) shown in the warm colour on the ``limb`` side."""

    muscle: Muscle
    limb: Limb = "near"

    def __post_init__(self) -> None:
        _check_choice(self.muscle, MUSCLES, "muscle", "a muscle that can be highlighted")
        _check_choice(self.limb, LIMBS, "limb", "a limb")


@dataclass(frozen=True)
class Arrow:
    """A movement of ``segment`` from angle ``start`` to angle ``end`` (the TOML `from`/`to`)."""

    segment: Segment
    start: float
    end: float
    label: str = ""

    def __post_init__(self) -> None:
        _check_choice(self.segment, SEGMENTS, "segment", "a segment")
        _check_angle(self.start, "from")
        _check_angle(self.end, "to")
        if _turn(self.start, self.end) == 0:
            raise PoseError(
                "pose",
                "to",
                f"{self.end!r} is the same direction as from; an arrow needs a movement",
            )
        if not isinstance(self.label, str) or len(self.label) > MAX_LABEL_LENGTH:
            raise PoseError(
                "pose",
                "label",
                f"{self.label!r} is not a short label; give text of "
                f"at most {MAX_LABEL_LENGTH} characters",
            )

    @property
    def turn(self) -> float:
        """Signed turn in degrees, the short way round (positive = counter-clockwise)."""
        return _turn(self.start, self.end)


def _turn(start: float, end: float) -> float:
    turn = (end - start) % 360.0
    return turn - 360.0 if turn > 180.0 else turn


@dataclass(frozen=True)
class Prop:
    """Equipment drawn with the figure; a strap also runs ``start`` → ``end`` (TOML `from`/`to`)."""

    kind: PropKind
    start: StrapEnd | None = None
    end: StrapEnd | None = None

    def __post_init__(self) -> None:
        _check_choice(self.kind, PROP_KINDS, "kind", "a prop")
        if self.kind == "strap":
            _check_choice(self.start, STRAP_ENDS, "from", "a strap end")
            _check_choice(self.end, STRAP_ENDS, "to", "a strap end")
            if self.start == self.end:
                raise PoseError("pose", "to", "a strap needs two different ends")
        elif self.start is not None or self.end is not None:
            raise PoseError("pose", "from", f"only a strap takes from/to, not a {self.kind}")


@dataclass(frozen=True)
class Pose:
    """A side view of one person facing right, with what to highlight, arrows and props."""

    position: Position
    angles: SegmentAngles
    highlights: tuple[Highlight, ...] = field(default=())
    arrows: tuple[Arrow, ...] = field(default=())
    props: tuple[Prop, ...] = field(default=())

    def __post_init__(self) -> None:
        _check_choice(self.position, POSITIONS, "position", "a position")

    def has_prop(self, kind: PropKind) -> bool:
        return any(p.kind == kind for p in self.props)


_ARMS_HANGING = {
    "near_upper_arm": 270.0,
    "near_forearm": 270.0,
    "far_upper_arm": 270.0,
    "far_forearm": 270.0,
}
_DEFAULTS: dict[Position, dict[str, float]] = {
    "standing": {
        "trunk": 90,
        "head": 90,
        **_ARMS_HANGING,
        "near_thigh": 270,
        "near_shank": 270,
        "near_foot": 0,
        "far_thigh": 270,
        "far_shank": 270,
        "far_foot": 0,
    },
    "supine": {  # head on the left, arms along the sides, feet pointing up
        "trunk": 180,
        "head": 180,
        "near_upper_arm": 0,
        "near_forearm": 0,
        "far_upper_arm": 0,
        "far_forearm": 0,
        "near_thigh": 0,
        "near_shank": 0,
        "near_foot": 90,
        "far_thigh": 0,
        "far_shank": 0,
        "far_foot": 90,
    },
    "prone": {  # face down, head on the right, arms along the sides, insteps on the floor
        "trunk": 0,
        "head": 0,
        "near_upper_arm": 180,
        "near_forearm": 180,
        "far_upper_arm": 180,
        "far_forearm": 180,
        "near_thigh": 180,
        "near_shank": 180,
        "near_foot": 180,
        "far_thigh": 180,
        "far_shank": 180,
        "far_foot": 180,
    },
    "seated": {  # on a chair, hands resting on the thighs
        "trunk": 90,
        "head": 90,
        "near_upper_arm": 285,
        "near_forearm": 320,
        "far_upper_arm": 285,
        "far_forearm": 320,
        "near_thigh": 0,
        "near_shank": 270,
        "near_foot": 0,
        "far_thigh": 0,
        "far_shank": 270,
        "far_foot": 0,
    },
    "long_sitting": {  # on the floor, legs straight out in front, hands beside the hips
        "trunk": 95,
        "head": 90,
        "near_upper_arm": 280,
        "near_forearm": 300,
        "far_upper_arm": 280,
        "far_forearm": 300,
        "near_thigh": 0,
        "near_shank": 0,
        "near_foot": 90,
        "far_thigh": 0,
        "far_shank": 0,
        "far_foot": 90,
    },
    "quadruped": {  # hands under shoulders, knees under hips; the arms are longer than the thighs
        "trunk": 15,
        "head": 10,
        **_ARMS_HANGING,
        "near_thigh": 270,
        "near_shank": 180,
        "near_foot": 180,
        "far_thigh": 270,
        "far_shank": 180,
        "far_foot": 180,
    },
    "side_lying": {  # head on the lower arm, hips and knees a little bent, top arm along the side
        "trunk": 180,
        "head": 180,
        "near_upper_arm": 0,
        "near_forearm": 0,
        "far_upper_arm": 180,
        "far_forearm": 180,
        "near_thigh": 15,
        "near_shank": 345,
        "near_foot": 80,
        "far_thigh": 15,
        "far_shank": 345,
        "far_foot": 80,
    },
    "kneeling": {  # tall kneeling
        "trunk": 90,
        "head": 90,
        **_ARMS_HANGING,
        "near_thigh": 270,
        "near_shank": 180,
        "near_foot": 180,
        "far_thigh": 270,
        "far_shank": 180,
        "far_foot": 180,
    },
    "half_kneeling": {  # near foot forward, far knee down
        "trunk": 90,
        "head": 90,
        **_ARMS_HANGING,
        "near_thigh": 0,
        "near_shank": 270,
        "near_foot": 0,
        "far_thigh": 270,
        "far_shank": 180,
        "far_foot": 180,
    },
}


def default_angles(position: Position) -> SegmentAngles:
    """The angles of ``position`` when the pose states none."""
    _check_choice(position, POSITIONS, "position", "a position")
    return SegmentAngles(**_DEFAULTS[position])


def _reword(error: PoseError, where: str, prefix: str) -> PoseError:
    return PoseError(where, prefix + error.field, error.problem)


def _list_of_tables(table: dict[str, object], key: str, where: str) -> list[dict[str, object]]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise PoseError(where, key, f"expected a list of tables, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise PoseError(where, f"{key}[{i}]", f"expected a table, got {type(item).__name__}")
    return value


def _only(item: dict[str, object], allowed: tuple[str, ...], where: str, prefix: str) -> None:
    for key in item:
        if key not in allowed:
            raise PoseError(where, prefix + str(key), f"unknown key; {_one_of(allowed)}")


def pose_from_table(table: dict[str, object], where: str) -> Pose:
    """Read and check a `pose` table; ``where`` names the entry in errors (e.g. the exercise id).

    Raises :class:`PoseError` naming ``where``, the field and what is allowed.
    """
    if not isinstance(table, dict):
        raise PoseError(where, "pose", f"expected a table, got {type(table).__name__}")
    allowed = ("position", *SEGMENTS, "highlight", "arrows", "props")
    _only(table, allowed, where, "")
    if "position" not in table:
        raise PoseError(where, "position", f"missing; {_one_of(POSITIONS)}")
    position = table["position"]
    if not isinstance(position, str) or position not in POSITIONS:
        raise PoseError(where, "position", f"{position!r} is not a position; {_one_of(POSITIONS)}")

    angles = dict(_DEFAULTS[position])
    for segment in SEGMENTS:
        if segment in table:
            value = table[segment]
            try:
                _check_angle(value, segment)
            except PoseError as error:
                raise _reword(error, where, "") from None
            angles[segment] = float(value)  # type: ignore[arg-type]  # checked just above

    highlights: list[Highlight] = []
    for i, item in enumerate(_list_of_tables(table, "highlight", where)):
        prefix = f"highlight[{i}]."
        _only(item, ("muscle", "limb"), where, prefix)
        if "muscle" not in item:
            raise PoseError(where, prefix + "muscle", f"missing; {_one_of(MUSCLES)}")
        try:
            highlights.append(Highlight(item["muscle"], item.get("limb", "near")))  # type: ignore[arg-type]
        except PoseError as error:
            raise _reword(error, where, prefix) from None

    arrows: list[Arrow] = []
    for i, item in enumerate(_list_of_tables(table, "arrows", where)):
        prefix = f"arrows[{i}]."
        _only(item, ("segment", "from", "to", "label"), where, prefix)
        for key in ("segment", "from", "to"):
            if key not in item:
                raise PoseError(where, prefix + key, "missing; an arrow needs segment, from and to")
        try:
            arrows.append(
                Arrow(
                    item["segment"],  # type: ignore[arg-type]  # checked in Arrow
                    item["from"],  # type: ignore[arg-type]
                    item["to"],  # type: ignore[arg-type]
                    item.get("label", ""),  # type: ignore[arg-type]
                )
            )
        except PoseError as error:
            raise _reword(error, where, prefix) from None

    props: list[Prop] = []
    for i, item in enumerate(_list_of_tables(table, "props", where)):
        prefix = f"props[{i}]."
        _only(item, ("kind", "from", "to"), where, prefix)
        if "kind" not in item:
            raise PoseError(where, prefix + "kind", f"missing; {_one_of(PROP_KINDS)}")
        try:
            props.append(Prop(item["kind"], item.get("from"), item.get("to")))  # type: ignore[arg-type]
        except PoseError as error:
            raise _reword(error, where, prefix) from None

    return Pose(
        position=position,
        angles=SegmentAngles(**angles),
        highlights=tuple(highlights),
        arrows=tuple(arrows),
        props=tuple(props),
    )


def exercise_pose(table: dict[str, object], exercise_id: str) -> Pose:
    """The pose of an exercise in exercises.toml; a malformed one is a :class:`KnowledgeError`
    naming the file, the exercise, the field and what is allowed (exit 78, not a crash)."""
    where = f"exercise '{exercise_id}'"
    try:
        return pose_from_table(table, where)
    except PoseError as error:
        raise KnowledgeError(
            "exercises.toml", where, f"pose: {error.field}: {error.problem}"
        ) from None


def load_exercise_library() -> object:
    """The exercise library with every figure's pose checked: the loader the knowledge
    registry names for exercises.toml, so ``knowledge check`` finds a pose that cannot be drawn."""
    from weizhong.planning.home_programme import load_library

    library = load_library()
    for exercise in library.exercises.values():
        exercise_pose(exercise.pose, exercise.id)
    return library
