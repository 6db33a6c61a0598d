"""Exercise figures: pose checking and the SVG drawn from a pose."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from weizhong.figures import Pose, PoseError, default_angles, pose_from_table, render_pose_svg
from weizhong.figures.exercise_svg import (
    HEIGHT,
    LABEL_CLEARANCE,
    PALETTE,
    WIDTH,
    clearance,
    figure_layout,
    label_box,
    text_width,
)
from weizhong.figures.gallery import gallery_html
from weizhong.figures.pose import MUSCLES, POSITIONS, PROP_KINDS
from weizhong.planning.home_programme import load_exercises

SVG = "{http://www.w3.org/2000/svg}"

# A few real exercises, with props and arrows, to check placement beyond the defaults.
EXERCISES: dict[str, dict[str, Any]] = {
    "supine_hamstring_strap": {
        "position": "supine",
        "near_thigh": 75,
        "near_shank": 75,
        "near_foot": 165,
        "near_upper_arm": 40,
        "near_forearm": 60,
        "highlight": [{"muscle": "hamstrings", "limb": "near"}],
        "arrows": [{"segment": "near_thigh", "from": 55, "to": 75, "label": "pull gently"}],
        "props": [{"kind": "strap", "from": "near_foot", "to": "near_hand"}],
    },
    "standing_hamstring_step": {
        "position": "standing",
        "trunk": 65,
        "head": 55,
        "near_thigh": 305,
        "near_shank": 305,
        "near_foot": 50,
        "highlight": [{"muscle": "hamstrings"}],
        "arrows": [{"segment": "trunk", "from": 90, "to": 65, "label": "lean from the hips"}],
        "props": [{"kind": "step"}],
    },
    "doorway_hamstring": {
        "position": "supine",
        "near_thigh": 82,
        "near_shank": 82,
        "near_foot": 172,
        "props": [{"kind": "door_frame"}],
    },
    "seated_nerve_slider": {
        "position": "seated",
        "trunk": 80,
        "head": 100,
        "near_shank": 335,
        "highlight": [{"muscle": "sciatic_nerve"}],
        "arrows": [
            {"segment": "near_shank", "from": 280, "to": 335, "label": "straighten knee"},
            {"segment": "head", "from": 40, "to": 100, "label": "look up"},
        ],
    },
    "prone_press_up": {
        "position": "prone",
        "trunk": 40,
        "head": 60,
        "near_upper_arm": 265,
        "near_forearm": 350,
        "arrows": [{"segment": "trunk", "from": 5, "to": 40, "label": "press up"}],
    },
    "legs_up_the_wall": {
        "position": "supine",
        "near_thigh": 90,
        "near_shank": 90,
        "far_thigh": 90,
        "far_shank": 90,
        "props": [{"kind": "wall"}],
    },
    "half_kneeling_hip_flexor": {
        "position": "half_kneeling",
        "near_thigh": 0,
        "far_thigh": 250,
        "highlight": [{"muscle": "iliopsoas", "limb": "far"}],
        "arrows": [{"segment": "far_thigh", "from": 265, "to": 245, "label": "hips forward"}],
    },
    "seated_on_table": {"position": "seated", "props": [{"kind": "table"}]},
    "supine_on_table": {"position": "supine", "props": [{"kind": "table"}]},
}


def render(table: dict[str, Any], title: str = "Exercise") -> ET.Element:
    return ET.fromstring(render_pose_svg(pose_from_table(table, "test"), title))


def by_class(root: ET.Element, word: str) -> list[ET.Element]:
    return [e for e in root.iter() if word in e.get("class", "").split()]


def number(element: ET.Element, name: str) -> float:
    return float(element.get(name, "nan"))


def drawn_boxes(root: ET.Element) -> list[tuple[str, float, float, float, float]]:
    """(what, left, top, right, bottom) of every drawn line, circle, polyline, rect and text."""
    boxes = []
    for e in root.iter():
        tag = e.tag.removeprefix(SVG)
        what = e.get("class", tag)
        half = float(e.get("stroke-width", "0")) / 2
        if tag == "line":
            xs, ys = [number(e, "x1"), number(e, "x2")], [number(e, "y1"), number(e, "y2")]
            boxes.append((what, min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half))
        elif tag == "circle":
            x, y, r = number(e, "cx"), number(e, "cy"), number(e, "r") + half
            boxes.append((what, x - r, y - r, x + r, y + r))
        elif tag in ("polyline", "polygon"):
            pts = [tuple(map(float, p.split(","))) for p in e.get("points", "").split()]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            boxes.append((what, min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half))
        elif tag == "rect" and what != "background":
            x, y = number(e, "x"), number(e, "y")
            boxes.append((what, x, y, x + number(e, "width"), y + number(e, "height")))
        elif tag == "path":
            values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", e.get("d", ""))]
            xs, ys = values[0::2], values[1::2]
            boxes.append((what, min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half))
        elif tag == "text" and e.text:
            x, y, size = number(e, "x"), number(e, "y"), number(e, "font-size")
            width = text_width(e.text, size)  # DejaVu Sans advance widths, rounded up
            boxes.append((what, x, y - size, x + width, y + 0.25 * size))
    return boxes


# Rendering


@pytest.mark.parametrize("position", POSITIONS)
def test_every_position_renders_a_titled_standalone_svg_from_its_defaults(position: str) -> None:
    root = render({"position": position}, title=f"{position} & rest")
    assert root.tag == f"{SVG}svg"
    assert (root.get("viewBox"), root.get("width"), root.get("height")) == (
        "0 0 400 260",
        "400",
        "260",
    )
    assert root.get("version") == "1.1" and root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == f"{position} & rest"
    assert root.get("aria-labelledby") == f"{title.get('id')} {root.find(f'{SVG}desc').get('id')}"  # type: ignore[union-attr]
    assert len(by_class(root, "limb")) == 10 and by_class(root, "trunk") and by_class(root, "head")


@pytest.mark.parametrize(
    "table",
    [{"position": p} for p in POSITIONS] + list(EXERCISES.values()),
    ids=list(POSITIONS) + list(EXERCISES),
)
def test_the_whole_figure_stays_inside_the_view_box(table: dict[str, Any]) -> None:
    boxes = drawn_boxes(render(table))
    assert len(boxes) > 12
    outside = [b for b in boxes if b[1] < 0 or b[2] < 0 or b[3] > WIDTH or b[4] > HEIGHT]
    assert outside == []


@pytest.mark.parametrize("table", list(EXERCISES.values()), ids=list(EXERCISES))
def test_the_figure_is_scaled_up_to_use_the_picture(table: dict[str, Any]) -> None:
    boxes = drawn_boxes(render(table))
    width = max(b[3] for b in boxes) - min(b[1] for b in boxes)
    height = max(b[4] for b in boxes) - min(b[2] for b in boxes)
    assert width > 0.6 * WIDTH or height > 0.7 * HEIGHT


@pytest.mark.parametrize("position", ["standing", "supine", "prone", "quadruped", "kneeling"])
def test_the_body_rests_on_the_floor_or_its_mat(position: str) -> None:
    root = render({"position": position})
    floor = number(by_class(root, "floor")[0], "y1")
    mats = by_class(root, "mat")
    ground = number(mats[0], "y") if mats else floor
    body = [
        b for b in drawn_boxes(root) if b[0].split()[0] in ("limb", "trunk", "head", "neck", "nose")
    ]
    assert max(b[4] for b in body) == pytest.approx(ground, abs=1.0)


def test_seated_figures_sit_on_a_chair_with_the_feet_on_the_floor() -> None:
    root = render({"position": "seated"})
    seat = max(by_class(root, "chair"), key=lambda r: number(r, "width"))
    seat_top = number(seat, "y")
    trunk = by_class(root, "trunk")[0]
    pelvis_bottom = number(trunk, "y1") + number(trunk, "stroke-width") / 2
    assert pelvis_bottom == pytest.approx(seat_top, abs=1.0)
    floor = number(by_class(root, "floor")[0], "y1")
    feet = [b for b in drawn_boxes(root) if b[0].endswith("_foot")]
    assert max(b[4] for b in feet) == pytest.approx(floor, abs=1.0)


def test_the_far_side_is_drawn_paler_and_behind_the_near_side() -> None:
    root = render({"position": "standing"})
    order = [e.get("class", "") for e in root.iter()]
    near, far = by_class(root, "near"), by_class(root, "far")
    assert {e.get("stroke") for e in near} == {PALETTE["near"]}
    assert {e.get("stroke") for e in far} == {PALETTE["far"]}
    last_far = max(i for i, c in enumerate(order) if "far" in c.split())
    first_near = min(i for i, c in enumerate(order) if "near" in c.split())
    assert last_far < order.index("trunk") < first_near


def test_a_supine_face_looks_up_and_a_prone_face_looks_down() -> None:
    for position, looks_up in (("supine", True), ("prone", False), ("standing", True)):
        root = render({"position": position})
        head, nose = by_class(root, "head")[0], by_class(root, "nose")[0]
        if position == "standing":
            assert number(nose, "cx") > number(head, "cx")
        else:
            assert (number(nose, "cy") < number(head, "cy")) is looks_up


# Highlights


@pytest.mark.parametrize("muscle", MUSCLES)
def test_a_highlighted_muscle_is_drawn_in_the_warm_colour(muscle: str) -> None:
    root = render({"position": "supine", "highlight": [{"muscle": muscle}]})
    marks = by_class(root, muscle)
    assert marks and all("highlight" in m.get("class", "") for m in marks)
    colours = {m.get("stroke") for m in marks} | {m.get("fill") for m in marks}
    assert PALETTE["nerve" if muscle == "sciatic_nerve" else "highlight"] in colours


def test_without_a_highlight_nothing_is_warm() -> None:
    svg = render_pose_svg(pose_from_table({"position": "standing"}, "t"), "t")
    assert PALETTE["highlight"] not in svg and "highlight" not in svg


@pytest.mark.parametrize(
    ("muscle", "side_of_thigh"),
    [("hamstrings", "back"), ("quadriceps", "front"), ("rectus_femoris", "front")],
)
def test_thigh_bands_lie_on_the_correct_side_of_the_thigh(muscle: str, side_of_thigh: str) -> None:
    # Standing and facing right, the back of the thigh is to the left of the bone line.
    root = render({"position": "standing", "highlight": [{"muscle": muscle}]})
    thigh = by_class(root, "near_thigh")[0]
    band = by_class(root, muscle)[0]
    offset = number(band, "x1") - number(thigh, "x1")
    assert offset < -1 if side_of_thigh == "back" else offset > 1


def test_a_far_limb_highlight_is_drawn_on_the_far_leg() -> None:
    root = render(
        {
            "position": "standing",
            "far_thigh": 300,
            "highlight": [{"muscle": "hamstrings", "limb": "far"}],
        }
    )
    band, far_thigh = by_class(root, "hamstrings")[0], by_class(root, "far_thigh")[0]
    near_thigh = by_class(root, "near_thigh")[0]
    far_x, near_x = number(far_thigh, "x2"), number(near_thigh, "x2")
    assert abs(number(band, "x2") - far_x) < abs(number(band, "x2") - near_x)


# Arrows and props


def test_an_arrow_is_an_arc_with_a_head_and_its_label() -> None:
    root = render(EXERCISES["supine_hamstring_strap"])
    (arrow,) = by_class(root, "arrow")
    assert arrow.find(f"{SVG}path") is not None and arrow.find(f"{SVG}polygon") is not None
    assert [t.text for t in arrow.iter(f"{SVG}text")][-1] == "pull gently"
    assert arrow.get("data-segment") == "near_thigh"


def test_arrow_labels_are_escaped() -> None:
    table = {
        "position": "standing",
        "arrows": [
            {"segment": "near_thigh", "from": 270, "to": 300, "label": "lift <slowly> & hold"}
        ],
    }
    root = render(table)
    assert "lift <slowly> & hold" in [t.text for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("kind", PROP_KINDS)
def test_each_prop_kind_is_drawn(kind: str) -> None:
    prop: dict[str, str] = {"kind": kind}
    if kind == "strap":
        prop |= {"from": "near_foot", "to": "near_hand"}
    root = render({"position": "standing", "props": [prop]})
    assert by_class(root, kind), f"no {kind} drawn"


def test_a_strap_runs_from_the_foot_to_the_hand() -> None:
    root = render(EXERCISES["supine_hamstring_strap"])
    strap, forearm = by_class(root, "strap")[0], by_class(root, "near_forearm")[0]
    assert (number(strap, "x2"), number(strap, "y2")) == (
        number(forearm, "x2"),
        number(forearm, "y2"),
    )
    foot = by_class(root, "near_foot")[0]
    assert min(number(foot, "x1"), number(foot, "x2")) - 1 <= number(strap, "x1")
    assert number(strap, "x1") <= max(number(foot, "x1"), number(foot, "x2")) + 1


def test_a_step_is_put_under_the_raised_heel() -> None:
    root = render(EXERCISES["standing_hamstring_step"])
    step = by_class(root, "step")[0]
    foot = next(b for b in drawn_boxes(root) if b[0] == "limb near near_foot")
    assert number(step, "y") == pytest.approx(foot[4], abs=1.5)
    assert number(step, "x") < foot[1] < number(step, "x") + number(step, "width")


def test_lying_positions_get_a_mat_and_standing_does_not() -> None:
    assert by_class(render({"position": "supine"}), "mat")
    assert not by_class(render({"position": "standing"}), "mat")


def test_the_svg_needs_no_external_resources() -> None:
    for table in EXERCISES.values():
        svg = render_pose_svg(pose_from_table(table, "t"), "t", "d")
        assert "href" not in svg and "url(" not in svg and "@import" not in svg
        assert set(re.findall(r'font-family="([^"]*)"', svg)) <= {"DejaVu Sans, sans-serif"}


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize(
    ("name", "minimum"),
    [("near", 4.5), ("label", 4.5), ("far", 3.0), ("arrow", 3.0), ("floor", 3.0)],
)
def test_body_and_text_colours_keep_wcag_aa_contrast_on_white(name: str, minimum: float) -> None:
    assert 1.05 / (_luminance(PALETTE[name]) + 0.05) >= minimum


# Pose format


def test_missing_angles_take_the_defaults_of_the_position() -> None:
    pose = pose_from_table({"position": "standing", "near_thigh": 300}, "t")
    assert pose.angles.near_thigh == 300
    assert pose.angles.far_thigh == default_angles("standing").far_thigh == 270
    supine = default_angles("supine")
    assert (supine.trunk, supine.near_thigh, supine.near_foot) == (180, 0, 90)
    seated = default_angles("seated")
    assert (seated.trunk, seated.near_thigh, seated.near_shank) == (90, 0, 270)


def test_a_pose_reads_highlights_arrows_and_props() -> None:
    pose = pose_from_table(EXERCISES["supine_hamstring_strap"], "t")
    assert isinstance(pose, Pose)
    assert pose.highlights[0].muscle == "hamstrings" and pose.highlights[0].limb == "near"
    assert (pose.arrows[0].start, pose.arrows[0].end, pose.arrows[0].turn) == (55, 75, 20)
    assert (pose.props[0].start, pose.props[0].end) == ("near_foot", "near_hand")


@pytest.mark.parametrize(
    ("table", "field", "allowed"),
    [
        ({}, "position", "supine"),
        ({"position": "lying"}, "position", "half_kneeling"),
        ({"position": "supine", "near_thigh": "up"}, "near_thigh", "degrees"),
        ({"position": "supine", "near_thigh": True}, "near_thigh", "degrees"),
        ({"position": "supine", "near_thigh": float("nan")}, "near_thigh", "degrees"),
        ({"position": "supine", "near_knee": 90}, "near_knee", "near_shank"),
        (
            {"position": "supine", "highlight": [{"muscle": "hamstring"}]},
            "highlight[0].muscle",
            "hamstrings",
        ),
        (
            {"position": "supine", "highlight": [{"muscle": "hamstrings", "limb": "left"}]},
            "highlight[0].limb",
            "near, far",
        ),
        ({"position": "supine", "highlight": "hamstrings"}, "highlight", "list of tables"),
        (
            {"position": "supine", "arrows": [{"segment": "knee", "from": 0, "to": 10}]},
            "arrows[0].segment",
            "near_shank",
        ),
        (
            {"position": "supine", "arrows": [{"segment": "trunk", "from": "a", "to": 10}]},
            "arrows[0].from",
            "degrees",
        ),
        (
            {"position": "supine", "arrows": [{"segment": "trunk", "from": 10}]},
            "arrows[0].to",
            "from and to",
        ),
        (
            {"position": "supine", "arrows": [{"segment": "trunk", "from": 10, "to": 370}]},
            "arrows[0].to",
            "movement",
        ),
        (
            {
                "position": "supine",
                "arrows": [{"segment": "trunk", "from": 0, "to": 9, "label": "x" * 40}],
            },
            "arrows[0].label",
            "32",
        ),
        ({"position": "supine", "props": [{"kind": "pillow"}]}, "props[0].kind", "towel_roll"),
        (
            {"position": "supine", "props": [{"kind": "strap", "from": "near_foot"}]},
            "props[0].to",
            "near_hand",
        ),
        (
            {"position": "supine", "props": [{"kind": "strap", "from": "knee", "to": "near_hand"}]},
            "props[0].from",
            "far_foot",
        ),
        (
            {"position": "supine", "props": [{"kind": "ball", "from": "near_foot"}]},
            "props[0].from",
            "only a strap",
        ),
        (
            {"position": "supine", "props": [{"kind": "mat", "colour": "blue"}]},
            "props[0].colour",
            "kind",
        ),
    ],
)
def test_a_bad_pose_names_the_entry_the_field_and_what_is_allowed(
    table: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(PoseError) as caught:
        pose_from_table(table, "exercise 'slr_strap'")
    assert isinstance(caught.value, ValueError)
    assert caught.value.where == "exercise 'slr_strap'" and caught.value.field == field
    assert str(caught.value).startswith(f"exercise 'slr_strap': {field}: ")
    assert allowed in caught.value.problem


def test_pose_values_check_themselves_when_built_directly() -> None:
    with pytest.raises(PoseError, match="position"):
        Pose("floating", default_angles("supine"))  # type: ignore[arg-type]


def test_a_wall_stands_in_front_of_a_standing_figure_even_with_a_foot_held_up() -> None:
    # Standing quadriceps stretch: the near heel is held behind, a hand on the wall in front.
    table = {
        "position": "standing",
        "near_thigh": 260,
        "near_shank": 110,
        "near_upper_arm": 0,
        "near_forearm": 0,
        "props": [{"kind": "wall"}],
    }
    root = render(table)
    wall = by_class(root, "wall")[0]
    body = [b for b in drawn_boxes(root) if b[0].startswith(("limb", "trunk", "head"))]
    assert number(wall, "x") >= max(b[3] for b in body) - 1


def test_legs_up_the_wall_rest_against_the_wall() -> None:
    root = render(EXERCISES["legs_up_the_wall"])
    wall = by_class(root, "wall")[0]
    shank = by_class(root, "near_shank")[0]
    right_of_shank = (
        max(number(shank, "x1"), number(shank, "x2")) + number(shank, "stroke-width") / 2
    )
    assert number(wall, "x") == pytest.approx(right_of_shank, abs=1.5)


# Arrow labels: legible at handout size, never on the body, the head or a prop

LIBRARY = load_exercises()
LABELLED = [
    key for key, e in LIBRARY.items() if any(a.get("label") for a in e.pose.get("arrows", []))
]


def test_the_library_has_labelled_arrows_to_check() -> None:
    assert len(LABELLED) >= 15 and "prone_press_up" in LABELLED


def _box_circle_gap(
    box: tuple[float, float, float, float], cx: float, cy: float, r: float
) -> float:
    dx = max(box[0] - cx, 0.0, cx - box[2])
    dy = max(box[1] - cy, 0.0, cy - box[3])
    return float((dx * dx + dy * dy) ** 0.5 - r)


@pytest.mark.parametrize("key", sorted(LIBRARY))
def test_no_arrow_label_covers_the_head_or_leaves_the_picture(key: str) -> None:
    # Read from the SVG itself: each label's estimated text box against the head circle.
    exercise = LIBRARY[key]
    root = ET.fromstring(render_pose_svg(pose_from_table(exercise.pose, key), exercise.name))
    head = by_class(root, "head")[0]
    cx, cy, r = number(head, "cx"), number(head, "cy"), number(head, "r")
    for text in by_class(root, "label"):
        assert text.text
        box = label_box(number(text, "x"), number(text, "y"), text.text, number(text, "font-size"))
        assert _box_circle_gap(box, cx, cy, r) > 0, f"{text.text!r} sits on the head"
        assert box[0] >= 0 and box[2] <= WIDTH and box[1] >= 0 and box[3] <= HEIGHT, text.text


@pytest.mark.parametrize("key", LABELLED)
def test_arrow_labels_stay_clear_of_the_body_props_arrows_and_each_other(key: str) -> None:
    layout = figure_layout(pose_from_table(LIBRARY[key].pose, key))
    labels = layout.labels
    assert labels
    for label in labels:
        assert label.overlap == 0, f"{label.text!r} could not be placed clear"
        near = [o.what for o in layout.obstacles if clearance(label.box, o) < LABEL_CLEARANCE]
        assert near == [], f"{label.text!r} touches {near}"
        assert label.box[3] < layout.floor_px, f"{label.text!r} is below the floor line"
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            apart = max(
                b.box[0] - a.box[2], a.box[0] - b.box[2], b.box[1] - a.box[3], a.box[1] - b.box[3]
            )
            assert apart > 0, f"{a.text!r} overlaps {b.text!r}"


def test_a_label_stays_near_its_arrow() -> None:
    for key in LABELLED:
        layout = figure_layout(pose_from_table(LIBRARY[key].pose, key))
        for arrow in layout.arrows:
            assert arrow.label is not None or not arrow.arrow.label
            if arrow.label is None:
                continue
            box = arrow.label.box
            gap = min(_box_circle_gap(box, x, y, 0.0) for x, y in [*arrow.shaft, arrow.head[0]])
            assert gap < 75, f"{key}: {arrow.label.text!r} is {gap:.0f} px from its arrow"


def test_the_labels_are_legible_at_handout_size() -> None:
    # Handouts print the 400 px wide figure 66 mm wide: a label must be at least 2.2 mm high.
    root = render(EXERCISES["supine_hamstring_strap"])
    size = number(by_class(root, "label")[0], "font-size")
    assert size * 66 / WIDTH >= 2.2


def test_a_label_moves_off_the_head_of_a_prone_press_up() -> None:
    pose = pose_from_table(LIBRARY["prone_press_up"].pose, "prone_press_up")
    layout = figure_layout(pose)
    cx, cy, r = layout.head
    (label,) = layout.labels
    assert _box_circle_gap(label.box, cx, cy, r) >= LABEL_CLEARANCE


def test_the_label_box_estimate_grows_with_the_text() -> None:
    assert text_width("lean back") < text_width("lean back slowly")
    assert text_width("mmm") > text_width("iii")
    x0, top, x1, bottom = label_box(10, 50, "look up", 14)
    assert (x0, top) == (10, 36) and x1 > 10 + 14 * 3 and bottom > 50


# Gallery


def test_the_gallery_shows_every_figure_with_its_name_escaped() -> None:
    items = [(key, e.name, e.pose) for key, e in LIBRARY.items()]
    items.append(("odd<id>", "Stretch & <hold>", {"position": "standing"}))
    page = gallery_html(items)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<figure") == len(items)
    assert page.count('<img class="figure"') == len(items)
    assert "Stretch &amp; &lt;hold&gt;" in page and "<hold>" not in page
    assert "odd&lt;id&gt;" in page
    for e in LIBRARY.values():
        assert e.name.replace("&", "&amp;") in page


def test_the_gallery_reports_a_bad_pose_instead_of_failing() -> None:
    page = gallery_html([("broken", "Broken", {"position": "lying"})])
    assert "<figure" in page and "lying" in page and "<img" not in page
