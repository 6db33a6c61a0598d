"""Exercise figures: a :class:`~weizhong.figures.pose.Pose` drawn as a standalone SVG 1.1 image.

One style for every figure, so a patient reads a programme at a glance: a floor line, limbs as
thick round-capped strokes (the near side dark slate, the far side paler and behind), a round
head, a thicker trunk, the stretched muscle as a warm translucent band, movements as blue arcs
with an arrowhead, and simple props.

The body is built in body units (the segment lengths of POSE_FORMAT.md, y pointing up), placed on
the floor (or a seat, a table, a step), then scaled and centred into the 400 × 260 view box.
Only the standard library is used.

The drawing is built in three steps, each its own module: :mod:`~weizhong.figures.skeleton`
(the body from the pose), :mod:`~weizhong.figures.scene` (the body placed, with its props) and
:mod:`~weizhong.figures.labels` (the layout in pixels and the arrows' labels). This module
writes the SVG.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from weizhong.figures.labels import (
    LABEL_CLEARANCE,
    ArrowLayout,
    _fmt,
    clearance,
    figure_layout,
    label_box,
    text_width,
)
from weizhong.figures.pose import Pose
from weizhong.figures.skeleton import (
    FONT,
    HEIGHT,
    LABEL_SIZE,
    MARGIN_X,
    PALETTE,
    WIDTH,
    Point,
    Stroke,
)

__all__ = [
    "HEIGHT",
    "LABEL_CLEARANCE",
    "PALETTE",
    "WIDTH",
    "clearance",
    "figure_layout",
    "label_box",
    "render_pose_svg",
    "text_width",
]


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
