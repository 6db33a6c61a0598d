"""A review page of exercise figures: every figure with its name, for clinicians to check.

``gallery_html`` draws each pose as the handouts do and puts it on one self-contained HTML page,
twice: large for reading the drawing, and at the 66 mm the handouts print it, to judge the labels.
A pose that cannot be read shows its error in place of the figure. Only the standard library.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from html import escape
from typing import Any

from weizhong.figures.exercise_svg import render_pose_svg
from weizhong.figures.pose import PoseError, pose_from_table

__all__ = ["gallery_html"]

HANDOUT_WIDTH_MM = 66
"""The width a figure is printed at in a patient's handout."""

_STYLE = """
body { font-family: "DejaVu Sans", sans-serif; margin: 1.5rem; color: #1d2a36; }
h1 { font-size: 1.4rem; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(430px, 1fr)); gap: 1rem; }
figure { margin: 0; padding: 0.6rem; border: 1px solid #c9d1d9; border-radius: 6px;
  break-inside: avoid; }
figcaption { font-weight: bold; margin-bottom: 0.4rem; }
figcaption code { font-weight: normal; color: #5e6a75; font-size: 0.85rem; }
.figure { display: block; width: 400px; max-width: 100%; height: auto; }
.print-size { display: block; width: 66mm; height: auto; margin-top: 0.4rem;
  border: 1px dashed #c9d1d9; }
.error { color: #a3261b; white-space: pre-wrap; }
"""


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _card(key: str, name: str, table: dict[str, Any]) -> str:
    caption = f"<figcaption>{escape(name)} <code>{escape(key)}</code></figcaption>"
    try:
        svg = render_pose_svg(pose_from_table(table, key), name)
    except PoseError as error:
        return f'<figure>{caption}<p class="error">{escape(str(error))}</p></figure>'
    uri = escape(_data_uri(svg))
    alt = escape(f"Figure: {name}")
    return (
        f"<figure>{caption}"
        f'<img class="figure" src="{uri}" alt="{alt}" width="400" height="260">'
        f'<img class="print-size" src="{uri}" alt="{alt}, at handout size" '
        f'title="as printed, {HANDOUT_WIDTH_MM} mm wide">'
        "</figure>"
    )


def gallery_html(exercises: Iterable[tuple[str, str, dict[str, Any]]]) -> str:
    """One HTML page showing the figure of each (id, name, pose table), with its name."""
    cards = [_card(key, name, table) for key, name, table in exercises]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            "<title>Exercise figures</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            f"<h1>Exercise figures ({len(cards)})</h1>",
            f"<p>Each figure large, then at the {HANDOUT_WIDTH_MM} mm it is printed in a "
            "handout.</p>",
            "<main>",
            *cards,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )
