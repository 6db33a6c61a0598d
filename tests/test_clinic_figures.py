"""Clinic figures: the clickable body chart, points on the body figure, and outcome charts."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from itertools import combinations
from typing import NamedTuple

import pytest

from weizhong.clinic.web.figures import (
    REGION_CENTRES,
    REGION_GROUPS,
    REGION_IDS,
    REGION_NAMES,
    VIEWS,
    angles_chart_svg,
    body_chart_html,
    outcome_chart_svg,
    points_figure_svg,
)

SVG = "{http://www.w3.org/2000/svg}"

# The case format's chart regions, spelled out here so a renamed id is caught.
MIDLINE = ["low_back", "sacrum", "lower_abdomen", "neck", "upper_back"]
SIDED = [
    "buttock", "groin", "posterior_thigh", "lateral_thigh", "anterior_thigh", "medial_thigh",
    "posterior_knee", "calf", "shin", "foot", "shoulder", "upper_arm", "forearm", "hand",
]  # fmt: skip
ALL_REGIONS = set(MIDLINE) | {f"{b}_{s}" for b in SIDED for s in ("left", "right")}
BACK_ONLY = ["low_back", "sacrum", "upper_back"] + [
    f"{b}_{s}" for b in ("buttock", "posterior_thigh", "posterior_knee", "calf")
    for s in ("left", "right")
]  # fmt: skip
FRONT_ONLY = ["lower_abdomen"] + [
    f"{b}_{s}" for b in ("groin", "anterior_thigh", "medial_thigh", "shin")
    for s in ("left", "right")
]  # fmt: skip

EXAMPLE_POINTS: list[dict[str, object]] = [
    {"code": "BL40", "side": "both", "role": "distal", "regions": ["posterior_knee"]},
    {"code": "BL25", "side": "both", "role": "local", "regions": ["low_back"]},
    {"code": "SI3", "side": "left", "role": "distal", "regions": ["hand"]},
    {"code": "GV3", "side": "midline", "role": "local", "regions": ["low_back"]},
    {"code": "ST36", "side": "right", "role": "balance", "regions": ["shin"]},
]


def svgs(markup: str) -> list[ET.Element]:
    """Every <svg>…</svg> in the markup, parsed as XML (fails on malformed SVG)."""
    found = re.findall(r"<svg\b.*?</svg>", markup, flags=re.S)
    assert found, "no SVG in the markup"
    return [ET.fromstring(text) for text in found]


def attrs_of(markup: str, tag_pattern: str) -> list[dict[str, str]]:
    """The attributes of every start tag matching the pattern, as dictionaries."""
    out = []
    for tag in re.findall(rf"<(?:{tag_pattern})\b[^>]*>", markup):
        out.append(dict(re.findall(r'([\w:-]+)="([^"]*)"', tag)))
    return out


def region_shapes(markup: str) -> list[dict[str, str]]:
    return [a for a in attrs_of(markup, "path|ellipse|rect") if "data-region" in a]


def checkboxes(markup: str) -> list[tuple[dict[str, str], bool]]:
    tags = re.findall(r"<input\b[^>]*>", markup)
    return [
        (dict(re.findall(r'([\w:-]+)="([^"]*)"', t)), bool(re.search(r"\schecked\b", t)))
        for t in tags
    ]


# --- the body chart -----------------------------------------------------------------------------


def test_the_chart_regions_are_exactly_the_case_format_regions() -> None:
    assert set(REGION_IDS) == ALL_REGIONS
    assert len(REGION_IDS) == len(ALL_REGIONS) == 33
    grouped = [r for _title, regions in REGION_GROUPS for r in regions]
    assert sorted(grouped) == sorted(ALL_REGIONS)  # each region in exactly one group


def test_every_region_is_drawn_and_listed_once() -> None:
    markup = body_chart_html([])
    shapes = region_shapes(markup)
    assert {s["data-region"] for s in shapes} == ALL_REGIONS
    boxes = checkboxes(markup)
    assert sorted(a["value"] for a, _checked in boxes) == sorted(ALL_REGIONS)
    for attrs, _checked in boxes:
        assert attrs["type"] == "checkbox"
        assert attrs["name"] == "pain_regions"
        assert attrs["id"] == f"region-{attrs['value']}"
        assert f'<label for="region-{attrs["value"]}">' in markup
    for title in ("Back and spine", "Hips and thighs", "Knees, calves and feet",
                  "Arms and shoulders"):  # fmt: skip
        assert f"<legend>{title}</legend>" in markup
    assert re.search(r"<details[^>]*><summary>Regions as a list</summary>", markup)
    assert markup.startswith('<fieldset class="bodychart"')
    assert "<legend>Where does it hurt?</legend>" in markup


def test_shapes_are_accessible_checkboxes_with_names() -> None:
    markup = body_chart_html([])
    for shape in region_shapes(markup):
        region = shape["data-region"]
        assert shape["class"] == "region"
        assert shape["role"] == "checkbox"
        assert shape["tabindex"] == "0"
        assert shape["aria-checked"] == "false"
        assert shape["aria-label"] == REGION_NAMES[region]
    for svg in svgs(markup):
        for element in svg.iter():
            if element.get("data-region"):
                title = element.find(f"{SVG}title")
                assert title is not None
                assert title.text == REGION_NAMES[element.get("data-region", "")]
    assert REGION_NAMES["posterior_thigh_left"] == "Back of the left thigh"
    assert all(REGION_NAMES[r] for r in ALL_REGIONS)
    # Shape ids are unique (htmx puts the focus back by id after a swap).
    ids = [s["id"] for s in region_shapes(markup)]
    assert len(ids) == len(set(ids))


def test_selected_regions_are_checked_and_highlighted_on_every_view() -> None:
    chosen = {"low_back", "shoulder_left", "foot_right"}
    markup = body_chart_html(chosen)
    for attrs, checked in checkboxes(markup):
        assert checked == (attrs["value"] in chosen), attrs["value"]
    shapes = region_shapes(markup)
    for shape in shapes:
        on = shape["data-region"] in chosen
        assert ("selected" in shape["class"].split()) == on
        assert shape["aria-checked"] == ("true" if on else "false")
    selected_fills = {s["fill"] for s in shapes if s["data-region"] in chosen}
    other_fills = {s["fill"] for s in shapes if s["data-region"] not in chosen}
    assert len(selected_fills) == 1 and selected_fills.isdisjoint(other_fills)
    # A shoulder is drawn on both views, and both copies are highlighted.
    assert sum(s["data-region"] == "shoulder_left" for s in shapes) == 2


def test_views_hold_the_regions_where_they_belong() -> None:
    for svg in svgs(body_chart_html([])):
        classes = svg.get("class", "")
        view = "front" if "bodychart-front" in classes else "back"
        drawn = {e.get("data-region") for e in svg.iter() if e.get("data-region")}
        wrong = FRONT_ONLY if view == "back" else BACK_ONLY
        assert drawn.isdisjoint(wrong), (view, drawn & set(wrong))
        assert svg.get("viewBox") == "0 0 200 460"
        text = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
        assert ("Front" if view == "front" else "Back") in text
        assert "Left" in text and "Right" in text


def test_every_svg_parses_as_xml() -> None:
    markup = body_chart_html(["neck", "calf_left"])
    parsed = svgs(markup)
    assert len(parsed) == 2
    assert all(svg.tag == f"{SVG}svg" for svg in parsed)


def test_patient_sides_are_mirrored_between_front_and_back() -> None:
    front = REGION_CENTRES
    # From the front the patient's left is on the viewer's right; from the back it is not.
    assert front[("front", "shoulder_left")][0] > front[("front", "shoulder_right")][0]
    assert front[("back", "shoulder_left")][0] < front[("back", "shoulder_right")][0]
    for base in SIDED:
        for view in VIEWS:
            if (view, f"{base}_left") in REGION_CENTRES:
                left = REGION_CENTRES[(view, f"{base}_left")][0]
                right = REGION_CENTRES[(view, f"{base}_right")][0]
                assert (left > 100 > right) if view == "front" else (left < 100 < right), base
    # The side labels printed on each view agree.
    for svg in svgs(body_chart_html([])):
        labels = {t.text: float(t.get("x", "0")) for t in svg.iter(f"{SVG}text")}
        if "bodychart-front" in svg.get("class", ""):
            assert labels["Left"] > 100 > labels["Right"]
        else:
            assert labels["Left"] < 100 < labels["Right"]


def test_region_centres_follow_the_anatomy() -> None:
    c = REGION_CENTRES
    for region in ALL_REGIONS:
        assert any((v, region) in c for v in VIEWS), region
    for (_view, _region), (x, y) in c.items():
        assert 0 < x < 200 and 0 < y < 460
    back_column = ["neck", "upper_back", "low_back", "sacrum"]
    ys = [c[("back", r)][1] for r in back_column]
    assert ys == sorted(ys)
    leg = ["buttock_left", "posterior_thigh_left", "posterior_knee_left", "calf_left", "foot_left"]
    ys = [c[("back", r)][1] for r in leg]
    assert ys == sorted(ys)
    arm = ["shoulder_right", "upper_arm_right", "forearm_right", "hand_right"]
    ys = [c[("front", r)][1] for r in arm]
    assert ys == sorted(ys)
    assert c[("front", "groin_left")][1] < c[("front", "anterior_thigh_left")][1]
    assert c[("front", "anterior_thigh_left")][1] < c[("front", "shin_left")][1]
    # Inside and outside of the thigh: the inside is nearer the midline.
    for view in VIEWS:
        if (view, "medial_thigh_left") in c:
            medial = abs(c[(view, "medial_thigh_left")][0] - 100)
            lateral = abs(c[(view, "lateral_thigh_left")][0] - 100)
            assert medial < lateral


def test_field_name_invalid_state_and_escaping() -> None:
    markup = body_chart_html(["low_back"], field="regions", invalid=True)
    assert 'aria-invalid="true"' in markup.split(">", 1)[0]
    assert all(a["name"] == "regions" for a, _c in checkboxes(markup))
    assert "aria-invalid" not in body_chart_html([])
    hostile = body_chart_html(["<b>x</b>"], field='a"b')
    assert "<b>" not in hostile
    assert "&lt;b&gt;x&lt;/b&gt;" in hostile and 'name="a&quot;b"' in hostile


def test_chosen_regions_off_the_chart_are_kept() -> None:
    markup = body_chart_html(["head", "low_back"])
    kept = [(a["value"], checked) for a, checked in checkboxes(markup) if a["value"] == "head"]
    assert kept == [("head", True)]
    assert "<legend>Other</legend>" in markup
    assert "<legend>Other</legend>" not in body_chart_html(["low_back"])


# --- points on the body figure ------------------------------------------------------------------


class Marker(NamedTuple):
    code: str
    view: str
    x: float  # in the view's own coordinates, like REGION_CENTRES
    y: float
    title: str
    text: ET.Element | None


def markers(figure: str) -> list[Marker]:
    """Every drawn marker of a points figure."""
    (svg,) = svgs(figure)
    offsets = {}
    for g in svg.iter(f"{SVG}g"):
        if "view" in g.get("class", "").split():
            match = re.match(r"translate\(([-\d.]+),", g.get("transform", ""))
            assert match
            offsets[g.get("class", "").split()[-1].removeprefix("view-")] = float(match[1])
    out = []
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") != "point":
            continue
        shapes = [e for e in g if e.tag in (f"{SVG}circle", f"{SVG}polygon")]
        shape = shapes[-1]  # after the leader line's small dot, if any
        if shape.tag == f"{SVG}circle":
            x, y = float(shape.get("cx", "0")), float(shape.get("cy", "0"))
        else:
            pairs = [tuple(map(float, p.split(","))) for p in shape.get("points", "").split()]
            x = sum(p[0] for p in pairs) / len(pairs)
            y = sum(p[1] for p in pairs) / len(pairs)
        title = g.find(f"{SVG}title")
        view = g.get("data-view", "")
        out.append(
            Marker(
                g.get("data-code", ""), view, x - offsets[view], y,
                title.text or "" if title is not None else "", g.find(f"{SVG}text"),
            )
        )  # fmt: skip
    return out


def near(mark: Marker, centre: tuple[float, float], within: float) -> bool:
    return math.dist((mark.x, mark.y), centre) <= within


def test_example_points_land_where_they_belong() -> None:
    figure = points_figure_svg(EXAMPLE_POINTS)
    drawn = markers(figure)
    bl40 = [m for m in drawn if m.code == "BL40"]
    assert len(bl40) == 2 and all(m.view == "back" for m in bl40)
    knees = [REGION_CENTRES[("back", f"posterior_knee_{s}")] for s in ("left", "right")]
    assert any(near(m, knees[0], 8) for m in bl40) and any(near(m, knees[1], 8) for m in bl40)
    (si3,) = [m for m in drawn if m.code == "SI3"]
    assert si3.view == "back" and near(si3, REGION_CENTRES[("back", "hand_left")], 8)
    (st36,) = [m for m in drawn if m.code == "ST36"]
    assert st36.view == "front" and near(st36, REGION_CENTRES[("front", "shin_right")], 8)
    assert st36.x < 100  # the patient's right, seen from the front
    (gv3,) = [m for m in drawn if m.code == "GV3"]
    assert abs(gv3.x - 100) < 1
    bl25 = [m for m in drawn if m.code == "BL25"]
    assert len(bl25) == 2 and sorted(m.x < 100 for m in bl25) == [False, True]
    assert "Not drawn" not in figure


def test_figure_structure_labels_and_legend() -> None:
    figure = points_figure_svg(EXAMPLE_POINTS)
    assert figure.startswith('<figure class="points-figure">') and figure.endswith("</figure>")
    assert "<figcaption>Points proposed, front and back</figcaption>" in figure
    (svg,) = svgs(figure)
    assert svg.get("role") == "img" and "BL40" in svg.get("aria-label", "")
    for mark in markers(figure):
        text = mark.text
        assert text is not None and text.text == mark.code
        assert float(text.get("font-size", "0")) >= 9
        assert text.get("paint-order") == "stroke" and text.get("stroke") == "#ffffff"
        assert mark.code in mark.title
    (distal,) = [m for m in markers(figure) if m.code == "SI3"]
    assert "Distal" in distal.title and "left" in distal.title
    legend = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "legend")
    names = [t.text for t in legend.iter(f"{SVG}text")]
    assert names == ["Local", "Distal", "Balance"]
    # Not colour alone: each role present has its own marker shape.
    shapes = {}
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "point":
            title = g.find(f"{SVG}title")
            assert title is not None and title.text
            role = title.text.split("—")[1].split(",")[0].strip()
            tags = {e.tag for e in g if e.tag in (f"{SVG}circle", f"{SVG}polygon")}
            points = [e.get("points", "") for e in g if e.tag == f"{SVG}polygon"]
            shapes[role] = (frozenset(tags), len(points[0].split()) if points else 0)
    assert len(set(shapes.values())) == len(shapes) == 3


def test_unknown_regions_are_listed_not_dropped() -> None:
    figure = points_figure_svg(
        [
            {"code": "BL40", "side": "both", "role": "distal", "regions": ["posterior_knee"]},
            {"code": "XX9", "side": "left", "role": "local", "regions": ["elbow_crease"]},
            {"code": "YY1", "side": "both", "role": "local", "regions": []},
        ]
    )
    note = re.search(r'<p class="[^"]*not-drawn[^"]*"><small>(.*?)</small></p>', figure)
    assert note and note[1].startswith("Not drawn:")
    assert "XX9" in note[1] and "elbow_crease" in note[1] and "YY1" in note[1]
    assert "BL40" not in note[1]
    assert {m.code for m in markers(figure)} == {"BL40"}


def test_overlapping_points_are_spread_apart() -> None:
    crowd: list[dict[str, object]] = [
        {"code": f"P{i}", "side": "midline", "role": "local", "regions": ["low_back"]}
        for i in range(4)
    ]
    crowd.append({"code": "ASHI", "side": "left", "role": "trigger_point", "muscle": "piriformis"})
    crowd.append({"code": "GB30", "side": "left", "role": "adjacent", "regions": ["buttock_left"]})
    drawn = markers(points_figure_svg(crowd))
    assert len(drawn) == 6
    for a, b in combinations(drawn, 2):
        assert math.dist((a.x, a.y), (b.x, b.y)) >= 10, (a.code, b.code)
    # The trigger point is charted by its muscle, on the left buttock seen from the back.
    (ashi,) = [m for m in drawn if m.code == "ASHI"]
    assert ashi.view == "back" and near(ashi, REGION_CENTRES[("back", "buttock_left")], 25)


def test_sides_and_suffixes() -> None:
    points: list[dict[str, object]] = [
        # A sided region id decides the side of a point that has none of its own.
        {"code": "GV1", "side": "midline", "role": "local", "regions": ["calf_right"]},
        # A bare region with a sided point uses that side.
        {"code": "LI4", "side": "left", "role": "balance", "regions": ["hand"]},
        # An atlas region without a clickable shape still has a place.
        {"code": "LI11", "side": "right", "role": "distal", "regions": ["elbow"]},
    ]
    drawn = {m.code: m for m in markers(points_figure_svg(points))}
    assert drawn["GV1"].view == "back"
    assert near(drawn["GV1"], REGION_CENTRES[("back", "calf_right")], 8)
    assert drawn["LI4"].view == "front"
    assert near(drawn["LI4"], REGION_CENTRES[("front", "hand_left")], 8)
    assert near(drawn["LI11"], REGION_CENTRES[("front", "elbow_right")], 8)


def test_point_text_is_escaped() -> None:
    figure = points_figure_svg(
        [
            {"code": "<script>alert(1)</script>", "side": "left", "role": "local",
             "regions": ["calf"]},
            {"code": "<img src=x>", "side": "left", "role": "<b>", "regions": ["nowhere"]},
        ]
    )  # fmt: skip
    assert "<script>" not in figure and "<img" not in figure and "<b>" not in figure
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in figure
    assert "&lt;img src=x&gt;" in figure  # in the "Not drawn" line
    svgs(figure)  # still well-formed


def test_no_points_still_draws_the_figure() -> None:
    figure = points_figure_svg([])
    assert markers(figure) == [] and "Not drawn" not in figure
    assert "legend" not in figure


# --- outcome charts -----------------------------------------------------------------------------

NPRS = [("3 Mar", 7.0), ("10 Mar", 6.0), ("17 Mar", 6.0), ("24 Mar", 4.0), ("31 Mar", 3.0),
        ("7 Apr", 2.0)]  # fmt: skip


def nprs(points: list[tuple[str, float]], **options: object) -> str:
    settings: dict[str, object] = {"score_min": 0, "score_max": 10, "higher_is_better": False}
    settings.update(options)
    return outcome_chart_svg("NPRS", points, **settings)  # type: ignore[arg-type]


def dots(svg: ET.Element) -> list[tuple[float, float]]:
    out = []
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "dot":
            circle = g.find(f"{SVG}circle")
            assert circle is not None
            out.append((float(circle.get("cx", "0")), float(circle.get("cy", "0"))))
    return out


def texts(svg: ET.Element, cls: str) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text") if t.get("class") == cls]


def test_no_scores() -> None:
    (svg,) = svgs(nprs([]))
    assert svg.get("role") == "img"
    assert "No scores yet" in "".join(svg.itertext())
    assert dots(svg) == []


def test_one_score() -> None:
    (svg,) = svgs(nprs([("12 Mar", 5.0)], mcid=2))
    assert len(dots(svg)) == 1
    assert texts(svg, "value") == ["5"] and texts(svg, "x-label") == ["12 Mar"]
    assert "5" in svg.get("aria-label", "") and "12 Mar" in svg.get("aria-label", "")


def test_many_scores_are_drawn_in_order_with_higher_values_higher_up() -> None:
    markup = nprs(NPRS, mcid=2)
    (svg,) = svgs(markup)
    positions = dots(svg)
    assert len(positions) == 6
    xs = [x for x, _y in positions]
    assert xs == sorted(xs) and len(set(xs)) == 6
    ys = [y for _x, y in positions]
    assert ys[0] < ys[3] < ys[5]  # 7 above 4 above 2
    assert ys[1] == ys[2]  # equal scores, equal height
    assert texts(svg, "value") == ["7", "6", "6", "4", "3", "2"]
    assert texts(svg, "x-label") == [label for label, _v in NPRS]
    ticks = texts(svg, "y-tick")
    assert 3 <= len(ticks) <= 5 and ticks[0] == "0" and ticks[-1] == "10"
    label = svg.get("aria-label", "")
    assert "first 7" in label and "latest 2" in label and "lower is better" in label
    assert "lower is better" in "".join(svg.itertext())
    assert 'role="img"' in markup


def test_mcid_band_only_when_given() -> None:
    (with_band,) = svgs(nprs(NPRS, mcid=2))
    band = [g for g in with_band.iter(f"{SVG}g") if g.get("class") == "mcid"]
    assert len(band) == 1
    assert "Important change (MCID: 2)" in "".join(band[0].itertext())
    rect = band[0].find(f"{SVG}rect")
    assert rect is not None
    # Lower is better: the band runs from the baseline (7) down to 7 − 2 = 5.
    first_y = dots(with_band)[0][1]
    top, height = float(rect.get("y", "0")), float(rect.get("height", "0"))
    assert math.isclose(top, first_y, abs_tol=0.2)
    assert height > 10  # two points on a 0–10 scale
    (without,) = svgs(nprs(NPRS))
    assert not [g for g in without.iter(f"{SVG}g") if g.get("class") == "mcid"]
    assert "Important change" not in "".join(without.itertext())


def test_higher_is_better_band_goes_up() -> None:
    (svg,) = svgs(outcome_chart_svg("PSFS", [("1", 3.0), ("2", 6.0)], score_min=0,
                                    score_max=10, higher_is_better=True, mcid=2))  # fmt: skip
    rect = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "mcid").find(f"{SVG}rect")
    assert rect is not None
    first_y = dots(svg)[0][1]
    assert float(rect.get("y", "0")) < first_y - 5  # the band lies above the baseline
    assert math.isclose(float(rect.get("y", "0")) + float(rect.get("height", "0")), first_y,
                        abs_tol=0.2)  # fmt: skip
    assert "higher is better" in "".join(svg.itertext())


def test_values_at_the_limits_and_equal_values_stay_inside() -> None:
    for points in ([("a", 0.0), ("b", 10.0), ("c", 0.0)], [("a", 4.0)] * 5, [("a", 12.0)]):
        (svg,) = svgs(nprs(points, mcid=3))
        _x0, _y0, width, height = map(float, svg.get("viewBox", "").split())
        for x, y in dots(svg):
            assert 0 < x < width and 0 < y < height
        for t in svg.iter(f"{SVG}text"):
            assert 8 <= float(t.get("y", "0")) <= height


def test_crowded_labels_are_thinned_keeping_first_and_last() -> None:
    points = [(f"{d} Mar", float(d % 11)) for d in range(1, 29)]
    (svg,) = svgs(nprs(points))
    labels = texts(svg, "x-label")
    assert 2 < len(labels) < 28
    assert labels[0] == "1 Mar" and labels[-1] == "28 Mar"
    assert len(dots(svg)) == 28


def test_chart_text_is_escaped() -> None:
    markup = outcome_chart_svg("<i>x</i>", [("<b>", 1.0)], score_min=0, score_max=10,
                               higher_is_better=True, units="<u>")  # fmt: skip
    assert "<i>" not in markup and "<b>" not in markup and "<u>" not in markup
    svgs(markup)


@pytest.mark.parametrize(("low", "high"), [(0, 10), (0, 100), (0, 24), (0, 50), (1, 5), (0, 3)])
def test_tick_counts_for_common_scales(low: float, high: float) -> None:
    (svg,) = svgs(outcome_chart_svg("x", [("a", low)], score_min=low, score_max=high,
                                    higher_is_better=True))  # fmt: skip
    ticks = [float(t) for t in texts(svg, "y-tick")]
    assert 3 <= len(ticks) <= 5
    assert ticks == sorted(ticks) and ticks[0] == low and ticks[-1] == high


def test_angles_chart_lines_legend_and_union_of_labels() -> None:
    series = {
        "SLR left": [("1 Mar", 45.0), ("8 Mar", 55.0), ("15 Mar", 62.0)],
        "SLR right": [("1 Mar", 70.0), ("15 Mar", 74.0)],
        "AKE left": [("3 Mar", 40.0), ("15 Mar", 30.0)],
        "AKE right": [("8 Mar", 25.0), ("15 Mar", 22.0)],
    }
    markup = angles_chart_svg("Exam angles", series)
    (svg,) = svgs(markup)
    assert texts(svg, "x-label") == ["1 Mar", "8 Mar", "15 Mar", "3 Mar"]
    lines = [p for p in svg.iter(f"{SVG}path") if p.get("class") == "line"]
    assert len(lines) == 4
    assert len({p.get("stroke-dasharray", "") for p in lines}) == 4
    assert len({p.get("stroke") for p in lines}) == 4
    all_text = "".join(svg.itertext())
    for name in series:
        assert name in all_text
    assert "62°" in all_text and "22°" in all_text  # the latest values
    assert "SLR left 45° to 62°" in svg.get("aria-label", "")
    ticks = texts(svg, "y-tick")
    assert 3 <= len(ticks) <= 5 and all(t.endswith("°") for t in ticks)


def test_angles_chart_empty_and_single() -> None:
    (svg,) = svgs(angles_chart_svg("Exam angles", {}))
    assert "No measurements yet" in "".join(svg.itertext())
    (svg,) = svgs(angles_chart_svg("Exam angles", {"SLR left": [("1 Mar", 45.0)]}))
    assert len([g for g in svg.iter(f"{SVG}g") if g.get("class") == "dot"]) == 1
